"""The student transformer as an encoding agent."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer

from lira.arca.agents.base import EncodingAgent
from lira.models.compile import compiled_forward, padded_width
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


def pad_to_multiple(features: dict[str, Any], multiple: int, pad_id: int, limit: int | None = None, side: str = "right") -> dict[str, Any]:
    """Pad a tokenised batch's width up to a multiple of ``multiple`` (at most ``limit``, the
    model's maximum length). ``input_ids`` get ``pad_id``, every other ``[batch, width]`` tensor
    (attention mask, token types) 0, on the tokenizer's padding ``side``. The new positions are
    masked, so a model's pooled output does not change; the point is fewer distinct shapes."""
    ids = features["input_ids"]
    width = ids.size(1)
    target = padded_width(width, multiple, limit)
    if target == width:
        return features
    out = dict(features)
    for key, value in features.items():
        if isinstance(value, torch.Tensor) and value.dim() == 2 and value.shape == ids.shape:
            fill = pad_id if key == "input_ids" else 0
            pad = (target - width, 0) if side == "left" else (0, target - width)
            out[key] = F.pad(value, pad, value=fill)
    return out


class TransformerAgent(EncodingAgent):
    """Wraps a sentence-transformers model (transformer + pooling, any backbone it loads).

    Its output is L2-normalised so the fusion gate mixes agents on one scale whatever the
    backbone's pooling produces. ``max_seq_length`` is the training length; the student's own
    limit, as it came, is kept as ``native_max_seq_length`` for encoding (:meth:`length_limit`).
    """

    name = "transformer"

    def __init__(self, model: SentenceTransformer, max_seq_length: int | None = None, pad_to_multiple_of: int | None = None) -> None:
        super().__init__()
        self.model = model
        self.pad_to_multiple_of = pad_to_multiple_of
        self.native_max_seq_length = model.max_seq_length or position_limit(model)
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
        features = st_tokenize(self.model, [prompt + t for t in texts])
        if self.pad_to_multiple_of and "input_ids" in features:
            tokenizer = self.model.tokenizer
            pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
            features = pad_to_multiple(features, self.pad_to_multiple_of, pad_id, self.model.max_seq_length, tokenizer.padding_side)
        return features

    @contextlib.contextmanager
    def length_limit(self, tokens: int | None) -> Iterator[None]:
        """Within the block texts are cut at ``tokens`` (None: unchanged), e.g. the encoding length
        of a model trained on shorter texts."""
        before = self.model.max_seq_length
        if tokens is not None:
            self.model.max_seq_length = tokens
        try:
            yield
        finally:
            self.model.max_seq_length = before

    def cut_lengths(self, features: dict[str, torch.Tensor], texts: Sequence[str], prompt: str = "") -> list[int]:
        """Full token counts of the ``texts`` that ``prepare`` cut at the length limit. Only rows that
        fill the limit are tokenised again, so the common case (nothing that long) costs nothing."""
        limit = self.model.max_seq_length
        mask = features.get("attention_mask")
        if not limit or mask is None:
            return []
        full = [i for i, n in enumerate(mask.sum(dim=1).tolist()) if n >= limit]
        if not full:
            return []
        ids = self.model.tokenizer([prompt + texts[i] for i in full], truncation=False, verbose=False)["input_ids"]
        return [len(row) for row in ids if len(row) > limit]

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.normalize(self.model(dict(features))["sentence_embedding"].float(), dim=-1)

    def new_parameters(self) -> list[torch.nn.Parameter]:
        """Parameters of modules LiRA added to the student at build time (a projection to the
        teacher's width, see lira.models.backbone): they train at the head learning rate."""
        return [p for module in self.model if getattr(module, "lira_new", False) for p in module.parameters()]

    def compiled(self, mode: str = "default") -> contextlib.AbstractContextManager[None]:
        """Within the block the transformer's ``forward`` is ``torch.compile``d (``mode`` as
        ``train.compile``; see :func:`lira.models.compile.compiled_forward`). Pooling and the other
        agents stay eager: a handful of kernels against the backbone's hundreds."""
        return compiled_forward(self.model[0].auto_model, mode)

    def freeze_word_embeddings(self) -> None:
        """Stop gradient into the token-embedding table (see ModelConfig.freeze_word_embeddings)."""
        backbone = self.model[0].auto_model
        backbone.get_input_embeddings().weight.requires_grad_(False)

    def freeze_below_top_layers(self, top: int, dropout: bool = False) -> None:
        """Freeze the embeddings and every layer but the top ``top`` ones (encoders and decoders).

        ``dropout=False``: the frozen modules also stay in eval mode when the model trains, so they
        compute in training exactly what they compute at inference (and what a frozen-prefix cache
        holds); True: their dropout stays on in training (``model.frozen_dropout``)."""
        backbone = self.model[0].auto_model
        layers = transformer_layers(backbone)
        if not 0 <= top <= len(layers):
            raise ValueError(f"model.trainable_top_layers={top}, but the student has {len(layers)} layers")
        frozen = [backbone.get_input_embeddings()]
        embeddings = getattr(backbone, "embeddings", None)
        if embeddings is not None:
            frozen.append(embeddings)
        frozen += list(layers[: len(layers) - top])
        for module in frozen:
            module.requires_grad_(False)
        # A plain list (not registered as submodules: they already are, inside the backbone).
        self._eval_in_training = [] if dropout else frozen
        self.train(self.training)

    def train(self, mode: bool = True) -> "TransformerAgent":
        super().train(mode)
        for module in getattr(self, "_eval_in_training", ()):
            module.eval()
        return self


def position_limit(model: SentenceTransformer) -> int | None:
    """Tokens the backbone can position: its learned position table (less the RoBERTa family's
    offset past ``padding_idx``), else ``max_position_embeddings`` (rotary models)."""
    backbone = model[0].auto_model
    for module in backbone.modules():
        table = getattr(module, "position_embeddings", None)
        if isinstance(table, torch.nn.Embedding):
            padding_idx = getattr(module, "padding_idx", None)
            return table.num_embeddings - (padding_idx + 1 if isinstance(padding_idx, int) else 0)
    limit = getattr(backbone.config, "max_position_embeddings", None)
    return int(limit) if limit and limit > 0 else None


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
