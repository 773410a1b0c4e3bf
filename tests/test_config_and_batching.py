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


def test_language_batches_hold_one_language_and_keep_the_epoch_length():
    # 3 languages of 333, 334 and 336 pairs, batches of 32: 10 + 10 + 10 full one-language batches,
    # leftovers 13 + 14 + 16 = 43 pooled into 2 batches, 32 in all = ceil(1003 / 32) as without groups.
    groups = ["th"] * 333 + ["vi"] * 334 + ["bn"] * 336
    lengths = [(i * 37) % 101 for i in range(len(groups))]
    sampler = LengthGroupedBatchSampler(lengths, batch_size=32, seed=3, epoch=0, groups=groups)
    batches = sampler.batches()
    assert batches == LengthGroupedBatchSampler(lengths, batch_size=32, seed=3, epoch=0, groups=groups).batches()
    assert sorted(i for b in batches for i in b) == list(range(len(groups)))
    assert len(batches) == len(sampler) == len(LengthGroupedBatchSampler(lengths, batch_size=32).batches()) == 32
    one_language = [b for b in batches if len({groups[i] for i in b}) == 1]
    assert len(one_language) >= 30 and all(len(b) == 32 for b in one_language[:30])
    mixed = LengthGroupedBatchSampler(lengths, batch_size=32, seed=3, epoch=0).batches()
    assert sum(len({groups[i] for i in b}) == 1 for b in mixed) < 5  # without groups, languages mix
    with pytest.raises(ValueError, match="2 labels for 3 lengths"):
        LengthGroupedBatchSampler([1, 2, 3], batch_size=2, groups=["a", "b"])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("train.batch_size", 0, "train.batch_size: expected an integer >= 1, got 0"),
    ("train.learning_rate", 0, "train.learning_rate: expected a number > 0, got 0.0"),
    ("train.warmup_ratio", -0.1, r"train.warmup_ratio: expected a number in \[0, 1\], got -0.1"),
    ("train.max_steps", 0, "train.max_steps: expected an integer >= 1 or null, got 0"),
    ("train.checkpoint_every", 0, "train.checkpoint_every: expected an integer >= 1"),
    ("train.epochs", float("nan"), "train.epochs: expected a number > 0, got nan"),
    ("train.seed", -1, r"train.seed: expected an integer in \[0, 2\*\*32\)"),
    ("train.mixed_precision", "fp8", "train.mixed_precision: expected one of auto, no, bf16, fp16"),
    ("model.max_seq_length", 0, "model.max_seq_length: expected an integer >= 1, got 0"),
    ("model.encode_max_seq_length", 0, "model.encode_max_seq_length: expected an integer >= 1 or null"),
    ("model.lora_dropout", 1.0, r"model.lora_dropout: expected a number in \[0, 1\)"),
    ("model.char_ngram_orders", [2, 0], "model.char_ngram_orders: expected a non-empty list of integers >= 1"),
    ("arca.contrastive_temperature", 0, "arca.contrastive_temperature: expected a number > 0"),
    ("arca.geometry_weight", -1, "arca.geometry_weight: expected a number >= 0"),
    ("data.max_chars", 0, "data.max_chars: expected an integer >= 1, got 0"),
    ("eval.batch_size", 0, "eval.batch_size: expected an integer >= 1"),
    ("lasr.head_steps", 0, "lasr.head_steps: expected an integer >= 1"),
])
def test_out_of_range_values_are_refused_naming_the_field(field, value, message):
    with pytest.raises(ConfigError, match=f"^{message}"):
        LiraConfig().override({field: value})


def test_ranges_allow_the_edges_and_null_and_check_python_values():
    cfg = LiraConfig().override({"train.warmup_ratio": 1, "train.max_steps": None, "arca.geometry_weight": 0, "model.encode_max_seq_length": 512})
    assert cfg.train.warmup_ratio == 1.0 and cfg.model.encode_max_seq_length == 512
    from lira.config import TrainConfig

    with pytest.raises(ConfigError, match="train.batch_size: expected an integer >= 1, got True"):
        TrainConfig(batch_size=True)
    with pytest.raises(ConfigError, match="train.batch_size: expected an integer >= 1, got '8'"):
        TrainConfig(batch_size="8")


def test_output_dir_that_is_a_file_is_refused_before_training(tmp_path):
    from lira.train import train_arca

    taken = tmp_path / "taken"
    taken.write_text("")
    cfg = LiraConfig().override({"train.output_dir": str(taken), "model.student": "no-such-model", "model.teacher": "no-such-model"})
    with pytest.raises(ConfigError, match=f"^train.output_dir: {taken} is a file, not a folder$"):
        train_arca(cfg)
    LiraConfig().override({"train.output_dir": str(tmp_path / "new" / "run")}).check_paths()  # not there yet: fine


TRAINING_CONFIGS = ["noise-robust", "products-retrieval", "products-retrieval-paraphrases", "products-robust", "products-robust-long",
                    "products-robust-long-catalogs", "products-robust-long-catalogs-paraphrases"]


@pytest.mark.parametrize("name", TRAINING_CONFIGS)
def test_shipped_training_configs_load_and_write_where_their_name_says(name):
    from pathlib import Path

    config = LiraConfig.from_yaml(Path(__file__).resolve().parents[1] / "configs" / f"{name}.yaml")
    assert config.train.output_dir == f"runs/{name}"
    if name.startswith("products"):
        assert config.arca.uses_retrieval()
    assert bool(config.arca.retrieval_paraphrases) == name.endswith("paraphrases")
