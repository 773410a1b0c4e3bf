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

    ``mode="correlation"`` compares the *shape* of each sentence's similarities rather than their
    values: every row of both matrices (diagonal excluded) is standardised to mean 0 and variance 1
    before the squared difference, so the term equals ``2 * (1 - r)`` averaged over rows, with
    ``r`` the Pearson correlation of the student's and the teacher's similarities to the other
    sentences (the inter-relation term of DIST, Huang et al., "Knowledge Distillation from A Stronger
    Teacher", NeurIPS 2022). Two encoders rarely share a similarity scale (e5's cosines between
    unrelated sentences sit around 0.7, MiniLM's near 0.1): ``"cosine"`` asks the student to adopt
    the teacher's scale as well as its neighbourhoods, ``"correlation"`` only its neighbourhoods and
    relative angles.

    Relation to other losses: complements ``AnchorAlignmentLoss`` (points) and
    ``ContrastiveAlignmentLoss`` (ranking across languages) with structure within English.

    Example::

        loss = GeometryPreservationLoss()                      # or mode="correlation"
        value, parts = loss(student(x_en), teacher(x_en))
    """

    MODES = ("cosine", "correlation")

    def __init__(self, mode: str = "cosine", eps: float = 1e-6) -> None:
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f"GeometryPreservationLoss: mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode
        self.eps = eps

    def forward(self, student_en: torch.Tensor, teacher_en: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        n = student_en.size(0)
        if n < (3 if self.mode == "correlation" else 2):  # a correlation needs two off-diagonal entries per row
            zero = student_en.sum() * 0.0
            return zero, {"geometry": 0.0}
        s = F.normalize(student_en, dim=-1)
        t = F.normalize(teacher_en.detach(), dim=-1)
        off_diagonal = ~torch.eye(n, dtype=torch.bool, device=s.device)
        s_sim, t_sim = (s @ s.T)[off_diagonal].view(n, n - 1), (t @ t.T)[off_diagonal].view(n, n - 1)
        if self.mode == "correlation":
            s_sim, t_sim = self._standardise(s_sim), self._standardise(t_sim)
        value = (s_sim - t_sim).pow(2).mean()
        return value, {"geometry": float(value.detach())}

    def _standardise(self, rows: torch.Tensor) -> torch.Tensor:
        centred = rows - rows.mean(dim=1, keepdim=True)
        return centred / (centred.pow(2).mean(dim=1, keepdim=True) + self.eps).sqrt()
