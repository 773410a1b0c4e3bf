"""Does Arca make the student better *off* its training domain? The ablation study behind LiRA's default.

``lira eval generalization`` trains every system of :data:`SYSTEMS` from the same student on the
same data at the demo budget (and the systems of ``large_budget_systems`` at a larger one), and
scores each on

* the dev sets (:mod:`lira.eval.dev`): the Firefox dev split (in domain) and the dev split of the
  catalogs of other software projects (out of domain), before the first step, at every checkpoint
  and at the end (the curves show where in-domain and out-of-domain accuracy part);
* the Tatoeba test set (:mod:`lira.eval.tatoeba`), reported only: no choice is read off it.

Choices (what the default keeps) are read off the **dev score** of each system's *last* step
(the mean of in-domain and out-of-domain accuracy@1, both directions); each system's Tatoeba row is
its last-step model too, so a system is not helped by dev-based checkpoint selection here. Paired
bootstrap over Tatoeba items (``lira.eval.significance``) says whether a difference to the default
is more than test-sample noise.

Every system freezes the same lower layers, so the hidden states there are computed once for
every text of the study and shared (``lira.models.prefix_cache``): numbers agree with plain
training up to float rounding (the frozen layers run without dropout either way, see
``model.frozen_dropout``), about 3x sooner on a CPU. Systems that change the trainable depth train
without it: they ran before 7 Dec 2026 with the frozen layers' dropout on.

Resumable: each system's result is kept as JSON under ``work_dir/results/<fingerprint>``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rich.console import Console

from lira.config import ENGLISH_TEACHER, ConfigError, LiraConfig, load_study_yaml
from lira.eval.gates import gate_weights_by_language

ALL_AGENTS = ["transformer", "char_ngram", "romanized"]
ARCA_ALL_TERMS = {"model.teacher": "self", "arca.anchor_weight": 1.0, "arca.anchor_english_weight": 1.0, "arca.contrastive_weight": 0.5, "arca.geometry_weight": 1.0,
                  "model.agents": ["transformer"]}
"""The study's reference: Arca with every loss term on, anchored to the student's own English, on the
transformer agent alone (the agents are a row of their own). LiRA's default before this study."""
CONTRASTIVE_ONLY = {"arca.anchor_weight": 0.0, "arca.anchor_english_weight": 0.0, "arca.geometry_weight": 0.0, "arca.contrastive_weight": 1.0}
KD_MSE = {"model.teacher": ENGLISH_TEACHER, "arca.contrastive_weight": 0.0, "arca.geometry_weight": 0.0}
EXTRA_CATALOGS = {"data.train_catalogs": True}
"""The data-mix systems' switch: the Firefox pairs plus the other catalogs' train splits (``training_pairs``)."""


@dataclass(frozen=True)
class StudySystem:
    name: str
    label: str
    group: str
    """reference, teacher, terms, agents, depth, optimisation, data or peer."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Dotted LiraConfig overrides on top of the study's base config (Arca with every term on)."""


SYSTEMS: dict[str, StudySystem] = {
    s.name: s
    for s in [
        StudySystem("arca", "Arca, all terms (self anchor + contrastive + geometry)", "reference"),
        # -- the teacher: a separate English model instead of the self anchor; none is the contrastive peer
        StudySystem("teacher_minilm", "teacher: MiniLM (separate English model)", "teacher", {"model.teacher": ENGLISH_TEACHER}),
        StudySystem("teacher_minilm_agents", "old default: MiniLM teacher, 3 agents", "teacher", {"model.teacher": ENGLISH_TEACHER, "model.agents": ALL_AGENTS}),
        # -- each loss term removed, and alone
        StudySystem("minus_anchor", "− anchor (both anchor terms)", "terms", {"arca.anchor_weight": 0.0}),
        StudySystem("minus_anchor_english", "− English anchor term", "terms", {"arca.anchor_english_weight": 0.0}),
        StudySystem("minus_contrastive", "− contrastive", "terms", {"arca.contrastive_weight": 0.0}),
        StudySystem("minus_geometry", "− geometry", "terms", {"arca.geometry_weight": 0.0}),
        StudySystem("only_anchor", "anchor alone (KD-MSE to the self anchor)", "terms", {"arca.contrastive_weight": 0.0, "arca.geometry_weight": 0.0}),
        StudySystem("only_geometry", "geometry alone", "terms", {"arca.anchor_weight": 0.0, "arca.contrastive_weight": 0.0}),
        # -- agents and the gate
        StudySystem("plus_char_ngram", "+ character n-gram agent", "agents", {"model.agents": ["transformer", "char_ngram"]}),
        StudySystem("plus_romanized", "+ romanised agent", "agents", {"model.agents": ["transformer", "romanized"]}),
        StudySystem("plus_agents", "+ both agents, language-aware gate", "agents", {"model.agents": ALL_AGENTS}),
        StudySystem("plus_agents_no_language", "+ both agents, gate without language", "agents", {"model.agents": ALL_AGENTS, "model.language_aware_fusion": False}),
        StudySystem("contrastive_agents", "contrastive + both agents, language-aware gate (Firefox pairs)", "agents", {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS}),
        # -- depth and optimisation
        StudySystem("depth_2", "top 2 layers trained", "depth", {"model.trainable_top_layers": 2}),
        StudySystem("depth_8", "top 8 layers trained", "depth", {"model.trainable_top_layers": 8}),
        StudySystem("lr_2e-5", "learning rate 2e-5", "optimisation", {"train.learning_rate": 2e-5}),
        StudySystem("lr_1e-4", "learning rate 1e-4", "optimisation", {"train.learning_rate": 1e-4}),
        # -- data mix
        StudySystem("data_plus_gettext", "data: Firefox + other projects' catalogs (train splits)", "data", EXTRA_CATALOGS),
        # -- the switches that raised the reference's dev score, tried on LiRA's default itself
        StudySystem("default_lr_1e-4", "contrastive + agents (Firefox pairs), learning rate 1e-4", "optimisation", {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, "train.learning_rate": 1e-4}),
        StudySystem("default_data_plus_gettext", "contrastive + agents, Firefox + other projects' catalogs: LiRA's default", "data",
                    {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, **EXTRA_CATALOGS}),
        StudySystem("default_language_batches", "contrastive + agents (Firefox pairs), one language per batch", "data",
                    {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, "train.language_batches": True}),
        StudySystem("default_memory_1024", "contrastive + agents (Firefox pairs), contrastive memory of 1,024 earlier rows", "optimisation",
                    {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, "arca.contrastive_memory": 1024}),
        StudySystem("default_margin_0.1", "contrastive + agents, Firefox + catalogs, additive margin 0.1", "optimisation",
                    {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, **EXTRA_CATALOGS, "arca.contrastive_margin": 0.1}),
        StudySystem("default_margin_0.3", "contrastive + agents, Firefox + catalogs, additive margin 0.3 (LaBSE's)", "optimisation",
                    {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, **EXTRA_CATALOGS, "arca.contrastive_margin": 0.3}),
        StudySystem("default_agent_dropout", "contrastive + agents, Firefox + catalogs, agent dropout 0.5", "agents",
                    {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, **EXTRA_CATALOGS, "model.agent_dropout": 0.5}),
        StudySystem("default_transformer_contrastive", "contrastive + agents, Firefox + catalogs, + the contrastive term on the transformer agent (deep supervision)",
                    "agents", {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, **EXTRA_CATALOGS, "arca.transformer_contrastive_weight": 1.0}),
        StudySystem("default_english_transformer_only", "contrastive + agents, Firefox + catalogs, English on the transformer alone (views on the low-resource side only)",
                    "agents", {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, **EXTRA_CATALOGS, "model.english_transformer_only": True}),
        StudySystem("default_head_lr_2e-4", "contrastive + agents, Firefox + catalogs, agents and gate at learning rate 2e-4 (not 1e-3)",
                    "optimisation", {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, **EXTRA_CATALOGS, "train.head_learning_rate": 2e-4}),
        StudySystem("default_head_lr_1e-4", "contrastive + agents, Firefox + catalogs, agents and gate at learning rate 1e-4 (not 1e-3)",
                    "optimisation", {**CONTRASTIVE_ONLY, "model.agents": ALL_AGENTS, **EXTRA_CATALOGS, "train.head_learning_rate": 1e-4}),
        # -- peers at the same budget
        StudySystem("peer_kd_mse", "KD-MSE peer (Reimers & Gurevych: MiniLM teacher, MSE only)", "peer", KD_MSE),
        StudySystem("peer_contrastive", "contrastive only (in-batch translation ranking, as LaBSE), transformer agent", "peer", CONTRASTIVE_ONLY),
        StudySystem("peer_contrastive_catalogs", "contrastive only, transformer agent, Firefox + other projects' catalogs (the peer on the default's data)", "peer",
                    {**CONTRASTIVE_ONLY, **EXTRA_CATALOGS}),
    ]
}


def _base_config() -> LiraConfig:
    """Arca with every term on (:data:`ARCA_ALL_TERMS`) at the demo's budget (``lira.pipeline.demo_config``)."""
    from lira.pipeline import demo_config

    config = demo_config().override(ARCA_ALL_TERMS)
    config.train.select_best = False  # the study scores each system's last step
    # Every system trains on the Firefox pairs unless its row says otherwise (the extra catalogs are
    # the data rows' switch): the study ran so before they joined the default (None: its fingerprint).
    config.data.train_catalogs = None
    return config


@dataclass
class GeneralizationConfig:
    name: str = "generalization"
    out_dir: str = "reports/generalization"
    work_dir: str = "runs/generalization"
    systems: list[str] = field(default_factory=lambda: list(SYSTEMS))
    large_budget_steps: int = 1000
    large_budget_systems: list[str] = field(default_factory=lambda: ["arca", "peer_contrastive"])
    dev_every: int = 50
    """Dev evaluation (and checkpoint) interval of the study's runs, for the curves."""
    bootstrap_samples: int = 2000
    prefix_cache: bool = True
    max_minutes: float | None = None
    """Start no new run after this many minutes (the report covers the finished runs; a rerun
    of the command continues with the rest)."""
    lira: LiraConfig = field(default_factory=_base_config)

    def __post_init__(self) -> None:
        unknown = [s for s in [*self.systems, *self.large_budget_systems] if s not in SYSTEMS]
        if unknown:
            raise ConfigError(f"generalization.systems: unknown system(s) {unknown}; known: {', '.join(SYSTEMS)}")

    @classmethod
    def from_yaml(cls, path: str | Path) -> "GeneralizationConfig":
        return load_study_yaml(cls, path, _base_config)

    def fingerprint(self) -> str:
        """What a stored run depends on: the base config and the dev interval. Fields set to None
        are left out, so a field added to LiRA later with a None default does not orphan the runs
        a study has already stored."""
        payload = json.dumps({"lira": _without_none(self.lira.to_dict()), "dev_every": self.dev_every}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    def runs(self) -> list[tuple[str, int]]:
        """(system, steps) pairs in the order they run: every system at the base budget, in the
        order of ``systems``; the large-budget runs right after the last of their systems' base run
        (so a study stopped by ``max_minutes`` has its headline rows first)."""
        base = self.lira.train.max_steps or 0
        large = [(s, self.large_budget_steps) for s in self.large_budget_systems if self.large_budget_steps != base]
        order = [(s, base) for s in self.systems]
        last = max((i for i, (s, _) in enumerate(order) if s in self.large_budget_systems), default=len(order) - 1)
        return order[: last + 1] + large + order[last + 1 :]


def _without_none(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_none(v) for k, v in data.items() if v is not None}
    return data


def run_config(study: GeneralizationConfig, system: str, steps: int) -> LiraConfig:
    config = study.lira.override(dict(SYSTEMS[system].overrides))
    config.train.max_steps = steps
    config.train.checkpoint_every = study.dev_every
    config.train.output_dir = str(Path(study.work_dir) / "runs" / study.fingerprint() / f"{system}-{steps}")
    return config


def restore_from_report(study: GeneralizationConfig, results_dir: Path) -> int:
    """Copy the runs (and the untrained scores) of the committed report into ``results_dir`` when
    the report was written by the same study configuration (the same fingerprint) and they are not
    stored there yet: a fresh clone continues the study where the report stopped instead of
    retraining what the report already holds. Returns how many files were written."""
    path = Path(study.out_dir) / "results.json"
    if not path.exists():
        return 0
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        stored = payload["study"]
        fingerprint = payload.get("fingerprint") or hashlib.sha256(
            json.dumps({"lira": _without_none(stored["lira"]), "dev_every": stored["dev_every"]}, sort_keys=True).encode()).hexdigest()[:12]
    except (json.JSONDecodeError, KeyError, TypeError):
        return 0  # not a report this code wrote: nothing to restore, the study runs in full
    if fingerprint != study.fingerprint():
        return 0
    files = {f"{name}.json": run for name, run in payload.get("runs", {}).items()}
    if payload.get("untrained"):
        files["untrained.json"] = payload["untrained"]
    written = 0
    for name, content in files.items():
        target = results_dir / name
        if not target.exists():
            tmp = target.with_name(f".{name}.tmp")
            tmp.write_text(json.dumps(content) + "\n", encoding="utf-8")
            tmp.replace(target)
            written += 1
    return written


def run_generalization(study: GeneralizationConfig, *, console: Console | None = None, progress: bool = True) -> Path:
    from lira.arca.model import ArcaEncoder
    from lira.eval.base import CachingEncoder
    from lira.eval.dev import DevEvaluator
    from lira.eval.tatoeba import TatoebaEvaluator, load_tatoeba
    from lira.models.prefix_cache import FrozenPrefixCache, attached_if
    from lira.train import CHECKPOINT_DIR, DEV_METRICS_FILE, METRICS_FILE, train_arca, training_pairs

    console = console or Console()
    start = time.perf_counter()
    results_dir = Path(study.work_dir) / "results" / study.fingerprint()
    results_dir.mkdir(parents=True, exist_ok=True)
    tatoeba = TatoebaEvaluator(batch_size=study.lira.eval.batch_size)
    tatoeba_pairs = load_tatoeba()
    runs = study.runs()
    restored = restore_from_report(study, results_dir)
    if restored:
        console.print(f"restored {restored} stored result(s) from {Path(study.out_dir) / 'results.json'} (the same study configuration)")
    todo = [(s, n) for s, n in runs if not (results_dir / f"{s}-{n}.json").exists()]
    console.rule(f"[bold]LiRA generalization study: {len(runs)} runs ({len(todo)} to do)")

    base_depth = study.lira.model.trainable_top_layers
    base_cache: list[Any] = []
    # Reading and splitting the dev sets takes seconds; one instance serves the cache fill, the
    # untrained reference and the English-neighbourhood scores.
    dev_evaluator = functools.cache(lambda: DevEvaluator.from_config(study.lira))

    def prefix_cache_for(config: LiraConfig) -> Any:
        """The shared frozen-prefix cache, filled on first use (a rerun with nothing to train fills none)."""
        if not study.prefix_cache or config.model.trainable_top_layers != base_depth or config.model.frozen_dropout:
            return None
        if not base_cache:
            t0 = time.perf_counter()
            student = ArcaEncoder.from_student(study.lira.model.student, study.lira.model)
            cache = FrozenPrefixCache.for_model(student)
            texts: set[str] = set(dev_evaluator().texts())
            texts.update(t for p in tatoeba_pairs for t in (p.en, p.text))
            cached = [run_config(study, s, n) for s, n in todo]
            sections = {json.dumps(dataclasses.asdict(c.data), sort_keys=True): c for c in cached if c.model.trainable_top_layers == base_depth}
            for section in sections.values():
                texts.update(t for p in training_pairs(section) for t in (p.en, p.text))
            cache.fill(student, sorted(texts), batch_size=study.lira.eval.batch_size, progress=progress)
            console.print(f"frozen-prefix cache: {len(cache)} texts in {time.perf_counter() - t0:.0f} s")
            base_cache.append(cache)
        return base_cache[0]

    deadline = start + study.max_minutes * 60 if study.max_minutes is not None else None
    for system, steps in todo:
        if deadline is not None and time.perf_counter() > deadline:
            console.print(f"[yellow]time budget of {study.max_minutes} min spent: {system}-{steps} and the runs after it are left for a rerun")
            break
        config = run_config(study, system, steps)
        use_cache = prefix_cache_for(config)
        console.print(f"[bold]{system}[/] ({steps} steps): {SYSTEMS[system].overrides or 'the default'}")
        t0 = time.perf_counter()
        trained = train_arca(config, progress=progress, prefix_cache=use_cache, resume=True)
        train_s = time.perf_counter() - t0
        model = ArcaEncoder.load(trained.model_dir)
        with attached_if(use_cache, model):
            scores = tatoeba(CachingEncoder(model))
            gates = gate_weights_by_language(model, tatoeba_pairs) if len(model.agents) > 1 else None
        out_dir = Path(config.train.output_dir)
        result = {
            "system": system,
            "steps": steps,
            "train_seconds": train_s,
            "dev": trained.dev,
            "dev_curve": [json.loads(line) for line in (out_dir / DEV_METRICS_FILE).read_text(encoding="utf-8").splitlines() if line],
            "loss_curve": [json.loads(line) for line in (out_dir / METRICS_FILE).read_text(encoding="utf-8").splitlines() if line],
            "tatoeba": scores,
            "tatoeba_hits": tatoeba.hits_by_set(),
            "gate_weights": gates,
            "agents": list(config.model.agents),
        }
        tmp = results_dir / f"{system}-{steps}.json.tmp"
        tmp.write_text(json.dumps(result) + "\n", encoding="utf-8")
        tmp.replace(results_dir / f"{system}-{steps}.json")
        shutil.rmtree(out_dir / CHECKPOINT_DIR, ignore_errors=True)
        del model
        console.print(f"  dev score {scores_line(result)}; {train_s / 60:.1f} min")

    cache = base_cache[0] if base_cache else None
    untrained = _untrained_scores(study, cache, tatoeba, results_dir, dev_evaluator)
    _score_english_kept(study, [(s, n) for s, n in runs if (results_dir / f"{s}-{n}.json").exists()], results_dir, console, dev_evaluator)
    payload = {
        "study": {**{k: v for k, v in dataclasses.asdict(study).items() if k != "lira"}, "lira": study.lira.to_dict()},
        "fingerprint": study.fingerprint(),
        "systems": {name: {"label": s.label, "group": s.group, "overrides": s.overrides} for name, s in SYSTEMS.items() if name in study.systems},
        "untrained": untrained,
        # Runs not finished (a study stopped part-way) are left out; rerunning the command completes them.
        "runs": {f"{s}-{n}": json.loads((results_dir / f"{s}-{n}.json").read_text(encoding="utf-8")) for s, n in runs if (results_dir / f"{s}-{n}.json").exists()},
        "missing": [f"{s}-{n}" for s, n in runs if not (results_dir / f"{s}-{n}.json").exists()],
        "seconds": time.perf_counter() - start,
    }
    out = Path(study.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    from lira.eval.generalization_report import render_generalization

    render_generalization(out, bootstrap_samples=study.bootstrap_samples)
    console.print(f"wrote {out / 'results.md'} and {out / 'curves.png'} in {(time.perf_counter() - start) / 60:.1f} min")
    return out


def _score_english_kept(
    study: GeneralizationConfig, runs: list[tuple[str, int]], results_dir: Path, console: Console, dev_evaluator: Callable[[], Any]
) -> None:
    """``english_kept`` (``lira.eval.dev``: the share of each English dev sentence's 10 nearest
    neighbours that the trained model keeps from the untrained student) for every stored run that
    lacks it, from the run's saved model."""
    from lira.arca.model import ArcaEncoder

    missing = [(s, n) for s, n in runs if "english_kept" not in json.loads((results_dir / f"{s}-{n}.json").read_text(encoding="utf-8"))]
    if not missing:
        return
    dev = dev_evaluator()
    dev.english_neighbours_kept(ArcaEncoder.from_student(study.lira.model.student, study.lira.model))  # the reference
    for system, steps in missing:
        path = results_dir / f"{system}-{steps}.json"
        result = json.loads(path.read_text(encoding="utf-8"))
        result["english_kept"] = dev.english_neighbours_kept(ArcaEncoder.load(Path(run_config(study, system, steps).train.output_dir) / "model"))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result) + "\n", encoding="utf-8")
        tmp.replace(path)
        console.print(f"{system}-{steps}: English neighbourhoods kept {result['english_kept']:.3f}")


def scores_line(result: dict[str, Any]) -> str:
    dev = result["dev"]["end"]
    t = result["tatoeba"]
    return f"{dev['dev_score']:.4f} (start {result['dev']['start']['dev_score']:.4f}); Tatoeba x->en {t['mean/x2en/acc@1']:.3f} en->x {t['mean/en2x/acc@1']:.3f}"


def _untrained_scores(study: GeneralizationConfig, cache: Any, tatoeba: Any, results_dir: Path, dev_evaluator: Callable[[], Any]) -> dict[str, Any]:
    """The untrained student on the dev sets and Tatoeba (the reference every system is compared with)."""
    path = results_dir / "untrained.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    from lira.arca.model import ArcaEncoder
    from lira.eval.base import CachingEncoder
    from lira.models.prefix_cache import attached_if

    student = ArcaEncoder.from_student(study.lira.model.student, study.lira.model)
    with attached_if(cache, student):
        encoder = CachingEncoder(student)
        result = {"dev": dev_evaluator()(encoder), "tatoeba": tatoeba(encoder)}
        result["tatoeba_hits"] = tatoeba.hits_by_set()
    path.write_text(json.dumps(result) + "\n", encoding="utf-8")
    return result
