"""LasrHead: LaSR's language-coupled reasoning head over Arca's sentence representations.

LaSR (Language-coupled Semantic Reasoner) is a small MLP that reads one or two of Arca's
normalised embeddings and predicts task labels (ESCI relevance of a query/product pair, NLI,
single-sentence classification). It is *language-coupled*: a learned language embedding
modulates its hidden layer through FiLM (Perez et al., "FiLM: Visual Reasoning with a General
Conditioning Layer", AAAI 2018), so one shared head can correct language-specific offsets that
survive Arca's alignment, while the bulk of the reasoning stays shared across languages.

Pair features follow InferSent / Sentence-BERT (Conneau et al. 2017; Reimers & Gurevych 2019):
``[u, v, |u - v|, u * v]``; single-sentence tasks read ``u`` alone through their own input layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Literal, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from lira.io import atomic_directory
from lira.languages import UNKNOWN_LANGUAGE, canonical_language, language_vocabulary

if TYPE_CHECKING:
    from lira.config import LasrConfig

HEAD_CONFIG_FILE = "lasr_head.json"
HEAD_WEIGHTS_FILE = "lasr_head.safetensors"
FORMAT = "lira-lasr-head/1"

ESCI_LABELS: list[str] = ["exact", "substitute", "complement", "irrelevant"]
NLI_LABELS: list[str] = ["entailment", "neutral", "contradiction"]
DEFAULT_TASKS: dict[str, list[str]] = {"esci": ESCI_LABELS, "nli": NLI_LABELS}

Unseen = Literal["error", "neutral"]


def _check_tasks(tasks: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    if not tasks:
        raise ValueError("LasrHead needs at least one task, e.g. {'esci': ['exact', 'substitute', 'complement', 'irrelevant']}")
    out: dict[str, list[str]] = {}
    for name, labels in tasks.items():
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"task name {name!r} must be a non-empty string without '.'")
        labels = [str(label) for label in labels]
        if len(labels) < 2:
            raise ValueError(f"task {name!r} needs at least 2 labels, got {labels}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"task {name!r} has duplicate labels: {labels}")
        out[name] = labels
    return out


class LasrHead(nn.Module):
    """A FiLM-conditioned MLP from sentence embeddings to per-task logits.

    ``h = GELU(FiLM_lang(LayerNorm(W_in x)))``, then one more ``GELU(W h)`` layer, then the task's
    own output layer. ``x = [u, v, |u-v|, u*v]`` for pairs (``v`` given), ``x = u`` for single
    sentences. FiLM: ``h * (1 + gamma(e_lang)) + beta(e_lang)``, with gamma/beta from a linear map
    of the language embedding initialised to zero, so an untrained head is language-neutral.

    Language ids use ArcaEncoder's vocabulary (``language_vocabulary()``). Row 0 (``<unk>``, 'not
    given') is fixed at zero (``padding_idx``): it yields FiLM's bias alone, the modulation shared
    by all languages, which is the head's *language-neutral* mode (``unseen="neutral"``).

    The head records the languages and tasks it was trained on (``mark_trained``). At inference
    (``score``/``predict``) a language whose embedding never received a training signal is a
    ``ValueError`` by default: its FiLM parameters are random, so its predictions would be
    silently arbitrary. ``language_aware=False`` drops the language embedding (the ablation);
    then any known language is accepted.

    Example::

        head = LasrHead(dim=384, tasks={"esci": ESCI_LABELS})
        logits = head(u, v, head.language_ids(["th", "th"]), task="esci")   # training
        head.mark_trained(["en", "th"], tasks=["esci"])
        head.predict(u, v, ["th", "th"], task="esci")                      # ['exact', 'irrelevant']
    """

    def __init__(
        self,
        dim: int = 384,
        tasks: Mapping[str, Sequence[str]] | None = None,
        *,
        hidden_dim: int = 256,
        language_embedding_dim: int = 32,
        language_aware: bool = True,
        dropout: float = 0.1,
        languages: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        if dim <= 0 or hidden_dim <= 0:
            raise ValueError(f"dim and hidden_dim must be positive, got {dim}, {hidden_dim}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.dim = dim
        self.hidden_dim = hidden_dim
        self.language_embedding_dim = language_embedding_dim
        self.language_aware = language_aware
        self.dropout_p = dropout
        self.tasks = _check_tasks(DEFAULT_TASKS if tasks is None else tasks)
        self.languages = list(languages) if languages is not None else language_vocabulary()
        if not self.languages or self.languages[0] != UNKNOWN_LANGUAGE:
            raise ValueError(f"languages must start with {UNKNOWN_LANGUAGE!r}")
        self._language_index = {code: i for i, code in enumerate(self.languages)}
        self.trained_languages: set[str] = set()
        self.trained_tasks: set[str] = set()

        self.pair_in = nn.Linear(4 * dim, hidden_dim)
        self.single_in = nn.Linear(dim, hidden_dim)
        self.norm = nn.LayerNorm(hidden_dim)
        if language_aware:
            self.language_embedding: nn.Embedding | None = nn.Embedding(len(self.languages), language_embedding_dim, padding_idx=0)
            self.film: nn.Linear | None = nn.Linear(language_embedding_dim, 2 * hidden_dim)
            nn.init.zeros_(self.film.weight)
            nn.init.zeros_(self.film.bias)
        else:
            self.language_embedding = None
            self.film = None
        self.hidden = nn.Linear(hidden_dim, hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.outputs = nn.ModuleDict({name: nn.Linear(hidden_dim, len(labels)) for name, labels in self.tasks.items()})

    @classmethod
    def from_config(cls, config: "LasrConfig", dim: int) -> "LasrHead":
        return cls(
            dim,
            config.tasks,
            hidden_dim=config.hidden_dim,
            language_embedding_dim=config.language_embedding_dim,
            language_aware=config.language_aware,
            dropout=config.dropout,
        )

    # -- forward ---------------------------------------------------------------------------
    def forward(
        self, u: torch.Tensor, v: torch.Tensor | None = None, language_ids: torch.Tensor | None = None, *, task: str
    ) -> torch.Tensor:
        """Logits ``(B, num_labels(task))``. No checks beyond shapes: the training path.

        ``language_ids`` None means 'not given' (index 0, the language-neutral modulation).
        In training mode dropout is active, so two calls give two dropout views (R-Drop).
        """
        if task not in self.outputs:
            raise ValueError(f"unknown task {task!r}; this head has: {', '.join(self.tasks)}")
        dtype = self.pair_in.weight.dtype
        u = u.to(dtype)
        if u.dim() != 2 or u.size(-1) != self.dim:
            raise ValueError(f"expected u of shape (B, {self.dim}), got {tuple(u.shape)}")
        if v is None:
            h = self.single_in(u)
        else:
            v = v.to(dtype)
            if v.shape != u.shape:
                raise ValueError(f"u and v must have the same shape, got {tuple(u.shape)} and {tuple(v.shape)}")
            h = self.pair_in(torch.cat([u, v, (u - v).abs(), u * v], dim=-1))
        h = self.norm(h)
        if self.film is not None and self.language_embedding is not None:
            if language_ids is None:
                language_ids = torch.zeros(u.size(0), dtype=torch.long, device=u.device)
            gamma, beta = self.film(self.language_embedding(language_ids.to(u.device))).chunk(2, dim=-1)
            h = h * (1.0 + gamma) + beta
        h = self.dropout(F.gelu(h))
        h = self.dropout(F.gelu(self.hidden(h)))
        return self.outputs[task](h)

    # -- languages and labels --------------------------------------------------------------
    def language_id(self, lang: str | None) -> int:
        """Vocabulary index of ``lang`` (None -> 0). Unknown codes raise ``UnknownLanguageError``."""
        if lang is None:
            return 0
        code = canonical_language(lang, where="lang")
        if code not in self._language_index:
            raise ValueError(f"language {code!r} is not in this head's language vocabulary ({', '.join(self.languages[1:])})")
        return self._language_index[code]

    def language_ids(self, langs: Sequence[str | None], *, unseen: Unseen | None = None) -> torch.Tensor:
        """``(B,)`` ids for ``langs``. With ``unseen`` set, languages never trained are checked:

        ``"error"`` raises a ``ValueError`` naming them; ``"neutral"`` maps them to index 0 (the
        language-neutral modulation). ``unseen=None`` (the training path) checks nothing.
        """
        ids = [self.language_id(lang) for lang in langs]
        if unseen is not None and self.language_aware:
            if unseen not in ("error", "neutral"):
                raise ValueError(f"unseen must be 'error' or 'neutral', got {unseen!r}")
            new = sorted({self.languages[i] for i in ids if i != 0 and self.languages[i] not in self.trained_languages})
            if new and unseen == "error":
                trained = ", ".join(sorted(self.trained_languages)) or "none"
                raise ValueError(
                    f"LaSR head was never trained on language(s) {', '.join(map(repr, new))} (trained on: {trained}); "
                    "its language embedding is untrained. Train on that language (few-shot or consistency data), "
                    "or pass unseen='neutral' to use the language-neutral modulation."
                )
            if new:
                ids = [0 if i != 0 and self.languages[i] in new else i for i in ids]
        return torch.tensor(ids, dtype=torch.long, device=self.pair_in.weight.device)

    def mark_trained(self, langs: Iterable[str | None], tasks: Iterable[str] | None = None) -> None:
        """Record that ``langs`` (and ``tasks``, default: all of the head's tasks) received training signal.

        Call it for every language whose ids went through a loss (labelled few-shot data *or* a
        consistency term); ``None`` entries are ignored.
        """
        for lang in langs:
            if lang is not None:
                self.language_id(lang)
                self.trained_languages.add(canonical_language(lang))
        for task in self.tasks if tasks is None else tasks:
            if task not in self.tasks:
                raise ValueError(f"unknown task {task!r}; this head has: {', '.join(self.tasks)}")
            self.trained_tasks.add(task)

    def labels(self, task: str) -> list[str]:
        if task not in self.tasks:
            raise ValueError(f"unknown task {task!r}; this head has: {', '.join(self.tasks)}")
        return list(self.tasks[task])

    def encode_labels(self, task: str, labels: Sequence[str]) -> torch.Tensor:
        """Label names -> ``(B,)`` class ids; an unknown label raises ``ValueError`` naming it and the task."""
        names = self.labels(task)
        index = {name: i for i, name in enumerate(names)}
        bad = sorted({str(label) for label in labels if str(label) not in index})
        if bad:
            raise ValueError(f"unknown label(s) {', '.join(map(repr, bad))} for task {task!r}; its labels are: {', '.join(names)}")
        return torch.tensor([index[str(label)] for label in labels], dtype=torch.long)

    def decode_labels(self, task: str, ids: torch.Tensor | Sequence[int]) -> list[str]:
        names = self.labels(task)
        return [names[int(i)] for i in (ids.tolist() if isinstance(ids, torch.Tensor) else ids)]

    # -- inference -------------------------------------------------------------------------
    def _tensor(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=self.pair_in.weight.dtype, device=self.pair_in.weight.device)

    @torch.no_grad()
    def score(
        self,
        u: torch.Tensor | np.ndarray,
        v: torch.Tensor | np.ndarray | None,
        langs: Sequence[str | None],
        task: str,
        *,
        unseen: Unseen = "error",
    ) -> torch.Tensor:
        """Checked inference logits ``(B, C)`` in eval mode (dropout off); the mode is restored after.

        Raises ``ValueError`` for an unknown task, a task never trained, or (``unseen="error"``)
        a language never trained.
        """
        self.labels(task)
        if task not in self.trained_tasks:
            raise ValueError(f"LaSR head was never trained on task {task!r} (trained: {', '.join(sorted(self.trained_tasks)) or 'none'})")
        u_t = self._tensor(u)
        if len(langs) != u_t.size(0):
            raise ValueError(f"got {len(langs)} languages for {u_t.size(0)} rows")
        ids = self.language_ids(langs, unseen=unseen)
        was_training = self.training
        self.eval()
        try:
            return self(u_t, None if v is None else self._tensor(v), ids, task=task)
        finally:
            self.train(was_training)

    def predict_proba(
        self, u: torch.Tensor | np.ndarray, v: torch.Tensor | np.ndarray | None, langs: Sequence[str | None], task: str, *, unseen: Unseen = "error"
    ) -> torch.Tensor:
        return torch.softmax(self.score(u, v, langs, task, unseen=unseen).float(), dim=-1)

    def predict(
        self, u: torch.Tensor | np.ndarray, v: torch.Tensor | np.ndarray | None, langs: Sequence[str | None], task: str, *, unseen: Unseen = "error"
    ) -> list[str]:
        """Label names, one per row (argmax of ``score``)."""
        return self.decode_labels(task, self.score(u, v, langs, task, unseen=unseen).argmax(dim=-1))

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # -- persistence -----------------------------------------------------------------------
    def config_dict(self) -> dict:
        return {
            "format": FORMAT,
            "dim": self.dim,
            "tasks": self.tasks,
            "hidden_dim": self.hidden_dim,
            "language_embedding_dim": self.language_embedding_dim,
            "language_aware": self.language_aware,
            "dropout": self.dropout_p,
            "languages": self.languages,
            "trained_languages": sorted(self.trained_languages),
            "trained_tasks": sorted(self.trained_tasks),
        }

    def save(self, path: str | Path) -> Path:
        """Write ``lasr_head.safetensors`` + ``lasr_head.json`` into folder ``path`` atomically
        (a temp folder renamed into place: a crash never leaves half a head)."""
        with atomic_directory(path) as tmp:
            save_file({k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}, str(tmp / HEAD_WEIGHTS_FILE))
            (tmp / HEAD_CONFIG_FILE).write_text(json.dumps(self.config_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return Path(path)

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device | None = None) -> "LasrHead":
        path = Path(path)
        meta_path = path / HEAD_CONFIG_FILE
        if not meta_path.exists():
            raise FileNotFoundError(f"{path}: not a LaSR head (no {HEAD_CONFIG_FILE})")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{meta_path}: unsupported format {meta.get('format')!r} (expected {FORMAT!r})")
        head = cls(
            meta["dim"],
            meta["tasks"],
            hidden_dim=meta["hidden_dim"],
            language_embedding_dim=meta["language_embedding_dim"],
            language_aware=meta["language_aware"],
            dropout=meta["dropout"],
            languages=meta["languages"],
        )
        head.load_state_dict(load_file(str(path / HEAD_WEIGHTS_FILE)))
        head.trained_languages = set(meta.get("trained_languages", []))
        head.trained_tasks = set(meta.get("trained_tasks", []))
        return head.to(device or "cpu")
