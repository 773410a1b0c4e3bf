"""The student transformer as an encoding agent."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer

from lira.arca.agents.base import EncodingAgent


class TransformerAgent(EncodingAgent):
    """Wraps a sentence-transformers model (transformer + pooling, any backbone it loads).

    Its output is L2-normalised so the fusion gate mixes agents on one scale whatever the
    backbone's pooling produces.
    """

    name = "transformer"

    def __init__(self, model: SentenceTransformer, max_seq_length: int | None = None) -> None:
        super().__init__()
        self.model = model
        if max_seq_length is not None:
            self.model.max_seq_length = max_seq_length
        # sentence-transformers >= 5.x renamed the method; keep older releases working.
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dimension())

    def prompt(self, name: str | None) -> str:
        """The text prefix the model expects for a role ("query: " for e5), or ''."""
        if name is None:
            name = self.model.default_prompt_name
        return self.model.prompts.get(name, "") if name else ""

    def prepare(self, texts: Sequence[str], prompt: str = "") -> dict[str, torch.Tensor]:
        return dict(self.model.tokenize([prompt + t for t in texts]))

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.normalize(self.model(dict(features))["sentence_embedding"].float(), dim=-1)

    def freeze_word_embeddings(self) -> None:
        """Stop gradient into the token-embedding table (see ModelConfig.freeze_word_embeddings)."""
        backbone = self.model[0].auto_model
        backbone.get_input_embeddings().weight.requires_grad_(False)
