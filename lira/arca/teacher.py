"""The frozen English side that Arca anchors to: a separate English model, or the student itself.

``model.teacher: self`` (the default anchor; the anchor and geometry terms that read it are off in
LiRA's default objective, see docs/GENERALIZATION.md) anchors to **the student's own frozen encoding of the
English translation**, the anchor of the paper behind LiRA (arXiv 2510.14466): the low-resource
sentence is pulled onto the point where the untrained backbone puts its English translation, so
the English space the student already has (and everything it encodes well off the training domain)
stays the target. A separate English teacher (``offline:all-minilm-l6-v2``, a folder or a hub id)
is the classic multilingual-distillation set-up (Reimers & Gurevych 2020); with a teacher whose
space differs from the student's, the student must move its whole space to the teacher's, which
on LiRA's data costs general cross-lingual alignment (see docs/GENERALIZATION.md).

Both kinds expose ``embed_english(texts, device) -> (B, D)`` unit rows without gradient, which is
what :class:`lira.arca.teacher_cache.TeacherAnchorCache` reads.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer

from lira.arca.agents.transformer import st_tokenize
from lira.arca.model import ArcaEncoder, SentenceTransformerEncoder, move_to_device
from lira.config import SELF_TEACHER, ModelConfig
from lira.models.loading import load_sentence_transformer


class SentenceTransformerTeacher:
    """A frozen sentence-transformers model on the English side (encoded without a prompt)."""

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model.eval().requires_grad_(False)

    @torch.no_grad()
    def embed_english(self, texts: Sequence[str], device: torch.device | str) -> torch.Tensor:
        features = move_to_device(st_tokenize(self.model, list(texts)), torch.device(device))
        return F.normalize(self.model(features)["sentence_embedding"].float(), dim=-1)

    def encoder(self) -> Any:
        """The same model behind LiRA's ``Encoder`` interface (for the evaluators)."""
        return SentenceTransformerEncoder(self.model)


class SelfTeacher:
    """A frozen copy of the untrained student: its encoding of English (with the student's prompt
    and language tag ``en``) is the anchor. Built exactly as the student is built, so before the
    first step the anchor loss of an English sentence is 0."""

    def __init__(self, student: ArcaEncoder) -> None:
        self.model = student.eval().requires_grad_(False)

    @torch.no_grad()
    def embed_english(self, texts: Sequence[str], device: torch.device | str) -> torch.Tensor:
        batch = self.model.prepare(list(texts), ["en"] * len(texts))
        return self.model(move_to_device(batch, torch.device(device))).float()

    def encoder(self) -> Any:
        return self.model


def load_teacher(config: ModelConfig, device: str | None = None) -> SentenceTransformerTeacher | SelfTeacher:
    """``config.teacher`` as an anchor source: ``self`` or a sentence-transformers model name."""
    if config.teacher == SELF_TEACHER:
        return SelfTeacher(ArcaEncoder.from_student(config.student, config, device=device))
    return SentenceTransformerTeacher(load_sentence_transformer(config.teacher, device=device))
