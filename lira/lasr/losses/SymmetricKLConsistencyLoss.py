from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

ConsistencyKind = Literal["sym_kl", "js"]


class SymmetricKLConsistencyLoss(nn.Module):
    """Make two predictions of the same meaning agree: symmetric KL (or Jensen-Shannon) between logits.

    The consistency term of R-Drop (Liang et al., "R-Drop: Regularized Dropout for Neural
    Networks", NeurIPS 2021) and of xTune (Zheng et al., "Consistency Regularization for
    Cross-Lingual Fine-Tuning", ACL 2021): with ``p = softmax(a / T)``, ``q = softmax(b / T)``,

    * ``kind="sym_kl"``: ``(KL(p || q) + KL(q || p)) / 2``;
    * ``kind="js"``: ``(KL(p || m) + KL(q || m)) / 2`` with ``m = (p + q) / 2`` (Jensen-Shannon,
      bounded by ``log 2``, gentler when one side is confidently wrong),

    summed over classes and averaged over the batch (or over the rows where ``mask`` is true).
    LaSR uses it three ways, one instance each: (a) a low-resource input vs its English anchor
    (``detach_second=True``: English is the target and is not pulled towards the noisier side),
    (b) an input vs its noised copy (``lira.data.noise``), (c) two dropout passes of the same input.

    Inputs: ``logits_a``, ``logits_b`` ``(B, C)``; optional ``mask`` ``(B,)`` bool (rows without an
    anchor, say). ``name`` is the key of the logged part.

    Relation to other losses: ``TaskLoss`` needs labels; this term needs none, which is what lets
    unlabelled low-resource data (and English anchors) shape the head and the encoder.

    Example::

        loss = SymmetricKLConsistencyLoss(kind="sym_kl", detach_second=True, name="consistency_anchor")
        value, parts = loss(head(u_th, v_th, ids_th, task="esci"), head(u_en, v_en, ids_en, task="esci"))
    """

    def __init__(self, kind: ConsistencyKind = "sym_kl", temperature: float = 1.0, detach_second: bool = False, name: str = "consistency") -> None:
        super().__init__()
        if kind not in ("sym_kl", "js"):
            raise ValueError(f"consistency kind must be 'sym_kl' or 'js', got {kind!r}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.kind = kind
        self.temperature = temperature
        self.detach_second = detach_second
        self.name = name

    def forward(
        self, logits_a: torch.Tensor, logits_b: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        if logits_a.shape != logits_b.shape:
            raise ValueError(f"logits must have the same shape, got {tuple(logits_a.shape)} and {tuple(logits_b.shape)}")
        if self.detach_second:
            logits_b = logits_b.detach()
        log_p = F.log_softmax(logits_a.float() / self.temperature, dim=-1)
        log_q = F.log_softmax(logits_b.float() / self.temperature, dim=-1)
        if self.kind == "sym_kl":
            rows = 0.5 * ((log_p.exp() * (log_p - log_q)).sum(-1) + (log_q.exp() * (log_q - log_p)).sum(-1))
        else:
            log_m = torch.logsumexp(torch.stack([log_p, log_q]), dim=0) - math.log(2.0)
            rows = 0.5 * ((log_p.exp() * (log_p - log_m)).sum(-1) + (log_q.exp() * (log_q - log_m)).sum(-1))
        if mask is not None:
            mask = mask.to(device=rows.device, dtype=torch.bool)
            value = rows[mask].mean() if bool(mask.any()) else rows.sum() * 0.0
        else:
            value = rows.mean()
        return value, {self.name: float(value.detach())}
