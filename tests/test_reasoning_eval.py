import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from lira.eval.reasoning import ReasoningEvaluator, lasr_scorer, pessimistic_argmax
from lira.lasr.head import LasrHead

LABELS = ["yes", "no"]

# (lang, text_a, text_b, gold, predicted)
ROWS = [
    ("en", "e1", "x", "yes", "yes"),
    ("en", "e2", "x", "yes", "yes"),
    ("en", "e3", "x", "no", "no"),
    ("en", "e4", "x", "no", "yes"),
    ("th", "t1", "x", "yes", "no"),
    ("th", "t2", "x", "no", "no"),
    ("th", "t3", "x", "no", "no"),
    ("th", "t4", "x", "no", "no"),
    ("vi", "v1", None, "yes", "yes"),
    ("vi", "v2", None, "no", "no"),
]
PREDICTED = {a: pred for _, a, _, _, pred in ROWS}


class LookupScorer:
    def __init__(self):
        self.calls = []

    def __call__(self, texts_a, texts_b, lang):
        self.calls.append((lang, len(texts_a), texts_b is None))
        return np.array([[1.0, 0.0] if PREDICTED[a] == "yes" else [0.0, 1.0] for a in texts_a])


def test_hand_computed_metrics_and_gap():
    evaluator = ReasoningEvaluator([(lang, a, b, gold) for lang, a, b, gold, _ in ROWS], LABELS, batch_size=3)
    scorer = LookupScorer()
    m = evaluator(scorer)
    # en: gold y y n n, pred y y n y. F1(yes) = 2*(2/3*1)/(2/3+1) = 0.8; F1(no) = 2*(1*0.5)/1.5 = 2/3.
    assert m["en/accuracy"] == pytest.approx(0.75)
    en_f1 = (0.8 + 2 / 3) / 2
    assert m["en/macro_f1"] == pytest.approx(en_f1)
    # th: gold y n n n, pred n n n n. F1(yes) = 0; F1(no) = 2*(3/4*1)/(3/4+1) = 6/7.
    assert m["th/accuracy"] == pytest.approx(0.75)
    th_f1 = (0 + 6 / 7) / 2
    assert m["th/macro_f1"] == pytest.approx(th_f1)
    assert m["vi/accuracy"] == 1.0 and m["vi/macro_f1"] == 1.0 and m["vi/n"] == 2.0
    assert m["th/gap/accuracy"] == pytest.approx(0.0)
    assert m["vi/gap/accuracy"] == pytest.approx(-0.25)
    assert m["th/gap/macro_f1"] == pytest.approx(en_f1 - th_f1)
    assert m["mean/accuracy"] == pytest.approx(0.875)
    assert m["mean/macro_f1"] == pytest.approx((th_f1 + 1.0) / 2)
    assert m["mean/gap/accuracy"] == pytest.approx(-0.125)
    assert m["mean/gap/macro_f1"] == pytest.approx(((en_f1 - th_f1) + (en_f1 - 1.0)) / 2)
    assert "en/gap/accuracy" not in m and evaluator.primary_metric in m
    # Chunks of 3 per language; vi is single-sentence (texts_b None).
    assert scorer.calls == [("en", 3, False), ("en", 1, False), ("th", 3, False), ("th", 1, False), ("vi", 2, True)]


def test_without_english_no_gap_and_errors():
    only_th = ReasoningEvaluator([{"lang": "th", "text_a": "t1", "text_b": "x", "label": "yes"}], LABELS)
    m = only_th(LookupScorer())
    assert m["th/accuracy"] == 0.0 and "mean/gap/accuracy" not in m
    with pytest.raises(ValueError, match="'maybe'"):
        ReasoningEvaluator([("en", "e1", None, "maybe")], LABELS)
    bad = ReasoningEvaluator([("en", "e1", None, "yes")], LABELS)
    with pytest.raises(ValueError, match="shape"):
        bad(lambda a, b, lang: np.zeros((len(a), 3)))


def test_ties_count_against_the_scorer():
    # Equal logits for every label: always wrong (with ties won, every "yes" row - the first
    # column - would count as right and accuracy would be 0.3 here).
    examples = [(lang, a, b, gold) for lang, a, b, gold, _ in ROWS]
    m = ReasoningEvaluator(examples, LABELS)(lambda a, b, lang: np.zeros((len(a), 2)))
    assert m["en/accuracy"] == 0.0 and m["th/accuracy"] == 0.0 and m["vi/accuracy"] == 0.0
    # Hand-computed, 3 labels: a clear winner stays; a tie with the gold label goes to the first
    # other tied label; a tie that leaves the gold label out keeps the plain argmax.
    logits = np.array([[0.1, 0.9, 0.0], [0.5, 0.5, 0.5], [0.7, 0.2, 0.7], [0.3, 0.3, 0.1]])
    assert pessimistic_argmax(logits, np.array([1, 0, 2, 2])).tolist() == [1, 1, 0, 0]


class HashEncoder:
    """Deterministic fake encoder: a seeded random unit vector per (text, lang)."""

    def encode(self, sentences, *, lang=None, prompt_name=None, batch_size=64, **_):
        rows = []
        for s in sentences:
            rng = np.random.default_rng(sum(map(ord, f"{lang}:{prompt_name}:{s}")))
            row = rng.standard_normal(8)
            rows.append(row / np.linalg.norm(row))
        return np.array(rows, dtype=np.float32)


def test_lasr_scorer_end_to_end():
    torch.manual_seed(0)
    head = LasrHead(dim=8, tasks={"yn": LABELS}, hidden_dim=16)
    head.mark_trained(["en", "th"])
    examples = [(lang, a, b, gold) for lang, a, b, gold, _ in ROWS if lang != "vi"]
    m = ReasoningEvaluator(examples, head.labels("yn"))(lasr_scorer(HashEncoder(), head, "yn", prompt_names=("query", "passage")))
    # The same numbers by hand: each side embedded with its prompt and language, read by the head.
    enc = HashEncoder()
    for lang in ("en", "th"):
        rows = [r for r in examples if r[0] == lang]
        u = enc.encode([r[1] for r in rows], lang=lang, prompt_name="query")
        v = enc.encode([r[2] for r in rows], lang=lang, prompt_name="passage")
        logits = head.score(u, v, [lang] * len(rows), "yn")
        torch.testing.assert_close(lasr_scorer(enc, head, "yn", prompt_names=("query", "passage"))([r[1] for r in rows], [r[2] for r in rows], lang), logits)
        assert not torch.allclose(lasr_scorer(enc, head, "yn")([r[1] for r in rows], [r[2] for r in rows], lang), logits)  # prompts matter
        pred = logits.argmax(-1).numpy()
        gold = np.array([LABELS.index(r[3]) for r in rows])
        assert m[f"{lang}/accuracy"] == pytest.approx(float((pred == gold).mean()))
        assert m[f"{lang}/macro_f1"] == pytest.approx(f1_score(gold, pred, average="macro", zero_division=0))
    assert m["th/gap/accuracy"] == pytest.approx(m["en/accuracy"] - m["th/accuracy"])
    with pytest.raises(ValueError, match="never trained on language.*'vi'"):
        ReasoningEvaluator([r[:4] for r in ROWS], LABELS)(lasr_scorer(HashEncoder(), head, "yn"))
