from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ContrastiveAlignmentLoss(nn.Module):
    """Symmetric in-batch InfoNCE between sentences and their English translations.

    The translation-ranking objective of LaBSE (Feng et al., "Language-agnostic BERT Sentence
    Embedding", ACL 2022) and of sentence-transformers' ``MultipleNegativesSymmetricRankingLoss``:
    each low-resource sentence must pick its own English translation out of the batch (x -> en),
    and each English sentence its translation (en -> x); the two cross-entropies are averaged.
    Cosine similarities are divided by ``temperature``.

    Inputs: ``lrl`` and ``en`` ``(B, D)`` embeddings (row i of one translates row i of the other),
    optional ``groups`` ``(B,)`` integer ids of the English source: when one English sentence sits
    in a batch twice (translated into two languages), its other copies are masked out of the
    negatives instead of being punished as wrong answers.

    Relation to other losses: ``AnchorAlignmentLoss`` pulls towards fixed teacher points; this loss
    only cares about relative ranking, which is what retrieval measures.

    Example::

        loss = ContrastiveAlignmentLoss(temperature=0.05)
        value, parts = loss(student(x_vi), student(x_en), groups=english_ids)
    """

    def __init__(self, temperature: float = 0.05) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature

    def forward(
        self, lrl: torch.Tensor, en: torch.Tensor, groups: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        logits = F.normalize(lrl, dim=-1) @ F.normalize(en, dim=-1).T / self.temperature
        if groups is not None:
            same = groups[:, None] == groups[None, :]
            same.fill_diagonal_(False)
            logits = logits.masked_fill(same, float("-inf"))
        labels = torch.arange(logits.size(0), device=logits.device)
        x2en = F.cross_entropy(logits, labels)
        en2x = F.cross_entropy(logits.T, labels)
        total = (x2en + en2x) / 2
        return total, {"contrastive_x2en": float(x2en.detach()), "contrastive_en2x": float(en2x.detach())}
