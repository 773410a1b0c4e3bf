"""Tokenisation of the offline student: the ~2,700-step ``Replace`` normaliser chain against
``lira.models.prenormalize`` (one ``str.translate``, the same ids), in the same process.

Times (best of ``--repeats``, interleaved):

1. the student's tokenizer on ``--n`` texts of the shipped corpus (both sides), one batched call,
   as sentence-transformers' ``encode`` and ``fast_encode`` call it;
2. the training collator (``lira.train.PairCollator``: the student's three agents on both sides of
   ``--batch-size`` pairs) per batch, the way ``train_arca`` calls it.

Each is run with the fast path and with it switched off for that tokenizer, and the ids are
compared (they must be equal: the script exits 1 otherwise).

    python benchmarks/bench_tokenize.py                 # ~1 minute on 2 CPU cores
    python benchmarks/bench_tokenize.py --n 20000 --json-out benchmarks/results/tokenize_cpu.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lira.models import prenormalize  # noqa: E402


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def switch(tokenizer: Any, on: bool) -> None:
    """Turn the fast path on (recompute the table) or off (cache 'no table') for this tokenizer."""
    if on:
        if hasattr(tokenizer, prenormalize._ATTR):
            delattr(tokenizer, prenormalize._ATTR)
        prenormalize.table_for(tokenizer)
    else:
        setattr(tokenizer, prenormalize._ATTR, False)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--student", default="offline:multilingual-e5-small")
    ap.add_argument("--n", type=int, default=4000, help="texts in part 1")
    ap.add_argument("--batch-size", type=int, default=32, help="pairs per collator batch in part 2")
    ap.add_argument("--batches", type=int, default=20, help="collator batches timed in part 2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args(argv)

    from lira.arca.model import ArcaEncoder
    from lira.config import ModelConfig
    from lira.data.pairs import load_pairs
    from lira.train import PairCollator

    model = ArcaEncoder.from_student(args.student, ModelConfig(student=args.student), device="cpu")
    tokenizer = model.transformer.model.tokenizer
    table = prenormalize.table_for(tokenizer)
    if table is None:
        print(f"{args.student}: its normaliser is not a per-codepoint chain; nothing to compare")
        return {}
    pairs = load_pairs(None, split="train")
    texts = [t for p in pairs for t in (p.text, p.en)][: args.n]
    prompt = model.transformer.prompt(model.config.prompt_name)
    texts = [prompt + t for t in texts]
    info = {"student": args.student, "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "table_codepoints": len(table.table), "texts": len(texts), "mean_chars": sum(map(len, texts)) / len(texts)}
    print(json.dumps(info, indent=1), flush=True)

    # 1. one batched tokenizer call
    rows: dict[str, Any] = {}
    for on in (False, True, False, True):  # interleaved; the best of each kept
        switch(tokenizer, on)
        secs, ids = best_of(lambda: _tokenize(tokenizer, texts), args.repeats)
        key = "fast" if on else "chain"
        if key not in rows or secs < rows[key]["seconds"]:
            rows[key] = {"seconds": secs, "texts_per_s": len(texts) / secs, "ids": ids}
    equal_tok = rows["fast"]["ids"] == rows["chain"]["ids"]
    tok = {k: {kk: vv for kk, vv in v.items() if kk != "ids"} for k, v in rows.items()}
    tok["ratio"] = rows["fast"]["texts_per_s"] / rows["chain"]["texts_per_s"]
    tok["ids_equal"] = equal_tok
    print(f"tokenizer: chain {tok['chain']['texts_per_s']:,.0f} texts/s, fast {tok['fast']['texts_per_s']:,.0f} texts/s, "
          f"x{tok['ratio']:.1f}, ids equal: {equal_tok}", flush=True)

    # 2. the training collator
    english_ids = {en: i for i, en in enumerate(sorted({p.en for p in pairs}))}
    collate = PairCollator(model, english_ids)
    batches = [pairs[i * args.batch_size : (i + 1) * args.batch_size] for i in range(args.batches)]
    coll: dict[str, Any] = {}
    outs: dict[str, Any] = {}
    for on in (False, True, False, True):
        switch(tokenizer, on)
        secs, out = best_of(lambda: [collate(b) for b in batches], args.repeats)
        key = "fast" if on else "chain"
        outs[key] = out
        if key not in coll or secs < coll[key]["seconds"]:
            coll[key] = {"seconds": secs, "ms_per_batch": 1000 * secs / len(batches)}
    equal_coll = all(
        (a["student"]["transformer"]["input_ids"].equal(b["student"]["transformer"]["input_ids"])) for a, b in zip(outs["fast"], outs["chain"])
    )
    coll["ratio"] = coll["chain"]["ms_per_batch"] / coll["fast"]["ms_per_batch"]
    coll["ids_equal"] = equal_coll
    print(f"collator ({args.batch_size} pairs, 3 agents): chain {coll['chain']['ms_per_batch']:.1f} ms/batch, "
          f"fast {coll['fast']['ms_per_batch']:.1f} ms/batch, x{coll['ratio']:.1f}, ids equal: {equal_coll}", flush=True)
    result = {"info": info, "tokenizer": tok, "collator": coll}
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json_out}")
    if not (equal_tok and equal_coll):
        print("IDS DIFFER: the fast path is wrong for this tokenizer")
        sys.exit(1)
    return result


def _tokenize(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    with prenormalize.prenormalized(tokenizer, texts) as ready:
        return tokenizer(ready, truncation=True, max_length=512)["input_ids"]


if __name__ == "__main__":
    main()
