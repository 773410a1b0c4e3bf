"""Typed configuration: one source of truth for every model choice, loss weight and switch.

Every dataclass loads from and saves to YAML (``LiraConfig.from_yaml`` / ``to_yaml``); the CLI
and the Python API both build a ``LiraConfig`` and pass it down, so a notebook and the command
line train the same thing. Unknown keys are an error naming the offending field, so a typo in
a YAML file never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml

T = TypeVar("T")

DEFAULT_TEACHER = "offline:all-minilm-l6-v2"
DEFAULT_STUDENT = "offline:multilingual-e5-small"


class ConfigError(ValueError):
    """A configuration value or key that LiRA cannot use."""


@dataclass
class ModelConfig:
    teacher: str = DEFAULT_TEACHER
    """Frozen English teacher: ``offline:<name>``, a local folder or a hub name."""
    student: str = DEFAULT_STUDENT
    """Multilingual student, same forms as ``teacher``."""
    max_seq_length: int = 64
    prompt_name: str | None = "query"
    """Role prompt for symmetric tasks (training, bitext) when the student defines one (e5: "query: ")."""
    freeze_word_embeddings: bool = True
    """Keep the student's token-embedding table fixed: it holds most of e5-small's parameters
    (96M of 118M), rows of unseen tokens must not drift, and updating it dominates CPU step time."""
    agents: list[str] = field(default_factory=lambda: ["transformer", "char_ngram", "romanized"])
    """Encoding agents composed by the fusion gate: any of transformer, char_ngram, romanized."""
    char_ngram_buckets: int = 32768
    char_ngram_dim: int = 128
    char_ngram_orders: list[int] = field(default_factory=lambda: [2, 3, 4])
    language_embedding_dim: int = 32
    language_aware_fusion: bool = True
    """False: the gate sees only the agents' outputs (the minus-language-embedding ablation)."""


@dataclass
class ArcaConfig:
    """Weights of Arca's terms; 0 switches a term off (every ablation is one flag)."""

    anchor_weight: float = 1.0
    anchor_english_weight: float = 1.0
    """Weight of student(x_en) -> teacher(x_en), which keeps English from drifting."""
    contrastive_weight: float = 0.5
    contrastive_temperature: float = 0.05
    geometry_weight: float = 1.0


@dataclass
class DataConfig:
    train: str | None = None
    """Pairs file (TSV/JSONL); None = the shipped Firefox parallel corpus."""
    dev: str | None = None
    test: str | None = None
    languages: list[str] = field(default_factory=lambda: ["th", "vi", "id", "ms", "fil", "ur", "bn"])
    max_train_pairs_per_language: int | None = None
    max_chars: int = 1000


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


@dataclass
class EvalConfig:
    batch_size: int = 128
    max_pairs_per_language: int | None = None


@dataclass
class LiraConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    arca: ArcaConfig = field(default_factory=ArcaConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

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

    def override(self, dotted: dict[str, Any]) -> "LiraConfig":
        """Return a copy with ``{"train.seed": 1, "arca.geometry_weight": 0}`` applied."""
        data = self.to_dict()
        for key, value in dotted.items():
            section, _, name = key.partition(".")
            if section not in data or not name or name not in data[section]:
                raise ConfigError(f"override: unknown field {key!r}")
            data[section][name] = value
        return LiraConfig.from_dict(data, source="override")


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
