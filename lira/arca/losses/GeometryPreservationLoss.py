from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GeometryPreservationLoss(nn.Module):
    """Keep the student's angles between English anchors equal to the teacher's.

    Relational knowledge distillation (Park et al., "Relational Knowledge Distillation", CVPR
    2019), angle-wise form: the mean squared difference between the student's and the teacher's
    cosine-similarity matrices over the batch's English sentences (diagonal excluded, it is 1 for
    both). Pointwise alignment alone can be met by a space that is locally right but whose
    neighbourhoods collapse or rotate; this term pins the whole similarity structure, so the
    shared space neither collapses (all similarities high) nor drifts from the teacher's geometry.

    Inputs: ``student_en`` ``(B, D_s)`` and ``teacher_en`` ``(B, D_t)``; the widths may differ,
    because only B x B similarity matrices are compared.

    Relation to other losses: complements ``AnchorAlignmentLoss`` (points) and
    ``ContrastiveAlignmentLoss`` (ranking across languages) with structure within English.

    Example::

        loss = GeometryPreservationLoss()
        value, parts = loss(student(x_en), teacher(x_en))
    """

    def forward(self, student_en: torch.Tensor, teacher_en: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        n = student_en.size(0)
        if n < 2:
            zero = student_en.sum() * 0.0
            return zero, {"geometry": 0.0}
        s = F.normalize(student_en, dim=-1)
        t = F.normalize(teacher_en.detach(), dim=-1)
        off_diagonal = ~torch.eye(n, dtype=torch.bool, device=s.device)
        diff = (s @ s.T - t @ t.T)[off_diagonal]
        value = diff.pow(2).mean()
        return value, {"geometry": float(value.detach())}
