"""Paired bootstrap over test items: is a difference between two systems more than sample noise?

Two systems scored on the same test items (per-item correctness, e.g. bitext accuracy@1 hits) are
compared by resampling the *items* with replacement (Koehn 2004; Berg-Kirkpatrick et al. 2012):
the same resample is applied to both systems, so the item difficulty they share cancels out.
The two-sided p-value is twice the smaller tail of the resampled differences around zero; the
95% interval is the 2.5th and 97.5th percentiles of the resampled differences.

Several test sets (e.g. the seven Tatoeba languages, both directions) are resampled within each set
(stratified) and averaged with equal weight per set, matching how the reported mean is formed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

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
