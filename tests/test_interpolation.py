"""WiSE-FT weight interpolation of a trained Arca model with its start (lira.arca.interpolation)."""

import dataclasses
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
    with pytest.raises(ValueError, match="holds the trained model"):
        interpolate_model(path, 0.5, path)
    with pytest.raises(ValueError, match="holds the trained model"):  # saving would replace the folder, the source with it
        interpolate_model(path, 0.5, path.parent)
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


@pytest.fixture()
def second_dir(trained_dir, tmp_path):
    """A second 'trained' model of the same start (seed 7), moved elsewhere: the other half of a soup."""
    path, start = trained_dir
    model = ArcaEncoder.load(path)
    model.load_state_dict(start)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=generator))
    model.save(tmp_path / "second")
    return tmp_path / "second"


def test_two_trained_models_of_one_start_mix_into_their_midpoint(trained_dir, second_dir, tmp_path):
    path, _ = trained_dir
    first, second = ArcaEncoder.load(path).state_dict(), ArcaEncoder.load(second_dir).state_dict()
    soup = ArcaEncoder.load(interpolate_model(path, 0.25, tmp_path / "soup", other=second_dir))
    for name, value in soup.state_dict().items():
        if value.is_floating_point():
            torch.testing.assert_close(value, 0.25 * first[name] + 0.75 * second[name], msg=name)
    wise = json.loads((tmp_path / "soup" / "arca.json").read_text())["card"]["interpolation"]
    assert wise["other"] == str(second_dir) and wise["alpha"] == 0.25 and wise["method"].startswith("model soup")
    assert f"0.75 x the trained model `{second_dir}`" in (tmp_path / "soup" / "README.md").read_text()
    # auto: the soup grid runs from the other model (0) to the first (1), both ends included; a dev
    # score that peaks at the second model's weights chooses it, not the start nor the first model
    name = "fusion.gate.bias"

    def score(model):
        return -float((model.state_dict()[name] - second[name]).abs().sum())

    out = interpolate_model(path, "auto", tmp_path / "auto", other=second_dir, score=score, score_name="closeness to the second", progress=False)
    wise = json.loads((out / "arca.json").read_text())["card"]["interpolation"]
    assert list(wise["dev_curve"]) == ["0", "0.25", "0.5", "0.75", "1"] and wise["alpha"] == 0.0 and wise["dev_score"] == "closeness to the second"
    torch.testing.assert_close(ArcaEncoder.load(out).state_dict()[name], second[name])
    flat = interpolate_model(path, "auto", tmp_path / "flat", other=second_dir, score=lambda m: 1.0, progress=False)
    assert json.loads((flat / "arca.json").read_text())["card"]["interpolation"]["alpha"] == 1.0  # a tie keeps the model named first


def test_a_soup_refuses_models_of_another_start(trained_dir, second_dir, tmp_path):
    path, _ = trained_dir
    other_seed = ArcaEncoder.load(second_dir)
    other_seed.card_facts = {**other_seed.card_facts, "config": {"model": other_seed.card_facts["config"]["model"], "train": {"seed": 8}}}
    other_seed.save(tmp_path / "seed8")
    with pytest.raises(ValueError, match="with seed 8.*only models of one start"):
        interpolate_model(path, 0.5, tmp_path / "bad", other=tmp_path / "seed8")
    other_student = ArcaEncoder.load(second_dir)
    other_student.card_facts = {**other_student.card_facts, "config": {"model": {"student": "offline:another"}, "train": {"seed": 7}}}
    other_student.save(tmp_path / "student2")
    with pytest.raises(ValueError, match="trained from offline:another with seed 7"):
        interpolate_model(path, 0.5, tmp_path / "bad", other=tmp_path / "student2")
    unseeded = ArcaEncoder.load(second_dir)
    unseeded.card_facts = {}
    unseeded.save(tmp_path / "unseeded")
    with pytest.raises(ValueError, match="records no train.seed"):
        interpolate_model(path, 0.5, tmp_path / "bad", other=tmp_path / "unseeded")
    orders = ArcaEncoder.load(second_dir)
    orders.config = dataclasses.replace(orders.config, char_ngram_orders=[2])  # same tensors, another meaning
    orders.save(tmp_path / "orders")
    with pytest.raises(ValueError, match="encode differently: char_ngram_orders"):
        interpolate_model(path, 0.5, tmp_path / "bad", other=tmp_path / "orders")
    with pytest.raises(ValueError, match="the same folder as the first model"):
        interpolate_model(path, 0.5, tmp_path / "bad", other=path)
    mixed = interpolate_model(second_dir, 0.5, tmp_path / "mixed")
    with pytest.raises(ValueError, match="already a mixed model"):
        interpolate_model(path, 0.5, tmp_path / "bad", other=mixed)
    with pytest.raises(ValueError, match="holds the trained model"):
        interpolate_model(path, 0.5, second_dir, other=second_dir)
    with pytest.raises(ValueError, match="name the start"):
        interpolate_model(path, 0.5, tmp_path / "bad", other=second_dir, seed=7)
    assert not (tmp_path / "bad").exists()
    with pytest.raises(ValueError, match="0 = the other model"):
        interpolated_state(ArcaEncoder.load(path).state_dict(), ArcaEncoder.load(second_dir).state_dict(), 2.0, partner="the other model")
    result = CliRunner().invoke(app, ["interpolate", str(path), str(tmp_path / "cli"), "--alpha", "0.5", "--products-dev", str(tmp_path)])
    assert result.exit_code != 0 and "give --alpha auto" in result.output
    result = CliRunner().invoke(app, ["interpolate", str(path), str(tmp_path / "cli"), "--intents", "30"])
    assert result.exit_code != 0 and "--products-dev too" in result.output
    result = CliRunner().invoke(app, ["interpolate", str(path), str(tmp_path / "cli"), "--with", str(second_dir), "--alpha", "0.5"])
    assert result.exit_code == 0, result.output
    assert f"0.5 x {second_dir}" in " ".join(result.output.split())


def test_product_dev_score_is_the_mean_of_the_settings_dev_ndcg(small_products):
    from lira.eval.product_dev import ProductDevScore
    from lira.eval.products import SETTINGS, ProductSearchEvaluator
    from lira.eval.products_report import LRL

    from .test_product_settings import HashEncoder

    score = ProductDevScore(small_products)
    assert {ev.split for ev in score.evaluators.values()} == {"dev"} and list(score.evaluators) == list(SETTINGS)
    value = score(HashEncoder())
    by_setting = {}
    for setting in SETTINGS:  # the Evaluator interface, one setting at a time, as `lira eval products` scores
        metrics = ProductSearchEvaluator(small_products, split="dev", setting=setting)(HashEncoder())
        by_setting[setting] = float(np.mean([metrics[f"{lang}/ndcg@10"] for lang in LRL if f"{lang}/ndcg@10" in metrics]))
    assert score.last == pytest.approx(by_setting)
    assert value == pytest.approx(np.mean(list(by_setting.values())))
    assert 0.0 < value < 1.0
    with pytest.raises(ValueError, match="unknown product settings"):
        ProductDevScore(small_products, settings=["native", "typo"])
    sliced = ProductDevScore(small_products, intents=10, corpus_size=60, settings=["native"])
    native = sliced.evaluators["native"]
    assert len({q["query_id"] for q in native.queries}) == 10 and len(native.catalog) == 60
    assert sliced(HashEncoder()) == pytest.approx(sliced.last["native"])


def test_the_grid_runs_the_frozen_layers_once_and_scores_as_without_the_cache(tiny_models, monkeypatch):
    """Two 'trained' models of one start that moved only the top layer, the agents and the gate: the
    frozen layer stays bit for bit at every alpha, so its states are computed once for the dev texts
    (found by a dry pass of the score) and the curve is the uncached one."""
    from lira.arca.interpolation import choose_alpha
    from lira.models.prefix_cache import FrozenPrefixCache

    config = ModelConfig(student=tiny_models["student"], agents=AGENTS, trainable_top_layers=1)
    set_seed(7)
    first = ArcaEncoder.from_student(tiny_models["student"], config)
    set_seed(7)
    second = ArcaEncoder.from_student(tiny_models["student"], config)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for model in (first, second):
            for name, p in model.named_parameters():
                if p.requires_grad:  # the trainable part only: the frozen layer and embeddings stay the start's
                    p.add_(0.05 * torch.randn(p.shape, generator=generator))
    english = ["Open a new window.", "Close the tab.", "Save the file."]
    other = ["Mở cửa sổ mới.", "Đóng thẻ.", "Lưu tệp."]
    texts_seen: list[list[str]] = []

    def score(encoder):  # a dev-like score: mean cosine of each pair, through the encoder's own encode
        texts_seen.append(list(other))
        a = encoder.encode(other, lang="vi")
        b = encoder.encode(english, lang="en", prompt_name="passage")
        return float(np.mean(np.sum(np.asarray(a) * np.asarray(b), axis=1)))

    fills, lookups = [], []
    fill, lookup = FrozenPrefixCache.fill, FrozenPrefixCache.lookup
    monkeypatch.setattr(FrozenPrefixCache, "fill", lambda self, model, texts, *a, **k: fills.append(list(texts)) or fill(self, model, texts, *a, **k))
    monkeypatch.setattr(FrozenPrefixCache, "lookup", lambda self, ids, *a, **k: lookups.append(len(ids)) or lookup(self, ids, *a, **k))
    states = {k: v.clone() for k, v in first.state_dict().items()}
    alpha, cached_curve = choose_alpha(first, second, score, (0.0, 0.5, 1.0), progress=False)
    assert sorted(map(sorted, fills)) == sorted([sorted(english), sorted(other)])  # one fill per prompt, from the dry pass
    assert len(texts_seen) == 4 and sum(lookups) == 3 * 6  # the dry pass + three grid points, every text from the cache
    monkeypatch.undo()
    first.load_state_dict(states)
    _, plain_curve = choose_alpha(first, second, score, (0.0, 0.5, 1.0), progress=False, prefix_cache=False)
    assert cached_curve == pytest.approx(plain_curve, abs=1e-5)
    first.load_state_dict(states)
    assert choose_alpha(first, second, lambda model: 1.0, (0.0, 1.0), progress=False)[0] == 1.0  # a score that encodes nothing: no cache, no error
    import copy

    from lira.arca.interpolation import _RecordingEncoder

    assert copy.copy(_RecordingEncoder(first)).model is first  # the stand-in copies without recursing
    frozen = next(k for k in states if ".encoder.layer.0.attention.self.query.weight" in k)
    mixed = interpolated_state(states, second.state_dict(), 0.3)
    assert torch.equal(mixed[frozen], states[frozen])  # equal tensors are copied, not recomputed


def _moved_copy(path, start, out, seed):
    """Another 'trained' model of the same start: the start's weights moved by seeded noise."""
    model = ArcaEncoder.load(path)
    model.load_state_dict(start)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=generator))
    model.save(out)
    return out


def test_greedy_soup_adds_an_ingredient_only_when_the_dev_score_does_not_fall(trained_dir, second_dir, tmp_path):
    from lira.arca.interpolation import averaged_state, greedy_soup

    path, start = trained_dir
    third = _moved_copy(path, start, tmp_path / "third", seed=2)
    states = {str(p): ArcaEncoder.load(p).state_dict() for p in (path, second_dir, third)}
    name = "fusion.gate.bias"
    # a dev score that peaks at the average of the first two models: alone the second scores best
    # (closest), the first joins (the pair is the peak), the third is left out (it moves the soup away)
    target = 0.5 * states[str(path)][name] + 0.5 * states[str(second_dir)][name]
    target = target + 0.1 * (states[str(second_dir)][name] - states[str(path)][name])

    def score(model):
        return -float((model.state_dict()[name] - target).abs().sum())

    out = greedy_soup([path, second_dir, third], tmp_path / "soup", score, score_name="closeness", progress=False)
    facts = json.loads((out / "arca.json").read_text())["card"]["interpolation"]
    assert facts["members"] == [str(second_dir), str(path)]
    assert [s["added"] for s in facts["steps"]] == sorted([str(path), str(third)], key=lambda p: -facts["ingredients"][p])  # best first
    assert {s["added"]: s["kept"] for s in facts["steps"]} == {str(path): True, str(third): False}
    assert facts["soup_dev_score"] == pytest.approx(max(s["dev_score"] for s in facts["steps"]))
    assert facts["ingredients"][str(second_dir)] > facts["ingredients"][str(path)]
    soup = ArcaEncoder.load(out).state_dict()
    for key, value in soup.items():
        if value.is_floating_point():
            torch.testing.assert_close(value, 0.5 * (states[str(path)][key] + states[str(second_dir)][key]), msg=key)
    assert "uniform average of 2 trained models" in (out / "README.md").read_text()
    mean = averaged_state(list(states.values()))
    torch.testing.assert_close(mean[name], sum(s[name] for s in states.values()) / 3)
    with pytest.raises(ValueError, match="at least two"):
        greedy_soup([path], tmp_path / "bad", score)
    with pytest.raises(ValueError, match="different folders"):
        greedy_soup([path, path], tmp_path / "bad", score)
    with pytest.raises(ValueError, match="already a mixed model"):
        greedy_soup([path, out], tmp_path / "bad", score)
    result = CliRunner().invoke(app, ["soup", str(tmp_path / "cli"), str(path), "--intents", "30"])
    assert result.exit_code != 0 and "--products-dev too" in result.output


def test_a_soup_holds_the_tensors_its_ingredients_share_once(trained_dir, tmp_path, monkeypatch):
    """Ingredients that trained only the top of the model (the frozen lower layers equal): the soup
    keeps one copy of the equal tensors, not one per ingredient."""
    import lira.arca.interpolation as interpolation

    path, _ = trained_dir
    model = ArcaEncoder.load(path)
    with torch.no_grad():
        model.fusion.gate.bias.add_(0.3)  # only the gate "trained"
    model.save(tmp_path / "gate_only")
    seen = []
    real_average = interpolation.averaged_state

    def recording_average(states):
        seen.append(states)
        return real_average(states)

    monkeypatch.setattr(interpolation, "averaged_state", recording_average)
    out = interpolation.greedy_soup([path, tmp_path / "gate_only"], tmp_path / "soup", lambda m: 1.0, progress=False)
    first, other = next(states for states in seen if len(states) == 2)
    assert not torch.equal(first["fusion.gate.bias"], other["fusion.gate.bias"])
    shared = [k for k in first if k != "fusion.gate.bias"]
    assert shared and all(first[k] is other[k] for k in shared)
    soup = ArcaEncoder.load(out).state_dict()
    torch.testing.assert_close(soup["fusion.gate.bias"], first["fusion.gate.bias"] + 0.15)


def test_a_soup_checks_every_ingredient_before_it_scores_any(trained_dir, second_dir, tmp_path, monkeypatch):
    import lira.arca.interpolation as interpolation
    from lira.arca.interpolation import greedy_soup

    path, _ = trained_dir
    stranger = ArcaEncoder.load(path)
    stranger.card_facts = {**stranger.card_facts, "train": {"seed": 8}, "config": {**stranger.card_facts["config"], "train": {"seed": 8}}}
    stranger.save(tmp_path / "stranger")
    calls = []

    def score(model):
        calls.append(1)
        return 1.0

    monkeypatch.setattr(interpolation, "_filled_for_score", lambda *args: calls.append("dry pass"))  # the costly part before scoring
    with pytest.raises(ValueError, match="seed 8"):
        greedy_soup([path, second_dir, tmp_path / "stranger"], tmp_path / "soup", score, progress=False)
    assert not calls  # no dry pass, no scoring: the third folder was refused first


def test_lira_soup_loads_each_model_once_and_reads_the_dev_sets_from_the_card(trained_dir, second_dir, tmp_path, monkeypatch):
    import lira.arca.interpolation as interpolation
    import lira.eval.dev as dev

    path, _ = trained_dir
    built = []

    class FakeEvaluator:  # records the run config the scorer was built from; scores a constant
        @classmethod
        def from_config(cls, config):
            built.append(config)
            return cls()

        def __call__(self, encoder, english_kept=True):
            return {"dev_score": 0.5}

    monkeypatch.setattr(dev, "DevEvaluator", FakeEvaluator)
    loads = []
    real_load = ArcaEncoder.load.__func__
    monkeypatch.setattr(ArcaEncoder, "load", classmethod(lambda cls, p, device=None: loads.append(str(p)) or real_load(cls, p, device)))
    scorer = interpolation.dev_scorer(path)  # a folder: only its card is read
    assert not loads and built[0].train.seed == 7 and built[0].model.student == json.loads((path / "arca.json").read_text())["card"]["config"]["model"]["student"]
    assert scorer(None) == 0.5
    result = CliRunner().invoke(app, ["soup", str(tmp_path / "soup"), str(path), str(second_dir)])
    assert result.exit_code == 0, result.output
    assert sorted(loads) == sorted([str(path), str(second_dir)])  # each ingredient once, the first included
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(app, ["soup", str(tmp_path / "soup2"), str(tmp_path / "empty"), str(path)])
    assert result.exit_code != 0 and "no arca.json" in result.output
