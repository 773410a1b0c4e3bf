"""Product search: nDCG@10, recall@100 and MRR per language and per query type.

Data: the folder ``lira.data.products.build_products`` writes (``catalog``, ``queries``,
``qrels``). For each language, the split's products titled in that language are the corpus
(``corpus="en"``: the English titles, i.e. cross-lingual search); queries of that language are
encoded with ``prompt_name="query"``, products with ``prompt_name=document_prompt`` ("passage" by
default, e5's asymmetric retrieval convention), both with ``lang``; the exact inner product of
the (L2-normalised) vectors ranks the products. Ties count against the model: among products with
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

BM25 baseline: ``evaluator.evaluate_bm25()`` (package ``bm25s``, extra ``lira[bm25]``), or any
object with ``search(queries, corpus, *, lang, k) -> list[list[int]]`` through
``evaluate_ranker``; a ranker that also has ``scores(queries, corpus, *, lang)`` (as
``BM25Ranker``) is ranked from its scores with the same pessimistic ties, documents scoring 0 left
out.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Mapping, Protocol, Sequence

import numpy as np

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
        document_prompt: str = "passage",
        batch_size: int = 64,
        k: int = 100,
        catalog: Sequence[Mapping] | None = None,
        queries: Sequence[Mapping] | None = None,
        qrels: Sequence[Mapping] | None = None,
    ) -> None:
        """``data``: a built dataset folder; or pass the rows as ``catalog``/``queries``/``qrels``."""
        if corpus not in ("native", "en"):
            raise ValueError("corpus must be 'native' or 'en'")
        if data is not None:
            catalog, queries, qrels = _load(Path(data), split)
        if catalog is None or queries is None or qrels is None:
            raise ValueError("give a dataset folder or catalog, queries and qrels rows")
        if not document_prompt:
            raise ValueError("document_prompt must name a prompt (e5: 'passage' or 'query')")
        self.split, self.corpus, self.batch_size, self.k = split, corpus, batch_size, k
        self.document_prompt = document_prompt
        self.catalog = list(catalog)
        self.product_ids = [r["product_id"] for r in self.catalog]
        self._row = {pid: i for i, pid in enumerate(self.product_ids)}
        self.queries = list(queries)
        present = sorted({q["lang"] for q in self.queries})
        self.langs = [l for l in (langs or present) if l in present]
        self.judged: dict[str, dict[str, float]] = defaultdict(dict)
        self.exact: dict[str, set[str]] = defaultdict(set)
        for r in qrels:
            g = float(r["gain"]) if "gain" in r else GAINS[r["label"]]
            self.judged[r["query_id"]][r["product_id"]] = g
            if r["label"] == "E":
                self.exact[r["query_id"]].add(r["product_id"])

    # ----------------------------------------------------------------------------------

    def _corpus_texts(self, lang: str) -> list[str]:
        col = "title_en" if self.corpus == "en" else f"title_{lang}"
        return [r[col] for r in self.catalog]

    def _lang_queries(self, lang: str) -> list[Mapping]:
        return [q for q in self.queries if q["lang"] == lang]

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

    def __call__(self, encoder: Encoder) -> dict[str, float]:
        rankings: dict[str, list[list[str]]] = {}
        doc_cache: dict[str, np.ndarray] = {}
        for lang in self.langs:
            qs = self._lang_queries(lang)
            doc_lang = "en" if self.corpus == "en" else lang
            if doc_lang not in doc_cache:
                doc_cache[doc_lang] = _as_f32(encoder.encode(self._corpus_texts(lang), lang=doc_lang, prompt_name=self.document_prompt,
                                                             batch_size=self.batch_size, show_progress_bar=False))
            docs = doc_cache[doc_lang]
            qv = _as_f32(encoder.encode([q["text"] for q in qs], lang=lang, prompt_name="query",
                                        batch_size=self.batch_size, show_progress_bar=False))
            rankings[lang] = []
            for start in range(0, len(qs), 256):
                rankings[lang] += self._rank_scores(qs[start : start + 256], qv[start : start + 256] @ docs.T)
        return self._score(rankings)

    def evaluate_ranker(self, ranker: Ranker) -> dict[str, float]:
        rankings = {}
        for lang in self.langs:
            qs = self._lang_queries(lang)
            texts = [q["text"] for q in qs]
            if hasattr(ranker, "scores"):
                rankings[lang] = self._rank_scores(qs, ranker.scores(texts, self._corpus_texts(lang), lang=lang), positive_only=True)
            else:
                hits = ranker.search(texts, self._corpus_texts(lang), lang=lang, k=self.k)
                rankings[lang] = [[self.product_ids[j] for j in row] for row in hits]
        return self._score(rankings)

    def evaluate_bm25(self, **bm25_kwargs) -> dict[str, float]:
        return self.evaluate_ranker(BM25Ranker(**bm25_kwargs))

    # ----------------------------------------------------------------------------------

    def _score(self, rankings: Mapping[str, list[list[str]]]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        per_lang: dict[str, dict[str, float]] = {}
        # Per-query nDCG@10 of the last call, {lang: array in query order}: what a paired bootstrap resamples.
        self.last_ndcg: dict[str, np.ndarray] = {}
        for lang in self.langs:
            qs = self._lang_queries(lang)
            buckets: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
            per_query = []
            for q, ranked in zip(qs, rankings[lang]):
                qid = q["query_id"]
                judged, exact = self.judged.get(qid, {}), self.exact.get(qid, set())
                m = (ndcg_at_k(ranked, judged, 10), recall_at_k(ranked, exact, self.k), mrr_at_k(ranked, exact, self.k))
                buckets["all"].append(m)
                buckets[q.get("type", "all")].append(m)
                per_query.append(m[0])
            self.last_ndcg[lang] = np.array(per_query, dtype=np.float64)
            for bucket, vals in sorted(buckets.items()):
                arr = np.asarray(vals, dtype=np.float64)
                prefix = lang if bucket == "all" else f"{lang}/{bucket}"
                metrics[f"{prefix}/ndcg@10"] = float(arr[:, 0].mean())
                metrics[f"{prefix}/recall@{self.k}"] = float(arr[:, 1].mean())
                metrics[f"{prefix}/mrr@{self.k}"] = float(arr[:, 2].mean())
                metrics[f"{prefix}/n_queries"] = float(len(vals))
            per_lang[lang] = {k: metrics[f"{lang}/{k}"] for k in ("ndcg@10", f"recall@{self.k}", f"mrr@{self.k}")}
        for k in ("ndcg@10", f"recall@{self.k}", f"mrr@{self.k}"):
            vals = [per_lang[l][k] for l in self.langs]
            metrics[f"mean/{k}"] = float(np.mean(vals)) if vals else 0.0
        return metrics


def _as_f32(x) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    return arr


def _load(root: Path, split: str):
    import datasets

    catalog = datasets.load_from_disk(str(root / "catalog"))[split].to_list()
    queries = datasets.load_from_disk(str(root / "queries"))[split].to_list()
    qrels = datasets.load_from_disk(str(root / "qrels"))[split].to_list()
    return catalog, queries, qrels
