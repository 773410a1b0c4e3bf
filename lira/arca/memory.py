"""A first-in-first-out memory of earlier batches' embeddings: extra negatives for the contrastive term."""

from __future__ import annotations

from typing import Any

import torch


class EmbeddingMemory:
    """The last ``capacity`` (low-resource, English, English-source id) rows the contrastive term saw.

    Cross-batch memory (Wang et al., "Cross-Batch Memory for Embedding Learning", CVPR 2020; the
    queue of MoCo, He et al. 2020): the embeddings of the last few batches, detached, serve as extra
    negatives, so each sentence is told apart from ``batch + capacity`` candidates instead of
    ``batch``, at the cost of one matrix product. The rows are a few steps stale; with a small
    learning rate and most of the encoder frozen they move little between steps. Rows keep the id of
    their English source, so a translation of the same English sentence (another language's, or the
    same pair an epoch later) is masked out rather than taken for a negative.

    ``state_dict`` / ``load_state_dict`` let a checkpoint carry the memory (``Accelerator.
    register_for_checkpointing``), so a resumed run continues with the same negatives. Accelerate
    saves the main process's copy only: with several processes every rank resumes with rank 0's rows
    (still rows of the same run, a few steps old, not the rank's own).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.lrl: torch.Tensor | None = None
        self.en: torch.Tensor | None = None
        self.groups: torch.Tensor | None = None

    def __len__(self) -> int:
        return 0 if self.groups is None else int(self.groups.numel())

    def add(self, lrl: torch.Tensor, en: torch.Tensor, groups: torch.Tensor) -> None:
        """Append a batch (detached, on the batch's device) and drop the oldest rows over capacity."""
        lrl, en, groups = lrl.detach(), en.detach(), groups.detach()
        if self.groups is not None:  # rows restored from a checkpoint sit on the CPU: join them on the batch's device
            lrl = torch.cat([self.lrl.to(lrl), lrl])  # type: ignore[union-attr]
            en = torch.cat([self.en.to(en), en])  # type: ignore[union-attr]
            groups = torch.cat([self.groups.to(groups.device), groups])
        self.lrl, self.en, self.groups = lrl[-self.capacity :], en[-self.capacity :], groups[-self.capacity :]

    def state_dict(self) -> dict[str, Any]:
        if self.groups is None:
            return {"capacity": self.capacity}
        return {"capacity": self.capacity, "lrl": self.lrl.cpu(), "en": self.en.cpu(), "groups": self.groups.cpu()}  # type: ignore[union-attr]

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("capacity") != self.capacity:
            raise ValueError(f"checkpointed contrastive memory holds {state.get('capacity')} rows, the config asks for {self.capacity}")
        self.lrl, self.en, self.groups = state.get("lrl"), state.get("en"), state.get("groups")
