"""Product-search dataset (lira.data.products) and its evaluator (lira.eval.products)."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

from lira.data.products import build_products, build_rows, judge
from lira.data.products import spec
from lira.data.products.build import MIN_PRODUCTS, MIN_TEST_QUERIES
from lira.data.products.grammar import fmt_measure, product_title
from lira.data.products.lexicon import load_lexicon
from lira.data.products.noise import misspell
from lira.eval.products import ProductSearchEvaluator, ndcg_at_k, rank_ties_last


def _p(category, **attrs):
    base = {"category": category, "brand": "Voltix", "colour": None, "material": None, "gender": None,
            "size": None, "measure": None, "model": None}
    base.update(attrs)
    return base


# ------------------------------------------------------------------ label rules


def test_exact_needs_category_and_every_constraint():
    shirt = _p("t_shirt", colour="red", gender="women", size="M")
    assert judge("t_shirt", {"colour": "red"}, shirt) == "E"
    assert judge("t_shirt", {"colour": "red", "gender": "women", "size": "M"}, shirt) == "E"
    assert judge("t_shirt", {}, shirt) == "E"


def test_same_category_with_a_failed_constraint_is_substitute():
    shirt = _p("t_shirt", colour="blue", gender="women")
    assert judge("t_shirt", {"colour": "red"}, shirt) == "S"
    assert judge("t_shirt", {"colour": "blue", "brand": "Nordika"}, shirt) == "S"


def test_unisex_satisfies_men_and_women_but_not_kids():
    coat = _p("coat", gender="unisex")
    assert judge("coat", {"gender": "men"}, coat) == "E"
    assert judge("coat", {"gender": "women"}, coat) == "E"
    assert judge("coat", {"gender": "kids"}, coat) == "S"


def test_measure_must_match_value_and_unit():
    rice = _p("rice", measure=(5.0, "kg"))
    assert judge("rice", {"measure": [5.0, "kg"]}, rice) == "E"
    assert judge("rice", {"measure": [5.0, "g"]}, rice) == "S"
    assert judge("rice", {"measure": [10.0, "kg"]}, rice) == "S"


def test_listed_substitutes_complements_and_the_rest():
    # laptop <-> desktop_computer are substitutes; laptop -> computer_mouse a complement
    assert judge("laptop", {"brand": "Voltix"}, _p("desktop_computer", brand="Nexora")) == "S"
    assert judge("laptop", {}, _p("computer_mouse")) == "C"
    assert judge("computer_mouse", {}, _p("laptop")) == "C"  # complements are symmetric
    assert judge("laptop", {}, _p("banana")) == "I"
    assert judge("rice", {}, _p("noodles")) == "S"


# ------------------------------------------------------------------ real build


@pytest.fixture(scope="module")
def full():
    return build_rows()  # default seed and sizes, no files


def test_counts_meet_minimums(full):
    for lang in spec.ALL_LANGS:
        s = full.stats["languages"][lang]
        assert s["products_total"] >= MIN_PRODUCTS
        assert s["products"]["test"] >= MIN_PRODUCTS  # the test catalogue alone
        assert s["queries"]["test"] >= MIN_TEST_QUERIES
    assert set(full.stats["languages"]) == set(spec.ALL_LANGS)


def test_splits_are_disjoint(full):
    train_ids = {r["product_id"] for r in full.catalog["train"]}
    test_ids = {r["product_id"] for r in full.catalog["test"]}
    assert train_ids and test_ids and not train_ids & test_ids
    train_titles = {r["title_en"] for r in full.catalog["train"]}
    assert not train_titles & {r["title_en"] for r in full.catalog["test"]}
    train_q = {q["query_id"] for q in full.queries["train"]}
    assert not train_q & {q["query_id"] for q in full.queries["test"]}
    for lang in spec.ALL_LANGS:
        tr = {q["text"] for q in full.queries["train"] if q["lang"] == lang}
        te = {q["text"] for q in full.queries["test"] if q["lang"] == lang}
        assert not tr & te, lang
    # qrels only point at products of their own split, and every query has an exact product
    for split in ("train", "test"):
        ids = {r["product_id"] for r in full.catalog[split]}
        assert {r["product_id"] for r in full.qrels[split]} <= ids
        exact = {r["query_id"] for r in full.qrels[split] if r["label"] == "E"}
        assert {q["query_id"] for q in full.queries[split]} <= exact


def test_queries_tagged_with_every_type(full):
    types = {(q["lang"], q["type"]) for q in full.queries["test"]}
    for lang in spec.LANGS:
        for t in ("short", "specific", "misspelled", "code_mixed", "numeral"):
            assert (lang, t) in types
    for lang in ("th", "ur", "bn"):
        assert (lang, "romanised") in types
        roman = [q["text"] for q in full.queries["test"] if q["lang"] == lang and q["type"] == "romanised"]
        assert all(q.isascii() for q in roman)
    # native digits in Thai / Bengali / Urdu numeral queries
    for lang, digits in (("th", "๐๑๒๓๔๕๖๗๘๙"), ("bn", "০১২৩৪৫৬৭৮৯"), ("ur", "۰۱۲۳۴۵۶۷۸۹")):
        num = [q["text"] for q in full.queries["test"] if q["lang"] == lang and q["type"] == "numeral"]
        assert num and all(any(c in digits for c in t) for t in num)


def test_word_order_per_language():
    lex = load_lexicon()
    shirt = _p("t_shirt", brand="Nordika", colour="red", gender="women")
    th, _ = product_title(shirt, "th", lex)
    assert th.index("เสื้อยืด") < th.index("สีแดง")  # head noun first
    vi, _ = product_title(shirt, "vi", lex)
    assert vi.lower().index("áo phông") < vi.index("đỏ")
    ur, _ = product_title(shirt, "ur", lex)
    assert ur.index("سرخ") < ur.index("ٹی شرٹ")  # head-final
    bn, _ = product_title(shirt, "bn", lex)
    assert bn.index("লাল") < bn.index("টি-শার্ট")
    fil, _ = product_title(shirt, "fil", lex)
    assert "kamisetang pula" in fil.lower()  # linker -ng after a vowel
    en, _ = product_title(shirt, "en", lex)
    assert en == "Nordika Women's Red T-Shirt"


def test_untranslated_attributes_stay_english_and_are_recorded():
    lex = load_lexicon()
    title, untr = product_title(_p("t_shirt", material="cotton"), "th", lex)
    assert "cotton" in title and untr == ["material/cotton"]
    # every shipped entry states its source
    for e in lex.entries:
        assert e["source"]["package"] and e["source"]["version"] and e["source"]["file"]
        assert any(k in e["source"] for k in ("key", "msgid"))


def test_measures_use_cldr_patterns_and_digits():
    lex = load_lexicon()
    assert fmt_measure((1.5, "L"), "vi", lex) == "1,5 L"
    assert fmt_measure((5.0, "kg"), "th", lex, style="long", native=True) == "๕ กิโลกรัม"
    assert fmt_measure((5.0, "kg"), "bn", lex, style="long", native=True) == "৫ কিলোগ্রাম"


def test_misspell_changes_local_words_only():
    import random

    rng = random.Random(0)
    for _ in range(20):
        text, ops = misspell("nordika kemeja merah", "ms", rng, protect={"nordika"})
        assert ops and text != "nordika kemeja merah" and text.startswith("nordika ")


# ------------------------------------------------------------------ determinism


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def test_build_is_deterministic_by_seed(tmp_path):
    kw = dict(n_products=500, n_intents=60, verbose=False)
    build_products(tmp_path / "a", seed=1, **kw)
    build_products(tmp_path / "b", seed=1, **kw)
    build_products(tmp_path / "c", seed=2, **kw)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    import datasets

    dd = datasets.load_from_disk(str(tmp_path / "a" / "queries"))
    assert set(dd) == {"train", "test", "dev"} and dd["test"].num_rows > 0
    assert set(datasets.load_from_disk(str(tmp_path / "a" / "catalog"))) == {"train", "test"}  # dev searches the train catalogue
    assert set(datasets.load_from_disk(str(tmp_path / "a" / "paraphrases"))) == {"train", "test", "dev"}
    card = (tmp_path / "a" / "README.md").read_text(encoding="utf-8")
    assert "| lang | products (train / test)" in card and "## Label rules" in card


# ------------------------------------------------------------------ evaluator


class FakeEncoder:
    """Fixed vectors per text; records the (prompt_name, lang) of each call."""

    def __init__(self, vectors):
        self.vectors, self.calls = vectors, []

    def encode(self, sentences, *, lang=None, prompt_name=None, batch_size=64, show_progress_bar=False):
        self.calls.append((prompt_name, lang, len(sentences)))
        out = np.asarray([self.vectors[s] for s in sentences], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _tiny():
    catalog = [{"product_id": f"P{i}", "title_th": f"p{i}", "title_en": f"p{i}"} for i in (1, 2, 3)]
    queries = [
        {"query_id": "q1", "lang": "th", "text": "q1", "type": "short"},
        {"query_id": "q2", "lang": "th", "text": "q2", "type": "misspelled"},
    ]
    qrels = [
        {"query_id": "q1", "product_id": "P1", "label": "E", "gain": 1.0},
        {"query_id": "q1", "product_id": "P2", "label": "S", "gain": 0.1},
        {"query_id": "q2", "product_id": "P3", "label": "E", "gain": 1.0},
    ]
    e = np.eye(3)
    vectors = {"p1": e[0], "p2": e[1], "p3": e[2],
               "q1": 0.6 * e[0] + 0.8 * e[1],  # ranks P2 (S), P1 (E), P3
               "q2": 0.9 * e[2] + 0.1 * e[0]}  # ranks P3 (E) first
    return catalog, queries, qrels, vectors


def test_evaluator_metrics_on_hand_computed_example():
    catalog, queries, qrels, vectors = _tiny()
    ev = ProductSearchEvaluator(catalog=catalog, queries=queries, qrels=qrels)
    enc = FakeEncoder(vectors)
    m = ev(enc)
    ndcg_q1 = (0.1 + 1.0 / math.log2(3)) / (1.0 + 0.1 / math.log2(3))
    assert m["th/short/ndcg@10"] == pytest.approx(ndcg_q1)
    assert m["th/short/mrr@100"] == pytest.approx(0.5)
    assert m["th/misspelled/ndcg@10"] == pytest.approx(1.0)
    assert m["th/ndcg@10"] == pytest.approx((ndcg_q1 + 1.0) / 2)
    assert m["th/mrr@100"] == pytest.approx(0.75)
    assert m["th/recall@100"] == pytest.approx(1.0)
    assert m["mean/ndcg@10"] == pytest.approx(m["th/ndcg@10"])
    assert enc.calls == [("passage", "th", 3), ("query", "th", 2)]
    assert ndcg_at_k(["P3", "P1"], {"P1": 1.0}, 1) == 0.0


def test_ties_count_against_the_model():
    # A constant encoder ties every product: unjudged first, then by gain, exact last (in
    # catalogue order it would rank q1's exact P1 first).
    catalog, queries, qrels, vectors = _tiny()
    m = ProductSearchEvaluator(catalog=catalog, queries=queries, qrels=qrels)(FakeEncoder({t: np.ones(3) for t in vectors}))
    # q1: P3 (unjudged), P2 (S), P1 (E); q2: P1, P2 (unjudged, catalogue order), P3 (E).
    assert m["th/short/ndcg@10"] == pytest.approx((0.1 / math.log2(3) + 1.0 / 2) / (1.0 + 0.1 / math.log2(3)))
    assert m["th/misspelled/ndcg@10"] == pytest.approx(0.5)
    assert m["th/mrr@100"] == pytest.approx(1 / 3)
    # A tie across the top-k cut-off goes against the exact product too.
    top = rank_ties_last(np.array([0.5, 0.5, 0.5, 0.1]), 2, np.array([1.0, 0.0, 0.1, 0.0]), np.array([1.0, 0.0, 0.0, 0.0]))
    assert top.tolist() == [1, 2]


def test_bm25_ties_count_against_it():
    pytest.importorskip("bm25s")
    catalog = [{"product_id": "P1", "title_th": "red shirt"}, {"product_id": "P2", "title_th": "red shirt"},
               {"product_id": "P3", "title_th": "blue shoes"}]
    queries = [{"query_id": "q", "lang": "th", "text": "red shirt", "type": "short"}]
    qrels = [{"query_id": "q", "product_id": "P2", "label": "E", "gain": 1.0}]
    m = ProductSearchEvaluator(catalog=catalog, queries=queries, qrels=qrels).evaluate_bm25()
    # P1 ties the exact P2 and goes first (bm25s itself returns P2 first); P3 scores 0 and is left out.
    assert m["th/mrr@100"] == pytest.approx(0.5)
    assert m["th/ndcg@10"] == pytest.approx(1 / math.log2(3))


def test_evaluator_document_prompt_is_passed_to_the_encoder_and_validated():
    catalog, queries, qrels, vectors = _tiny()
    enc = FakeEncoder(vectors)
    m = ProductSearchEvaluator(catalog=catalog, queries=queries, qrels=qrels, document_prompt="query")(enc)
    assert enc.calls == [("query", "th", 3), ("query", "th", 2)]
    assert m["th/ndcg@10"] == pytest.approx(ProductSearchEvaluator(catalog=catalog, queries=queries, qrels=qrels)(FakeEncoder(vectors))["th/ndcg@10"])
    with pytest.raises(ValueError, match="document_prompt"):
        ProductSearchEvaluator(catalog=catalog, queries=queries, qrels=qrels, document_prompt="")


def test_evaluator_scores_bm25():
    pytest.importorskip("bm25s")
    catalog = [{"product_id": "P1", "title_th": "red shirt nordika"}, {"product_id": "P2", "title_th": "blue shoes"},
               {"product_id": "P3", "title_th": "green shirt"}]
    queries = [{"query_id": "q", "lang": "th", "text": "red shirt", "type": "short"}]
    qrels = [{"query_id": "q", "product_id": "P1", "label": "E", "gain": 1.0},
             {"query_id": "q", "product_id": "P3", "label": "S", "gain": 0.1}]
    m = ProductSearchEvaluator(catalog=catalog, queries=queries, qrels=qrels).evaluate_bm25()
    assert m["th/ndcg@10"] == pytest.approx(1.0)
    assert m["th/mrr@100"] == pytest.approx(1.0)


def test_product_baselines_takes_several_labelled_arca_models():
    from lira.eval.product_baselines import arca_models, markdown, row_name

    assert arca_models("runs/demo/model") == [("arca", "runs/demo/model")]
    assert arca_models(["ui=runs/a", "shop=runs/b"]) == [("arca:ui", "runs/a"), ("arca:shop", "runs/b")]
    assert [row_name(k) for k in ("student", "arca", "arca:shop")] == ["untrained student", "Arca", "Arca (shop)"]
    assert arca_models([""]) == [] and arca_models(None) == []
    with pytest.raises(ValueError, match="label each"):
        arca_models(["runs/a", "runs/b"])
    with pytest.raises(ValueError, match="LABEL=PATH"):
        arca_models(["shop="])
    results = {"student": {"th/ndcg@10": 0.5, "mean/ndcg@10": 0.5}, "arca:shop": {"th/ndcg@10": 0.75, "mean/ndcg@10": 0.75}}
    table = markdown(results, ["th"])
    assert "| untrained student | 0.500 | 0.500 |" in table and "| Arca (shop) | 0.750 | 0.750 |" in table
