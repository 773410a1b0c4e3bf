"""Model cards: the ``README.md`` (Hugging Face front matter + prose) of every model LiRA writes.

A saved model should say what it is without its run folder: which student it was trained
from, what its English side is anchored to, on which data under which licence, with which
settings, and what the training run measured. ``ArcaEncoder.save`` writes a card from the
model's own config plus *facts* the caller knows (``train_arca`` passes the whole config and
the dev scores); the facts are also kept in ``arca.json`` (``"card"``) so that ``lira export``
can write the same card, with its own loading snippet, into the exported folder.

Front-matter ``license`` is the base student's licence where LiRA knows it (e5: MIT, MiniLM:
Apache-2.0, Gemma: the Gemma terms), else ``other``; the training data's licence (the shipped
Firefox strings are MPL-2.0) is stated in the card's body.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import yaml

from lira.languages import CORE_LANGUAGES, LANGUAGES

CARD_FILE = "README.md"

# offline alias -> (hub id of the upstream model, licence id for the front matter)
KNOWN_BASES: dict[str, tuple[str, str]] = {
    "offline:multilingual-e5-small": ("intfloat/multilingual-e5-small", "mit"),
    "offline:all-minilm-l6-v2": ("sentence-transformers/all-MiniLM-L6-v2", "apache-2.0"),
    "offline:gemma-3-270m": ("google/gemma-3-270m", "gemma"),
    "intfloat/multilingual-e5-small": ("intfloat/multilingual-e5-small", "mit"),
    "sentence-transformers/all-MiniLM-L6-v2": ("sentence-transformers/all-MiniLM-L6-v2", "apache-2.0"),
    "google/gemma-3-270m": ("google/gemma-3-270m", "gemma"),
}
GEMMA_NOTICE = (
    "**Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms.** "
    "This model is a Model Derivative of Gemma: the terms, including the use restrictions of the Gemma "
    "Prohibited Use Policy (ai.google.dev/gemma/prohibited_use_policy), apply to it and to anyone you pass it to; "
    "keep `GEMMA_TERMS.html` and `NOTICE` with every copy. Modified: fine-tuned by LiRA (Arca anchoring)."
)
SHIPPED_DATA = (
    "the parallel corpus shipped with LiRA: human translations of the Mozilla Firefox user interface, "
    "English <-> X, from Debian's Firefox ESR packages; licence **MPL-2.0** (Mozilla Foundation and the "
    "Mozilla localisation communities; see `lira/resources/parallel/SOURCES.md`)"
)
SHIPPED_OOD_DEV = (
    "the out-of-domain dev pairs shipped with LiRA (Debian gettext catalogs of Cinnamon, MATE, Xfce and Debian tools, "
    "each under its project's licence, GPL/LGPL family; see `lira/resources/gettext/SOURCES.md`), for model selection only"
)


def is_gemma(student: str | None, student_dir: Path | None = None) -> bool:
    """A Gemma student: by name, or by the Gemma terms LiRA carries into its folder."""
    if student and "gemma" in student.lower():
        return True
    return student_dir is not None and (student_dir / "GEMMA_TERMS.html").is_file()


def base_model(student: str | None) -> tuple[str | None, str]:
    """(hub id for ``base_model``, licence id) of a student name; a local folder has no hub id."""
    if not student:
        return None, "other"
    if student in KNOWN_BASES:
        return KNOWN_BASES[student]
    if "gemma" in student.lower():
        return (student if _looks_like_hub_id(student) else None), "gemma"
    return (student if _looks_like_hub_id(student) else None), "other"


def _looks_like_hub_id(name: str) -> bool:
    return name.count("/") == 1 and not name.startswith((".", "/", "~")) and not Path(name).exists() and ":" not in name


def _anchor(teacher: str | None) -> str:
    if teacher in (None, "self"):
        return "`self`: the student's own frozen encoding of the English translation (the student before training, kept fixed)"
    return f"`{teacher}`: a separate frozen English sentence encoder"


def _data(config: Mapping[str, Any]) -> list[str]:
    data = config.get("data") or {}
    lines = [f"- training pairs: {SHIPPED_DATA}" if not data.get("train") else f"- training pairs: `{data['train']}` (licence: as its source states)"]
    lines.append("- in-domain dev pairs: " + ("the shipped corpus's dev split (same source and licence)" if not data.get("dev") else f"`{data['dev']}`"))
    ood = data.get("ood_dev")
    lines.append("- out-of-domain dev pairs: " + (SHIPPED_OOD_DEV if ood is None else ", ".join(f"`{p}`" for p in ood) or "none"))
    if (config.get("arca") or {}).get("retrieval_weight"):
        where = f"`{data['retrieval']}`" if data.get("retrieval") else "LiRA's product data set (default build)"
        lines.append(f"- retrieval queries and titles: the train split of {where}, generated from package-sourced lexicons "
                     "(CLDR, GTK, LibreOffice, iso-codes, Firefox; each under its own licence, see the data set's card)")
    return lines


def _scores(dev: Mapping[str, Mapping[str, float]] | None, selected_step: int | None) -> list[str]:
    if not dev:
        return ["No scores were recorded with this model (it was saved outside a training run, or dev evaluation was off)."]
    columns = [c for c in ("start", "selected", "end") if dev.get(c)]
    keys = sorted({k for c in columns for k in dev[c] if k in ("dev_score", "english/knn10_kept") or "/mean/" in k}, key=lambda k: (k != "dev_score", k))
    header = {"start": "untrained student", "selected": "this model" + (f" (step {selected_step})" if selected_step is not None else ""), "end": "last step"}
    lines = [
        "Measured by the training run on its dev sets (`lira.eval.dev`: bitext retrieval accuracy@1, "
        "x->en and en->x; `dev_score` is what model selection maximised):",
        "",
        "| metric | " + " | ".join(header[c] for c in columns) + " |",
        "| --- | " + " | ".join("---:" for _ in columns) + " |",
    ]
    for key in keys:
        cells = [dev[c].get(key) for c in columns]
        lines.append(f"| {key} | " + " | ".join("" if v is None else f"{v:.4f}" for v in cells) + " |")
    return lines


def _test_scores(test: Mapping[str, Mapping[str, float]] | None) -> list[str]:
    """``{"Tatoeba": {"untrained x->en": .., "this model x->en": .., ...}, ...}``: test sets scored
    after training (``lira demo`` adds the Firefox test sample and Tatoeba)."""
    if not test:
        return []
    columns = list(dict.fromkeys(k for row in test.values() for k in row))
    lines = ["", "Test sets scored after training (bitext accuracy@1; reported, never used for a choice):", "",
             "| test set | " + " | ".join(columns) + " |", "| --- | " + " | ".join("---:" for _ in columns) + " |"]
    for name, row in test.items():
        lines.append(f"| {name} | " + " | ".join("" if row.get(c) is None else f"{row[c]:.4f}" for c in columns) + " |")
    return lines


def render_card(
    model_config: Mapping[str, Any],
    facts: Mapping[str, Any] | None = None,
    *,
    student_dir: Path | None = None,
    export: str | None = None,
    export_lang: str | None = None,
) -> str:
    """The card's text. ``model_config``: ``arca.json``'s ``model`` section; ``facts``: what the
    caller adds (``config``: the whole LiRA config as a dict, ``dev``: ``TrainResult.dev``,
    ``selected_step``, ``languages``); ``export``: ``"plain"`` or ``"arca-module"`` for a folder
    written by ``lira export``, None for a LiRA model folder."""
    facts = dict(facts or {})
    # the model's own settings (arca.json) win over a run config's model section: they are what was saved
    config = {**(facts.get("config") or {}), "model": dict(model_config)}
    model = config["model"]
    student, teacher = model.get("student"), model.get("teacher")
    hub_id, licence = base_model(student)
    gemma = is_gemma(student, student_dir)
    if gemma:
        licence = "gemma"
    trained = list(facts.get("languages") or (config.get("data") or {}).get("languages") or CORE_LANGUAGES)
    languages = ["en", *[lang for lang in trained if lang != "en"]]
    front: dict[str, Any] = {
        "language": languages,
        "license": licence,
        "library_name": "sentence-transformers",
        "tags": ["sentence-transformers", "sentence-similarity", "feature-extraction", "lira", "cross-lingual", "low-resource"],
        "pipeline_tag": "sentence-similarity",
    }
    if hub_id:
        front["base_model"] = hub_id
    agents = list(model.get("agents") or ["transformer"])
    names = ", ".join(f"{LANGUAGES[c].name} (`{c}`)" for c in trained if c in LANGUAGES)
    out = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(), "---", "", "# LiRA sentence encoder", ""]
    arca = config.get("arca") or {}
    anchored = (arca.get("anchor_weight") or 0) > 0 or (arca.get("geometry_weight") or 0) > 0
    term_keys = (("anchor", "anchor_weight"), ("contrastive", "contrastive_weight"), ("geometry", "geometry_weight"), ("retrieval", "retrieval_weight"),
                 ("noise anchor", "noise_anchor_weight"), ("noise consistency", "noise_consistency_weight"))
    terms = ", ".join(f"{name} {arca[key]:g}" for name, key in term_keys if arca.get(key))
    if arca.get("retrieval_weight") and arca.get("retrieval_query_noise"):
        from lira.data.training_noise import training_noise_level

        at = f" at level {training_noise_level(arca.get('retrieval_query_noise_level'), arca.get('noise_level')):g}"
        terms = terms.replace(f"retrieval {arca['retrieval_weight']:g}", f"retrieval {arca['retrieval_weight']:g} ({arca['retrieval_query_noise']:.0%} of its low-resource queries noised{at})", 1)
    out += [
        "A multilingual sentence encoder whose low-resource languages were aligned with English by LiRA (Arca): "
        "each training pair (an English sentence and its human translation) is brought to the same point.",
        "",
        f"- base student: `{student}`" + (f" ([{hub_id}](https://huggingface.co/{hub_id}))" if hub_id else ""),
        f"- Arca terms: {terms or 'as configured below'}",
        f"- English anchor (teacher): {_anchor(teacher)}" + ("" if anchored else " (read by no term of this model's objective: the contrastive term aligns the student with itself)"),
        f"- languages trained: {names}; English is the anchor",
        f"- agents: {', '.join(agents)}" + (" (the fused output is the L2-normalised transformer output)" if agents == ["transformer"] else " fused by a language-aware gate"),
        f"- prompt: `{model.get('prompt_name')}` by default (the student's prompt of that name goes before each text)",
    ]
    if export == "plain" and agents != ["transformer"]:
        out.append("- exported with the transformer alone (`lira export --transformer-only`): the agents beyond it and the gate are "
                   "left out, so these vectors are the trained transformer's own (`ArcaEncoder.fusing_only([\"transformer\"])`), "
                   "not the fused ones the scores below describe")
    wise = facts.get("interpolation")
    if wise and wise.get("members"):
        out.append(f"- weights: the uniform average of {len(wise['members'])} trained models of one start (`{wise['start']}`, seed {wise['seed']}): "
                   + ", ".join(f"`{m}`" for m in wise["members"]) + f"; {wise['method']}, members chosen on {wise.get('dev_score', 'the dev score')}")
    elif wise:
        partner = (f"the trained model `{wise['other']}` (same start: `{wise['start']}`, seed {wise['seed']})" if wise.get("other")
                   else f"its start (`{wise['start']}`, seed {wise['seed']})")
        out.append(f"- weights: {wise['alpha']:g} x the trained model `{wise['source']}` + {1 - wise['alpha']:g} x {partner}: {wise['method']}"
                   + (f", alpha chosen on {wise.get('dev_score', 'the dev score')} over " + ", ".join(wise["dev_curve"]) if wise.get("dev_curve") else ""))
    if gemma:
        out += ["", "## Licence: Gemma Terms of Use", "", GEMMA_NOTICE]
    out += ["", "## Training data", "", *_data(config)]
    out += ["", "## Scores", "", *_scores(facts.get("dev"), facts.get("selected_step")), *_test_scores(facts.get("test"))]
    out += ["", "## Use", "", *_usage(export, export_lang, agents)]
    out += ["", "## Configuration", "", "```yaml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip(), "```", ""]
    return "\n".join(out)


def _usage(export: str | None, export_lang: str | None, agents: list[str]) -> list[str]:
    st = ["```python", "from sentence_transformers import SentenceTransformer", ""]
    if export is None:
        return [
            "With LiRA (`pip install lira`), from this folder:", "",
            "```python", "from lira.arca.model import ArcaEncoder", "",
            'model = ArcaEncoder.load("PATH")',
            'vectors = model.encode(["Mở cửa sổ mới.", "Open a new window."])  # lang=None: identified per text', "```", "",
            "For plain sentence-transformers, export it first: `lira export PATH OUT`.",
        ]
    if export == "plain":
        return ["With sentence-transformers (no LiRA needed):", "", *st, 'model = SentenceTransformer("PATH")',
                'vectors = model.encode(["Mở cửa sổ mới.", "Open a new window."])  # normalised, "query" prompt by default', "```"]
    how = f"the gate's language is fixed to `{export_lang}`" if export_lang else "each text's language is identified (`lira.langid`)"
    return [f"With sentence-transformers; the folder's module runs LiRA's agents and gate ({how}), so the `lira` package must be installed:",
            "", *st, 'model = SentenceTransformer("PATH", trust_remote_code=True)', 'vectors = model.encode(["Mở cửa sổ mới.", "Open a new window."])', "```"]


def write_card(folder: str | Path, model_config: Mapping[str, Any], facts: Mapping[str, Any] | None = None, **kwargs: Any) -> Path:
    folder = Path(folder)
    path = folder / CARD_FILE
    kwargs.setdefault("student_dir", folder / "student")
    path.write_text(render_card(model_config, facts, **kwargs), encoding="utf-8")
    return path


def update_card(model_dir: str | Path, **facts: Any) -> Path:
    """Add ``facts`` to a saved model's card (``arca.json``'s ``card`` and ``README.md``), e.g. the
    dev scores that training knows only once the kept model is settled."""
    from lira.arca.model import ARCA_CONFIG_FILE, read_model_meta

    model_dir = Path(model_dir)
    meta_path = model_dir / ARCA_CONFIG_FILE
    meta = read_model_meta(model_dir)
    meta["card"] = {**meta.get("card", {}), **{k: v for k, v in facts.items() if v is not None}}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return write_card(model_dir, meta["model"], meta["card"])
