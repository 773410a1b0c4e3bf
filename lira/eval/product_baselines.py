"""The product-search baselines table (README): BM25, the untrained student, the teacher on English
queries, and an Arca model, on the same test split, per language and per query type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from rich.console import Console

from lira.eval.products import ProductSearchEvaluator
from lira.languages import CORE_LANGUAGES

METRICS = ("ndcg@10", "recall@100", "mrr@100")


NAMES = {"bm25": "BM25", "teacher_en": "teacher (English queries only)", "student": "untrained student"}


def row_name(key: str) -> str:
    """A results key's row name: the baselines', "Arca" for ``arca``, "Arca (LABEL)" for ``arca:LABEL``."""
    if key in NAMES:
        return NAMES[key]
    label = key.partition(":")[2]
    return f"Arca ({label})" if label else "Arca"


def arca_models(arca: str | Sequence[str] | None) -> list[tuple[str, str]]:
    """``(results key, model path)`` for each ``PATH`` or ``LABEL=PATH``.

    One unlabelled model keeps the key ``arca``; labelled ones get ``arca:LABEL``.
    """
    entries = [arca] if isinstance(arca, str) else list(arca or [])
    entries = [e for e in entries if e]
    out, seen = [], set()
    for entry in entries:
        label, sep, path = entry.partition("=")
        if not sep:
            label, path = "", entry
        if not path:
            raise ValueError(f"--arca {entry!r}: give PATH or LABEL=PATH")
        key = f"arca:{label}" if label else "arca"
        if key in seen:
            raise ValueError(f"--arca: two models under {'label ' + repr(label) if label else 'no label'}; label each (LABEL=PATH)")
        seen.add(key)
        out.append((key, path))
    return out


def run_product_baselines(
    data: str | Path,
    *,
    student: str,
    teacher: str,
    arca: str | Sequence[str] | None,
    out_dir: str | Path,
    languages: Sequence[str] = CORE_LANGUAGES,
    console: Console | None = None,
) -> dict[str, Any]:
    """``arca``: a model path, or several ``PATH``/``LABEL=PATH`` entries (one row each)."""
    from lira.models.encoders import load_encoder

    models = arca_models(arca)

    console = console or Console()
    native = ProductSearchEvaluator(data, split="test", langs=list(languages))
    english = ProductSearchEvaluator(data, split="test", langs=["en"])
    results: dict[str, dict[str, float]] = {}
    console.print("BM25 (bm25s)")
    results["bm25"] = {**native.evaluate_bm25(), **_prefixed(english.evaluate_bm25())}
    console.print(f"teacher on English queries ({teacher})")
    results["teacher_en"] = _prefixed(english(load_encoder(teacher)))
    console.print(f"untrained student ({student})")
    student_encoder = load_encoder(student)
    results["student"] = {**native(student_encoder), **_prefixed(english(student_encoder))}
    for key, path in models:
        console.print(f"{row_name(key)}: {path}")
        arca_encoder = load_encoder(path)
        results[key] = {**native(arca_encoder), **_prefixed(english(arca_encoder))}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"data": str(data), "student": student, "teacher": teacher, "arca": dict(models), "languages": list(languages), "metrics": results}
    (out / "results.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(results, list(languages)), encoding="utf-8")
    console.print((out / "results.md").read_text(encoding="utf-8"))
    return payload


def _prefixed(metrics: dict[str, float]) -> dict[str, float]:
    """English-only evaluations: keep their ``en/...`` keys, drop their 'mean' (it is just English)."""
    return {k: v for k, v in metrics.items() if k.startswith("en/")}


def markdown(results: dict[str, dict[str, float]], languages: list[str]) -> str:
    """The README's tables: the baselines, then the Arca rows in the order they were scored."""
    names = {key: row_name(key) for key in [*NAMES, *(k for k in results if k not in NAMES)]}
    lines = [
        "nDCG@10 on the product-search test split (native-language queries against titles in the same language;",
        "English column: English queries against English titles).",
        "",
        "| system | " + " | ".join(languages) + " | mean (7) | en | mean R@100 | mean MRR |",
        "|---|" + "---:|" * (len(languages) + 4),
    ]
    for key, name in names.items():
        if key not in results:
            continue
        m = results[key]
        cells = [m.get(f"{lang}/ndcg@10") for lang in languages]
        cells += [m.get("mean/ndcg@10"), m.get("en/ndcg@10"), m.get("mean/recall@100"), m.get("mean/mrr@100")]
        lines.append(f"| {name} | " + " | ".join("–" if c is None else f"{c:.3f}" for c in cells) + " |")
    types = sorted({k.split("/")[1] for m in results.values() for k in m if k.count("/") == 2 and k.split("/")[0] in languages})
    lines += ["", "nDCG@10 by query type (mean over the languages that have the type):", "", "| system | " + " | ".join(types) + " |", "|---|" + "---:|" * len(types)]
    for key, name in names.items():
        if key not in results or key == "teacher_en":
            continue
        m = results[key]
        cells = []
        for t in types:
            vals = [m[f"{lang}/{t}/ndcg@10"] for lang in languages if f"{lang}/{t}/ndcg@10" in m]
            cells.append(f"{sum(vals) / len(vals):.3f}" if vals else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
