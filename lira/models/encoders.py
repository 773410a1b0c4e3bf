"""One entry point from a model name to an ``Encoder`` the evaluators accept."""

from __future__ import annotations

from pathlib import Path

from lira.arca.model import ARCA_CONFIG_FILE, ArcaEncoder, SentenceTransformerEncoder
from lira.models.loading import load_sentence_transformer


def load_encoder(name: str, device: str | None = None, prompt_name: str | None = "query"):
    """A trained LiRA model folder -> ``ArcaEncoder``; anything else (offline alias, plain
    sentence-transformers folder, hub id) -> that model behind the same interface."""
    if (Path(name) / ARCA_CONFIG_FILE).exists():
        return ArcaEncoder.load(name, device=device)
    return SentenceTransformerEncoder(load_sentence_transformer(name, device=device), prompt_name=prompt_name)
