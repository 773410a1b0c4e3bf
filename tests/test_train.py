import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lira.arca.model import ArcaEncoder
from lira.config import LiraConfig
from lira.train import latest_checkpoint, train_arca

from .conftest import TINY_CORPUS

PROBE = [x for _, x, _ in TINY_CORPUS[:6]]


def tiny_config(tiny_models, pairs_file, out_dir, **train) -> LiraConfig:
    cfg = LiraConfig()
    cfg.model.teacher = tiny_models["teacher"]
    cfg.model.student = tiny_models["student"]
    cfg.model.char_ngram_buckets = 512
    cfg.model.char_ngram_dim = 16
    cfg.data.train = str(pairs_file)
    cfg.data.languages = sorted({lang for *_, lang in TINY_CORPUS})
    cfg.train.output_dir = str(out_dir)
    cfg.train.batch_size = 4
    cfg.train.learning_rate = 1e-3
    cfg.train.head_learning_rate = 1e-2
    cfg.train.warmup_ratio = 0.0
    cfg.train.max_steps = 6
    cfg.train.checkpoint_every = 2
    cfg.train.log_every = 1
    cfg.train.dev_eval = False  # tests/test_dev_eval.py covers it, on tiny dev files
    # Every term on (the default is the contrastive term alone): these tests exercise the whole objective.
    cfg.arca.anchor_weight, cfg.arca.contrastive_weight, cfg.arca.geometry_weight = 1.0, 0.5, 1.0
    for key, value in train.items():
        setattr(cfg.train, key, value)
    return cfg


def test_training_lowers_the_objective_and_writes_logs(tiny_models, tiny_pairs_file, tmp_path):
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=30)
    result = train_arca(cfg, progress=False)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(1, 31))
    first = np.mean([r["loss"] for r in records[:3]])
    last = np.mean([r["loss"] for r in records[-3:]])
    assert last < first * 0.8, (first, last)
    assert {"loss_anchor", "loss_contrastive", "loss_geometry", "pairs_per_s", "tokens", "tokens_per_s", "lr"} <= set(records[0])
    assert all(r["tokens"] > 0 for r in records)
    assert result.steps == 30 and (result.model_dir / "arca.json").exists()
    assert latest_checkpoint(tmp_path / "run").name == "step-0000030"
    assert len(list((tmp_path / "run" / "checkpoints").glob("step-*"))) == 1


@pytest.mark.parametrize("memory", [None, 6])
def test_interrupted_run_resumes_to_the_same_result(tiny_models, tiny_pairs_file, tmp_path, memory):
    # With a contrastive memory the checkpoint must carry it: a resumed run without the rows of
    # steps 1-2 would rank against other negatives and end elsewhere.
    cfg_a = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "a")
    cfg_a.arca.contrastive_memory = memory
    unbroken = train_arca(cfg_a, progress=False)
    cfg_b = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "b")
    cfg_b.arca.contrastive_memory = memory
    partial = train_arca(cfg_b, progress=False, stop_after_steps=3)  # dies after step 3; last checkpoint is step 2
    assert partial.steps == 3 and not partial.model_dir.exists()
    resumed = train_arca(cfg_b, progress=False)
    assert resumed.resumed_from == 2 and resumed.steps == 6
    a = ArcaEncoder.load(unbroken.model_dir).encode(PROBE, lang="th")
    b = ArcaEncoder.load(resumed.model_dir).encode(PROBE, lang="th")
    np.testing.assert_allclose(a, b, atol=1e-5)
    steps = [json.loads(line)["step"] for line in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5, 6]  # the step-3 line written before the kill was replaced, not doubled


CHILD = """
import sys, time
from lira.config import LiraConfig
from lira.train import train_arca
cfg = LiraConfig.from_yaml(sys.argv[1])
train_arca(cfg, progress=False, on_step=lambda step, logs: time.sleep(1.0))
"""


def test_sigkilled_process_resumes_to_the_same_result(tiny_models, tiny_pairs_file, tmp_path):
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "killed", max_steps=8)
    cfg_path = tmp_path / "cfg.yaml"
    cfg.to_yaml(cfg_path)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(cfg_path)], env=env, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    try:
        while latest_checkpoint(tmp_path / "killed") is None:
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            assert time.time() < deadline, "no checkpoint within 120 s"
            time.sleep(0.2)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed" / "model").exists()
    resumed = train_arca(cfg, progress=False)
    assert resumed.resumed_from is not None and resumed.resumed_from >= 2
    unbroken = train_arca(tiny_config(tiny_models, tiny_pairs_file, tmp_path / "clean", max_steps=8), progress=False)
    np.testing.assert_allclose(
        ArcaEncoder.load(resumed.model_dir).encode(PROBE, lang="ur"), ArcaEncoder.load(unbroken.model_dir).encode(PROBE, lang="ur"), atol=1e-5
    )


def test_all_terms_off_but_one_still_trains(tiny_models, tiny_pairs_file, tmp_path):
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "ablate", max_steps=2)
    cfg.arca.contrastive_weight = 0.0
    cfg.arca.geometry_weight = 0.0
    cfg.model.agents = ["transformer"]
    result = train_arca(cfg, progress=False)
    record = json.loads((tmp_path / "ablate" / "metrics.jsonl").read_text().splitlines()[-1])
    assert "loss_contrastive" not in record and "loss_geometry" not in record
    assert result.steps == 2


def test_checkpoints_leave_out_frozen_weights_and_resume_checks_them(tiny_models, tiny_pairs_file, tmp_path):
    import shutil

    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    student = tmp_path / "student"
    shutil.copytree(tiny_models["student"], student)
    cfg = tiny_config({**tiny_models, "student": str(student)}, tiny_pairs_file, tmp_path / "run")
    cfg.model.trainable_top_layers = 1  # embeddings and layer 0 frozen, layer 1 trained
    train_arca(cfg, progress=False, stop_after_steps=3)
    checkpoint = latest_checkpoint(tmp_path / "run")
    with safe_open(str(checkpoint / "model.safetensors"), framework="pt") as handle:
        keys = set(handle.keys())
    assert not any("word_embeddings" in k or ".layer.0." in k for k in keys)
    assert any(".layer.1." in k for k in keys) and any(k.startswith("fusion.") for k in keys)
    assert len(json.loads((checkpoint / "trainer_state.json").read_text())["frozen_sha256"]) == 64

    # a run that trains more than the checkpoint holds cannot resume from it
    cfg_all = tiny_config({**tiny_models, "student": str(student)}, tiny_pairs_file, tmp_path / "run")
    with pytest.raises(ValueError, match="lacks .* trained weight"):
        train_arca(cfg_all, progress=False)

    # nor can one whose student has other frozen weights than the checkpoint was trained with
    weights_file = next(student.rglob("model.safetensors"))
    weights = load_file(str(weights_file))
    name = next(k for k in weights if "word_embeddings" in k)
    weights[name] = weights[name] + 0.01 * torch.randn_like(weights[name])
    save_file(weights, str(weights_file))
    with pytest.raises(ValueError, match="frozen weights differ"):
        train_arca(cfg, progress=False)


def test_the_default_objective_needs_no_teacher(tiny_models, tiny_pairs_file, tmp_path, monkeypatch):
    import lira.train

    def no_teacher(*_args, **_kwargs):
        raise AssertionError("the contrastive term alone reads no anchor: no teacher may be loaded")

    monkeypatch.setattr(lira.train, "load_teacher", no_teacher)
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=3)
    cfg.arca = LiraConfig().arca  # the default weights
    result = train_arca(cfg, progress=False)
    record = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    assert "loss_contrastive" in record and "loss_anchor" not in record and "loss_geometry" not in record
    assert result.steps == 3


def test_language_batches_give_the_training_loop_one_language_per_batch(tiny_models, tiny_pairs_file, tmp_path, monkeypatch):
    import lira.train

    seen: list[list[str]] = []
    collate = lira.train.PairCollator.__call__

    def recording_collate(self, pairs):
        seen.append([p.lang for p in pairs])
        return collate(self, pairs)

    monkeypatch.setattr(lira.train.PairCollator, "__call__", recording_collate)
    # One epoch of the 12 tiny pairs in batches of 2: th, vi, id, ms and ur have two pairs each (one
    # batch each); fil and bn one each, pooled into the epoch's only mixed batch.
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=6, batch_size=2, language_batches=True)
    train_arca(cfg, progress=False)
    assert sorted(sorted(set(langs)) for langs in seen) == [["bn", "fil"], ["id"], ["ms"], ["th"], ["ur"], ["vi"]]
    seen.clear()
    train_arca(tiny_config(tiny_models, tiny_pairs_file, tmp_path / "mixed", max_steps=6, batch_size=2), progress=False)
    assert sum(len(set(langs)) > 1 for langs in seen) > 1


def test_frozen_dropout_refuses_a_frozen_prefix_cache(tiny_models, tiny_pairs_file, tmp_path):
    # The cache holds eval-mode states: a run asking for dropout in the frozen layers would silently not get it.
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run")
    cfg.model.trainable_top_layers, cfg.model.frozen_dropout = 1, True
    with pytest.raises(ValueError, match="frozen_dropout cannot be combined with a frozen-prefix cache"):
        train_arca(cfg, progress=False, prefix_cache=object())


def test_resuming_with_a_memory_the_checkpoint_lacks_is_a_clear_error(tiny_models, tiny_pairs_file, tmp_path):
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run")
    train_arca(cfg, progress=False, stop_after_steps=3)
    cfg.arca.contrastive_memory = 8
    with pytest.raises(ValueError, match="written without a contrastive memory"):
        train_arca(cfg, progress=False)


def test_default_training_data_adds_the_other_catalogs_train_split(tiny_pairs_file):
    from lira.data.pairs import load_pairs
    from lira.eval.dev import shipped_ood_dev
    from lira.train import training_pairs

    cfg = LiraConfig()
    cfg.data.languages = ["fil"]
    firefox = load_pairs(None, split="train", languages=["fil"])
    catalogs = load_pairs(str(shipped_ood_dev()), split="train", languages=["fil"])
    assert cfg.data.train_catalogs and len(firefox) > 0 and len(catalogs) > 0
    assert training_pairs(cfg) == firefox + catalogs
    cfg.data.train_catalogs = False
    assert training_pairs(cfg) == firefox
    cfg.data.train_catalogs, cfg.data.train, cfg.data.languages = True, str(tiny_pairs_file), ["th"]
    assert training_pairs(cfg) == load_pairs(str(tiny_pairs_file), split="train", languages=["th"])  # your own file replaces both


def test_train_catalog_families_keep_only_the_named_families_and_reject_unknown_ones():
    from lira.config import ConfigError
    from lira.data.gettext_build import source_family
    from lira.data.pairs import load_pairs
    from lira.eval.dev import shipped_ood_dev
    from lira.train import training_pairs

    catalogs = load_pairs(str(shipped_ood_dev()), split="train", languages=["ur"])
    cfg = LiraConfig().override({"data.languages": ["ur"], "data.train_catalog_families": ["mate", "xfce"]})
    firefox = load_pairs(None, split="train", languages=["ur"])
    picked = training_pairs(cfg)[len(firefox):]
    assert picked == [p for p in catalogs if source_family(p) in {"mate", "xfce"}]
    assert 0 < len(picked) < len(catalogs) and {source_family(p) for p in picked} == {"mate", "xfce"}
    with pytest.raises(ConfigError, match="data.train_catalog_families: expected some of cinnamon, debian, mate, xfce"):
        LiraConfig().override({"data.train_catalog_families": ["gtk"]})  # a reserved catalog is no family
    with pytest.raises(ConfigError, match="data.train_catalogs"):
        LiraConfig().override({"data.train_catalogs": False, "data.train_catalog_families": ["mate"]})


def test_deep_supervision_trains_the_transformer_agent_on_its_own(tiny_models, tiny_pairs_file, tmp_path):
    """arca.transformer_contrastive_weight: the contrastive term also on the transformer's own vectors;
    it is logged, falls as training goes on, and is refused for a model with one agent."""
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=20)
    cfg.arca.anchor_weight, cfg.arca.contrastive_weight, cfg.arca.geometry_weight = 0.0, 1.0, 0.0
    cfg.arca.transformer_contrastive_weight = 1.0
    train_arca(cfg, progress=False)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert all("loss_transformer_contrastive" in r for r in records)
    first = np.mean([r["loss_transformer_contrastive"] for r in records[:3]])
    last = np.mean([r["loss_transformer_contrastive"] for r in records[-3:]])
    assert last < first, (first, last)
    for r in records:  # the total is the two contrastive terms (weights 1 and 1)
        assert r["loss"] == pytest.approx(r["loss_contrastive"] + r["loss_transformer_contrastive"], rel=1e-4)
    with pytest.raises(Exception, match="transformer_contrastive_weight"):
        cfg.override({"model.agents": ["transformer"]})
