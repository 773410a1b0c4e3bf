"""Run MTEB on a LiRA model: ``MTEBEncoder`` has the ``encode(sentences, **kwargs)`` MTEB calls.

MTEB (``pip install mteb``; its tasks download their data from the Hugging Face hub, so this needs
a network or a pre-filled ``HF_HOME``) evaluates any object with an ``encode`` method. LiRA's
``ArcaEncoder`` already takes a list of sentences, but MTEB also passes ``task_name`` and
``prompt_type`` (query or document/passage), and newer MTEB releases pass a ``DataLoader`` of
``{"text": [...]}`` batches instead of a list. This wrapper maps all of that onto LiRA's
``encode(sentences, lang=..., prompt_name=...)``:

* ``prompt_type`` query -> ``prompt_name="query"``; document/passage -> ``"passage"`` (e5's
  "query: " / "passage: " prefixes); no ``prompt_type`` (STS, bitext) -> the model's default.
* the language for Arca's fusion gate: the ``lang`` given to the wrapper, or per task through
  ``task_languages`` (``{"Tatoeba": "th"}``), or per call (``lang=`` keyword); else none (the gate's
  language-neutral row).

Example (see docs/MTEB.md)::

    import mteb
    from lira.eval.mteb import MTEBEncoder

    model = MTEBEncoder.load("runs/demo/model", lang="th")
    tasks = mteb.get_tasks(tasks=["WisesightSentimentClassification"], languages=["tha"])
    mteb.MTEB(tasks=tasks).run(model, output_folder="results/mteb")
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

QUERY_TYPES = {"query"}
PASSAGE_TYPES = {"document", "passage", "corpus"}


def _prompt_name(prompt_type: Any) -> str | None:
    if prompt_type is None:
        return None
    value = str(getattr(prompt_type, "value", prompt_type)).lower()
    if value in QUERY_TYPES:
        return "query"
    if value in PASSAGE_TYPES:
        return "passage"
    raise ValueError(f"unknown MTEB prompt_type {prompt_type!r}; expected query or document/passage")


def _texts(sentences: Any) -> list[str]:
    """A list of strings, or MTEB 2's DataLoader of {"text": [...]} batches, as one list."""
    if isinstance(sentences, str):
        return [sentences]
    if isinstance(sentences, (list, tuple)) and all(isinstance(s, str) for s in sentences):
        return list(sentences)
    texts: list[str] = []
    for batch in sentences:
        if isinstance(batch, Mapping):
            texts.extend(batch["text"])
        else:
            texts.extend(batch if isinstance(batch, (list, tuple)) else [batch])
    return texts


class MTEBEncoder:
    """A LiRA model (``ArcaEncoder`` or any LiRA ``Encoder``) behind MTEB's ``encode``."""

    def __init__(self, model: Any, *, lang: str | None = None, task_languages: Mapping[str, str] | None = None, batch_size: int = 64) -> None:
        self.model = model
        self.lang = lang
        self.task_languages = dict(task_languages or {})
        self.batch_size = batch_size

    @classmethod
    def load(cls, name: str, **kwargs: Any) -> "MTEBEncoder":
        """From a LiRA model folder, a sentence-transformers folder or ``offline:<name>`` (``lira.models.encoders.load_encoder``)."""
        from lira.models.encoders import load_encoder

        return cls(load_encoder(name), **kwargs)

    def encode(
        self,
        sentences: Iterable[str] | Any,
        *,
        task_name: str | None = None,
        prompt_type: Any = None,
        batch_size: int | None = None,
        lang: str | None = None,
        show_progress_bar: bool = False,
        **_: Any,
    ) -> np.ndarray:
        texts = _texts(sentences)
        language = lang or (self.task_languages.get(task_name) if task_name else None) or self.lang
        vectors = self.model.encode(
            texts, lang=language, prompt_name=_prompt_name(prompt_type), batch_size=batch_size or self.batch_size, show_progress_bar=show_progress_bar
        )
        return np.asarray(vectors, dtype=np.float32)
