"""``torch.compile`` for LiRA's backbones, and the padding that keeps its shapes few.

A compiled function is specialised to its input shapes (with ``reduce-overhead``, one CUDA graph
per shape), so the callers pad batch widths up to a multiple (:func:`padded_width`); padded
positions are masked and the outputs do not change. Used by training (``train.compile``,
``TransformerAgent.compiled``), by ``FastEncoder(compile=...)`` and by the throughput benchmark.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch


def torch_compile_mode(mode: str) -> str | None:
    """LiRA's mode names (``train.compile``) as ``torch.compile`` takes them: "default" is ``None``."""
    return None if mode == "default" else mode


def padded_width(width: int, multiple: int, limit: int | None = None) -> int:
    """``width`` rounded up to a multiple of ``multiple``, but never past ``limit`` (the model's
    maximum length) and never below ``width`` itself."""
    target = -(-width // multiple) * multiple
    return target if limit is None else min(target, max(width, limit))


@contextlib.contextmanager
def compiled_forward(module: torch.nn.Module, mode: str = "default") -> Iterator[None]:
    """Within the block ``module.forward`` is ``torch.compile``d; on leaving it the class's forward
    is back, so saving, copying and later evaluation see an ordinary module.

    The compiled function is set on the instance, not through ``nn.Module.compile``:
    sentence-transformers >= 6 calls its backbone's ``forward`` directly, which would bypass that.
    Parameter names and the state dict are unchanged."""
    module.forward = torch.compile(module.forward, mode=torch_compile_mode(mode))
    try:
        yield
    finally:
        del module.forward
