"""Product search: nDCG@10, recall@100 and MRR per language and per query type, in five settings.

Data: the folder ``lira.data.products.build_products`` writes (``catalog``, ``queries``,
``qrels``, ``paraphrases``; query splits train / test / dev, dev judged against the train
catalogue). Settings (``SETTINGS``, ``setting=``):

* ``native``: queries of each language against the titles in that language (the original setting);
* ``lrl2en``: low-resource queries against the English titles (``corpus="en"``, its older name);
* ``en2lrl``: English queries against each low-resource language's titles (the metric's language is
  the catalogue's);
* ``mixed``: low-resource queries against a catalogue where each product is titled either in
  English or in the query's language (``mixed_lang_<lang>``, drawn per product with the build seed);
* ``paraphrase``: the paraphrase queries (``lira.data.products.paraphrase``) against native titles.

``noise=LEVEL`` noises the queries (never the titles) with ``lira.data.noise.apply_noise`` as the
suite does (``noised_queries``). Queries are encoded with ``prompt_name="query"``, products with
``prompt_name=document_prompt`` ("passage" by default, e5's asymmetric retrieval convention), each
with its own language (a mixed catalogue is encoded language by language); the exact inner product
of the (L2-normalised) vectors ranks the products. Ties count against the model: among products with
equal scores, unjudged ones come first, then judged ones by increasing gain (exact products last),
so a constant encoder scores as badly as its scores allow, not by the catalogue's order.
``document_prompt="query"`` encodes titles as queries (e5's convention for symmetric tasks: on this
catalogue's short titles the untrained e5 student scores 0.735 mean nDCG@10 that way against 0.695,
README "Product-search benchmark").

Metrics (per query, then averaged per language, per language and query type, and over
languages as ``mean/...``):

* ``ndcg@10``: graded gains E=1.0, S=0.1, C=0.01, I=0 (Shopping Queries / KDD Cup 2022);
  the ideal ranking is built from all judged products of the query.
* ``recall@100``: share of the query's exact (E) products in the top 100.
* ``mrr@100``: reciprocal rank of the first exact product in the top 100 (0 if none).

Systems: a dense encoder (``evaluator(encoder)``); BM25 (``evaluate_bm25()``, package ``bm25s``,
extra ``lira[bm25]``); the lexical-overlap rules (``evaluate_lexical("jaccard" | "all_words")``,
``lira.eval.lexical``, with ``all_words_coverage``); any object with ``search(queries, corpus, *,
lang, k) -> list[list[int]]`` or ``scores(queries, corpus, *, lang)`` through ``evaluate_ranker`` (a
scoring ranker is ranked from its scores with the same pessimistic ties, documents scoring 0 left
out); and hybrids of BM25 and a dense encoder (``evaluate_hybrid``, ``lira.eval.fusion``: RRF, or
a weighted score whose weight ``choose_weight`` picks on a dev split and refuses to pick on test).
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Mapping, Protocol, Sequence

import numpy as np

from . import fusion
from .base import Encoder, Evaluator

GAINS: dict[str, float] = {"E": 1.0, "S": 0.1, "C": 0.01, "I": 0.0}


class Ranker(Protocol):
    def search(self, queries: Sequence[str], corpus: Sequence[str], *, lang: str, k: int) -> list[list[int]]: ...


# --------------------------------------------------------------------------------------
# Metrics.
# --------------------------------------------------------------------------------------


def rank_ties_last(scores: np.ndarray, k: int, gain: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Indices of the ``k`` highest ``scores``, best first; equal scores are ordered against the
    model: non-exact before exact, then by increasing ``gain``, then by index."""
    n = scores.shape[0]
    k = min(k, n)
    if k < n:
        kth = np.partition(scores, n - k)[n - k]  # the k-th highest score: keep everything tied with it
        cand = np.flatnonzero(scores >= kth)
    else:
        cand = np.arange(n)
    order = np.lexsort((cand, gain[cand], exact[cand], -scores[cand]))
    return cand[order[:k]]


def ndcg_at_k(ranked: Sequence[str], judged: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k with linear gains ``judged[product_id]`` (missing = 0)."""
    dcg = sum(judged.get(pid, 0.0) / math.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sorted(judged.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], exact: set[str], k: int = 100) -> float:
    if not exact:
        return 0.0
    return len(exact.intersection(ranked[:k])) / len(exact)


def mrr_at_k(ranked: Sequence[str], exact: set[str], k: int = 100) -> float:
    for i, pid in enumerate(ranked[:k]):
        if pid in exact:
            return 1.0 / (i + 1)
    return 0.0


# --------------------------------------------------------------------------------------
# BM25 baseline.
# --------------------------------------------------------------------------------------


def simple_tokenize(text: str, char_ngrams: int | None = None) -> list[str]:
    """Case-folded words: runs of letters, marks and digits (so Thai / Bengali vowel signs stay
    inside their word, unlike ``\\w``); optionally character n-grams of each word as well."""
    text = unicodedata.normalize("NFKC", text).casefold()
    tokens, cur = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN":
            cur.append(ch)
        elif cur:
            tokens.append("".join(cur))
            cur = []
    if cur:
        tokens.append("".join(cur))
    if char_ngrams:
        n = char_ngrams
        grams = [f"#{w[i:i + n]}" for w in tokens if len(w) > n for i in range(len(w) - n + 1)]
        tokens = tokens + grams
    return tokens


class BM25Ranker:
    """BM25 over ``simple_tokenize`` tokens with ``bm25s`` (one index per corpus)."""

    def __init__(self, *, k1: float = 1.5, b: float = 0.75, char_ngrams: int | None = None) -> None:
        self.k1, self.b, self.char_ngrams = k1, b, char_ngrams
        self._cache: tuple[int, object] | None = None

    def _index(self, corpus: Sequence[str]):
        import bm25s

        key = hash(tuple(corpus))
        if self._cache is None or self._cache[0] != key:
            retriever = bm25s.BM25(k1=self.k1, b=self.b)
            retriever.index([simple_tokenize(t, self.char_ngrams) or ["\u2205"] for t in corpus], show_progress=False)
            self._cache = (key, retriever)
        return self._cache[1]

    def search(self, queries: Sequence[str], corpus: Sequence[str], *, lang: str, k: int) -> list[list[int]]:
        retriever = self._index(corpus)
        k = min(k, len(corpus))
        toks = [simple_tokenize(q, self.char_ngrams) or ["\u2205"] for q in queries]
        docs, scores = retriever.retrieve(toks, k=k, show_progress=False, n_threads=1)
        out = []
        for row_d, row_s in zip(docs, scores):
            # keep only documents with a positive score; ties in bm25s's order
            out.append([int(d) for d, s in zip(row_d, row_s) if s > 0])
        return out

    def scores(self, queries: Sequence[str], corpus: Sequence[str], *, lang: str) -> np.ndarray:
        """``(len(queries), len(corpus))`` BM25 scores."""
        retriever = self._index(corpus)
        toks = [simple_tokenize(q, self.char_ngrams) or ["\u2205"] for q in queries]
        return np.stack([np.asarray(retriever.get_scores(t), dtype=np.float64) for t in toks]) if toks else np.zeros((0, len(corpus)))


# --------------------------------------------------------------------------------------
# Settings.
# --------------------------------------------------------------------------------------

SETTINGS: tuple[str, ...] = ("native", "lrl2en", "en2lrl", "mixed", "paraphrase")
SETTING_DOC: dict[str, str] = {
    "native": "queries against titles in the query's own language",
    "lrl2en": "low-resource queries against the English titles (cross-lingual)",
    "en2lrl": "English queries against each low-resource language's titles (cross-lingual; the language column is the catalogue's)",
    "mixed": "low-resource queries against a mixed catalogue: each product titled in English or in the query's language, drawn per product (mixed_lang_<lang>)",
    "paraphrase": "paraphrase queries (a CLDR keyword for the noun, or the measure in another unit) against titles in their own language",
}
CATALOG_OF = {"train": "train", "test": "test", "dev": "train"}


def noised_queries(queries: Sequence[Mapping], level: float, *, salt: str = "products") -> list[dict]:
    """Queries with ``lira.data.noise.apply_noise`` at ``level`` (the suite's defaults per language and
    its code-mixing word maps from the lexicon), seeded per (level, language, query id); English
    queries stay clean, as in the suite. Titles are never noised."""
    rows = [dict(q) for q in queries]
    if not level:
        return rows
    import random

    from lira.data.noise import apply_noise
    from lira.eval.suite import code_mix_word_maps

    maps = code_mix_word_maps(sorted({q["lang"] for q in rows if q["lang"] != "en"}))
    for q in rows:
        if q["lang"] != "en":
            rng = random.Random(f"{salt}:{level}:{q['lang']}:{q['query_id']}")
            q["text"] = apply_noise(q["text"], q["lang"], level, rng, word_map=maps.get(q["lang"]) or None)
    return rows


# --------------------------------------------------------------------------------------
# Evaluator.
# --------------------------------------------------------------------------------------


class ProductSearchEvaluator(Evaluator):
    name = "products"
    primary_metric = "mean/ndcg@10"

    def __init__(
        self,
        data: str | Path | None = None,
        *,
        split: str = "test",
        langs: Iterable[str] | None = None,
        corpus: str = "native",
        setting: str | None = None,
        noise: float = 0.0,
        document_prompt: str = "passage",
        batch_size: int = 64,
        k: int = 100,
        catalog: Sequence[Mapping] | None = None,
        queries: Sequence[Mapping] | None = None,
        qrels: Sequence[Mapping] | None = None,
    ) -> None:
        """``data``: a built dataset folder; or pass the rows as ``catalog``/``queries``/``qrels``
        (for ``setting="paraphrase"``, ``queries`` are the paraphrase rows).

        ``setting``: one of ``SETTINGS`` (default: ``native``, or ``lrl2en`` for ``corpus="en"``,
        the older name of that setting). ``noise``: level of ``noised_queries`` on the queries."""
        if corpus not in ("native", "en"):
            raise ValueError("corpus must be 'native' or 'en'")
        if setting is None:
            setting = "lrl2en" if corpus == "en" else "native"
        elif corpus == "en" and setting != "lrl2en":
            raise ValueError(f"corpus='en' is the lrl2en setting, not {setting!r}")
        if setting not in SETTINGS:
            raise ValueError(f"unknown setting {setting!r}; choose from {', '.join(SETTINGS)}")
        if data is not None:
            catalog, queries, qrels = _load(Path(data), split, paraphrases=setting == "paraphrase")
        if catalog is None or queries is None or qrels is None:
            raise ValueError("give a dataset folder or catalog, queries and qrels rows")
        if not document_prompt:
            raise ValueError("document_prompt must name a prompt (e5: 'passage' or 'query')")
        self.split, self.setting, self.noise, self.batch_size, self.k = split, setting, float(noise), batch_size, k
        self.corpus = "en" if setting == "lrl2en" else "native"
        self.document_prompt = document_prompt
        self.catalog = list(catalog)
        self.product_ids = [r["product_id"] for r in self.catalog]
        self._row = {pid: i for i, pid in enumerate(self.product_ids)}
        self.queries = noised_queries(queries, self.noise)
        present = sorted({q["lang"] for q in self.queries})
        if setting == "en2lrl":
            titled = sorted({key[len("title_"):] for r in self.catalog[:1] for key in r if key.startswith("title_")} - {"en"})
            present = titled if "en" in present else []
        elif setting in ("lrl2en", "mixed"):
            present = [lang for lang in present if lang != "en"]
        self.langs = [l for l in (langs or present) if l in present]
        if setting == "mixed":
            missing = [l for l in self.langs if self.catalog and f"mixed_lang_{l}" not in self.catalog[0]]
            if missing:
                raise ValueError(f"mixed setting: the catalogue has no mixed_lang_<lang> column for {missing}; rebuild it with `lira data products build`")
        self.judged: dict[str, dict[str, float]] = defaultdict(dict)
        self.exact: dict[str, set[str]] = defaultdict(set)
        for r in qrels:
            g = float(r["gain"]) if "gain" in r else GAINS[r["label"]]
            self.judged[r["query_id"]][r["product_id"]] = g
            if r["label"] == "E":
                self.exact[r["query_id"]].add(r["product_id"])

    # ----------------------------------------------------------------------------------

    def query_lang(self, lang: str) -> str:
        """The language of the queries scored under ``lang`` (English for en2lrl)."""
        return "en" if self.setting == "en2lrl" else lang

    def doc_langs(self, lang: str) -> list[str]:
        """The language of each catalogue title searched under ``lang``."""
        if self.setting == "lrl2en":
            return ["en"] * len(self.catalog)
        if self.setting == "mixed":
            return [r[f"mixed_lang_{lang}"] for r in self.catalog]
        return [lang] * len(self.catalog)

    def _corpus_texts(self, lang: str) -> list[str]:
        return [r[f"title_{dl}"] for r, dl in zip(self.catalog, self.doc_langs(lang))]

    def _lang_queries(self, lang: str) -> list[Mapping]:
        ql = self.query_lang(lang)
        return [q for q in self.queries if q["lang"] == ql]

    def _tie_keys(self, query_id: str) -> tuple[np.ndarray, np.ndarray]:
        """Per catalogue row: the query's gain and whether the product is exact (``rank_ties_last``)."""
        gain, exact = np.zeros(len(self.product_ids)), np.zeros(len(self.product_ids))
        for pid, g in self.judged.get(query_id, {}).items():
            if pid in self._row:
                gain[self._row[pid]] = g
        for pid in self.exact.get(query_id, ()):
            if pid in self._row:
                exact[self._row[pid]] = 1.0
        return gain, exact

    def _rank_scores(self, qs: Sequence[Mapping], scores: np.ndarray, positive_only: bool = False) -> list[list[str]]:
        out = []
        for q, row in zip(qs, scores):
            top = rank_ties_last(row, self.k, *self._tie_keys(q["query_id"]))
            out.append([self.product_ids[j] for j in top if not positive_only or row[j] > 0])
        return out

    # -- scores of each system: (n_queries, n_products) per language ----------------------

    def _encode_docs(self, encoder: Encoder, texts: list[str], langs: list[str], cache: dict) -> np.ndarray:
        """Titles encoded per title language (a mixed catalogue is encoded language by language)."""
        out: np.ndarray | None = None
        for dl in dict.fromkeys(langs):
            rows = [i for i, l in enumerate(langs) if l == dl]
            key = (dl, tuple(texts[i] for i in rows))
            if key not in cache:
                cache[key] = _as_f32(encoder.encode([texts[i] for i in rows], lang=dl, prompt_name=self.document_prompt,
                                                    batch_size=self.batch_size, show_progress_bar=False))
            vecs = cache[key]
            if out is None:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[rows] = vecs
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def dense_scores(self, encoder: Encoder) -> dict[str, np.ndarray]:
        """Inner products of the (normalised) query and title vectors, per language."""
        out: dict[str, np.ndarray] = {}
        doc_cache: dict = {}
        for lang in self.langs:
            qs = self._lang_queries(lang)
            docs = self._encode_docs(encoder, self._corpus_texts(lang), self.doc_langs(lang), doc_cache)
            qv = _as_f32(encoder.encode([q["text"] for q in qs], lang=self.query_lang(lang), prompt_name="query",
                                        batch_size=self.batch_size, show_progress_bar=False))
            out[lang] = (qv @ docs.T).astype(np.float64) if len(qs) else np.zeros((0, len(self.catalog)))
        return out

    def ranker_scores(self, ranker) -> dict[str, np.ndarray]:
        """A ``scores(queries, corpus, *, lang)`` ranker's scores, per language."""
        return {lang: np.asarray(ranker.scores([q["text"] for q in self._lang_queries(lang)], self._corpus_texts(lang), lang=lang), dtype=np.float64)
                for lang in self.langs}

    def top_lists(self, dense: Mapping[str, np.ndarray], sparse: Mapping[str, np.ndarray], depth: int = fusion.DEFAULT_DEPTH) -> dict[str, list]:
        """Per language and query: (dense top ``depth``, BM25 top ``depth`` of positive scores)."""
        return {lang: [(fusion.top_list(d, depth), fusion.top_list(s, depth, positive_only=True)) for d, s in zip(dense[lang], sparse[lang])]
                for lang in self.langs}

    def hybrid_scores(self, dense: Mapping[str, np.ndarray] | None, sparse: Mapping[str, np.ndarray] | None, method: str, *,
                      weight: float | None = None, depth: int = fusion.DEFAULT_DEPTH, rrf_k: int = fusion.RRF_K,
                      lists: Mapping[str, list] | None = None) -> dict[str, np.ndarray]:
        """Fused scores (``lira.eval.fusion``): each query's dense top ``depth`` and BM25 top ``depth``
        (positive scores only) fused by ``method``; products in neither list score 0. ``lists``:
        ``top_lists``' output, to fuse the same lists several ways."""
        lists = lists if lists is not None else self.top_lists(dense, sparse, depth)
        n = len(self.catalog)
        out = {}
        for lang in self.langs:
            rows = [fusion.fused_vector(fusion.fuse(method, dl, sl, weight=weight, k=rrf_k), n) for dl, sl in lists[lang]]
            out[lang] = np.stack(rows) if rows else np.zeros((0, n))
        return out

    def score_matrices(self, scores: Mapping[str, np.ndarray], *, positive_only: bool = False) -> dict[str, float]:
        """Metrics of per-language score matrices (ties against the system, ``rank_ties_last``)."""
        rankings = {}
        for lang in self.langs:
            qs = self._lang_queries(lang)
            rankings[lang] = []
            for start in range(0, len(qs), 256):
                rankings[lang] += self._rank_scores(qs[start : start + 256], scores[lang][start : start + 256], positive_only=positive_only)
        return self._score(rankings)

    # -- systems ---------------------------------------------------------------------------

    def __call__(self, encoder: Encoder) -> dict[str, float]:
        return self.score_matrices(self.dense_scores(encoder))

    def evaluate_ranker(self, ranker: Ranker) -> dict[str, float]:
        if hasattr(ranker, "scores"):
            return self.score_matrices(self.ranker_scores(ranker), positive_only=True)
        rankings = {}
        for lang in self.langs:
            qs = self._lang_queries(lang)
            hits = ranker.search([q["text"] for q in qs], self._corpus_texts(lang), lang=lang, k=self.k)
            rankings[lang] = [[self.product_ids[j] for j in row] for row in hits]
        return self._score(rankings)

    def evaluate_bm25(self, **bm25_kwargs) -> dict[str, float]:
        return self.evaluate_ranker(BM25Ranker(**bm25_kwargs))

    def evaluate_lexical(self, rule: str) -> dict[str, float]:
        """``rule``: "jaccard" (token Jaccard) or "all_words" (every query word in the title); the
        metrics plus ``all_words_coverage`` (share of queries with an exact product whose title holds
        every query word: what word matching can find at all, ranking aside)."""
        from lira.eval.lexical import AllWordsRanker, JaccardRanker, all_words_matrix

        ranker = {"jaccard": JaccardRanker(), "all_words": AllWordsRanker()}.get(rule)
        if ranker is None:
            raise ValueError(f"unknown lexical rule {rule!r}; choose jaccard or all_words")
        scores = self.ranker_scores(ranker)
        covered = {}
        for lang in self.langs:
            qs = self._lang_queries(lang)
            match = scores[lang] if rule == "all_words" else all_words_matrix([q["text"] for q in qs], self._corpus_texts(lang))
            covered[lang] = [float(any(match[i, self._row[p]] > 0 for p in self.exact.get(q["query_id"], ()) if p in self._row))
                             for i, q in enumerate(qs)]
        rankings = {}
        for lang in self.langs:
            rankings[lang] = self._rank_scores(self._lang_queries(lang), scores[lang], positive_only=True)
        return self._score(rankings, extra={"all_words_coverage": covered})

    def evaluate_hybrid(self, encoder: Encoder | None = None, *, method: str, weight: float | None = None, bm25=None,
                        dense: Mapping[str, np.ndarray] | None = None, sparse: Mapping[str, np.ndarray] | None = None,
                        depth: int = fusion.DEFAULT_DEPTH) -> dict[str, float]:
        """BM25 + dense fused by ``method`` ("rrf" or "weighted"; the weight from ``choose_weight`` on
        dev). Pass ``dense`` / ``sparse`` score matrices to reuse them."""
        if dense is None:
            if encoder is None:
                raise ValueError("evaluate_hybrid: give an encoder or dense scores")
            dense = self.dense_scores(encoder)
        if sparse is None:
            sparse = self.ranker_scores(bm25 or BM25Ranker())
        return self.score_matrices(self.hybrid_scores(dense, sparse, method, weight=weight, depth=depth))

    # ----------------------------------------------------------------------------------

    def _score(self, rankings: Mapping[str, list[list[str]]], extra: Mapping[str, Mapping[str, list[float]]] | None = None) -> dict[str, float]:
        metrics: dict[str, float] = {}
        per_lang: dict[str, dict[str, float]] = {}
        names = ["ndcg@10", f"recall@{self.k}", f"mrr@{self.k}", *(extra or {})]
        # Per-query nDCG@10 of the last call, {lang: array in query order}: what a paired bootstrap resamples.
        self.last_ndcg: dict[str, np.ndarray] = {}
        for lang in self.langs:
            qs = self._lang_queries(lang)
            buckets: dict[str, list[tuple[float, ...]]] = defaultdict(list)
            per_query = []
            for i, (q, ranked) in enumerate(zip(qs, rankings[lang])):
                qid = q["query_id"]
                judged, exact = self.judged.get(qid, {}), self.exact.get(qid, set())
                m = (ndcg_at_k(ranked, judged, 10), recall_at_k(ranked, exact, self.k), mrr_at_k(ranked, exact, self.k),
                     *(values[lang][i] for values in (extra or {}).values()))
                buckets["all"].append(m)
                buckets[q.get("type", "all")].append(m)
                per_query.append(m[0])
            self.last_ndcg[lang] = np.array(per_query, dtype=np.float64)
            for bucket, vals in sorted(buckets.items()):
                arr = np.asarray(vals, dtype=np.float64)
                prefix = lang if bucket == "all" else f"{lang}/{bucket}"
                for j, name in enumerate(names):
                    metrics[f"{prefix}/{name}"] = float(arr[:, j].mean())
                metrics[f"{prefix}/n_queries"] = float(len(vals))
            if not buckets:
                for name in names:
                    metrics[f"{lang}/{name}"] = 0.0
                metrics[f"{lang}/n_queries"] = 0.0
            per_lang[lang] = {name: metrics[f"{lang}/{name}"] for name in names}
        for name in names:
            vals = [per_lang[l][name] for l in self.langs]
            metrics[f"mean/{name}"] = float(np.mean(vals)) if vals else 0.0
        return metrics


def choose_weight(dev: ProductSearchEvaluator, dense: Mapping[str, np.ndarray], sparse: Mapping[str, np.ndarray], *,
                  grid: Sequence[float] = fusion.WEIGHT_GRID, metric: str = "mean/ndcg@10",
                  depth: int = fusion.DEFAULT_DEPTH) -> tuple[float, dict[float, float]]:
    """The weighted-fusion weight (on the dense side) that maximises ``metric`` on ``dev``, and the
    dev score of every weight of ``grid``. The first best weight of the grid wins a tie. A test-split
    evaluator is refused: no weight is ever chosen on test."""
    if dev.split == "test":
        raise ValueError("choose_weight: the hybrid weight is chosen on a dev split, never on test")
    lists = dev.top_lists(dense, sparse, depth)
    curve = {float(w): dev.score_matrices(dev.hybrid_scores(None, None, "weighted", weight=float(w), lists=lists))[metric] for w in grid}
    best = max(curve, key=lambda w: (curve[w], -list(curve).index(w)))
    return best, curve


def _as_f32(x) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    return arr


def _load(root: Path, split: str, *, paraphrases: bool = False):
    """A built folder's rows of ``split``: its catalogue (dev: the train catalogue), its queries (or
    paraphrases) and its qrels."""
    import datasets

    if split not in CATALOG_OF:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(CATALOG_OF)}")
    loaded = {}
    for name in ("paraphrases" if paraphrases else "queries", "qrels"):
        dd = datasets.load_from_disk(str(root / name)) if (root / name).exists() else {}
        if split not in dd:
            raise FileNotFoundError(f"{root / name}: no {split!r} split; rebuild the data set with `lira data products build --out {root}`")
        loaded[name] = dd[split].to_list()
    catalog = datasets.load_from_disk(str(root / "catalog"))[CATALOG_OF[split]].to_list()
    return catalog, loaded["paraphrases" if paraphrases else "queries"], loaded["qrels"]
