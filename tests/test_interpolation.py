"""WiSE-FT weight interpolation of a trained Arca model with its start (lira.arca.interpolation)."""

import json

import numpy as np
import pytest
import torch
from transformers import set_seed
from typer.testing import CliRunner

from lira.arca.interpolation import interpolate_model, interpolated_state
from lira.arca.model import ArcaEncoder
from lira.cli import app
from lira.config import ModelConfig

TEXTS = ["Open a new window.", "Mở cửa sổ mới.", "การดาวน์โหลดล้มเหลว", "Buka jendela baru."]
AGENTS = ["transformer", "char_ngram", "romanized"]


@pytest.fixture()
def trained_dir(tiny_models, tmp_path):
    """A 'trained' model: LiRA's seeded start with every float weight moved, saved with a run card."""
    set_seed(7)
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(student=tiny_models["student"], agents=AGENTS))
    start = {k: v.clone() for k, v in model.state_dict().items()}
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=generator))
    model.card_facts = {"config": {"model": {"student": tiny_models["student"]}, "train": {"seed": 7}}, "dev": {"start": {"dev_score": 0.5}}}
    model.save(tmp_path / "trained")
    return tmp_path / "trained", start


def test_alpha_zero_is_the_start_and_alpha_one_the_trained_model(trained_dir, tiny_models, tmp_path):
    path, start = trained_dir
    zero = ArcaEncoder.load(interpolate_model(path, 0.0, tmp_path / "zero"))
    for name, value in zero.state_dict().items():  # the seeded start is rebuilt exactly, agents and gate included
        torch.testing.assert_close(value, start[name], msg=name)
    untrained = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=AGENTS))
    np.testing.assert_allclose(zero.encode(TEXTS, lang="vi"), untrained.encode(TEXTS, lang="vi"), atol=1e-5)
    one = ArcaEncoder.load(interpolate_model(path, 1.0, tmp_path / "one"))
    np.testing.assert_allclose(one.encode(TEXTS, lang="th"), ArcaEncoder.load(path).encode(TEXTS, lang="th"), atol=1e-6)


def test_half_is_the_midpoint_of_every_weight_and_the_card_says_so(trained_dir, tmp_path):
    path, start = trained_dir
    trained = ArcaEncoder.load(path).state_dict()
    half = ArcaEncoder.load(interpolate_model(path, 0.5, tmp_path / "half"))
    moved = 0
    for name, value in half.state_dict().items():
        if value.is_floating_point():
            torch.testing.assert_close(value, (trained[name] + start[name]) / 2, msg=name)
            moved += not torch.equal(trained[name], start[name])
    assert moved > 10
    meta = json.loads((tmp_path / "half" / "arca.json").read_text())
    assert meta["card"]["interpolation"]["alpha"] == 0.5 and meta["card"]["interpolation"]["seed"] == 7
    assert "dev" not in meta["card"]  # the source's dev scores describe the source, not this model
    assert "0.5 x the trained model" in (tmp_path / "half" / "README.md").read_text()


def test_bad_alpha_and_other_architectures_are_refused(trained_dir, tmp_path):
    path, start = trained_dir
    with pytest.raises(ValueError, match="alpha must be in"):
        interpolate_model(path, 1.5, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    fewer = {k: v for k, v in start.items() if not k.startswith("agents.2.")}
    with pytest.raises(ValueError, match="only in the trained model"):
        interpolated_state(start, fewer, 0.5)
    reshaped = {**start, "fusion.gate.bias": torch.zeros(5)}
    with pytest.raises(ValueError, match="fusion.gate.bias: shape"):
        interpolated_state(start, reshaped, 0.5)
    with pytest.raises(ValueError, match="the trained model's own"):
        interpolate_model(path, 0.5, path)
    mixed = interpolate_model(path, 0.5, tmp_path / "mixed")
    with pytest.raises(ValueError, match="already a mixed model"):
        interpolate_model(mixed, 0.5, tmp_path / "twice")
    unseeded = ArcaEncoder.load(path)
    unseeded.card_facts = {}
    unseeded.save(tmp_path / "unseeded")
    with pytest.raises(ValueError, match="no train.seed"):
        interpolate_model(tmp_path / "unseeded", 0.5, tmp_path / "guess")
    assert not (tmp_path / "guess").exists()
    assert ArcaEncoder.load(interpolate_model(tmp_path / "unseeded", 0.0, tmp_path / "given", seed=7)).state_dict()["fusion.gate.bias"].equal(start["fusion.gate.bias"])


def test_cli_writes_the_model_and_names_a_bad_alpha(trained_dir, tmp_path):
    path, _ = trained_dir
    result = CliRunner().invoke(app, ["interpolate", str(path), str(tmp_path / "cli"), "--alpha", "0.25"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "cli" / "arca.json").read_text())["card"]["interpolation"]["alpha"] == 0.25
    result = CliRunner().invoke(app, ["interpolate", str(path), str(tmp_path / "cli2"), "--alpha", "-0.1"])
    assert result.exit_code != 0 and "alpha must be in" in result.output


def test_auto_alpha_takes_the_best_dev_score_and_records_the_curve(trained_dir, tmp_path):
    path, start = trained_dir
    name = "fusion.gate.bias"
    trained_bias = ArcaEncoder.load(path).state_dict()[name]

    def score(model):  # a dev score that peaks where the gate bias is 70% of the way to the trained one
        target = 0.7 * trained_bias + 0.3 * start[name]
        return -float((model.state_dict()[name] - target).abs().sum())

    out = interpolate_model(path, "auto", tmp_path / "auto", score=score, progress=False)
    wise = json.loads((out / "arca.json").read_text())["card"]["interpolation"]
    assert wise["alpha"] == pytest.approx(0.7) and wise["chosen_on"] == "dev"
    assert list(wise["dev_curve"]) == ["0.5", "0.6", "0.7", "0.8", "0.9", "1"]
    torch.testing.assert_close(ArcaEncoder.load(out).state_dict()[name], 0.7 * trained_bias + 0.3 * start[name])
    flat = interpolate_model(path, "auto", tmp_path / "flat", score=lambda model: 1.0, progress=False)
    assert json.loads((flat / "arca.json").read_text())["card"]["interpolation"]["alpha"] == 1.0  # a tie keeps the trained model
    with pytest.raises(ValueError, match="or 'auto'"):
        interpolate_model(path, "half", tmp_path / "bad")


def test_the_rebuilt_start_is_the_one_training_started_from(tiny_models, tiny_pairs_file, tmp_path):
    """A run that cannot move its weights (learning rates 0) saves its start; start_model must
    rebuild it from the card alone, agents' random initialisation included."""
    from lira.arca.interpolation import start_model
    from lira.train import train_arca

    from .test_train import tiny_config

    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=1, learning_rate=0.0, head_learning_rate=0.0, weight_decay=0.0, seed=11)
    saved = ArcaEncoder.load(train_arca(cfg, progress=False).model_dir)
    rebuilt = start_model(saved).state_dict()
    for name, value in saved.state_dict().items():
        torch.testing.assert_close(value, rebuilt[name], msg=name)
