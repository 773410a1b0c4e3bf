import functools
import math

import numpy as np
import pytest
import torch

from lira.config import ConfigError, LasrConfig, LiraConfig
from lira.lasr.head import DEFAULT_TASKS, ESCI_LABELS, LasrHead
from lira.lasr.losses import SymmetricKLConsistencyLoss, TaskLoss
from lira.languages import UnknownLanguageError


from .conftest import gradient_step_lowers

_descends = functools.partial(gradient_step_lowers, lr=0.5)  # logits need a bigger step than embeddings


# -- consistency loss ----------------------------------------------------------------------------
P, Q = [0.5, 0.5], [0.25, 0.75]


def _logits(probs):
    return torch.tensor([probs]).log()


def test_symmetric_kl_hand_computed():
    kl_pq = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    kl_qp = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    value, parts = SymmetricKLConsistencyLoss(name="cons")(_logits(P), _logits(Q))
    assert float(value) == pytest.approx((kl_pq + kl_qp) / 2, rel=1e-5)
    assert parts["cons"] == pytest.approx(float(value))
    same, _ = SymmetricKLConsistencyLoss()(_logits(Q), _logits(Q))
    assert float(same) == pytest.approx(0.0, abs=1e-7)


def test_js_hand_computed_and_bounded():
    m = [0.375, 0.625]
    kl_pm = sum(p * math.log(p / mm) for p, mm in zip(P, m))
    kl_qm = sum(q * math.log(q / mm) for q, mm in zip(Q, m))
    value, _ = SymmetricKLConsistencyLoss(kind="js")(_logits(P), _logits(Q))
    assert float(value) == pytest.approx((kl_pm + kl_qm) / 2, rel=1e-5)
    extreme, _ = SymmetricKLConsistencyLoss(kind="js")(torch.tensor([[50.0, -50.0]]), torch.tensor([[-50.0, 50.0]]))
    assert float(extreme) == pytest.approx(math.log(2), rel=1e-4)


def test_consistency_temperature_mask_and_detach():
    a, b = torch.tensor([[2.0, 0.0], [0.0, 0.0]]), torch.tensor([[0.0, 2.0], [0.0, 0.0]])
    # Row 2 agrees exactly (loss 0): the unmasked mean is half of row 1's loss.
    full, _ = SymmetricKLConsistencyLoss()(a, b)
    row1, _ = SymmetricKLConsistencyLoss()(a, b, mask=torch.tensor([True, False]))
    assert float(full) == pytest.approx(float(row1) / 2, rel=1e-5)
    none, _ = SymmetricKLConsistencyLoss()(a, b, mask=torch.tensor([False, False]))
    assert float(none) == 0.0
    hot, _ = SymmetricKLConsistencyLoss(temperature=2.0)(a, b)
    assert float(hot) < float(full)  # a higher temperature softens both sides
    a_req, b_req = a.clone().requires_grad_(), b.clone().requires_grad_()
    value, _ = SymmetricKLConsistencyLoss(detach_second=True)(a_req, b_req)
    value.backward()
    assert a_req.grad is not None and b_req.grad is None
    with pytest.raises(ValueError, match="sym_kl"):
        SymmetricKLConsistencyLoss(kind="kl")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["sym_kl", "js"])
def test_consistency_gradient_step_lowers_it(kind):
    loss = SymmetricKLConsistencyLoss(kind=kind)
    before, after = _descends(loss, (6, 4), (6, 4))
    assert after < before


# -- task loss -----------------------------------------------------------------------------------
def test_task_loss_hand_computed_with_and_without_weights():
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])
    labels = torch.tensor([0, 1])
    # Row 1: -log(1/2) = ln 2. Row 2: -log(1/(3+1)) = ln 4.
    value, parts = TaskLoss()(logits, labels)
    assert float(value) == pytest.approx(1.5 * math.log(2), rel=1e-6)
    assert parts["task_acc"] == pytest.approx(0.5)  # row 1's tie resolves to class 0 (correct), row 2 is wrong
    weighted, _ = TaskLoss(class_weights=[1.0, 3.0])(logits, labels)
    assert float(weighted) == pytest.approx((math.log(2) + 3 * math.log(4)) / 4, rel=1e-6)
    with pytest.raises(ValueError, match="class weights"):
        TaskLoss(class_weights=[1.0, 2.0, 3.0])(logits, labels)


def test_task_loss_gradient_step_lowers_it():
    labels = torch.tensor([0, 2, 1, 3])
    loss = TaskLoss(class_weights=[1.0, 2.0, 1.0, 0.5], label_smoothing=0.1)
    before, after = _descends(lambda x: loss(x, labels), (4, 4))
    assert after < before


# -- head ----------------------------------------------------------------------------------------
def test_default_head_size():
    head = LasrHead.from_config(LasrConfig(), dim=384)
    n = head.num_parameters()
    print(f"default LaSR head (dim 384, tasks {list(DEFAULT_TASKS)}): {n:,} parameters")
    # pair_in 4*384*256+256, single_in 384*256+256, LayerNorm 2*256, language embedding 25*32,
    # FiLM 32*512+512, hidden 256*256+256, outputs 257*4 + 257*3.
    assert n == 393_472 + 98_560 + 512 + 800 + 16_896 + 65_792 + 1_028 + 771 == 577_831
    assert n <= 2_000_000


def test_forward_shapes_pair_and_single_and_neutral_start():
    torch.manual_seed(0)
    head = LasrHead(dim=8, tasks={"esci": ESCI_LABELS, "sent": ["pos", "neg"]}, hidden_dim=16, dropout=0.0).eval()
    u, v = torch.randn(3, 8), torch.randn(3, 8)
    ids = head.language_ids(["th", "vi", None])
    assert head(u, v, ids, task="esci").shape == (3, 4)
    assert head(u, None, ids, task="sent").shape == (3, 2)
    # FiLM starts at zero: before training every language gets the same (neutral) logits.
    same = head(u, v, head.language_ids(["en"] * 3), task="esci")
    assert torch.allclose(head(u, v, ids, task="esci"), same)
    with pytest.raises(ValueError, match="unknown task 'qa'"):
        head(u, v, ids, task="qa")
    with pytest.raises(ValueError, match="shape"):
        head(u, v[:, :4], ids, task="esci")


def test_dropout_gives_two_views_in_training_only():
    torch.manual_seed(0)
    head = LasrHead(dim=8, tasks={"nli": DEFAULT_TASKS["nli"]}, hidden_dim=32, dropout=0.3)
    u, v = torch.randn(4, 8), torch.randn(4, 8)
    assert not torch.allclose(head(u, v, task="nli"), head(u, v, task="nli"))
    head.eval()
    assert torch.allclose(head(u, v, task="nli"), head(u, v, task="nli"))


def test_labels_and_languages_are_checked():
    head = LasrHead(dim=4, tasks={"esci": ESCI_LABELS}, hidden_dim=8)
    assert head.encode_labels("esci", ["exact", "irrelevant"]).tolist() == [0, 3]
    assert head.decode_labels("esci", torch.tensor([1, 2])) == ["substitute", "complement"]
    with pytest.raises(ValueError, match="'relevant'.*'esci'"):
        head.encode_labels("esci", ["exact", "relevant"])
    with pytest.raises(ValueError, match="unknown task 'nli'"):
        head.encode_labels("nli", ["neutral"])
    u = np.zeros((2, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="never trained on task 'esci'"):
        head.predict(u, u, ["en", "th"], "esci")
    head.mark_trained(["en", "tl"], tasks=["esci"])
    assert head.trained_languages == {"en", "fil"}
    with pytest.raises(ValueError, match="never trained on language.*'th'.*trained on: en, fil"):
        head.predict(u, u, ["en", "th"], "esci")
    assert len(head.predict(u, u, ["en", "th"], "esci", unseen="neutral")) == 2
    assert head.language_ids(["en", "th"], unseen="neutral").tolist() == [head.language_id("en"), 0]
    assert head.predict(u, u, ["fil", None], "esci") == [ESCI_LABELS[i] for i in head.score(u, u, ["fil", None], "esci").argmax(-1).tolist()]
    with pytest.raises(UnknownLanguageError, match="xx"):
        head.predict(u, u, ["en", "xx"], "esci")
    blind = LasrHead(dim=4, tasks={"esci": ESCI_LABELS}, hidden_dim=8, language_aware=False)
    blind.mark_trained(["en"])
    assert len(blind.predict(u, u, ["th", "bn"], "esci")) == 2  # no language embedding: nothing is unseen


def test_language_coupling_learns_language_specific_labels():
    """Same embeddings, label depends on the language: only the language-aware head can fit it."""
    torch.manual_seed(0)
    u = torch.randn(8, 16)
    langs = ["th"] * 8 + ["vi"] * 8
    x = torch.cat([u, u])
    labels = torch.tensor([0] * 8 + [1] * 8)

    def fit(language_aware):
        torch.manual_seed(1)
        head = LasrHead(dim=16, tasks={"t": ["a", "b"]}, hidden_dim=32, dropout=0.0, language_aware=language_aware)
        ids = head.language_ids(langs)
        opt = torch.optim.Adam(head.parameters(), lr=1e-2)
        loss = TaskLoss()
        for _ in range(30):
            value, parts = loss(head(x, None, ids, task="t"), labels)
            opt.zero_grad()
            value.backward()
            opt.step()
        return parts["task_acc"]

    assert fit(True) == 1.0
    assert fit(False) <= 0.5


def test_save_load_round_trip(tmp_path):
    torch.manual_seed(0)
    head = LasrHead(dim=8, tasks={"esci": ESCI_LABELS}, hidden_dim=16)
    with torch.no_grad():
        for p in head.parameters():
            p.add_(0.1 * torch.randn_like(p))
    head.mark_trained(["en", "th"])
    path = head.save(tmp_path / "head")
    head.save(tmp_path / "head")  # overwriting is atomic too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["head"]
    assert sorted(p.name for p in path.iterdir()) == ["lasr_head.json", "lasr_head.safetensors"]
    loaded = LasrHead.load(path)
    u, v = torch.randn(2, 8), torch.randn(2, 8)
    assert torch.allclose(head.score(u, v, ["th", "en"], "esci"), loaded.score(u, v, ["th", "en"], "esci"))
    assert loaded.trained_languages == {"en", "th"} and loaded.trained_tasks == {"esci"}
    assert loaded.tasks == head.tasks and loaded.languages == head.languages
    with pytest.raises(FileNotFoundError, match="not a LaSR head"):
        LasrHead.load(tmp_path)


# -- config --------------------------------------------------------------------------------------
def test_lasr_config_defaults_and_checks():
    cfg = LasrConfig()
    assert not cfg.enabled and cfg.tasks == DEFAULT_TASKS and cfg.consistency_kind == "sym_kl"
    assert set(cfg.weights()) == {"task", "consistency_anchor", "consistency_noise", "consistency_dropout"}
    loaded = LiraConfig.from_dict({"lasr": {"enabled": True, "consistency_kind": "js", "noise_kinds": ["typos", "tones"], "few_shot_k": 8}}).lasr
    assert loaded.enabled and loaded.consistency_kind == "js" and loaded.few_shot_k == 8
    with pytest.raises(ConfigError, match="consitency_kind"):
        LiraConfig.from_dict({"lasr": {"consitency_kind": "js"}})
    with pytest.raises(ConfigError, match="consistency_kind"):
        LasrConfig(consistency_kind="kl")
    with pytest.raises(ConfigError, match="schedule"):
        LasrConfig(schedule="alternate")
    with pytest.raises(ConfigError, match="noise_kinds.*'typo'"):
        LasrConfig(noise_kinds=["typo"])
    with pytest.raises(ConfigError, match="expected an integer"):
        LiraConfig.from_dict({"lasr": {"few_shot_k": "8"}})
