"""LaSR inside Arca's training loop: ``lasr.enabled`` with ``lasr.schedule`` joint or staged.

joint: every Arca step also draws a LaSR batch (labelled ESCI examples, plus unlabelled low-resource
ones when a consistency term is on), encodes it with the student being trained, and adds
``c * L_task + d * L_consistency`` to Arca's loss, so the encoder and the head learn together.
staged: Arca trains first; the head is then trained on the frozen encoder's embeddings
(``lira.lasr.trainer``). Either way the head is saved as ``<model>/lasr_head``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import torch

from lira.config import LiraConfig
from lira.data.reasoning import EsciExample, default_products_dir, esci_examples
from lira.lasr.head import LasrHead
from lira.lasr.trainer import draw_rows, split_rows
from lira.objective import LasrObjective, LasrViews

TASK = "esci"
HEAD_DIR = "lasr_head"


def lasr_training_examples(config: LiraConfig) -> list[EsciExample]:
    lc = config.lasr
    data = Path(lc.data) if lc.data else default_products_dir()
    return esci_examples(data, "train", config.data.languages, queries_per_language=lc.queries_per_language, seed=0, noise_level=lc.noise_level, noise_kinds=lc.noise_kinds)


class JointLasr:
    """Holds the head, the examples and the objective; ``loss(model, step)`` gives LaSR's terms for one step."""

    def __init__(self, config: LiraConfig, dim: int, examples: list[EsciExample] | None = None) -> None:
        lc = config.lasr
        self.config = config
        self.examples = examples if examples is not None else lasr_training_examples(config)
        self.head = LasrHead.from_config(lc, dim=dim)
        self.labelled_rows, self.unlabelled_rows = split_rows(self.examples, lc, config.data.languages, config.train.seed)
        labelled = set(self.labelled_rows)
        ids = self.head.encode_labels(TASK, [e.label for e in self.examples]).tolist()
        self.labels = [ids[i] if i in labelled else -1 for i in range(len(self.examples))]
        self.objective = LasrObjective(lc)
        self.seed = config.train.seed

    def rows(self, step: int) -> list[int]:
        """The step's examples, drawn from (seed, step) alone so a resumed run draws the same ones."""
        return draw_rows(self.labelled_rows, self.unlabelled_rows, self.config.lasr.batch_size, random.Random(f"{self.seed}:{step}"))

    def loss(self, model: Any, head: torch.nn.Module, step: int, device: torch.device) -> tuple[torch.Tensor, dict[str, float]]:
        from lira.arca.model import move_to_device

        rows = self.rows(step)
        batch = [self.examples[i] for i in rows]
        n = len(batch)
        inner = getattr(model, "module", model)
        langs = [e.lang for e in batch]

        def encode(texts: list[str], text_langs: list[str], role: str) -> torch.Tensor:
            return model(move_to_device(inner.prepare(texts, text_langs, role), device)).float()

        a = encode([e.text_a for e in batch] + [e.anchor_a for e in batch] + [e.noised_a for e in batch], langs + ["en"] * n + langs, "query")
        b = encode([e.text_b for e in batch] + [e.anchor_b for e in batch] + [e.noised_b for e in batch], langs + ["en"] * n + langs, "passage")
        core = getattr(head, "module", head)
        views = LasrViews(
            u=a[:n], v=b[:n], language_ids=torch.tensor([core.language_id(l) for l in langs], device=device),
            labels=torch.tensor([self.labels[i] for i in rows], device=device),
            anchor_u=a[n : 2 * n], anchor_v=b[n : 2 * n], anchor_language_ids=torch.full((n,), core.language_id("en"), device=device),
            is_english=torch.tensor([l == "en" for l in langs], device=device), noised_u=a[2 * n :], noised_v=b[2 * n :],
        )
        value, logs = self.objective(head, TASK, views)
        return value, logs

    def trained_languages(self) -> set[str]:
        return {self.examples[i].lang for i in self.labelled_rows + self.unlabelled_rows}
