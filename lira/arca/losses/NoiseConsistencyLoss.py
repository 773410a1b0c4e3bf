from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class NoiseConsistencyLoss(nn.Module):
    """Pull the embedding of a noised sentence onto the embedding of the same sentence, clean.

    The embedding-level form of consistency training (Xie et al., "Unsupervised Data Augmentation for
    Consistency Training", NeurIPS 2020), as used for noise-robust sentence encoders (Sidiropoulos
    and Kanoulas, "Analysing the Robustness of Dual Encoders for Dense Retrieval Against
    Misspellings", SIGIR 2022): ``||n(s(noised(x))) - n(s(x))||^2`` summed over dimensions and
    averaged over the batch, with ``n`` the L2 normalisation, i.e. ``2 - 2 cos``. It is 0 when the two
    embeddings coincide and grows with the angle between them. With ``detach_clean`` (the default)
    the clean embedding is a fixed target: the noised input moves towards the clean one, never the
    other way, so clean quality is not traded for robustness.

    Inputs: ``clean`` and ``noised`` ``(B, D)`` (row i of one is a noised copy of row i of the other).

    Relation to other losses: ``AnchorAlignmentLoss`` and ``ContrastiveAlignmentLoss`` applied to the
    noised copy anchor it to the *English* point; this term ties it to its own clean version, which
    needs no translation. LaSR's ``SymmetricKLConsistencyLoss`` does the same for the head's
    predictions rather than the embeddings.

    Example::

        loss = NoiseConsistencyLoss()
        value, parts = loss(student(x_th), student(apply_noise(x_th, "th", 0.1, rng)))
    """

    def __init__(self, detach_clean: bool = True) -> None:
        super().__init__()
        self.detach_clean = detach_clean

    def forward(self, clean: torch.Tensor, noised: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        target = F.normalize(clean.detach() if self.detach_clean else clean, dim=-1)
        value = (F.normalize(noised, dim=-1) - target).pow(2).sum(dim=-1).mean()
        return value, {"noise_consistency": float(value.detach())}
