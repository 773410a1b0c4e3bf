"""Product-search settings (issue 14): cross-lingual, mixed and paraphrase data, the dev split, the
lexical baselines, hybrid fusion (RRF and weighted, weight chosen on dev) and the report."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest

from lira.data.products import build_products, build_rows, spec
from lira.data.products.build import CATALOG_OF, MIXED_EN_SHARE
from lira.data.products.lexicon import load_lexicon
from lira.data.products.paraphrase import convert_measure, eligible_keywords
from lira.eval import fusion
from lira.eval.lexical import AllWordsRanker, JaccardRanker, LexiconTranslator, TranslatedBM25Ranker
from lira.eval.products import BM25Ranker, ProductSearchEvaluator, choose_weight, simple_tokenize
from lira.langid import char_script, dominant_script

SMALL = dict(n_products=500, n_intents=60)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("products") / "data"
    res = build_products(out, verbose=False, **SMALL)
    return out, res


def _jaccard(a: str, b: str) -> float:
    x, y = set(simple_tokenize(a)), set(simple_tokenize(b))
    return len(x & y) / len(x | y) if x | y else 0.0


def _scripts(text: str) -> set:
    return {s for s in map(char_script, text) if s is not None}


def _titles(res, split="test"):
    return {r["product_id"]: r for r in res.catalog[CATALOG_OF[split]]}


# ------------------------------------------------------------------ the data has the property claimed


def test_cross_lingual_queries_are_in_another_language_than_the_catalogue(built):
    out, res = built
    titles = _titles(res)
    lrl2en = ProductSearchEvaluator(out, setting="lrl2en")
    en2lrl = ProductSearchEvaluator(out, setting="en2lrl")
    assert sorted(lrl2en.langs) == sorted(spec.LANGS) and sorted(en2lrl.langs) == sorted(spec.LANGS)
    for lang in spec.LANGS:
        # structurally: never a title in the query's language
        assert set(lrl2en.doc_langs(lang)) == {"en"} and lrl2en.query_lang(lang) == lang
        assert set(en2lrl.doc_langs(lang)) == {lang} and en2lrl.query_lang(lang) == "en"
        assert {q["lang"] for q in en2lrl._lang_queries(lang)} == {"en"}
        # measured: a clean query shares far fewer words with the English title of its own target
        # product than with the title in its own language
        clean = [q for q in res.queries["test"] if q["lang"] == lang and q["type"] in ("short", "specific", "numeral")]
        own = statistics.fmean(_jaccard(q["text"], titles[q["target_product_id"]][f"title_{lang}"]) for q in clean)
        other = statistics.fmean(_jaccard(q["text"], titles[q["target_product_id"]]["title_en"]) for q in clean)
        assert other < own - 0.15, (lang, own, other)
    for lang in ("th", "ur", "bn"):  # non-Latin scripts: every clean query has letters of a script no English title has
        clean = [q for q in res.queries["test"] if q["lang"] == lang and q["type"] in ("short", "specific", "numeral")]
        native = char_script({"th": "ก", "ur": "ا", "bn": "ক"}[lang])
        assert native not in (None, dominant_script("abc"))
        assert clean and all(native in _scripts(q["text"]) for q in clean)
        assert all(_scripts(r["title_en"]) <= {dominant_script("abc")} for r in res.catalog["test"])


def test_mixed_catalogue_draws_one_language_per_product(built):
    out, res = built
    ev = ProductSearchEvaluator(out, setting="mixed")
    again = build_rows(**SMALL)
    for lang in spec.LANGS:
        langs = ev.doc_langs(lang)
        assert set(langs) == {"en", lang}
        share = langs.count("en") / len(langs)
        assert abs(share - MIXED_EN_SHARE) < 0.1
        texts = ev._corpus_texts(lang)
        assert all(t == r[f"title_{dl}"] for t, r, dl in zip(texts, ev.catalog, langs))
        # drawn per product with the seed: the same in another build
        assert [r[f"mixed_lang_{lang}"] for r in again.catalog["test"]] == langs


def test_paraphrases_share_fewer_words_with_the_title_than_native_queries(built):
    _, res = built
    titles = _titles(res)
    lex = load_lexicon()
    native = {(q["query_id"], q["lang"]): q for q in res.queries["test"]}
    para = res.paraphrases["test"]
    assert {q["type"] for q in para} == {"keyword", "unit"}
    pairs = [(p, native[(p["query_id"], p["lang"])]) for p in para if (p["query_id"], p["lang"]) in native]
    assert len(pairs) > 200
    for lang in spec.ALL_LANGS:
        # token Jaccard with the target's title: the paraphrase against the same intent's native query
        # (every type; then only the clean ones, short / specific / numeral, which copy the title)
        mine = [(p, n) for p, n in pairs if p["lang"] == lang]
        clean = [(p, n) for p, n in mine if n["type"] in ("short", "specific", "numeral")]
        j = lambda rows, i: statistics.fmean(_jaccard(r[i]["text"], titles[r[i]["target_product_id"]][f"title_{lang}"]) for r in rows)  # noqa: E731
        assert j(mine, 0) < j(mine, 1) - 0.05, (lang, j(mine, 0), j(mine, 1))
        assert j(clean, 0) < j(clean, 1) - 0.15, (lang, j(clean, 0), j(clean, 1))
    for p in para:
        src = json.loads(p["source"])
        if p["type"] == "keyword":
            kw = src["word"]
            # from the package, with its provenance, sharing no word with the category's noun
            assert kw in lex.keywords(f"category/{p['category']}", p["lang"])
            assert src["package"] == "cldr-annotations-full" and src["version"] and src["key"] == spec.CATEGORY_BY_ID[p["category"]].emoji
            assert not set(simple_tokenize(kw)) & set(simple_tokenize(lex.word(f"category/{p['category']}", p["lang"]).text))
            assert kw in eligible_keywords(p["category"], p["lang"], lex)
        else:
            measure = json.loads(p["constraints"])["measure"]
            assert src["as"] == list(convert_measure(measure)) and src["as"][1] != measure[1]


def test_keyword_rules_drop_colour_words_and_generic_words():
    lex = load_lexicon()
    # the 👕 emoji's keywords include "blue" (en) and "biru" (id): never a paraphrase of the noun
    assert "blue" in lex.keywords("category/t_shirt", "en") and "blue" not in eligible_keywords("t_shirt", "en", lex)
    assert "biru" in lex.keywords("category/t_shirt", "id") and "biru" not in eligible_keywords("t_shirt", "id", lex)
    # a keyword of many categories ("clothing") is generic
    assert "clothing" in lex.keywords("category/running_shoes", "en") and "clothing" not in eligible_keywords("running_shoes", "en", lex)
    assert "travel" in eligible_keywords("luggage", "en", lex)


def test_unit_conversions_by_hand():
    assert convert_measure((1.0, "kg")) == (1000.0, "g")
    assert convert_measure([250.0, "g"]) == (0.25, "kg")
    assert convert_measure((0.5, "L")) == (500.0, "mL")
    assert convert_measure((1.5, "m")) == (150.0, "cm")
    assert convert_measure((1.0, "TB")) == (1000.0, "GB")
    assert convert_measure((10.0, "kg")) is None  # nobody writes 10000 g
    assert convert_measure((32.0, "inch")) is None and convert_measure((5.0, "pcs")) is None


def test_dev_split_is_new_intents_over_the_train_catalogue_and_leaves_test_unchanged(built):
    out, res = built
    no_dev = build_rows(n_dev_intents=0, **SMALL)
    assert res.queries["test"] == no_dev.queries["test"] and res.queries["train"] == no_dev.queries["train"]
    assert res.qrels["test"] == no_dev.qrels["test"] and res.catalog == no_dev.catalog
    train_ids = {r["product_id"] for r in res.catalog["train"]}
    assert res.qrels["dev"] and {r["product_id"] for r in res.qrels["dev"]} <= train_ids
    keys = lambda split: {(q["category"], q["constraints"]) for q in res.queries[split]}  # noqa: E731
    assert not keys("dev") & keys("train") and not keys("dev") & keys("test")
    dev = ProductSearchEvaluator(out, split="dev")
    assert {r["product_id"] for r in dev.catalog} == train_ids and dev.queries[0]["query_id"].startswith("dev-")


# ------------------------------------------------------------------ lexical baselines by hand


def _rows(titles, queries, qrels, lang="th"):
    catalog = [{"product_id": f"P{i}", f"title_{lang}": t} for i, t in enumerate(titles, 1)]
    qs = [{"query_id": f"q{i}", "lang": lang, "text": t, "type": "short"} for i, t in enumerate(queries, 1)]
    rel = [{"query_id": q, "product_id": p, "label": lab, "gain": {"E": 1.0, "S": 0.1, "C": 0.01}[lab]} for q, p, lab in qrels]
    return catalog, qs, rel


def test_lexical_baselines_match_hand_computations():
    titles = ["red cotton shirt", "red shirt", "blue shoes"]
    assert JaccardRanker().scores(["red shirt"], titles, lang="th").tolist() == [[2 / 3, 1.0, 0.0]]
    assert AllWordsRanker().scores(["red shirt", "shirt green"], titles, lang="th").tolist() == [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    catalog, qs, rel = _rows(titles, ["red shirt", "cotton"], [("q1", "P1", "E"), ("q1", "P2", "S"), ("q2", "P1", "E")])
    ev = ProductSearchEvaluator(catalog=catalog, queries=qs, qrels=rel)
    j = ev.evaluate_lexical("jaccard")
    # q1: P2 (1.0, S) then P1 (2/3, E): nDCG = (0.1 + 1/log2 3) / (1 + 0.1/log2 3); q2: P1 alone (1/3), exact
    q1 = (0.1 + 1 / math.log2(3)) / (1 + 0.1 / math.log2(3))
    assert j["th/ndcg@10"] == pytest.approx((q1 + 1.0) / 2)
    assert j["th/mrr@100"] == pytest.approx((0.5 + 1.0) / 2)
    a = ev.evaluate_lexical("all_words")
    # q1: P1 and P2 tie at 1 (against the system: the substitute P2 first, the exact P1 second): same as above
    assert a["th/ndcg@10"] == pytest.approx((q1 + 1.0) / 2)
    assert a["th/all_words_coverage"] == 1.0 and j["th/all_words_coverage"] == 1.0
    catalog, qs, rel = _rows(titles, ["green shirt"], [("q1", "P2", "E")])
    a = ProductSearchEvaluator(catalog=catalog, queries=qs, qrels=rel).evaluate_lexical("all_words")
    assert a["th/ndcg@10"] == 0.0 and a["th/all_words_coverage"] == 0.0


def test_lexicon_translation_of_a_query():
    tr = LexiconTranslator()
    lex = load_lexicon()
    red, shirt = lex.word("colour/red", "th").text, lex.word("category/t_shirt", "th").text
    assert tr.translate(f"{shirt} {red}", "th") == "T-Shirt Red"
    assert tr.translate(f"{shirt}{red}", "th") == "T-Shirt Red"  # Thai: also inside a word
    kg = lex.unit("kg", "th")["long"].replace("{0}", "").strip()
    assert tr.translate(f"๕ {kg}", "th") == "5 kg"  # native digits and the unit word
    assert tr.translate("nordika xyz", "id") == "nordika xyz"  # words the lexicon lacks stay
    catalog = [{"product_id": "P1", "title_en": "Nordika Red T-Shirt"}, {"product_id": "P2", "title_en": "Nordika Blue Jeans"}]
    qs = [{"query_id": "q", "lang": "th", "text": f"{shirt} {red}", "type": "short"}]
    rel = [{"query_id": "q", "product_id": "P1", "label": "E", "gain": 1.0}]
    ev = ProductSearchEvaluator(catalog=catalog, queries=qs, qrels=rel, setting="lrl2en")
    pytest.importorskip("bm25s")
    assert ev.evaluate_bm25()["th/ndcg@10"] == 0.0  # the Thai query shares no word with English titles
    assert ev.evaluate_ranker(TranslatedBM25Ranker())["th/ndcg@10"] == pytest.approx(1.0)


# ------------------------------------------------------------------ fusion by hand


def test_rrf_matches_a_hand_computation_with_ties():
    dense = (np.array([2, 0, 1]), np.array([0.9, 0.5, 0.5]))  # ranks 1, 2.5, 2.5 (a tie shares the mean rank)
    sparse = (np.array([0, 3]), np.array([7.0, 1.0]))  # ranks 1, 2
    fused = fusion.rrf([dense, sparse], k=60)
    assert fused[2] == pytest.approx(1 / 61)
    assert fused[0] == pytest.approx(1 / 62.5 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 62.5)
    assert fused[3] == pytest.approx(1 / 62)
    assert fusion.fractional_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [1.5, 4.0, 1.5, 3.0]


def test_weighted_fusion_matches_a_hand_computation():
    dense = (np.array([0, 1, 2]), np.array([0.8, 0.6, 0.4]))  # min-max: 1, 0.5, 0
    sparse = (np.array([1, 3]), np.array([10.0, 2.0]))  # min-max: 1, 0
    fused = fusion.weighted(dense, sparse, 0.3)
    assert fused == pytest.approx({0: 0.3, 1: 0.3 * 0.5 + 0.7 * 1.0, 2: 0.0, 3: 0.0})
    assert fusion.weighted(dense, (np.array([5]), np.array([4.0])), 0.0)[5] == 1.0  # a one-item list normalises to 1
    with pytest.raises(ValueError):
        fusion.weighted(dense, sparse, 1.5)
    with pytest.raises(ValueError, match="dev"):
        fusion.fuse("weighted", dense, sparse)
    rows, scores = fusion.top_list(np.array([0.0, 3.0, 1.0, 3.0, 2.0]), 2, positive_only=True)
    assert rows.tolist() == [1, 3] and scores.tolist() == [3.0, 3.0]
    rows, _ = fusion.top_list(np.array([1.0, 2.0, 2.0, 0.5]), 2)
    assert rows.tolist() == [1, 2]
    rows, _ = fusion.top_list(np.array([2.0, 1.0, 1.0, 0.5]), 2)  # ties at the cut-off are all kept
    assert rows.tolist() == [0, 1, 2]


class TableEncoder:
    def __init__(self, table):
        self.table = table

    def encode(self, sentences, *, lang=None, prompt_name=None, batch_size=64, show_progress_bar=False):
        rows = np.asarray([self.table[s] for s in sentences], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _two_splits():
    """dev: the dense model is right and BM25 wrong; test: the other way round."""
    e = np.eye(3)
    titles = ["alpha beta", "gamma delta", "epsilon zeta"]
    table = {t: e[i] for i, t in enumerate(titles)}

    def split(query, right, dense_pick):
        table[query] = e[dense_pick] + 0.01
        return _rows(titles, [query], [("q1", f"P{right + 1}", "E")])

    dev = split("alpha query", right=1, dense_pick=1)  # BM25 finds P1 (shares "alpha"); dense finds P2, the exact one
    test = split("gamma query", right=0, dense_pick=2)  # BM25 finds P2; dense P3; the exact one is P1
    return dev, test, TableEncoder(table)


def test_hybrid_weight_is_chosen_on_dev_and_never_on_test():
    pytest.importorskip("bm25s")
    (dc, dq, dr), (tc, tq, trl), enc = _two_splits()
    dev = ProductSearchEvaluator(catalog=dc, queries=dq, qrels=dr, split="dev")
    test = ProductSearchEvaluator(catalog=tc, queries=tq, qrels=trl, split="test")

    def forbidden(*a, **k):
        raise AssertionError("the test split was read while choosing the weight")

    for name in ("score_matrices", "hybrid_scores", "dense_scores", "ranker_scores", "top_lists", "_score"):
        setattr(test, name, forbidden)
    weight, curve = choose_weight(dev, dev.dense_scores(enc), dev.ranker_scores(BM25Ranker()))
    # weights above 0.5 put the dense model's exact product first; at 0.5 it ties BM25's pick and
    # ties count against the system; the first best weight of the grid wins
    assert weight == 0.6 and curve[1.0] == 1.0 and curve[0.5] < 1.0 and curve[0.0] < 1.0
    assert list(curve) == list(fusion.WEIGHT_GRID)
    with pytest.raises(ValueError, match="never on test"):
        choose_weight(ProductSearchEvaluator(catalog=tc, queries=tq, qrels=trl, split="test"), {"th": np.zeros((1, 3))}, {"th": np.zeros((1, 3))})


def test_hybrid_evaluation_matches_the_fusion_functions():
    pytest.importorskip("bm25s")
    (dc, dq, dr), _, enc = _two_splits()
    ev = ProductSearchEvaluator(catalog=dc, queries=dq, qrels=dr)
    dense, sparse = ev.dense_scores(enc), ev.ranker_scores(BM25Ranker())
    fused = ev.hybrid_scores(dense, sparse, "rrf")["th"][0]
    expected = fusion.rrf([fusion.top_list(dense["th"][0]), fusion.top_list(sparse["th"][0], positive_only=True)])
    assert fused.tolist() == pytest.approx([expected.get(i, 0.0) for i in range(3)])
    assert ev.evaluate_hybrid(enc, method="weighted", weight=1.0)["th/ndcg@10"] == pytest.approx(1.0)
    assert ev.evaluate_hybrid(enc, method="weighted", weight=0.0)["th/ndcg@10"] < 1.0


# ------------------------------------------------------------------ the report


class HashEncoder:
    """A tiny dense model: hashed bag of words, 32 dimensions."""

    def encode(self, sentences, *, lang=None, prompt_name=None, batch_size=64, show_progress_bar=False):
        import hashlib

        out = np.zeros((len(sentences), 32), dtype=np.float32)
        for i, s in enumerate(sentences):
            for w in simple_tokenize(s):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % 32] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_report_runs_every_row_and_chooses_weights_on_dev(built, tmp_path, monkeypatch):
    pytest.importorskip("bm25s")
    from lira.eval import products_report
    from lira.eval.products_report import ReportConfig, run_products_report

    import lira.models.encoders

    monkeypatch.setattr(lira.models.encoders, "load_encoder", lambda name, **kw: HashEncoder())
    splits_seen = []
    real_choose = products_report.choose_weight

    def spy(dev, *a, **k):
        splits_seen.append(dev.split)
        return real_choose(dev, *a, **k)

    monkeypatch.setattr(products_report, "choose_weight", spy)
    data, _ = built
    cfg = ReportConfig(data=str(data), out_dir=str(tmp_path / "rep"), models=[("hash", "x")], settings=["native", "lrl2en", "paraphrase"],
                       noise_levels=[0.0, 0.1], intents=20, corpus_size=120)
    payload = run_products_report(cfg)
    assert splits_seen and set(splits_seen) == {"dev"}
    for name in ("benchmark.md", "benchmark.json", "benchmark.png"):
        assert (tmp_path / "rep" / name).is_file()
    res = payload["results"]
    assert {"jaccard", "all_words", "bm25", "bm25_translated", "student", "student+rrf", "student+weighted",
            "model:hash", "model:hash+rrf", "model:hash+weighted"} <= set(res)
    assert set(res["bm25"]) == {"native", "lrl2en", "paraphrase"} and set(res["bm25"]["native"]) == {"0", "0.1"}
    assert all(w["chosen_on"] == "dev" for by in payload["weights"].values() for w in by.values())
    assert payload["counts"]["test"]["intents"] == 20 and payload["counts"]["test"]["products"] == 120
    names = {t["target"] for t in payload["targets"]}
    assert any(n.startswith("cross-lingual") for n in names) and "native: hybrid >= BM25 in every language" in names
    md = (tmp_path / "rep" / "benchmark.md").read_text(encoding="utf-8")
    assert "| token Jaccard |" in md and "## Targets" in md
    # per-query nDCG@10 is kept for every row; its mean is the row's language mean
    from lira.eval.products_significance import read_per_query

    per_query, keys = read_per_query(tmp_path / "rep", payload["data_fingerprint"])
    assert keys["student"]["native"]["0.1"] == keys["bm25"]["native"]["0.1"] != keys["bm25"]["native"]["0"]  # the noised texts differ
    for system in ("bm25", "student", "model:hash+weighted"):
        for lang in ("th", "bn"):
            assert np.mean(per_query[system]["native"]["0"][lang]) == pytest.approx(res[system]["native"]["0"][f"{lang}/ndcg@10"], abs=1e-4)
    sig = payload["significance"]
    kinds = {(r["kind"], r["a"], r["b"], r["setting"], r["noise"]) for r in sig["rows"]}
    assert ("trained model vs untrained student", "student", "model:hash", "native", "0.1") in kinds
    assert ("weighted hybrid vs BM25", "bm25", "model:hash+weighted", "paraphrase", "0") in kinds
    assert ("translated hybrid vs translated BM25", "bm25_translated", "student+translated_weighted", "lrl2en", "0") in kinds
    assert {(s, n) for k, a, b, s, n in kinds if k == "trained model vs translated BM25"} == {("lrl2en", "0"), ("lrl2en", "0.1")}
    for r in sig["rows"]:
        assert r["delta"] == pytest.approx(payload_mean7(res, r["b"], r["setting"], r["noise"]) - payload_mean7(res, r["a"], r["setting"], r["noise"]), abs=1e-3)
        assert r["low"] <= r["delta"] <= r["high"] and 0 <= r["p"] <= 1
    assert sig["missing"] == 0 and "## Significance" in md
    # a lexical-only rerun on the same data keeps the dense rows, and their per-query scores
    cfg.skip_dense = True
    again = run_products_report(cfg)
    assert "model:hash+weighted" in again["results"] and again["results"]["student"] == res["student"]
    assert again["significance"]["rows"] == sig["rows"]
    # the --compare pairs of an earlier run stay with its models through a --skip-dense rerun and a redraw
    cfg.skip_dense, cfg.compare = False, [("untrained student", "hash")]
    run_products_report(cfg)
    cfg.skip_dense, cfg.compare = True, []
    kept = run_products_report(cfg)
    assert kept["config"]["compare"] == [["untrained student", "hash"]] and any(r["kind"] == "named pair" for r in kept["significance"]["rows"])
    from lira.eval.products_report import render_from_json

    render_from_json(tmp_path / "rep")
    assert "| named pair |" in (tmp_path / "rep" / "benchmark.md").read_text(encoding="utf-8")
    cfg.skip_dense = False
    # a named pair of a misspelt label is refused before any scoring
    cfg.compare = [("hash", "nope")]
    with pytest.raises(ValueError, match="--compare: no model labelled 'nope'"):
        run_products_report(cfg)
    cfg.compare = [("untrained student", "hash")]
    named = [r for r in run_products_report(cfg)["significance"]["rows"] if r["kind"] == "named pair"]
    assert {(r["a"], r["b"]) for r in named} == {("student", "model:hash")} and {r["setting"] for r in named} == {"native", "lrl2en", "paraphrase"}


def payload_mean7(res, system, setting, tag):
    return float(np.mean([res[system][setting][tag][f"{lang}/ndcg@10"] for lang in ("th", "vi", "id", "ms", "fil", "ur", "bn")]))


def test_report_fuses_dense_with_lexicon_translated_bm25_in_lrl2en(built, tmp_path, monkeypatch):
    pytest.importorskip("bm25s")
    from lira.eval import products_report
    from lira.eval.products_report import ReportConfig, load_rows, make_evaluator, run_products_report, summary_table

    import lira.models.encoders

    monkeypatch.setattr(lira.models.encoders, "load_encoder", lambda name, **kw: HashEncoder())
    calls = []
    real_choose = products_report.choose_weight

    def spy(dev, dense, sparse, **k):
        best, curve = real_choose(dev, dense, sparse, **k)
        calls.append((dev.split, dev.setting, sparse, best))
        return best, curve

    monkeypatch.setattr(products_report, "choose_weight", spy)
    data, _ = built
    cfg = ReportConfig(data=str(data), out_dir=str(tmp_path / "rep"), models=[("hash", "x")], settings=["native", "lrl2en"],
                       noise_levels=[0.0, 0.1], intents=20, corpus_size=120)
    payload = run_products_report(cfg)
    res, labels = payload["results"], payload["labels"]
    test_rows, dev_rows = load_rows(data, "test", cfg), load_rows(data, "dev", cfg)
    enc = HashEncoder()

    # the bm25_translated row is what evaluate_ranker(TranslatedBM25Ranker()) gives, at every level
    for lvl in (0.0, 0.1):
        ev = make_evaluator(test_rows, "test", "lrl2en", lvl, cfg.batch_size)
        assert res["bm25_translated"]["lrl2en"][f"{lvl:g}"] == ev.evaluate_ranker(TranslatedBM25Ranker())

    dev = make_evaluator(dev_rows, "dev", "lrl2en", 0.0, cfg.batch_size)
    dev_translated = dev.ranker_scores(TranslatedBM25Ranker())
    assert all(split == "dev" for split, *_ in calls)
    for key, label in (("student", "untrained student"), ("model:hash", "hash")):
        for h in ("translated_rrf", "translated_weighted"):
            # lrl2en only, at its clean and noised levels
            assert set(res[f"{key}+{h}"]) == {"lrl2en"} and set(res[f"{key}+{h}"]["lrl2en"]) == {"0", "0.1"}
        assert labels[f"{key}+translated_rrf"] == f"hybrid RRF (lexicon-translated BM25 + {label})"
        assert labels[f"{key}+translated_weighted"] == f"hybrid weighted (lexicon-translated BM25 + {label}, weight on dev)"
        # the weight is chosen on lrl2en's dev split against the translated BM25 scores: the stored
        # curve's first best weight of the grid
        w = payload["weights"][key]["lrl2en_translated"]
        curve = {float(k): v for k, v in w["dev_curve"].items()}
        assert w["chosen_on"] == "dev" and list(curve) == list(fusion.WEIGHT_GRID)
        assert w["weight"] == max(curve, key=lambda x: (curve[x], -list(curve).index(x)))
        assert any(split == "dev" and setting == "lrl2en" and best == w["weight"]
                   and all(np.array_equal(sparse[lang], dev_translated[lang]) for lang in dev_translated)
                   for split, setting, sparse, best in calls)
        # the rows are the dense ranking fused with the translated BM25 of that level's (noised) queries
        for lvl in (0.0, 0.1):
            ev = make_evaluator(test_rows, "test", "lrl2en", lvl, cfg.batch_size)
            dense = ev.dense_scores(enc)
            sparse = {lang: m.astype(np.float32) for lang, m in ev.ranker_scores(TranslatedBM25Ranker()).items()}
            got = res[f"{key}+translated_weighted"]["lrl2en"][f"{lvl:g}"]
            assert got == pytest.approx(ev.score_matrices(ev.hybrid_scores(dense, sparse, "weighted", weight=w["weight"])))
            assert res[f"{key}+translated_rrf"]["lrl2en"][f"{lvl:g}"] == pytest.approx(ev.score_matrices(ev.hybrid_scores(dense, sparse, "rrf")))
        # the translated hybrids are not dense models: no "trained" target names them
        assert not any(t["system"].startswith(f"{key}+translated") and "trained" in t["target"] for t in payload["targets"])

    # the targets: per dense model, the better translated hybrid against 0.80 and against translated BM25 alone
    name = "cross-lingual hybrid (dense + lexicon-translated BM25): >= 0.80 and >= translated BM25 alone (mean nDCG@10, 7 languages)"
    rows = [t for t in payload["targets"] if t["target"] == name]
    bm25_x = products_report._mean7(payload, "bm25_translated", "lrl2en")
    assert len(rows) == 4
    for key in ("student", "model:hash"):
        mine = [t for t in rows if t["system"].startswith(f"{key}+translated_")]
        best = max(products_report._mean7(payload, f"{key}+{h}", "lrl2en") for h in ("translated_rrf", "translated_weighted"))
        assert sorted(t["threshold"] for t in mine) == sorted([0.80, bm25_x])
        assert all(t["value"] == best and t["note"] == "best of the two translated hybrids" and t["met"] == (best >= t["threshold"]) for t in mine)
    assert {t["system"] for t in payload["targets"] if t["target"] == "cross-lingual: trained >= 0.80 absolute"} == {"model:hash"}

    # every table shows the rows, after the model's own hybrids; other settings print "–"
    order = products_report._order(payload)
    assert order.index("model:hash+weighted") + 1 == order.index("model:hash+translated_rrf") == order.index("model:hash+translated_weighted") - 1
    line = next(l for l in summary_table(payload).splitlines() if l.startswith("| hybrid weighted (lexicon-translated BM25 + hash, weight on dev) |"))
    assert line.split(" | ")[1] == "–" and line.split(" | ")[2] != "–"  # native: –, lrl2en: a number
    md = (tmp_path / "rep" / "benchmark.md").read_text(encoding="utf-8")
    lrl2en_section = md.split("## `lrl2en`")[1]
    native_section = md.split("## `native`")[1].split("## `lrl2en`")[0]
    assert "| hybrid RRF (lexicon-translated BM25 + hash) |" in lrl2en_section and "lexicon-translated BM25 +" not in native_section
    assert "lrl2en (lexicon-translated BM25)" in md


def test_cli_eval_products_settings_baselines_and_hybrid(built, tiny_models, tmp_path):
    pytest.importorskip("bm25s")
    from typer.testing import CliRunner

    from lira.cli import app

    data, _ = built
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "products", "--model", "all-words", "--data", str(data), "--setting", "paraphrase", "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "setting paraphrase" in result.output
    assert json.loads((tmp_path / "p" / "products.json").read_text())["mean/all_words_coverage"] < 0.02  # a paraphrase hardly ever holds only title words
    result = runner.invoke(app, ["eval", "products", "--model", "bm25-translated", "--data", str(data), "--setting", "lrl2en", "--noise", "0.1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["eval", "products", "--model", tiny_models["student"], "--data", str(data), "--setting", "mixed", "--hybrid", "weighted"])
    assert result.exit_code == 0, result.output
    assert "weight chosen on dev" in result.output
    assert runner.invoke(app, ["eval", "products", "--model", "bm25", "--data", str(data), "--hybrid", "rrf"]).exit_code != 0
    assert runner.invoke(app, ["eval", "products", "--model", "bm25", "--data", str(data), "--setting", "nope"]).exit_code != 0


def test_translated_hybrid_target_names_a_model_scored_before_it_existed():
    """A model whose lrl2en rows a merged earlier run wrote has no translated hybrid: its target row
    says "not measured" instead of the model dropping out of the target silently."""
    from lira.eval.products_report import targets

    langs = ["th", "vi", "id", "ms", "fil", "ur", "bn"]
    cells = lambda v: {"0": {f"{lang}/ndcg@10": v for lang in langs}}  # noqa: E731
    payload = {"results": {"student": {"lrl2en": cells(0.5)}, "model:a": {"lrl2en": cells(0.6)},
                           "model:a+translated_weighted": {"lrl2en": cells(0.9)}, "bm25_translated": {"lrl2en": cells(0.8)}}}
    rows = [t for t in targets(payload) if t["target"].startswith("cross-lingual hybrid")]
    assert [(t["system"], t["met"]) for t in rows] == [("student", None), ("model:a+translated_weighted", True), ("model:a+translated_weighted", True)]
    assert rows[0]["note"].startswith("not measured for this model")
    assert sorted(t["threshold"] for t in rows[1:]) == [pytest.approx(0.8), 0.8]
    # No model measured: one "not measured" row per model, and no report-wide row repeating it.
    old = {"results": {"student": {"lrl2en": cells(0.5)}, "model:a": {"lrl2en": cells(0.6)}, "bm25_translated": {"lrl2en": cells(0.8)}}}
    rows = [t for t in targets(old) if t["target"].startswith("cross-lingual hybrid")]
    assert [t["system"] for t in rows] == ["student", "model:a"] and all(t["note"].startswith("not measured for this model") for t in rows)


def test_significance_rows_hand_checked_and_missing_rows_counted():
    from lira.eval.products_report import comparisons
    from lira.eval.products_significance import significance_markdown, significance_rows

    langs = ["th", "vi", "id", "ms", "fil", "ur", "bn"]
    zero, one = {lang: [0.0] * 30 for lang in langs}, {lang: [1.0] * 30 for lang in langs}
    cell = lambda v: {"native": {"0": {f"{lang}/ndcg@10": v for lang in langs}}}  # noqa: E731
    payload = {"results": {"student": cell(0.0), "model:a": cell(1.0), "model:old": cell(0.5)},
               "labels": {"student": "untrained student (dense)", "model:a": "a (dense)", "model:old": "old (dense)"}}
    per_query = {"student": {"native": {"0": zero}}, "model:a": {"native": {"0": one}}}
    keys = {s: {"native": {"0": {lang: "same queries" for lang in langs}}} for s in ("student", "model:a")}
    sig = significance_rows(payload, per_query, comparisons(payload, [("a", "untrained student")]), keys, samples=200)
    by_pair = {(r["a"], r["b"]): r for r in sig["rows"]}
    # every query better by exactly 1: the difference, its interval and p are exact
    assert by_pair[("student", "model:a")]["delta"] == 1.0 and by_pair[("student", "model:a")]["low"] == 1.0
    assert by_pair[("student", "model:a")]["p"] == 0.0
    assert by_pair[("model:a", "student")]["delta"] == -1.0  # the named pair, B - A
    assert sig["missing"] == 1  # model:old has rows but no per-query scores
    # lists of other queries (another order, other noised texts) are refused, not paired item by item
    shuffled = {**keys, "model:a": {"native": {"0": {**keys["model:a"]["native"]["0"], "th": "other queries"}}}}
    refused = significance_rows(payload, per_query, comparisons(payload), shuffled, samples=200)
    assert refused["rows"] == [] and refused["unaligned"] == 1
    assert significance_rows(payload, per_query, comparisons(payload), None, samples=200)["unaligned"] == 1  # keys unknown: refused too
    md = significance_markdown({**payload, "significance": sig})
    assert "1 comparison cells are left out" in md and "| trained model vs untrained student | untrained student (dense) | a (dense) | native | 0 | +1.000 |" in md
