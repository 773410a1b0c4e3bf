"""The frozen teacher's English vectors, computed once per English sentence and reused.

The teacher is frozen and runs in eval mode, so its vector for an English sentence never changes
during training. The shipped corpus shares one English sentence across all seven languages, and
every epoch after the first sees the same sentences again: without a cache the teacher re-encodes
each English sentence ~7 times per epoch. :class:`TeacherAnchorCache` encodes only the sentences a
batch brings that it has not seen (in one forward, tokenised through ``st_tokenize``) and keeps the
vectors on the host (``n_english x dim`` float32: 1.5 GB for a million distinct sentences at 384
dimensions).

The cached vector of a sentence comes from the forward of the batch that first brought it; a
re-encoding in another batch differs only by padding-dependent rounding (~1e-7 in fp32).
"""

from __future__ import annotations

from typing import Any, Sequence

import torch


class TeacherAnchorCache:
    """``cache(ids, texts, device)`` -> the teacher's float32 vectors for those English sentences.

    ``ids`` index the distinct English sentences (0..n_english-1); ``texts`` are the sentences
    themselves (used only for ids not cached yet). ``teacher`` is anything with
    ``embed_english(texts, device)`` (:mod:`lira.arca.teacher`); a plain SentenceTransformer is
    wrapped as a :class:`~lira.arca.teacher.SentenceTransformerTeacher`.
    """

    def __init__(self, teacher: Any, n_english: int) -> None:
        if not hasattr(teacher, "embed_english"):
            from lira.arca.teacher import SentenceTransformerTeacher

            teacher = SentenceTransformerTeacher(teacher)
        self.teacher = teacher
        self.n_english = int(n_english)
        self.vectors: torch.Tensor | None = None  # allocated at the first batch, when the width is known
        self.filled = torch.zeros(self.n_english, dtype=torch.bool)
        self.encoded = 0  # sentences the teacher actually encoded (for logs and tests)

    @torch.no_grad()
    def __call__(self, ids: torch.Tensor, texts: Sequence[str], device: torch.device | str) -> torch.Tensor:
        ids = ids.detach().to("cpu", torch.long)
        if ids.numel() != len(texts):
            raise ValueError(f"TeacherAnchorCache: {ids.numel()} ids for {len(texts)} texts")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.n_english):
            raise IndexError(f"TeacherAnchorCache: ids must lie in [0, {self.n_english}); got {int(ids.min())}..{int(ids.max())}")
        missing: dict[int, str] = {}
        for i, text in zip(ids.tolist(), texts):
            if not self.filled[i]:
                missing.setdefault(i, text)
        if missing:
            out = self.teacher.embed_english(list(missing.values()), device).float().cpu()
            if self.vectors is None:
                self.vectors = torch.zeros(self.n_english, out.size(1), dtype=torch.float32)
            rows = torch.tensor(list(missing), dtype=torch.long)
            self.vectors[rows] = out
            self.filled[rows] = True
            self.encoded += len(missing)
        assert self.vectors is not None
        return self.vectors[ids].to(device, non_blocking=True)
