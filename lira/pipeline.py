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

from lira.arca.model import ArcaEncoder
from lira.arca.teacher import load_teacher
from lira.config import SELF_TEACHER, LiraConfig
from lira.data.pairs import load_pairs
from lira.eval.base import CachingEncoder
from lira.eval.bitext import BitextRetrievalEvaluator
from lira.eval.tatoeba import TatoebaEvaluator
from lira.model_card import update_card
from lira.models.prefix_cache import attached_if, evaluation_cache
from lira.train import train_arca

SYSTEMS = {
    "teacher": "English teacher on both sides (an English-only model's own cross-lingual ability); the untrained student with the self anchor",
    "student_before": "untrained student, student-student retrieval",
    "student_after": "Arca-trained student, student-student retrieval",
    "student_to_teacher": "Arca-trained student queries against the anchors (the teacher's English vectors; with the self anchor, the untrained student's)",
    "tatoeba_before": "untrained student on the Tatoeba test set (all pairs)",
    "tatoeba_after": "Arca-trained student on the Tatoeba test set (all pairs)",
}


@dataclass
class DemoResult:
    out_dir: Path
    metrics: dict[str, dict[str, float]]
    languages: list[str]
    train_seconds: float
    total_seconds: float
    steps: int
    selected_step: int | None = None
    """The step whose model was kept (best dev score)."""
    dev: dict[str, dict[str, float]] | None = None
    warnings: list[str] | None = None
    tatoeba_tests: dict[str, dict[str, float]] | None = None
    """Paired bootstrap over Tatoeba sentences, trained minus untrained accuracy@1: per
    ``lang/direction`` and ``mean/direction`` (mean over languages), with ``delta``, ``low``,
    ``high`` (95% interval) and ``p``."""


def tatoeba_tests(before: dict[tuple[str, str], Any], after: dict[tuple[str, str], Any], *, samples: int = 2000) -> dict[str, dict[str, float]]:
    """Is each Tatoeba change beyond the noise of a 1,000-sentence test set? Paired bootstrap over
    the sentences (``lira.eval.significance``) of the per-sentence hits before and after training,
    per language and direction, and for each direction's mean over languages."""
    from lira.eval.significance import paired_bootstrap

    tests: dict[str, dict[str, float]] = {}
    for direction in sorted({d for _, d in before}):
        keys = sorted(lang for lang, d in before if d == direction and (lang, d) in after)
        groups = [(f"{lang}/{direction}", [lang]) for lang in keys] + [(f"mean/{direction}", keys)]
        for name, langs in groups:
            result = paired_bootstrap({g: before[(g, direction)] for g in langs}, {g: after[(g, direction)] for g in langs}, samples=samples)
            tests[name] = {"delta": result.delta, "low": result.low, "high": result.high, "p": result.p_value}
    return tests


def demo_config(quick: bool = False) -> LiraConfig:
    """The embedded default: offline teacher and student, the shipped Firefox corpus, 7 languages.

    The step budget is sized so the whole job fits in 10 minutes on two CPU cores; ``quick`` is
    a smoke-test budget. Dev sets are scored before training, at each checkpoint and at the end.
    """
    config = LiraConfig()
    config.train.output_dir = "runs/demo"
    config.train.batch_size = 32
    config.model.trainable_top_layers = 4
    config.train.max_steps = 20 if quick else 250
    config.train.checkpoint_every = 10 if quick else 125
    config.train.dev_pairs_per_language = 30 if quick else 100
    config.eval.max_pairs_per_language = 100 if quick else 300
    return config


def bitext_evaluator(config: LiraConfig, split: str = "test") -> BitextRetrievalEvaluator:
    """Bitext retrieval on the test (or dev) pairs, read whole: ``data.max_chars`` filters training data only."""
    pairs = load_pairs(config.data.test if split == "test" else config.data.dev, split=split, languages=config.data.languages, max_chars=None)
    return BitextRetrievalEvaluator.from_pairs(pairs, batch_size=config.eval.batch_size, max_pairs_per_language=config.eval.max_pairs_per_language)


def evaluate_bitext(config: LiraConfig, encoder: Any, target: Any | None = None, split: str = "test") -> dict[str, float]:
    """Bitext retrieval on the test (or dev) pairs (see :func:`bitext_evaluator`)."""
    return bitext_evaluator(config, split)(encoder, target_encoder=target)


def run_demo(config: LiraConfig | None = None, *, quick: bool = False, console: Console | None = None, resume: bool = True) -> DemoResult:
    console = console or Console()
    config = config or demo_config(quick)
    config.check_paths()  # before the models load: a bad path should not cost minutes
    start = time.perf_counter()
    out_dir = Path(config.train.output_dir)
    console.rule("[bold]LiRA demo: Arca on human-translated Firefox strings")
    a = config.arca
    weights = (("anchor", a.anchor_weight), ("contrastive", a.contrastive_weight), ("geometry", a.geometry_weight), ("retrieval", a.retrieval_weight),
               ("noise anchor", a.noise_anchor_weight), ("noise consistency", a.noise_consistency_weight))
    terms = ", ".join(f"{name} {w:g}" for name, w in weights if w)
    anchor = f"   anchor: {config.model.teacher}" if a.uses_anchor_vectors() else ""
    console.print(f"student: {config.model.student}   terms: {terms}{anchor}   languages: {' '.join(config.data.languages)}")

    console.print("[bold]1/4[/] loading models (the first run converts the offline student)")
    student = CachingEncoder(ArcaEncoder.from_student(config.model.student, config.model))
    # With the self anchor the "teacher" is the untrained student itself: no second model to load.
    teacher = student if config.model.teacher == SELF_TEACHER else CachingEncoder(load_teacher(config.model).encoder())
    # A smoke run scores a Tatoeba sample; the real run scores every pair.
    tatoeba = TatoebaEvaluator(batch_size=config.eval.batch_size, max_pairs_per_language=100 if quick else None)

    firefox = bitext_evaluator(config)

    console.print("[bold]2/4[/] evaluating before training (held-out Firefox split and the Tatoeba test set)")
    # The trained model keeps the student's frozen lower layers: their states for the test texts
    # are computed once here, and the evaluation after training reruns only the trained top layers.
    cache = evaluation_cache(student.encoder)
    if cache is not None:
        cache.fill(student.encoder, sorted(set(firefox.texts()) | set(tatoeba.texts())), batch_size=config.eval.batch_size, encoding_only=True)
    with attached_if(cache, student.encoder):
        metrics: dict[str, dict[str, float]] = {"student_before": firefox(student)}
        metrics["tatoeba_before"] = tatoeba(student)
    metrics["teacher"] = metrics["student_before"] if teacher is student else firefox(teacher)
    hits_before = dict(tatoeba.last_hits)

    console.print(f"[bold]3/4[/] training Arca ({config.train.max_steps or config.train.epochs} {'steps' if config.train.max_steps else 'epochs'})")
    result = train_arca(config, resume=resume)

    console.print("[bold]4/4[/] evaluating after training")
    trained = CachingEncoder(ArcaEncoder.load(result.model_dir))
    with attached_if(cache, trained.encoder):
        metrics["student_after"] = firefox(trained)
        metrics["student_to_teacher"] = firefox(trained, target_encoder=teacher)
        metrics["tatoeba_after"] = tatoeba(trained)
    del cache
    tests = tatoeba_tests(hits_before, tatoeba.last_hits)
    update_card(result.model_dir, test=card_test_scores(metrics))

    languages = [lang for lang in config.data.languages if f"{lang}/x2en/acc@1" in metrics["student_before"]]
    demo = DemoResult(out_dir, metrics, languages, result.seconds, time.perf_counter() - start, result.steps, result.selected_step, result.dev, list(result.warnings), tests)
    write_demo_report(demo, config)
    plot_demo(out_dir)
    console.print(demo_table(demo))
    console.print(summary_line(demo))
    for line in demo.warnings or []:
        console.print(f"[bold yellow]warning:[/] {line}", highlight=False)
    console.print(f"results: {out_dir / 'results.json'}, {out_dir / 'results.md'}, {out_dir / 'results.png'}")
    return demo


COLUMNS = [
    # (header, system, direction)
    ("Firefox x→en before", "student_before", "x2en"), ("Firefox x→en after", "student_after", "x2en"),
    ("Firefox en→x before", "student_before", "en2x"), ("Firefox en→x after", "student_after", "en2x"),
    ("Tatoeba x→en before", "tatoeba_before", "x2en"), ("Tatoeba x→en after", "tatoeba_after", "x2en"),
    ("Tatoeba en→x before", "tatoeba_before", "en2x"), ("Tatoeba en→x after", "tatoeba_after", "en2x"),
    ("x→en student→anchor", "student_to_teacher", "x2en"),
]


def card_test_scores(metrics: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The demo's test scores, before and after, as the model card's test table."""
    sets = {"Firefox test (sample)": ("student_before", "student_after"), "Tatoeba": ("tatoeba_before", "tatoeba_after")}
    return {
        name: {f"{who} {d.replace('2', '->')}": metrics[key][f"mean/{d}/acc@1"] for who, key in (("untrained", before), ("this model", after)) for d in ("x2en", "en2x")}
        for name, (before, after) in sets.items()
    }


def improved_languages(demo: DemoResult, direction: str = "x2en", before: str = "student_before", after: str = "student_after") -> list[str]:
    m = demo.metrics
    return [lang for lang in demo.languages if m[after][f"{lang}/{direction}/acc@1"] > m[before][f"{lang}/{direction}/acc@1"]]


def summary_line(demo: DemoResult) -> str:
    m = demo.metrics

    def change(before: str, after: str, direction: str) -> str:
        b, a = m[before][f"mean/{direction}/acc@1"], m[after][f"mean/{direction}/acc@1"]
        test = (demo.tatoeba_tests or {}).get(f"mean/{direction}") if before.startswith("tatoeba") else None
        p = f", p={test['p']:.3f}" if test else ""
        return f"{b:.3f} -> {a:.3f} ({a - b:+.3f}{p})"

    tatoeba_langs = [lang for lang in demo.languages if f"{lang}/x2en/acc@1" in m["tatoeba_before"]]
    worse = [(lang, d) for lang in tatoeba_langs for d in ("x2en", "en2x") if m["tatoeba_after"][f"{lang}/{d}/acc@1"] < m["tatoeba_before"][f"{lang}/{d}/acc@1"] - 0.005]
    tests = demo.tatoeba_tests or {}

    def tested(key: str) -> str:
        t = tests.get(key)
        return f" p={t['p']:.3f}" if t else ""

    which = [
        f"{lang} {d.replace('2', '->')} {m['tatoeba_after'][f'{lang}/{d}/acc@1'] - m['tatoeba_before'][f'{lang}/{d}/acc@1']:+.3f}{tested(f'{lang}/{d}')}"
        for lang, d in worse
    ]
    kept = f", model of step {demo.selected_step} kept (best dev score)" if demo.selected_step not in (None, demo.steps) else ""
    return (
        f"Firefox test x->en {change('student_before', 'student_after', 'x2en')}, en->x {change('student_before', 'student_after', 'en2x')}; "
        f"Tatoeba x->en {change('tatoeba_before', 'tatoeba_after', 'x2en')}, en->x {change('tatoeba_before', 'tatoeba_after', 'en2x')}; "
        f"Tatoeba languages more than 0.005 below the untrained student: {len({lang for lang, _ in worse})}/{len(tatoeba_langs)}"
        f"{' (' + ', '.join(which) + ('; paired bootstrap over sentences' if tests else '') + ')' if which else ''}; "
        f"{demo.steps} steps{kept}, training {demo.train_seconds / 60:.1f} min, total {demo.total_seconds / 60:.1f} min"
    )


def _cell(m: dict[str, dict[str, float]], lang: str, system: str, direction: str) -> str:
    value = m[system].get(f"{lang}/{direction}/acc@1")
    return "" if value is None else f"{value:.3f}"


def demo_table(demo: DemoResult) -> Table:
    m = demo.metrics
    table = Table(title="Bitext retrieval accuracy@1: the held-out Firefox split (in domain) and the Tatoeba test set (off domain)")
    for column in ["lang", "n", *(c[0] for c in COLUMNS)]:
        table.add_column(column, justify="right" if column != "lang" else "left")
    for lang in [*demo.languages, "mean"]:
        n = "" if lang == "mean" else str(int(m["student_before"][f"{lang}/n"]))
        table.add_row(lang, n, *(_cell(m, lang, system, d) for _, system, d in COLUMNS))
    return table


def write_demo_report(demo: DemoResult, config: LiraConfig) -> None:
    out = demo.out_dir
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "systems": SYSTEMS,
        "metrics": demo.metrics,
        "languages": demo.languages,
        "steps": demo.steps,
        "selected_step": demo.selected_step,
        "dev": demo.dev,
        "warnings": demo.warnings or [],
        "tatoeba_tests": demo.tatoeba_tests or {},
        "train_seconds": demo.train_seconds,
        "total_seconds": demo.total_seconds,
        "config": config.to_dict(),
    }
    (out / "results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    m = demo.metrics
    lines = ["| lang | n | " + " | ".join(c[0] for c in COLUMNS) + " |", "|---|---:|" + "---:|" * len(COLUMNS)]
    for lang in [*demo.languages, "mean"]:
        n = "" if lang == "mean" else str(int(m["student_before"][f"{lang}/n"]))
        lines.append(f"| {lang} | {n} | " + " | ".join(_cell(m, lang, system, d) for _, system, d in COLUMNS) + " |")
    lines += ["", summary_line(demo)]
    lines += ["", *(f"WARNING: {w}" for w in demo.warnings or [])]
    (out / "results.md").write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


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
    panels = ((axes[0], "student", "Firefox test (in domain), x → en accuracy@1"), (axes[1], "tatoeba", "Tatoeba test (off domain), x → en accuracy@1"))
    for ax, prefix, title in panels:
        before_key, after_key = ("student_before", "student_after") if prefix == "student" else ("tatoeba_before", "tatoeba_after")
        before = [m[before_key][f"{lang}/x2en/acc@1"] for lang in langs]
        after = [m[after_key][f"{lang}/x2en/acc@1"] for lang in langs]
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
