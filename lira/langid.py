"""Which language is this text? A small script + character n-gram identifier.

Arca's fusion gate has one learned row per language, and training always names the language
(every pair carries its ``lang``, the English side is ``en``). At encode time a caller often
does not know it: a search box, a mixed-language document file. Row 0 ("not given") was never
trained, so instead :func:`identify` guesses the language of each text:

1. **Script.** Most of LiRA's languages own their script (Thai, Bengali, Arabic-script Urdu,
   Khmer, Sinhala, ...): the script of the majority of a text's letters settles it.
2. **Character n-grams** where several registry languages share a script (Latin: English,
   Vietnamese, Indonesian, Malay, Filipino; Devanagari: Hindi, Marathi, Nepali): a naive Bayes
   model over words and character 1-3-grams, counted from the shipped parallel corpus's *train*
   split (the English side for ``en``), so evaluation on dev/test stays held out. The counts
   ship as ``lira/resources/langid/ngram_counts.json.gz`` (:func:`write_profile` rebuilds them).

A text with no letters at all (digits, punctuation, an empty string) gets ``None``: the gate's
"not given" row, as before. Indonesian and Malay are close relatives; short shared phrases can
go either way (a wrong neighbour row is still a trained row, far better than row 0).
"""

from __future__ import annotations

import gzip
import json
import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from lira.languages import LANGUAGES
from lira.paths import resources_dir

# Unicode blocks of the scripts in lira.languages (ISO 15924 codes, as Language.script).
_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, "Latn"),
    (0x1E00, 0x1EFF, "Latn"),  # Latin Extended Additional: Vietnamese letters with tone marks
    (0x0600, 0x06FF, "Arab"),
    (0x0750, 0x077F, "Arab"),
    (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"),
    (0x0900, 0x097F, "Deva"),
    (0x0980, 0x09FF, "Beng"),
    (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"),
    (0x0B00, 0x0B7F, "Orya"),
    (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"),
    (0x0C80, 0x0CFF, "Knda"),
    (0x0D00, 0x0D7F, "Mlym"),
    (0x0D80, 0x0DFF, "Sinh"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Laoo"),
    (0x1000, 0x109F, "Mymr"),
    (0x1780, 0x17FF, "Khmr"),
)
NGRAM_ORDERS = (1, 2, 3)
MAX_TRAIN_TEXTS = 8000
"""Training texts per language for the n-gram profiles: enough for >95% on the dev split, and
counting stays ~10 s (see :func:`write_profile`)."""
MIN_COUNT = 2


@lru_cache(maxsize=None)
def char_script(ch: str) -> str | None:
    """ISO 15924 code of a letter or combining mark's script, or None (digits, punctuation, other scripts)."""
    if unicodedata.category(ch)[0] not in "LM":
        return None
    cp = ord(ch)
    for lo, hi, script in _SCRIPT_RANGES:
        if lo <= cp <= hi:
            return script
    return None


def dominant_script(text: str) -> str | None:
    """The script of most of the text's letters (ties: the first seen), or None if it has none."""
    counts = Counter(s for s in map(char_script, text) if s is not None)
    return counts.most_common(1)[0][0] if counts else None


def _ngrams(text: str) -> list[str]:
    """Each lower-cased word (as ``<word>``) and its character 1-3-grams, spaces marking its edges.

    Whole words carry most of what tells Indonesian from Malay ("berkas" / "fail", "Anda" / "anda").
    """
    grams: list[str] = []
    letters = "".join(ch if unicodedata.category(ch)[0] in "LM" else " " for ch in unicodedata.normalize("NFC", text).lower())
    for word in letters.split():
        grams.append(f"<{word}>")
        padded = f" {word} "
        for n in NGRAM_ORDERS:
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1) if padded[i : i + n].strip())
    return grams


class NgramProfiles:
    """Multinomial naive Bayes over character n-grams, for the languages that share one script."""

    def __init__(self, counts: dict[str, dict[str, int]], alpha: float = 0.5) -> None:
        vocab = set().union(*counts.values()) if counts else set()
        self.languages = sorted(counts)
        self.log_prob: dict[str, dict[str, float]] = {}
        self.log_unseen: dict[str, float] = {}
        for lang, counter in counts.items():
            total = sum(counter.values()) + alpha * (len(vocab) + 1)
            self.log_prob[lang] = {g: math.log((c + alpha) / total) for g, c in counter.items()}
            self.log_unseen[lang] = math.log(alpha / total)

    @classmethod
    def from_texts(cls, texts_by_lang: dict[str, Iterable[str]], alpha: float = 0.5) -> "NgramProfiles":
        return cls({lang: Counter(g for text in texts for g in _ngrams(text)) for lang, texts in texts_by_lang.items()}, alpha)

    def scores(self, text: str, candidates: Sequence[str]) -> dict[str, float]:
        grams = _ngrams(text)
        return {lang: sum(self.log_prob[lang].get(g, self.log_unseen[lang]) for g in grams) for lang in candidates if lang in self.log_prob}

    def best(self, text: str, candidates: Sequence[str]) -> str | None:
        scores = self.scores(text, candidates)
        return max(scores, key=scores.__getitem__) if scores else None


@lru_cache(maxsize=1)
def _languages_by_script() -> dict[str, list[str]]:
    by_script: dict[str, list[str]] = {}
    for code, lang in sorted(LANGUAGES.items()):
        by_script.setdefault(lang.script, []).append(code)
    return by_script


def profile_path() -> Path:
    return resources_dir() / "langid" / "ngram_counts.json.gz"


def corpus_ngram_counts(pairs_path: str | Path | None = None, max_texts: int = MAX_TRAIN_TEXTS) -> dict[str, Counter]:
    """N-gram counts of every language that shares its script with another, from a pairs file
    (default: the shipped *train* split; up to ``max_texts`` texts per language, English from the ``en`` side)."""
    from lira.data.pairs import default_pairs_path

    shared = {code for codes in _languages_by_script().values() if len(codes) > 1 for code in codes}
    texts: dict[str, list[str]] = {}
    english: list[str] = []
    seen_en: set[str] = set()
    with gzip.open(pairs_path or default_pairs_path("train"), "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            lang = row["lang"]
            if lang in shared and len(texts.setdefault(lang, [])) < max_texts:
                texts[lang].append(row["text"])
            if len(english) < max_texts and row["en"] not in seen_en:
                seen_en.add(row["en"])
                english.append(row["en"])
    texts["en"] = english
    return {lang: Counter(g for text in group for g in _ngrams(text)) for lang, group in sorted(texts.items()) if group}


def write_profile(out: str | Path | None = None, min_count: int = MIN_COUNT) -> Path:
    """Rebuild the shipped profile (``python -c "from lira.langid import write_profile; write_profile()"``
    after the parallel corpus changes). N-grams seen fewer than ``min_count`` times are dropped:
    a third smaller file, the same accuracy."""
    out = Path(out) if out else profile_path()
    counts = {lang: {g: c for g, c in sorted(counter.items()) if c >= min_count} for lang, counter in corpus_ngram_counts().items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"orders": list(NGRAM_ORDERS), "max_texts": MAX_TRAIN_TEXTS, "min_count": min_count, "counts": counts}, ensure_ascii=False, sort_keys=True)
    out.write_bytes(gzip.compress(payload.encode("utf-8"), mtime=0))
    return out


@lru_cache(maxsize=1)
def shipped_profiles() -> NgramProfiles:
    """The profiles shipped in ``lira/resources/langid`` (counting the corpus takes ~10 s; reading them, ~0.2 s)."""
    data = json.loads(gzip.decompress(profile_path().read_bytes()).decode("utf-8"))
    return NgramProfiles(data["counts"])


def identify(text: str) -> str | None:
    """The most likely registry language of ``text`` (a canonical code), or None if it has no letters."""
    script = dominant_script(text)
    if script is None:
        return None
    candidates = _languages_by_script().get(script, [])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return None
    return shipped_profiles().best(text, candidates) or candidates[0]


def fill_languages(texts: Sequence[str], langs: Sequence[str | None] | str | None) -> list[str | None]:
    """Per-text languages: those given, :func:`identify` where a text's language is None."""
    given = list(langs) if isinstance(langs, (list, tuple)) else [langs] * len(texts)
    if len(given) != len(texts):
        raise ValueError(f"got {len(given)} languages for {len(texts)} texts")
    return [lang if lang is not None else identify(text) for text, lang in zip(texts, given)]
