"""Length-grouped batches: sentences of similar length share a batch, so little compute goes to padding."""

from __future__ import annotations

import math
from typing import Hashable, Iterator, Sequence

import numpy as np


class LengthGroupedBatchSampler:
    """Deterministic length-grouped batches for one epoch.

    Indices are shuffled with ``seed + epoch``, cut into mega-batches of ``batch_size *
    mega_batch_factor``, sorted by length inside each mega-batch and cut into batches, and the
    batch order is shuffled again. The same (seed, epoch) always gives the same batches, which is
    what lets a resumed run skip exactly the batches it had already consumed.

    ``groups`` (one label per index, e.g. each pair's language): every batch then holds one group
    only, except those cut from the pooled leftovers (below). With an in-batch contrastive loss this makes the negatives of an English sentence
    other sentences *of the same language*, which is what en -> x retrieval has to tell apart (in
    a mixed batch most negatives are told apart by their script alone). Each group's last, partial
    batch goes into a pool that is length-sorted and cut like the rest, so the epoch has exactly
    as many batches as without groups: ``ceil(len(lengths) / batch_size)``.
    """

    def __init__(
        self, lengths: Sequence[int], batch_size: int, seed: int = 0, epoch: int = 0, mega_batch_factor: int = 50,
        groups: Sequence[Hashable] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if groups is not None and len(groups) != len(lengths):
            raise ValueError(f"groups has {len(groups)} labels for {len(lengths)} lengths")
        self.groups = list(groups) if groups is not None else None
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = epoch
        self.mega = batch_size * mega_batch_factor

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _cut(self, perm: np.ndarray) -> list[list[int]]:
        """Mega-batches of ``perm`` (in its order), each sorted by length and cut into batches."""
        out: list[list[int]] = []
        for start in range(0, len(perm), self.mega):
            chunk = perm[start : start + self.mega]
            chunk = chunk[np.argsort(-self.lengths[chunk], kind="stable")]
            out.extend(chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size))
        return out

    def batches(self) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        if self.groups is None:
            out = self._cut(rng.permutation(len(self.lengths)))
        else:
            labels = np.asarray([str(g) for g in self.groups])
            out, pool = [], []
            for label in sorted(set(labels.tolist())):
                group = self._cut(rng.permutation(np.flatnonzero(labels == label)))
                if group and len(group[-1]) < self.batch_size:  # mega-batches are whole batches: only the last can be short
                    pool.extend(group.pop())
                out.extend(group)
            out.extend(self._cut(np.asarray(pool, dtype=np.int64)))
        order = rng.permutation(len(out))
        return [out[i] for i in order]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)
