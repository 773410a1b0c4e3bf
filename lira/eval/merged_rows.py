"""Result files that grow one model at a time (``noise.json``, ``tatoeba.json``): a run scores the
models it names and keeps the rows an earlier run wrote for the others, when both scored the same pairs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Mapping


def pairs_digest(pairs: Iterable[Any]) -> str:
    """SHA-256 of the scored pairs (language, English, other side, in order): what "the same pairs" means
    when a report keeps an earlier run's rows."""
    h = hashlib.sha256()
    for pair in pairs:
        h.update(f"{pair.lang}\t{pair.en}\t{pair.text}\n".encode("utf-8"))
    return h.hexdigest()


def merged_rows(report: Path, results: Mapping[str, Any], rows_key: str, same: Mapping[str, Any]) -> dict[str, Any]:
    """``results`` after the rows of the earlier ``report`` (its ``rows_key`` mapping) that this run does
    not score again, in their order, when every field of ``same`` (the pairs' digest, the settings)
    equals the earlier report's; otherwise ``results`` alone. A report without a field of ``same`` (an
    older one without the digest) is never taken for the same run."""
    if report.exists():
        earlier = json.loads(report.read_text(encoding="utf-8"))
        if all(earlier.get(key) == value for key, value in same.items()):
            return {**{k: v for k, v in earlier[rows_key].items() if k not in results}, **results}
    return dict(results)
