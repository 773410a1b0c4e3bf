"""The Tatoeba bitext test set (Artetxe & Schwenk 2019; MTEB's ``Tatoeba`` task) for LiRA's 7 core
languages, shipped in ``lira/resources/tatoeba`` with its CC-BY 2.0 FR attribution (``SOURCE.md``).

It is LiRA's standard *test* set: general-domain conversational sentences that no LiRA training
source resembles, so it shows whether anchoring on software strings made the student better or
worse at cross-lingual alignment in general. Report on it; never train or choose on it (choices
are made on the dev splits, see ``lira.eval.dev``).

Scoring is :class:`~lira.eval.bitext.BitextRetrievalEvaluator`'s: accuracy@1 in both directions,
each side de-duplicated and every paired candidate counted as gold. Evaluation input is read
without the training length filter (one Malay line is 1,032 characters).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from lira.data.pairs import ParallelPair, load_pairs
from lira.eval.bitext import BitextRetrievalEvaluator
from lira.eval.merged_rows import merged_rows, pairs_digest
from lira.paths import resources_dir

TATOEBA_LANGUAGES: tuple[str, ...] = ("th", "vi", "id", "ms", "fil", "ur", "bn")
EVAL_MAX_CHARS = 100_000
"""No training filter on evaluation input: only a guard against a file that is not line-based."""

REFERENCES: dict[str, dict[str, float]] = {
    # x -> en accuracy (%), MTEB results repository, as in resources/tatoeba/SOURCE.md.
    "LaBSE": {"th": 97.1, "vi": 97.9, "id": 95.0, "ms": 96.6, "fil": 96.9, "ur": 94.7, "bn": 91.1},
    "multilingual-e5-small": {"th": 93.1, "vi": 91.3, "id": 90.4, "ms": 93.2, "fil": 81.3, "ur": 88.2, "bn": 85.5},
    "multilingual-e5-large": {"th": 96.5, "vi": 97.7, "id": 94.3, "ms": 95.7, "fil": 93.7, "ur": 91.6, "bn": 86.7},
}
"""Published rows (x -> en accuracy, %). MTEB's headline score for this task is F1, a few points under accuracy."""


def tatoeba_dir() -> Path:
    return resources_dir() / "tatoeba"


def load_tatoeba(languages: Iterable[str] | None = None) -> list[ParallelPair]:
    """The shipped Tatoeba pairs (``en<TAB>text`` files, one per language), in file order."""
    wanted = list(languages) if languages is not None else list(TATOEBA_LANGUAGES)
    unknown = sorted(set(wanted) - set(TATOEBA_LANGUAGES))
    if unknown:
        raise ValueError(f"Tatoeba is shipped for {', '.join(TATOEBA_LANGUAGES)}; not for {', '.join(unknown)}")
    pairs: list[ParallelPair] = []
    for lang in wanted:
        pairs += load_pairs(tatoeba_dir() / f"{lang}.tsv", lang=lang, max_chars=EVAL_MAX_CHARS)
    return pairs


class TatoebaEvaluator(BitextRetrievalEvaluator):
    """Bitext retrieval on the shipped Tatoeba test set; metrics as ``BitextRetrievalEvaluator``'s."""

    name = "tatoeba"

    def __init__(self, languages: Iterable[str] | None = None, batch_size: int = 128, max_pairs_per_language: int | None = None) -> None:
        """``max_pairs_per_language``: a sample (smoke runs only; reported numbers use every pair)."""
        pairs = ((p.en, p.text, p.lang) for p in load_tatoeba(languages))
        super().__init__(pairs, batch_size=batch_size, max_pairs_per_language=max_pairs_per_language)


def reference_mean(name: str, languages: Iterable[str]) -> float:
    values = [REFERENCES[name][lang] / 100 for lang in languages]
    return sum(values) / len(values)


def tatoeba_rows(results: dict[str, dict[str, float]], languages: Iterable[str]) -> list[dict[str, Any]]:
    """Table rows (one per system, then the published references) with per-language x->en and
    en->x accuracy@1 and their means; references have x->en only."""
    languages = list(languages)
    rows: list[dict[str, Any]] = []
    for system, metrics in results.items():
        row: dict[str, Any] = {"system": system}
        for direction in ("x2en", "en2x"):
            for lang in languages:
                row[f"{lang}/{direction}"] = metrics[f"{lang}/{direction}/acc@1"]
            row[f"mean/{direction}"] = sum(row[f"{lang}/{direction}"] for lang in languages) / len(languages)
        rows.append(row)
    for name, ref in REFERENCES.items():
        row = {"system": f"{name} (published)", **{f"{lang}/x2en": ref[lang] / 100 for lang in languages}}
        row["mean/x2en"] = reference_mean(name, languages)
        rows.append(row)
    return rows


def tatoeba_markdown(results: dict[str, dict[str, float]], languages: Iterable[str] = TATOEBA_LANGUAGES) -> str:
    """A Markdown table: ``x→en / en→x`` accuracy@1 per language and the mean."""
    languages = list(languages)
    head = "| system | " + " | ".join(languages) + " | mean |"
    lines = [head, "|---|" + "---:|" * (len(languages) + 1)]
    for row in tatoeba_rows(results, languages):
        cells = []
        for key in [*languages, "mean"]:
            x2en, en2x = row.get(f"{key}/x2en"), row.get(f"{key}/en2x")
            cells.append(f"{x2en:.3f}" if en2x is None else f"{x2en:.3f} / {en2x:.3f}")
        lines.append(f"| {row['system']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _weight(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def gate_markdown(results: dict[str, dict[str, float]], languages: Iterable[str] = TATOEBA_LANGUAGES) -> str:
    """The gate's mean weight per agent on each language's Tatoeba sentences, for the rows that have
    it (multi-agent Arca models, :func:`lira.eval.gates.gate_metrics`); empty when none has."""
    languages = list(languages)
    rows = {system: m for system, m in results.items() if any("/gate/" in key for key in m)}
    if not rows:
        return ""
    agents = list(dict.fromkeys(key.split("/gate/", 1)[1] for m in rows.values() for key in m if "/gate/" in key))
    lines = [f"Gate weight per agent ({' / '.join(agents)}) on the low-resource side:", "",
             "| system | " + " | ".join(languages) + " |", "|---|" + "---:|" * len(languages)]
    for system, m in rows.items():
        lines.append(f"| {system} | " + " | ".join(" / ".join(_weight(m.get(f"{lang}/gate/{a}")) for a in agents) for lang in languages) + " |")
    return "\n".join(lines) + "\n"


def write_tatoeba_report(results: dict[str, dict[str, float]], languages: Iterable[str], out: str | Path) -> Path:
    """``tatoeba.json`` under ``out`` (``{"languages", "pairs_sha256", "metrics"}``). Rows of an earlier
    report in ``out`` over the same languages and the same pairs (the digest of the shipped files) are
    kept unless this call scores the same label again: a new model joins the table
    without rescoring the others. A report without the digest is never taken for the same pairs."""
    languages = list(languages)
    digest = pairs_digest(load_tatoeba(languages))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = out / "tatoeba.json"
    results = merged_rows(report, results, "metrics", {"languages": languages, "pairs_sha256": digest})
    report.write_text(json.dumps({"languages": languages, "pairs_sha256": digest, "metrics": results}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return report
