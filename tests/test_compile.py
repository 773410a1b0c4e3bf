"""train.compile (torch.compile of the student's backbone) and model.pad_to_multiple_of."""

import copy
import json

import numpy as np
import pytest
import torch

from lira.arca.agents.transformer import pad_to_multiple
from lira.arca.model import ArcaEncoder, move_to_device
from lira.config import ConfigError, LiraConfig, ModelConfig
from lira.train import train_arca

from .conftest import TINY_CORPUS
from .test_train import tiny_config

TEXTS = [x for _, x, _ in TINY_CORPUS]
LANGS = [lang for *_, lang in TINY_CORPUS]


def test_pad_to_multiple_pads_ids_and_mask_on_the_tokenizers_side():
    features = {"input_ids": torch.tensor([[5, 6, 7], [5, 6, 1]]), "attention_mask": torch.tensor([[1, 1, 1], [1, 1, 0]]), "modality": "text"}
    right = pad_to_multiple(features, 4, pad_id=1)
    assert right["input_ids"].tolist() == [[5, 6, 7, 1], [5, 6, 1, 1]]
    assert right["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 1, 0, 0]]
    assert right["modality"] == "text"
    left = pad_to_multiple(features, 4, pad_id=1, side="left")
    assert left["input_ids"].tolist() == [[1, 5, 6, 7], [1, 5, 6, 1]]
    assert left["attention_mask"].tolist() == [[0, 1, 1, 1], [0, 1, 1, 0]]
    # never past the model's maximum length, never shorter than the batch
    assert pad_to_multiple(features, 16, pad_id=1, limit=8)["input_ids"].shape == (2, 8)
    assert pad_to_multiple(features, 16, pad_id=1, limit=2)["input_ids"].shape == (2, 3)
    assert pad_to_multiple(features, 3, pad_id=1) is features


def test_padding_to_a_multiple_leaves_embeddings_unchanged(tiny_models):
    plain = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(char_ngram_buckets=512, char_ngram_dim=16), device="cpu")
    padded = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(char_ngram_buckets=512, char_ngram_dim=16, pad_to_multiple_of=16), device="cpu")
    padded.load_state_dict(plain.state_dict())
    batch = padded.prepare(TEXTS, LANGS)
    assert batch["transformer"]["input_ids"].size(1) % 16 == 0
    assert batch["transformer"]["input_ids"].size(1) > plain.prepare(TEXTS, LANGS)["transformer"]["input_ids"].size(1)
    np.testing.assert_allclose(padded.encode(TEXTS, lang=LANGS), plain.encode(TEXTS, lang=LANGS), atol=1e-5)


def test_compile_mode_and_padding_are_checked():
    with pytest.raises(ConfigError, match="train.compile"):
        LiraConfig.from_dict({"train": {"compile": "fast"}})
    with pytest.raises(ConfigError, match="model.pad_to_multiple_of"):
        LiraConfig.from_dict({"model": {"pad_to_multiple_of": 0}})


def test_compile_refuses_the_frozen_prefix_cache(tiny_models, tiny_pairs_file, tmp_path):
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", compile="default")
    with pytest.raises(ValueError, match="frozen-prefix cache"):
        train_arca(cfg, progress=False, prefix_cache=object())
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_compiled_backbone_computes_the_same_function(tiny_models):
    from torch._dynamo.utils import counters

    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(char_ngram_buckets=512, char_ngram_dim=16, pad_to_multiple_of=64), device="cpu")
    eager = copy.deepcopy(model)
    batch = move_to_device(model.prepare(TEXTS, LANGS), torch.device("cpu"))
    graphs_before = counters["stats"]["unique_graphs"]
    with model.transformer.compiled("default"):
        assert model.state_dict().keys() == eager.state_dict().keys()  # same names, same checkpoints
        model.eval()
        eager.eval()
        torch.testing.assert_close(model(batch), eager(batch), atol=1e-5, rtol=1e-4)
        assert counters["stats"]["unique_graphs"] > graphs_before  # it did run compiled code
        # in training mode compiled and eager code draw different dropout masks: check that gradients flow
        model.train()
        model(batch).pow(2).sum().backward()
        grads = [p.grad for p in model.transformer.model[0].auto_model.encoder.layer.parameters()]
        assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert "forward" not in vars(model.transformer.model[0].auto_model)  # the plain forward is back
    copy.deepcopy(model)  # and the model copies again


def test_compiled_training_lowers_the_objective_and_saves_a_plain_model(tiny_models, tiny_pairs_file, tmp_path):
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", compile="default", max_steps=12)
    cfg.model.pad_to_multiple_of = 64  # one width for every batch (12 pairs, batch 4): one compiled graph
    from torch._dynamo.utils import counters

    graphs_before = counters["stats"]["unique_graphs"]
    result = train_arca(cfg, progress=False)
    assert counters["stats"]["unique_graphs"] > graphs_before  # dynamo did compile the backbone
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(1, 13))
    assert np.mean([r["loss"] for r in records[-3:]]) < np.mean([r["loss"] for r in records[:3]])
    reloaded = ArcaEncoder.load(result.model_dir, device="cpu")  # an ordinary, uncompiled model
    assert reloaded.config.pad_to_multiple_of == 64
    assert np.isfinite(reloaded.encode(TEXTS, lang=LANGS)).all()
