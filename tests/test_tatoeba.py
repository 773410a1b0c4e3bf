"""The shipped Tatoeba test set and its evaluator."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from lira.cli import app
from lira.eval.tatoeba import REFERENCES, TATOEBA_LANGUAGES, TatoebaEvaluator, load_tatoeba, tatoeba_dir, tatoeba_markdown

COUNTS = {"th": 548, "vi": 1000, "id": 1000, "ms": 1000, "fil": 1000, "ur": 1000, "bn": 1000}


def test_every_line_is_shipped_with_its_attribution():
    pairs = load_tatoeba()
    assert {lang: sum(p.lang == lang for p in pairs) for lang in TATOEBA_LANGUAGES} == COUNTS
    assert "CC-BY 2.0 FR" in (tatoeba_dir() / "SOURCE.md").read_text(encoding="utf-8")
    # Evaluation input is not cut by the training filter (max_chars=1000 per line): the 1,032-character Malay line is there.
    assert max(len(p.en) + 1 + len(p.text) for p in pairs if p.lang == "ms") > 1000


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="not for km"):
        load_tatoeba(["th", "km"])


class LookupEncoder:
    """Gives each sentence a fixed vector: a translation pair shares one unless listed in ``wrong``."""

    def __init__(self, pairs, wrong=()):
        self.vectors = {}
        rng = np.random.default_rng(0)
        for i, p in enumerate(pairs):
            v = rng.normal(size=64)
            self.vectors.setdefault(p.en, v / np.linalg.norm(v))
            self.vectors.setdefault(p.text, self.vectors[p.en] if i not in wrong else -self.vectors[p.en])

    def encode(self, sentences, **_):
        return np.stack([self.vectors[s] for s in sentences]).astype(np.float32)


def test_scores_match_a_hand_count():
    pairs = load_tatoeba(["th"])
    texts = sorted({p.text for p in pairs})
    wrong_text = {pairs[i].text for i in range(10)}
    # 10 Thai sentences pointed away from their English: exactly those 10 fail x->en.
    encoder = LookupEncoder(pairs, wrong=set(range(10)))
    metrics = TatoebaEvaluator(["th"])(encoder)
    assert metrics["th/x2en/acc@1"] == pytest.approx(1 - len(wrong_text) / len(texts))
    assert metrics["mean/x2en/acc@1"] == metrics["th/x2en/acc@1"]


def test_markdown_puts_the_published_rows_beside_the_model():
    metrics = {f"{lang}/{d}/acc@1": 0.5 for lang in TATOEBA_LANGUAGES for d in ("x2en", "en2x")}
    md = tatoeba_markdown({"mine": metrics})
    assert "| mine | 0.500 / 0.500 |" in md
    assert f"| LaBSE (published) | {REFERENCES['LaBSE']['th'] / 100:.3f} |" in md
    assert "| 0.956 |" in md  # LaBSE's published mean over the 7 languages


def test_cli_prints_and_writes_json(tiny_models, tmp_path):
    result = CliRunner().invoke(app, ["eval", "tatoeba", "--model", f"tiny={tiny_models['student']}", "--lang", "th", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "| tiny |" in result.output and "LaBSE (published)" in result.output
    saved = json.loads((tmp_path / "tatoeba.json").read_text(encoding="utf-8"))
    assert saved["languages"] == ["th"] and 0.0 <= saved["metrics"]["tiny"]["th/x2en/acc@1"] <= 1.0
    assert saved["metrics"]["tiny"]["th/n"] == COUNTS["th"]


def test_report_keeps_other_models_rows_on_the_same_pairs_only(tmp_path):
    from lira.eval.tatoeba import write_tatoeba_report

    row = lambda v: {"th/x2en/acc@1": v, "th/en2x/acc@1": v}  # noqa: E731
    write_tatoeba_report({"a": row(0.1), "b": row(0.2)}, ["th"], tmp_path)
    write_tatoeba_report({"b": row(0.3), "c": row(0.4)}, ["th"], tmp_path)
    saved = json.loads((tmp_path / "tatoeba.json").read_text(encoding="utf-8"))
    assert saved["metrics"] == {"a": row(0.1), "b": row(0.3), "c": row(0.4)}  # a kept, b rescored, c added
    write_tatoeba_report({"d": row(0.5)}, ["vi"], tmp_path)  # other pairs: nothing carried over
    assert list(json.loads((tmp_path / "tatoeba.json").read_text(encoding="utf-8"))["metrics"]) == ["d"]
    report = tmp_path / "tatoeba.json"
    report.write_text(json.dumps({"languages": ["th"], "metrics": {"old": row(0.9)}}), encoding="utf-8")  # no digest: not the same pairs
    write_tatoeba_report({"e": row(0.6)}, ["th"], tmp_path)
    assert list(json.loads(report.read_text(encoding="utf-8"))["metrics"]) == ["e"]


def test_cli_reports_a_multi_agent_models_gate_per_language(tiny_models, tmp_path):
    from lira.arca.model import ArcaEncoder
    from lira.config import ModelConfig

    ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "char_ngram", "romanized"])).save(tmp_path / "fused")
    result = CliRunner().invoke(app, ["eval", "tatoeba", "--model", f"fused={tmp_path / 'fused'}", "--model", f"plain={tiny_models['student']}",
                                      "--lang", "th", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Gate weight per agent (transformer / char_ngram / romanized)" in result.output
    saved = json.loads((tmp_path / "out" / "tatoeba.json").read_text(encoding="utf-8"))["metrics"]
    assert sum(saved["fused"][f"th/gate/{a}"] for a in ("transformer", "char_ngram", "romanized")) == pytest.approx(1.0)
    assert saved["fused"]["th/gate/transformer"] > 0.7  # LiRA's initial gate leans on the student
    assert not any("/gate/" in key for key in saved["plain"])
