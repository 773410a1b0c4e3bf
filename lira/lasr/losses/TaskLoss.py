from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class TaskLoss(nn.Module):
    """Supervised cross-entropy of the head's logits against gold labels, optionally class-weighted.

    The standard fine-tuning objective of Sentence-BERT's ``SoftmaxLoss`` (Reimers & Gurevych,
    "Sentence-BERT", EMNLP 2019) applied to LaSR's logits. ``class_weights`` (one per label,
    as in ``torch.nn.CrossEntropyLoss``) counter skewed label sets: ESCI is mostly "exact", so
    "complement" would otherwise be learnt last. With weights, the batch value is the weighted
    mean (sum of w_y * CE over sum of w_y), PyTorch's convention. ``label_smoothing`` as in PyTorch.

    Inputs: ``logits`` ``(B, C)``, ``labels`` ``(B,)`` class ids (``LasrHead.encode_labels``).
    Logged parts: ``<name>`` (the loss) and ``<name>_acc`` (batch accuracy).

    Relation to other losses: the only LaSR term that needs labels (English, plus k few-shot
    examples per low-resource language); ``SymmetricKLConsistencyLoss`` transfers it to the rest.

    Example::

        loss = TaskLoss(class_weights=[1.0, 2.0, 4.0, 1.0])
        value, parts = loss(head(u, v, ids, task="esci"), head.encode_labels("esci", gold))
    """

    def __init__(self, class_weights: Sequence[float] | torch.Tensor | None = None, label_smoothing: float = 0.0, name: str = "task") -> None:
        super().__init__()
        weights = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)
        if weights is not None and (weights.dim() != 1 or bool((weights < 0).any())):
            raise ValueError(f"class_weights must be a 1-D list of non-negative numbers, got {class_weights}")
        self.register_buffer("class_weights", weights, persistent=False)
        self.label_smoothing = label_smoothing
        self.name = name

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        weights = self.class_weights
        if weights is not None and weights.numel() != logits.size(-1):
            raise ValueError(f"{weights.numel()} class weights for {logits.size(-1)} classes")
        labels = labels.to(logits.device)
        value = F.cross_entropy(logits.float(), labels, weight=weights, label_smoothing=self.label_smoothing)
        acc = (logits.detach().argmax(dim=-1) == labels).float().mean()
        return value, {self.name: float(value.detach()), f"{self.name}_acc": float(acc)}
