"""The noised copies Arca trains on (``arca.noise_anchor_weight``, ``arca.noise_consistency_weight``).

Each low-resource sentence of a training batch gets a noised copy made by
``lira.data.noise.apply_noise`` at ``arca.noise_level`` with the training kinds of its language:
``arca.noise_kinds`` if given, else the language's defaults (``default_noise_kinds``, with
code-mixing from the shipped product lexicon's word map, as the evaluation suite noises), in both
cases without ``arca.noise_held_out_kind``. The held-out kind is never passed to ``apply_noise``
during training, so scoring a model on it (``held_out_noise``) measures robustness to noise it has
not seen. English sentences are never noised.

The copy depends on ``(train.seed, epoch, language, text)`` only, so a resumed run makes the same
copies, and the copies of a run are known in advance (``TrainingNoise.texts``).
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Iterable, Mapping

from lira.data import noise as noise_lib
from lira.data.noise import NoiseKind, default_noise_kinds, parse_noise_kinds

DEFAULT_TRAINING_NOISE_LEVEL = 0.1


def training_noise_level(*levels: float | None) -> float:
    """The first of ``levels`` that is set, else ``DEFAULT_TRAINING_NOISE_LEVEL``: how every training
    noise level falls back (the retrieval term's queries: ``arca.retrieval_query_noise_level``, then
    ``arca.noise_level``; the noise terms' copies: ``arca.noise_level``)."""
    return next((level for level in levels if level is not None), DEFAULT_TRAINING_NOISE_LEVEL)


@lru_cache(maxsize=1)
def _lexicon_word_maps() -> dict[str, dict[str, str]]:
    """{lang: {native shop word: English word}} from the shipped product lexicon (what the suite code-mixes with)."""
    from lira.data.products.lexicon import english, load_lexicon

    maps: dict[str, dict[str, str]] = {}
    for entry in load_lexicon().entries:
        try:
            maps.setdefault(entry["lang"], {})[entry["text"]] = english(entry["concept"])
        except KeyError:
            continue
    return maps


def training_kinds(lang: str, kinds: Iterable[str] | None, held_out: str | None, *, code_mixing: bool) -> tuple[NoiseKind, ...]:
    """The kinds a training copy in ``lang`` gets: ``kinds`` (None: the language's defaults) less ``held_out``."""
    chosen = parse_noise_kinds(kinds) if kinds is not None else default_noise_kinds(lang, code_mixing=code_mixing)
    excluded = set(parse_noise_kinds([held_out])) if held_out else set()
    return tuple(k for k in chosen if k not in excluded)


class TrainingNoise:
    """``noise(text, lang, epoch)`` -> the training copy; ``kinds[lang]`` says which kinds it may use."""

    def __init__(
        self,
        languages: Iterable[str],
        *,
        level: float | None = None,
        kinds: Iterable[str] | None = None,
        held_out: str | None = None,
        seed: int = 0,
        word_maps: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.level = training_noise_level(level)
        self.held_out = parse_noise_kinds([held_out])[0] if held_out else None
        self.seed = seed
        kinds = list(kinds) if kinds is not None else None
        wants_code_mix = kinds is None or NoiseKind.CODE_MIX in parse_noise_kinds(kinds)
        if word_maps is None and wants_code_mix and self.held_out is not NoiseKind.CODE_MIX:
            word_maps = _lexicon_word_maps()
        self.word_maps = {lang: dict(m) for lang, m in (word_maps or {}).items() if m}
        self.kinds: dict[str, tuple[NoiseKind, ...]] = {}
        for lang in languages:
            if lang == "en":
                continue
            chosen = training_kinds(lang, kinds, held_out, code_mixing=lang in self.word_maps)
            if NoiseKind.CODE_MIX in chosen and lang not in self.word_maps:
                chosen = tuple(k for k in chosen if k is not NoiseKind.CODE_MIX)  # no word map for this language
            self.kinds[lang] = chosen

    def __call__(self, text: str, lang: str, epoch: int = 0) -> str:
        kinds = self.kinds.get(lang)
        if not kinds:
            return text
        rng = random.Random(f"{self.seed}:{epoch}:{lang}:{text}")
        return noise_lib.apply_noise(text, lang, self.level, rng, kinds, word_map=self.word_maps.get(lang))

    def texts(self, pairs: Iterable[tuple[str, str]], epochs: int) -> list[str]:
        """Every noised copy of ``(text, lang)`` a run of ``epochs`` epochs makes."""
        return sorted({self(text, lang, epoch) for epoch in range(epochs) for text, lang in pairs})


def held_out_noise(text: str, lang: str, level: float, rng: random.Random | int, held_out: str) -> str:
    """``text`` noised with the held-out kind alone (for scoring robustness to unseen noise)."""
    kind = parse_noise_kinds([held_out])
    word_map = _lexicon_word_maps().get(lang, {}) if NoiseKind.CODE_MIX in kind else None
    return noise_lib.apply_noise(text, lang, level, rng, kind, word_map=word_map)
