"""ArcaEncoder: the student, its extra agents and the language-aware fusion, as one model."""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from sentence_transformers import SentenceTransformer
from torch import nn
from tqdm.auto import tqdm

from lira.arca.agents import AGENT_NAMES, CharNgramAgent, EncodingAgent, RomanizedAgent, TransformerAgent
from lira.arca.agents.transformer import position_limit
from lira.arca.fusion import LanguageAwareFusion
from lira.config import ModelConfig
from lira.io import atomic_directory
from lira.languages import canonical_language, language_vocabulary
from lira.models.device import default_device
from lira.models.fingerprint import describe, sentence_transformer_settings, weights_digest

ARCA_FORMAT = "lira-arca/1"
ARCA_CONFIG_FILE = "arca.json"
ARCA_WEIGHTS_FILE = "arca_modules.safetensors"
STUDENT_DIR = "student"

logger = logging.getLogger(__name__)


class ArcaEncoder(nn.Module):
    """Anchored multi-agent encoder.

    ``agents`` always starts with the transformer student; ``char_ngram`` and ``romanized`` add
    noise-robust views. ``encode`` follows sentence-transformers (texts in, normalised numpy
    rows out) with a ``lang`` argument for the fusion gate, so every LiRA evaluator and MTEB-style
    caller can use it. ``save``/``load`` keep the student as a plain sentence-transformers folder
    (usable on its own) plus LiRA's extra modules beside it.
    """

    def __init__(self, student: SentenceTransformer, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        names = list(self.config.agents)
        if not names or names[0] != "transformer":
            raise ValueError(f"model.agents must start with 'transformer', got {names}")
        unknown = [n for n in names if n not in AGENT_NAMES]
        if unknown:
            raise ValueError(f"model.agents: unknown agent(s) {unknown}; choose from {list(AGENT_NAMES)}")
        positions = position_limit(student)
        if self.config.encode_max_seq_length and positions and self.config.encode_max_seq_length > positions:
            raise ValueError(f"model.encode_max_seq_length={self.config.encode_max_seq_length}, but the student can position only {positions} tokens")
        transformer = TransformerAgent(student, self.config.max_seq_length, self.config.pad_to_multiple_of)
        dim = transformer.dim
        agents: list[EncodingAgent] = [transformer]
        for name in names[1:]:
            cls = CharNgramAgent if name == "char_ngram" else RomanizedAgent
            agents.append(
                cls(dim, buckets=self.config.char_ngram_buckets, ngram_dim=self.config.char_ngram_dim, orders=self.config.char_ngram_orders)
            )
        self.agents = nn.ModuleList(agents)
        self._fused_agents: tuple[str, ...] | None = None
        """Set by :meth:`fusing_only`: the agents fused (None: all)."""
        self.card_facts: dict[str, Any] = {}
        """What the model card (lira.model_card) says beyond the config: the run's whole config, dev
        scores, ... Kept in arca.json, so a model loaded and saved again keeps its card."""
        self.languages = language_vocabulary()
        self.fusion = LanguageAwareFusion(
            len(agents),
            dim,
            num_languages=len(self.languages),
            language_dim=self.config.language_embedding_dim,
            language_aware=self.config.language_aware_fusion,
        )
        if self.config.freeze_word_embeddings:
            transformer.freeze_word_embeddings()
        if self.config.trainable_top_layers is not None:
            transformer.freeze_below_top_layers(self.config.trainable_top_layers, dropout=bool(self.config.frozen_dropout))

    # -- structure -------------------------------------------------------------------------
    @property
    def transformer(self) -> TransformerAgent:
        return self.agents[0]  # type: ignore[return-value]

    @property
    def dim(self) -> int:
        return self.transformer.dim

    @property
    def encode_max_seq_length(self) -> int | None:
        """Where ``encode`` cuts texts: ``model.encode_max_seq_length``, else the student's own limit
        (512 for e5-small), whatever length training used."""
        return self.config.encode_max_seq_length or self.transformer.native_max_seq_length

    @property
    def uses_language(self) -> bool:
        """Whether the output depends on the input's language (several agents, and a language-aware
        gate or English on the transformer alone)."""
        return self.fusion.num_agents > 1 and (self.fusion.language_embedding is not None or bool(self.config.english_transformer_only))

    def language_id(self, lang: str | None) -> int:
        if lang is None:
            return 0
        return self.languages.index(canonical_language(lang, where="lang"))

    def new_parameters(self) -> list[nn.Parameter]:
        """Parameters initialised by LiRA (agents beyond the transformer, fusion): they get the head learning rate."""
        params = [p for agent in list(self.agents)[1:] for p in agent.parameters()]
        return self.transformer.new_parameters() + params + list(self.fusion.parameters())

    # -- forward ---------------------------------------------------------------------------
    def prepare(self, texts: Sequence[str], langs: Sequence[str | None], prompt_name: str | None = None, *, prompt: str | None = None) -> dict[str, Any]:
        """Tokenise/hash on CPU. Returns ``{agent_name: features, 'language_ids': tensor}``.

        The prompt (``prompt`` itself, else the one named ``prompt_name`` or ``model.prompt_name``)
        goes before each text for the transformer only: the character agents see the bare text.
        """
        if prompt is None:
            prompt = self.transformer.prompt(prompt_name or self.config.prompt_name)
        batch: dict[str, Any] = {"transformer": self.transformer.prepare(texts, prompt)}
        for agent in list(self.agents)[1:]:
            batch[agent.name] = agent.prepare(texts)
        batch["language_ids"] = torch.tensor([self.language_id(lang) for lang in langs], dtype=torch.long)
        return batch

    def forward(self, batch: dict[str, Any], with_transformer: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The fused vectors; ``with_transformer``: also the transformer agent's own vectors (before
        the fusion), which ``arca.transformer_contrastive_weight`` trains directly (through the
        wrapper's forward, so data-parallel training syncs their gradients too)."""
        outputs = [agent(batch[agent.name]) for agent in self.agents]
        fused = self.fusion(outputs, batch["language_ids"], self._agent_keep_mask(outputs[0], batch["language_ids"]))
        return (fused, outputs[0]) if with_transformer else fused

    @contextlib.contextmanager
    def fusing_only(self, agents: Sequence[str]) -> Iterator["ArcaEncoder"]:
        """Within the block, fuse only the named agents (the transformer among them), the gate
        renormalised over them: e.g. ``fusing_only(["transformer"])`` scores the student inside a
        trained model without its character views (``scripts/agent_views.py``). The model's
        fingerprint names the agents fused, so no cache mixes the two."""
        names = list(agents)
        known = [agent.name for agent in self.agents]
        unknown = [n for n in names if n not in known]
        if unknown or "transformer" not in names:
            raise ValueError(f"fusing_only: expected the transformer and any of this model's agents {known}, got {names}")
        previous = self._fused_agents
        self._fused_agents = tuple(n for n in known if n in names)
        try:
            yield self
        finally:
            self._fused_agents = previous

    def _agent_keep_mask(self, primary: torch.Tensor, language_ids: torch.Tensor | None = None) -> torch.Tensor | None:
        """Which agents each row fuses; None: all. Inside :meth:`fusing_only`, its agents. Agent
        dropout (``model.agent_dropout``, training only): each row keeps the transformer and each
        other agent with probability ``1 - p``, drawn from torch's RNG (checkpointed with the run).
        ``model.english_transformer_only``: English rows keep the transformer alone."""
        if self._fused_agents is not None:
            keep = self._fusing_only_mask(primary)
        else:
            p = self.config.agent_dropout or 0.0
            keep = None
            if self.training and p > 0 and len(self.agents) > 1:
                keep = torch.rand(primary.shape[0], len(self.agents), device=primary.device) >= p
                keep[:, 0] = True
        if self.config.english_transformer_only and language_ids is not None and len(self.agents) > 1:
            english = (language_ids == self.languages.index("en")).to(primary.device)
            views = ~english[:, None].expand(-1, len(self.agents)).clone()
            views[:, 0] = True
            keep = views if keep is None else keep & views
        return keep

    def _fusing_only_mask(self, primary: torch.Tensor) -> torch.Tensor:
        """:meth:`fusing_only`'s agents as a ``(B, K)`` keep mask, the same for every row."""
        row = torch.tensor([agent.name in self._fused_agents for agent in self.agents], device=primary.device)
        return row.expand(primary.shape[0], -1)

    def gate_weights(self, batch: dict[str, Any]) -> torch.Tensor:
        """The gate's weights per row as the model encodes: inside :meth:`fusing_only` over its
        agents, English rows on the transformer alone with ``model.english_transformer_only``
        (never agent dropout's draw)."""
        was_training = self.training
        self.eval()  # the weights the model encodes with: no dropout, never agent dropout's draw
        try:
            outputs = [agent(batch[agent.name]) for agent in self.agents]
            keep = self._agent_keep_mask(outputs[0], batch["language_ids"])
            return self.fusion.weights(outputs, batch["language_ids"], keep)
        finally:
            self.train(was_training)

    # -- inference -------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.transformer.parameters()).device

    @torch.inference_mode()
    def encode(
        self,
        sentences: Sequence[str],
        *,
        lang: str | Sequence[str | None] | None = None,
        prompt_name: str | None = None,
        batch_size: int = 64,
        show_progress_bar: bool = False,
        **_: Any,
    ) -> np.ndarray:
        """Encode ``sentences`` to L2-normalised float32 rows (length-sorted batches, order restored).

        ``lang``: one language for all, one per sentence, or None. A sentence whose language is
        None is routed by :func:`lira.langid.identify` (script, then character n-grams) to its
        language's trained gate row: the gate never saw row 0 ("not given") in training. Only
        a text with no letters keeps row 0. A one-agent model ignores languages altogether.
        Texts longer than ``encode_max_seq_length`` tokens are cut there; how many were is logged
        once per call.
        """
        sentences = list(sentences)
        langs = list(lang) if isinstance(lang, (list, tuple)) else [lang] * len(sentences)
        if len(langs) != len(sentences):
            raise ValueError(f"got {len(langs)} languages for {len(sentences)} sentences")
        if self.uses_language and None in langs:
            from lira.langid import fill_languages

            langs = fill_languages(sentences, langs)
        was_training = self.training
        self.eval()
        order = np.argsort([-len(s) for s in sentences], kind="stable")
        out = np.zeros((len(sentences), self.dim), dtype=np.float32)
        device = self.device
        starts = range(0, len(sentences), batch_size)
        prompt = self.transformer.prompt(prompt_name or self.config.prompt_name)
        cut: list[int] = []
        with self.transformer.length_limit(self.encode_max_seq_length):
            for start in tqdm(starts, desc="encode", disable=not show_progress_bar, leave=False):
                idx = order[start : start + batch_size]
                texts = [sentences[i] for i in idx]
                batch = self.prepare(texts, [langs[i] for i in idx], prompt_name)
                cut += self.transformer.cut_lengths(batch["transformer"], texts, prompt)
                out[idx] = self(move_to_device(batch, device)).float().cpu().numpy()
        self.train(was_training)
        if cut:
            logger.warning(
                "encode: %d of %d texts were longer than %d tokens (the longest %d) and were cut to %d (model.encode_max_seq_length)",
                len(cut), len(sentences), self.encode_max_seq_length, max(cut), self.encode_max_seq_length,
            )
        return out

    def fingerprint(self) -> dict[str, Any]:
        """What decides this model's vectors (``lira.models.fingerprint``): every weight (student,
        agents, fusion), the student's prompts, pooling and length, and the agents' settings. The
        output is always normalised, whatever the student's own modules say."""
        settings = {
            **sentence_transformer_settings(self.transformer.model),
            "encoder": "ArcaEncoder",
            "arca_format": ARCA_FORMAT,
            "normalize": True,
            "max_seq_length": self.encode_max_seq_length,
            "prompt_name": self.config.prompt_name,
            "agents": list(self.config.agents),
            "char_ngram_orders": list(self.config.char_ngram_orders),
            "language_aware_fusion": self.config.language_aware_fusion,
        }
        if self.config.english_transformer_only:
            settings["english_transformer_only"] = True
        if self._fused_agents is not None:
            settings["fused_agents"] = list(self._fused_agents)
        return describe(settings, weights_digest(self))

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path, card: dict[str, Any] | None = None) -> Path:
        """Write the model atomically: a temp folder renamed into place, with a model card
        (``README.md``, :mod:`lira.model_card`) from the config plus ``card`` facts (default: the
        model's ``card_facts``). The encoding length is recorded (resolved) in ``arca.json`` and is
        the student folder's own, so the model encodes full texts after loading, not the training length."""
        from lira.model_card import write_card

        facts = dict(self.card_facts if card is None else card)
        with atomic_directory(path) as tmp, self.transformer.length_limit(self.encode_max_seq_length):
            self.transformer.model.save(str(tmp / STUDENT_DIR))
            extra = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items() if not k.startswith("agents.0.")}
            save_file(extra, str(tmp / ARCA_WEIGHTS_FILE))
            model = {**vars(self.config), "encode_max_seq_length": self.encode_max_seq_length}
            meta = {"format": ARCA_FORMAT, "model": model, "languages": self.languages, "card": facts}
            (tmp / ARCA_CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            write_card(tmp, meta["model"], facts)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> "ArcaEncoder":
        path = Path(path)
        meta = read_model_meta(path)
        config = ModelConfig(**meta["model"])
        device = default_device(device)
        student = SentenceTransformer(str(path / STUDENT_DIR), device=device)
        if config.encode_max_seq_length is None:
            # Saved before the encoding length was recorded: the student folder holds the training
            # length (the demo's 64), so encode up to what the backbone can position instead.
            config.encode_max_seq_length = position_limit(student)
        model = cls(student, config)
        model.card_facts = dict(meta.get("card") or {})
        missing, unexpected = model.load_state_dict(load_file(str(path / ARCA_WEIGHTS_FILE)), strict=False)
        bad_missing = [k for k in missing if not k.startswith("agents.0.")]
        if bad_missing or unexpected:
            raise ValueError(f"{path / ARCA_WEIGHTS_FILE}: weights do not match the config (missing {bad_missing}, unexpected {unexpected})")
        return model.to(device)

    @classmethod
    def from_student(cls, name: str, config: ModelConfig | None = None, device: str | None = None) -> "ArcaEncoder":
        """A fresh Arca model around a student (offline alias, folder or hub id), built by
        :func:`lira.models.backbone.build_student` from ``config`` (pooling, LoRA, dtype, ...)."""
        from lira.models.loading import load_sentence_transformer

        config = config or ModelConfig()
        device = default_device(device)
        return cls(load_sentence_transformer(name, device=device, model_config=config), config).to(device)


def read_model_meta(model_dir: str | Path) -> dict[str, Any]:
    """A saved model's ``arca.json``: its model settings (``model``) and card (``card``), read
    without loading any weights; a folder without one, or with a broken one, is named in the error."""
    meta_path = Path(model_dir) / ARCA_CONFIG_FILE
    if not meta_path.exists():
        raise FileNotFoundError(f"{model_dir}: not a LiRA Arca model (no {ARCA_CONFIG_FILE}); use ArcaEncoder.from_student for a plain model")
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{meta_path}: not valid JSON (line {err.lineno}: {err.msg})") from err


def move_to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to_device(v, device) for k, v in batch.items()}
    return batch


class SentenceTransformerEncoder:
    """Adapts a plain SentenceTransformer to LiRA's ``Encoder`` protocol (teacher, baselines)."""

    def __init__(self, model: SentenceTransformer, prompt_name: str | None = None) -> None:
        self.model = model
        self.default_prompt_name = prompt_name

    def encode(self, sentences: Sequence[str], *, lang: Any = None, prompt_name: str | None = None, batch_size: int = 64, show_progress_bar: bool = False, **_: Any) -> np.ndarray:
        name = prompt_name or self.default_prompt_name
        if name is not None and name not in self.model.prompts:
            name = None
        emb = self.model.encode(
            list(sentences), prompt_name=name, batch_size=batch_size, show_progress_bar=show_progress_bar, convert_to_numpy=True, normalize_embeddings=True
        )
        return emb.astype(np.float32)
