"""What every encoding agent is: texts (and their languages) in, one vector per text out."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class EncodingAgent(nn.Module):
    """An agent is one view of the input that produces a ``(B, dim)`` tensor.

    ``prepare`` turns raw texts into tensors on CPU (tokenisation, n-gram hashing) so that a
    data loader can do it in worker processes; ``forward`` takes what ``prepare`` made, moved to
    the model's device. Agents are composed by ``LanguageAwareFusion``.
    """

    name: str = "agent"
    dim: int

    def prepare(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError
