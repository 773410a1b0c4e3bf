"""The main job as a Python API: evaluate the student, train Arca, evaluate again, compare.

``lira demo`` is a thin wrapper over ``run_demo``; a notebook can call it the same way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from lira.arca.model import ArcaEncoder, SentenceTransformerEncoder
from lira.config import LiraConfig
from lira.data.pairs import load_pairs
from lira.eval.base import CachingEncoder
from lira.eval.bitext import BitextRetrievalEvaluator
from lira.models.loading import load_sentence_transformer
from lira.train import train_arca

SYSTEMS = {
    "teacher": "English teacher on both sides (an English-only model's own cross-lingual ability)",
    "student_before": "untrained student, student-student retrieval",
    "student_after": "Arca-trained student, student-student retrieval",
    "student_to_teacher": "Arca-trained student queries against the teacher's English anchors",
}


@dataclass
class DemoResult:
    out_dir: Path
    metrics: dict[str, dict[str, float]]
    languages: list[str]
    train_seconds: float
    total_seconds: float
    steps: int


def demo_config(quick: bool = False) -> LiraConfig:
    """The embedded default: offline teacher and student, the shipped Firefox corpus, 7 languages.

    The step budget is sized so the whole job fits in 15 minutes on two CPU cores; ``quick`` is
    a smoke-test budget.
    """
    config = LiraConfig()
    config.train.output_dir = "runs/demo"
    config.train.batch_size = 32
    config.model.trainable_top_layers = 4
    config.train.max_steps = 20 if quick else 250
    config.train.checkpoint_every = 50
    config.eval.max_pairs_per_language = 100 if quick else 300
    return config


def evaluate_bitext(config: LiraConfig, encoder: Any, target: Any | None = None, split: str = "test") -> dict[str, float]:
    """Bitext retrieval on the test (or dev) pairs, read whole: ``data.max_chars`` filters training data only."""
    pairs = load_pairs(config.data.test if split == "test" else config.data.dev, split=split, languages=config.data.languages, max_chars=None)
    evaluator = BitextRetrievalEvaluator.from_pairs(pairs, batch_size=config.eval.batch_size, max_pairs_per_language=config.eval.max_pairs_per_language)
    return evaluator(encoder, target_encoder=target)


def run_demo(config: LiraConfig | None = None, *, quick: bool = False, console: Console | None = None, resume: bool = True) -> DemoResult:
    console = console or Console()
    config = config or demo_config(quick)
    config.check_paths()  # before the models load: a bad path should not cost minutes
    start = time.perf_counter()
    out_dir = Path(config.train.output_dir)
    console.rule("[bold]LiRA demo: Arca anchoring on human-translated Firefox strings")
    console.print(f"teacher: {config.model.teacher}   student: {config.model.student}   languages: {' '.join(config.data.languages)}")

    console.print("[bold]1/4[/] loading models (the first run converts the offline student)")
    teacher = CachingEncoder(SentenceTransformerEncoder(load_sentence_transformer(config.model.teacher)))
    student = ArcaEncoder.from_student(config.model.student, config.model)

    console.print("[bold]2/4[/] evaluating before training")
    metrics: dict[str, dict[str, float]] = {
        "teacher": evaluate_bitext(config, teacher),
        "student_before": evaluate_bitext(config, student),
    }
    del student

    console.print(f"[bold]3/4[/] training Arca ({config.train.max_steps or config.train.epochs} {'steps' if config.train.max_steps else 'epochs'})")
    result = train_arca(config, resume=resume)

    console.print("[bold]4/4[/] evaluating after training")
    trained = CachingEncoder(ArcaEncoder.load(result.model_dir))
    metrics["student_after"] = evaluate_bitext(config, trained)
    metrics["student_to_teacher"] = evaluate_bitext(config, trained, target=teacher)

    languages = [lang for lang in config.data.languages if f"{lang}/x2en/acc@1" in metrics["student_before"]]
    demo = DemoResult(out_dir, metrics, languages, result.seconds, time.perf_counter() - start, result.steps)
    write_demo_report(demo, config)
    plot_demo(out_dir)
    console.print(demo_table(demo))
    console.print(summary_line(demo))
    console.print(f"results: {out_dir / 'results.json'}, {out_dir / 'results.md'}, {out_dir / 'results.png'}")
    return demo


def improved_languages(demo: DemoResult, direction: str = "x2en") -> list[str]:
    m = demo.metrics
    return [lang for lang in demo.languages if m["student_after"][f"{lang}/{direction}/acc@1"] > m["student_before"][f"{lang}/{direction}/acc@1"]]


def summary_line(demo: DemoResult) -> str:
    m = demo.metrics
    before, after = m["student_before"]["mean/x2en/acc@1"], m["student_after"]["mean/x2en/acc@1"]
    better = improved_languages(demo)
    return (
        f"mean x->en acc@1 {before:.3f} -> {after:.3f} ({after - before:+.3f}); improved in {len(better)}/{len(demo.languages)} languages; "
        f"{demo.steps} steps, training {demo.train_seconds / 60:.1f} min, total {demo.total_seconds / 60:.1f} min"
    )


def demo_table(demo: DemoResult) -> Table:
    m = demo.metrics
    table = Table(title="Bitext retrieval accuracy@1 on the held-out split (student-student unless noted)")
    for column in ["lang", "n", "x->en before", "x->en after", "en->x before", "en->x after", "x->en student->teacher", "x->en teacher"]:
        table.add_column(column, justify="right" if column != "lang" else "left")
    for lang in [*demo.languages, "mean"]:
        n = "" if lang == "mean" else str(int(m["student_before"][f"{lang}/n"]))
        cells = [m[s][f"{lang}/{d}/acc@1"] for s, d in [("student_before", "x2en"), ("student_after", "x2en"), ("student_before", "en2x"), ("student_after", "en2x"), ("student_to_teacher", "x2en"), ("teacher", "x2en")]]
        table.add_row(lang, n, *(f"{c:.3f}" for c in cells))
    return table


def write_demo_report(demo: DemoResult, config: LiraConfig) -> None:
    out = demo.out_dir
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "systems": SYSTEMS,
        "metrics": demo.metrics,
        "languages": demo.languages,
        "steps": demo.steps,
        "train_seconds": demo.train_seconds,
        "total_seconds": demo.total_seconds,
        "config": config.to_dict(),
    }
    (out / "results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    m = demo.metrics
    lines = [
        "| lang | n | x→en before | x→en after | en→x before | en→x after | x→en MRR before | x→en MRR after | x→en student→teacher | x→en teacher |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lang in [*demo.languages, "mean"]:
        n = "" if lang == "mean" else str(int(m["student_before"][f"{lang}/n"]))
        cells = [
            m["student_before"][f"{lang}/x2en/acc@1"], m["student_after"][f"{lang}/x2en/acc@1"],
            m["student_before"][f"{lang}/en2x/acc@1"], m["student_after"][f"{lang}/en2x/acc@1"],
            m["student_before"][f"{lang}/x2en/mrr"], m["student_after"][f"{lang}/x2en/mrr"],
            m["student_to_teacher"][f"{lang}/x2en/acc@1"], m["teacher"][f"{lang}/x2en/acc@1"],
        ]
        lines.append(f"| {lang} | {n} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    lines += ["", summary_line(demo)]
    (out / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def plot_demo(out_dir: str | Path) -> Path:
    """``results.png``: per-language accuracy@1 before/after (both directions) and the loss curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = Path(out_dir)
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    m, langs = payload["metrics"], payload["languages"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    x = np.arange(len(langs))
    for ax, direction, title in ((axes[0], "x2en", "x → en accuracy@1"), (axes[1], "en2x", "en → x accuracy@1")):
        before = [m["student_before"][f"{lang}/{direction}/acc@1"] for lang in langs]
        after = [m["student_after"][f"{lang}/{direction}/acc@1"] for lang in langs]
        ax.bar(x - 0.2, before, 0.4, label="student before", color="#9aa5b1")
        ax.bar(x + 0.2, after, 0.4, label="Arca after", color="#2b6cb0")
        ax.set_xticks(x, langs)
        ax.set_ylim(min(before + after) - 0.1, 1.0)
        ax.set_title(title)
        ax.legend(loc="lower right")
    metrics_path = out / "metrics.jsonl"
    if metrics_path.exists():
        records = [json.loads(line) for line in metrics_path.read_text(encoding="utf-8").splitlines() if line]
        steps = [r["step"] for r in records]
        for key in ("loss", "loss_anchor", "loss_contrastive", "loss_geometry"):
            if records and key in records[0]:
                axes[2].plot(steps, [r[key] for r in records], label=key)
        axes[2].set_xlabel("step")
        axes[2].set_title("training losses")
        axes[2].legend()
    fig.tight_layout()
    path = out / "results.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
