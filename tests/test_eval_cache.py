"""Evaluations before, during and after training reuse the student's frozen lower layers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lira.arca.model import ArcaEncoder
from lira.config import ModelConfig
from lira.eval.bitext import BitextRetrievalEvaluator
from lira.eval.dev import DevEvaluator
from lira.models import prefix_cache as prefix_cache_module
from lira.models.prefix_cache import FrozenPrefixCache, evaluation_cache
from lira.train import DEV_METRICS_FILE, train_arca

from .conftest import TINY_CORPUS
from .test_dev_eval import dev_config, dev_files  # noqa: F401  (fixture)

TEXTS = [x for _, x, _ in TINY_CORPUS[:6]] + [en for en, _, _ in TINY_CORPUS[:6]]


def test_evaluation_cache_only_where_there_is_a_frozen_prefix(tiny_models):
    assert evaluation_cache(ArcaEncoder.from_student(tiny_models["student"], ModelConfig())) is None  # every layer trained
    assert evaluation_cache(ArcaEncoder.from_student(tiny_models["student"], ModelConfig(trainable_top_layers=1, freeze_word_embeddings=False))) is None
    assert isinstance(evaluation_cache(ArcaEncoder.from_student(tiny_models["student"], ModelConfig(trainable_top_layers=1))), FrozenPrefixCache)


def test_a_cache_filled_by_the_untrained_student_serves_the_trained_one(tiny_models):
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(trainable_top_layers=1, encode_max_seq_length=120))
    long_text = " ".join(TEXTS) * 6
    cache = evaluation_cache(model)
    layers = model.transformer.model[0].auto_model.encoder.layer
    calls = []
    hook = layers[-1].register_forward_hook(lambda *_: calls.append(1))
    assert cache.fill(model, TEXTS + [long_text], encoding_only=True) == len(TEXTS) + 1  # one key per text: the encoding length only
    hook.remove()
    assert not calls and len(layers) == 2  # the fill ran the frozen layer only, and put the others back
    with torch.no_grad():  # "training": the top layer changes, the frozen prefix does not
        model.transformer.model[0].auto_model.encoder.layer[-1].output.dense.weight.mul_(1.5)
    full = model.encode(TEXTS + [long_text], lang="th")
    with cache.attached(model):
        cached = model.encode(TEXTS + [long_text], lang="th")
    assert np.allclose(full, cached, rtol=0, atol=1e-5) and cache.hits == len(TEXTS) + 1
    evaluator = BitextRetrievalEvaluator([(en, x, lang) for en, x, lang in TINY_CORPUS])
    assert set(evaluator.texts()) == {t for en, x, _ in TINY_CORPUS for t in (en, x)}


def test_training_scores_dev_through_the_cache_with_the_uncached_numbers(tiny_models, tiny_pairs_file, tmp_path, dev_files, monkeypatch):  # noqa: F811
    fills = []
    real_fill = FrozenPrefixCache.fill

    def counting_fill(self, model, texts, *args, **kwargs):
        fills.append(len(texts))
        return real_fill(self, model, texts, *args, **kwargs)

    monkeypatch.setattr(prefix_cache_module.FrozenPrefixCache, "fill", counting_fill)
    cfg = dev_config(tiny_models, tiny_pairs_file, tmp_path / "run", dev_files, max_steps=4, checkpoint_every=2, select_best=False)
    cfg.model.trainable_top_layers = 1
    result = train_arca(cfg, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / DEV_METRICS_FILE).read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 2, 4]
    assert len(fills) == 1  # filled once, at the first evaluation; steps 2 and 4 read it
    uncached = DevEvaluator.from_config(cfg)
    assert uncached(ArcaEncoder.from_student(cfg.model.student, cfg.model))["dev_score"] == pytest.approx(rows[0]["dev_score"])
    final = uncached(ArcaEncoder.load(result.model_dir))
    for key in ("dev_score", "in_domain/mean/x2en/acc@1", "out_of_domain/mean/en2x/acc@1"):
        assert final[key] == pytest.approx(rows[-1][key]), key
