"""Retrieval training: QueryTitleRetrievalLoss, BM25-mined hard negatives from the train split
(lira.data.retrieval) and the term inside train_arca (arca.retrieval_weight)."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import torch

from lira.arca.losses import QueryTitleRetrievalLoss
from lira.config import ArcaConfig, ConfigError, LiraConfig
from lira.data import retrieval as retrieval_mod
from lira.data.retrieval import RetrievalBatches, false_negative_mask, load_retrieval_data
from lira.objective import ArcaObjective, RetrievalViews

from .conftest import gradient_step_lowers

LANGS = ["th", "vi", "id", "ms", "fil", "ur", "bn"]


# -- the loss ---------------------------------------------------------------------------------
def test_masked_false_negative_does_not_contribute_hand_computed():
    # Unit vectors, temperature 1: the logits are the cosines.
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    titles = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-1.0, 0.0]])
    mask = torch.tensor([[False, False, True, False], [False, False, False, False]])  # title 2 is a false negative of query 0
    value, parts = QueryTitleRetrievalLoss(temperature=1.0)(queries, titles, torch.tensor([0, 1]), mask)
    # query 0: cosines 1, 0, (0.6 masked), -1; query 1: cosines 0, 1, 0.8, 0.
    row0 = -math.log(math.e / (math.e + 1 + math.exp(-1)))
    row1 = -math.log(math.e / (1 + math.e + math.exp(0.8) + 1))
    assert float(value) == pytest.approx((row0 + row1) / 2, rel=1e-6)
    assert parts["retrieval_acc"] == 1.0
    # Moving the masked title onto query 0 (a perfect, but labelled-relevant, match) changes nothing for query 0.
    moved = titles.clone()
    moved[2] = queries[0]
    only_row0 = QueryTitleRetrievalLoss(temperature=1.0)(queries[:1], moved, torch.tensor([0]), mask[:1])[0]
    assert float(only_row0) == pytest.approx(row0, rel=1e-6)


def test_masked_title_gets_no_gradient_and_the_positive_is_never_masked():
    queries = torch.randn(3, 8)
    titles = torch.randn(5, 8, requires_grad=True)
    mask = torch.zeros(3, 5, dtype=torch.bool)
    mask[:, 4] = True  # a false negative of every query
    mask[1, 1] = True  # asks to mask query 1's own positive: ignored
    value, _ = QueryTitleRetrievalLoss(temperature=0.1)(queries, titles, torch.arange(3), mask)
    value.backward()
    assert torch.all(titles.grad[4] == 0)
    assert torch.any(titles.grad[1] != 0)
    unmasked_positive = QueryTitleRetrievalLoss(temperature=0.1)(queries, titles.detach(), torch.arange(3), mask & ~torch.eye(3, 5, dtype=torch.bool))[0]
    assert float(value.detach()) == pytest.approx(float(unmasked_positive))


def test_loss_decreases_on_a_toy_problem():
    loss = QueryTitleRetrievalLoss(temperature=0.1)
    mask = torch.zeros(6, 12, dtype=torch.bool)
    before, after = gradient_step_lowers(lambda q, t: loss(q, t, torch.arange(6), mask), (6, 8), (12, 8), lr=0.05)
    assert after < before
    torch.manual_seed(0)
    q, t = torch.randn(6, 8, requires_grad=True), torch.randn(12, 8, requires_grad=True)
    optimizer = torch.optim.Adam([q, t], lr=0.05)
    first = None
    for _ in range(60):
        value, parts = loss(q, t, torch.arange(6), mask)
        first = float(value.detach()) if first is None else first
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    assert float(value.detach()) < 0.2 * first and parts["retrieval_acc"] == 1.0


def test_objective_weights_the_retrieval_term_and_config_validates_it():
    cfg = ArcaConfig(contrastive_weight=0.0, retrieval_weight=2.0)
    objective = ArcaObjective(cfg)
    views = RetrievalViews(torch.eye(2), torch.eye(2), torch.arange(2), torch.zeros(2, 2, dtype=torch.bool))
    total, logs = objective(torch.zeros(2, 2), torch.zeros(2, 2), None, retrieval=views)
    assert float(total) == pytest.approx(2 * logs["loss_retrieval"]) and "retrieval_acc" in logs
    assert ArcaConfig().retrieval_weight is None and not ArcaConfig().uses_retrieval()
    with pytest.raises(ConfigError, match="retrieval_catalogs"):
        ArcaConfig(retrieval_catalogs=["mixed"])
    with pytest.raises(ConfigError, match="retrieval_temperature"):
        ArcaConfig(retrieval_temperature=0.0)


# -- the data ---------------------------------------------------------------------------------
def _rows(folder, name):
    return [json.loads(line) for line in (folder / "jsonl" / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _safe(folder):
    safe: dict[str, set[str]] = {}
    for row in _rows(folder, "qrels.train.jsonl"):
        if row["label"] in ("E", "S"):
            safe.setdefault(row["query_id"], set()).add(row["product_id"])
    return safe


@pytest.fixture()
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LIRA_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_mining_never_returns_labelled_exact_or_substitute_products(small_products, own_cache):
    data = load_retrieval_data(small_products, LANGS)
    safe = _safe(small_products)
    assert data.mined and sum(len(v) for v in data.mined.values()) > 0
    for (qid, _lang), pids in data.mined.items():
        assert not set(pids) & safe[qid], qid
        assert len(pids) == len(set(pids)) <= retrieval_mod.DEFAULT_MINING_DEPTH
    # English and low-resource queries alike, against their own catalogue and the English one.
    pairs = {(e.query_lang, e.title_lang) for e in data.examples}
    assert ("en", "en") in pairs and all((lang, lang) in pairs and (lang, "en") in pairs for lang in LANGS)
    for e in data.examples:
        assert set(e.positives) <= e.safe and e.safe == frozenset(safe[e.query_id])


def test_batches_never_use_a_labelled_positive_as_a_negative(small_products, own_cache):
    data = load_retrieval_data(small_products, LANGS)
    safe = _safe(small_products)
    batches = RetrievalBatches(data, batch_size=16, hard_negatives=3, seed=0)
    masked = 0
    for step in range(40):
        b = batches.batch(step)
        n = len(b.queries)
        assert len(b.titles) > n  # hard negatives came along
        for i, qid in enumerate(b.query_ids):
            assert b.title_products[i] in safe[qid]  # the positive is exact
            for j, pid in enumerate(b.title_products):
                if j != i and not b.false_negatives[i, j]:
                    assert pid not in safe[qid] and b.titles[j] != b.titles[i]
            masked += int(b.false_negatives[i].sum()) - 1
    assert masked > 0  # the mask had work to do
    # Seeded: the same (seed, step) draws the same batch, another seed another one.
    again = RetrievalBatches(data, batch_size=16, hard_negatives=3, seed=0).batch(7)
    assert again.titles == batches.batch(7).titles and torch.equal(again.false_negatives, batches.batch(7).false_negatives)
    assert RetrievalBatches(data, batch_size=16, hard_negatives=3, seed=1).batch(7).titles != again.titles


def test_query_noise_noises_low_resource_queries_only_and_keeps_the_batch(small_products, own_cache):
    from lira.data.training_noise import TrainingNoise

    data = load_retrieval_data(small_products, LANGS)
    clean = RetrievalBatches(data, batch_size=16, hard_negatives=2, seed=0)
    noise = TrainingNoise(LANGS, level=0.3, held_out="swap", seed=0)
    noisy = RetrievalBatches(data, batch_size=16, hard_negatives=2, seed=0, query_noise=noise, query_noise_share=1.0)
    changed = 0
    for step in range(20):
        a, b = clean.batch(step), noisy.batch(step)
        # Same examples, positives, negatives and mask: only the query text differs.
        assert a.query_ids == b.query_ids and a.titles == b.titles and torch.equal(a.false_negatives, b.false_negatives)
        for q, nq, lang in zip(a.queries, b.queries, a.query_langs):
            if lang == "en":
                assert nq == q
            else:
                assert nq == noise(q, lang, step)  # the training copy of that step, nothing else
                changed += nq != q
    assert changed > 100
    assert noisy.batch(5).queries == RetrievalBatches(data, batch_size=16, hard_negatives=2, seed=0, query_noise=noise, query_noise_share=1.0).batch(5).queries
    # A share of 0.5 noises about half; the noised queries of the steps are listed in advance.
    half = RetrievalBatches(data, batch_size=16, hard_negatives=2, seed=0, query_noise=noise, query_noise_share=0.5)
    lrl = [(q, c) for s in range(40) for q, c, lang in zip(half.batch(s).queries, clean.batch(s).queries, clean.batch(s).query_langs) if lang != "en"]
    assert 0.3 < sum(q != c for q, c in lrl) / len(lrl) < 0.6
    listed = half.noised_queries(range(40))
    assert listed == {q for q, c in lrl if q != c}
    assert clean.noised_queries(range(40)) == set()
    with pytest.raises(ValueError, match="query_noise_share"):
        RetrievalBatches(data, batch_size=4, hard_negatives=0, seed=0, query_noise=noise, query_noise_share=1.5)


def test_config_query_noise_needs_the_retrieval_term():
    with pytest.raises(ConfigError, match="arca.retrieval_query_noise"):
        ArcaConfig(retrieval_query_noise=0.5)
    with pytest.raises(ConfigError, match="arca.retrieval_query_noise"):
        ArcaConfig(retrieval_weight=1.0, retrieval_query_noise=1.5)
    assert ArcaConfig(retrieval_weight=1.0, retrieval_query_noise=0.5).retrieval_query_noise == 0.5
    with pytest.raises(ConfigError, match="arca.retrieval_query_noise_level"):
        ArcaConfig(retrieval_weight=1.0, retrieval_query_noise_level=0.1)  # a level for queries nobody noises
    with pytest.raises(ConfigError, match="arca.retrieval_query_noise_level"):
        ArcaConfig(retrieval_weight=1.0, retrieval_query_noise=0.5, retrieval_query_noise_level=2.0)


def test_false_negative_mask_by_product_and_by_identical_text():
    mask = false_negative_mask([frozenset({"A", "B"}), frozenset({"C"})], ["title a", "title c"], ["A", "C", "B", "D"], ["title a", "title c", "title b", "title a"])
    assert mask.tolist() == [[True, False, True, True], [False, True, False, False]]


def test_only_the_train_split_is_read_and_mining_is_cached(small_products, own_cache, tmp_path, monkeypatch):
    folder = tmp_path / "ds"
    shutil.copytree(small_products, folder)
    for name in ("catalog", "queries", "qrels"):
        (folder / "jsonl" / f"{name}.test.jsonl").write_text("not json: reading the test split is a bug\n", encoding="utf-8")
    import lira.data.reasoning as reasoning

    read: list[str] = []
    original = reasoning._read_jsonl
    monkeypatch.setattr(reasoning, "_read_jsonl", lambda path: read.append(path.name) or original(path))
    first = load_retrieval_data(folder, LANGS)
    assert sorted(read) == ["catalog.train.jsonl", "qrels.train.jsonl", "queries.train.jsonl"]
    assert list((own_cache / "retrieval-mining").glob("*.json"))

    def no_mining(*_, **__):
        raise AssertionError("mined again instead of reading the cache")

    monkeypatch.setattr(retrieval_mod, "mine_hard_negatives", no_mining)
    assert load_retrieval_data(folder, LANGS).mined == first.mined
    # the cache is keyed by the train files' bytes: a changed split is mined afresh
    qrels = folder / "jsonl" / "qrels.train.jsonl"
    qrels.write_text("".join(qrels.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    with pytest.raises(AssertionError, match="mined again"):
        load_retrieval_data(folder, LANGS)


# -- inside train_arca ------------------------------------------------------------------------
def test_train_arca_with_the_retrieval_term(tiny_models, tiny_pairs_file, tmp_path, small_products, own_cache):
    from lira.train import term_texts, train_arca

    from .test_train import tiny_config

    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=3)
    cfg.data.retrieval = str(small_products)
    cfg.arca.retrieval_weight, cfg.arca.retrieval_batch_size, cfg.arca.retrieval_hard_negatives = 1.0, 4, 1
    cfg.arca.retrieval_catalogs = ["en"]
    result = train_arca(cfg, progress=False)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 3 and all("loss_retrieval" in r and "retrieval_acc" in r for r in records)
    assert result.steps == 3
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert "retrieval 1" in card and "retrieval queries and titles: the train split of" in card
    texts = term_texts(cfg)
    assert set(texts) == {"query", "passage"} and texts["query"] and texts["passage"]
    # With query noise, the noised queries the run's batches carry are listed too (a frozen-prefix cache needs them).
    noisy = LiraConfig.from_dict(cfg.to_dict())
    noisy.arca.retrieval_query_noise, noisy.arca.noise_level = 1.0, 0.3
    extra = set(term_texts(noisy, epochs=2)["query"]) - set(texts["query"])
    from lira.train import retrieval_batches, retrieval_steps, training_pairs

    batches = retrieval_batches(noisy)
    carried = {q for s in retrieval_steps(noisy, len(training_pairs(noisy)), 2) for q in batches.batch(s).queries}
    assert extra and extra <= carried and carried - set(texts["query"]) == extra
    # The queries' own level: the noise terms keep noise_level, the query -> title term takes its own.
    from lira.train import training_noise

    split = LiraConfig.from_dict(noisy.to_dict())
    split.arca.retrieval_query_noise_level, split.arca.noise_anchor_weight = 0.05, 1.0
    assert retrieval_batches(split).query_noise.level == 0.05 and training_noise(split).level == 0.3
    assert retrieval_batches(noisy).query_noise.level == 0.3  # None: the noise terms' level
    quiet = LiraConfig.from_dict(noisy.to_dict())
    quiet.arca.retrieval_query_noise_level = 0.0  # level 0 noises nothing: no query text beyond the clean ones
    assert term_texts(quiet, epochs=2)["query"] == texts["query"]
    # data.retrieval is checked before any model loads
    bad = LiraConfig.from_dict(cfg.to_dict())
    bad.data.retrieval = str(tmp_path / "missing")
    with pytest.raises(ConfigError, match="data.retrieval"):
        bad.check_paths()


def test_retrieval_and_noise_terms_resume_to_the_same_result(tiny_models, tiny_pairs_file, tmp_path, small_products, own_cache):
    """Retrieval batches come from (seed, step) and noised copies from (seed, epoch, text): a run killed
    after step 3 (checkpoint at 2, in its second epoch) and resumed ends where an unbroken run ends."""
    import numpy as np

    from lira.arca.model import ArcaEncoder
    from lira.train import train_arca

    from .test_train import PROBE, tiny_config

    def config(out):
        cfg = tiny_config(tiny_models, tiny_pairs_file, out)
        cfg.data.retrieval = str(small_products)
        cfg.arca.retrieval_weight, cfg.arca.retrieval_batch_size, cfg.arca.retrieval_hard_negatives = 1.0, 3, 1
        cfg.arca.noise_anchor_weight, cfg.arca.noise_consistency_weight, cfg.arca.noise_level = 1.0, 1.0, 0.3
        return cfg

    unbroken = train_arca(config(tmp_path / "a"), progress=False)
    cfg_b = config(tmp_path / "b")
    train_arca(cfg_b, progress=False, stop_after_steps=3)
    resumed = train_arca(cfg_b, progress=False)
    assert resumed.resumed_from == 2 and resumed.steps == 6
    a = ArcaEncoder.load(unbroken.model_dir).encode(PROBE, lang="th")
    b = ArcaEncoder.load(resumed.model_dir).encode(PROBE, lang="th")
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_paraphrase_queries_join_with_their_intents_labels_and_only_the_train_split(small_products, own_cache, tmp_path, monkeypatch):
    plain = load_retrieval_data(small_products, LANGS)
    with_para = load_retrieval_data(small_products, LANGS, paraphrases=True)
    rows = _rows(small_products, "paraphrases.train.jsonl")
    assert rows
    by_text = {(r["query_id"], r["lang"], r["text"]) for r in rows}
    added = [e for e in with_para.examples if e not in plain.examples]
    # Every paraphrase gives one example per catalogue (its own language's and the English one; English once).
    expected = sum(1 if r["lang"] == "en" else 2 for r in rows)
    assert len(added) == expected and set(plain.examples) <= set(with_para.examples)
    safe = _safe(small_products)
    for e in added:
        assert (e.query_id, e.query_lang, e.query) in by_text
        assert e.safe == frozenset(safe[e.query_id]) and set(e.positives) <= e.safe
        assert (e.query_id, e.title_lang) in with_para.mined  # the intent's negatives, mined with its plain query
    assert with_para.mined == plain.mined
    assert {e.query for e in added} <= set(with_para.texts()["query"])
    # Only paraphrases.train.jsonl is added to what is read.
    import lira.data.reasoning as reasoning

    read: list[str] = []
    original = reasoning._read_jsonl
    monkeypatch.setattr(reasoning, "_read_jsonl", lambda path: read.append(path.name) or original(path))
    load_retrieval_data(small_products, LANGS, paraphrases=True)
    assert sorted(read) == ["catalog.train.jsonl", "paraphrases.train.jsonl", "qrels.train.jsonl", "queries.train.jsonl"]


def test_paraphrase_errors_name_the_file_and_line(small_products, own_cache, tmp_path):
    folder = tmp_path / "ds"
    shutil.copytree(small_products, folder)
    path = folder / "jsonl" / "paraphrases.train.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["query_id"] = "train-q-no-such-intent"
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"paraphrases\.train\.jsonl:1: paraphrase of train-q-no-such-intent"):
        load_retrieval_data(folder, LANGS, paraphrases=True)
    path.unlink()
    with pytest.raises(ValueError, match="paraphrases.train.jsonl: missing"):
        load_retrieval_data(folder, LANGS, paraphrases=True)
    assert load_retrieval_data(folder, LANGS).examples  # the plain term does not need the file
    with pytest.raises(ConfigError, match="arca.retrieval_paraphrases"):
        ArcaConfig(retrieval_paraphrases=True)


def test_the_config_flag_reaches_the_training_batches(tiny_models, tiny_pairs_file, tmp_path, small_products, own_cache):
    from lira.train import retrieval_batches, term_texts

    from .test_train import tiny_config

    cfg = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=3)
    cfg.data.retrieval = str(small_products)
    cfg.arca.retrieval_weight = 1.0
    plain = retrieval_batches(cfg).data.examples
    cfg.arca.retrieval_paraphrases = True
    with_para = retrieval_batches(cfg).data.examples
    paraphrases = {r["text"] for r in _rows(small_products, "paraphrases.train.jsonl")}
    added = [e for e in with_para if e not in set(plain)]
    assert added and {e.query for e in added} <= paraphrases
    assert {e.query for e in added} <= set(term_texts(cfg)["query"])  # a frozen-prefix cache gets them too
