"""Decoder LLM vs encoder student under Arca: bitext accuracy@1 before/after, as a Markdown table.

For each student (``gemma`` = ``offline:gemma-3-270m`` with LoRA, ``e5`` =
``offline:multilingual-e5-small``, or any model name) this runs :func:`lira.pipeline.run_demo` on
the demo configuration with the student overridden and its own output folder, then writes one
table comparing them (x→en and en→x accuracy@1 before and after Arca, 7 languages)::

    python -m lira.llm_study --students gemma e5 --steps 80 --eval-pairs 200 --lora-rank 8

A student whose folder already holds ``results.json`` from the same settings is not run again
(``--rerun`` forces it), so the two students can be run in separate sessions. Each run records
its wall time and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lira.config import LiraConfig

STUDENTS = {"gemma": "offline:gemma-3-270m", "e5": "offline:multilingual-e5-small"}
RESULTS_FILE = "results.json"
STUDY_FILE = "study.json"
TABLE_FILE = "llm_comparison.md"


@dataclass
class StudySettings:
    steps: int = 80
    eval_pairs: int = 200
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_learning_rate: float = 3e-4
    trainable_top_layers: int | None = 4
    """Demo default: adapters (or weights) only in the top 4 layers, so the backward pass stops there."""
    batch_size: int = 32
    num_threads: int | None = None


def is_llm(student: str) -> bool:
    return student == "gemma" or "gemma" in student.lower() or any(k in student.lower() for k in ("qwen", "llama", "mistral"))


def study_config(student: str, out_root: Path, settings: StudySettings) -> LiraConfig:
    """The demo configuration with the student, budget and output folder of this study."""
    from lira.pipeline import demo_config

    config = demo_config()
    config.model.student = STUDENTS.get(student, student)
    config.train.output_dir = str(out_root / _slug(student))
    config.train.max_steps = settings.steps
    config.train.batch_size = settings.batch_size
    config.train.checkpoint_every = max(settings.steps, 1)
    config.train.log_every = 5
    config.train.num_threads = settings.num_threads
    config.eval.max_pairs_per_language = settings.eval_pairs
    config.model.trainable_top_layers = settings.trainable_top_layers
    if is_llm(student) and settings.lora_rank > 0:
        config.model.lora_rank = settings.lora_rank
        config.model.lora_alpha = settings.lora_alpha
        config.train.learning_rate = settings.lora_learning_rate
    return config


def _slug(student: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in student)


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_student(student: str, out_root: Path, settings: StudySettings, rerun: bool = False) -> dict[str, Any]:
    """Run (or reuse) one student's before/after evaluation; returns its study record."""
    from lira.pipeline import run_demo

    config = study_config(student, out_root, settings)
    out_dir = Path(config.train.output_dir)
    record_path = out_dir / STUDY_FILE
    if not rerun and record_path.exists() and (out_dir / RESULTS_FILE).exists():
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("config") == config.to_dict():
            return record
    start = time.perf_counter()
    demo = run_demo(config, resume=not rerun)
    record = {
        "student": student,
        "model": config.model.student,
        "metrics": demo.metrics,
        "languages": demo.languages,
        "steps": demo.steps,
        "train_seconds": demo.train_seconds,
        "wall_seconds": time.perf_counter() - start,
        "peak_rss_mb": peak_rss_mb(),
        "config": config.to_dict(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return record


def comparison_table(records: list[dict[str, Any]]) -> str:
    """Markdown: per language, x→en and en→x accuracy@1 before → after, one column group per student."""
    languages = [lang for lang in records[0]["languages"] if all(lang in r["languages"] for r in records)]
    head = ["lang"]
    for r in records:
        head += [f"{r['student']} x→en before", f"{r['student']} x→en after", f"{r['student']} en→x before", f"{r['student']} en→x after"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for lang in [*languages, "mean"]:
        cells = [lang]
        for r in records:
            m = r["metrics"]
            cells += [f"{m[system][f'{lang}/{d}/acc@1']:.3f}" for d in ("x2en", "en2x") for system in ("student_before", "student_after")]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for r in records:
        c = r["config"]
        lora = f"LoRA r={c['model']['lora_rank']} α={c['model']['lora_alpha']}" if c["model"]["lora_rank"] else "full weights"
        n = int(r["metrics"]["student_before"][f"{languages[0]}/n"]) if languages else 0
        lines.append(
            f"- **{r['student']}** (`{r['model']}`): {lora}, top {c['model']['trainable_top_layers'] or 'all'} layers trainable, "
            f"{r['steps']} steps × batch {c['train']['batch_size']}, lr {c['train']['learning_rate']:g}; "
            f"{n} test pairs/language; training {r['train_seconds'] / 60:.1f} min, wall {r['wall_seconds'] / 60:.1f} min, "
            f"peak RSS {r['peak_rss_mb'] / 1024:.1f} GiB."
        )
    return "\n".join(lines) + "\n"


def run_study(students: list[str], out_root: str | Path = "runs/llm_study", settings: StudySettings | None = None, rerun: bool = False) -> Path:
    """Run every student, then write ``<out_root>/llm_comparison.md``; returns its path."""
    out_root = Path(out_root)
    settings = settings or StudySettings()
    records = [run_student(s, out_root, settings, rerun=rerun) for s in students]
    path = out_root / TABLE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(comparison_table(records), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lira.llm_study", description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", nargs="+", default=["gemma", "e5"], help="gemma, e5, or model names")
    parser.add_argument("--out", default="runs/llm_study")
    defaults = StudySettings()
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--eval-pairs", type=int, default=defaults.eval_pairs)
    parser.add_argument("--lora-rank", type=int, default=defaults.lora_rank)
    parser.add_argument("--lora-alpha", type=int, default=defaults.lora_alpha)
    parser.add_argument("--lora-lr", type=float, default=defaults.lora_learning_rate)
    parser.add_argument("--top-layers", type=int, default=defaults.trainable_top_layers, help="trainable top layers; 0 or less = all")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rerun", action="store_true", help="ignore earlier results in --out")
    args = parser.parse_args(argv)
    settings = StudySettings(
        steps=args.steps, eval_pairs=args.eval_pairs, lora_rank=args.lora_rank, lora_alpha=args.lora_alpha,
        lora_learning_rate=args.lora_lr, trainable_top_layers=args.top_layers if args.top_layers and args.top_layers > 0 else None,
        batch_size=args.batch_size, num_threads=args.threads,
    )
    path = run_study(args.students, args.out, settings, rerun=args.rerun)
    sys.stdout.write(path.read_text(encoding="utf-8"))
    print(f"written: {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
