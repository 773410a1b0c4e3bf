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


def test_evaluator_both_directions_and_duplicate_sides():
    pairs = [("cat", "meo", "vi"), ("dog", "cho", "vi"), ("bird", "chim", "vi"), ("kitty", "meo", "vi")]
    enc = TableEncoder({
        "meo": [1, 0, 0], "cho": [0, 1, 0], "chim": [0.0, 1.0, 0.1],
        "cat": [1, 0, 0], "kitty": [0.9, 0.1, 0], "dog": [0, 1, 0], "bird": [0, 0, 1],
    })
    m = BitextRetrievalEvaluator(pairs)(enc)
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
