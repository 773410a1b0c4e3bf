"""Training scores in-domain and out-of-domain dev sets, keeps the best model, and warns when it got worse."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lira.arca.model import ArcaEncoder
from lira.arca.teacher import SelfTeacher, load_teacher
from lira.arca.teacher_cache import TeacherAnchorCache
from lira.config import LiraConfig
from lira.data.pairs import ParallelPair
from lira.eval import dev as dev_module
from lira.eval.dev import DevEvaluator, dev_score, load_dev_sets, sample_per_language, worse_sets
from lira.train import DEV_METRICS_FILE, LAST_MODEL_DIR, train_arca

from .conftest import TINY_CORPUS
from .test_train import tiny_config


@pytest.fixture()
def dev_files(tmp_path):
    in_domain = tmp_path / "in.tsv"
    in_domain.write_text("".join(f"{en}\t{x}\t{lang}\n" for en, x, lang in TINY_CORPUS[:8]), encoding="utf-8")
    ood = tmp_path / "ood"
    ood.mkdir()
    (ood / "dev.tsv").write_text("".join(f"{en}\t{x}\t{lang}\n" for en, x, lang in TINY_CORPUS[4:]), encoding="utf-8")
    return str(in_domain), str(ood)


def dev_config(tiny_models, pairs_file, out_dir, dev_files, **train) -> LiraConfig:
    cfg = tiny_config(tiny_models, pairs_file, out_dir, dev_eval=True, **train)
    cfg.data.dev, cfg.data.ood_dev = dev_files[0], [dev_files[1]]
    return cfg


def test_sample_is_seeded_per_language_and_not_a_prefix():
    pairs = [ParallelPair(f"e{i}", f"t{i}", "th" if i % 2 else "vi") for i in range(400)]
    first = sample_per_language(pairs, 50)
    assert first == sample_per_language(pairs, 50)
    assert sum(p.lang == "th" for p in first) == 50 and sum(p.lang == "vi" for p in first) == 50
    assert [p.en for p in first if p.lang == "vi"] != [p.en for p in pairs if p.lang == "vi"][:50]
    assert sample_per_language(pairs, None) == pairs


def test_dev_score_is_the_mean_of_both_sets_and_directions():
    metrics = {"in_domain/mean/x2en/acc@1": 0.8, "in_domain/mean/en2x/acc@1": 0.6, "out_of_domain/mean/x2en/acc@1": 0.5, "out_of_domain/mean/en2x/acc@1": 0.3}
    assert dev_score(metrics) == pytest.approx((0.7 + 0.4) / 2)
    worse = worse_sets(metrics, {**metrics, "out_of_domain/mean/en2x/acc@1": 0.25})
    assert worse == ["out_of_domain en2x 0.300 -> 0.250"]


def test_dev_sets_load_from_config_paths(dev_files):
    sets = load_dev_sets(["th", "vi", "ur"], dev_files[0], [dev_files[1]], pairs_per_language=None)
    assert {p.lang for p in sets["in_domain"]} == {"th", "vi", "ur"}
    assert len(sets["out_of_domain"]) == sum(1 for *_, lang in TINY_CORPUS[4:] if lang in {"th", "vi", "ur"})


def test_training_logs_dev_at_start_checkpoints_and_end(tiny_models, tiny_pairs_file, tmp_path, dev_files):
    cfg = dev_config(tiny_models, tiny_pairs_file, tmp_path / "run", dev_files, max_steps=6, checkpoint_every=2, select_best=False)
    result = train_arca(cfg, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / DEV_METRICS_FILE).read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 2, 4, 6]
    assert {"in_domain/th/x2en/acc@1", "out_of_domain/ur/en2x/acc@1", "dev_score"} <= set(rows[0])
    assert result.dev["start"] == {k: v for k, v in rows[0].items() if k != "step"}
    assert result.selected_step == 6 and not (tmp_path / "run" / LAST_MODEL_DIR).exists()


def _scripted_scores(scores):
    """DevEvaluator.__call__ returning these dev scores in turn (both sets equal to the score)."""
    it = iter(scores)

    def call(self, encoder):
        s = next(it)
        keys = [f"{name}/mean/{d}/acc@1" for name in ("in_domain", "out_of_domain") for d in ("x2en", "en2x")]
        return {**{k: s for k in keys}, "dev_score": s}

    return call


def test_best_dev_model_is_kept_and_a_worse_end_is_warned(tiny_models, tiny_pairs_file, tmp_path, dev_files, monkeypatch):
    monkeypatch.setattr(DevEvaluator, "__call__", _scripted_scores([0.5, 0.9, 0.4, 0.3]))
    cfg = dev_config(tiny_models, tiny_pairs_file, tmp_path / "run", dev_files, max_steps=6, checkpoint_every=2)
    result = train_arca(cfg, progress=False)
    assert result.selected_step == 2 and result.dev["selected"]["dev_score"] == 0.9
    kept, last = ArcaEncoder.load(result.model_dir), ArcaEncoder.load(tmp_path / "run" / LAST_MODEL_DIR)
    probe = [x for _, x, _ in TINY_CORPUS[:4]]
    assert not np.allclose(kept.encode(probe), last.encode(probe))  # two different steps' weights
    assert any("the last step (step 6) is worse than the untrained student on dev: in_domain x2en 0.500 -> 0.300" in w for w in result.warnings)
    assert not any(w.startswith("the kept model") for w in result.warnings)
    # the kept model's card states the scores the run measured (start, this model, last step)
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert "| dev_score | 0.5000 | 0.9000 | 0.3000 |" in card and "this model (step 2)" in card
    assert card.startswith("---\n") and "library_name: sentence-transformers" in card


def test_resumed_run_does_not_log_dev_twice(tiny_models, tiny_pairs_file, tmp_path, dev_files):
    cfg = dev_config(tiny_models, tiny_pairs_file, tmp_path / "run", dev_files, max_steps=6, checkpoint_every=2)
    train_arca(cfg, progress=False, stop_after_steps=3)
    result = train_arca(cfg, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / DEV_METRICS_FILE).read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 2, 4, 6] and result.resumed_from == 2


def test_self_teacher_anchors_to_the_untrained_students_english(tiny_models):
    cfg = LiraConfig()
    cfg.model.student, cfg.model.teacher = tiny_models["student"], "self"
    cfg.model.char_ngram_buckets, cfg.model.char_ngram_dim = 512, 16
    teacher = load_teacher(cfg.model, device="cpu")
    assert isinstance(teacher, SelfTeacher) and not any(p.requires_grad for p in teacher.model.parameters())
    english = [en for en, *_ in TINY_CORPUS[:5]]
    fresh = ArcaEncoder.from_student(cfg.model.student, cfg.model, device="cpu")
    expected = fresh.encode(english, lang="en")  # with the student's "query: " prompt
    cache = TeacherAnchorCache(teacher, len(english))
    out = cache(torch.arange(len(english)), english, "cpu")
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-5)


def test_training_with_the_self_teacher_lowers_the_objective(tiny_models, tiny_pairs_file, tmp_path):
    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=30)
    cfg.model.teacher, cfg.model.agents = "self", ["transformer"]
    train_arca(cfg, progress=False)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    # At step 0 the English term is ~0 (the student is its own anchor): what must fall is the
    # cross-lingual term (x onto the untrained English point) and the translation ranking.
    for key, factor in (("anchor_lrl", 0.8), ("loss_contrastive", 1.0)):
        first, last = np.mean([r[key] for r in records[:3]]), np.mean([r[key] for r in records[-3:]])
        assert last < first * factor, (key, first, last)
    assert records[0]["anchor_en"] < records[0]["anchor_lrl"] / 3  # only dropout moves English at step 1


class _RotatingEncoder:
    """Fixed random English vectors; after ``scramble()`` the rows are shuffled (neighbourhoods lost)."""

    def __init__(self, texts):
        rng = np.random.default_rng(0)
        self.vectors = {t: v / np.linalg.norm(v) for t, v in zip(texts, rng.normal(size=(len(texts), 16)))}

    def scramble(self):
        keys = list(self.vectors)
        values = [self.vectors[k] for k in keys]
        self.vectors = dict(zip(keys, values[1:] + values[:1]))

    def encode(self, sentences, **_):
        return np.stack([self.vectors[s] for s in sentences]).astype(np.float32)


def test_english_neighbourhoods_kept_is_one_until_the_space_changes():
    sets = {"in_domain": [ParallelPair(f"sentence {i}", f"câu {i}", "vi") for i in range(120)],
            "out_of_domain": [ParallelPair(f"other {i}", f"lain {i}", "id") for i in range(80)]}
    evaluator = DevEvaluator(sets)
    encoder = _RotatingEncoder(sorted({t for pairs in sets.values() for p in pairs for t in (p.en, p.text)}))
    assert evaluator(encoder)["english/knn10_kept"] == 1.0
    assert evaluator(encoder)["english/knn10_kept"] == 1.0  # same space, same neighbours
    encoder.scramble()
    kept = evaluator.english_neighbours_kept(encoder)
    reference = evaluator.english_reference
    expected = np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(dev_module.nearest_neighbours(encoder.encode(evaluator.english), 10), reference)])
    assert kept == pytest.approx(expected) and kept < 0.9
