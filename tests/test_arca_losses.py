import math

import pytest
import torch

from lira.arca.losses import AnchorAlignmentLoss, ContrastiveAlignmentLoss, GeometryPreservationLoss
from lira.config import ArcaConfig
from lira.objective import ArcaObjective

from .conftest import gradient_step_lowers as _descends


def test_anchor_hand_computed():
    lrl = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    en = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    teacher = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    value, parts = AnchorAlignmentLoss(english_weight=0.5)(lrl, en, teacher)
    # lrl matches the teacher exactly; en row 2 is off by (1, -1): squared distance 2, batch mean 1.
    assert parts["anchor_lrl"] == pytest.approx(0.0)
    assert parts["anchor_en"] == pytest.approx(1.0)
    assert float(value) == pytest.approx(0.5)


def test_anchor_gradient_step_lowers_it_and_teacher_gets_no_gradient():
    teacher = torch.randn(4, 8, requires_grad=True)
    loss = AnchorAlignmentLoss()
    before, after = _descends(lambda a, b: loss(a, b, teacher), (4, 8), (4, 8))
    assert after < before
    value, _ = loss(torch.randn(4, 8, requires_grad=True), torch.randn(4, 8), teacher)
    value.backward()
    assert teacher.grad is None


def test_contrastive_hand_computed():
    eye = torch.eye(2)
    value, parts = ContrastiveAlignmentLoss(temperature=1.0)(eye, eye)
    expected = math.log(1 + math.exp(-1))  # -log(e^1 / (e^1 + e^0))
    assert float(value) == pytest.approx(expected, rel=1e-5)
    assert parts["contrastive_x2en"] == pytest.approx(parts["contrastive_en2x"])


def test_contrastive_masks_duplicate_english_sources():
    lrl = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    en = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    unmasked, _ = ContrastiveAlignmentLoss(temperature=1.0)(lrl, en)
    masked, _ = ContrastiveAlignmentLoss(temperature=1.0)(lrl, en, groups=torch.tensor([0, 0, 1]))
    # Rows 0 and 1 translate the same English sentence: with the mask, each one's only negative is
    # row 2 (cos 0), so its loss is log(1 + e^-1); row 2 keeps both negatives: log(1 + 2 e^-1).
    # Without the mask, rows 0 and 1 count each other (cos 1) as wrong answers.
    expected = (2 * math.log(1 + math.exp(-1)) + math.log(1 + 2 * math.exp(-1))) / 3
    assert float(masked) == pytest.approx(expected, rel=1e-5)
    assert float(unmasked) > float(masked)


def test_contrastive_memory_adds_earlier_batches_as_negatives():
    loss = ContrastiveAlignmentLoss(temperature=1.0, memory_size=3)
    eye = torch.eye(2)
    first, _ = loss(eye, eye, groups=torch.tensor([0, 1]))
    assert float(first) == pytest.approx(math.log(1 + math.exp(-1)), rel=1e-5)  # empty memory: the plain loss
    assert len(loss.memory) == 2
    # Second batch: row 0 (source 2) is [1, 0]; the memory holds [1, 0] (source 0) and [0, 1] (source 1),
    # so its x->en candidates are its own (cos 1), the batch's other (cos 0) and the memory's two (cos 1, 0).
    # Row 1 repeats source 1: the memory row of source 1 is masked (a translation of the same sentence).
    batch = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    second, parts = loss(batch, batch, groups=torch.tensor([2, 1]))
    row0 = -math.log(math.e / (math.e + 1 + math.e + 1))
    row1 = -math.log(math.e / (math.e + 1 + 1))  # own, the batch's other (cos 0), memory source 0 (cos 0)
    assert parts["contrastive_x2en"] == pytest.approx((row0 + row1) / 2, rel=1e-5)
    assert parts["contrastive_en2x"] == pytest.approx((row0 + row1) / 2, rel=1e-5)
    assert len(loss.memory) == 3 and loss.memory.groups.tolist() == [1, 2, 1]  # oldest row dropped
    loss(batch, batch, groups=torch.tensor([5, 6]), remember=False)
    assert loss.memory.groups.tolist() == [1, 2, 1]
    state = loss.memory.state_dict()
    restored = ContrastiveAlignmentLoss(temperature=1.0, memory_size=3)
    restored.memory.load_state_dict(state)
    assert float(restored(batch, batch, groups=torch.tensor([2, 1]))[0]) == pytest.approx(float(loss(batch, batch, groups=torch.tensor([2, 1]))[0]))
    with pytest.raises(ValueError, match="needs groups"):
        loss(batch, batch)
    with pytest.raises(ValueError, match="holds 3 rows, the config asks for 4"):
        ContrastiveAlignmentLoss(memory_size=4).memory.load_state_dict(state)


def test_objective_adds_a_batch_to_the_memory_once_after_every_view_is_scored():
    # The noised copies are scored against the memory as it was before this batch: the batch's own
    # clean rows must not come back among their negatives (they are in the batch already).
    torch.manual_seed(0)
    lrl, en, noised = torch.randn(4, 8), torch.randn(4, 8), torch.randn(4, 8)
    groups = torch.arange(4)
    config = ArcaConfig(anchor_weight=0.0, anchor_english_weight=0.0, contrastive_weight=1.0, contrastive_memory=16, noise_anchor_weight=1.0)
    objective = ArcaObjective(config)
    _, logs = objective(lrl, en, None, groups, noised_lrl=noised)
    plain = ContrastiveAlignmentLoss()
    assert logs["loss_noise_anchor"] == pytest.approx(float(plain(noised, en, groups)[0]), rel=1e-5)
    assert logs["loss_contrastive"] == pytest.approx(float(plain(lrl, en, groups)[0]), rel=1e-5)
    assert len(objective.contrastive.memory) == 4  # the clean batch, once


def test_contrastive_gradient_step_lowers_it():
    loss = ContrastiveAlignmentLoss(temperature=0.1)
    before, after = _descends(lambda a, b: loss(a, b), (6, 8), (6, 8), lr=0.05)
    assert after < before


def test_contrastive_rejects_bad_temperature():
    with pytest.raises(ValueError, match="temperature"):
        ContrastiveAlignmentLoss(temperature=0.0)
    with pytest.raises(ValueError, match="margin"):
        ContrastiveAlignmentLoss(margin=-0.1)


def test_contrastive_margin_hand_computed_and_masked_rows_keep_it():
    eye = torch.eye(2)
    value, _ = ContrastiveAlignmentLoss(temperature=1.0, margin=0.3)(eye, eye)
    # The translation's cosine 1 becomes 0.7 against the negative's 0: -log(e^0.7 / (e^0.7 + e^0)).
    assert float(value) == pytest.approx(math.log(1 + math.exp(-0.7)), rel=1e-5)
    assert float(value) > float(ContrastiveAlignmentLoss(temperature=1.0)(eye, eye)[0])
    lrl = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    masked, _ = ContrastiveAlignmentLoss(temperature=1.0, margin=0.3)(lrl, lrl, groups=torch.tensor([0, 0, 1]))
    # As in the masking test, with every translation's cosine lowered to 0.7 (the masked copy stays out).
    expected = (2 * math.log(1 + math.exp(-0.7)) + math.log(1 + 2 * math.exp(-0.7))) / 3
    assert float(masked) == pytest.approx(expected, rel=1e-5)


def test_geometry_hand_computed():
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    teacher = torch.tensor([[1.0, 0.0], [2.0, 0.0]])  # same direction: cosine 1
    value, _ = GeometryPreservationLoss()(student, teacher)
    # Off-diagonal cosines: student 0, teacher 1 -> squared error 1 on both entries.
    assert float(value) == pytest.approx(1.0)
    same, _ = GeometryPreservationLoss()(teacher * 3, teacher)
    assert float(same) == pytest.approx(0.0, abs=1e-6)


def test_geometry_different_widths_and_descends():
    teacher = torch.randn(5, 16)
    loss = GeometryPreservationLoss()
    before, after = _descends(lambda s: loss(s, teacher), (5, 8), lr=0.5)
    assert after < before


def test_geometry_correlation_hand_computed():
    import numpy as np

    torch.manual_seed(0)
    student, teacher = torch.randn(5, 8), torch.randn(5, 6)
    value, _ = GeometryPreservationLoss(mode="correlation", eps=0.0)(student, teacher)

    def rows(x):
        x = x.numpy() / np.linalg.norm(x.numpy(), axis=1, keepdims=True)
        sim = x @ x.T
        return np.stack([np.delete(sim[i], i) for i in range(len(sim))])

    s, t = rows(student), rows(teacher)
    r = [np.corrcoef(a, b)[0, 1] for a, b in zip(s, t)]
    # standardised rows: mean squared difference = 2 (1 - r), averaged over rows
    assert float(value) == pytest.approx(float(np.mean([2 * (1 - x) for x in r])), rel=1e-4)


def test_geometry_correlation_ignores_the_similarity_scale():
    # Teacher: three unit vectors at pairwise cosines (0.1, 0.2, 0.3); student: the same pattern
    # at (0.7, 0.75, 0.8), a different scale and offset. Cosine mode penalises it, correlation does not.
    def gram_vectors(c12, c13, c23):
        gram = torch.tensor([[1.0, c12, c13], [c12, 1.0, c23], [c13, c23, 1.0]], dtype=torch.float64)
        return torch.linalg.cholesky(gram)

    teacher = gram_vectors(0.1, 0.2, 0.3)
    student = gram_vectors(0.7, 0.75, 0.8)
    cosine, _ = GeometryPreservationLoss()(student, teacher)
    correlation, _ = GeometryPreservationLoss(mode="correlation")(student, teacher)
    assert float(cosine) == pytest.approx((0.6**2 + 0.55**2 + 0.5**2) / 3, rel=1e-6)  # mean squared cosine gap
    assert float(correlation) == pytest.approx(0.0, abs=1e-5)


def test_geometry_correlation_descends_and_rejects_unknown_modes():
    teacher = torch.randn(6, 16)
    loss = GeometryPreservationLoss(mode="correlation")
    before, after = _descends(lambda s: loss(s, teacher), (6, 8), lr=0.5)
    assert after < before
    with pytest.raises(ValueError, match="mode"):
        GeometryPreservationLoss(mode="angles")


def test_objective_skips_terms_at_zero_and_sums_weighted_terms():
    torch.manual_seed(0)
    a, b, t = torch.randn(4, 8), torch.randn(4, 8), torch.randn(4, 8)
    full_cfg = ArcaConfig(anchor_weight=1.0, contrastive_weight=0.5, geometry_weight=2.0)
    total, logs = ArcaObjective(full_cfg)(a, b, t)
    expected = logs["loss_anchor"] + 0.5 * logs["loss_contrastive"] + 2.0 * logs["loss_geometry"]
    assert float(total) == pytest.approx(expected, rel=1e-5)
    _, logs_off = ArcaObjective(ArcaConfig(anchor_weight=1.0, contrastive_weight=0.0, geometry_weight=0.0))(a, b, t)
    assert "loss_contrastive" not in logs_off and "loss_geometry" not in logs_off
    with pytest.raises(ValueError, match="weight"):
        ArcaObjective(ArcaConfig(anchor_weight=0, contrastive_weight=0, geometry_weight=0))
    # arca.contrastive_margin reaches the contrastive term: the same batch scores higher with it.
    _, plain = ArcaObjective(ArcaConfig())(a, b, t)
    _, margin = ArcaObjective(ArcaConfig(contrastive_margin=0.3))(a, b, t)
    assert margin["loss_contrastive"] > plain["loss_contrastive"]


def test_the_deep_supervision_term_is_the_contrastive_loss_of_the_transformer_vectors():
    torch.manual_seed(0)
    a, b = torch.randn(4, 8), torch.randn(4, 8)
    ta, tb = torch.randn(4, 8), torch.randn(4, 8)
    objective = ArcaObjective(ArcaConfig(transformer_contrastive_weight=0.5))
    total, logs = objective(a, b, None, transformer=(ta, tb))
    expected_term = float(ContrastiveAlignmentLoss()(ta, tb, remember=False)[0])
    assert logs["loss_transformer_contrastive"] == pytest.approx(expected_term, rel=1e-5)
    assert float(total) == pytest.approx(logs["loss_contrastive"] + 0.5 * expected_term, rel=1e-5)
    _, without_input = objective(a, b, None)  # no transformer vectors given: the term is skipped
    assert "loss_transformer_contrastive" not in without_input
    with pytest.raises(Exception, match="transformer_contrastive_weight"):
        ArcaConfig(transformer_contrastive_weight=-1.0)
