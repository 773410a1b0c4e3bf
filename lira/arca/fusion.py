"""Language-aware fusion: compose several agents' vectors of one input into one representation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LanguageAwareFusion(nn.Module):
    """A learned gate over agents, conditioned on the input's language.

    For K agents with outputs ``a_1..a_K`` (each ``(B, D)``), the gate reads a learned language
    embedding and the agents' normalised outputs and produces softmax weights ``g``; the fused
    vector is ``normalize(sum_k g_k a_k)``. Per language the model can lean on the character views
    where the subword transformer is weak (noisy Thai, romanised Urdu) and on the transformer where
    it is strong.

    The gate's bias starts at ``primary_bias`` for agent 0 (the transformer) and 0 for the others,
    so before training the fused vector is dominated by the student (the other agents also start
    with zero output projections, so it equals the student exactly).

    ``keep`` leaves chosen agents out of chosen rows (``model.agent_dropout`` in training,
    ``ArcaEncoder.fusing_only`` at inference); the transformer is always kept.

    ``language_aware=False`` drops the language embedding: the gate then sees only the agents'
    outputs (the minus-language-embedding ablation).
    """

    def __init__(
        self,
        num_agents: int,
        dim: int,
        num_languages: int,
        language_dim: int = 32,
        language_aware: bool = True,
        primary_bias: float = 2.0,
    ) -> None:
        super().__init__()
        self.num_agents = num_agents
        self.language_aware = language_aware
        self.language_embedding = nn.Embedding(num_languages, language_dim) if language_aware else None
        gate_in = num_agents * dim + (language_dim if language_aware else 0)
        self.gate = nn.Linear(gate_in, num_agents)
        nn.init.zeros_(self.gate.weight)
        with torch.no_grad():
            self.gate.bias.zero_()
            self.gate.bias[0] = primary_bias

    def weights(self, agent_outputs: list[torch.Tensor], language_ids: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """The gate's ``(B, K)`` softmax weights (exposed for analysis and plots). ``keep``: a ``(B, K)``
        bool mask of the agents each row fuses (agent dropout); the others get weight 0 and the
        softmax is taken over the kept ones. Column 0 (the transformer) is kept in every row whatever
        the mask says: a row must fuse something (read on the device, no host check per step)."""
        parts = [F.normalize(a.float(), dim=-1) for a in agent_outputs]
        if self.language_embedding is not None:
            parts.append(self.language_embedding(language_ids))
        logits = self.gate(torch.cat(parts, dim=-1))
        if keep is not None:
            if keep.shape != logits.shape:
                raise ValueError(f"fusion keep mask: expected shape {tuple(logits.shape)}, got {tuple(keep.shape)}")
            keep = keep.clone()
            keep[:, 0] = True
            logits = logits.masked_fill(~keep, float("-inf"))
        return torch.softmax(logits, dim=-1)

    def forward(self, agent_outputs: list[torch.Tensor], language_ids: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        if len(agent_outputs) != self.num_agents:
            raise ValueError(f"fusion expects {self.num_agents} agent outputs, got {len(agent_outputs)}")
        if self.num_agents == 1:
            return F.normalize(agent_outputs[0].float(), dim=-1)
        g = self.weights(agent_outputs, language_ids, keep)
        fused = sum(g[:, k : k + 1] * agent_outputs[k].float() for k in range(self.num_agents))
        return F.normalize(fused, dim=-1)
