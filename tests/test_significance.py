import numpy as np
import pytest

from lira.eval.significance import paired_bootstrap


def test_identical_systems_are_within_noise():
    a = {"th": [1, 0, 1, 1, 0] * 20}
    result = paired_bootstrap(a, a, samples=500)
    assert result.delta == 0.0 and result.p_value == 1.0 and result.verdict() == "within noise"


def test_a_clear_gain_is_significant_and_the_delta_is_the_mean_over_sets():
    rng = np.random.default_rng(1)
    a = {"th": rng.random(300) < 0.6, "vi": rng.random(200) < 0.7}
    b = {"th": a["th"] | (rng.random(300) < 0.3), "vi": a["vi"].copy()}
    result = paired_bootstrap({k: v.astype(float) for k, v in a.items()}, {k: v.astype(float) for k, v in b.items()}, samples=1000)
    expected = ((b["th"].mean() - a["th"].mean()) + 0.0) / 2  # equal weight per test set
    assert result.delta == pytest.approx(expected)
    assert result.p_value < 0.01 and result.verdict() == "better" and result.low > 0


def test_a_few_flips_either_way_are_noise():
    a = {"x": [1.0] * 100}
    b = {"x": [1.0] * 98 + [0.0, 0.0]}
    result = paired_bootstrap(a, b, samples=1000)
    assert result.delta == pytest.approx(-0.02) and result.p_value > 0.05


def test_mismatched_sets_are_refused():
    with pytest.raises(ValueError, match="same non-empty test sets"):
        paired_bootstrap({"th": [1]}, {"vi": [1]})
    with pytest.raises(ValueError, match="test set 'th'"):
        paired_bootstrap({"th": [1, 0]}, {"th": [1]})
