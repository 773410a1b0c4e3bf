"""Frozen-prefix cache: compute a student's frozen lower layers once per text, reuse them everywhere.

With ``model.trainable_top_layers = N`` (and frozen embeddings), the student's embeddings and its
lower ``L - N`` layers never change: every model trained from that student, whatever its loss
weights or seed, computes the same hidden states there for the same tokens. A study that trains
and evaluates many such models (``lira eval suite``) can compute those states once, keep them
keyed by the token ids, and run only the top N layers per model: on a 12-layer e5-small with
N = 2 that is about a sixth of the encoder's work per text, for training and for evaluation.

``FrozenPrefixCache.fill(model, texts, prompt_name)`` runs the full student once and stores the
hidden states after layer ``L - N``; ``with cache.attached(model): ...`` makes the model's
embedding module return those states and its frozen layers pass them through, without changing
the model's parameters or ``state_dict`` (checkpoints and ``save`` are unaffected). Outputs agree
with the uncached model up to float rounding (tested); the cached states are eval-mode ones, which
is what the frozen layers compute in training too unless ``model.frozen_dropout`` is set, so a run
trained with the cache is the run trained without it.

A text that was not filled is an error naming it, never a silent recomputation with other
weights; attaching to a model whose frozen weights differ from the ones the cache was filled
with is an error too (checked by a fingerprint of those weights).

BERT-style encoders only (a backbone with ``embeddings`` and ``encoder.layer``, as e5 and
XLM-R have); decoders raise ``NotImplementedError``.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any, Iterator, Sequence

import torch
from tqdm.auto import tqdm

from lira.arca.agents.transformer import transformer_layers


def _backbone(model: Any) -> torch.nn.Module:
    return model.transformer.model[0].auto_model


def _check_supported(backbone: torch.nn.Module) -> None:
    if getattr(backbone, "embeddings", None) is None or getattr(getattr(backbone, "encoder", None), "layer", None) is None:
        raise NotImplementedError(f"the frozen-prefix cache supports BERT-style encoders (embeddings + encoder.layer), not {type(backbone).__name__}")


def frozen_fingerprint(model: Any, frozen_layers: int) -> str:
    """sha256 of the embeddings and the lower ``frozen_layers`` layers' weights."""
    backbone = _backbone(model)
    digest = hashlib.sha256()
    modules = [("embeddings", backbone.embeddings)] + [(f"layer{i}", layer) for i, layer in enumerate(transformer_layers(backbone)[:frozen_layers])]
    for prefix, module in modules:
        for name, tensor in sorted(module.state_dict().items()):
            digest.update(f"{prefix}.{name}".encode())
            digest.update(tensor.detach().float().cpu().contiguous().numpy())  # the buffer itself: no 400 MB copy of the embedding table
    return digest.hexdigest()


class FrozenPrefixCache:
    """Hidden states after the student's frozen layers, keyed by token ids (prompt included)."""

    def __init__(self, frozen_layers: int) -> None:
        if frozen_layers < 1:
            raise ValueError(f"frozen_layers must be >= 1, got {frozen_layers}")
        self.frozen_layers = frozen_layers
        self.states: dict[tuple[int, ...], torch.Tensor] = {}
        self.fingerprint: str | None = None
        self.hits = 0

    @classmethod
    def for_model(cls, model: Any) -> "FrozenPrefixCache":
        """A cache for ``model``'s frozen prefix: all layers below ``model.config.trainable_top_layers``."""
        top = model.config.trainable_top_layers
        total = len(transformer_layers(_backbone(model)))
        if top is None or top >= total:
            raise ValueError("the frozen-prefix cache needs model.trainable_top_layers below the number of layers")
        if not model.config.freeze_word_embeddings:
            raise ValueError("the frozen-prefix cache needs model.freeze_word_embeddings: true")
        return cls(total - top)

    def __len__(self) -> int:
        return len(self.states)

    def _keys(self, features: dict[str, torch.Tensor]) -> list[tuple[int, ...]]:
        ids, mask = features["input_ids"], features["attention_mask"]
        return [tuple(row[: int(m.sum())].tolist()) for row, m in zip(ids, mask)]

    @torch.inference_mode()
    def fill(self, model: Any, texts: Sequence[str], prompt_name: str | None = None, *, batch_size: int = 64, progress: bool = False, encoding_only: bool = False) -> int:
        """Compute and keep the states of ``texts`` (with ``prompt_name``'s prefix); returns how many were new.

        ``encoding_only``: keep them at the encoding length only (a cache that serves ``encode``,
        e.g. evaluation, and never a training step)."""
        backbone = _backbone(model)
        _check_supported(backbone)
        fingerprint = frozen_fingerprint(model, self.frozen_layers)
        if self.fingerprint is None:
            self.fingerprint = fingerprint
        elif fingerprint != self.fingerprint:
            raise ValueError("fill: this model's frozen layers differ from the ones the cache was filled with")
        prompt = model.transformer.prompt(prompt_name or model.config.prompt_name)
        unique = sorted(set(texts), key=len)
        added = 0
        # Through the model's own train()/eval(): it keeps frozen layers in eval mode (model.frozen_dropout).
        was_training = model.training
        model.eval()
        device = next(backbone.parameters()).device
        # Training cuts texts at the training length, ``encode`` at the (longer) encoding length: a
        # long text has a key at each, and both are filled.
        encoding = getattr(model, "encode_max_seq_length", None)
        lengths = dict.fromkeys([encoding] if encoding_only else [model.transformer.model.max_seq_length, encoding])
        for length in lengths:
            with model.transformer.length_limit(length):
                for start in tqdm(range(0, len(unique), batch_size), desc="prefix cache", disable=not progress, leave=False):
                    added += self._fill_batch(backbone, model.transformer.prepare(unique[start : start + batch_size], prompt), device)
        model.train(was_training)
        return added

    def _fill_batch(self, backbone: torch.nn.Module, features: dict[str, torch.Tensor], device: torch.device) -> int:
        keys = self._keys(features)
        todo = [i for i, key in enumerate(keys) if key not in self.states]
        if not todo:
            return 0
        inputs = {k: v[todo].to(device) for k, v in features.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        # Run the frozen layers only: the layers above would cost a full forward for states never kept.
        layers = backbone.encoder.layer
        backbone.encoder.layer = layers[: self.frozen_layers]
        try:
            hidden = backbone(**inputs, output_hidden_states=True).hidden_states[self.frozen_layers].float().cpu()
        finally:
            backbone.encoder.layer = layers
        for row, i in enumerate(todo):
            self.states[keys[i]] = hidden[row, : len(keys[i])].clone()
        return len(todo)

    def lookup(self, input_ids: torch.Tensor, pad_token_id: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """Padded ``(B, T, D)`` states for a batch of token ids (padding positions are zeros: masked anyway)."""
        rows = []
        for row in input_ids.tolist():
            while row and row[-1] == pad_token_id:
                row.pop()
            key = tuple(row)
            state = self.states.get(key)
            if state is None:
                raise KeyError(f"frozen-prefix cache: no states for a text of {len(key)} tokens (ids {list(key[:12])}...); fill it first")
            rows.append(state)
        out = torch.zeros(len(rows), input_ids.shape[1], rows[0].shape[-1], dtype=dtype)
        for i, state in enumerate(rows):
            out[i, : state.shape[0]] = state
        self.hits += len(rows)
        return out.to(device)

    @contextlib.contextmanager
    def attached(self, model: Any) -> Iterator[None]:
        """Within the block, ``model``'s frozen prefix reads from the cache (see the module docstring)."""
        backbone = _backbone(model)
        _check_supported(backbone)
        if self.fingerprint is None:
            raise ValueError("attach: the cache is empty; fill it first")
        if frozen_fingerprint(model, self.frozen_layers) != self.fingerprint:
            raise ValueError("attach: this model's frozen layers differ from the ones the cache was filled with")
        pad = backbone.config.pad_token_id
        pad = 0 if pad is None else int(pad)
        embeddings = backbone.embeddings
        layers = list(transformer_layers(backbone)[: self.frozen_layers])
        reference = next(embeddings.parameters())

        def cached_embeddings(input_ids: torch.Tensor | None = None, **_: Any) -> torch.Tensor:
            if input_ids is None:
                raise ValueError("frozen-prefix cache: the model was called without input_ids")
            return self.lookup(input_ids, pad, reference.device, reference.dtype)

        # transformers 5 layers return the hidden states; older releases a 1-tuple.
        tuple_outputs = _layer_returns_tuple()

        def passthrough(hidden_states: torch.Tensor, *_: Any, **__: Any) -> Any:
            return (hidden_states,) if tuple_outputs else hidden_states

        embeddings.forward = cached_embeddings  # instance attributes: the state_dict is untouched
        for layer in layers:
            layer.forward = passthrough
        try:
            yield
        finally:
            del embeddings.forward
            for layer in layers:
                del layer.forward


def evaluation_cache(model: Any) -> FrozenPrefixCache | None:
    """An empty cache for ``model``'s frozen prefix, or None where it has none to cache (every layer
    trained, trainable word embeddings, or not a BERT-style encoder).

    Evaluations of one model before, during and after training (the dev sets at each checkpoint, a
    test set before and after) see the same frozen lower layers each time: filled once, every later
    evaluation runs only the trained top layers.
    """
    try:
        cache = FrozenPrefixCache.for_model(model)
        _check_supported(_backbone(model))
    except (ValueError, NotImplementedError, AttributeError):
        return None
    return cache


def attached_if(cache: FrozenPrefixCache | None, model: Any) -> contextlib.AbstractContextManager[None]:
    """``cache.attached(model)``, or a block that changes nothing where there is no cache."""
    return cache.attached(model) if cache is not None else contextlib.nullcontext()


def _layer_returns_tuple() -> bool:
    import transformers

    return int(transformers.__version__.split(".")[0]) < 5
