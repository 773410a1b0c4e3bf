"""``lira export``: a trained LiRA model as a folder that plain sentence-transformers loads.

Two cases, chosen from the model's ``arca.json``:

* **transformer alone** (``model.agents: [transformer]``): the fused output
  is the L2-normalised student output, so the export is the student folder plus a ``Normalize``
  module, with ``default_prompt_name`` set to the prompt LiRA encodes with (``model.prompt_name``,
  e5's "query"). ``SentenceTransformer(out)`` needs nothing from LiRA.
* **several agents** (the default recipe: character views, language-aware gate): no stock module computes hashed
  n-gram bags and a gate, so the folder holds one custom module, :class:`ArcaModule`, that runs
  the whole ArcaEncoder. Loading it imports ``lira`` (which must be installed) and, as
  sentence-transformers >= 6 asks for any class outside its own package, needs
  ``SentenceTransformer(out, trust_remote_code=True)``. The gate's language is fixed at export
  (``lang=``) or, by default, identified per text (:mod:`lira.langid`), as ``ArcaEncoder.encode``
  does with ``lang=None``. The prompt goes to the transformer only, as in LiRA.

Either way ``SentenceTransformer(out).encode(texts)`` gives ``ArcaEncoder.load(model).encode(texts)``
(tests/test_export.py checks cosine >= 0.9999 in every core language).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Sequence

from sentence_transformers import SentenceTransformer

from lira.arca.model import STUDENT_DIR, ArcaEncoder, move_to_device
from lira.io import atomic_directory
from lira.langid import fill_languages
from lira.languages import canonical_language
from lira.model_card import write_card
from lira.models.backbone import LICENSE_FILES

try:  # sentence-transformers >= 6
    from sentence_transformers.base.modules import InputModule
    from sentence_transformers.sentence_transformer.modules import Normalize
except ImportError:  # pragma: no cover - older releases
    from sentence_transformers.models import InputModule, Normalize


class ArcaModule(InputModule):
    """A whole ArcaEncoder (student, character agents, gate) as one sentence-transformers module.

    ``preprocess`` receives the texts and the prompt separately (sentence-transformers >= 6), so
    the prompt reaches the transformer and not the character agents, exactly as in
    ``ArcaEncoder.prepare``. ``lang``: the gate's language for every text; None identifies it per text.
    """

    config_file_name = "lira_module.json"
    config_keys = ["lang"]
    save_in_root = False

    def __init__(self, encoder: ArcaEncoder, lang: str | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.lang = canonical_language(lang, where="lang") if lang else None

    @property
    def tokenizer(self) -> Any:
        return self.encoder.transformer.model.tokenizer

    @property
    def max_seq_length(self) -> int | None:
        return self.encoder.transformer.model.max_seq_length

    def get_embedding_dimension(self) -> int:
        return self.encoder.dim

    def preprocess(self, inputs: Sequence[str], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        texts = [str(t) for t in inputs]
        langs = fill_languages(texts, self.lang) if self.encoder.uses_language else [self.lang] * len(texts)
        return self.encoder.prepare(texts, langs, prompt=prompt or "")

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        batch = {k: v for k, v in features.items() if k not in ("sentence_embedding",)}
        features["sentence_embedding"] = self.encoder(move_to_device(batch, self.encoder.device))
        return features

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        self.encoder.save(output_path)
        self.save_config(output_path)

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", token: bool | str | None = None, cache_folder: str | None = None,
             revision: str | None = None, local_files_only: bool = False, **kwargs: Any) -> "ArcaModule":
        hub = {"token": token, "cache_folder": cache_folder, "revision": revision, "local_files_only": local_files_only}
        path = cls.load_dir_path(model_name_or_path, subfolder=subfolder, **hub)
        config = cls.load_config(model_name_or_path, subfolder=subfolder, **hub)
        return cls(ArcaEncoder.load(path, device="cpu"), lang=config.get("lang"))


def export_kind(model: ArcaEncoder) -> str:
    """``"plain"`` (student + Normalize) for a transformer-alone model, ``"arca-module"`` otherwise."""
    return "plain" if model.fusion.num_agents == 1 else "arca-module"


def exported_kind(out_dir: str | Path) -> str:
    """What :func:`export_sentence_transformers` wrote in ``out_dir`` (see :func:`export_kind`)."""
    modules = json.loads((Path(out_dir) / "modules.json").read_text(encoding="utf-8"))
    return "arca-module" if any(m["type"].endswith(".ArcaModule") for m in modules) else "plain"


def _prompt_name(model: ArcaEncoder) -> str | None:
    """The prompt name ArcaEncoder.encode uses by default, if the student defines it."""
    student = model.transformer.model
    name = model.config.prompt_name or student.default_prompt_name
    return name if name and name in student.prompts else None


def export_sentence_transformers(model_dir: str | Path, out_dir: str | Path, *, lang: str | None = None, transformer_only: bool = False) -> Path:
    """Write ``out_dir``: a sentence-transformers folder that encodes like ``ArcaEncoder.load(model_dir)``.

    A transformer-alone model becomes a plain folder (student + ``Normalize``); a multi-agent one
    an :class:`ArcaModule` folder (load with ``trust_remote_code=True``), its gate language fixed
    to ``lang`` or identified per text when ``lang`` is None. ``lang`` is refused for a
    transformer-alone model, where it would change nothing. ``transformer_only``: a multi-agent model
    is written as the plain folder of its transformer alone, leaving the character views and the
    gate out (what ``ArcaEncoder.fusing_only(["transformer"])`` encodes: in the generalization study
    a little better on conversational sentences, worse on software strings; docs/GENERALIZATION.md).
    The folder gets the model's card
    (``README.md``, :mod:`lira.model_card`) with a sentence-transformers snippet, and the
    student's licence files (Gemma's terms and ``NOTICE``).
    """
    model = ArcaEncoder.load(model_dir, device="cpu").eval()
    student = model.transformer.model
    kind = "plain" if transformer_only else export_kind(model)
    if kind == "plain" and lang:
        raise ValueError("--lang only applies to a multi-agent model: this one is the transformer alone, whose output does not depend on the language")
    if kind == "plain":
        modules = list(student)
        if not isinstance(modules[-1], Normalize):
            modules.append(Normalize())
    else:
        modules = [ArcaModule(model, lang=lang)]
    exported = SentenceTransformer(modules=modules, device="cpu", prompts=dict(student.prompts), default_prompt_name=_prompt_name(model))
    student_dir = Path(model_dir) / STUDENT_DIR
    with atomic_directory(out_dir) as tmp:
        exported.save(str(tmp), create_model_card=False)
        # licence files (the Gemma terms and NOTICE) travel with every copy of the weights
        for name in LICENSE_FILES:
            if (student_dir / name).is_file():
                shutil.copyfile(student_dir / name, tmp / name)
        write_card(tmp, vars(model.config), model.card_facts, student_dir=student_dir, export=kind, export_lang=lang)
    return Path(out_dir)
