from __future__ import annotations

import torch
from torch import nn


class AnchorAlignmentLoss(nn.Module):
    """Pull the student's embedding of a sentence onto the frozen teacher's embedding of its English anchor.

    This is the distillation objective of Reimers & Gurevych, "Making Monolingual Sentence
    Embeddings Multilingual using Knowledge Distillation" (EMNLP 2020):
    ``||s(x_lrl) - t(x_en)||^2 + ||s(x_en) - t(x_en)||^2``. The second term keeps the student's
    English on the teacher's English, so English does not drift while the other language moves.
    Unlike sentence-transformers' ``MSELoss`` (mean over dimensions), the squared distance is
    summed over dimensions and averaged over the batch: on unit vectors that is ``2 - 2 cos``,
    so the loss scale does not shrink with the embedding width.

    Inputs: ``student_lrl`` and ``student_en`` ``(B, D)`` student embeddings, ``teacher_en``
    ``(B, D)`` teacher embeddings of the English side (no gradient flows into the teacher).
    ``english_weight`` scales the English term (0 turns it off).

    Relation to other losses: ``ContrastiveAlignmentLoss`` aligns the two languages relative to
    in-batch negatives and needs no teacher; ``GeometryPreservationLoss`` matches whole
    similarity structures rather than points.

    Example::

        loss = AnchorAlignmentLoss(english_weight=1.0)
        value, parts = loss(student(x_th), student(x_en), teacher(x_en))
    """

    def __init__(self, english_weight: float = 1.0) -> None:
        super().__init__()
        self.english_weight = english_weight

    def forward(
        self, student_lrl: torch.Tensor, student_en: torch.Tensor, teacher_en: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        target = teacher_en.detach()
        lrl = (student_lrl - target).pow(2).sum(dim=-1).mean()
        en = (student_en - target).pow(2).sum(dim=-1).mean()
        total = lrl + self.english_weight * en
        return total, {"anchor_lrl": float(lrl.detach()), "anchor_en": float(en.detach())}
