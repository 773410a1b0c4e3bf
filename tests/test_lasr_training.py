import numpy as np
import pytest
import torch

from lira.config import LasrConfig
from lira.data.reasoning import EsciExample
from lira.eval.reasoning import ReasoningEvaluator
from lira.lasr.head import ESCI_LABELS, LasrHead
from lira.lasr.study import consistency_off
from lira.lasr.trainer import EmbeddedExamples, embedded_scorer, train_head
from lira.objective import LasrObjective, LasrViews


def synthetic(n_per_label=12, dim=16, seed=0, langs=("en", "th", "vi")) -> EmbeddedExamples:
    """Label is readable from u*v along a label-specific direction; other languages see the same
    vectors rotated a little (an imperfect anchor), noised copies add jitter."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(4, dim))
    rotation = {lang: np.linalg.qr(np.eye(dim) + 0.2 * rng.normal(size=(dim, dim)))[0] if lang != "en" else np.eye(dim) for lang in langs}
    examples, u, v, au, av, nu, nv = [], [], [], [], [], [], []
    for label_id, label in enumerate(ESCI_LABELS):
        for i in range(n_per_label):
            base_u = rng.normal(size=dim)
            base_v = base_u * 0.2 + directions[label_id]
            for lang in langs:
                examples.append(EsciExample(lang, f"q{label}{i}{lang}", f"t{label}{i}{lang}", label, f"q{label}{i}", f"t{label}{i}", f"g{i}"))
                u.append(rotation[lang] @ base_u)
                v.append(rotation[lang] @ base_v)
                au.append(base_u)
                av.append(base_v)
                nu.append(u[-1] + 0.1 * rng.normal(size=dim))
                nv.append(v[-1] + 0.1 * rng.normal(size=dim))
    arr = lambda x: np.asarray(x, dtype=np.float32)  # noqa: E731
    return EmbeddedExamples(examples, arr(u), arr(v), arr(au), arr(av), arr(nu), arr(nv))


def test_lasr_objective_terms_switch_off_and_anchor_skips_english_rows():
    torch.manual_seed(0)
    head = LasrHead(dim=8, tasks={"esci": ESCI_LABELS}, hidden_dim=16)
    b = 6
    views = LasrViews(
        u=torch.randn(b, 8), v=torch.randn(b, 8), language_ids=torch.zeros(b, dtype=torch.long), labels=torch.tensor([0, 1, -1, -1, 2, 3]),
        anchor_u=torch.randn(b, 8), anchor_v=torch.randn(b, 8), anchor_language_ids=torch.zeros(b, dtype=torch.long),
        is_english=torch.tensor([True] * b), noised_u=torch.randn(b, 8), noised_v=torch.randn(b, 8),
    )
    _, logs = LasrObjective(LasrConfig())(head, "esci", views)
    assert {"loss_task", "loss_consistency_dropout", "loss_consistency_noise"} <= set(logs)
    assert "loss_consistency_anchor" not in logs  # every row is English: nothing to anchor
    _, off = LasrObjective(consistency_off(LasrConfig()))(head, "esci", views)
    assert set(k for k in off if k.startswith("loss_")) == {"loss_task", "loss_lasr"}
    head.eval()  # no dropout: the task loss is plain cross-entropy over the labelled rows only
    value, _ = LasrObjective(consistency_off(LasrConfig()))(head, "esci", views)
    labelled = views.labels >= 0
    expected = torch.nn.functional.cross_entropy(head(views.u, views.v, views.language_ids, task="esci")[labelled], views.labels[labelled])
    assert float(value) == pytest.approx(float(expected), rel=1e-5)


def test_head_learns_english_labels_and_transfers_with_the_anchor():
    data = synthetic()
    cfg = LasrConfig(head_steps=120, batch_size=32, few_shot_k=0, hidden_dim=64)
    evaluator = ReasoningEvaluator([(e.lang, e.text_a, e.text_b, e.label) for e in data.examples], ESCI_LABELS)
    head, history = train_head(data, cfg, languages=["th", "vi"], seed=0)
    assert np.mean([h["loss_task"] for h in history[-10:]]) < np.mean([h["loss_task"] for h in history[:10]])
    metrics = evaluator(embedded_scorer(data, head))
    assert metrics["en/accuracy"] > 0.6  # chance is 0.25
    # The transfer: th and vi carry no labels, yet are read as well as English (measured 1.0 each).
    assert metrics["th/accuracy"] > 0.6 and metrics["vi/accuracy"] > 0.6
    assert head.trained_languages == {"en", "th", "vi"}  # consistency terms saw the unlabelled languages
    head_off, _ = train_head(data, consistency_off(cfg), languages=["th", "vi"], seed=0)
    assert head_off.trained_languages == {"en"}
    # Without the consistency terms (anchor included) the same head does not transfer (measured 0.02).
    off = evaluator(embedded_scorer(data, head_off, unseen="neutral"))
    assert off["en/accuracy"] > 0.6 and off["mean/accuracy"] < metrics["mean/accuracy"] - 0.5
    with pytest.raises(ValueError, match="th"):
        embedded_scorer(data, head_off, unseen="error")(["q" + "exact0th"], ["texact0th"], "th")


def test_few_shot_labels_k_examples_per_language():
    data = synthetic()
    cfg = consistency_off(LasrConfig(head_steps=5, few_shot_k=8))
    head, _ = train_head(data, cfg, languages=["th"], seed=1)
    assert head.trained_languages == {"en", "th"}
