from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lira.arca.memory import EmbeddingMemory


class ContrastiveAlignmentLoss(nn.Module):
    """Symmetric in-batch InfoNCE between sentences and their English translations.

    The translation-ranking objective of LaBSE (Feng et al., "Language-agnostic BERT Sentence
    Embedding", ACL 2022) and of sentence-transformers' ``MultipleNegativesSymmetricRankingLoss``:
    each low-resource sentence must pick its own English translation out of the batch (x -> en),
    and each English sentence its translation (en -> x); the two cross-entropies are averaged.
    Cosine similarities are divided by ``temperature``.

    ``margin`` > 0: additive margin softmax (Yang et al., "Improving Multilingual Sentence Embedding
    using Bi-directional Dual Encoder with Additive Margin Softmax", IJCAI 2019; LaBSE uses 0.3): the
    translation's cosine is lowered by ``margin`` before the softmax, so it must beat every negative
    by at least that much, not merely rank first.

    Inputs: ``lrl`` and ``en`` ``(B, D)`` embeddings (row i of one translates row i of the other),
    optional ``groups`` ``(B,)`` integer ids of the English source: when one English sentence sits
    in a batch twice (translated into two languages), its other copies are masked out of the
    negatives instead of being punished as wrong answers.

    ``memory_size`` > 0: the last ``memory_size`` rows of earlier batches (``lira.arca.memory.
    EmbeddingMemory``, detached) are extra negatives in both directions: cross-batch memory (Wang et
    al., CVPR 2020), many more negatives than a CPU batch holds, as LaBSE gets from batches of
    thousands. ``groups`` is then required (memory rows of the same English source are masked too);
    ``remember=False`` scores a batch without adding it (``remember`` adds it later).

    Relation to other losses: ``AnchorAlignmentLoss`` pulls towards fixed teacher points; this loss
    only cares about relative ranking, which is what retrieval measures.

    Example::

        loss = ContrastiveAlignmentLoss(temperature=0.05)
        value, parts = loss(student(x_vi), student(x_en), groups=english_ids)
    """

    def __init__(self, temperature: float = 0.05, memory_size: int = 0, margin: float = 0.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        self.temperature = temperature
        self.margin = margin
        self.memory = EmbeddingMemory(memory_size) if memory_size else None

    def remember(self, lrl: torch.Tensor, en: torch.Tensor, groups: torch.Tensor) -> None:
        """Add a batch to the memory (when there is one) without scoring it: a caller that scores
        several views of one batch (clean and noised) scores them all first, then adds the batch once."""
        if self.memory is not None:
            self.memory.add(F.normalize(lrl, dim=-1), F.normalize(en, dim=-1), groups)

    def forward(
        self, lrl: torch.Tensor, en: torch.Tensor, groups: torch.Tensor | None = None, *, remember: bool = True
    ) -> tuple[torch.Tensor, dict[str, float]]:
        lrl, en = F.normalize(lrl, dim=-1), F.normalize(en, dim=-1)
        similarity = lrl @ en.T
        if self.margin:
            similarity = similarity - self.margin * torch.eye(similarity.size(0), device=similarity.device, dtype=similarity.dtype)
        logits = similarity / self.temperature
        if groups is not None:
            same = groups[:, None] == groups[None, :]
            same.fill_diagonal_(False)
            logits = logits.masked_fill(same, float("-inf"))
        labels = torch.arange(logits.size(0), device=logits.device)
        x2en_logits, en2x_logits = logits, logits.T
        if self.memory is not None:
            if groups is None:
                raise ValueError("the contrastive memory needs groups (English-source ids) to mask translations of the same sentence")
            if len(self.memory):
                seen = groups[:, None] == self.memory.groups[None, :].to(groups.device)  # type: ignore[index]
                x2en_logits = torch.cat([logits, (lrl @ self.memory.en.to(lrl).T / self.temperature).masked_fill(seen, float("-inf"))], dim=1)  # type: ignore[union-attr]
                en2x_logits = torch.cat([logits.T, (en @ self.memory.lrl.to(en).T / self.temperature).masked_fill(seen, float("-inf"))], dim=1)  # type: ignore[union-attr]
            if remember:
                self.memory.add(lrl, en, groups)
        x2en = F.cross_entropy(x2en_logits, labels)
        en2x = F.cross_entropy(en2x_logits, labels)
        total = (x2en + en2x) / 2
        return total, {"contrastive_x2en": float(x2en.detach()), "contrastive_en2x": float(en2x.detach())}
