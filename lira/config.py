"""Typed configuration: one source of truth for every model choice, loss weight and switch.

Every dataclass loads from and saves to YAML (``LiraConfig.from_yaml`` / ``to_yaml``); the CLI
and the Python API both build a ``LiraConfig`` and pass it down, so a notebook and the command
line train the same thing. Unknown keys are an error naming the offending field, so a typo in
a YAML file never silently falls back to a default. Every numeric field's range is checked when a
dataclass is built (``__post_init__``) and the paths when a run starts (``LiraConfig.check_paths``),
so a bad value stops a run in one line naming the field, before any model is loaded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar, get_type_hints

import yaml

T = TypeVar("T")

SELF_TEACHER = "self"
"""``model.teacher`` value: anchor to the student's own frozen encoding of the English side."""
DEFAULT_TEACHER = SELF_TEACHER
ENGLISH_TEACHER = "offline:all-minilm-l6-v2"
"""The offline separate English teacher (all-MiniLM-L6-v2), for ``model.teacher``."""
DEFAULT_STUDENT = "offline:multilingual-e5-small"


class ConfigError(ValueError):
    """A configuration value or key that LiRA cannot use."""


#: The ranges a numeric field may be restricted to, by the words the error uses for them.
RANGES: dict[str, Callable[[Any], bool]] = {
    ">= 0": lambda v: v >= 0,
    ">= 1": lambda v: v >= 1,
    "> 0": lambda v: v > 0,
    "in [0, 1]": lambda v: 0 <= v <= 1,
    "in [0, 1)": lambda v: 0 <= v < 1,
    "in [0, 2**32)": lambda v: 0 <= v < 2**32,  # a seed numpy and torch both take
}


def check_ranges(obj: Any, section: str, ranges: dict[str, str]) -> None:
    """Raise a one-line ``ConfigError`` naming ``section.field`` for the first field of ``obj`` out of
    its range (a key of ``RANGES``). The field's annotation says the rest: ``int`` fields must hold
    integers (``True`` is not one), ``X | None`` fields may be null. NaN is in no range."""
    annotations = {f.name: str(f.type) for f in dataclasses.fields(obj)}
    for name, spec in ranges.items():
        value, annotation = getattr(obj, name), annotations[name]
        nullable = "None" in annotation
        if value is None and nullable:
            continue
        integer = annotation.startswith("int")
        number = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not number or not RANGES[spec](value):
            expected = f"{'an integer' if integer else 'a number'} {spec}{' or null' if nullable else ''}"
            raise ConfigError(f"{section}.{name}: expected {expected}, got {value!r}")


@dataclass
class ModelConfig:
    teacher: str = DEFAULT_TEACHER
    """What the English side is anchored to: ``self`` (the student's own frozen encoding of the
    English translation, as in the paper behind LiRA) or a separate frozen English teacher
    (``offline:all-minilm-l6-v2``, a local folder or a hub name); see ``lira.arca.teacher``."""
    student: str = DEFAULT_STUDENT
    """Multilingual student, same forms as ``teacher``."""
    max_seq_length: int = 64
    """Token limit of training texts (short: training time grows with it)."""
    encode_max_seq_length: int | None = None
    """Token limit when encoding (evaluation, indexes, search); None: the student's own limit (512 for
    e5-small). Recorded in a saved model, so a model trained at 64 tokens still reads whole texts."""
    prompt_name: str | None = "query"
    """Role prompt for symmetric tasks (training, bitext) when the student defines one (e5: "query: ")."""
    freeze_word_embeddings: bool = True
    """Keep the student's token-embedding table fixed: it holds most of e5-small's parameters
    (96M of 118M), rows of unseen tokens must not drift, and updating it dominates CPU step time."""
    trainable_top_layers: int | None = None
    """Train only the top N transformer layers (None: all). Lower layers then run without
    building a backward graph, which roughly halves a CPU step; the demo uses 4."""
    frozen_dropout: bool | None = None
    """With ``trainable_top_layers``: None or False: the frozen embeddings and lower layers run without
    dropout in training, computing what they compute at inference (and what the frozen-prefix cache of
    the generalization study and the suite holds, so those runs and ``lira train`` train alike);
    True: their dropout stays on in training (LiRA before 7 Dec 2026; the product recipes'
    committed reports were trained so and their configs keep it)."""
    agents: list[str] = field(default_factory=lambda: ["transformer", "char_ngram", "romanized"])
    """Encoding agents composed by the fusion gate: transformer first, then any of char_ngram,
    romanized. The default is all three: in the generalization study (docs/GENERALIZATION.md),
    on top of the contrastive term, the character and romanised views and the language-aware gate
    raised the out-of-domain dev score at the demo budget and at 1,000 steps. ``[transformer]``
    alone gives a model that exports as a plain sentence-transformers folder."""
    char_ngram_buckets: int = 32768
    char_ngram_dim: int = 128
    char_ngram_orders: list[int] = field(default_factory=lambda: [2, 3, 4])
    language_embedding_dim: int = 32
    language_aware_fusion: bool = True
    """False: the gate sees only the agents' outputs (the minus-language-embedding ablation)."""
    agent_dropout: float | None = None
    """> 0 (training only): each agent beyond the transformer is left out of a row's fusion with this
    probability, the gate renormalised over the agents kept (``LanguageAwareFusion``'s ``keep``).
    A row without its character views must still find its translation, so the transformer is trained
    to stand on its own and the other agents to add corrections to it rather than replace it.
    Inference always fuses every agent (but for English rows under ``english_transformer_only``). None or 0: off."""
    english_transformer_only: bool | None = None
    """True: English text is encoded by the transformer alone (the character views left out of its
    fusion, in training and at inference); only the low-resource side fuses the views. The English
    space the low-resource languages are anchored to then stays the student's own transformer space,
    and the views serve where the subword student is weak (noisy, romanised low-resource text).
    None or False: every language fuses every agent."""
    # -- backbone (lira.models.backbone.build_student): any encoder or decoder LLM as the student --
    pooling: str | None = None
    """None/auto: a sentence-transformers folder keeps its own pooling; a plain transformers model gets
    lasttoken for decoders (Gemma, Qwen, Llama) and mean for encoders. Or mean, lasttoken, cls, max, weightedmean."""
    instruction: str | None = None
    """Instruction prefix for the student (e.g. an LLM's "Represent this sentence for retrieval: "),
    installed as its prompt under ``prompt_name``; None keeps the student's own prompts."""
    lora_rank: int = 0
    """> 0: train LoRA adapters (peft) of this rank instead of the backbone's weights; saved merged."""
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "query", "key", "value", "dense"]
    )
    """Linear layers that get adapters, by name; names a backbone lacks are skipped (the default covers
    Llama/Gemma/Qwen attention+MLP and BERT/XLM-R query, key, value, dense)."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass (less GPU memory for large students, slower step)."""
    dtype: str = "auto"
    """Student weights: auto (bfloat16 for a LoRA student on a bf16 GPU, else float32), float32, bfloat16, float16."""
    projection_dim: int | None = None
    """Linear projection appended to the student. None: for a decoder (LLM) student, to the teacher's width
    when it differs (Gemma 3 270M is 640 wide, the MiniLM teacher 384); encoders are left as they are.
    0: never; N: to N dimensions (e.g. an encoder wider than the teacher)."""
    pad_to_multiple_of: int | None = None
    """Pad each batch's token width up to a multiple of this (None: to the longest text). Padding is
    masked, so embeddings do not change; it bounds the number of distinct shapes a compiled student
    sees (``train.compile``: one graph per shape) at the price of a few padded positions."""

    def __post_init__(self) -> None:
        check_ranges(self, "model", {
            "max_seq_length": ">= 1", "encode_max_seq_length": ">= 1", "trainable_top_layers": ">= 0", "char_ngram_buckets": ">= 1",
            "char_ngram_dim": ">= 1", "language_embedding_dim": ">= 1", "lora_rank": ">= 0", "lora_alpha": "> 0",
            "lora_dropout": "in [0, 1)", "projection_dim": ">= 0", "pad_to_multiple_of": ">= 1", "agent_dropout": "in [0, 1)",
        })
        if not self.char_ngram_orders or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in self.char_ngram_orders):
            raise ConfigError(f"model.char_ngram_orders: expected a non-empty list of integers >= 1, got {self.char_ngram_orders!r}")


GEOMETRY_MODES = ("cosine", "correlation")
RETRIEVAL_CATALOGS = ("native", "en")
MIXED_PRECISION = ("auto", "no", "bf16", "fp16")
COMPILE_MODES = ("no", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


@dataclass
class ArcaConfig:
    """Weights of Arca's terms; 0 switches a term off (every ablation is one flag).

    The defaults are what the generalization study (docs/GENERALIZATION.md) chose on dev: the
    in-batch contrastive term alone (with the three agents of ``ModelConfig.agents``). With the anchor and geometry terms on as well (the study's
    "Arca, all terms": anchor 1, English anchor 1, contrastive 0.5, geometry 1, self anchor) the dev
    score was lower at the demo budget and at 1,000 steps; those terms keep more of the English
    space's neighbourhoods (``english/knn10_kept``), so they stay one flag away."""

    anchor_weight: float = 0.0
    """Pull each low-resource sentence onto its English anchor (``model.teacher``)."""
    anchor_english_weight: float = 1.0
    """Within the anchor term: weight of student(x_en) -> anchor(x_en), which keeps English from drifting."""
    contrastive_weight: float = 1.0
    contrastive_temperature: float = 0.05
    contrastive_memory: int | None = None
    """> 0: the contrastive term also ranks against the last N rows of earlier batches (detached;
    cross-batch memory, ``lira.arca.memory``); None or 0: in-batch negatives only."""
    contrastive_margin: float | None = None
    """> 0: additive margin on the translation's cosine in the contrastive term (LaBSE's additive
    margin softmax, 0.3 there): it must beat the in-batch negatives by this much. None or 0: none."""
    transformer_contrastive_weight: float | None = None
    """Deep supervision of a multi-agent model: the contrastive term also on the transformer agent's
    own vectors, before the fusion, so the student inside the model is trained as a full encoder and
    not only through its share of the gate (the student is what ``lira export --transformer-only``
    ships and what the fusion leans on). Needs more than one agent. None or 0: off."""
    geometry_weight: float = 0.0
    geometry_mode: str = "cosine"
    """cosine: match the teacher's cosine similarities between English sentences; correlation: match
    only their pattern (per-sentence Pearson correlation), not the teacher's similarity scale."""
    # -- retrieval training (lira.arca.losses.QueryTitleRetrievalLoss, lira.data.retrieval) ------
    # Every field below defaults to None, which means off (or, for a setting of a term that is off,
    # the value named): a stored run's config hash skips None fields, so adding them orphans nothing.
    retrieval_weight: float | None = None
    """Query -> product title retrieval on the product data set's train split (``data.retrieval``), with
    in-batch and BM25-mined hard negatives; exact and substitute products of a query are never its
    negatives. None or 0: off."""
    retrieval_temperature: float | None = None
    """Temperature of the retrieval term's softmax; None: 0.05."""
    retrieval_batch_size: int | None = None
    """Queries per step for the retrieval term (each brings its positive title and hard negatives);
    None: ``train.batch_size``."""
    retrieval_hard_negatives: int | None = None
    """BM25-mined hard-negative titles per query; None or 0: in-batch negatives only."""
    retrieval_mining_depth: int | None = None
    """Hard negatives are drawn from this many top BM25 hits (labelled exact/substitute products
    removed); None: 20."""
    retrieval_catalogs: list[str] | None = None
    """Which titles a query is trained against: ``native`` (the query's own language) and/or ``en``
    (the English catalogue: cross-lingual search). None: both."""
    retrieval_paraphrases: bool | None = None
    """Also train on the train split's paraphrase queries (``paraphrases.train.jsonl``: a CLDR keyword
    for the product noun, or the measure in another unit), each with its intent's positives and
    negatives, in the catalogues of ``retrieval_catalogs``. None or False: the plain queries only."""
    # -- noise-robust anchoring (lira.arca.losses.NoiseConsistencyLoss, lira.data.training_noise) ---
    noise_anchor_weight: float | None = None
    """A noised copy of each low-resource sentence goes through the alignment terms that are on (the
    anchor term's low-resource part, the contrastive term) in place of the clean one: it is anchored
    to the same English point. None or 0: off."""
    noise_consistency_weight: float | None = None
    """Embedding-level consistency: the noised copy's embedding is pulled onto the clean one's
    (``2 - 2 cos``, the clean side a fixed target). None or 0: off."""
    noise_level: float | None = None
    """Noise level of the training copies (``lira.data.noise.apply_noise``); None: 0.1."""
    noise_kinds: list[str] | None = None
    """Noise kinds used in training (``lira.data.noise.NoiseKind`` names or ``typos``); None: each
    language's defaults (``default_noise_kinds``, code-mixing from the product lexicon), less the
    held-out kind."""
    noise_held_out_kind: str | None = None
    """One noise kind never used in training, so an evaluation on it measures robustness rather than
    memorised noise; it may not be in ``noise_kinds``. None: none held out."""
    retrieval_query_noise: float | None = None
    """Share of the retrieval term's low-resource queries that a step replaces by a noised copy, made
    as the noise terms make theirs (``noise_kinds``, never ``noise_held_out_kind``; at
    ``retrieval_query_noise_level``, which falls back to ``noise_level``):
    shoppers' typos, dropped tones and romanisation in the query -> title term itself. English queries
    stay clean. Needs ``retrieval_weight``; works with or without the noise terms. None or 0: clean
    queries."""
    retrieval_query_noise_level: float | None = None
    """Noise level of the retrieval term's noised queries; None: ``noise_level``. Lets the noise terms'
    bitext copies train at one level and the query -> title term at another (a stronger level buys
    robustness in the bitext terms and, in the query term, costs clean cross-lingual search;
    docs/PRODUCTS.md). Needs ``retrieval_query_noise``."""

    def uses_anchor_vectors(self) -> bool:
        """Whether a term reads the English anchors (the teacher's or the self anchor's vectors)."""
        return self.anchor_weight > 0 or self.geometry_weight > 0

    def uses_retrieval(self) -> bool:
        return bool(self.retrieval_weight)

    def uses_noise(self) -> bool:
        """Whether training builds noised copies of the low-resource sentences."""
        return bool(self.noise_anchor_weight) or bool(self.noise_consistency_weight)

    def __post_init__(self) -> None:
        check_ranges(self, "arca", {
            "anchor_weight": ">= 0", "anchor_english_weight": ">= 0", "contrastive_weight": ">= 0",
            "contrastive_temperature": "> 0", "contrastive_memory": ">= 0", "contrastive_margin": ">= 0", "transformer_contrastive_weight": ">= 0", "geometry_weight": ">= 0",
            "retrieval_weight": ">= 0", "retrieval_temperature": "> 0", "retrieval_batch_size": ">= 1",
            "retrieval_hard_negatives": ">= 0", "retrieval_mining_depth": ">= 1",
            "noise_anchor_weight": ">= 0", "noise_consistency_weight": ">= 0", "noise_level": "in [0, 1]",
            "retrieval_query_noise": "in [0, 1]", "retrieval_query_noise_level": "in [0, 1]",
        })
        if self.retrieval_paraphrases and not self.retrieval_weight:
            raise ConfigError("arca.retrieval_paraphrases: adds queries to the retrieval term, and arca.retrieval_weight is off")
        if self.retrieval_query_noise and not self.retrieval_weight:
            raise ConfigError("arca.retrieval_query_noise: noises the retrieval term's queries, and arca.retrieval_weight is off")
        if self.retrieval_query_noise_level is not None and not self.retrieval_query_noise:
            raise ConfigError("arca.retrieval_query_noise_level: the level of the retrieval term's noised queries, and arca.retrieval_query_noise is off")
        if self.geometry_mode not in GEOMETRY_MODES:
            raise ConfigError(f"arca.geometry_mode: expected one of {', '.join(GEOMETRY_MODES)}, got {self.geometry_mode!r}")
        if self.retrieval_catalogs is not None and (not self.retrieval_catalogs or any(c not in RETRIEVAL_CATALOGS for c in self.retrieval_catalogs)):
            raise ConfigError(f"arca.retrieval_catalogs: expected a non-empty list of {', '.join(RETRIEVAL_CATALOGS)}, got {self.retrieval_catalogs!r}")
        if self.noise_anchor_weight and self.contrastive_weight == 0 and self.anchor_weight == 0:
            raise ConfigError("arca.noise_anchor_weight: the noised copy goes through the anchor and contrastive terms, and both are off")
        from lira.data.noise import parse_noise_kinds

        try:
            kinds = parse_noise_kinds(self.noise_kinds) if self.noise_kinds is not None else None
        except ValueError as err:
            raise ConfigError(f"arca.noise_kinds: {err}") from None
        if kinds is not None and not kinds:
            raise ConfigError("arca.noise_kinds: empty; leave it null for each language's defaults")
        if self.noise_held_out_kind is not None:
            try:
                held_out = parse_noise_kinds([self.noise_held_out_kind])
            except (ValueError, TypeError) as err:
                raise ConfigError(f"arca.noise_held_out_kind: {err}") from None
            if len(held_out) != 1:
                raise ConfigError(f"arca.noise_held_out_kind: name one noise kind, got {self.noise_held_out_kind!r} ({len(held_out)} kinds)")
            if kinds is not None and held_out[0] in kinds:
                raise ConfigError(f"arca.noise_held_out_kind: {held_out[0].value!r} is held out of training, but arca.noise_kinds lists it")


@dataclass
class DataConfig:
    train: str | None = None
    """Pairs file (TSV/JSONL); None = the shipped Firefox parallel corpus (with ``train_catalogs``)."""
    train_catalogs: bool | None = True
    """With ``train`` None: add the train split of the other projects' catalogs (Cinnamon, MATE, Xfce,
    Debian's tools: ``lira/resources/gettext``, split by the same English hash, so no dev or test
    English sentence is in it) to the Firefox pairs. On by default: they raised the dev score at 250
    and 1,000 steps and, left out of training, the catalogs never trained on gained too
    (docs/GENERALIZATION.md). None or False: the Firefox pairs only."""
    train_catalog_families: list[str] | None = None
    """With ``train_catalogs``: only these families of the other projects' catalogs (``cinnamon``,
    ``debian``, ``mate``, ``xfce``: ``lira.data.gettext_build.FAMILIES``); None: all of them. Like
    ``train_catalogs``, it applies to the shipped pairs only (a ``train`` file replaces them). The
    leave-catalogs-out check (``scripts/catalog_leave_out.py``) trains on some and scores the rest."""
    dev: str | None = None
    test: str | None = None
    languages: list[str] = field(default_factory=lambda: ["th", "vi", "id", "ms", "fil", "ur", "bn"])
    max_train_pairs_per_language: int | None = None
    subset_seed: int | None = None
    """Seed of the ``max_train_pairs_per_language`` sample; None: ``train.seed`` (a study that compares
    seeds on one fixed training subset sets it)."""
    max_chars: int = 1000
    ood_dev: list[str] | None = None
    """Out-of-domain dev pairs (files or folders; their ``dev`` split) that training evaluates beside
    ``dev``; None: the shipped catalogs of other software projects (``lira/resources/gettext``)."""
    retrieval: str | None = None
    """The product data set (a folder built by ``lira data products build``) whose *train* split the
    retrieval term (``arca.retrieval_weight``) reads; None: the default build in the LiRA cache."""

    def __post_init__(self) -> None:
        check_ranges(self, "data", {"max_train_pairs_per_language": ">= 1", "subset_seed": "in [0, 2**32)", "max_chars": ">= 1"})
        families = self.train_catalog_families
        if families is not None:
            from lira.data.gettext_build import FAMILIES

            if not self.train_catalogs:
                raise ConfigError("data.train_catalog_families: it picks among the catalogs that data.train_catalogs adds, and that is off")
            unknown = [f for f in families if f not in FAMILIES]
            if unknown or not families:
                raise ConfigError(f"data.train_catalog_families: expected some of {', '.join(sorted(FAMILIES))}; got {families!r}")


@dataclass
class TrainConfig:
    output_dir: str = "runs/arca"
    seed: int = 42
    batch_size: int = 32
    gradient_accumulation_steps: int = 1
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    """Learning rate of the freshly initialised modules (agents, fusion)."""
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    epochs: float = 1.0
    max_steps: int | None = None
    """Stop after this many optimizer steps (overrides ``epochs``)."""
    mixed_precision: str = "auto"
    """auto: bf16 on a GPU that has it, fp16 on other GPUs, none on CPU; or no / bf16 / fp16."""
    checkpoint_every: int = 100
    log_every: int = 10
    max_grad_norm: float = 1.0
    num_threads: int | None = None
    num_workers: int = 0
    """DataLoader worker processes for the collator (tokenisation, n-gram hashing, romanisation:
    ~14 ms per 32 pairs on one CPU core, see benchmarks/RESULTS.md); on a GPU a small student's step
    can be shorter than that, so use several (e.g. 8)."""
    dev_eval: bool = True
    """Evaluate the dev sets (in-domain ``data.dev`` and out-of-domain ``data.ood_dev``) before the
    first step, at every checkpoint and at the end; logged to ``dev_metrics.jsonl``."""
    dev_pairs_per_language: int = 150
    """Pairs per language and dev set in those evaluations (a seeded sample; bitext accuracy@1)."""
    select_best: bool = True
    """Keep the evaluated model with the best dev score (mean of in-domain and out-of-domain
    accuracy@1) as ``model/``; the last step's model then goes to ``model-last/``."""
    language_batches: bool | None = None
    """True: every training batch holds pairs of one language (``LengthGroupedBatchSampler``'s
    ``groups``; only the few batches cut from each language's leftovers mix), so the in-batch negatives of an English sentence are sentences of the same language,
    as in en -> x retrieval; None or False: batches mix languages."""
    compile: str = "no"
    """Compile the student's transformer with ``torch.compile`` for training: no, default,
    reduce-overhead (CUDA graphs: for a GPU whose step is bound by kernel launches, see
    benchmarks/RESULTS.md), max-autotune or max-autotune-no-cudagraphs. The first batches of each
    new shape pay the compilation (tens of seconds); set ``model.pad_to_multiple_of`` (e.g. 16) to
    bound the shapes. Not with the frozen-prefix cache."""

    def __post_init__(self) -> None:
        check_ranges(self, "train", {
            "seed": "in [0, 2**32)", "batch_size": ">= 1", "gradient_accumulation_steps": ">= 1", "learning_rate": "> 0",
            "head_learning_rate": ">= 0", "weight_decay": ">= 0", "warmup_ratio": "in [0, 1]", "epochs": "> 0",
            "max_steps": ">= 1", "checkpoint_every": ">= 1", "log_every": ">= 1", "max_grad_norm": ">= 0",
            "num_threads": ">= 1", "num_workers": ">= 0",
        })
        if self.mixed_precision not in MIXED_PRECISION:
            raise ConfigError(f"train.mixed_precision: expected one of {', '.join(MIXED_PRECISION)}, got {self.mixed_precision!r}")
        if self.compile not in COMPILE_MODES:
            raise ConfigError(f"train.compile: expected one of {', '.join(COMPILE_MODES)}, got {self.compile!r}")


@dataclass
class EvalConfig:
    batch_size: int = 128
    max_pairs_per_language: int | None = None

    def __post_init__(self) -> None:
        check_ranges(self, "eval", {"batch_size": ">= 1", "max_pairs_per_language": ">= 1"})


CONSISTENCY_KINDS = ("sym_kl", "js")
SCHEDULES = ("joint", "staged")


def _default_tasks() -> dict[str, list[str]]:
    return {
        "esci": ["exact", "substitute", "complement", "irrelevant"],
        "nli": ["entailment", "neutral", "contradiction"],
    }


@dataclass
class LasrConfig:
    enabled: bool = False
    """Train and use the LaSR head at all (off: Arca alone, as before)."""
    tasks: dict[str, list[str]] = field(default_factory=_default_tasks)
    """Task name -> label names; one output layer per task."""
    hidden_dim: int = 256
    language_embedding_dim: int = 32
    language_aware: bool = True
    """False: no language embedding/FiLM (the minus-language-conditioning ablation)."""
    dropout: float = 0.1
    """Head dropout; must be > 0 for the dropout-consistency term to mean anything."""
    task_weight: float = 1.0
    """c: weight of the supervised task cross-entropy."""
    consistency_anchor_weight: float = 1.0
    """d_anchor: low-resource input vs its English anchor (the English side is the target)."""
    consistency_noise_weight: float = 0.5
    """d_noise: input vs a noised copy (``lira.data.noise.apply_noise``)."""
    consistency_dropout_weight: float = 0.5
    """d_dropout: two dropout passes of the same input (R-Drop)."""
    consistency_kind: str = "sym_kl"
    """sym_kl (symmetric KL) or js (Jensen-Shannon)."""
    noise_level: float = 0.1
    """Fraction of eligible characters/words touched by each noise kind (typos share it)."""
    noise_kinds: list[str] = field(default_factory=list)
    """Names from ``lira.data.noise.NoiseKind`` (or "typos"); empty = each language's defaults."""
    schedule: str = "joint"
    """joint: LaSR's terms join Arca's from step 0; staged: Arca first, then the head on the trained encoder."""
    few_shot_k: int = 0
    """Labelled examples per low-resource language (0 = translate-train: English labels only; the low-resource rows, translations of the English ones, stay unlabelled and feed the consistency terms)."""
    head_learning_rate: float = 1e-3
    data: str | None = None
    """A folder built by ``lira data products build``; None = build the default one into the cache."""
    queries_per_language: int = 200
    """Training intents sampled per language (each gives one exact/substitute/complement/irrelevant example)."""
    batch_size: int = 64
    head_steps: int = 300
    """Head-only steps of the staged schedule (after Arca), on the frozen encoder."""

    def __post_init__(self) -> None:
        if not isinstance(self.tasks, dict) or not self.tasks:
            raise ConfigError(f"lasr.tasks: expected a non-empty mapping of task -> labels, got {self.tasks!r}")
        for name, labels in self.tasks.items():
            if not isinstance(labels, list) or len(labels) < 2 or len(set(map(str, labels))) != len(labels):
                raise ConfigError(f"lasr.tasks.{name}: expected a list of at least 2 distinct labels, got {labels!r}")
        if self.consistency_kind not in CONSISTENCY_KINDS:
            raise ConfigError(f"lasr.consistency_kind: expected one of {', '.join(CONSISTENCY_KINDS)}, got {self.consistency_kind!r}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"lasr.schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if not 0.0 <= self.noise_level <= 1.0:
            raise ConfigError(f"lasr.noise_level: expected a number in [0, 1], got {self.noise_level}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"lasr.dropout: expected a number in [0, 1), got {self.dropout}")
        for name in ("task_weight", "consistency_anchor_weight", "consistency_noise_weight", "consistency_dropout_weight", "head_learning_rate"):
            if getattr(self, name) < 0:
                raise ConfigError(f"lasr.{name}: may not be negative, got {getattr(self, name)}")
        if self.few_shot_k < 0:
            raise ConfigError(f"lasr.few_shot_k: may not be negative, got {self.few_shot_k}")
        if self.hidden_dim <= 0 or self.language_embedding_dim <= 0:
            raise ConfigError("lasr.hidden_dim and lasr.language_embedding_dim must be positive")
        check_ranges(self, "lasr", {"queries_per_language": ">= 1", "batch_size": ">= 1", "head_steps": ">= 1"})
        from lira.data.noise import parse_noise_kinds

        try:
            parse_noise_kinds(self.noise_kinds)
        except ValueError as err:
            raise ConfigError(f"lasr.noise_kinds: {err}") from None

    def weights(self) -> dict[str, float]:
        """The objective's LaSR weights by term name (a 0 means: do not compute the term)."""
        return {
            "task": self.task_weight,
            "consistency_anchor": self.consistency_anchor_weight,
            "consistency_noise": self.consistency_noise_weight,
            "consistency_dropout": self.consistency_dropout_weight,
        }


@dataclass
class LiraConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    arca: ArcaConfig = field(default_factory=ArcaConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    lasr: LasrConfig = field(default_factory=LasrConfig)

    def __post_init__(self) -> None:
        if self.arca.transformer_contrastive_weight and len(self.model.agents) < 2:
            raise ConfigError("arca.transformer_contrastive_weight: needs more than one agent in model.agents "
                              f"(got {self.model.agents}); with the transformer alone the contrastive term already trains it")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, source: str = "config") -> "LiraConfig":
        return _from_dict(cls, data or {}, source)

    @classmethod
    def from_yaml(cls, path: str | Path) -> "LiraConfig":
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {err}") from err
        if data is not None and not isinstance(data, dict):
            raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self, path: str | Path) -> None:
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")

    def check_paths(self) -> None:
        """Raise ``ConfigError`` naming the field for a path a run cannot use: an output folder that
        is a file (or lies under one), a data file or folder that does not exist. Called first
        thing by ``train_arca`` and ``run_demo``, before any model is loaded."""
        out = Path(self.train.output_dir)
        blocker = next((p for p in (out, *out.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise ConfigError(f"train.output_dir: {blocker} is a file, not a folder" + ("" if blocker == out else f" (on the way to {out})"))
        named = {"data.train": self.data.train, "data.dev": self.data.dev, "data.test": self.data.test}
        if self.lasr.enabled:
            named["lasr.data"] = self.lasr.data
        if self.arca.uses_retrieval():
            named["data.retrieval"] = self.data.retrieval
        for name, value in named.items():
            if value is not None and not Path(value).expanduser().exists():
                raise ConfigError(f"{name}: {value}: no such file or folder")

    def override(self, dotted: dict[str, Any]) -> "LiraConfig":
        """Return a copy with ``{"train.seed": 1, "arca.geometry_weight": 0}`` applied."""
        data = self.to_dict()
        for key, value in dotted.items():
            section, _, name = key.partition(".")
            if section not in data or not name or name not in data[section]:
                raise ConfigError(f"override: unknown field {key!r}")
            data[section][name] = value
        return LiraConfig.from_dict(data, source="override")


def load_study_yaml(cls: type[T], path: str | Path, base: Callable[[], "LiraConfig"]) -> T:
    """A study's YAML (``lira eval suite``, ``lira eval generalization``): the study's own fields,
    plus a ``lira:`` section of ``LiraConfig`` fields applied on top of ``base()``, the study's base
    configuration. Unknown fields in either part are errors naming the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    dotted: dict[str, Any] = {}
    for section, values in (data.pop("lira", None) or {}).items():
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: lira.{section}: expected a mapping of fields")
        dotted.update({f"{section}.{key}": value for key, value in values.items()})
    study = _from_dict(cls, data, str(path))
    try:
        study.lira = base().override(dotted)  # type: ignore[attr-defined]
    except ConfigError as err:
        raise ConfigError(f"{path}: lira: {err}") from None
    return study


def _from_dict(cls: type[T], data: dict[str, Any], where: str) -> T:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping for {cls.__name__}, got {type(data).__name__}")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)} in {cls.__name__}; known: {', '.join(sorted(names))}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _from_dict(hint, value, f"{where}.{name}")
        else:
            kwargs[name] = _check_scalar(value, hint, f"{where}.{name}")
    return cls(**kwargs)


def _check_scalar(value: Any, hint: Any, where: str) -> Any:
    """Light type check of YAML scalars so ``batch_size: "32"`` fails loudly, not mid-training."""
    text = str(hint)
    if value is None:
        if "None" in text:
            return None
        raise ConfigError(f"{where}: may not be null")
    if text.startswith("list"):
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return value
    if hint is bool or text.startswith("bool"):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if hint is float or text.startswith("float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is int or text.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if text.startswith("str"):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    return value
