"""One Markdown table of product-search runs: nDCG@10 per language, their mean, English, and per query type.

Each argument is ``LABEL=PATH``, PATH being what ``lira eval products --out`` wrote (a folder with
``products.json``, or the JSON file itself), or ``FILE#KEY`` for one system of a
``lira eval product-baselines`` results file (``reports/products/results.json#student``). The mean is over the 7 core languages that the run
has, as in ``lira eval product-baselines``' table; per query type, over the languages that have
that type.

    python scripts/products_table.py "untrained student=reports/products/results.json#student" \\
        "product pairs, titles as queries=reports/products/diagnosis/product_pairs_titles_as_queries"
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

LANGUAGES = ["th", "vi", "id", "ms", "fil", "ur", "bn"]
QUERY_TYPES = ["code_mixed", "misspelled", "numeral", "romanised", "short", "specific"]


def load_metrics(spec: str) -> dict[str, float]:
    name, _, key = spec.partition("#")
    path = Path(name)
    file = path / "products.json" if path.is_dir() else path
    if not file.exists():
        raise SystemExit(f"{path}: no products.json (write one with `lira eval products --out {path}`)")
    data = json.loads(file.read_text(encoding="utf-8"))
    if key:
        systems = data.get("metrics", {})
        if key not in systems:
            raise SystemExit(f"{file}: no system {key!r} under 'metrics' (has: {', '.join(systems)})")
        return systems[key]
    return data


def row(label: str, metrics: dict[str, float]) -> str:
    langs = [metrics.get(f"{lang}/ndcg@10") for lang in LANGUAGES]
    present = [v for v in langs if v is not None]
    types = []
    for query_type in QUERY_TYPES:
        values = [metrics[k] for lang in LANGUAGES if (k := f"{lang}/{query_type}/ndcg@10") in metrics]
        types.append(statistics.fmean(values) if values else None)
    cells = [*langs, statistics.fmean(present) if present else None, metrics.get("en/ndcg@10"), *types]
    return f"| {label} | " + " | ".join("–" if c is None else f"{c:.3f}" for c in cells) + " |"


def table(runs: list[tuple[str, dict[str, float]]]) -> str:
    header = ["system", *LANGUAGES, "mean (7)", "en", *QUERY_TYPES]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    return "\n".join(lines + [row(label, metrics) for label, metrics in runs])


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="LABEL=PATH")
    args = parser.parse_args(argv)
    runs = []
    for spec in args.runs:
        label, sep, path = spec.partition("=")
        if not sep or not label or not path:
            raise SystemExit(f"{spec!r}: expected LABEL=PATH")
        runs.append((label, load_metrics(path)))
    text = table(runs)
    print(text)
    return text


if __name__ == "__main__":
    main()
