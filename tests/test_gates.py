"""The gate's weight per agent and language (lira.eval.gates), as `lira eval tatoeba` reports it."""

import pytest
import torch

from lira.arca.model import ArcaEncoder
from lira.config import ModelConfig
from lira.data.pairs import ParallelPair
from lira.eval.gates import gate_metrics
from lira.eval.tatoeba import gate_markdown

PAIRS = [ParallelPair(en="Open a new window.", text="Mở cửa sổ mới.", lang="vi"), ParallelPair(en="Save the file.", text="Lưu tệp.", lang="vi"),
         ParallelPair(en="Open a new window.", text="เปิดหน้าต่างใหม่", lang="th")]


def test_gate_metrics_are_each_languages_mean_softmax_weights(tiny_models):
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "char_ngram", "romanized"]))
    start = gate_metrics(model, PAIRS)
    assert set(start) == {f"{lang}/gate/{a}" for lang in ("vi", "th") for a in ("transformer", "char_ngram", "romanized")}
    # LiRA's initial gate: bias 2 on the transformer, 0 elsewhere, no input weight -> softmax([2, 0, 0])
    expected = torch.softmax(torch.tensor([2.0, 0.0, 0.0]), 0).tolist()
    assert [start[f"th/gate/{a}"] for a in ("transformer", "char_ngram", "romanized")] == pytest.approx(expected, abs=1e-6)
    with torch.no_grad():
        model.fusion.gate.bias.copy_(torch.tensor([0.0, 1.0, 0.0]))
    moved = gate_metrics(model, PAIRS)
    assert moved["vi/gate/char_ngram"] > moved["vi/gate/transformer"]
    assert sum(moved[f"vi/gate/{a}"] for a in ("transformer", "char_ngram", "romanized")) == pytest.approx(1.0)
    one = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer"]))
    assert gate_metrics(one, PAIRS) == {}  # one agent: no gate


def test_gate_markdown_lists_only_the_rows_with_a_gate():
    results = {"fused": {"th/gate/transformer": 0.25, "th/gate/char_ngram": 0.75, "th/x2en/acc@1": 0.9}, "plain": {"th/x2en/acc@1": 0.8}}
    table = gate_markdown(results, ["th"])
    assert "| fused | 0.25 / 0.75 |" in table and "plain" not in table and "transformer / char_ngram" in table
    assert gate_markdown({"plain": {"th/x2en/acc@1": 0.8}}, ["th"]) == ""
    two = gate_markdown({**results, "pair": {"th/gate/transformer": 0.5, "th/gate/romanized": 0.5}}, ["th"])
    assert "| pair | 0.50 / – / 0.50 |" in two  # an agent a model does not have is a dash, not nan
