"""Fingerprints of encoders: which model, exactly, made a set of vectors.

An index answers only queries encoded by the model that encoded its documents; another model of the
same width answers with plausible-looking nonsense, and a name cannot tell them apart (a folder is
retrained in place, a hub name moves). A fingerprint is a digest of what decides a model's vectors:
its weights (every ``state_dict`` tensor, in key order), prompts, pooling, normalisation, maximum
length, and LiRA's fingerprint format. It leaves out where the model lives, so a model saved to
another folder and loaded again keeps its fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from typing import Any, Iterable

import torch
from torch import nn

FINGERPRINT_FORMAT = "lira-fingerprint/1"

# module -> (parameter versions, digest): hashing e5-small's weights takes about a second, so it is
# done once per loaded model; an in-place update (an optimizer step, load_state_dict) bumps a
# parameter's version and so invalidates the entry.
_WEIGHT_DIGESTS: "weakref.WeakKeyDictionary[nn.Module, tuple[tuple[int, ...], str]]" = weakref.WeakKeyDictionary()


def tensors_digest(named: Iterable[tuple[str, torch.Tensor]]) -> str:
    """sha256 over names and float32 values, in the order given (no copy for a float32 CPU tensor)."""
    digest = hashlib.sha256()
    for name, tensor in named:
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().contiguous().numpy())
    return digest.hexdigest()


def weights_digest(module: nn.Module) -> str:
    """:func:`tensors_digest` of the whole ``state_dict``, cached per module (see above)."""
    versions = tuple(t._version for t in module.state_dict().values())
    cached = _WEIGHT_DIGESTS.get(module)
    if cached is not None and cached[0] == versions:
        return cached[1]
    digest = tensors_digest(sorted(module.state_dict().items()))
    _WEIGHT_DIGESTS[module] = (versions, digest)
    return digest


def sentence_transformer_settings(model: Any) -> dict[str, Any]:
    """What besides the weights decides a SentenceTransformer's vectors."""
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling  # noqa: PLC0415

    pooling = next((m for m in model if isinstance(m, Pooling)), None)
    return {
        "modules": [type(m).__name__ for m in model],
        "pooling": pooling.get_config_dict() if pooling is not None else None,
        "normalize": any(isinstance(m, Normalize) for m in model),
        "prompts": dict(model.prompts),
        "default_prompt_name": model.default_prompt_name,
        "max_seq_length": model.max_seq_length,
        "truncate_dim": getattr(model, "truncate_dim", None),
    }


def describe(settings: dict[str, Any], weights: str) -> dict[str, Any]:
    """A fingerprint: ``{"id": short digest of everything, "format", "weights", **settings}``."""
    body = {"format": FINGERPRINT_FORMAT, "weights": weights, **settings}
    ident = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return {"id": ident, **body}


def encoder_fingerprint(encoder: Any) -> dict[str, Any] | None:
    """The fingerprint of a LiRA ``Encoder`` (``ArcaEncoder``, ``SentenceTransformerEncoder``, a
    SentenceTransformer, or anything with a ``fingerprint()`` method); None when it cannot be told
    (an encoder without weights LiRA can see)."""
    own = getattr(encoder, "fingerprint", None)
    if callable(own):
        return own()
    inner = getattr(encoder, "encoder", None)
    if hasattr(inner, "encode"):  # a wrapper that hands on its model's vectors (lira.eval.base.CachingEncoder)
        return encoder_fingerprint(inner)
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    # The index passes its prompt names explicitly, so a wrapper's default prompt is left out.
    model = encoder if isinstance(encoder, SentenceTransformer) else getattr(encoder, "model", None)
    if not isinstance(model, SentenceTransformer):
        return None
    return describe({"encoder": "SentenceTransformer", **sentence_transformer_settings(model)}, weights_digest(model))


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Keys (other than the id) on which two fingerprints differ."""
    return sorted(k for k in set(a) | set(b) if k != "id" and a.get(k) != b.get(k))
