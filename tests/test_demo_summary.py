"""The demo's summary: Tatoeba changes come with a paired bootstrap over sentences."""

from pathlib import Path

import numpy as np

from lira.pipeline import DemoResult, summary_line, tatoeba_tests


def _hits(n: int, correct: int) -> np.ndarray:
    hits = np.zeros(n, dtype=bool)
    hits[:correct] = True
    return hits


def test_tatoeba_tests_match_hand_deltas_and_separate_noise_from_change():
    before = {("bn", "x2en"): _hits(1000, 850), ("th", "x2en"): _hits(500, 400)}
    same = dict(before)
    much_better = {("bn", "x2en"): _hits(1000, 950), ("th", "x2en"): _hits(500, 480)}
    unchanged = tatoeba_tests(before, same, samples=500)
    assert unchanged["bn/x2en"]["delta"] == 0.0 and unchanged["bn/x2en"]["p"] == 1.0
    better = tatoeba_tests(before, much_better, samples=500)
    assert better["bn/x2en"]["delta"] == 0.1
    assert abs(better["th/x2en"]["delta"] - 0.16) < 1e-12
    # The mean over languages gives each language the same weight, as the reported mean does.
    assert abs(better["mean/x2en"]["delta"] - (0.1 + 0.16) / 2) < 1e-12
    assert better["mean/x2en"]["p"] < 0.01 and better["mean/x2en"]["low"] > 0


def test_summary_names_each_language_below_the_untrained_student_with_its_p():
    def scores(bn_en2x: float) -> dict[str, float]:
        return {"bn/x2en/acc@1": 0.85, "bn/en2x/acc@1": bn_en2x, "mean/x2en/acc@1": 0.85, "mean/en2x/acc@1": bn_en2x, "bn/n": 1000.0}

    metrics = {"student_before": scores(0.9), "student_after": scores(0.95), "tatoeba_before": scores(0.884), "tatoeba_after": scores(0.875)}
    tests = {"bn/en2x": {"delta": -0.009, "low": -0.02, "high": 0.002, "p": 0.123}, "mean/en2x": {"delta": -0.009, "low": -0.02, "high": 0.002, "p": 0.123}}
    demo = DemoResult(Path("."), metrics, ["bn"], 60.0, 120.0, 250, tatoeba_tests=tests)
    line = summary_line(demo)
    assert "below the untrained student: 1/1 (bn en->x -0.009 p=0.123; paired bootstrap over sentences)" in line
    assert "en->x 0.884 -> 0.875 (-0.009, p=0.123)" in line
    # Without tests (an older results file) the line still reads.
    assert "1/1 (bn en->x -0.009);" in summary_line(DemoResult(Path("."), metrics, ["bn"], 60.0, 120.0, 250))
