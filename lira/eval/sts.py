"""Semantic similarity: Spearman correlation between cosine similarity and a graded score, per language.

Like sentence-transformers' ``EmbeddingSimilarityEvaluator`` (and MTEB's STS tasks), the metric
is Spearman's rank correlation (``scipy.stats.spearmanr``) between the cosine of the two texts'
embeddings and the pair's grade, reported per language and setting (``cross``: the language
against English; ``mono``: the language on both sides) with their means. The pairs can be any
``(lang, text_a, lang_b, text_b, grade[, hard])``; LiRA's built-in ones come from
``lira.data.sts.graded_pairs``, whose paraphrase and near-miss pairs form the **hard** subset
(``hard`` true), scored on its own as ``<lang>/<setting>/hard/spearman`` beside the whole set.

``evaluate_pairs(score)`` scores any function of the two texts instead of an encoder's cosine: the
word-overlap baseline (``lira.data.sts.jaccard``, no model) is ``evaluate_pairs(jaccard)``.
A score that is the same for every pair of a group has no ranking: its Spearman is reported as 0.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np
from scipy.stats import spearmanr

from lira.eval.base import Encoder, Evaluator


def spearman(scores: Any, grades: Any) -> float:
    """Spearman's ρ; 0 when either side is constant (no ranking to correlate)."""
    scores, grades = np.asarray(scores, dtype=np.float64), np.asarray(grades, dtype=np.float64)
    if len(scores) < 2 or np.ptp(scores) == 0 or np.ptp(grades) == 0:
        return 0.0
    return float(spearmanr(scores, grades)[0])


class SemanticSimilarityEvaluator(Evaluator):
    name = "sts"
    primary_metric = "mean/cross/spearman"

    def __init__(self, pairs: Iterable[Any], batch_size: int = 128, english_lang: str = "en") -> None:
        """``pairs``: objects with ``lang, text_a, lang_b, text_b, grade`` (and optionally ``hard``,
        e.g. ``GradedPair``) or 5- / 6-tuples in that order. English-English pairs are scored
        (``en/mono/spearman``, a reference) but left out of the means."""
        self.groups: dict[tuple[str, str], list[tuple[str, str, str, float, bool]]] = defaultdict(list)
        for item in pairs:
            if hasattr(item, "text_a"):
                lang, text_a, lang_b, text_b, grade = item.lang, item.text_a, item.lang_b, item.text_b, item.grade
                hard = bool(getattr(item, "hard", False))
            else:
                lang, text_a, lang_b, text_b, grade, *rest = item
                hard = bool(rest[0]) if rest else False
            setting = "mono" if lang_b == lang else "cross"
            self.groups[(lang, setting)].append((text_a, lang_b, text_b, float(grade), hard))
        if not self.groups:
            raise ValueError("no graded pairs to evaluate")
        self.groups = dict(sorted(self.groups.items()))
        self.batch_size = batch_size
        self.english = english_lang
        self.last_scores: dict[tuple[str, str], np.ndarray] = {}
        """Per (lang, setting), the similarity of each pair in the last call (what a paired bootstrap resamples)."""

    @property
    def languages(self) -> list[str]:
        return sorted({lang for lang, _ in self.groups})

    def grades(self, group: tuple[str, str]) -> np.ndarray:
        return np.array([r[3] for r in self.groups[group]], dtype=np.float64)

    def hard_mask(self, group: tuple[str, str]) -> np.ndarray:
        return np.array([r[4] for r in self.groups[group]], dtype=bool)

    def __call__(self, encoder: Encoder) -> dict[str, float]:
        scores = {}
        for (lang, setting), rows in self.groups.items():
            a = encoder.encode([r[0] for r in rows], lang=lang, batch_size=self.batch_size)
            b = encoder.encode([r[2] for r in rows], lang=rows[0][1], batch_size=self.batch_size)
            cosine = (np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)).sum(axis=1)
            cosine /= np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12
            scores[(lang, setting)] = cosine
        return self._metrics(scores)

    def evaluate_pairs(self, score: Callable[[str, str], float]) -> dict[str, float]:
        """The same metrics for ``score(text_a, text_b)`` in place of the cosine (e.g. ``jaccard``)."""
        return self._metrics({group: np.array([score(r[0], r[2]) for r in rows], dtype=np.float64) for group, rows in self.groups.items()})

    def _metrics(self, scores: dict[tuple[str, str], np.ndarray]) -> dict[str, float]:
        self.last_scores = scores
        metrics: dict[str, float] = {}
        for (lang, setting), values in scores.items():
            grades, hard = self.grades((lang, setting)), self.hard_mask((lang, setting))
            metrics[f"{lang}/{setting}/spearman"] = spearman(values, grades)
            metrics[f"{lang}/{setting}/n"] = float(len(values))
            if hard.any():
                metrics[f"{lang}/{setting}/hard/spearman"] = spearman(values[hard], grades[hard])
                metrics[f"{lang}/{setting}/hard/n"] = float(hard.sum())
        for setting in ("cross", "mono"):
            for part in ("", "hard/"):
                values = [metrics[key] for lang in self.languages if lang != self.english and (key := f"{lang}/{setting}/{part}spearman") in metrics]
                if values:
                    metrics[f"mean/{setting}/{part}spearman"] = float(np.mean(values))
        return metrics
