import numpy as np
import pytest

from lira.eval.bitext import BitextRetrievalEvaluator, rank_metrics, retrieval_ranks


class TableEncoder:
    """Returns fixed vectors per sentence: lets a test dictate the similarity matrix."""

    def __init__(self, table):
        self.table = {k: np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for k, v in table.items()}

    def encode(self, sentences, **_):
        return np.stack([self.table[s] for s in sentences])


def test_ranks_and_metrics_match_hand_computation():
    sim = np.array([[0.9, 0.1, 0.2], [0.8, 0.7, 0.1], [0.3, 0.2, 0.1]])
    ranks = retrieval_ranks(sim, [{0}, {1}, {2}])
    assert ranks.tolist() == [1, 2, 3]
    m = rank_metrics(ranks, k=2)
    assert m["acc@1"] == pytest.approx(1 / 3)
    assert m["recall@2"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)


def test_ties_count_against_the_model():
    # Every candidate scores the same: each query ranks behind all 49 other candidates, so
    # accuracy@1 is exactly 0 (not 1.0, as when ties resolved in the model's favour).
    ranks = retrieval_ranks(np.ones((50, 50)), [{i} for i in range(50)])
    assert ranks.tolist() == [50] * 50
    assert rank_metrics(ranks)["acc@1"] == 0.0
    # Hand-computed: row 0 ties its gold with one candidate -> rank 2; row 1 has two gold
    # candidates tied at the top and one non-gold tied with them -> rank 2 (the other gold one
    # does not count); row 2 is beaten by 0.9 and tied by 0.4 -> rank 3; row 3 wins alone -> rank 1.
    sim = np.array([[0.5, 0.5, 0.2], [0.5, 0.5, 0.5], [0.9, 0.4, 0.4], [0.1, 0.7, 0.6]])
    assert retrieval_ranks(sim, [{0}, {0, 1}, {2}, {1}]).tolist() == [2, 2, 3, 1]


def test_constant_encoder_scores_zero():
    class Constant:
        def encode(self, sentences, **_):
            return np.ones((len(sentences), 4), dtype=np.float32) / 2

    pairs = [(f"en{i}", f"th{i}", "th") for i in range(50)]
    m = BitextRetrievalEvaluator(pairs)(Constant())
    assert m["th/x2en/acc@1"] == 0.0 and m["th/en2x/acc@1"] == 0.0
    assert m["th/x2en/mrr"] == pytest.approx(1 / 50)


def test_evaluator_both_directions_and_duplicate_sides():
    pairs = [("cat", "meo", "vi"), ("dog", "cho", "vi"), ("bird", "chim", "vi"), ("kitty", "meo", "vi")]
    enc = TableEncoder({
        "meo": [1, 0, 0], "cho": [0, 1, 0], "chim": [0.0, 1.0, 0.1],
        "cat": [1, 0, 0], "kitty": [0.9, 0.1, 0], "dog": [0, 1, 0], "bird": [0, 0, 1],
    })
    evaluator = BitextRetrievalEvaluator(pairs)
    m = evaluator(enc)
    # per item, JSON-ready, in the evaluator's de-duplicated order (texts and English sorted)
    assert evaluator.hits_by_set() == {"vi/x2en": [False, True, True], "vi/en2x": [True, True, True, True]}
    # x->en: meo -> cat (gold {cat, kitty}) rank 1; cho -> dog rank 1; chim (0, .995, .0995) scores
    # dog .995 and kitty (.994, .110, 0) .110 above its gold bird .0995 -> rank 3.
    assert m["vi/x2en/acc@1"] == pytest.approx(2 / 3)
    assert m["vi/x2en/mrr"] == pytest.approx((1 + 1 + 1 / 3) / 3)
    # en->x: cat, kitty -> meo rank 1; dog -> cho rank 1; bird -> chim rank 1 (only it has a z component).
    assert m["vi/en2x/acc@1"] == pytest.approx(1.0)
    assert m["vi/n"] == 4
    assert m["mean/x2en/acc@1"] == pytest.approx(m["vi/x2en/acc@1"])


def test_target_encoder_encodes_the_english_side():
    pairs = [("a", "x", "th"), ("b", "y", "th")]
    query = TableEncoder({"x": [1, 0], "y": [0, 1], "a": [0, 1], "b": [1, 0]})
    target = TableEncoder({"a": [1, 0], "b": [0, 1]})
    assert BitextRetrievalEvaluator(pairs)(query)["th/x2en/acc@1"] == 0.0
    assert BitextRetrievalEvaluator(pairs)(query, target_encoder=target)["th/x2en/acc@1"] == 1.0


def test_max_pairs_per_language_samples_with_a_seed():
    pairs = [(f"en{i:03d}", f"{lang}{i:03d}", lang) for lang in ("th", "vi") for i in range(100)]
    sampled = BitextRetrievalEvaluator(pairs, max_pairs_per_language=10).by_lang
    th = [en for en, _ in sampled["th"]]
    assert len(th) == 10 and len(sampled["vi"]) == 10
    assert th != [f"en{i:03d}" for i in range(10)]  # not the first 10 (the files are sorted by English)
    assert th == sorted(th)  # original order kept among the sampled rows
    assert max(th) > "en050"  # drawn from the whole language, not a prefix
    assert BitextRetrievalEvaluator(pairs, max_pairs_per_language=10).by_lang == sampled  # reproducible
    assert BitextRetrievalEvaluator(pairs, max_pairs_per_language=10, seed=1).by_lang["th"] != sampled["th"]
    assert BitextRetrievalEvaluator(pairs, max_pairs_per_language=500).by_lang["th"] == [(f"en{i:03d}", f"th{i:03d}") for i in range(100)]
