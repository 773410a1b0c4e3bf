import random
from collections import Counter
from dataclasses import dataclass

import pytest

from lira.data.fewshot import few_shot_split, sample_few_shot, stratified_sample


@dataclass(frozen=True)
class Ex:
    lang: str
    label: str
    i: int


LABELS = ["exact", "substitute", "complement", "irrelevant"]


def _pool():
    out = []
    for lang, per_label in [("en", 3), ("th", 5), ("vi", 5), ("fil", 1)]:
        for label in LABELS:
            for j in range(per_label):
                out.append(Ex(lang, label, len(out)))
    return out


def test_k_zero_is_english_only():
    pool = _pool()
    got = sample_few_shot(pool, 0, ["th", "vi"], seed=1)
    assert got == [ex for ex in pool if ex.lang == "en"]
    assert sample_few_shot(pool, 0, ["th"], seed=1, include_english=False) == []


def test_k_per_language_stratified_by_label():
    pool = _pool()
    got = sample_few_shot(pool, 8, ["th", "vi"], seed=3)
    english = [ex for ex in got if ex.lang == "en"]
    assert len(english) == 12
    for lang in ("th", "vi"):
        shots = [ex for ex in got if ex.lang == lang]
        assert len(shots) == 8
        assert Counter(ex.label for ex in shots) == Counter({label: 2 for label in LABELS})
    # k smaller than the label count: k distinct labels.
    three = [ex for ex in sample_few_shot(pool, 3, ["th"], seed=5) if ex.lang == "th"]
    assert len({ex.label for ex in three}) == 3
    # k = 6 on 4 labels: counts differ by at most one.
    six = Counter(ex.label for ex in sample_few_shot(pool, 6, ["vi"], seed=5) if ex.lang == "vi")
    assert sum(six.values()) == 6 and max(six.values()) - min(six.values()) <= 1


def test_deterministic_for_a_seed_and_seed_matters():
    pool = _pool()
    a = sample_few_shot(pool, 4, ["th", "vi"], seed=7)
    assert a == sample_few_shot(list(pool), 4, ["th", "vi"], seed=7)
    samples = {tuple(ex.i for ex in sample_few_shot(pool, 4, ["th"], seed=s)) for s in range(6)}
    assert len(samples) > 1
    # Each language draws from its own stream: adding a language does not change the others' sample.
    th_alone = [ex for ex in sample_few_shot(pool, 4, ["th"], seed=7) if ex.lang == "th"]
    assert th_alone == [ex for ex in a if ex.lang == "th"]


def test_small_pools_dicts_aliases_and_order():
    pool = _pool()
    fil = [ex for ex in sample_few_shot(pool, 10, ["tl"], seed=0) if ex.lang == "fil"]  # "tl" is Filipino
    assert len(fil) == 4  # only 4 exist
    dicts = [{"lang": ex.lang, "label": ex.label, "i": ex.i} for ex in pool]
    got = sample_few_shot(dicts, 2, ["vi", "th", "en"], seed=0)
    langs = [d["lang"] for d in got]
    assert langs == ["en"] * 12 + ["vi", "vi", "th", "th"]  # English, then languages in the given order
    ids = [d["i"] for d in got if d["lang"] == "vi"]
    assert ids == sorted(ids)  # input order within a language
    with pytest.raises(ValueError, match="k must be"):
        sample_few_shot(pool, -1, ["th"], seed=0)
    with pytest.raises(AttributeError, match="label"):
        sample_few_shot([type("E", (), {"lang": "th"})()], 1, ["th"], seed=0)


def test_few_shot_split_is_disjoint_and_complete():
    pool = _pool()
    train, held_out = few_shot_split(pool, 4, ["th", "vi"], seed=2)
    assert train == sample_few_shot(pool, 4, ["th", "vi"], seed=2)
    assert not set(train) & set(held_out)
    assert {ex for ex in pool if ex.lang in ("th", "vi")} == {ex for ex in train + held_out if ex.lang != "en"}
    assert all(ex.lang in ("th", "vi") for ex in held_out)


def test_stratified_sample_round_robin():
    picked = stratified_sample([10, 11, 12, 13, 14], ["a", "a", "a", "b", "b"], 4, random.Random(0))
    labels = Counter("a" if i <= 12 else "b" for i in picked)
    assert labels == Counter({"a": 2, "b": 2}) and picked == sorted(picked)
