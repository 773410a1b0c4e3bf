"""LiRA's evaluation study as one command: ``lira eval suite --config configs/suite.yaml``.

Systems (``SYSTEMS``): the English teacher (a reference: an English-only model on the same
inputs, plus its English-only scores), the untrained student, the multilingual
knowledge-distillation peer (Reimers & Gurevych 2020: MSE to the teacher only, one agent, same
data and step budget), Arca, Arca + LaSR, and the ablations of Arca + LaSR (minus contrastive,
minus geometry, minus multi-agent, minus consistency, minus language embedding). Every trained
system is trained once per seed from the same student with the same data and budget; only the
switches named in its ``overrides`` differ.

Tasks, each at every noise level in ``noise_levels`` (``lira.data.noise.apply_noise`` with the
language's default kinds plus code-mixing from the product lexicon, on the low-resource side):

* bitext retrieval on the held-out Firefox pairs, x→en and en→x accuracy@1 (student on both sides);
* product search on a slice of the product data set's test split, nDCG@10 (queries noised);
* semantic similarity, Spearman on graded product-title pairs (``lira.data.sts``), cross-lingual
  (x vs en) and monolingual (x vs x);
* reasoning: ESCI macro-F1 of a LaSR head trained on the frozen encoder with ``k`` labelled
  examples per language for each k in ``few_shot_ks`` (English fully labelled), queries noised
  at test time. Systems without LaSR get the same head trained with the task loss only.

Arca + LaSR uses LaSR's staged schedule (Arca first, the head on the trained encoder), so Arca
and Arca + LaSR share one encoder and differ on reasoning only; "minus consistency" is Arca's
head (task loss only) on that encoder.

Everything is resumable: trained models live under ``work_dir/runs/<fingerprint>/`` and each
(system, seed) result is kept as JSON under ``work_dir/results/<fingerprint>/``, so a rerun after
an interruption continues where it stopped, and a changed configuration (another fingerprint)
neither reuses stale models nor stale results. A finished run's resume checkpoints are deleted. The
report (``results.md``, ``results.html``, ``results.json`` and plots) goes to ``out_dir`` and can
be redrawn from ``results.json`` alone (``lira.eval.suite_report.render_report``).

With ``prefix_cache: true`` (the default) every model trained here freezes the same lower
student layers, so their hidden states are computed once for every text of the study and
shared by all trained systems (``lira.models.prefix_cache``); the numbers are those of the
plain models up to float rounding, about 3-4x sooner on a CPU.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import random
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from rich.console import Console
from tqdm.auto import tqdm

from lira.config import ENGLISH_TEACHER, ConfigError, LiraConfig, load_study_yaml
from lira.data.noise import apply_noise

TASKS = ("bitext", "products", "sts", "reasoning")


@dataclass(frozen=True)
class SystemSpec:
    name: str
    label: str
    kind: str
    """teacher, student or trained."""
    run: str = ""
    """Name of the training run that gives the encoder (systems sharing it share the model)."""
    overrides: tuple[tuple[str, Any], ...] = ()
    """Dotted LiraConfig overrides applied to the suite's base config for the training run."""
    head_consistency: bool = False
    """Train the reasoning head with LaSR's consistency terms (else the task loss only)."""
    head_language_aware: bool = True
    description: str = ""


_KD = (("arca.contrastive_weight", 0.0), ("arca.geometry_weight", 0.0), ("model.agents", ["transformer"]))
SYSTEMS: dict[str, SystemSpec] = {
    s.name: s
    for s in [
        SystemSpec("teacher", "teacher (English)", "teacher", description="the frozen English teacher on the same inputs; its English scores are the reference"),
        SystemSpec("student", "student (untrained)", "student", description="the multilingual student before any training"),
        SystemSpec("kd_mse", "KD-MSE peer", "trained", "kd_mse", _KD, description="Reimers & Gurevych 2020: MSE to the teacher (both sides), one agent, same data and budget"),
        SystemSpec("arca", "Arca", "trained", "arca", description="anchor + contrastive + geometry, three agents, language-aware fusion; reasoning head without consistency"),
        SystemSpec("arca_lasr", "Arca + LaSR", "trained", "arca", head_consistency=True, description="Arca's encoder with the LaSR head trained with its consistency terms (staged)"),
        SystemSpec("minus_contrastive", "− contrastive", "trained", "minus_contrastive", (("arca.contrastive_weight", 0.0),), True, description="Arca + LaSR without the contrastive term"),
        SystemSpec("minus_geometry", "− geometry", "trained", "minus_geometry", (("arca.geometry_weight", 0.0),), True, description="Arca + LaSR without the geometry term"),
        SystemSpec("minus_multi_agent", "− multi-agent", "trained", "minus_multi_agent", (("model.agents", ["transformer"]),), True, description="Arca + LaSR with the transformer agent only"),
        SystemSpec("minus_consistency", "− consistency", "trained", "arca", head_consistency=False, description="Arca + LaSR without the consistency terms (= Arca)"),
        SystemSpec(
            "minus_language_embedding", "− language embedding", "trained", "minus_language_embedding",
            (("model.language_aware_fusion", False),), True, False, description="Arca + LaSR with no language embedding in the fusion gate or the head",
        ),
        SystemSpec(
            "geometry_correlation", "geometry: correlation", "trained", "geometry_correlation", (("arca.geometry_mode", "correlation"),), True,
            description="Arca + LaSR with the geometry term matching the pattern of the teacher's similarities (per-sentence Pearson correlation), not their scale",
        ),
    ]
}
ABLATIONS = ("minus_contrastive", "minus_geometry", "minus_multi_agent", "minus_consistency", "minus_language_embedding")
VARIANTS = ("geometry_correlation",)
"""Systems that change one design choice of Arca + LaSR rather than remove a part (reported beside the ablations)."""


def _default_lira() -> LiraConfig:
    """The suite studies the recipe it was written for and its committed report measured: the
    separate MiniLM teacher, three agents, and every Arca term on (LiRA's default before the
    generalization study, which chose the contrastive term alone; see docs/GENERALIZATION.md)."""
    config = LiraConfig()
    config.model.teacher = ENGLISH_TEACHER
    config.model.agents = ["transformer", "char_ngram", "romanized"]
    config.arca.anchor_weight, config.arca.anchor_english_weight, config.arca.contrastive_weight, config.arca.geometry_weight = 1.0, 1.0, 0.5, 1.0
    config.model.trainable_top_layers = 2
    config.train.max_steps = 150
    config.train.batch_size = 32
    config.train.checkpoint_every = 50
    config.data.max_train_pairs_per_language = 700
    return config


@dataclass
class SuiteConfig:
    name: str = "suite"
    out_dir: str = "reports/suite"
    work_dir: str = "runs/suite"
    systems: list[str] = field(default_factory=lambda: list(SYSTEMS))
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    noise_levels: list[float] = field(default_factory=lambda: [0.0, 0.1, 0.2, 0.3])
    few_shot_ks: list[int] = field(default_factory=lambda: [0, 8, 32])
    bitext_pairs_per_language: int = 200
    product_intents: int = 50
    """Test intents (each asked in every language) for product search."""
    product_corpus_size: int = 600
    """Products searched: the intents' exact products, then other judged and unjudged ones, up to this size."""
    sts_anchors: int = 40
    reasoning_train_intents: int = 60
    reasoning_test_intents: int = 40
    head_steps: int = 300
    prefix_cache: bool = True
    data_seed: int = 0
    lira: LiraConfig = field(default_factory=_default_lira)
    """The base configuration of every trained system (and the student, teacher and data)."""

    def __post_init__(self) -> None:
        unknown = [s for s in self.systems if s not in SYSTEMS]
        if unknown:
            raise ConfigError(f"suite.systems: unknown system(s) {unknown}; known: {', '.join(SYSTEMS)}")
        if not self.seeds:
            raise ConfigError("suite.seeds: give at least one seed")
        if any(not 0.0 <= level <= 1.0 for level in self.noise_levels) or 0.0 not in self.noise_levels:
            raise ConfigError(f"suite.noise_levels: numbers in [0, 1] including 0, got {self.noise_levels}")
        if any(k < 0 for k in self.few_shot_ks) or not self.few_shot_ks:
            raise ConfigError(f"suite.few_shot_ks: non-negative integers, got {self.few_shot_ks}")

    @classmethod
    def from_yaml(cls, path: str | Path) -> "SuiteConfig":
        return load_study_yaml(cls, path, _default_lira)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """What a stored per-system result depends on (not the output folders or the system list)."""
        data = {k: v for k, v in self.to_dict().items() if k not in ("name", "out_dir", "work_dir", "systems")}
        data["lira"]["train"].pop("output_dir", None)
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------
# Data: every task's inputs, noised at every level, built once.
# ------------------------------------------------------------------------------------------


def code_mix_word_maps(languages: Sequence[str]) -> dict[str, dict[str, str]]:
    """{lang: {native shop word: English word}} from the shipped product lexicon (for code-mixing)."""
    from lira.data.products.lexicon import english, load_lexicon

    maps: dict[str, dict[str, str]] = {lang: {} for lang in languages}
    for entry in load_lexicon().entries:
        if entry["lang"] in maps:
            try:
                maps[entry["lang"]][entry["text"]] = english(entry["concept"])
            except KeyError:
                continue
    return maps


@dataclass
class SuiteData:
    languages: list[str]
    levels: list[float]
    bitext: dict[float, Any]
    products: dict[float, Any]
    sts: dict[float, Any]
    reasoning_train: list[Any]
    reasoning_test: list[Any]
    reasoning_noised: dict[float, list[str]]
    """Per level, the test examples' queries (text_a) noised; titles stay clean."""
    counts: dict[str, int]


def noiser(level: float, word_maps: dict[str, dict[str, str]], salt: str) -> Callable[[str, str, int], str]:
    def noise(text: str, lang: str, i: int) -> str:
        if level == 0 or lang == "en":
            return text
        return apply_noise(text, lang, level, random.Random(f"{salt}:{level}:{lang}:{i}"), word_map=word_maps.get(lang) or None)

    return noise


def build_suite_data(suite: SuiteConfig) -> SuiteData:
    from lira.data.pairs import load_pairs
    from lira.data.reasoning import default_products_dir, esci_examples, _read_jsonl
    from lira.data.sts import graded_pairs
    from lira.eval.bitext import BitextRetrievalEvaluator
    from lira.eval.products import ProductSearchEvaluator
    from lira.eval.sts import SemanticSimilarityEvaluator

    config = suite.lira
    languages = list(config.data.languages)
    maps = code_mix_word_maps(languages)
    rng = random.Random(suite.data_seed)

    pairs = load_pairs(config.data.test, split="test", languages=languages, max_chars=None)  # data.max_chars is a training filter
    by_lang: dict[str, list[Any]] = {}
    for pair in pairs:
        by_lang.setdefault(pair.lang, []).append(pair)
    chosen = {lang: rng.sample(group, min(suite.bitext_pairs_per_language, len(group))) for lang, group in sorted(by_lang.items())}
    bitext = {}
    for level in suite.noise_levels:
        noise = noiser(level, maps, "bitext")
        bitext[level] = BitextRetrievalEvaluator(
            [(p.en, noise(p.text, lang, i), lang) for lang, group in chosen.items() for i, p in enumerate(group)], batch_size=config.eval.batch_size
        )

    data_dir = Path(config.lasr.data) if config.lasr.data else default_products_dir()
    root = data_dir / "jsonl"
    catalog = {r["product_id"]: r for r in _read_jsonl(root / "catalog.test.jsonl")}
    queries = _read_jsonl(root / "queries.test.jsonl")
    qrels = _read_jsonl(root / "qrels.test.jsonl")
    judged: dict[str, set[str]] = {}
    for r in qrels:
        judged.setdefault(r["query_id"], set()).add(r["product_id"])
    exact = {r["query_id"] for r in qrels if r["label"] == "E"}
    asked = {}
    for q in queries:
        asked.setdefault(q["query_id"], set()).add(q["lang"])
    usable = sorted(qid for qid in exact if {"en", *languages} <= asked.get(qid, set()))
    intents = set(rng.sample(usable, min(suite.product_intents, len(usable))))
    # The corpus: the intents' exact products first, then their other judged products, then
    # unjudged ones, up to product_corpus_size (nDCG counts the judged products that are in it).
    exact_ids = sorted({r["product_id"] for r in qrels if r["query_id"] in intents and r["label"] == "E"})
    other_judged = sorted(set().union(*(judged[qid] for qid in intents)) - set(exact_ids)) if intents else []
    rest = sorted(set(catalog) - set(exact_ids) - set(other_judged))
    corpus_ids = set(exact_ids[: suite.product_corpus_size])
    for pool in (other_judged, rest):
        room = suite.product_corpus_size - len(corpus_ids)
        if room > 0:
            corpus_ids |= set(rng.sample(pool, min(room, len(pool))))
    corpus = [catalog[pid] for pid in sorted(corpus_ids)]
    slice_queries = [q for q in queries if q["query_id"] in intents and q["lang"] in {"en", *languages}]
    slice_qrels = [r for r in qrels if r["query_id"] in intents and r["product_id"] in corpus_ids]
    products = {}
    for level in suite.noise_levels:
        noise = noiser(level, maps, "products")
        noised = [{**q, "text": noise(q["text"], q["lang"], i)} for i, q in enumerate(slice_queries)]
        products[level] = ProductSearchEvaluator(catalog=corpus, queries=noised, qrels=slice_qrels, langs=["en", *languages], batch_size=config.eval.batch_size)

    graded = graded_pairs(corpus, languages, anchors_per_language=suite.sts_anchors, seed=suite.data_seed)
    # The English reference: the same product pairs with English titles on both sides.
    english = [("en", catalog[g.product_a]["title_en"], "en", catalog[g.product_b]["title_en"], g.grade) for g in graded if g.lang == languages[0] and g.lang_b == g.lang]
    sts = {}
    for level in suite.noise_levels:
        noise = noiser(level, maps, "sts")
        sts[level] = SemanticSimilarityEvaluator(
            [(g.lang, noise(g.text_a, g.lang, i), g.lang_b, g.text_b, g.grade) for i, g in enumerate(graded)] + english, batch_size=config.eval.batch_size
        )

    lc = config.lasr
    train = esci_examples(data_dir, "train", languages, queries_per_language=suite.reasoning_train_intents, seed=suite.data_seed, noise_level=lc.noise_level, noise_kinds=lc.noise_kinds)
    test = esci_examples(data_dir, "test", languages, queries_per_language=suite.reasoning_test_intents, seed=suite.data_seed, noise_level=0.0)
    reasoning_noised = {}
    for level in suite.noise_levels:
        noise = noiser(level, maps, "reasoning")
        reasoning_noised[level] = [noise(e.text_a, e.lang, i) for i, e in enumerate(test)]
    counts = {
        "bitext_pairs": sum(len(g) for g in chosen.values()),
        "product_queries": len(slice_queries),
        "product_corpus": len(corpus),
        "sts_pairs": len(graded),
        "reasoning_train": len(train),
        "reasoning_test": len(test),
    }
    return SuiteData(languages, list(suite.noise_levels), bitext, products, sts, train, test, reasoning_noised, counts)


# ------------------------------------------------------------------------------------------
# Scoring one encoder (retrieval, similarity, reasoning embeddings) and one head.
# ------------------------------------------------------------------------------------------


class RecordingEncoder:
    """Notes every (prompt, text) an evaluation asks for and answers with seeded random unit
    vectors: one dry pass over the study lists what the frozen-prefix cache must hold."""

    def __init__(self, dim: int = 8) -> None:
        self.dim = dim
        self.seen: dict[str | None, set[str]] = {}

    def encode(self, sentences: Sequence[str], *, lang: Any = None, prompt_name: str | None = None, **_: Any) -> np.ndarray:
        sentences = list(sentences)
        self.seen.setdefault(prompt_name, set()).update(sentences)
        rng = np.random.default_rng(len(sentences))
        vectors = rng.standard_normal((len(sentences), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def level_tag(level: float) -> str:
    """A noise level as it appears in metric keys: 0, 0.1, 0.25."""
    return f"{level:g}"


@dataclass
class EncodedRun:
    """An encoder's retrieval and similarity metrics plus its reasoning embeddings."""

    metrics: dict[str, float]
    train: Any
    test: Any
    test_noised_u: dict[float, np.ndarray]


def score_encoder(encoder: Any, data: SuiteData) -> EncodedRun:
    """Bitext, product search and similarity at every level; reasoning texts embedded (heads come later)."""
    from lira.lasr.trainer import embed_examples

    metrics: dict[str, float] = {}
    for level in data.levels:
        tag = level_tag(level)
        for name, value in data.bitext[level](encoder).items():
            metrics[f"bitext/{tag}/{name}"] = value
        products = data.products[level](encoder)
        for name, value in products.items():
            metrics[f"products/{tag}/{name}"] = value
        metrics[f"products/{tag}/lrl/ndcg@10"] = float(np.mean([products[f"{lang}/ndcg@10"] for lang in data.languages]))
        for name, value in data.sts[level](encoder).items():
            metrics[f"sts/{tag}/{name}"] = value
    train = embed_examples(encoder, data.reasoning_train, show_progress_bar=False)
    test = embed_examples(encoder, data.reasoning_test, show_progress_bar=False)
    noised_u: dict[float, np.ndarray] = {}
    for level in data.levels:
        texts = data.reasoning_noised[level]
        u = np.zeros_like(test.u)
        for lang in sorted({e.lang for e in data.reasoning_test}):
            rows = [i for i, e in enumerate(data.reasoning_test) if e.lang == lang]
            u[rows] = encoder.encode([texts[i] for i in rows], lang=lang, prompt_name="query")
        noised_u[level] = u
    return EncodedRun(metrics, train, test, noised_u)


def score_head(run: EncodedRun, spec: SystemSpec, suite: SuiteConfig, languages: Sequence[str], seed: int) -> dict[str, float]:
    """Train a LaSR head per k (consistency on or off as the system says) and score it at every level."""
    from lira.eval.reasoning import ReasoningEvaluator
    from lira.lasr.head import ESCI_LABELS
    from lira.lasr.study import consistency_off
    from lira.lasr.trainer import embedded_scorer, train_head

    evaluator = ReasoningEvaluator([(e.lang, e.text_a, e.text_b, e.label) for e in run.test.examples], ESCI_LABELS)
    metrics: dict[str, float] = {}
    for k in suite.few_shot_ks:
        lasr = dataclasses.replace(suite.lira.lasr, few_shot_k=k, head_steps=suite.head_steps, language_aware=spec.head_language_aware)
        lasr = lasr if spec.head_consistency else consistency_off(lasr)
        head, _ = train_head(run.train, lasr, languages=languages, seed=seed)
        for level, u in run.test_noised_u.items():
            view = dataclasses.replace(run.test, u=u)
            for name, value in evaluator(embedded_scorer(view, head)).items():
                metrics[f"reasoning/k{k}/{level_tag(level)}/{name}"] = value
    return metrics


# ------------------------------------------------------------------------------------------
# The study.
# ------------------------------------------------------------------------------------------


def run_config(suite: SuiteConfig, spec: SystemSpec, seed: int) -> LiraConfig:
    """The training configuration of ``spec``'s run for ``seed``: the base config plus its overrides."""
    config = suite.lira.override({key: value for key, value in spec.overrides})
    config.train.seed = seed
    # Under the config's fingerprint: a changed study trains afresh instead of reusing stale models.
    config.train.output_dir = str(Path(suite.work_dir) / "runs" / suite.fingerprint() / f"{spec.run}-seed{seed}")
    config.lasr.enabled = False  # the suite trains heads itself, on cached embeddings
    config.train.dev_eval = False  # it scores every system itself, on its own slices
    if config.data.subset_seed is None:
        config.data.subset_seed = suite.data_seed  # every seed trains on the same pairs, in its own order
    return config


@dataclass
class SuiteResult:
    out_dir: Path
    payload: dict[str, Any]


def run_suite(suite: SuiteConfig, *, console: Console | None = None, progress: bool = True) -> SuiteResult:
    from lira.arca.model import ArcaEncoder
    from lira.arca.teacher import load_teacher
    from lira.eval.base import CachingEncoder
    from lira.models.prefix_cache import FrozenPrefixCache
    from lira.train import CHECKPOINT_DIR, train_arca, training_pairs

    console = console or Console()
    start = time.perf_counter()
    work, out = Path(suite.work_dir), Path(suite.out_dir)
    results_dir = work / "results" / suite.fingerprint()
    results_dir.mkdir(parents=True, exist_ok=True)
    specs = [SYSTEMS[name] for name in suite.systems]
    console.rule(f"[bold]LiRA evaluation suite: {suite.name}")
    data = build_suite_data(suite)
    console.print(f"languages {' '.join(data.languages)}; noise levels {suite.noise_levels}; k {suite.few_shot_ks}; seeds {suite.seeds}; data {data.counts}")

    # Jobs: one encoder per (run, seed); the teacher and student do not depend on the seed.
    def run_key(spec: SystemSpec, seed: int) -> tuple[str, int]:
        return (spec.kind if spec.kind != "trained" else spec.run, seed if spec.kind == "trained" else -1)

    def result_path(spec: SystemSpec, seed: int) -> Path:
        return results_dir / f"{spec.name}-seed{seed}.json"

    jobs: dict[tuple[str, int], list[tuple[SystemSpec, int]]] = {}
    for spec in specs:
        for seed in suite.seeds:
            if not result_path(spec, seed).exists():
                jobs.setdefault(run_key(spec, seed), []).append((spec, seed))
    to_train = sorted({key for key, members in jobs.items() if members[0][0].kind == "trained" and not (Path(run_config(suite, members[0][0], key[1]).train.output_dir) / "model" / "arca.json").exists()})
    bar = tqdm(total=len(jobs) + len(to_train) + 1, desc="suite", disable=not progress, dynamic_ncols=True, position=0)
    timings: dict[str, float] = {}

    cache = None
    uses_student = any(key[0] != "teacher" for key in jobs)
    if suite.prefix_cache and uses_student:
        bar.set_description("suite: filling the frozen-prefix cache")
        t0 = time.perf_counter()
        student = ArcaEncoder.from_student(suite.lira.model.student, suite.lira.model)
        cache = FrozenPrefixCache.for_model(student)
        recorder = RecordingEncoder()
        score_encoder(recorder, data)
        texts = {prompt: set(group) for prompt, group in recorder.seen.items()}
        # The training pairs depend on the data section only (one fixed subset for every run and
        # seed by default): read the corpus once per distinct data section, not once per run.
        data_sections = {}
        for key in to_train:
            config = run_config(suite, jobs[key][0][0], key[1])
            data_sections.setdefault(json.dumps(dataclasses.asdict(config.data), sort_keys=True), config)
        for config in data_sections.values():
            for pair in training_pairs(config):
                texts.setdefault(None, set()).update((pair.text, pair.en))
        for prompt, group in texts.items():
            cache.fill(student, sorted(group), prompt, batch_size=suite.lira.eval.batch_size, progress=progress)
        del student
        timings["prefix_cache_fill_s"] = time.perf_counter() - t0
        console.print(f"frozen-prefix cache: {len(cache)} texts in {timings['prefix_cache_fill_s']:.0f} s")
    bar.update(1)

    for key in to_train:
        spec, seed = jobs[key][0]
        bar.set_description(f"suite: training {spec.run} seed {seed}")
        t0 = time.perf_counter()
        config = run_config(suite, spec, seed)
        train_arca(config, progress=progress, prefix_cache=cache)
        # The finished model is all the study reads; its resume checkpoints (~0.6 GB a run) are not.
        shutil.rmtree(Path(config.train.output_dir) / CHECKPOINT_DIR, ignore_errors=True)
        timings[f"train/{spec.run}-seed{seed}_s"] = time.perf_counter() - t0
        bar.update(1)

    for key, members in sorted(jobs.items()):
        spec0 = members[0][0]
        bar.set_description(f"suite: scoring {key[0]}" + (f" seed {key[1]}" if key[1] >= 0 else ""))
        t0 = time.perf_counter()
        if spec0.kind == "teacher":
            model: Any = load_teacher(suite.lira.model).encoder()
        elif spec0.kind == "student":
            model = ArcaEncoder.from_student(suite.lira.model.student, suite.lira.model)
        else:
            model = ArcaEncoder.load(Path(run_config(suite, spec0, key[1]).train.output_dir) / "model")
        attach = cache.attached(model) if cache is not None and isinstance(model, ArcaEncoder) else contextlib.nullcontext()
        with attach:
            encoded = score_encoder(CachingEncoder(model), data)
        for spec, seed in members:
            metrics = {**encoded.metrics, **score_head(encoded, spec, suite, data.languages, seed)}
            tmp = result_path(spec, seed).with_suffix(".tmp")
            tmp.write_text(json.dumps(metrics) + "\n", encoding="utf-8")
            tmp.replace(result_path(spec, seed))
        timings[f"score/{key[0]}-{key[1]}_s"] = time.perf_counter() - t0
        del model, encoded
        bar.update(1)
    bar.close()

    runs = {spec.name: {str(seed): json.loads(result_path(spec, seed).read_text(encoding="utf-8")) for seed in suite.seeds} for spec in specs}
    payload = {
        "suite": suite.to_dict(),
        "data": data.counts,
        "languages": data.languages,
        "systems": {spec.name: {"label": spec.label, "description": spec.description, "kind": spec.kind} for spec in specs},
        "summary": summarise(runs),
        "runs": runs,
        "seconds": time.perf_counter() - start,
        "timings": timings,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    from lira.eval.suite_report import render_report

    render_report(out)
    console.print(f"wrote {out / 'results.md'}, {out / 'results.html'} and plots in {(time.perf_counter() - start) / 60:.1f} min")
    return SuiteResult(out, payload)


def summarise(runs: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, list[float]]]:
    """{system: {metric: [mean, std over seeds, n]}}."""
    out: dict[str, dict[str, list[float]]] = {}
    for system, by_seed in runs.items():
        keys = set.intersection(*(set(m) for m in by_seed.values()))
        out[system] = {}
        for key in sorted(keys):
            values = [float(m[key]) for m in by_seed.values()]
            out[system][key] = [statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0, len(values)]
    return out
