"""Bitext retrieval: find each sentence's translation among all candidates, both directions."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

import numpy as np

from lira.eval.base import Encoder, Evaluator

METRICS = ("acc@1", "recall@10", "mrr")


def retrieval_ranks(similarity: np.ndarray, gold: Sequence[set[int]]) -> np.ndarray:
    """1-based rank of the best-scoring gold candidate for each query row.

    rank = 1 + number of non-gold candidates scoring at least as high as the best gold one: ties
    count against the model (pessimistic), so an encoder that scores every candidate the same
    ranks each query last among the non-gold candidates (accuracy@1 = 0), not first. Another gold
    candidate tied with the best one does not count: finding either translation is right.
    """
    ranks = np.empty(len(gold), dtype=np.int64)
    for i, golds in enumerate(gold):
        row = np.asarray(similarity[i])
        best = max(row[j] for j in golds)
        others = np.ones(row.shape[0], dtype=bool)
        others[list(golds)] = False
        ranks[i] = 1 + int((row[others] >= best).sum())
    return ranks


def rank_metrics(ranks: np.ndarray, k: int = 10) -> dict[str, float]:
    return {"acc@1": float((ranks == 1).mean()), f"recall@{k}": float((ranks <= k).mean()), "mrr": float((1.0 / ranks).mean())}


def _sample(items: list, n: int, seed: int) -> list:
    if n >= len(items):
        return items
    keep = np.sort(np.random.default_rng(seed).permutation(len(items))[:n])
    return [items[i] for i in keep]


class BitextRetrievalEvaluator(Evaluator):
    """Per language: x -> en and en -> x retrieval over that language's held-out pairs.

    Each side is de-duplicated; a query's gold set is every candidate it was paired with, so a
    sentence that legitimately has two translations is not punished for finding either.
    By default one encoder embeds both sides (student-student retrieval: it measures alignment
    inside the model's own space). ``target_encoder`` embeds the English side instead
    (e.g. the teacher, to measure how close the student landed to its anchors).

    Metrics: ``<lang>/<x2en|en2x>/<acc@1|recall@10|mrr>`` and their mean over languages
    (``mean/...``); ``primary_metric`` is ``mean/x2en/acc@1``.
    """

    name = "bitext"
    primary_metric = "mean/x2en/acc@1"

    def __init__(self, pairs: Iterable[tuple[str, str, str]], batch_size: int = 128, k: int = 10, max_pairs_per_language: int | None = None, seed: int = 0) -> None:
        """``pairs``: (english, other, lang) triples. ``max_pairs_per_language`` keeps a random sample
        of that many pairs per language (``numpy.random.default_rng(seed)``, drawn afresh for each
        language, in their original order), not the first ones: the pair files are sorted by English,
        so a prefix would only hold sentences starting with the first letters."""
        by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for en, text, lang in pairs:
            by_lang[lang].append((en, text))
        if max_pairs_per_language is not None:
            by_lang = defaultdict(list, {lang: _sample(items, max_pairs_per_language, seed) for lang, items in by_lang.items()})
        self.by_lang = dict(sorted(by_lang.items()))
        self.batch_size = batch_size
        self.k = k

    @classmethod
    def from_pairs(cls, pairs: Iterable, **kwargs) -> "BitextRetrievalEvaluator":
        """From ``ParallelPair`` objects (anything with ``en``, ``text``, ``lang``)."""
        return cls(((p.en, p.text, p.lang) for p in pairs), **kwargs)

    @property
    def languages(self) -> list[str]:
        return list(self.by_lang)

    def hits_by_set(self) -> dict[str, list[bool]]:
        """The last call's per-item correctness as ``{"<lang>/<x2en|en2x>": [bool, ...]}``: JSON-ready,
        and what :func:`lira.eval.significance.paired_bootstrap` compares."""
        return {f"{lang}/{d}": hits.tolist() for (lang, d), hits in self.last_hits.items()}

    def texts(self) -> list[str]:
        """Every text a call encodes, both sides (to fill a frozen-prefix cache with)."""
        return sorted({t for items in self.by_lang.values() for pair in items for t in pair})

    def __call__(self, encoder: Encoder, target_encoder: Encoder | None = None, show_progress_bar: bool = False) -> dict[str, float]:
        target_encoder = target_encoder or encoder
        metrics: dict[str, float] = {}
        # Per-item correctness of the last call, {(lang, direction): bool array over the de-duplicated
        # queries}: what a paired bootstrap over test items (lira.eval.significance) resamples.
        self.last_hits: dict[tuple[str, str], np.ndarray] = {}
        for lang, items in self.by_lang.items():
            texts = sorted({t for _, t in items})
            english = sorted({e for e, _ in items})
            t_index = {t: i for i, t in enumerate(texts)}
            e_index = {e: i for i, e in enumerate(english)}
            x_gold: list[set[int]] = [set() for _ in texts]
            e_gold: list[set[int]] = [set() for _ in english]
            for en, text in items:
                x_gold[t_index[text]].add(e_index[en])
                e_gold[e_index[en]].add(t_index[text])
            x = encoder.encode(texts, lang=lang, batch_size=self.batch_size, show_progress_bar=show_progress_bar)
            e = target_encoder.encode(english, lang="en", batch_size=self.batch_size, show_progress_bar=show_progress_bar)
            sim = np.asarray(x, dtype=np.float32) @ np.asarray(e, dtype=np.float32).T
            for direction, s, gold in (("x2en", sim, x_gold), ("en2x", sim.T, e_gold)):
                ranks = retrieval_ranks(s, gold)
                self.last_hits[(lang, direction)] = ranks == 1
                for metric, value in rank_metrics(ranks, self.k).items():
                    metrics[f"{lang}/{direction}/{metric}"] = value
            metrics[f"{lang}/n"] = float(len(items))
        for direction in ("x2en", "en2x"):
            for metric in ("acc@1", f"recall@{self.k}", "mrr"):
                values = [metrics[f"{lang}/{direction}/{metric}"] for lang in self.by_lang]
                metrics[f"mean/{direction}/{metric}"] = float(np.mean(values)) if values else float("nan")
        return metrics
