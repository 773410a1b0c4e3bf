"""Reasoning evaluation: per-language accuracy and macro-F1 of a classifier, and its transfer gap to English.

The question LaSR answers is how much of English task performance survives in a low-resource
language. ``ReasoningEvaluator`` scores labelled examples ``(lang, text_a, text_b | None, label)``
with any *scorer* (texts in, logits out: a LaSR head over Arca, a fine-tuned baseline, a
constant-class dummy) and reports, per language, accuracy and macro-F1 (scikit-learn), and the
transfer gap ``English - language`` for both; ``mean/...`` averages over the non-English
languages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from lira.eval.base import Encoder, Evaluator
from lira.languages import UnknownLanguageError, canonical_language

if TYPE_CHECKING:
    from lira.lasr.head import LasrHead

Scorer = Callable[[list[str], "list[str] | None", str], Any]
"""``scorer(texts_a, texts_b_or_None, lang) -> (N, C)`` logits (numpy, torch or nested lists);
column j is ``labels[j]``. Called once per language chunk; ``texts_b`` is None for single-sentence examples."""

METRICS = ("accuracy", "macro_f1")


@dataclass(frozen=True)
class ReasoningExample:
    lang: str
    text_a: str
    text_b: str | None
    label: str


def _as_example(item: Any) -> ReasoningExample:
    if isinstance(item, ReasoningExample):
        return item
    if isinstance(item, dict):
        return ReasoningExample(item["lang"], item["text_a"], item.get("text_b"), item["label"])
    if isinstance(item, (tuple, list)):
        if len(item) != 4:
            raise ValueError(f"expected (lang, text_a, text_b | None, label), got {item!r}")
        return ReasoningExample(*item)
    return ReasoningExample(item.lang, item.text_a, getattr(item, "text_b", None), item.label)


def _canonical(lang: str) -> str:
    try:
        return canonical_language(lang)
    except UnknownLanguageError:
        return lang


class ReasoningEvaluator(Evaluator):
    """Accuracy, macro-F1 and the English transfer gap, per language.

    ``labels``: the label names in logit-column order (e.g. ``head.labels("esci")``); a gold
    label outside them is a ``ValueError``. Examples of one language are scored in chunks of
    ``batch_size``, pairs and single sentences separately.

    Metrics: ``<lang>/accuracy``, ``<lang>/macro_f1``, ``<lang>/n``; when English is among the
    examples, ``<lang>/gap/accuracy`` and ``<lang>/gap/macro_f1`` (English minus the language;
    positive = worse than English) for every other language; ``mean/accuracy``, ``mean/macro_f1``,
    ``mean/gap/...`` over the non-English languages. Macro-F1 averages over the labels that occur
    in the language's gold or predicted labels (scikit-learn's default), so a label absent from a
    small test set does not count as F1 = 0. A tie for the top logit that includes the gold label
    counts as wrong (``pessimistic_argmax``). ``primary_metric`` is ``mean/macro_f1``.
    """

    primary_metric = "mean/macro_f1"

    def __init__(
        self,
        examples: Iterable[Any],
        labels: Sequence[str],
        *,
        english_lang: str = "en",
        batch_size: int = 128,
        name: str = "reasoning",
    ) -> None:
        self.labels = [str(label) for label in labels]
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels must be at least 2 distinct names, got {list(labels)}")
        index = {label: i for i, label in enumerate(self.labels)}
        by_lang: dict[str, list[ReasoningExample]] = defaultdict(list)
        for item in examples:
            ex = _as_example(item)
            if str(ex.label) not in index:
                raise ValueError(f"unknown label {ex.label!r} (lang {ex.lang!r}); known labels: {', '.join(self.labels)}")
            by_lang[_canonical(ex.lang)].append(ex)
        if not by_lang:
            raise ValueError("ReasoningEvaluator needs at least one example")
        self.by_lang = dict(sorted(by_lang.items()))
        self.english = _canonical(english_lang)
        self.batch_size = batch_size
        self.name = name

    @property
    def languages(self) -> list[str]:
        return list(self.by_lang)

    def predictions(self, scorer: Scorer) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{lang: (gold_ids, predicted_ids)}``; ties count against the scorer (``pessimistic_argmax``)."""
        index = {label: i for i, label in enumerate(self.labels)}
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for lang, items in self.by_lang.items():
            gold = np.array([index[str(ex.label)] for ex in items], dtype=np.int64)
            pred = np.empty(len(items), dtype=np.int64)
            groups = [[i for i, ex in enumerate(items) if ex.text_b is not None], [i for i, ex in enumerate(items) if ex.text_b is None]]
            for rows in groups:
                for start in range(0, len(rows), self.batch_size):
                    chunk = rows[start : start + self.batch_size]
                    texts_a = [items[i].text_a for i in chunk]
                    texts_b = [items[i].text_b for i in chunk] if items[chunk[0]].text_b is not None else None
                    logits = _to_numpy(scorer(texts_a, texts_b, lang))  # type: ignore[arg-type]
                    if logits.shape != (len(chunk), len(self.labels)):
                        raise ValueError(f"scorer returned shape {logits.shape} for {len(chunk)} examples and {len(self.labels)} labels")
                    pred[chunk] = pessimistic_argmax(logits, gold[chunk])
            out[lang] = (gold, pred)
        return out

    def __call__(self, scorer: Scorer) -> dict[str, float]:  # type: ignore[override]
        """Score ``scorer`` (see ``Scorer``; ``lasr_scorer`` adapts an encoder plus a LaSR head)."""
        metrics: dict[str, float] = {}
        for lang, (gold, pred) in self.predictions(scorer).items():
            metrics[f"{lang}/accuracy"] = float(accuracy_score(gold, pred))
            metrics[f"{lang}/macro_f1"] = float(f1_score(gold, pred, average="macro", zero_division=0))
            metrics[f"{lang}/n"] = float(len(gold))
        others = [lang for lang in self.by_lang if lang != self.english]
        english_present = self.english in self.by_lang
        for metric in METRICS:
            if others:
                metrics[f"mean/{metric}"] = float(np.mean([metrics[f"{lang}/{metric}"] for lang in others]))
            if english_present and others:
                for lang in others:
                    metrics[f"{lang}/gap/{metric}"] = metrics[f"{self.english}/{metric}"] - metrics[f"{lang}/{metric}"]
                metrics[f"mean/gap/{metric}"] = float(np.mean([metrics[f"{lang}/gap/{metric}"] for lang in others]))
        return metrics


def pessimistic_argmax(logits: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Row-wise argmax where a tie for the top logit counts against the scorer: when the gold
    label shares the maximum with another label, the prediction is the first such other label.
    So a scorer giving every label the same logit is always wrong, not right whenever the gold
    label happens to come first."""
    pred = logits.argmax(axis=-1)
    rows = np.arange(len(gold))
    top = logits.max(axis=-1)
    tied = logits == top[:, None]
    tied[rows, gold] = False
    lost = (logits[rows, gold] == top) & tied.any(axis=-1)
    pred[lost] = tied[lost].argmax(axis=-1)
    return pred


def _to_numpy(logits: Any) -> np.ndarray:
    if hasattr(logits, "detach"):
        logits = logits.detach().float().cpu().numpy()
    return np.asarray(logits, dtype=np.float64)


def lasr_scorer(
    encoder: Encoder,
    head: "LasrHead",
    task: str,
    *,
    unseen: str = "error",
    prompt_names: tuple[str | None, str | None] = (None, None),
    batch_size: int = 64,
) -> Scorer:
    """A ``Scorer`` that embeds texts with ``encoder`` (language-aware: ``lang`` is passed on) and
    reads them with ``head`` on ``task``; ``prompt_names`` picks the e5-style prompt of each side
    (e.g. ``("query", "passage")`` for ESCI). ``unseen`` as in ``LasrHead.score``."""

    def score(texts_a: list[str], texts_b: list[str] | None, lang: str):
        u = encoder.encode(texts_a, lang=lang, prompt_name=prompt_names[0], batch_size=batch_size)
        v = None if texts_b is None else encoder.encode(texts_b, lang=lang, prompt_name=prompt_names[1], batch_size=batch_size)
        return head.score(u, v, [lang] * len(texts_a), task, unseen=unseen)  # type: ignore[arg-type]

    return score
