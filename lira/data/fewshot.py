"""Few-shot sampling: k labelled examples per low-resource language, plus all of English.

LaSR's transfer experiments train the task head on English labels and, in the few-shot
setting, on ``k`` labelled examples per low-resource language (k = 0 is translate-train: English labels, low-resource rows unlabelled).
The sample is stratified by label (round-robin over labels, so k = 8 on a 4-label task gives
2 of each when the pool allows), and deterministic: each language draws from its own
``random.Random(f"{seed}:{lang}")``, so a seed always gives the same examples, in every process,
and adding a language to the list does not change the others' samples.

Examples are any objects with ``.lang`` and ``.label`` attributes, or dicts with those keys.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any, Hashable, Sequence, TypeVar

from lira.languages import UnknownLanguageError, canonical_language

E = TypeVar("E")

__all__ = ["sample_few_shot", "few_shot_split", "stratified_sample"]


def _field(example: Any, name: str) -> Any:
    if isinstance(example, dict):
        if name not in example:
            raise KeyError(f"example {example!r} has no {name!r} key")
        return example[name]
    if not hasattr(example, name):
        raise AttributeError(f"example {example!r} has no .{name} attribute")
    return getattr(example, name)


def _lang(example: Any) -> str:
    code = str(_field(example, "lang"))
    try:
        return canonical_language(code)
    except UnknownLanguageError:
        return code.strip().lower()


def _label_key(label: Hashable) -> tuple[str, str]:
    return (type(label).__name__, str(label))


def stratified_sample(indices: Sequence[int], labels: Sequence[Hashable], k: int, rng: random.Random) -> list[int]:
    """Pick ``k`` of ``indices`` balanced across ``labels`` (parallel to ``indices``), sorted.

    Each label's pool is shuffled; labels (in a seeded random order) take turns giving one
    example until ``k`` are picked or every pool is empty, so classes are as even as the pools allow.
    """
    pools: dict[Hashable, list[int]] = defaultdict(list)
    for index, label in zip(indices, labels):
        pools[label].append(index)
    order = sorted(pools, key=_label_key)
    rng.shuffle(order)
    for label in order:
        rng.shuffle(pools[label])
    picked: list[int] = []
    depth = 0
    while len(picked) < k and any(depth < len(pools[label]) for label in order):
        for label in order:
            if len(picked) == k:
                break
            if depth < len(pools[label]):
                picked.append(pools[label][depth])
        depth += 1
    return sorted(picked)


def _sample_indices(examples: Sequence[Any], k: int, languages: Sequence[str], seed: int, english_lang: str) -> tuple[list[int], list[int]]:
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    english = _lang({"lang": english_lang})
    wanted = []
    for lang in languages:
        code = _lang({"lang": lang})
        if code != english and code not in wanted:
            wanted.append(code)
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        by_lang[_lang(example)].append(i)
    english_idx = list(by_lang.get(english, []))
    shots: list[int] = []
    for code in wanted:
        idx = by_lang.get(code, [])
        if k and idx:
            rng = random.Random(f"{seed}:{code}")
            shots.extend(stratified_sample(idx, [_field(examples[i], "label") for i in idx], k, rng))
    return english_idx, shots


def sample_few_shot(
    examples: Sequence[E], k: int, languages: Sequence[str], seed: int, english_lang: str = "en", *, include_english: bool = True
) -> list[E]:
    """All English examples (``include_english``) followed by up to ``k`` examples per language in ``languages``.

    Per language the sample is stratified by label (``stratified_sample``); a language with
    fewer than ``k`` examples gives all it has. ``k = 0`` gives English only. Within each
    language the examples keep their input order; languages follow ``languages``' order.
    Language codes are compared after ``canonical_language`` (``tl`` is ``fil``).
    """
    english_idx, shots = _sample_indices(examples, k, languages, seed, english_lang)
    chosen = (english_idx if include_english else []) + shots
    return [examples[i] for i in chosen]


def few_shot_split(
    examples: Sequence[E], k: int, languages: Sequence[str], seed: int, english_lang: str = "en"
) -> tuple[list[E], list[E]]:
    """``(train, held_out)``: ``train`` is ``sample_few_shot(...)``; ``held_out`` is every other
    example of the low-resource ``languages`` (input order), so few-shot examples never leak
    into evaluation."""
    english_idx, shots = _sample_indices(examples, k, languages, seed, english_lang)
    english = _lang({"lang": english_lang})
    wanted = {_lang({"lang": lang}) for lang in languages} - {english}
    taken = set(shots)
    held_out = [ex for i, ex in enumerate(examples) if i not in taken and _lang(ex) in wanted]
    return [examples[i] for i in english_idx + shots], held_out
