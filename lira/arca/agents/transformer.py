"""The student transformer as an encoding agent."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer

from lira.arca.agents.base import EncodingAgent
from lira.models.prenormalize import call_prenormalized


def st_tokenize(model: SentenceTransformer, texts: Sequence[str]) -> dict[str, torch.Tensor]:
    """Tokenise for a SentenceTransformer: ``preprocess`` (sentence-transformers >= 6) or ``tokenize``.

    A tokenizer whose normaliser is a long per-codepoint ``Replace`` chain (the offline e5 student)
    goes through ``lira.models.prenormalize``: the same ids, ~10x less time per text.
    """
    preprocess = getattr(model, "preprocess", None) or model.tokenize
    first = model[0] if len(model) else None
    if getattr(first, "do_lower_case", False):  # it lowercases before the normaliser: keep that order
        return dict(preprocess(list(texts)))
    return dict(call_prenormalized(getattr(model, "tokenizer", None), texts, preprocess))


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
        return st_tokenize(self.model, [prompt + t for t in texts])

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.normalize(self.model(dict(features))["sentence_embedding"].float(), dim=-1)

    def new_parameters(self) -> list[torch.nn.Parameter]:
        """Parameters of modules LiRA added to the student at build time (a projection to the
        teacher's width, see lira.models.backbone): they train at the head learning rate."""
        return [p for module in self.model if getattr(module, "lira_new", False) for p in module.parameters()]

    def freeze_word_embeddings(self) -> None:
        """Stop gradient into the token-embedding table (see ModelConfig.freeze_word_embeddings)."""
        backbone = self.model[0].auto_model
        backbone.get_input_embeddings().weight.requires_grad_(False)

    def freeze_below_top_layers(self, top: int) -> None:
        """Freeze the embeddings and every layer but the top ``top`` ones (encoders and decoders)."""
        backbone = self.model[0].auto_model
        layers = transformer_layers(backbone)
        if not 0 <= top <= len(layers):
            raise ValueError(f"model.trainable_top_layers={top}, but the student has {len(layers)} layers")
        backbone.get_input_embeddings().requires_grad_(False)
        embeddings = getattr(backbone, "embeddings", None)
        if embeddings is not None:
            embeddings.requires_grad_(False)
        for layer in layers[: len(layers) - top]:
            layer.requires_grad_(False)


def transformer_layers(backbone: torch.nn.Module) -> torch.nn.ModuleList:
    """The stack of blocks: ``encoder.layer`` (BERT, XLM-R), ``layers`` (Llama, Gemma, Qwen), ``h`` (GPT-2)."""
    for path in ("encoder.layer", "layers", "model.layers", "h", "transformer.h"):
        module = backbone
        for name in path.split("."):
            module = getattr(module, name, None)
            if module is None:
                break
        if isinstance(module, torch.nn.ModuleList):
            return module
    raise ValueError(f"cannot find the transformer layers of {type(backbone).__name__}")
