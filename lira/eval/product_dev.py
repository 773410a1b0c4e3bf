"""One number for a model's product search on the **dev** split: the dense model's nDCG@10, averaged
over the 7 low-resource languages and then over the benchmark's settings (``native``, ``lrl2en``,
``en2lrl``, ``mixed``, ``paraphrase``; clean queries).

It is the criterion for choices made for product search (the share of each model in a mix of two
product models, ``lira interpolate --with``), the way :func:`lira.eval.dev.dev_score` is for bitext.
Each setting counts once, so a model cannot win by trading paraphrase queries for cross-lingual
ones unseen. The rows are those of ``lira eval products-report`` (the same seeded slice when
``intents`` / ``corpus_size`` are given), dev queries judged against the train catalogue: never
the test split.

Example::

    score = ProductDevScore("runs/products", intents=300, corpus_size=800)
    print(score(ArcaEncoder.load("runs/products-robust-long-catalogs/model")))  # 0.818...
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any, Sequence

from lira.eval.products import SETTINGS
from lira.eval.products_report import LRL, ReportConfig, load_rows, make_evaluator


class ProductDevScore:
    """Callable: ``score(encoder) -> float`` (see the module docstring); ``last`` holds the
    per-setting means of the latest call."""

    def __init__(self, data: str | Path, *, intents: int | None = None, corpus_size: int | None = None, seed: int = 13,
                 settings: Sequence[str] = SETTINGS, batch_size: int = 64) -> None:
        unknown = [s for s in settings if s not in SETTINGS]
        if unknown:
            raise ValueError(f"unknown product settings {unknown}; choose from {', '.join(SETTINGS)}")
        rows = load_rows(data, "dev", ReportConfig(data=str(data), intents=intents, corpus_size=corpus_size, seed=seed))
        self.evaluators = {s: make_evaluator(rows, "dev", s, 0.0, batch_size) for s in settings}
        self.last: dict[str, float] = {}

    def __call__(self, encoder: Any) -> float:
        from lira.eval.base import CachingEncoder

        cached = CachingEncoder(encoder)  # the settings share queries and titles: each text is encoded once
        for setting, ev in self.evaluators.items():
            metrics = ev.score_matrices(ev.dense_scores(cached))
            self.last[setting] = statistics.fmean(metrics[f"{lang}/ndcg@10"] for lang in LRL if f"{lang}/ndcg@10" in metrics)
        return statistics.fmean(self.last.values())
