import pytest

from lira.config import ConfigError, LiraConfig
from lira.data.batching import LengthGroupedBatchSampler


def test_yaml_round_trip_and_overrides(tmp_path):
    cfg = LiraConfig().override({"arca.geometry_weight": 0, "train.seed": 7, "model.agents": ["transformer"]})
    path = tmp_path / "c.yaml"
    cfg.to_yaml(path)
    loaded = LiraConfig.from_yaml(path)
    assert loaded == cfg
    assert loaded.arca.geometry_weight == 0.0 and isinstance(loaded.arca.geometry_weight, float)


def test_config_errors_name_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  batch_sise: 8\n")
    with pytest.raises(ConfigError, match=r"bad.yaml.train: unknown field\(s\) batch_sise"):
        LiraConfig.from_yaml(bad)
    bad.write_text("train:\n  batch_size: '8'\n")
    with pytest.raises(ConfigError, match="train.batch_size: expected an integer"):
        LiraConfig.from_yaml(bad)
    with pytest.raises(ConfigError, match="unknown field"):
        LiraConfig().override({"arca.nope": 1})
    with pytest.raises(ConfigError, match="arca.geometry_mode: expected one of cosine, correlation"):
        LiraConfig().override({"arca.geometry_mode": "angles"})
    bad.write_text("arca:\n  geometry_mode: angles\n")
    with pytest.raises(ConfigError, match="geometry_mode"):
        LiraConfig.from_yaml(bad)


def test_length_grouped_batches_are_deterministic_complete_and_grouped():
    lengths = [(i * 37) % 101 for i in range(1000)]
    sampler = LengthGroupedBatchSampler(lengths, batch_size=10, seed=3, epoch=0)
    batches = sampler.batches()
    assert batches == LengthGroupedBatchSampler(lengths, batch_size=10, seed=3, epoch=0).batches()
    assert batches != LengthGroupedBatchSampler(lengths, batch_size=10, seed=3, epoch=1).batches()
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert len(batches) == len(sampler) == 100
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 10  # random batches of 10 would spread ~80 of the 0..100 range
