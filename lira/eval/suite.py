"""LiRA's evaluation study as one command: ``lira eval suite --config configs/suite.yaml``.

Systems (``SYSTEMS``; ``configs/suite.yaml`` runs ``COMMITTED``):

* references: an English model (MiniLM, the KD-MSE peer's teacher) on the same inputs, the
  untrained student, and the word-overlap baseline on the similarity task (whitespace-token
  Jaccard, no model; ``lira.data.sts.jaccard``);
* peers at the same data, steps and trainable layers: **KD-MSE** (Reimers & Gurevych 2020: MSE to
  the MiniLM teacher, one agent; ``lira.eval.generalization.KD_MSE``), **KD-MSE + LaSR head** (the
  same encoder, the head trained with LaSR's consistency terms like Arca + LaSR's, so encoders and
  heads are compared separately) and **contrastive only** (in-batch translation ranking, as LaBSE /
  ``MultipleNegativesRankingLoss``, the transformer agent alone;
  ``lira.eval.generalization.CONTRASTIVE_ONLY``);
* **Arca**: the recipe with every term and the self anchor, exactly
  ``lira.eval.generalization.ARCA_ALL_TERMS`` (the generalization study's reference), and
  **Arca + LaSR** (that encoder, the head with the consistency terms);
* **LiRA default**: ``LiraConfig``'s own defaults for the encoder terms, agents and teacher, with
  LaSR's default head, at the suite's budget;
* ablations and variants of Arca + LaSR (``ABLATIONS``, ``VARIANTS``; the encoder-term ablations
  now live in the generalization study and are left out of the committed config).

Every trained system is trained once per seed from the same student with the same data and
budget; only the switches named in its ``overrides`` differ. Systems whose training configuration
is the same (after switches that cannot matter are set alike, :func:`run_identity`) share one
encoder per seed: Arca, Arca + LaSR, − consistency and − language embedding (with one agent there
is no fusion gate for the language embedding to feed); KD-MSE and KD-MSE + LaSR; contrastive only
and LiRA default whenever LiRA's default is the contrastive term on the transformer alone.

Tasks, each at every noise level in ``noise_levels`` (``lira.data.noise.apply_noise`` with the
language's default kinds plus code-mixing from the product lexicon, on the low-resource side):

* bitext retrieval on the held-out Firefox pairs, x→en and en→x accuracy@1 (student on both sides);
* product search on a slice of the product data set's test split, nDCG@10 (queries noised);
* semantic similarity, Spearman on graded product-title pairs (``lira.data.sts``), cross-lingual
  (x vs en) and monolingual (x vs x), on the whole set and on its hard subset (paraphrases and
  near misses, where word overlap and meaning disagree by construction);
* reasoning: ESCI macro-F1 of a LaSR head trained on the frozen encoder, in these settings:
  **zero-shot** (the head sees English rows only: no low-resource row of the task at all),
  **translate-train** (k = 0: English labelled; the low-resource rows are translations of the
  labelled English rows, unlabelled, read by the consistency terms, which carry the labels across)
  and **k-shot** for each k > 0 in ``few_shot_ks`` (k labelled rows per language as well); queries
  noised at test time. Systems without LaSR get the same head trained with the task loss only.

"Better" and "worse" (the report's peer and baseline comparisons) come from a paired bootstrap over
test items and seeds (``lira.eval.significance.paired_bootstrap_sets``): every (system, seed)
result keeps its per-item outputs (retrieval hits, per-query nDCG, pair similarities, predicted
labels) beside its metrics, and each of ``bootstrap_samples`` resamples draws every language's
items and the seeds with replacement, the same draw for both systems.

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

from lira.config import ENGLISH_TEACHER, SELF_TEACHER, ConfigError, LiraConfig, load_study_yaml
from lira.data.noise import apply_noise
from lira.eval.generalization import ALL_AGENTS, ARCA_ALL_TERMS, CONTRASTIVE_ONLY, KD_MSE

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


ONE_AGENT = (("model.agents", ["transformer"]),)
LIRA_DEFAULT_FIELDS = (
    "model.teacher", "model.agents", "model.language_aware_fusion", "arca.anchor_weight", "arca.anchor_english_weight",
    "arca.contrastive_weight", "arca.contrastive_temperature", "arca.geometry_weight", "arca.geometry_mode",
)
"""What ``lira_default`` takes from ``LiraConfig()``: the encoder's terms, agents and teacher (the
budget, data and trainable layers stay the suite's, as for every system)."""


def _lira_defaults() -> tuple[tuple[str, Any], ...]:
    data = LiraConfig().to_dict()
    return tuple((key, data[key.split(".")[0]][key.split(".")[1]]) for key in LIRA_DEFAULT_FIELDS)


NOISE_TERMS = (
    ("arca.noise_anchor_weight", 1.0), ("arca.noise_consistency_weight", 1.0), ("arca.noise_level", 0.1), ("arca.noise_held_out_kind", "swap"),
)
"""The noise-robust anchoring switches of ``lira_noise`` (as in ``configs/noise-robust.yaml``)."""


def _describe_default() -> str:
    d = dict(_lira_defaults())
    terms = [name for name, key in (("anchor", "arca.anchor_weight"), ("contrastive", "arca.contrastive_weight"), ("geometry", "arca.geometry_weight")) if d[key] > 0]
    return (f"LiraConfig's own defaults (now: {' + '.join(terms)} term{'s' if len(terms) > 1 else ''}, agents {d['model.agents']}, "
            f"teacher {d['model.teacher']}) at the suite's budget, with LaSR's default head (consistency terms on)")


SYSTEMS: dict[str, SystemSpec] = {
    s.name: s
    for s in [
        SystemSpec("teacher", "English model (MiniLM)", "teacher", description="the frozen English MiniLM (the KD-MSE peer's teacher) on the same inputs; its English scores are the reference"),
        SystemSpec("student", "student (untrained)", "student", description="the multilingual student before any training"),
        SystemSpec("kd_mse", "KD-MSE peer", "trained", "kd_mse", tuple(KD_MSE.items()) + ONE_AGENT,
                   description="Reimers & Gurevych 2020: MSE to the MiniLM teacher (both sides), one agent, same data and budget; reasoning head without consistency"),
        SystemSpec("kd_mse_lasr", "KD-MSE + LaSR head", "trained", "kd_mse", tuple(KD_MSE.items()) + ONE_AGENT, True,
                   description="the KD-MSE encoder (the same trained model, not retrained) with the LaSR head trained with the same consistency terms as Arca + LaSR's"),
        SystemSpec("peer_contrastive", "contrastive only (peer)", "trained", "peer_contrastive", tuple(CONTRASTIVE_ONLY.items()) + ONE_AGENT,
                   description="in-batch translation ranking alone (as LaBSE / MultipleNegativesRankingLoss), the transformer agent only, same pairs, steps and layers; reasoning head without consistency"),
        SystemSpec("arca", "Arca", "trained", "arca",
                   description="every Arca term with the self anchor (lira.eval.generalization.ARCA_ALL_TERMS: anchor + English anchor + contrastive + geometry); reasoning head without consistency"),
        SystemSpec("arca_lasr", "Arca + LaSR", "trained", "arca", head_consistency=True, description="Arca's encoder with the LaSR head trained with its consistency terms (staged)"),
        SystemSpec("lira_default", "LiRA default", "trained", "lira_default", _lira_defaults(), True, description=_describe_default()),
        SystemSpec("lira_noise", "LiRA default + noise terms", "trained", "lira_noise", _lira_defaults() + NOISE_TERMS, True,
                   description="LiRA default with noise-robust anchoring (configs/noise-robust.yaml's terms: noised low-resource copies anchored to the clean "
                               "sentence's English and pulled onto its embedding, level 0.1, swapped characters held out of training); the noise curves "
                               "of this row against LiRA default's are the noise terms on and off"),
        SystemSpec("minus_contrastive", "− contrastive", "trained", "minus_contrastive", (("arca.contrastive_weight", 0.0),), True, description="Arca + LaSR without the contrastive term"),
        SystemSpec("minus_geometry", "− geometry", "trained", "minus_geometry", (("arca.geometry_weight", 0.0),), True, description="Arca + LaSR without the geometry term"),
        SystemSpec("plus_multi_agent", "+ multi-agent", "trained", "plus_multi_agent", (("model.agents", ALL_AGENTS),), True,
                   description="Arca + LaSR with the character n-gram and romanised agents and the language-aware fusion gate"),
        SystemSpec("minus_consistency", "− consistency", "trained", "arca", head_consistency=False, description="Arca + LaSR without the consistency terms (= Arca)"),
        SystemSpec(
            "minus_language_embedding", "− language embedding", "trained", "minus_language_embedding",
            (("model.language_aware_fusion", False),), True, False,
            description="Arca + LaSR with no language embedding in the head (nor in the fusion gate, which a one-agent encoder does not have: the encoder is Arca's)",
        ),
        SystemSpec(
            "geometry_correlation", "geometry: correlation", "trained", "geometry_correlation", (("arca.geometry_mode", "correlation"),), True,
            description="Arca + LaSR with the geometry term matching the pattern of the teacher's similarities (per-sentence Pearson correlation), not their scale",
        ),
    ]
}
COMMITTED = ("teacher", "student", "kd_mse", "kd_mse_lasr", "peer_contrastive", "arca", "arca_lasr", "lira_default", "lira_noise", "minus_consistency", "minus_language_embedding")
"""The systems of ``configs/suite.yaml`` (and the default)."""
PEERS = ("kd_mse", "kd_mse_lasr", "peer_contrastive", "lira_default")
"""What Arca + LaSR is compared with, item by item, in the report's peer table."""
NOISE_PAIR = ("lira_noise", "lira_default")
"""The noise terms on and off, compared item by item at every noise level (the report's noise-terms table)."""
ABLATIONS = ("minus_contrastive", "minus_geometry", "minus_multi_agent", "minus_consistency", "minus_language_embedding")
VARIANTS = ("plus_multi_agent", "geometry_correlation")
"""Systems that change one design choice of Arca + LaSR rather than remove a part (reported beside the ablations)."""
LEXICAL = "lexical"
"""The word-overlap baseline's name in a report (a row of the similarity tables; no model, no seeds)."""
LEXICAL_LABEL = "word overlap (Jaccard, no model)"


def _default_lira() -> LiraConfig:
    """The suite's base: Arca with every term and the self anchor on the transformer agent
    (``ARCA_ALL_TERMS``, imported from the generalization study), at the suite's budget."""
    config = LiraConfig().override(ARCA_ALL_TERMS)
    config.model.trainable_top_layers = 2
    config.train.max_steps = 150
    config.train.batch_size = 32
    config.train.checkpoint_every = 50
    config.data.max_train_pairs_per_language = 700
    config.data.train_catalogs = None  # the Firefox pairs, as when the suite's runs were trained
    return config


@dataclass
class SuiteConfig:
    name: str = "suite"
    out_dir: str = "reports/suite"
    work_dir: str = "runs/suite"
    systems: list[str] = field(default_factory=lambda: list(COMMITTED))
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    noise_levels: list[float] = field(default_factory=lambda: [0.0, 0.1, 0.2, 0.3])
    few_shot_ks: list[int] = field(default_factory=lambda: [0, 8, 32])
    """Labelled rows per low-resource language; 0 is translate-train (module docstring)."""
    zero_shot: bool = True
    """Also score the zero-shot setting: a head trained on the English rows alone."""
    bitext_pairs_per_language: int = 200
    product_intents: int = 50
    """Test intents (each asked in every language) for product search."""
    product_corpus_size: int = 600
    """Products searched: the intents' exact products, then other judged and unjudged ones, up to this size."""
    sts_anchors: int = 40
    sts_hard: bool = True
    """Add the paraphrase and near-miss pairs (the hard subset, ``lira.data.sts``)."""
    reasoning_train_intents: int = 60
    reasoning_test_intents: int = 40
    head_steps: int = 300
    prefix_cache: bool = True
    data_seed: int = 0
    english_teacher: str = ENGLISH_TEACHER
    """The English model of the teacher row, and the KD-MSE peer's teacher."""
    bootstrap_samples: int = 1000
    """Resamples of the paired bootstrap behind every better / worse (not part of the fingerprint)."""
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
        if self.bootstrap_samples < 100:
            raise ConfigError(f"suite.bootstrap_samples: at least 100, got {self.bootstrap_samples}")

    def reasoning_settings(self) -> list[tuple[str, int, bool]]:
        """(metric tag, k, zero-shot) per reasoning setting: ``zs`` (zero-shot), then ``k0``
        (translate-train) and ``k<k>`` (k-shot) for each of ``few_shot_ks``."""
        return ([("zs", 0, True)] if self.zero_shot else []) + [(f"k{k}", k, False) for k in self.few_shot_ks]

    @classmethod
    def from_yaml(cls, path: str | Path) -> "SuiteConfig":
        return load_study_yaml(cls, path, _default_lira)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """What a stored per-system result depends on (not the output folders or the system list)."""
        data = {k: v for k, v in self.to_dict().items() if k not in ("name", "out_dir", "work_dir", "systems", "bootstrap_samples")}
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
    reasoning_evaluator: Any = None
    """The reasoning test set's ``ReasoningEvaluator`` (per-language gold labels for the bootstrap)."""

    def lexical(self) -> tuple[dict[str, float], dict[str, list[float]]]:
        """The word-overlap baseline (``lira.data.sts.jaccard``) on the similarity pairs at every
        level: its metrics and per-pair scores, keyed like a system's."""
        from lira.data.sts import jaccard

        metrics: dict[str, float] = {}
        items: dict[str, list[float]] = {}
        for level in self.levels:
            tag = level_tag(level)
            for name, value in self.sts[level].evaluate_pairs(jaccard).items():
                metrics[f"sts/{tag}/{name}"] = value
            for (lang, setting), scores in self.sts[level].last_scores.items():
                items[f"sts/{tag}/{lang}/{setting}"] = [float(v) for v in scores]
        return metrics, items


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

    graded = graded_pairs(corpus, languages, anchors_per_language=suite.sts_anchors, seed=suite.data_seed, hard=suite.sts_hard)
    # The English reference: the same (standard) product pairs with English titles on both sides.
    english = [("en", catalog[g.product_a]["title_en"], "en", catalog[g.product_b]["title_en"], g.grade)
               for g in graded if g.lang == languages[0] and g.lang_b == g.lang and not g.hard]
    sts = {}
    for level in suite.noise_levels:
        noise = noiser(level, maps, "sts")
        sts[level] = SemanticSimilarityEvaluator(
            [(g.lang, noise(g.text_a, g.lang, i), g.lang_b, g.text_b, g.grade, g.hard) for i, g in enumerate(graded)] + english, batch_size=config.eval.batch_size
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
        "sts_hard_pairs": sum(g.hard for g in graded),
        "reasoning_train": len(train),
        "reasoning_test": len(test),
    }
    from lira.eval.reasoning import ReasoningEvaluator
    from lira.lasr.head import ESCI_LABELS

    evaluator = ReasoningEvaluator([(e.lang, e.text_a, e.text_b, e.label) for e in test], ESCI_LABELS)
    return SuiteData(languages, list(suite.noise_levels), bitext, products, sts, train, test, reasoning_noised, counts, evaluator)


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
    """An encoder's retrieval and similarity metrics (and per-item outputs) plus its reasoning embeddings."""

    metrics: dict[str, float]
    train: Any
    test: Any
    test_noised_u: dict[float, np.ndarray]
    items: dict[str, list[float]] = field(default_factory=dict)
    """Per-item outputs by test set: ``bitext/<L>/<lang>/<x2en|en2x>`` hits (1/0),
    ``products/<L>/<lang>`` per-query nDCG@10, ``sts/<L>/<lang>/<cross|mono>`` pair similarities."""


def score_encoder(encoder: Any, data: SuiteData) -> EncodedRun:
    """Bitext, product search and similarity at every level; reasoning texts embedded (heads come later)."""
    from lira.lasr.trainer import embed_examples

    metrics: dict[str, float] = {}
    items: dict[str, list[float]] = {}
    for level in data.levels:
        tag = level_tag(level)
        bitext = data.bitext[level]
        for name, value in bitext(encoder).items():
            metrics[f"bitext/{tag}/{name}"] = value
        for (lang, direction), hits in bitext.last_hits.items():
            items[f"bitext/{tag}/{lang}/{direction}"] = [int(h) for h in hits]
        products = data.products[level](encoder)
        for name, value in products.items():
            metrics[f"products/{tag}/{name}"] = value
        for lang, ndcg in data.products[level].last_ndcg.items():
            items[f"products/{tag}/{lang}"] = [float(v) for v in ndcg]
        metrics[f"products/{tag}/lrl/ndcg@10"] = float(np.mean([products[f"{lang}/ndcg@10"] for lang in data.languages]))
        for name, value in data.sts[level](encoder).items():
            metrics[f"sts/{tag}/{name}"] = value
        for (lang, setting), scores in data.sts[level].last_scores.items():
            items[f"sts/{tag}/{lang}/{setting}"] = [float(v) for v in scores]
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
    return EncodedRun(metrics, train, test, noised_u, items)


def english_only(train: Any) -> Any:
    """The head's training data for the zero-shot setting: the English rows alone (every array
    cut to them), so no low-resource row of the task, labelled or not, reaches the head."""
    rows = [i for i, e in enumerate(train.examples) if e.lang == "en"]
    arrays = {name: getattr(train, name)[rows] for name in ("u", "v", "anchor_u", "anchor_v", "noised_u", "noised_v")}
    return dataclasses.replace(train, examples=[train.examples[i] for i in rows], **arrays)


def score_head(run: EncodedRun, spec: SystemSpec, suite: SuiteConfig, languages: Sequence[str], seed: int,
               evaluator: Any = None) -> tuple[dict[str, float], dict[str, list[int]]]:
    """Train a LaSR head per reasoning setting (consistency on or off as the system says) and score
    it at every level: (metrics, per-language predicted label ids as ``reasoning/<setting>/<L>/<lang>``)."""
    from lira.eval.reasoning import ReasoningEvaluator
    from lira.lasr import trainer
    from lira.lasr.head import ESCI_LABELS
    from lira.lasr.study import consistency_off

    evaluator = evaluator or ReasoningEvaluator([(e.lang, e.text_a, e.text_b, e.label) for e in run.test.examples], ESCI_LABELS)
    metrics: dict[str, float] = {}
    items: dict[str, list[int]] = {}
    for tag, k, zero_shot in suite.reasoning_settings():
        lasr = dataclasses.replace(suite.lira.lasr, few_shot_k=k, head_steps=suite.head_steps, language_aware=spec.head_language_aware)
        lasr = lasr if spec.head_consistency else consistency_off(lasr)
        train = english_only(run.train) if zero_shot else run.train
        head, _ = trainer.train_head(train, lasr, languages=[] if zero_shot else languages, seed=seed)
        for level, u in run.test_noised_u.items():
            scorer = trainer.embedded_scorer(dataclasses.replace(run.test, u=u), head)
            for name, value in evaluator(scorer).items():
                metrics[f"reasoning/{tag}/{level_tag(level)}/{name}"] = value
            for lang, (_, predicted) in evaluator.predictions(scorer).items():
                items[f"reasoning/{tag}/{level_tag(level)}/{lang}"] = [int(v) for v in predicted]
    return metrics, items


# ------------------------------------------------------------------------------------------
# The study.
# ------------------------------------------------------------------------------------------


def _training_config(suite: SuiteConfig, spec: SystemSpec) -> LiraConfig:
    """The base config plus ``spec``'s overrides, the English teacher being the suite's, and every
    switch that cannot change the trained encoder set alike (so equal encoders share one run):
    the anchor's teacher when no term reads it, the English anchor weight without the anchor term,
    the geometry mode without the geometry term, the temperature without the contrastive term, and
    the fusion gate's language embedding with one agent (there is no gate)."""
    overrides = {key: (suite.english_teacher if key == "model.teacher" and value == ENGLISH_TEACHER else value) for key, value in spec.overrides}
    config = suite.lira.override(overrides)
    base = LiraConfig()
    if not config.arca.uses_anchor_vectors():
        config.model.teacher = SELF_TEACHER
    if config.arca.anchor_weight == 0:
        config.arca.anchor_english_weight = 0.0
    if config.arca.geometry_weight == 0:
        config.arca.geometry_mode = base.arca.geometry_mode
    if config.arca.contrastive_weight == 0:
        config.arca.contrastive_temperature = base.arca.contrastive_temperature
    if list(config.model.agents) == ["transformer"]:
        config.model.language_aware_fusion = True
    config.lasr.enabled = False  # the suite trains heads itself, on cached embeddings
    config.train.dev_eval = False  # it scores every system itself, on its own slices
    if config.data.subset_seed is None:
        config.data.subset_seed = suite.data_seed  # every seed trains on the same pairs, in its own order
    return config


def run_identity(suite: SuiteConfig, spec: SystemSpec) -> str:
    """A short hash of ``spec``'s training configuration (seed and folder aside): systems with the
    same identity share one trained encoder per seed."""
    data = _training_config(suite, spec).to_dict()
    data["train"].pop("output_dir", None)
    data["train"].pop("seed", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:10]


def run_config(suite: SuiteConfig, spec: SystemSpec, seed: int) -> LiraConfig:
    """The training configuration of ``spec``'s run for ``seed``: the base config plus its overrides."""
    config = _training_config(suite, spec)
    config.train.seed = seed
    # Under the config's fingerprint: a changed study trains afresh instead of reusing stale models.
    config.train.output_dir = str(Path(suite.work_dir) / "runs" / suite.fingerprint() / f"{run_identity(suite, spec)}-seed{seed}")
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
    from lira.train import CHECKPOINT_DIR, term_texts, train_arca, training_epochs, training_pairs

    console = console or Console()
    start = time.perf_counter()
    work, out = Path(suite.work_dir), Path(suite.out_dir)
    results_dir = work / "results" / suite.fingerprint()
    results_dir.mkdir(parents=True, exist_ok=True)
    specs = [SYSTEMS[name] for name in suite.systems]
    console.rule(f"[bold]LiRA evaluation suite: {suite.name}")
    data = build_suite_data(suite)
    console.print(f"languages {' '.join(data.languages)}; noise levels {suite.noise_levels}; reasoning {[t for t, _, _ in suite.reasoning_settings()]}; seeds {suite.seeds}; data {data.counts}")

    # Jobs: one encoder per (training identity, seed); the teacher and student do not depend on the seed.
    def run_key(spec: SystemSpec, seed: int) -> tuple[str, int]:
        return (run_identity(suite, spec), seed) if spec.kind == "trained" else (spec.kind, -1)

    def result_path(spec: SystemSpec, seed: int) -> Path:
        return results_dir / f"{spec.name}-seed{seed}.json"

    def items_path(spec: SystemSpec, seed: int) -> Path:
        return results_dir / f"{spec.name}-seed{seed}.items.json"

    jobs: dict[tuple[str, int], list[tuple[SystemSpec, int]]] = {}
    for spec in specs:
        for seed in suite.seeds:
            if not (result_path(spec, seed).exists() and items_path(spec, seed).exists()):
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
        # Runs with noise terms also encode their noised copies (which depend on the seed).
        for key in to_train:
            config = run_config(suite, jobs[key][0][0], key[1])
            if config.arca.uses_noise():
                pairs = training_pairs(config)
                for prompt, group in term_texts(config, pairs, epochs=training_epochs(config, len(pairs))).items():
                    texts.setdefault(prompt, set()).update(group)
        for prompt, group in texts.items():
            cache.fill(student, sorted(group), prompt, batch_size=suite.lira.eval.batch_size, progress=progress)
        del student
        timings["prefix_cache_fill_s"] = time.perf_counter() - t0
        console.print(f"frozen-prefix cache: {len(cache)} texts in {timings['prefix_cache_fill_s']:.0f} s")
    bar.update(1)

    def name_of(key: tuple[str, int]) -> str:
        """A job's readable name: its systems' run names (``arca``; ``peer_contrastive+lira_default``)."""
        names = sorted({spec.run or spec.kind for spec, _ in jobs[key]})
        return "+".join(names) + (f"-seed{key[1]}" if key[1] >= 0 else "")

    for key in to_train:
        spec, seed = jobs[key][0]
        bar.set_description(f"suite: training {name_of(key)}")
        t0 = time.perf_counter()
        config = run_config(suite, spec, seed)
        train_arca(config, progress=progress, prefix_cache=None if config.model.frozen_dropout else cache)
        # The finished model is all the study reads; its resume checkpoints (~0.6 GB a run) are not.
        shutil.rmtree(Path(config.train.output_dir) / CHECKPOINT_DIR, ignore_errors=True)
        timings[f"train/{name_of(key)}_s"] = time.perf_counter() - t0
        bar.update(1)

    for key, members in sorted(jobs.items()):
        spec0 = members[0][0]
        bar.set_description(f"suite: scoring {name_of(key)}")
        t0 = time.perf_counter()
        if spec0.kind == "teacher":
            model: Any = load_teacher(dataclasses.replace(suite.lira.model, teacher=suite.english_teacher)).encoder()
        elif spec0.kind == "student":
            model = ArcaEncoder.from_student(suite.lira.model.student, suite.lira.model)
        else:
            model = ArcaEncoder.load(Path(run_config(suite, spec0, key[1]).train.output_dir) / "model")
        attach = cache.attached(model) if cache is not None and isinstance(model, ArcaEncoder) else contextlib.nullcontext()
        with attach:
            encoded = score_encoder(CachingEncoder(model), data)
        heads: dict[tuple[bool, bool, int], tuple[dict[str, float], dict[str, list[int]]]] = {}
        for spec, seed in members:
            # Systems on one encoder with the same head switches (Arca and − consistency) share the head's result.
            head = (spec.head_consistency, spec.head_language_aware, seed)
            if head not in heads:
                heads[head] = score_head(encoded, spec, suite, data.languages, seed, data.reasoning_evaluator)
            head_metrics, head_items = heads[head]
            for path, content in ((items_path(spec, seed), {**encoded.items, **head_items}), (result_path(spec, seed), {**encoded.metrics, **head_metrics})):
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(content) + "\n", encoding="utf-8")
                tmp.replace(path)
        timings[f"score/{name_of(key)}_s"] = time.perf_counter() - t0
        del model, encoded
        bar.update(1)
    bar.close()

    runs = {spec.name: {str(seed): json.loads(result_path(spec, seed).read_text(encoding="utf-8")) for seed in suite.seeds} for spec in specs}
    summary = summarise(runs)
    lexical, lexical_items = data.lexical()
    summary[LEXICAL] = {key: [value, 0.0, 1] for key, value in sorted(lexical.items())}
    t0 = time.perf_counter()
    items = {spec.name: [json.loads(items_path(spec, seed).read_text(encoding="utf-8")) for seed in suite.seeds] for spec in specs}
    items[LEXICAL] = [lexical_items] * len(suite.seeds)
    comparisons = compare_systems(suite, data, items)
    timings["bootstrap_s"] = time.perf_counter() - t0
    systems = {spec.name: {"label": spec.label, "description": spec.description, "kind": spec.kind} for spec in specs}
    systems[LEXICAL] = {"label": LEXICAL_LABEL, "description": "whitespace-token Jaccard of the two texts (lira.data.sts.jaccard); similarity task only", "kind": "baseline"}
    payload = {
        "suite": suite.to_dict(),
        "data": data.counts,
        "languages": data.languages,
        "systems": systems,
        "summary": summary,
        "runs": runs,
        "baselines": {LEXICAL: lexical},
        "bootstrap": bootstrap_facts(suite, data),
        "comparisons": comparisons,
        "shared_encoders": shared_encoders(suite, specs),
        "seconds": time.perf_counter() - start,
        "timings": timings,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    from lira.eval.suite_report import render_report

    render_report(out)
    console.print(f"wrote {out / 'results.md'}, {out / 'results.html'} and plots in {(time.perf_counter() - start) / 60:.1f} min")
    return SuiteResult(out, payload)


def shared_encoders(suite: SuiteConfig, specs: Sequence[SystemSpec]) -> list[list[str]]:
    """The trained systems grouped by the encoder they share (one group per trained encoder)."""
    groups: dict[str, list[str]] = {}
    for spec in specs:
        if spec.kind == "trained":
            groups.setdefault(run_identity(suite, spec), []).append(spec.name)
    return list(groups.values())


# ------------------------------------------------------------------------------------------
# Better or worse: paired bootstrap over test items and seeds.
# ------------------------------------------------------------------------------------------

PEER_METRICS = (
    "bitext/{L}/mean/x2en/acc@1", "bitext/{L}/mean/en2x/acc@1", "products/{L}/lrl/ndcg@10",
    "sts/{L}/mean/cross/spearman", "sts/{L}/mean/mono/spearman", "sts/{L}/mean/cross/hard/spearman", "sts/{L}/mean/mono/hard/spearman",
    "reasoning/{s}/{L}/mean/macro_f1",
)
"""The metrics every peer comparison tests, at every noise level (``{s}``: every reasoning setting)."""
STS_METRICS = PEER_METRICS[3:7]


def bootstrap_sets(data: SuiteData, metric: str, outputs: Sequence[dict[str, list[float]]]) -> tuple[dict[str, np.ndarray], Any]:
    """The per-set (seeds, items) outputs and the statistic behind one reported ``metric`` (a mean
    over languages), from one system's per-seed item files."""
    from lira.eval.significance import macro_f1_statistic, mean_statistic, spearman_statistic

    task, first, *rest = metric.split("/")
    lrl = [lang for lang in data.languages]

    def stack(key: str, mask: np.ndarray | None = None) -> np.ndarray:
        rows = np.array([seed_items[key] for seed_items in outputs], dtype=np.float64)
        return rows if mask is None else rows[:, mask]

    if task == "bitext":
        direction = rest[1]
        return {lang: stack(f"bitext/{first}/{lang}/{direction}") for lang in lrl}, mean_statistic
    if task == "products":
        return {lang: stack(f"products/{first}/{lang}") for lang in lrl}, mean_statistic
    if task == "sts":
        setting, hard = rest[1], rest[2] == "hard"
        level = float(first)
        sets, grades = {}, {}
        for lang in lrl:
            group = (lang, setting)
            if group not in data.sts[level].groups:
                continue
            mask = data.sts[level].hard_mask(group) if hard else None
            if mask is not None and not mask.any():
                continue  # no hard pair in this language: not in the reported mean either
            sets[lang] = stack(f"sts/{first}/{lang}/{setting}", mask)
            grades[lang] = data.sts[level].grades(group)[mask] if hard else data.sts[level].grades(group)
        return sets, spearman_statistic(grades)
    if task == "reasoning":
        level = rest[0]
        evaluator = data.reasoning_evaluator
        index = {label: i for i, label in enumerate(evaluator.labels)}
        gold = {lang: [index[str(e.label)] for e in evaluator.by_lang[lang]] for lang in lrl if lang in evaluator.by_lang}
        return {lang: stack(f"reasoning/{first}/{level}/{lang}") for lang in gold}, macro_f1_statistic(gold, len(evaluator.labels))
    raise ValueError(f"no bootstrap for metric {metric!r}")


def compare(data: SuiteData, metric: str, ours: Sequence[dict[str, list[float]]], theirs: Sequence[dict[str, list[float]]], *, samples: int, seed: int = 0) -> dict[str, Any] | None:
    """Paired bootstrap of ``ours`` against ``theirs`` on ``metric``: delta (ours minus theirs),
    95% interval, two-sided p and the verdict (better / worse at p < 0.05, else within noise);
    None when no language has items for it (a hard subset left empty)."""
    from lira.eval.significance import paired_bootstrap_sets

    a, statistic = bootstrap_sets(data, metric, theirs)
    b, _ = bootstrap_sets(data, metric, ours)
    if not a:
        return None
    result = paired_bootstrap_sets(a, b, statistic, samples=samples, seed=seed)
    return {"delta": result.delta, "low": result.low, "high": result.high, "p": result.p_value, "verdict": result.verdict()}


def compare_systems(suite: SuiteConfig, data: SuiteData, items: dict[str, list[dict[str, list[float]]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{"ours|theirs": {metric: compare(...)}}``: Arca + LaSR against every peer present on
    ``PEER_METRICS`` at every level, the noise terms on against off (``NOISE_PAIR``) on the same, and every system against the word-overlap baseline on the
    similarity metrics, clean."""
    levels = [level_tag(level) for level in suite.noise_levels]
    settings = [tag for tag, _, _ in suite.reasoning_settings()]

    def metrics(templates: Sequence[str]) -> list[str]:
        keys = []
        for template in templates:
            for s in (settings if "{s}" in template else [""]):
                keys += [template.format(L=tag, s=s) for tag in levels]
        return keys

    pairs = [("arca_lasr", peer, metrics(PEER_METRICS)) for peer in PEERS if "arca_lasr" in items and peer in items]
    if all(name in items for name in NOISE_PAIR):
        pairs.append((*NOISE_PAIR, metrics(PEER_METRICS)))
    clean = [template.replace("{L}", level_tag(0.0)) for template in STS_METRICS]
    pairs += [(name, LEXICAL, metrics(clean)) for name in items if name != LEXICAL]
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for ours, theirs, keys in pairs:
        out[f"{ours}|{theirs}"] = {}
        for key in keys:
            result = compare(data, key, items[ours], items[theirs], samples=suite.bootstrap_samples)
            if result is not None:
                out[f"{ours}|{theirs}"][key] = result
    return out


def bootstrap_facts(suite: SuiteConfig, data: SuiteData) -> dict[str, Any]:
    """What the report says about the test: its name, resamples, seeds and items per language."""
    level = data.levels[0]
    sts = data.sts[level]
    items = {
        "bitext": {lang: len(data.bitext[level].by_lang.get(lang, [])) for lang in data.languages},
        "products": {lang: int(sum(q["lang"] == lang for q in data.products[level].queries)) for lang in data.languages},
        "sts cross": {lang: len(sts.groups.get((lang, "cross"), [])) for lang in data.languages},
        "sts mono": {lang: len(sts.groups.get((lang, "mono"), [])) for lang in data.languages},
        "sts hard cross": {lang: int(sts.hard_mask((lang, "cross")).sum()) if (lang, "cross") in sts.groups else 0 for lang in data.languages},
        "sts hard mono": {lang: int(sts.hard_mask((lang, "mono")).sum()) if (lang, "mono") in sts.groups else 0 for lang in data.languages},
        "reasoning": {lang: len(data.reasoning_evaluator.by_lang.get(lang, [])) for lang in data.languages},
    }
    return {
        "test": "paired bootstrap over test items and seeds (lira.eval.significance.paired_bootstrap_sets)",
        "samples": suite.bootstrap_samples,
        "seeds": list(suite.seeds),
        "alpha": 0.05,
        "items_per_language": items,
    }


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
