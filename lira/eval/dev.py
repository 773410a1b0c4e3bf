"""Dev evaluation for choices and for training: in-domain and out-of-domain dev bitext.

Every choice LiRA makes (a default weight, a budget, which checkpoint to keep) is read off dev
data, never off a test set, and never off the training domain alone: a recipe that lifts the
Firefox split while it lowers everything else is a regression. :class:`DevEvaluator` therefore
scores two dev sets:

* ``in_domain``: the dev split of the training corpus (``data.dev``; default the shipped Firefox
  strings);
* ``out_of_domain``: dev pairs of other sources (``data.ood_dev``; default the shipped catalogs of
  other software projects, ``lira/resources/gettext``, split by the same English hash so no
  English sentence of a dev pair is in any training split).

The **dev score** is the mean over the two sets of the mean of x→en and en→x accuracy@1, so the
out-of-domain half weighs as much as the in-domain half. Beside it, ``english/knn10_kept`` measures
how much of the English space's neighbourhoods a model kept (LiRA's anchor exists to keep them):
the share of each English dev sentence's 10 nearest neighbours that are unchanged since the first
evaluation. It is reported, not part of the dev score. Each set is a seeded sample of
``pairs_per_language`` pairs per language, fixed for the whole run, so scores at different steps
compare the same items.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from lira.data.pairs import ParallelPair, load_pairs
from lira.eval.bitext import BitextRetrievalEvaluator
from lira.paths import resources_dir

DEV_SETS = ("in_domain", "out_of_domain")
SAMPLE_SEED = 0
ENGLISH_SAMPLE = 500
ENGLISH_K = 10
ENGLISH_KEPT = "english/knn10_kept"
"""Dev metric: how much of the English space's neighbourhood structure the model kept."""


def shipped_ood_dev() -> Path:
    """The shipped out-of-domain catalogs (built by ``lira data gettext``)."""
    return resources_dir() / "gettext"


def sample_per_language(pairs: Sequence[ParallelPair], n: int | None, seed: int = SAMPLE_SEED) -> list[ParallelPair]:
    """Up to ``n`` pairs per language, drawn with a fixed seed (file order kept among them)."""
    if n is None:
        return list(pairs)
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, pair in enumerate(pairs):
        by_lang[pair.lang].append(i)
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    for lang in sorted(by_lang):
        rows = by_lang[lang]
        keep += [rows[i] for i in sorted(rng.permutation(len(rows))[:n])]
    return [pairs[i] for i in sorted(keep)]


def load_dev_sets(
    languages: Iterable[str],
    dev: str | None = None,
    ood_dev: Sequence[str] | None = None,
    pairs_per_language: int | None = 150,
) -> dict[str, list[ParallelPair]]:
    """``{"in_domain": [...], "out_of_domain": [...]}`` for ``languages`` (sampled per language).

    A language missing from a set is simply absent there (the Filipino out-of-domain set comes
    from fewer catalogs than the others)."""
    languages = list(languages)
    in_domain = load_pairs(dev, split="dev", languages=languages)
    sources = list(ood_dev) if ood_dev is not None else [str(shipped_ood_dev())]
    ood: list[ParallelPair] = []
    for source in sources:
        ood += load_pairs(source, split="dev", languages=languages)
    return {"in_domain": sample_per_language(in_domain, pairs_per_language), "out_of_domain": sample_per_language(ood, pairs_per_language)}


def dev_score(metrics: dict[str, float]) -> float:
    """Mean over dev sets of (x→en + en→x accuracy@1) / 2."""
    sets = [name for name in DEV_SETS if f"{name}/mean/x2en/acc@1" in metrics]
    return float(np.mean([(metrics[f"{s}/mean/x2en/acc@1"] + metrics[f"{s}/mean/en2x/acc@1"]) / 2 for s in sets]))


class DevEvaluator:
    """Scores an encoder on the dev sets: ``{"<set>/<lang>/<dir>/acc@1": ..., "dev_score": ...}``."""

    name = "dev"
    primary_metric = "dev_score"

    def __init__(self, sets: dict[str, list[ParallelPair]], batch_size: int = 128) -> None:
        self.sets = {name: pairs for name, pairs in sets.items() if pairs}
        if not self.sets:
            raise ValueError("no dev pairs: neither the in-domain nor the out-of-domain dev set has any")
        self.evaluators = {name: BitextRetrievalEvaluator.from_pairs(pairs, batch_size=batch_size) for name, pairs in self.sets.items()}
        self.batch_size = batch_size
        english = sorted({p.en for pairs in self.sets.values() for p in pairs})
        self.english = [english[i] for i in sorted(np.random.default_rng(SAMPLE_SEED).permutation(len(english))[:ENGLISH_SAMPLE])]
        self.english_reference: list[list[int]] | None = None
        """Each English sentence's nearest neighbours under the first encoder scored (in training:
        the untrained student); kept in the trainer state so a resumed run compares with the same."""

    @classmethod
    def from_config(cls, config: Any) -> "DevEvaluator":
        """From a ``LiraConfig``: its languages, ``data.dev``, ``data.ood_dev`` and sample size."""
        sets = load_dev_sets(config.data.languages, config.data.dev, config.data.ood_dev, config.train.dev_pairs_per_language)
        return cls(sets, batch_size=config.eval.batch_size)

    def texts(self) -> list[str]:
        """Every text the evaluation encodes (to fill a frozen-prefix cache with)."""
        return sorted({t for pairs in self.sets.values() for p in pairs for t in (p.en, p.text)})

    def __call__(self, encoder: Any, *, english_kept: bool = True) -> dict[str, float]:
        """Accuracy@1 per set and direction, ``dev_score`` and (``english_kept``) the English
        neighbourhoods kept; the first encoder scored with it sets the neighbourhoods' reference."""
        metrics: dict[str, float] = {}
        for name, evaluator in self.evaluators.items():
            for key, value in evaluator(encoder).items():
                if "/acc@1" in key or key.endswith("/n"):
                    metrics[f"{name}/{key}"] = value
        metrics["dev_score"] = dev_score(metrics)
        if english_kept:
            metrics[ENGLISH_KEPT] = self.english_neighbours_kept(encoder)
        return metrics

    def english_neighbours_kept(self, encoder: Any) -> float:
        """Share of each English dev sentence's nearest neighbours (among the others) that are the
        same as under the reference encoder: 1.0 means the English space kept its neighbourhoods,
        whatever the bitext scores say. A diagnostic beside the dev score, not part of it."""
        vectors = np.asarray(encoder.encode(self.english, lang="en", batch_size=self.batch_size), dtype=np.float32)
        neighbours = nearest_neighbours(vectors, ENGLISH_K)
        if self.english_reference is None:
            self.english_reference = neighbours
        return float(np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(neighbours, self.english_reference)]))


def nearest_neighbours(vectors: np.ndarray, k: int) -> list[list[int]]:
    """Indices of each row's ``k`` most similar other rows (cosine on normalised rows)."""
    sim = vectors @ vectors.T
    np.fill_diagonal(sim, -np.inf)
    k = min(k, len(vectors) - 1)
    return np.argsort(-sim, axis=1, kind="stable")[:, :k].tolist()


def worse_sets(start: dict[str, float], end: dict[str, float], tolerance: float = 0.0) -> list[str]:
    """Dev sets (and directions) on which ``end`` scores below ``start`` by more than ``tolerance``."""
    out = []
    for name in DEV_SETS:
        for direction in ("x2en", "en2x"):
            key = f"{name}/mean/{direction}/acc@1"
            if key in start and key in end and end[key] < start[key] - tolerance:
                out.append(f"{name} {direction} {start[key]:.3f} -> {end[key]:.3f}")
    return out
