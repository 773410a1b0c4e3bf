"""Semantic similarity: Spearman correlation between cosine similarity and a graded score, per language.

Like sentence-transformers' ``EmbeddingSimilarityEvaluator`` (and MTEB's STS tasks), the metric
is Spearman's rank correlation (``scipy.stats.spearmanr``) between the cosine of the two texts'
embeddings and the pair's grade, reported per language and setting (``cross``: the language
against English; ``mono``: the language on both sides) with their means. The pairs can be any
``(lang, text_a, lang_b, text_b, grade)``; LiRA's built-in ones come from
``lira.data.sts.graded_pairs``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

import numpy as np
from scipy.stats import spearmanr

from lira.eval.base import Encoder, Evaluator


class SemanticSimilarityEvaluator(Evaluator):
    name = "sts"
    primary_metric = "mean/cross/spearman"

    def __init__(self, pairs: Iterable[Any], batch_size: int = 128, english_lang: str = "en") -> None:
        """``pairs``: objects with ``lang, text_a, lang_b, text_b, grade`` (e.g. ``GradedPair``) or 5-tuples in that order.
        English-English pairs are scored (``en/mono/spearman``, a reference) but left out of the means."""
        self.groups: dict[tuple[str, str], list[tuple[str, str, str, float]]] = defaultdict(list)
        for item in pairs:
            lang, text_a, lang_b, text_b, grade = (item.lang, item.text_a, item.lang_b, item.text_b, item.grade) if hasattr(item, "text_a") else item
            setting = "mono" if lang_b == lang else "cross"
            self.groups[(lang, setting)].append((text_a, lang_b, text_b, float(grade)))
        if not self.groups:
            raise ValueError("no graded pairs to evaluate")
        self.batch_size = batch_size
        self.english = english_lang

    @property
    def languages(self) -> list[str]:
        return sorted({lang for lang, _ in self.groups})

    def __call__(self, encoder: Encoder) -> dict[str, float]:
        metrics: dict[str, float] = {}
        for (lang, setting), rows in sorted(self.groups.items()):
            a = encoder.encode([r[0] for r in rows], lang=lang, batch_size=self.batch_size)
            b = encoder.encode([r[2] for r in rows], lang=rows[0][1], batch_size=self.batch_size)
            cosine = (np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)).sum(axis=1)
            cosine /= np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12
            rho = spearmanr(cosine, [r[3] for r in rows])[0]
            metrics[f"{lang}/{setting}/spearman"] = float(rho)
            metrics[f"{lang}/{setting}/n"] = float(len(rows))
        for setting in ("cross", "mono"):
            values = [metrics[f"{lang}/{setting}/spearman"] for lang in self.languages if lang != self.english and f"{lang}/{setting}/spearman" in metrics]
            if values:
                metrics[f"mean/{setting}/spearman"] = float(np.mean(values))
        return metrics
