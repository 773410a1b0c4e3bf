"""Length-grouped batches: sentences of similar length share a batch, so little compute goes to padding."""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np


class LengthGroupedBatchSampler:
    """Deterministic length-grouped batches for one epoch.

    Indices are shuffled with ``seed + epoch``, cut into mega-batches of ``batch_size *
    mega_batch_factor``, sorted by length inside each mega-batch and cut into batches, and the
    batch order is shuffled again. The same (seed, epoch) always gives the same batches, which is
    what lets a resumed run skip exactly the batches it had already consumed.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0, epoch: int = 0, mega_batch_factor: int = 50) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = epoch
        self.mega = batch_size * mega_batch_factor

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        perm = rng.permutation(len(self.lengths))
        out: list[list[int]] = []
        for start in range(0, len(perm), self.mega):
            chunk = perm[start : start + self.mega]
            chunk = chunk[np.argsort(-self.lengths[chunk], kind="stable")]
            out.extend(chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size))
        order = rng.permutation(len(out))
        return [out[i] for i in order]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)
