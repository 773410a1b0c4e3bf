"""Noise-robust anchoring: NoiseConsistencyLoss, the noised training copies (lira.data.training_noise)
with a held-out kind, and the noise terms inside train_arca."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import lira.data.noise as noise_lib
from lira.arca.losses import NoiseConsistencyLoss
from lira.config import ArcaConfig, ConfigError, LiraConfig
from lira.data.noise import NoiseKind
from lira.data.training_noise import TrainingNoise, held_out_noise
from lira.objective import ArcaObjective

from .conftest import TINY_CORPUS


def test_consistency_is_zero_for_identical_embeddings_and_grows_with_the_gap():
    loss = NoiseConsistencyLoss()
    clean = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert float(loss(clean, clean.clone())[0]) == pytest.approx(0.0, abs=1e-7)
    values = []
    for angle in [0.0, 0.2, 0.5, 1.0, 2.0, math.pi]:
        rotated = torch.stack([torch.tensor([math.cos(angle), math.sin(angle)]), torch.tensor([-math.sin(angle), math.cos(angle)])])
        value, _ = loss(clean, rotated)
        assert float(value) == pytest.approx(2 - 2 * math.cos(angle), abs=1e-6)  # 2 - 2 cos, whatever the norms
        values.append(float(value))
    assert values == sorted(values) and values[-1] == pytest.approx(4.0)


def test_consistency_pulls_the_noised_side_only():
    clean = torch.randn(4, 8, requires_grad=True)
    noised = torch.randn(4, 8, requires_grad=True)
    NoiseConsistencyLoss()(clean, noised)[0].backward()
    assert clean.grad is None and noised.grad is not None
    both = torch.randn(4, 8, requires_grad=True)
    NoiseConsistencyLoss(detach_clean=False)(both, torch.randn(4, 8))[0].backward()
    assert both.grad is not None


def test_objective_noise_terms():
    x = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    en = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    cfg = ArcaConfig(noise_anchor_weight=0.5, noise_consistency_weight=2.0)
    objective = ArcaObjective(cfg)
    total, logs = objective(x, en, None, noised_lrl=x.clone())
    # identical noised copy: no consistency loss, and the noised anchor term equals the clean contrastive term
    assert logs["loss_noise_consistency"] == pytest.approx(0.0, abs=1e-6)
    assert logs["loss_noise_anchor"] == pytest.approx(logs["loss_contrastive"], rel=1e-5)
    assert float(total) == pytest.approx(logs["loss_contrastive"] * 1.5, rel=1e-5)
    _, without = objective(x, en, None)  # no noised copies: the noise terms are skipped
    assert "loss_noise_anchor" not in without
    # noise terms alone are something to train
    ArcaObjective(ArcaConfig(contrastive_weight=0.0, noise_consistency_weight=1.0))


def test_config_validates_the_held_out_kind():
    with pytest.raises(ConfigError, match="held out of training"):
        LiraConfig.from_dict({"arca": {"noise_kinds": ["typos", "tones"], "noise_held_out_kind": "swap"}})
    with pytest.raises(ConfigError, match="name one noise kind"):
        ArcaConfig(noise_held_out_kind="typos")
    with pytest.raises(ConfigError, match="noise_held_out_kind"):
        ArcaConfig(noise_held_out_kind="sneeze")
    with pytest.raises(ConfigError, match="noise_level"):
        ArcaConfig(noise_level=1.5)
    with pytest.raises(ConfigError, match="anchor and contrastive"):
        ArcaConfig(contrastive_weight=0.0, noise_anchor_weight=1.0)
    ok = ArcaConfig(noise_kinds=["insert", "delete"], noise_held_out_kind="swap")
    assert ok.noise_held_out_kind == "swap" and not ArcaConfig().uses_noise()


def test_training_noise_leaves_out_the_held_out_kind_and_is_seeded():
    languages = ["th", "vi", "id", "ms", "fil", "ur", "bn"]
    for held_out in [k.value for k in NoiseKind]:
        noise = TrainingNoise(languages, held_out=held_out, seed=3)
        assert all(NoiseKind(held_out) not in kinds for kinds in noise.kinds.values())
        assert all(kinds for kinds in noise.kinds.values())
    noise = TrainingNoise(languages, level=0.3, held_out="romanize", seed=3)
    assert NoiseKind.TONES in noise.kinds["vi"] and NoiseKind.CODE_MIX in noise.kinds["id"]
    text = "Lotusline เสื้อยืด ผู้หญิง สีน้ำเงิน ขนาด XL"
    assert noise(text, "th", 0) == TrainingNoise(languages, level=0.3, held_out="romanize", seed=3)(text, "th", 0)
    assert noise(text, "th", 0) != text and noise(text, "en", 0) == text
    assert held_out_noise("ทดสอบ ข้อความ", "th", 1.0, 0, "romanize").isascii()


def _tiny_noise_config(tiny_models, tiny_pairs_file, out_dir, steps):
    from .test_train import tiny_config

    cfg = tiny_config(tiny_models, tiny_pairs_file, out_dir, max_steps=steps)
    cfg.arca.anchor_weight, cfg.arca.geometry_weight = 0.0, 0.0
    cfg.arca.noise_level = 0.3
    cfg.arca.noise_held_out_kind = "swap"
    return cfg


def test_no_training_input_carries_the_held_out_kind(tiny_models, tiny_pairs_file, tmp_path, monkeypatch):
    from lira.train import train_arca

    calls: list[tuple[str, ...]] = []
    original = noise_lib.apply_noise

    def recording(text, lang, level, rng, kinds=None, **kw):
        assert kinds is not None, "training must name its kinds"
        calls.append(tuple(k.value for k in noise_lib.parse_noise_kinds(kinds)))
        return original(text, lang, level, rng, kinds, **kw)

    def forbidden(*_, **__):
        raise AssertionError("the held-out noise kind was applied during training")

    monkeypatch.setattr(noise_lib, "apply_noise", recording)
    monkeypatch.setitem(noise_lib.NOISE_FUNCTIONS, NoiseKind.SWAP, forbidden)
    cfg = _tiny_noise_config(tiny_models, tiny_pairs_file, tmp_path / "run", steps=4)
    cfg.arca.noise_anchor_weight, cfg.arca.noise_consistency_weight = 1.0, 1.0
    train_arca(cfg, progress=False)
    assert len(calls) >= 4 * cfg.train.batch_size
    assert all("swap" not in kinds for kinds in calls)
    assert any({"insert", "delete", "substitute"} <= set(kinds) for kinds in calls)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert all("loss_noise_anchor" in r and "loss_noise_consistency" in r for r in records)


def test_a_few_steps_reduce_the_clean_vs_noised_distance(tiny_models, tiny_pairs_file, tmp_path):
    from lira.arca.model import ArcaEncoder
    from lira.train import train_arca, training_noise

    cfg = _tiny_noise_config(tiny_models, tiny_pairs_file, tmp_path / "run", steps=16)
    cfg.arca.contrastive_weight, cfg.arca.noise_consistency_weight = 0.0, 1.0  # the term alone
    cfg.train.learning_rate = 3e-3
    noise = training_noise(cfg)
    clean = [x for _, x, _ in TINY_CORPUS]
    langs = [lang for *_, lang in TINY_CORPUS]
    noised = [noise(x, lang, 0) for x, lang in zip(clean, langs)]
    assert sum(a != b for a, b in zip(clean, noised)) >= len(clean) - 1

    def distances(model):
        """(clean vs its noised copy, clean vs another clean sentence): mean squared distances."""
        a = model.encode(clean, lang=langs)
        b = model.encode(noised, lang=langs)
        return float(np.mean(np.sum((a - b) ** 2, axis=1))), float(np.mean(np.sum((a - np.roll(a, 1, axis=0)) ** 2, axis=1)))

    before, spread_before = distances(ArcaEncoder.from_student(cfg.model.student, cfg.model, device="cpu"))
    result = train_arca(cfg, progress=False)
    after, spread_after = distances(ArcaEncoder.load(result.model_dir, device="cpu"))
    assert after < 0.5 * before, (before, after)
    assert after / spread_after < before / spread_before  # closer relative to the space's spread too, not only by shrinking it
