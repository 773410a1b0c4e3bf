"""LasrConfig: LaSR's switches and weights, in the style of ``lira.config`` (ready to join ``LiraConfig``).

The unified objective with LaSR is ``L = L_arca + c * L_task + d_anchor * L_cons(x_lrl, x_en)
+ d_noise * L_cons(x, noise(x)) + d_dropout * L_cons(drop_1(x), drop_2(x))``; a weight of 0
switches its term off, so each ablation is one flag. Pure Python (no torch), so ``lira.config``
can import it cheaply: add ``lasr: LasrConfig = field(default_factory=LasrConfig)`` to
``LiraConfig`` and ``_from_dict`` handles it like the other sections (``__post_init__`` below
validates the values, raising ``ConfigError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lira.config import ConfigError, _from_dict

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
    """Labelled examples per low-resource language (0 = zero-shot: English labels only)."""
    head_learning_rate: float = 1e-3

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

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, source: str = "lasr") -> "LasrConfig":
        """Typed load with ``lira.config``'s checks (unknown keys and wrong types name the field)."""
        return _from_dict(cls, data or {}, source)
