"""The unified LiRA objective: a weighted sum of switchable terms, each logged on its own.

``L = w_anchor * L_anchor + a * L_contrastive + t * L_contrastive(transformer agent) + b * L_geometry
+ r * L_retrieval + n_a * L_noise_anchor + n_c * L_noise_consistency`` for Arca (LaSR's task and consistency terms
join through ``extra_terms``). A term whose weight is 0 (or None) is not computed at all, so an
ablation is one config flag and costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from lira.arca.losses import (
    AnchorAlignmentLoss,
    ContrastiveAlignmentLoss,
    GeometryPreservationLoss,
    NoiseConsistencyLoss,
    QueryTitleRetrievalLoss,
)
from lira.config import ArcaConfig, LasrConfig
from lira.lasr.losses import SymmetricKLConsistencyLoss, TaskLoss

DEFAULT_RETRIEVAL_TEMPERATURE = 0.05


@dataclass
class RetrievalViews:
    """One retrieval batch, encoded (``lira.data.retrieval.RetrievalBatch`` gives the texts and the mask)."""

    queries: torch.Tensor
    titles: torch.Tensor
    positives: torch.Tensor
    false_negatives: torch.Tensor


class ArcaObjective(nn.Module):
    def __init__(self, config: ArcaConfig) -> None:
        super().__init__()
        self.config = config
        self.anchor = AnchorAlignmentLoss(english_weight=config.anchor_english_weight)
        self.contrastive = ContrastiveAlignmentLoss(temperature=config.contrastive_temperature, memory_size=config.contrastive_memory or 0,
                                                    margin=config.contrastive_margin or 0.0)
        # The deep-supervision term has no memory of its own: a memory holds fused rows.
        self.transformer_contrastive = ContrastiveAlignmentLoss(temperature=config.contrastive_temperature, margin=config.contrastive_margin or 0.0)
        self.geometry = GeometryPreservationLoss(mode=config.geometry_mode)
        self.retrieval = QueryTitleRetrievalLoss(temperature=config.retrieval_temperature or DEFAULT_RETRIEVAL_TEMPERATURE)
        self.noise_anchor = AnchorAlignmentLoss(english_weight=0.0)  # the noised copy -> the English anchor; English itself is the clean term's job
        self.noise_consistency = NoiseConsistencyLoss()
        if not any(w > 0 for w in self.weights().values()):
            raise ValueError("every Arca loss weight is 0: nothing to train")

    def weights(self) -> dict[str, float]:
        c = self.config
        return {
            "anchor": c.anchor_weight, "contrastive": c.contrastive_weight, "geometry": c.geometry_weight,
            "retrieval": c.retrieval_weight or 0.0, "noise_anchor": c.noise_anchor_weight or 0.0,
            "noise_consistency": c.noise_consistency_weight or 0.0,
            "transformer_contrastive": c.transformer_contrastive_weight or 0.0,
        }

    def forward(
        self,
        student_lrl: torch.Tensor,
        student_en: torch.Tensor,
        teacher_en: torch.Tensor | None,
        groups: torch.Tensor | None = None,
        *,
        noised_lrl: torch.Tensor | None = None,
        retrieval: RetrievalViews | None = None,
        transformer: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """``noised_lrl``: embeddings of noised copies of the low-resource rows (the noise terms read
        them); ``retrieval``: an encoded retrieval batch (the retrieval term reads it);
        ``transformer``: the transformer agent's own (low-resource, English) vectors before the
        fusion (the deep-supervision term reads them). A term whose input is missing is skipped."""
        w = self.weights()
        total = student_lrl.new_zeros(())
        logs: dict[str, float] = {}
        if w["anchor"] > 0:
            value, parts = self.anchor(student_lrl, student_en, teacher_en)
            total = total + w["anchor"] * value
            logs.update(parts, loss_anchor=float(value.detach()))
        if w["contrastive"] > 0:
            # Added to the memory (if any) only after every view of the batch is scored: the noised
            # copies below must not meet this batch's clean rows a second time among the negatives.
            value, parts = self.contrastive(student_lrl, student_en, groups, remember=False)
            total = total + w["contrastive"] * value
            logs.update(parts, loss_contrastive=float(value.detach()))
        if w["transformer_contrastive"] > 0 and transformer is not None:
            value, _ = self.transformer_contrastive(transformer[0], transformer[1], groups, remember=False)
            total = total + w["transformer_contrastive"] * value
            logs["loss_transformer_contrastive"] = float(value.detach())
        if w["geometry"] > 0:
            value, parts = self.geometry(student_en, teacher_en)
            total = total + w["geometry"] * value
            logs.update(loss_geometry=float(value.detach()))
        if w["noise_anchor"] > 0 and noised_lrl is not None:
            # The noised copy through the alignment terms that are on, with their weights: the same
            # English point (anchor) and the same translation to pick out of the batch (contrastive).
            value = student_lrl.new_zeros(())
            if w["anchor"] > 0:
                value = value + w["anchor"] * self.noise_anchor(noised_lrl, student_en, teacher_en)[0]
            if w["contrastive"] > 0:
                value = value + w["contrastive"] * self.contrastive(noised_lrl, student_en, groups, remember=False)[0]
            total = total + w["noise_anchor"] * value
            logs["loss_noise_anchor"] = float(value.detach())
        if w["noise_consistency"] > 0 and noised_lrl is not None:
            value, _ = self.noise_consistency(student_lrl, noised_lrl)
            total = total + w["noise_consistency"] * value
            logs["loss_noise_consistency"] = float(value.detach())
        if w["retrieval"] > 0 and retrieval is not None:
            value, parts = self.retrieval(retrieval.queries, retrieval.titles, retrieval.positives, retrieval.false_negatives)
            total = total + w["retrieval"] * value
            logs.update(parts, loss_retrieval=float(value.detach()))
        if w["contrastive"] > 0 and groups is not None:
            self.contrastive.remember(student_lrl, student_en, groups)
        logs["loss"] = float(total.detach())
        return total, logs


@dataclass
class LasrViews:
    """What LaSR's terms read for one batch of pair examples (rows aligned).

    ``labels`` holds class ids, -1 where the example is unlabelled (it still feeds the
    consistency terms). ``anchor_u``/``anchor_v`` are the English anchors' embeddings;
    ``is_english`` marks rows that are English already (no anchor term for them).
    """

    u: torch.Tensor
    v: torch.Tensor | None
    language_ids: torch.Tensor
    labels: torch.Tensor
    anchor_u: torch.Tensor | None = None
    anchor_v: torch.Tensor | None = None
    anchor_language_ids: torch.Tensor | None = None
    is_english: torch.Tensor | None = None
    noised_u: torch.Tensor | None = None
    noised_v: torch.Tensor | None = None


class LasrObjective(nn.Module):
    """LaSR's part of the unified objective:
    ``c * L_task + d_anchor * C(x_lrl, x_en) + d_noise * C(x, noise(x)) + d_dropout * C(drop_1(x), drop_2(x))``
    where C is the symmetric KL (or JS) consistency loss; the English anchor's prediction is the
    target (no gradient) so the head pulls low-resource predictions towards English, not the
    other way round. Terms at weight 0 are not computed.
    """

    def __init__(self, config: LasrConfig) -> None:
        super().__init__()
        self.config = config
        self.task = TaskLoss()
        self.consistency = SymmetricKLConsistencyLoss(kind=config.consistency_kind)  # type: ignore[arg-type]
        self.anchor_consistency = SymmetricKLConsistencyLoss(kind=config.consistency_kind, detach_second=True)  # type: ignore[arg-type]

    def forward(self, head: nn.Module, task: str, views: LasrViews) -> tuple[torch.Tensor, dict[str, float]]:
        w = self.config.weights()
        logits = head(views.u, views.v, views.language_ids, task=task)
        total = logits.new_zeros(())
        logs: dict[str, float] = {}
        labelled = views.labels >= 0
        if w["task"] > 0 and bool(labelled.any()):
            value, parts = self.task(logits[labelled], views.labels[labelled])
            total = total + w["task"] * value
            logs.update(loss_task=float(value.detach()), task_acc=parts.get("task_acc", float("nan")))
        if w["consistency_dropout"] > 0:
            value, _ = self.consistency(logits, head(views.u, views.v, views.language_ids, task=task))
            total = total + w["consistency_dropout"] * value
            logs["loss_consistency_dropout"] = float(value.detach())
        if w["consistency_noise"] > 0 and views.noised_u is not None:
            value, _ = self.consistency(logits, head(views.noised_u, views.noised_v, views.language_ids, task=task))
            total = total + w["consistency_noise"] * value
            logs["loss_consistency_noise"] = float(value.detach())
        if w["consistency_anchor"] > 0 and views.anchor_u is not None:
            rows = ~views.is_english if views.is_english is not None else torch.ones_like(labelled)
            if bool(rows.any()):
                anchor = head(views.anchor_u[rows], None if views.anchor_v is None else views.anchor_v[rows], views.anchor_language_ids[rows], task=task)
                value, _ = self.anchor_consistency(logits[rows], anchor)
                total = total + w["consistency_anchor"] * value
                logs["loss_consistency_anchor"] = float(value.detach())
        logs["loss_lasr"] = float(total.detach())
        return total, logs
