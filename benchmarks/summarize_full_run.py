"""Summarise a full training run copied back from a device (benchmarks/device_full_run.sh).

Reads the run folder's ``results.json`` (train/total seconds, steps, config), ``metrics.jsonl``
(per-window pairs/s and real student tokens, logged by ``train_arca``), and, when present,
``nvidia_smi.csv`` + ``log.txt`` (GPU utilisation sampled every second during the training stage).
Prints wall time, throughput and model FLOPs utilisation:

    MFU = 6 * N * tokens / train_seconds / peak

N: the student's non-embedding parameters (e5-small: 21,293,568, as ``bench_throughput.py``
counts them), tokens: the real (non-padding) student tokens the run logged, peak: the card's dense
bf16 rate. The teacher's forward (one pass per distinct English sentence, cached) and the
character-n-gram agents are left out, so this understates the work done slightly.

    python benchmarks/summarize_full_run.py benchmarks/results/gpu_h200_full_run
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
from pathlib import Path


def gpu_utilisation(run: Path, stage: str) -> dict[str, float] | None:
    """GPU utilisation (%) over the nvidia-smi samples (one a second) inside the log's window for
    ``stage``, from its first to its last sample with the GPU busy (in this run: the training)."""
    smi, log = run / "nvidia_smi.csv", run / "log.txt"
    if not smi.exists() or not log.exists():
        return None
    times = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        m = re.match(r"== (\d\d:\d\d:\d\d) \+\d+s (.*)", line)
        if m and m.group(2).startswith(stage):
            times["end" if " ended " in m.group(2) else "start"] = m.group(1)
    if set(times) != {"start", "end"}:
        return None
    util = []
    with smi.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, skipinitialspace=True):
            clock = row["timestamp"].split()[1].split(".")[0]  # "2026/11/28 02:49:04.514" -> "02:49:04", as the log writes it
            if times["start"] < clock <= times["end"]:  # the start second still shows the stage before
                util.append(float(row["utilization.gpu [%]"].rstrip(" %")))
    busy = [i for i, u in enumerate(util) if u > 0]
    if not busy:
        return None
    # from the first to the last busy sample: model loading before it and the host-side final
    # evaluation and saving after it would only add idle seconds
    util = util[busy[0] : busy[-1] + 1]
    return {"samples": len(util), "mean": statistics.fmean(util), "median": statistics.median(util), "max": max(util)}


def summarize(run: Path, non_embedding_params: int, peak_tflops: float) -> dict[str, float]:
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    windows = [json.loads(line) for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    windows = [w for w in windows if "tokens" in w]
    if not windows:
        raise ValueError(f"{run / 'metrics.jsonl'}: no logged windows with 'tokens'")
    train_s = float(results["train_seconds"])
    steps = int(results["steps"])
    batch = int(results["config"]["train"]["batch_size"])
    tokens = sum(int(w["tokens"]) for w in windows)
    out = {
        "total_seconds": float(results["total_seconds"]),
        "train_seconds": train_s,
        "steps": steps,
        "pairs": steps * batch,
        "pairs_per_s": steps * batch / train_s,
        "median_window_pairs_per_s": statistics.median(w["pairs_per_s"] for w in windows),
        "student_tokens": tokens,
        "tokens_per_s": tokens / train_s,
        "mfu": 6 * non_embedding_params * tokens / train_s / (peak_tflops * 1e12),
        "median_window_mfu": 6 * non_embedding_params * statistics.median(w["tokens_per_s"] for w in windows) / (peak_tflops * 1e12),
        "x2en_acc1_before": results["metrics"]["student_before"]["mean/x2en/acc@1"],
        "x2en_acc1_after": results["metrics"]["student_after"]["mean/x2en/acc@1"],
    }
    util = gpu_utilisation(run, "full default training run")
    if util:
        out.update({f"gpu_util_{k}": v for k, v in util.items()})
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path)
    ap.add_argument("--non-embedding-params", type=int, default=21_293_568)
    ap.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak (H100 SXM and H200: 989)")
    args = ap.parse_args(argv)
    out = summarize(args.run, args.non_embedding_params, args.peak_tflops)
    for key, value in out.items():
        print(f"{key:<28} {value:,.4f}" if isinstance(value, float) else f"{key:<28} {value:,}")
    return out


if __name__ == "__main__":
    main()
