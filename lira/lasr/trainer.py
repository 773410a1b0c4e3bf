"""Training LaSR's head on a frozen encoder (the staged schedule, and the few-shot study).

The encoder embeds every text once (clean, noised, English anchors); the head then trains on
those vectors in seconds, so many (k, seed, ablation) runs cost one encoding pass.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from lira.config import LasrConfig
from lira.data.fewshot import sample_few_shot
from lira.data.reasoning import EsciExample
from lira.lasr.head import LasrHead
from lira.objective import LasrObjective, LasrViews

TASK = "esci"


@dataclass
class EmbeddedExamples:
    """Row-aligned embeddings of examples: clean (u, v), English anchors, noised copies."""

    examples: list[EsciExample]
    u: np.ndarray
    v: np.ndarray
    anchor_u: np.ndarray
    anchor_v: np.ndarray
    noised_u: np.ndarray
    noised_v: np.ndarray


def embed_examples(encoder: Any, examples: Sequence[EsciExample], batch_size: int = 128, show_progress_bar: bool = True) -> EmbeddedExamples:
    """Embed with e5-style roles (queries as "query", titles as "passage") and each text's language.
    Wrap ``encoder`` in ``lira.eval.base.CachingEncoder`` to share work across calls."""
    examples = list(examples)
    langs = sorted({e.lang for e in examples})

    def side(attr: str, role: str, english: bool = False) -> np.ndarray:
        out = None
        for lang in tqdm(langs, desc=f"embed {attr}", disable=not show_progress_bar, leave=False):
            rows = [i for i, e in enumerate(examples) if e.lang == lang]
            vectors = encoder.encode([getattr(examples[i], attr) for i in rows], lang="en" if english else lang, prompt_name=role, batch_size=batch_size)
            if out is None:
                out = np.zeros((len(examples), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out  # type: ignore[return-value]

    return EmbeddedExamples(
        examples,
        side("text_a", "query"),
        side("text_b", "passage"),
        side("anchor_a", "query", english=True),
        side("anchor_b", "passage", english=True),
        side("noised_a", "query"),
        side("noised_b", "passage"),
    )


def split_rows(examples: Sequence[EsciExample], config: LasrConfig, languages: Sequence[str], seed: int) -> tuple[list[int], list[int]]:
    """(labelled rows, unlabelled rows): English and ``few_shot_k`` per language are labelled; the
    other low-resource rows are unlabelled, and only used when a consistency term is on."""
    labelled_ids = {id(e) for e in sample_few_shot(examples, config.few_shot_k, list(languages), seed)}
    uses_unlabelled = any(weight > 0 for name, weight in config.weights().items() if name.startswith("consistency"))
    labelled = [i for i, e in enumerate(examples) if id(e) in labelled_ids]
    unlabelled = [i for i, e in enumerate(examples) if uses_unlabelled and id(e) not in labelled_ids and e.lang != "en"]
    return labelled, unlabelled


def draw_rows(labelled: Sequence[int], unlabelled: Sequence[int], size: int, rng: random.Random) -> list[int]:
    """``size`` labelled rows, then (if any) ``size`` unlabelled ones: the task term sees the same
    amount of labelled data whether consistency is on or off."""
    picked = rng.sample(list(labelled), min(size, len(labelled)))
    if unlabelled:
        picked += rng.sample(list(unlabelled), min(size, len(unlabelled)))
    return picked


def train_head(
    data: EmbeddedExamples,
    config: LasrConfig,
    *,
    languages: Sequence[str],
    seed: int = 0,
    steps: int | None = None,
    progress: bool = False,
) -> tuple[LasrHead, list[dict[str, float]]]:
    """Train a fresh head: English examples are labelled; ``config.few_shot_k`` examples per
    low-resource language are labelled too; every other low-resource example is unlabelled and
    only feeds the consistency terms (dropped entirely when those are all off).

    Each step draws ``batch_size`` labelled rows and, when a consistency term is on, another
    ``batch_size`` unlabelled rows: the task term sees the same amount of labelled data whether
    consistency is on or off, so the two settings differ only by the consistency terms."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    examples = data.examples
    labelled_rows, unlabelled_rows = split_rows(examples, config, languages, seed)
    labelled = set(labelled_rows)
    rows = labelled_rows + unlabelled_rows
    head = LasrHead.from_config(config, dim=data.u.shape[1])
    labels = head.encode_labels(TASK, [e.label for e in examples]).tolist()
    objective = LasrObjective(config)
    optimizer = torch.optim.AdamW(head.parameters(), lr=config.head_learning_rate, weight_decay=0.01)
    tensors = {name: torch.from_numpy(getattr(data, name)) for name in ("u", "v", "anchor_u", "anchor_v", "noised_u", "noised_v")}
    lang_ids = torch.tensor([head.language_id(e.lang) for e in examples])
    en_id = head.language_id("en")
    label_tensor = torch.tensor([labels[i] if i in labelled else -1 for i in range(len(examples))])
    is_english = torch.tensor([e.lang == "en" for e in examples])
    history: list[dict[str, float]] = []
    head.train()
    total_steps = steps or config.head_steps
    for step in tqdm(range(total_steps), desc="lasr head", disable=not progress, leave=False):
        batch = torch.tensor(draw_rows(labelled_rows, unlabelled_rows, config.batch_size, rng))
        views = LasrViews(
            u=tensors["u"][batch], v=tensors["v"][batch], language_ids=lang_ids[batch], labels=label_tensor[batch],
            anchor_u=tensors["anchor_u"][batch], anchor_v=tensors["anchor_v"][batch],
            anchor_language_ids=torch.full((len(batch),), en_id), is_english=is_english[batch],
            noised_u=tensors["noised_u"][batch], noised_v=tensors["noised_v"][batch],
        )
        loss, logs = objective(head, TASK, views)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        history.append({"step": step + 1, **logs})
    head.mark_trained({examples[i].lang for i in rows}, tasks=[TASK])
    head.eval()
    return head, history


def embedded_scorer(data: EmbeddedExamples, head: LasrHead, *, noised: bool = False, unseen: str = "neutral"):
    """A ``ReasoningEvaluator`` scorer that looks texts up in precomputed embeddings.

    ``unseen="neutral"``: a language the head never trained on (zero-shot without consistency)
    is read with the language-neutral modulation rather than an untrained language embedding.
    """
    index = {(e.lang, e.text_a, e.text_b): i for i, e in enumerate(data.examples)}
    u_all, v_all = (data.noised_u, data.noised_v) if noised else (data.u, data.v)

    def score(texts_a: list[str], texts_b: list[str] | None, lang: str):
        rows = [index[(lang, a, b)] for a, b in zip(texts_a, texts_b or [None] * len(texts_a))]
        with torch.no_grad():
            return head.score(u_all[rows], v_all[rows], [lang] * len(rows), TASK, unseen=unseen)  # type: ignore[arg-type]

    return score
