"""One interface for every LiRA evaluator, after sentence-transformers' ``SentenceEvaluator``.

An evaluator is built from data, called with an encoder, and returns a flat dict of metrics
(``{"th/x2en/acc@1": 0.81, ...}``) plus a primary metric for model selection. Encoders are
anything with an ``encode`` like sentence-transformers' (a LiRA ``ArcaEncoder``, a plain
``SentenceTransformer``, a BM25 wrapper), so baselines and LiRA models are scored by the
same code.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """What an evaluator needs of a model: sentences in, L2-normalised float32 rows out.

    ``lang`` lets language-aware models (Arca's fusion gate) condition on the input language;
    ``prompt_name`` selects an e5-style prefix ("query" / "passage"). Encoders that need
    neither ignore them.
    """

    def encode(
        self,
        sentences: Sequence[str],
        *,
        lang: str | None = None,
        prompt_name: str | None = None,
        batch_size: int = 64,
        show_progress_bar: bool = False,
    ) -> np.ndarray: ...


class Evaluator(ABC):
    """Base class: ``__call__(encoder) -> metrics``; ``primary_metric`` names the headline number."""

    name: str = "evaluator"
    primary_metric: str = ""

    @abstractmethod
    def __call__(self, encoder: Encoder) -> dict[str, float]:
        """Score ``encoder``; return a flat metrics dict (keys joined with '/')."""

    def save(self, metrics: dict[str, Any], out_dir: str | Path) -> Path:
        """Write metrics as JSON under ``out_dir`` (``<name>.json``) and return the path."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{self.name}.json"
        path.write_text(json.dumps(metrics, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


class CachingEncoder:
    """Remembers embeddings by (text, lang, prompt) so several evaluations of one model, e.g.
    student-student and student-teacher retrieval, encode each sentence once."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.cache: dict[tuple[str, str | None, str | None], np.ndarray] = {}

    def encode(self, sentences: Sequence[str], *, lang: str | None = None, prompt_name: str | None = None, batch_size: int = 64, show_progress_bar: bool = False, **kwargs: Any) -> np.ndarray:
        missing = list(dict.fromkeys(s for s in sentences if (s, lang, prompt_name) not in self.cache))
        if missing:
            rows = self.encoder.encode(missing, lang=lang, prompt_name=prompt_name, batch_size=batch_size, show_progress_bar=show_progress_bar, **kwargs)
            for text, row in zip(missing, np.asarray(rows, dtype=np.float32)):
                self.cache[(text, lang, prompt_name)] = row
        return np.stack([self.cache[(s, lang, prompt_name)] for s in sentences]) if sentences else np.zeros((0, 0), np.float32)
