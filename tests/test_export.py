"""``lira export``: the exported folder loads in plain sentence-transformers and encodes like LiRA."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from typer.testing import CliRunner

from lira.arca.model import ArcaEncoder
from lira.config import ModelConfig
from lira.export import export_sentence_transformers
from tests.conftest import TINY_CORPUS
from tests.test_langid import trained_like

TEXTS = [x for _, x, _ in TINY_CORPUS] + [en for en, _, _ in TINY_CORPUS[:4]]
LANGS = [lang for _, _, lang in TINY_CORPUS] + ["en"] * 4


def assert_same(a: np.ndarray, b: np.ndarray) -> None:
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cos.min() >= 0.9999, cos


def test_transformer_alone_exports_to_a_plain_folder(tiny_models, tmp_path):
    from lira.cli import app

    ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer"]), device="cpu").save(tmp_path / "model")
    result = CliRunner().invoke(app, ["export", str(tmp_path / "model"), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Normalize" in result.output and "trust_remote_code" not in result.output
    modules = json.loads((tmp_path / "out" / "modules.json").read_text())
    assert all(m["type"].startswith("sentence_transformers.") for m in modules) and modules[-1]["type"].endswith("Normalize")
    lira = ArcaEncoder.load(tmp_path / "model", device="cpu")
    plain = SentenceTransformer(str(tmp_path / "out"), device="cpu")
    assert plain.default_prompt_name == "query"
    assert_same(plain.encode(TEXTS), lira.encode(TEXTS))
    assert_same(plain.encode(TEXTS, prompt_name="passage"), lira.encode(TEXTS, prompt_name="passage"))
    # a language fixed at export would be a no-op here: refused, with the reason
    result = CliRunner().invoke(app, ["export", str(tmp_path / "model"), str(tmp_path / "out2"), "--lang", "th"])
    assert result.exit_code != 0 and "transformer alone" in result.output


def test_multi_agent_model_exports_as_an_arca_module(tiny_models, tmp_path):
    trained_like(tiny_models["student"]).save(tmp_path / "model")
    lira = ArcaEncoder.load(tmp_path / "model", device="cpu")
    out = export_sentence_transformers(tmp_path / "model", tmp_path / "out")
    with pytest.raises(ValueError, match="trust_remote_code"):
        SentenceTransformer(str(out), device="cpu")
    st = SentenceTransformer(str(out), device="cpu", trust_remote_code=True)
    assert st.default_prompt_name == "query" and st.get_embedding_dimension() == lira.dim
    # languages identified per text, as ArcaEncoder does with lang=None; equal to the true languages here
    assert_same(st.encode(TEXTS), lira.encode(TEXTS, lang=LANGS))
    assert_same(st.encode(TEXTS, prompt_name="passage"), lira.encode(TEXTS, lang=LANGS, prompt_name="passage"))
    # a language fixed at export (through the command, which says what it wrote)
    from lira.cli import app

    result = CliRunner().invoke(app, ["export", str(tmp_path / "model"), str(tmp_path / "out_th"), "--lang", "th"])
    assert result.exit_code == 0, result.output
    assert "ArcaModule" in result.output and "fixed to th" in result.output and "trust_remote_code=True" in result.output
    fixed = SentenceTransformer(str(tmp_path / "out_th"), device="cpu", trust_remote_code=True)
    assert_same(fixed.encode(TEXTS), lira.encode(TEXTS, lang="th"))
    assert not np.allclose(fixed.encode(TEXTS[1:2]), lira.encode(TEXTS[1:2], lang="vi"), atol=1e-3)


def test_transformer_only_exports_a_multi_agent_models_transformer_as_a_plain_folder(tiny_models, tmp_path):
    from lira.cli import app

    trained_like(tiny_models["student"]).save(tmp_path / "model")
    lira = ArcaEncoder.load(tmp_path / "model", device="cpu")
    result = CliRunner().invoke(app, ["export", str(tmp_path / "model"), str(tmp_path / "out"), "--transformer-only"])
    assert result.exit_code == 0, result.output
    assert "left out" in result.output and "trust_remote_code" not in result.output
    plain = SentenceTransformer(str(tmp_path / "out"), device="cpu")  # no LiRA module in it
    with lira.fusing_only(["transformer"]):
        alone = lira.encode(TEXTS, lang=LANGS)
    assert_same(plain.encode(TEXTS), alone)
    assert not np.allclose(plain.encode(TEXTS), lira.encode(TEXTS, lang=LANGS), atol=1e-3)  # not the fused vectors
    assert "exported with the transformer alone" in (tmp_path / "out" / "README.md").read_text()
    result = CliRunner().invoke(app, ["export", str(tmp_path / "model"), str(tmp_path / "out2"), "--transformer-only", "--lang", "th"])
    assert result.exit_code != 0
