"""Paired bootstrap over test items: is a difference between two systems more than sample noise?

Two systems scored on the same test items (per-item correctness, e.g. bitext accuracy@1 hits) are
compared by resampling the *items* with replacement (Koehn 2004; Berg-Kirkpatrick et al. 2012):
the same resample is applied to both systems, so the item difficulty they share cancels out.
The two-sided p-value is twice the smaller tail of the resampled differences around zero; the
95% interval is the 2.5th and 97.5th percentiles of the resampled differences.

Several test sets (e.g. the seven Tatoeba languages, both directions) are resampled within each set
(stratified) and averaged with equal weight per set, matching how the reported mean is formed.

``paired_bootstrap_sets`` does the same for any statistic (Spearman's ρ, macro-F1, not only a mean of
per-item scores) over several training seeds: each resample draws the items and the seeds with
replacement, the same draw for both systems (the evaluation suite's "better" / "worse").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class PairedBootstrap:
    delta: float
    """Observed mean(b) - mean(a)."""
    low: float
    high: float
    p_value: float
    samples: int

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05

    def verdict(self) -> str:
        if not self.significant:
            return "within noise"
        return "better" if self.delta > 0 else "worse"


def paired_bootstrap(
    a: Mapping[str, Sequence[float]], b: Mapping[str, Sequence[float]], *, samples: int = 2000, seed: int = 0
) -> PairedBootstrap:
    """Compare system ``b`` with system ``a`` on per-item scores grouped by test set (same keys,
    same item order in each). The statistic is the mean over sets of each set's mean score."""
    keys = sorted(a)
    if sorted(b) != keys or not keys:
        raise ValueError(f"paired_bootstrap: both systems need the same non-empty test sets, got {sorted(a)} and {sorted(b)}")
    diffs = []
    for key in keys:
        x, y = np.asarray(a[key], dtype=np.float64), np.asarray(b[key], dtype=np.float64)
        if x.shape != y.shape or x.ndim != 1 or not len(x):
            raise ValueError(f"paired_bootstrap: test set {key!r} has {x.shape} items for a and {y.shape} for b")
        diffs.append(y - x)
    observed = float(np.mean([d.mean() for d in diffs]))
    rng = np.random.default_rng(seed)
    resampled = np.zeros(samples)
    for d in diffs:
        idx = rng.integers(0, len(d), size=(samples, len(d)))
        resampled += d[idx].mean(axis=1)
    resampled /= len(diffs)
    tail = min(float((resampled <= 0).mean()), float((resampled >= 0).mean()))
    return PairedBootstrap(observed, float(np.percentile(resampled, 2.5)), float(np.percentile(resampled, 97.5)), min(1.0, 2 * tail), samples)


# ------------------------------------------------------------------------------------------
# Any statistic, several seeds: the evaluation suite's test.
# ------------------------------------------------------------------------------------------

Statistic = Callable[[str, np.ndarray, np.ndarray], np.ndarray]
"""``statistic(test_set, outputs, items) -> (R,)``: the metric of one test set on R resamples, from
the per-item outputs drawn (``outputs``, shape (R, n)) and which items they are (``items``, (R, n):
indices into the set, for looking up gold labels or grades)."""


def paired_bootstrap_sets(
    a: Mapping[str, np.ndarray],
    b: Mapping[str, np.ndarray],
    statistic: Statistic,
    *,
    samples: int = 1000,
    seed: int = 0,
    resample_seeds: bool = True,
) -> PairedBootstrap:
    """Paired bootstrap over test items *and* training seeds for any per-set statistic.

    ``a[set]`` and ``b[set]``: per-item outputs of each system, shape (seeds, items) with the same
    number of seeds and items for both (hits, nDCG, cosines, predicted labels). Each resample draws
    every set's items with replacement (stratified by set) and, with ``resample_seeds``, the seeds
    with replacement; the *same* draw is applied to both systems. A system's value on a resample is
    the mean over the drawn seeds of ``statistic`` on the drawn items, averaged over sets with equal
    weight (as the reported mean over languages is formed); the observed value uses every item and
    seed once. ``delta`` is b minus a; p-value and interval as in :func:`paired_bootstrap`."""
    keys = sorted(a)
    if sorted(b) != keys or not keys:
        raise ValueError(f"paired_bootstrap_sets: both systems need the same non-empty test sets, got {sorted(a)} and {sorted(b)}")
    rng = np.random.default_rng(seed)
    observed = np.zeros(2)
    resampled = np.zeros((2, samples))
    for key in keys:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        if x.ndim == 1:
            x, y = x[None, :], y[None, :] if y.ndim == 1 else y
        if x.shape != y.shape or x.ndim != 2 or not x.shape[1]:
            raise ValueError(f"paired_bootstrap_sets: test set {key!r} has outputs {x.shape} for a and {y.shape} for b (want the same (seeds, items))")
        n_seeds, n_items = x.shape
        every = np.arange(n_items)[None, :]
        items = rng.integers(0, n_items, size=(samples, n_items))
        seeds = rng.integers(0, n_seeds, size=(samples, n_seeds)) if resample_seeds else np.tile(np.arange(n_seeds), (samples, 1))
        for which, outputs in enumerate((x, y)):
            observed[which] += np.mean([statistic(key, outputs[s][None, :], every)[0] for s in range(n_seeds)])
            per_seed = np.stack([statistic(key, outputs[s][items], items) for s in range(n_seeds)], axis=1)  # (samples, seeds)
            resampled[which] += np.take_along_axis(per_seed, seeds, axis=1).mean(axis=1)
    observed /= len(keys)
    resampled /= len(keys)
    diffs = resampled[1] - resampled[0]
    tail = min(float((diffs <= 0).mean()), float((diffs >= 0).mean()))
    return PairedBootstrap(float(observed[1] - observed[0]), float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5)), min(1.0, 2 * tail), samples)


def mean_statistic(_key: str, outputs: np.ndarray, _items: np.ndarray) -> np.ndarray:
    """The mean of per-item scores (accuracy from hits, nDCG@10 from per-query nDCG)."""
    return outputs.astype(np.float64).mean(axis=1)


def spearman_statistic(grades: Mapping[str, Sequence[float]]) -> Statistic:
    """Spearman's ρ between each resample's scores and the drawn items' ``grades[set]``; 0 for a
    resample where either side is constant (as ``lira.eval.sts.spearman``)."""
    from scipy.stats import rankdata

    table = {key: np.asarray(g, dtype=np.float64) for key, g in grades.items()}

    last: list = [None, None, None]  # (key, items, their grades' ranks): both systems and every seed share one draw

    def statistic(key: str, outputs: np.ndarray, items: np.ndarray) -> np.ndarray:
        x = rankdata(outputs, axis=1)
        if last[0] != key or last[1] is not items:
            last[:] = [key, items, rankdata(table[key][items], axis=1)]
        y = last[2].copy()
        x -= x.mean(axis=1, keepdims=True)
        y -= y.mean(axis=1, keepdims=True)
        denominator = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (x * y).sum(axis=1) / denominator
        return np.where(denominator > 0, rho, 0.0)

    return statistic


def macro_f1_statistic(gold: Mapping[str, Sequence[int]], n_labels: int) -> Statistic:
    """Macro-F1 of each resample's predicted label ids against the drawn items' ``gold[set]``,
    averaged over the labels present in the drawn gold or predictions (scikit-learn's default)."""
    table = {key: np.asarray(g, dtype=np.int64) for key, g in gold.items()}

    def statistic(key: str, outputs: np.ndarray, items: np.ndarray) -> np.ndarray:
        truth = table[key][items]
        pred = outputs.astype(np.int64)
        total = np.zeros(len(pred))
        present = np.zeros(len(pred))
        for c in range(n_labels):
            p, t = pred == c, truth == c
            tp = (p & t).sum(axis=1)
            denominator = p.sum(axis=1) + t.sum(axis=1)
            total += np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)
            present += denominator > 0
        return total / np.maximum(present, 1)

    return statistic
