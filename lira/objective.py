"""The unified LiRA objective: a weighted sum of switchable terms, each logged on its own.

``L = w_anchor * L_anchor + a * L_contrastive + b * L_geometry`` for Arca (LaSR's task and
consistency terms join through ``extra_terms``). A term whose weight is 0 is not computed at
all, so an ablation is one config flag and costs nothing.
"""

from __future__ import annotations

import torch
from torch import nn

from lira.arca.losses import AnchorAlignmentLoss, ContrastiveAlignmentLoss, GeometryPreservationLoss
from lira.config import ArcaConfig


class ArcaObjective(nn.Module):
    def __init__(self, config: ArcaConfig) -> None:
        super().__init__()
        self.config = config
        self.anchor = AnchorAlignmentLoss(english_weight=config.anchor_english_weight)
        self.contrastive = ContrastiveAlignmentLoss(temperature=config.contrastive_temperature)
        self.geometry = GeometryPreservationLoss()
        if not any(w > 0 for w in self.weights().values()):
            raise ValueError("every Arca loss weight is 0: nothing to train")

    def weights(self) -> dict[str, float]:
        c = self.config
        return {"anchor": c.anchor_weight, "contrastive": c.contrastive_weight, "geometry": c.geometry_weight}

    def forward(
        self,
        student_lrl: torch.Tensor,
        student_en: torch.Tensor,
        teacher_en: torch.Tensor,
        groups: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        w = self.weights()
        total = student_lrl.new_zeros(())
        logs: dict[str, float] = {}
        if w["anchor"] > 0:
            value, parts = self.anchor(student_lrl, student_en, teacher_en)
            total = total + w["anchor"] * value
            logs.update(parts, loss_anchor=float(value.detach()))
        if w["contrastive"] > 0:
            value, parts = self.contrastive(student_lrl, student_en, groups)
            total = total + w["contrastive"] * value
            logs.update(parts, loss_contrastive=float(value.detach()))
        if w["geometry"] > 0:
            value, parts = self.geometry(student_en, teacher_en)
            total = total + w["geometry"] * value
            logs.update(loss_geometry=float(value.detach()))
        logs["loss"] = float(total.detach())
        return total, logs
