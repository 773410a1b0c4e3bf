"""The evaluation suite's measurements: the word-overlap baseline, the hard similarity subset, the
zero-shot reasoning setting and the paired bootstrap that decides "better"."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import spearmanr

from lira.data.sts import CHANGEABLE, NEAR_MISS_MIN_OVERLAP, PARAPHRASE_MAX_OVERLAP, _attribute, grade, graded_pairs, jaccard, near_miss
from lira.eval.significance import macro_f1_statistic, mean_statistic, paired_bootstrap_sets, spearman_statistic
from lira.eval.sts import SemanticSimilarityEvaluator


# -- the word-overlap baseline -------------------------------------------------------------


def test_jaccard_is_whitespace_token_overlap_by_hand():
    # {red, cotton, t-shirt} against {red, t-shirt,, size, m}: "t-shirt," keeps its comma, so only "red" is shared of 6 tokens.
    assert jaccard("Red cotton T-shirt", "red T-shirt, size M") == pytest.approx(1 / 6)
    assert jaccard("a b c", "c b a") == 1.0  # a set: word order does not count
    assert jaccard("a a b", "a c") == pytest.approx(1 / 3)  # {a, b} vs {a, c}
    assert jaccard("x", "y") == 0.0 and jaccard("", "") == 0.0


def test_sts_evaluator_scores_the_jaccard_baseline_like_a_model():
    rows = [("th", "a b c", "th", "a b c d", 4.0, False), ("th", "a b", "th", "c d", 0.0, False), ("th", "a b c", "th", "a x y", 1.0, True),
            ("th", "p q", "th", "p q r", 5.0, True), ("th", "m n", "th", "m z", 2.0, True), ("th", "k", "en", "k", 5.0, False), ("th", "k l", "en", "j", 0.0, False)]
    metrics = SemanticSimilarityEvaluator(rows).evaluate_pairs(jaccard)
    by_hand = [3 / 4, 0.0, 1 / 5, 2 / 3, 1 / 3]  # |A ∩ B| / |A ∪ B| of each monolingual pair, counted by hand
    assert metrics["th/mono/spearman"] == pytest.approx(spearmanr(by_hand, [4, 0, 1, 5, 2])[0])
    assert metrics["th/mono/hard/spearman"] == pytest.approx(spearmanr(by_hand[2:], [1, 5, 2])[0])
    assert metrics["th/mono/hard/n"] == 3 and metrics["th/cross/spearman"] == pytest.approx(1.0)
    assert "th/cross/hard/spearman" not in metrics  # no hard cross-lingual pair given


# -- the hard subset -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog():
    from lira.data.reasoning import _read_jsonl, default_products_dir

    return _read_jsonl(default_products_dir() / "jsonl" / "catalog.test.jsonl")


def test_hard_pairs_differ_in_wording_or_share_it_as_defined(catalog):
    languages = ["th", "vi", "fil", "bn"]
    plain = graded_pairs(catalog, languages, anchors_per_language=12, seed=3)
    pairs = graded_pairs(catalog, languages, anchors_per_language=12, seed=3, hard=True)
    assert pairs[: len(plain)] == plain  # adding the hard subset leaves the standard pairs alone
    hard = pairs[len(plain):]
    assert hard and all(p.hard for p in hard) and not any(p.hard for p in plain)
    rows = {r["product_id"]: r for r in catalog}
    paraphrases = [p for p in hard if p.kind == "paraphrase"]
    misses = [p for p in hard if p.kind == "near_miss"]
    assert {p.lang for p in paraphrases if p.lang_b != "en"} == set(languages) and {p.lang for p in misses} == set(languages)
    for p in paraphrases:
        assert p.grade == 5.0 and p.product_a == p.product_b  # the same product ...
        if p.lang_b == p.lang:
            assert p.text_a == rows[p.product_a][f"title_{p.lang}"] and p.text_b != p.text_a
            assert jaccard(p.text_a, p.text_b) <= PARAPHRASE_MAX_OVERLAP  # ... worded otherwise
        else:
            assert p.text_b == rows[p.product_a]["title_en"] and p.text_a != rows[p.product_a][f"title_{p.lang}"]
    for p in misses:
        assert p.product_b.startswith(p.product_a + "~") and p.grade < 5.0  # another product ...
        if p.lang_b == p.lang:
            assert jaccard(p.text_a, p.text_b) >= NEAR_MISS_MIN_OVERLAP and p.text_a != p.text_b  # ... sharing most words
        if p.product_b.endswith("~category"):
            assert p.grade == 1.0
    # The construction defeats word overlap: on the hard pairs it ranks near misses above paraphrases.
    for lang in languages:
        mono = [p for p in hard if p.lang == lang and p.lang_b == lang]
        standard = [p for p in plain if p.lang == lang and p.lang_b == lang]
        hard_rho = spearmanr([jaccard(p.text_a, p.text_b) for p in mono], [p.grade for p in mono])[0]
        standard_rho = spearmanr([jaccard(p.text_a, p.text_b) for p in standard], [p.grade for p in standard])[0]
        assert hard_rho < 0 < standard_rho, (lang, hard_rho, standard_rho)


def test_a_near_miss_changes_exactly_one_thing(catalog):
    import random

    anchor = next(r for r in catalog if sum(_attribute(r, a) is not None for a in CHANGEABLE) >= 2)
    for category in (False, True):
        changed = near_miss(anchor, catalog, random.Random(0), category=category)
        fields = ("category", *CHANGEABLE)
        differ = [f for f in fields if _attribute(changed, f) != _attribute(anchor, f)]
        assert len(differ) == 1 and (differ == ["category"]) == category
        assert changed["title_th"] != anchor["title_th"] and changed["title_en"] != anchor["title_en"]
        assert grade(anchor, changed) == (1.0 if category else pytest.approx(2 + 2 * (len([a for a in ("brand", "colour", "material", "gender", "size", "model", "measure") if _attribute(anchor, a) is not None]) - 1)
                                                                    / len([a for a in ("brand", "colour", "material", "gender", "size", "model", "measure") if _attribute(anchor, a) is not None])))


# -- zero-shot: no low-resource row reaches the head -----------------------------------------


def test_zero_shot_head_trains_on_english_rows_only(monkeypatch):
    from lira.data.reasoning import EsciExample
    from lira.eval.suite import EncodedRun, SuiteConfig, SYSTEMS, score_head
    from lira.lasr import trainer

    labels = ["exact", "substitute", "complement", "irrelevant"]
    examples = [EsciExample(lang, f"{lang} q{i}", f"{lang} t{i}", labels[i % 4], f"en q{i}", f"en t{i}", f"g{i}", f"{lang} q{i}!", f"{lang} t{i}!")
                for lang in ("en", "th", "vi") for i in range(8)]
    rng = np.random.default_rng(0)
    arrays = {name: rng.standard_normal((len(examples), 6)).astype(np.float32) for name in ("u", "v", "anchor_u", "anchor_v", "noised_u", "noised_v")}
    data = trainer.EmbeddedExamples(examples, **arrays)
    run = EncodedRun({}, data, data, {0.0: data.u})
    seen = []
    real = trainer.train_head

    def spy(train, config, *, languages, seed=0, **kw):
        seen.append((config.few_shot_k, [e.lang for e in train.examples], train.u.shape[0], sorted(trainer.split_rows(train.examples, config, languages, seed)[1])))
        return real(train, config, languages=languages, seed=seed, **kw)

    monkeypatch.setattr(trainer, "train_head", spy)
    suite = SuiteConfig(few_shot_ks=[0, 2], zero_shot=True, head_steps=3)
    metrics, items = score_head(run, SYSTEMS["arca_lasr"], suite, ["th", "vi"], seed=0)
    (zs_k, zs_langs, zs_rows, zs_unlabelled), (tt_k, tt_langs, _, tt_unlabelled), (k2, k2_langs, _, _) = seen
    assert zs_langs == ["en"] * 8 and zs_rows == 8 and zs_unlabelled == []  # zero-shot: English rows only, none unlabelled
    assert {"th", "vi"} <= set(tt_langs) and tt_k == 0 and len(tt_unlabelled) == 16  # translate-train: the translations feed consistency
    assert k2 == 2 and {"th", "vi"} <= set(k2_langs)
    for tag in ("zs", "k0", "k2"):
        assert 0.0 <= metrics[f"reasoning/{tag}/0/mean/macro_f1"] <= 1.0 and len(items[f"reasoning/{tag}/0/th"]) == 8
    assert list(metrics)[0].startswith("reasoning/zs/")  # zero-shot first, beside translate-train


# -- the paired bootstrap decides better / worse ----------------------------------------------


def test_bootstrap_verdict_flips_with_the_better_system():
    rng = np.random.default_rng(1)
    weak = {lang: (rng.random((3, 300)) < 0.6).astype(float) for lang in ("th", "vi")}
    strong = {lang: (rng.random((3, 300)) < 0.8).astype(float) for lang in ("th", "vi")}
    assert paired_bootstrap_sets(weak, strong, mean_statistic, samples=500).verdict() == "better"
    assert paired_bootstrap_sets(strong, weak, mean_statistic, samples=500).verdict() == "worse"
    same = paired_bootstrap_sets(weak, weak, mean_statistic, samples=500)
    assert same.delta == 0 and same.verdict() == "within noise" and same.p_value == 1.0
    # A small difference on few items is within noise; the same difference on many items is not.
    few_a, few_b = {"th": np.array([[1, 0, 1, 0, 1, 0, 1, 0, 1, 0]], float)}, {"th": np.array([[1, 1, 1, 0, 1, 0, 1, 0, 1, 0]], float)}
    assert paired_bootstrap_sets(few_a, few_b, mean_statistic, samples=500).verdict() == "within noise"
    many_a, many_b = {"th": np.tile(few_a["th"], 60)}, {"th": np.tile(few_b["th"], 60)}
    assert paired_bootstrap_sets(many_a, many_b, mean_statistic, samples=500).verdict() == "better"


def test_bootstrap_recomputes_spearman_and_macro_f1_on_each_resample():
    rng = np.random.default_rng(2)
    grades = {"th": rng.integers(0, 6, 200).astype(float)}
    good = {"th": np.stack([grades["th"] + rng.normal(0, 1, 200) for _ in range(3)])}
    noise = {"th": rng.normal(0, 1, (3, 200))}
    statistic = spearman_statistic(grades)
    result = paired_bootstrap_sets(noise, good, statistic, samples=300)
    assert result.verdict() == "better" and result.delta == pytest.approx(np.mean([spearmanr(g, grades["th"])[0] for g in good["th"]]) - np.mean([spearmanr(n, grades["th"])[0] for n in noise["th"]]))
    assert paired_bootstrap_sets(good, noise, statistic, samples=300).verdict() == "worse"

    from sklearn.metrics import f1_score

    gold = {"vi": rng.integers(0, 4, 240)}
    right = {"vi": np.stack([np.where(rng.random(240) < 0.7, gold["vi"], rng.integers(0, 4, 240)) for _ in range(2)])}
    guess = {"vi": rng.integers(0, 4, (2, 240))}
    f1 = macro_f1_statistic(gold, 4)
    result = paired_bootstrap_sets(guess, right, f1, samples=300)
    expected = np.mean([f1_score(gold["vi"], r, average="macro") for r in right["vi"]]) - np.mean([f1_score(gold["vi"], g, average="macro") for g in guess["vi"]])
    assert result.delta == pytest.approx(expected) and result.verdict() == "better"
    assert paired_bootstrap_sets(right, guess, f1, samples=300).verdict() == "worse"


def test_report_verdicts_come_from_the_stored_bootstrap(tmp_path):
    from lira.eval.suite_report import Report, peer_table

    summary = {s: {"bitext/0/mean/x2en/acc@1": [v, 0.01, 3]} for s, v in (("arca_lasr", 0.80), ("kd_mse", 0.70))}
    payload = {"summary": summary, "systems": {s: {"label": s, "kind": "trained", "description": ""} for s in summary},
               "suite": {"noise_levels": [0.0], "few_shot_ks": [0], "seeds": [0, 1, 2], "zero_shot": True}, "languages": ["th"],
               "bootstrap": {"test": "paired bootstrap over test items and seeds", "samples": 1000, "seeds": [0, 1, 2], "alpha": 0.05,
                             "items_per_language": {"bitext": {"th": 200}}}}
    for verdict, p in (("better", 0.001), ("within noise", 0.4)):
        payload["comparisons"] = {"arca_lasr|kd_mse": {"bitext/0/mean/x2en/acc@1": {"delta": 0.1, "low": 0.05, "high": 0.15, "p": p, "verdict": verdict}}}
        table = peer_table(Report(payload))
        assert table.rows[0][-1].startswith(f"+0.100 ({verdict}") and f"{verdict} 1" in table.note
        assert "1000 resamples" in table.note and "bitext 200" in table.note
