"""The language identifier and ``lang=None`` routing at encode time (ArcaEncoder, index, CLI)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from lira.arca.model import ArcaEncoder
from lira.config import ModelConfig
from lira.langid import dominant_script, identify
from lira.languages import CORE_LANGUAGES
from tests.conftest import TINY_CORPUS

MULTI = ["transformer", "char_ngram", "romanized"]


def trained_like(student: str, seed: int = 0) -> ArcaEncoder:
    """A multi-agent model whose gate and agents are no longer at their neutral start, so the
    language row changes the output (as after training)."""
    torch.manual_seed(seed)
    model = ArcaEncoder.from_student(student, ModelConfig(agents=MULTI), device="cpu")
    with torch.no_grad():
        for agent in list(model.agents)[1:]:
            agent.proj.weight.normal_(std=0.5)
        # the gate reads mostly the language (logits ~ N(0, 1.7) per language), not saturated
        gate = model.fusion.gate.weight
        gate[:, : -model.fusion.language_embedding.embedding_dim].normal_(std=0.05)
        gate[:, -model.fusion.language_embedding.embedding_dim :].normal_(std=0.3)
        model.fusion.language_embedding.weight.normal_(std=1.0)
    return model.eval()


def test_script_decides_where_a_language_owns_its_script():
    assert dominant_script("การดาวน์โหลด Firefox ล้มเหลว") == "Thai"
    assert identify("ওয়েবে অনুসন্ধান করুন।") == "bn"
    assert identify("ایڈ اون انسٹال نہیں ہو سکا۔") == "ur"
    assert identify("12 / 34 …") is None and identify("") is None


@pytest.mark.parametrize("en,text,lang", TINY_CORPUS)
def test_clear_cases(en, text, lang):
    assert identify(text) == lang
    assert identify(en) == "en"


def test_identifier_is_right_on_held_out_dev_sentences():
    from lira.data.pairs import load_pairs

    pairs = load_pairs(None, split="dev", languages=CORE_LANGUAGES)[::3]  # held out: profiles come from train
    per_lang: dict[str, list[bool]] = {}
    for pair in pairs:
        per_lang.setdefault(pair.lang, []).append(identify(pair.text) == pair.lang)
    overall = np.mean([ok for oks in per_lang.values() for ok in oks])
    assert set(per_lang) == set(CORE_LANGUAGES)
    assert overall >= 0.9, per_lang
    assert all(np.mean(oks) >= 0.75 for oks in per_lang.values()), {k: np.mean(v) for k, v in per_lang.items()}


def test_lang_none_routes_each_text_to_its_languages_gate_row(tiny_models):
    model = trained_like(tiny_models["student"])
    texts = [x for _, x, _ in TINY_CORPUS] + [en for en, _, _ in TINY_CORPUS[:3]]
    langs = [lang for _, _, lang in TINY_CORPUS] + ["en"] * 3
    auto = model.encode(texts)
    given = model.encode(texts, lang=langs)
    np.testing.assert_allclose(auto, given, atol=1e-5)
    # ... which is not what the untrained "not given" row (the old behaviour) produces
    with torch.no_grad():
        row0 = model(model.prepare(texts, [None] * len(texts))).numpy()
    assert not np.allclose(auto, row0, atol=1e-3)
    # a list with gaps: the given languages are kept, the gaps identified
    mixed = model.encode(texts[:2], lang=["vi", None])
    np.testing.assert_allclose(mixed, model.encode(texts[:2], lang=["vi", "vi"]), atol=1e-5)


def test_index_build_and_search_identify_languages_of_mixed_documents(tiny_models, tmp_path):
    from lira.cli import app
    from lira.index.faiss_index import build_index, load_index, search

    model = trained_like(tiny_models["student"])
    model.save(tmp_path / "model")
    texts = [x for _, x, _ in TINY_CORPUS]
    langs = [lang for _, _, lang in TINY_CORPUS]
    idx = build_index(texts, model, out_dir=tmp_path / "idx")
    assert [d["lang"] for d in idx.docs] == langs
    np.testing.assert_allclose(idx.index.reconstruct_n(0, len(texts)), model.encode(texts, lang=langs, prompt_name="passage"), atol=1e-5)
    hits = search(idx, texts[1], model, k=3, doc_lang="vi")
    assert hits and all(h.lang == "vi" for h in hits)

    docs = tmp_path / "docs.txt"
    docs.write_text("\n".join(texts) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["index", "build", "--model", str(tmp_path / "model"), "--input", str(docs), "--out", str(tmp_path / "cli_idx")])
    assert result.exit_code == 0, result.output
    assert [d["lang"] for d in load_index(tmp_path / "cli_idx").docs] == langs
    result = CliRunner().invoke(app, ["search", "--index", str(tmp_path / "cli_idx"), "-q", texts[0], "--doc-lang", "th", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line[line.index("{"):]) for line in result.output.splitlines() if "{\"query\"" in line]
    assert rows and {h["lang"] for h in rows[0]["hits"]} == {"th"}
