"""Hybrid retrieval: fusing a lexical (BM25) and a dense ranking of the same documents.

Both methods work on each system's **top list**: the documents it ranks in its top ``depth``
(every document tied with the ``depth``-th score included, so the list does not depend on the
catalogue's order); a document absent from a list gets nothing from that system. The product
evaluation (``lira.eval.products``) and ``lira search --hybrid`` call the same functions.

* **Reciprocal-rank fusion** (Cormack et al. 2009): ``sum over systems of 1 / (k + rank)``, ``k = 60``.
  Tied scores share the mean of the ranks they span (fractional ranking: a tie of the 2nd and 3rd
  documents gives both 2.5), again so that the catalogue's order does not matter.
* **Weighted score**: each list's scores min-max normalised to [0, 1] over that list (a list whose
  scores are all equal normalises to 1), then ``weight * dense + (1 - weight) * bm25``. The weight
  is chosen on a dev split (``choose_weight`` in ``lira.eval.products``), never on test.

A system's list is ``(rows, scores)``: document indices and their raw scores, any order.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

RRF_K = 60
DEFAULT_DEPTH = 100
METHODS = ("rrf", "weighted")
WEIGHT_GRID: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))


def top_list(scores: np.ndarray, depth: int = DEFAULT_DEPTH, *, positive_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, scores)`` of the ``depth`` highest scores (ties at the cut-off all kept), best first;
    ``positive_only`` leaves out scores <= 0 (BM25: a document sharing no query word)."""
    scores = np.asarray(scores, dtype=np.float64)
    rows = np.flatnonzero(scores > 0) if positive_only else np.arange(scores.shape[0])
    if rows.size == 0:
        return rows.astype(np.int64), np.zeros(0)
    vals = scores[rows]
    if depth < rows.size:
        kth = np.partition(vals, rows.size - depth)[rows.size - depth]
        keep = vals >= kth
        rows, vals = rows[keep], vals[keep]
    order = np.lexsort((rows, -vals))
    return rows[order].astype(np.int64), vals[order]


def fractional_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks by decreasing score; tied scores share the mean of the ranks they span."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(n, dtype=np.float64)
    s = scores[order]
    i = 0
    while i < n:
        j = i
        while j + 1 < n and s[j + 1] == s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + 1 + j + 1) / 2.0
        i = j + 1
    return ranks


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1] over the list; all equal -> all 1."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    if hi == lo:
        return np.ones_like(scores)
    return (scores - lo) / (hi - lo)


def rrf(lists: Sequence[tuple[np.ndarray, np.ndarray]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal-rank fusion of several ``(rows, scores)`` lists: ``{row: sum 1 / (k + rank)}``."""
    out: dict[int, float] = {}
    for rows, scores in lists:
        for row, rank in zip(np.asarray(rows).tolist(), fractional_ranks(scores).tolist()):
            out[row] = out.get(row, 0.0) + 1.0 / (k + rank)
    return out


def weighted(dense: tuple[np.ndarray, np.ndarray], sparse: tuple[np.ndarray, np.ndarray], weight: float) -> dict[int, float]:
    """``weight * minmax(dense) + (1 - weight) * minmax(sparse)`` over the union of the two lists."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"hybrid weight must be in [0, 1], got {weight}")
    out: dict[int, float] = {}
    for (rows, scores), w in ((dense, weight), (sparse, 1.0 - weight)):
        for row, value in zip(np.asarray(rows).tolist(), minmax(scores).tolist()):
            out[row] = out.get(row, 0.0) + w * value
    return out


def fuse(method: str, dense: tuple[np.ndarray, np.ndarray], sparse: tuple[np.ndarray, np.ndarray], *,
         weight: float | None = None, k: int = RRF_K) -> dict[int, float]:
    """One query's fused scores (``{row: score}``) by ``method`` ("rrf" or "weighted")."""
    if method == "rrf":
        return rrf([dense, sparse], k=k)
    if method == "weighted":
        if weight is None:
            raise ValueError("weighted fusion needs a weight (choose it on a dev split)")
        return weighted(dense, sparse, weight)
    raise ValueError(f"unknown fusion method {method!r}; choose from {', '.join(METHODS)}")


def fused_vector(fused: dict[int, float], n: int) -> np.ndarray:
    """A dense length-``n`` score vector (0 for rows in neither list)."""
    vec = np.zeros(n, dtype=np.float64)
    if fused:
        rows = np.fromiter(fused.keys(), dtype=np.int64, count=len(fused))
        vec[rows] = np.fromiter(fused.values(), dtype=np.float64, count=len(fused))
    return vec
