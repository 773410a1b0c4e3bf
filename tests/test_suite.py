"""The evaluation suite: frozen-prefix cache, graded similarity pairs, the STS evaluator, the suite's
config, a tiny end-to-end run (with resume) and its report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from lira.arca.model import ArcaEncoder
from lira.config import ConfigError, ModelConfig
from lira.data.sts import grade, graded_pairs
from lira.eval.sts import SemanticSimilarityEvaluator
from lira.eval.suite import SYSTEMS, SuiteConfig, build_suite_data, run_config, run_identity, run_suite
from lira.models.prefix_cache import FrozenPrefixCache

TEXTS = ["The download failed.", "การดาวน์โหลดล้มเหลว", "Mở cửa sổ mới.", "Tutup semua tab.", "Search the web."]


def _tiny_arca(tiny_models, top=1):
    return ArcaEncoder.from_student(tiny_models["student"], ModelConfig(trainable_top_layers=top))


def test_prefix_cache_matches_the_full_model_and_leaves_weights_alone(tiny_models):
    model = _tiny_arca(tiny_models)
    cache = FrozenPrefixCache.for_model(model)
    assert cache.frozen_layers == 1
    assert cache.fill(model, TEXTS, "query") == len(TEXTS)
    assert cache.fill(model, TEXTS, "query") == 0  # already there
    before = {k: v.clone() for k, v in model.state_dict().items()}
    full = model.encode(TEXTS, lang="th", prompt_name="query")
    with cache.attached(model):
        cached = model.encode(TEXTS, lang="th", prompt_name="query")
        with pytest.raises(KeyError, match="fill it first"):
            model.encode(["a text nobody filled"], lang="th", prompt_name="query")
    assert cache.hits == len(TEXTS) and np.allclose(full, cached, rtol=0, atol=1e-5)  # README: within 1e-5
    assert np.allclose(model.encode(TEXTS, lang="th", prompt_name="query"), full, rtol=0, atol=1e-6)  # detached again
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)


def test_prefix_cache_serves_texts_longer_than_the_training_length(tiny_models):
    # Training cuts at max_seq_length (64 in the tiny student), encode at the encoding length: a long
    # text is looked up under both keys, and both must be filled.
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(trainable_top_layers=1, encode_max_seq_length=120))
    long_text = " ".join(TEXTS) * 8
    assert len(model.transformer.model.tokenizer(long_text)["input_ids"]) > 120 > model.transformer.model.max_seq_length
    cache = FrozenPrefixCache.for_model(model)
    assert cache.fill(model, [long_text], "query") == 2  # one key per length
    full = model.encode([long_text], lang="th", prompt_name="query")
    with cache.attached(model):
        cached = model.encode([long_text], lang="th", prompt_name="query")
        batch = model.prepare([long_text], ["th"], "query")  # the training path: cut at max_seq_length
        model(batch)
    assert np.allclose(full, cached, rtol=0, atol=1e-5)


def test_prefix_cache_refuses_a_model_with_other_frozen_weights(tiny_models):
    model = _tiny_arca(tiny_models)
    cache = FrozenPrefixCache.for_model(model)
    cache.fill(model, TEXTS)
    other = _tiny_arca(tiny_models)
    with torch.no_grad():
        other.transformer.model[0].auto_model.encoder.layer[0].output.dense.weight.add_(0.01)
    with pytest.raises(ValueError, match="differ"):
        with cache.attached(other):
            pass
    with pytest.raises(ValueError, match="trainable_top_layers"):
        FrozenPrefixCache.for_model(ArcaEncoder.from_student(tiny_models["student"], ModelConfig()))


def test_prefix_cache_gradients_reach_the_top_layers_only(tiny_models):
    model = _tiny_arca(tiny_models)
    cache = FrozenPrefixCache.for_model(model)
    cache.fill(model, TEXTS)
    model.train()
    with cache.attached(model):
        out = model(model.prepare(TEXTS, ["en"] * len(TEXTS)))
        out.sum().backward()
    layers = model.transformer.model[0].auto_model.encoder.layer
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in layers[1].parameters())
    assert all(p.grad is None for p in layers[0].parameters())


def _product(pid, category="t_shirt", department="apparel", **attrs):
    row = {"product_id": pid, "category": category, "department": department, "measure_value": None, "measure_unit": None}
    row.update({a: None for a in ("brand", "colour", "material", "gender", "size", "model")})
    row.update(attrs)
    return row


def test_grade_follows_the_written_rule():
    p = _product("P1", brand="A", colour="red", size="M")
    assert grade(p, p) == 5.0
    assert grade(p, _product("P2", brand="A", colour="red", size="M")) == 4.0
    assert grade(p, _product("P3", brand="A", colour="blue", size="L")) == pytest.approx(2 + 2 * 1 / 3)
    assert grade(p, _product("P4", brand="B", colour="blue", size="L")) == 2.0
    assert grade(p, _product("P5", category="jeans", brand="A")) == 1.0
    assert grade(p, _product("P6", category="rice_cooker", department="home")) == 0.0


def test_graded_pairs_span_the_scale_and_leave_identical_text_out_of_monolingual():
    catalog = [_product(f"P{i}", category=c, department=d, brand=b, colour=col, title_en=f"en {i}", title_th=f"th {i}")
               for i, (c, d, b, col) in enumerate([("t_shirt", "apparel", "A", "red"), ("t_shirt", "apparel", "A", "red"), ("t_shirt", "apparel", "B", "blue"),
                                                   ("jeans", "apparel", "A", "red"), ("rice_cooker", "home", "C", None)])]
    pairs = graded_pairs(catalog, ["th"], anchors_per_language=5, seed=0)
    cross = [p for p in pairs if p.lang_b == "en"]
    mono = [p for p in pairs if p.lang_b == "th"]
    assert {p.grade for p in cross} == {0.0, 1.0, 2.0, 4.0, 5.0}  # both ends of the scale and steps between (seeded)
    assert all(p.grade < 5 for p in mono) and all(p.text_a != p.text_b for p in mono)
    with pytest.raises(ValueError, match="title_vi"):
        graded_pairs(catalog, ["vi"])


class LookupEncoder:
    def __init__(self, table):
        self.table = table

    def encode(self, sentences, **_):
        return np.array([self.table[s] for s in sentences], dtype=np.float32)


def test_sts_evaluator_is_spearman_of_cosine_and_grade_per_language_and_setting():
    rng = np.random.default_rng(0)
    texts = [f"t{i}" for i in range(12)]
    table = {t: rng.standard_normal(4) for t in texts}
    rows = [("th", texts[i], "en", texts[i + 6], float(i % 4)) for i in range(6)] + [("en", texts[i], "en", texts[i + 1], float(i)) for i in range(4)]
    metrics = SemanticSimilarityEvaluator(rows)(LookupEncoder(table))
    cos = [table[a] @ table[b] / np.linalg.norm(table[a]) / np.linalg.norm(table[b]) for _, a, _, b, _ in rows[:6]]
    assert metrics["th/cross/spearman"] == pytest.approx(spearmanr(cos, [r[4] for r in rows[:6]])[0])
    mono = [table[a] @ table[b] / np.linalg.norm(table[a]) / np.linalg.norm(table[b]) for _, a, _, b, _ in rows[6:]]
    assert metrics["en/mono/spearman"] == pytest.approx(spearmanr(mono, [r[4] for r in rows[6:]])[0])
    assert metrics["mean/cross/spearman"] == metrics["th/cross/spearman"]  # English is not in the mean


def test_suite_config_errors_name_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("systems: [teacher, magic]\n")
    with pytest.raises(ConfigError, match="magic"):
        SuiteConfig.from_yaml(bad)
    bad.write_text("lira:\n  train:\n    max_stepz: 3\n")
    with pytest.raises(ConfigError, match="max_stepz"):
        SuiteConfig.from_yaml(bad)
    good = tmp_path / "good.yaml"
    good.write_text("seeds: [3, 4]\nlira:\n  train:\n    max_steps: 7\n")
    suite = SuiteConfig.from_yaml(good)
    assert suite.lira.train.max_steps == 7 and suite.lira.model.trainable_top_layers == 2  # the suite's default base
    assert suite.fingerprint() != SuiteConfig().fingerprint()


def test_suite_arca_is_the_generalization_studys_all_terms_recipe_and_encoders_are_shared():
    from lira.config import LiraConfig
    from lira.eval.generalization import ARCA_ALL_TERMS

    suite = SuiteConfig.from_yaml(Path(__file__).resolve().parents[1] / "configs" / "suite.yaml")
    assert suite.systems == ["teacher", "student", "kd_mse", "kd_mse_lasr", "peer_contrastive", "arca", "arca_lasr", "lira_default", "lira_noise",
                             "minus_consistency", "minus_language_embedding"]
    base = suite.lira.to_dict()
    for key, value in ARCA_ALL_TERMS.items():
        section, name = key.split(".")
        assert base[section][name] == value, key
    identity = {name: run_identity(suite, SYSTEMS[name]) for name in suite.systems if SYSTEMS[name].kind == "trained"}
    assert identity["kd_mse"] == identity["kd_mse_lasr"] != identity["arca"]
    assert suite.lira.model.agents == ["transformer"]  # ARCA_ALL_TERMS pins one agent: no fusion gate for the language embedding
    assert identity["arca"] == identity["arca_lasr"] == identity["minus_consistency"] == identity["minus_language_embedding"]
    assert identity["peer_contrastive"] != identity["arca"]
    d = LiraConfig()
    default_is_the_peer = d.model.agents == ["transformer"] and d.arca.anchor_weight == 0 and d.arca.geometry_weight == 0
    assert (identity["lira_default"] == identity["peer_contrastive"]) == default_is_the_peer
    assert len(set(identity.values())) == 4 + (not default_is_the_peer)  # trained encoders per seed
    # lira_noise is LiRA default with the noise terms switched on, nothing else changed
    noise_run, default_run = run_config(suite, SYSTEMS["lira_noise"], 0), run_config(suite, SYSTEMS["lira_default"], 0)
    assert noise_run.arca.uses_noise() and not default_run.arca.uses_noise() and noise_run.arca.noise_held_out_kind == "swap"
    noise_run.arca.noise_anchor_weight = noise_run.arca.noise_consistency_weight = noise_run.arca.noise_level = noise_run.arca.noise_held_out_kind = None
    assert noise_run.arca == default_run.arca and noise_run.model == default_run.model and noise_run.data == default_run.data
    assert SYSTEMS["kd_mse_lasr"].head_consistency and SYSTEMS["arca_lasr"].head_consistency and not SYSTEMS["kd_mse"].head_consistency
    default = LiraConfig()
    lira_default = suite.lira.override(dict(SYSTEMS["lira_default"].overrides))
    assert lira_default.arca == default.arca and lira_default.model.agents == default.model.agents


def _tiny_suite(tmp_path, tiny_models, **kw) -> SuiteConfig:
    kw.setdefault("systems", ["teacher", "student", "kd_mse", "kd_mse_lasr", "peer_contrastive", "arca", "arca_lasr", "lira_default", "lira_noise",
                              "minus_consistency", "minus_language_embedding"])
    suite = SuiteConfig(
        out_dir=str(tmp_path / "report"), work_dir=str(tmp_path / "work"), seeds=[0, 1],
        noise_levels=[0.0, 0.3], few_shot_ks=[0, 4], bitext_pairs_per_language=6, product_intents=3, product_corpus_size=40,
        sts_anchors=3, reasoning_train_intents=4, reasoning_test_intents=3, head_steps=5, bootstrap_samples=100,
        english_teacher=tiny_models["teacher"], **kw,
    )
    suite.lira.data.languages = ["th", "vi"]
    suite.lira.model.student = tiny_models["student"]
    suite.lira.model.trainable_top_layers = 1
    suite.lira.model.char_ngram_buckets = 512
    suite.lira.train.max_steps, suite.lira.train.batch_size = 2, 4
    suite.lira.data.max_train_pairs_per_language = 4
    return suite


def test_noise_levels_change_the_low_resource_side_only(tmp_path, tiny_models):
    data = build_suite_data(_tiny_suite(tmp_path, tiny_models))
    clean, noisy = data.bitext[0.0].by_lang, data.bitext[0.3].by_lang
    assert [en for en, _ in clean["th"]] == [en for en, _ in noisy["th"]]
    assert sum(a != b for (_, a), (_, b) in zip(clean["vi"], noisy["vi"])) >= 4
    assert all(q["text"] == c["text"] for q, c in zip(data.products[0.3].queries, data.products[0.0].queries) if q["lang"] == "en")


def test_tiny_suite_runs_end_to_end_resumes_and_writes_the_report(tmp_path, tiny_models):
    suite = _tiny_suite(tmp_path, tiny_models)
    first = run_suite(suite, progress=False).payload
    summary = first["summary"]
    assert set(summary) == set(suite.systems) | {"lexical"}
    for system in suite.systems:
        for key, low in (("bitext/0.3/mean/x2en/acc@1", 0.0), ("products/0/lrl/ndcg@10", 0.0), ("sts/0/mean/cross/spearman", -1.0),
                         ("sts/0/mean/mono/hard/spearman", -1.0), ("reasoning/k4/0.3/mean/macro_f1", 0.0), ("reasoning/zs/0/mean/macro_f1", 0.0)):
            mean, std, n = summary[system][key]
            values = [first["runs"][system][str(seed)][key] for seed in suite.seeds]
            assert low <= min(values) and max(values) <= 1.0, (system, key, values)  # the metric's range; NaN fails too
            assert n == 2 and mean == pytest.approx(np.mean(values)) and std == pytest.approx(np.std(values, ddof=1))
    assert summary["teacher"]["bitext/0/mean/x2en/acc@1"][1] == 0.0  # untrained: no seed variance
    for a, b in (("minus_consistency", "arca_lasr"), ("minus_language_embedding", "arca"), ("kd_mse_lasr", "kd_mse")):
        assert summary[a]["sts/0/mean/cross/spearman"] == summary[b]["sts/0/mean/cross/spearman"], (a, b)  # one shared encoder
    results = next((tmp_path / "work" / "results").iterdir())
    cosines = {name: json.loads((results / f"{name}-seed0.items.json").read_text(encoding="utf-8"))["sts/0/th/cross"] for name in ("arca", "kd_mse", "kd_mse_lasr", "arca_lasr")}
    assert cosines["kd_mse_lasr"] == cosines["kd_mse"] and cosines["arca_lasr"] == cosines["arca"] != cosines["kd_mse"]  # shared, and trained apart
    trained = [key for key in first["timings"] if key.startswith("train/")]
    groups = {tuple(sorted(g)) for g in first["shared_encoders"]}
    assert {("kd_mse", "kd_mse_lasr"), ("arca", "arca_lasr", "minus_consistency", "minus_language_embedding")} <= groups
    assert len(trained) == len(groups) * len(suite.seeds), trained  # one training run per encoder and seed: the other systems reuse them
    assert first["timings"]["prefix_cache_fill_s"] > 0
    # The word-overlap baseline: the similarity task only, with no seeds.
    assert "sts/0/mean/mono/hard/spearman" in summary["lexical"] and not any(k.startswith("bitext/") for k in summary["lexical"])
    # Verdicts: Arca + LaSR against each peer on every peer metric, and every system against word overlap.
    comparisons = first["comparisons"]
    assert {"arca_lasr|kd_mse", "arca_lasr|kd_mse_lasr", "arca_lasr|peer_contrastive", "arca_lasr|lira_default", "lira_noise|lira_default", "student|lexical"} <= set(comparisons)
    assert "bitext/0.3/mean/x2en/acc@1" in comparisons["lira_noise|lira_default"]
    # the noise-terms run trained through the frozen-prefix cache: its noised copies were filled in advance
    noise_items = {name: json.loads((results / f"{name}-seed0.items.json").read_text(encoding="utf-8"))["sts/0/th/cross"] for name in ("lira_noise", "lira_default")}
    assert noise_items["lira_noise"] != noise_items["lira_default"]
    peer = comparisons["arca_lasr|kd_mse"]
    assert {"reasoning/zs/0.3/mean/macro_f1", "reasoning/k0/0/mean/macro_f1", "sts/0.3/mean/mono/hard/spearman"} <= set(peer)
    for key, result in peer.items():
        observed = summary["arca_lasr"][key][0] - summary["kd_mse"][key][0]
        assert result["delta"] == pytest.approx(observed, abs=1e-9), key  # the bootstrap tests the reported statistic
        assert result["verdict"] == ("within noise" if result["p"] >= 0.05 else "better" if result["delta"] > 0 else "worse")
    assert first["bootstrap"]["samples"] == 100 and first["bootstrap"]["items_per_language"]["reasoning"]["th"] > 0
    out = tmp_path / "report"
    for name in ("results.md", "results.html", "results.json", "noise.png", "languages.png", "fewshot.png", "ablations.png"):
        assert (out / name).stat().st_size > 0
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "### Arca + LaSR against the peers, every task and noise level" in md and "KD-MSE + LaSR head" in md
    assert "word overlap (Jaccard, no model)" in md and "hard subset" in md
    assert "zero-shot" in md and "translate-train (k=0)" in md and "k=0 " not in md.replace("translate-train (k=0)", "")
    assert "paired bootstrap over test items and seeds" in md and "100 resamples" in md
    assert "### Noise terms on and off" in md and re.search(r"Out of \d+ comparisons, the noise terms make LiRA default: better \d+", md)
    tally = re.search(r"Out of (\d+) comparisons per peer, Arca \+ LaSR is: vs KD-MSE peer: better (\d+), worse (\d+), within noise (\d+)", md)
    assert tally and sum(map(int, tally.groups()[1:])) == int(tally[1])
    assert "<table>" in (out / "results.html").read_text(encoding="utf-8")

    again = run_suite(suite, progress=False).payload  # everything stored: nothing retrained or rescored
    assert not any(k.startswith(("train/", "score/")) for k in again["timings"]) and again["summary"] == summary
    assert again["comparisons"] == comparisons  # the same seeded resamples
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["summary"] == summary
