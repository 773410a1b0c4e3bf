"""Which differences in the product-search report are more than sample noise: a paired bootstrap over
the test queries (``lira.eval.significance.paired_bootstrap``).

``lira eval products-report`` keeps every row's per-query nDCG@10 (``per_query.json.gz`` beside
``benchmark.json``, one list per system, setting, noise level and language, in the evaluator's query
order, with a ``query_key`` of the queries it scores) and tests the pairs that
``lira.eval.products_report.comparisons`` lists, on the mean over the 7 low-resource languages (each
language resampled within itself and weighted equally, as the report's mean is formed):

* each trained model's dense row against the untrained student's, in every setting and noise level,
  and (``lrl2en``) against BM25 over the lexicon-translated query, the bar the dense model alone must clear;
* each weighted hybrid against the lexical ranking it fuses (BM25; in ``lrl2en`` the lexicon-translated
  BM25): is the fusion worth it;
* any pair named with ``--compare "A|B"`` (labels of two dense models of the report; B minus A), in
  every setting and noise level: the question a study asks of two recipes.

A comparison whose two rows lack per-query scores (rows an earlier run wrote before they were kept)
is left out, one whose lists score different queries is refused, and the report counts both.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from lira.eval.significance import paired_bootstrap

PER_QUERY = "per_query.json.gz"
SAMPLES = 2000
LRL = ("th", "vi", "id", "ms", "fil", "ur", "bn")
"""The languages a comparison resamples: the report's mean is over these 7 (English is not in it)."""


def query_key(queries: Sequence[Mapping[str, Any]]) -> str:
    """Which queries, in which order and with which (noised) text, a per-query list scores: two lists
    are compared item by item only when their keys are equal."""
    text = "\n".join(f"{q['query_id']}\t{q['text']}" for q in queries)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_per_query(out: Path, fingerprint: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``{system: {setting: {noise tag: {lang: [nDCG@10 per query]}}}}``, the same nesting of
    ``query_key``s) stored for this data, else two empty dicts."""
    path = Path(out) / PER_QUERY
    if not path.exists():
        return {}, {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        stored = json.load(fh)
    if stored.get("data_fingerprint") != fingerprint:
        return {}, {}
    return stored["per_query"], stored.get("query_keys", {})


def write_per_query(out: Path, fingerprint: str, per_query: Mapping[str, Any], query_keys: Mapping[str, Any]) -> None:
    """Store the lists as given (the report rounds them to 4 decimals when it scores, so a redraw from
    this file tests the very numbers the run tested)."""
    path = Path(out) / PER_QUERY
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    # mtime=0: the same scores give the same bytes (a rerun that changes nothing leaves git clean)
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(json.dumps({"data_fingerprint": fingerprint, "per_query": per_query, "query_keys": query_keys}, sort_keys=True).encode("utf-8"))
    tmp.replace(path)


def significance_rows(payload: Mapping[str, Any], per_query: Mapping[str, Any], comparisons: Sequence[tuple[str, str, str]],
                      query_keys: Mapping[str, Any] | None = None, *, samples: int = SAMPLES) -> dict[str, Any]:
    """Every comparison ``(kind, system A, system B)`` (``lira.eval.products_report.comparisons``) in
    every (setting, noise level) both systems were scored in, with per-query
    scores for the 7 languages: the difference of the means (B minus A), its 95% interval and the
    two-sided p-value; how many comparisons lacked per-query scores (``missing``), and how many were
    refused because the two lists score different queries (``unaligned``: their ``query_key``s differ
    or are unknown, e.g. an earlier run on differently noised queries)."""
    keys = query_keys or {}
    rows, missing, unaligned = [], 0, 0
    for kind, a, b in comparisons:
        cells = sorted({(s, t) for s, by in payload["results"].get(a, {}).items() for t in by}
                       & {(s, t) for s, by in payload["results"].get(b, {}).items() for t in by}, key=lambda st: (st[0], float(st[1])))
        for setting, tag in cells:
            pa = per_query.get(a, {}).get(setting, {}).get(tag, {})
            pb = per_query.get(b, {}).get(setting, {}).get(tag, {})
            if any(lang not in pa or lang not in pb or not pa[lang] or not pb[lang] for lang in LRL):
                missing += 1
                continue
            ka = keys.get(a, {}).get(setting, {}).get(tag, {})
            kb = keys.get(b, {}).get(setting, {}).get(tag, {})
            if any(ka.get(lang) is None or ka.get(lang) != kb.get(lang) or len(pa[lang]) != len(pb[lang]) for lang in LRL):
                unaligned += 1
                continue
            test = paired_bootstrap({lang: pa[lang] for lang in LRL}, {lang: pb[lang] for lang in LRL}, samples=samples, seed=0)
            rows.append({"kind": kind, "a": a, "b": b, "setting": setting, "noise": tag, "delta": test.delta,
                         "low": test.low, "high": test.high, "p": test.p_value})
    return {"samples": samples, "rows": rows, "missing": missing, "unaligned": unaligned}


def significance_markdown(payload: Mapping[str, Any]) -> str:
    sig = payload.get("significance")
    if not sig:
        return ""
    labels = payload["labels"]
    lines = [f"Paired bootstrap over the test queries ({sig['samples']} resamples; each language resampled within itself, the 7 "
             "weighted equally as in the mean): difference of mean nDCG@10 (B minus A), 95% interval, two-sided p.", ""]
    if sig["missing"]:
        lines += [f"{sig['missing']} comparison cells are left out: their rows come from an earlier run that kept no per-query scores.", ""]
    if sig.get("unaligned"):
        lines += [f"{sig['unaligned']} comparison cells are refused: their two per-query lists score different queries (order or noised text).", ""]
    lines += ["| comparison | A | B | setting | noise | B - A | 95% interval | p |", "|---|---|---|---|---:|---:|---|---:|"]
    for r in sig["rows"]:
        lines.append(f"| {r['kind']} | {labels.get(r['a'], r['a'])} | {labels.get(r['b'], r['b'])} | {r['setting']} | {r['noise']} | "
                     f"{r['delta']:+.3f} | [{r['low']:+.3f}, {r['high']:+.3f}] | {r['p']:.3f} |")
    return "\n".join(lines) + "\n"
