"""Seeded, deterministic noise: the misspellings, dropped tone marks and mixed scripts of real shoppers.

Low-resource queries rarely arrive clean. A Vietnamese shopper types "dien thoai" for "điện
thoại"; a Thai one drops the tone mark in "ตู้เย็น"; an Urdu or Bengali one writes the word in
Latin letters; Filipino, Malay and Indonesian shoppers mix English words into the query; text
pasted from a web page carries invisible zero-width characters. LiRA trains for robustness
(LaSR's noise-consistency term) and evaluates robustness with the *same* functions, so they live
here, in pure Python (no torch), usable by data building, training and evaluation alike.

Every function has the shape ``f(text, level, rng, *, ...) -> str``:

* ``level`` in ``[0, 1]`` is the fraction of *eligible* units touched (characters, marks, gaps
  or words; each function's docstring says which). ``level * n`` is rounded stochastically
  (``2.3`` becomes 3 with probability 0.3), so the expected fraction is exact even on short
  texts, where plain rounding would never touch anything at small levels.
* ``rng`` is a ``random.Random`` (or an int seed): the same text, level and seed always give
  the same output, in every process (no ``hash()`` of strings, no set iteration order).
* ``level == 0`` returns the text unchanged.

``apply_noise(text, lang, level, rng, kinds=...)`` composes them with defaults suited to the
language (``default_noise_kinds``): tone removal only for Vietnamese and Thai, romanisation for
languages not written in Latin script, code-mixing only when a bilingual word map is given.
"""

from __future__ import annotations

import random
import unicodedata
from enum import Enum
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Sequence

from anyascii import anyascii

from lira.languages import LANGUAGES, canonical_language

__all__ = [
    "NoiseKind",
    "TYPO_KINDS",
    "NOISE_FUNCTIONS",
    "KEYBOARD_NEIGHBOURS",
    "TONE_LANGUAGES",
    "ZERO_WIDTH_CHARS",
    "THAI_TONE_MARKS",
    "THAI_DROPPED_MARKS",
    "THAI_VOWEL_MARKS",
    "VIETNAMESE_TONE_MARKS",
    "LAO_TONE_MARKS",
    "URDU_HARAKAT",
    "insert_chars",
    "delete_chars",
    "swap_chars",
    "substitute_chars",
    "remove_tones",
    "insert_zero_width",
    "code_mix",
    "romanize_words",
    "apply_noise",
    "default_noise_kinds",
    "parse_noise_kinds",
    "typo_char",
]


class NoiseKind(str, Enum):
    """The kinds of noise ``apply_noise`` composes; the value is the name used in configs."""

    INSERT = "insert"
    """A stray key: a keyboard neighbour (Latin) or a same-script letter inserted after a character."""
    DELETE = "delete"
    """A missed key: a character (with its combining marks) dropped."""
    SWAP = "swap"
    """Two adjacent characters typed in the wrong order."""
    SUBSTITUTE = "substitute"
    """A wrong key: a character replaced by a keyboard neighbour or a same-script letter."""
    TONES = "tones"
    """Tone marks and diacritics dropped (Vietnamese all diacritics and đ; Thai tone marks)."""
    ZERO_WIDTH = "zero_width"
    """Invisible U+200B/U+200C/U+200D inserted between characters (copy-paste from the web)."""
    CODE_MIX = "code_mix"
    """Words replaced by their English equivalents from a bilingual word map."""
    ROMANIZE = "romanize"
    """Words written in Latin letters (anyascii) instead of their native script."""


TYPO_KINDS: tuple[NoiseKind, ...] = (NoiseKind.INSERT, NoiseKind.DELETE, NoiseKind.SWAP, NoiseKind.SUBSTITUTE)
"""The keyboard-typo family: ``apply_noise`` splits ``level`` among the ones selected."""

# The order in which ``apply_noise`` applies kinds: code-mixing needs intact words, tone removal
# and romanisation change whole words, typos then hit the (possibly romanised) text, and
# zero-width characters come last so a typo never deletes one.
_ORDER: tuple[NoiseKind, ...] = (
    NoiseKind.CODE_MIX,
    NoiseKind.TONES,
    NoiseKind.ROMANIZE,
    *TYPO_KINDS,
    NoiseKind.ZERO_WIDTH,
)

ZERO_WIDTH_CHARS: tuple[str, ...] = ("\u200b", "\u200c", "\u200d")
"""ZERO WIDTH SPACE, ZERO WIDTH NON-JOINER, ZERO WIDTH JOINER."""

TONE_LANGUAGES: frozenset[str] = frozenset({"vi", "th"})
"""Languages whose default noise includes tone/diacritic removal."""

VIETNAMESE_TONE_MARKS: frozenset[str] = frozenset("\u0300\u0301\u0303\u0309\u0323")
"""The five Vietnamese tone marks after NFD: grave (huyền), acute (sắc), tilde (ngã), hook above
(hỏi), dot below (nặng). The other Vietnamese diacritics (circumflex U+0302, breve U+0306, horn
U+031B) and đ mark vowel/consonant quality, not tone; ``tones_only=True`` keeps them."""

THAI_TONE_MARKS: frozenset[str] = frozenset(chr(c) for c in range(0x0E48, 0x0E4C))
"""MAI EK, MAI THO, MAI TRI, MAI CHATTAWA (U+0E48-U+0E4B)."""

THAI_DROPPED_MARKS: frozenset[str] = THAI_TONE_MARKS | {"\u0e47", "\u0e4c"}
"""What Thai shoppers actually drop: the four tone marks plus MAITAIKHU (U+0E47, ็, the vowel
shortener: "เย็น" typed "เยน") and THANTHAKHAT (U+0E4C, ์, the silent-letter mark: "การ์ด"
typed "การด"). Both sit above the consonant like tone marks, carry no sound of their own
and are routinely skipped on phone keyboards; the text stays readable without them."""

THAI_VOWEL_MARKS: frozenset[str] = frozenset({"\u0e31", *(chr(c) for c in range(0x0E34, 0x0E3B))})
"""Above/below vowel signs (MAI HAN-AKAT U+0E31, SARA I..SARA UU U+0E34-U+0E39, PHINTHU U+0E3A).
Dropping one changes the vowel, i.e. the word: a misspelling rather than a habit, so
``remove_tones`` keeps them unless ``thai_vowel_marks=True``."""

LAO_TONE_MARKS: frozenset[str] = frozenset(chr(c) for c in range(0x0EC8, 0x0ECC))
"""Lao MAI EK..MAI CATAWA (U+0EC8-U+0ECB), the analogue of Thai's tone marks."""

URDU_HARAKAT: frozenset[str] = frozenset(chr(c) for c in range(0x064B, 0x0653)) | {"\u0670"}
"""Arabic-script short-vowel marks (fathatan..sukun, superscript alef), mostly omitted in Urdu."""

# Scripts written without spaces between words: code-mix keys in them match without word boundaries.
_CONTINUOUS_BLOCKS: tuple[tuple[int, int], ...] = ((0x0E00, 0x0E7F), (0x0E80, 0x0EFF), (0x1780, 0x17FF), (0x1000, 0x109F))

# Unicode blocks of the non-Latin scripts LiRA covers; a same-script typo draws from the block's letters.
_SCRIPT_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x0600, 0x06FF),  # Arabic (Urdu)
    (0x0900, 0x097F),  # Devanagari
    (0x0980, 0x09FF),  # Bengali
    (0x0A00, 0x0A7F),  # Gurmukhi
    (0x0A80, 0x0AFF),  # Gujarati
    (0x0B00, 0x0B7F),  # Oriya
    (0x0B80, 0x0BFF),  # Tamil
    (0x0C00, 0x0C7F),  # Telugu
    (0x0C80, 0x0CFF),  # Kannada
    (0x0D00, 0x0D7F),  # Malayalam
    (0x0D80, 0x0DFF),  # Sinhala
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
)

# The Arabic block holds letters of many languages; Urdu (LiRA's Arabic-script language) uses these.
_URDU_LETTERS = "ابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنںوہھءیے"

_KEYBOARD_ROWS: tuple[tuple[str, float], ...] = (("1234567890", 0.0), ("qwertyuiop", 0.5), ("asdfghjkl", 0.75), ("zxcvbnm", 1.25))


def _build_keyboard_neighbours() -> dict[str, str]:
    """QWERTY neighbours: same row one key left/right, rows above/below within one key width.

    Thai (Kedmanee), Bengali (Bijoy/Avro) and Urdu phonetic layouts differ between phones and
    users, so non-Latin scripts get same-script random letters instead of a layout model.
    """
    keys = [(ch, row, offset + col) for row, (chars, offset) in enumerate(_KEYBOARD_ROWS) for col, ch in enumerate(chars)]
    out: dict[str, str] = {}
    for ch, row, x in keys:
        near = [other for other, r, ox in keys if other != ch and abs(r - row) <= 1 and abs(ox - x) < 1.0 + (r == row)]
        out[ch] = "".join(sorted(near))
    return out


KEYBOARD_NEIGHBOURS: dict[str, str] = _build_keyboard_neighbours()
"""``{"s": "adewxz", ...}``: QWERTY neighbours of each lower-case letter and digit."""


# -- helpers -------------------------------------------------------------------------------------
def _as_rng(rng: random.Random | int) -> random.Random:
    if isinstance(rng, random.Random):
        return rng
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise TypeError(f"rng must be a random.Random or an int seed, got {type(rng).__name__}")


def _check_level(level: float) -> float:
    if not 0.0 <= float(level) <= 1.0:
        raise ValueError(f"noise level must be in [0, 1], got {level}")
    return float(level)


def _count(level: float, n: int, rng: random.Random) -> int:
    """``level * n`` rounded stochastically, so the expected fraction is exactly ``level``."""
    exact = level * n
    whole = int(exact)
    return min(n, whole + (1 if rng.random() < exact - whole else 0))


def _choose(level: float, candidates: Sequence[int], rng: random.Random) -> list[int]:
    """A sorted random subset of ``candidates`` of (stochastic) size ``level * len``."""
    k = _count(level, len(candidates), rng)
    return sorted(rng.sample(list(candidates), k)) if k else []


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def _clusters(text: str) -> list[str]:
    """Split into base characters with their combining marks (and ZWNJ/ZWJ, which shape them).

    Thai "ตู้" is one cluster (consonant + vowel sign + tone mark): a typo deletes or moves the
    whole cluster, never orphans a mark on the wrong consonant.
    """
    out: list[str] = []
    for ch in text:
        if out and (_is_mark(ch) or ch in "\u200c\u200d") and not out[-1].isspace():
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _eligible(cluster: str) -> bool:
    return cluster[0].isalnum()


def _block(ch: str) -> tuple[int, int] | None:
    code = ord(ch)
    for lo, hi in _SCRIPT_BLOCKS:
        if lo <= code <= hi:
            return lo, hi
    return None


@lru_cache(maxsize=None)
def _block_letters(lo: int, hi: int) -> str:
    if lo == 0x0600:
        return _URDU_LETTERS
    return "".join(chr(c) for c in range(lo, hi + 1) if unicodedata.category(chr(c)) == "Lo")


def typo_char(ch: str, rng: random.Random) -> str:
    """A plausible wrong key for ``ch``: a QWERTY neighbour for Latin letters and digits (case kept;
    accented letters use their base letter's key), a random letter of the same script for the
    scripts in ``_SCRIPT_BLOCKS``, otherwise ``ch`` itself (a doubled key press)."""
    base = unicodedata.normalize("NFD", ch)[0]
    near = KEYBOARD_NEIGHBOURS.get(base.lower())
    if near:
        out = rng.choice(near)
        return out.upper() if base.isupper() else out
    block = _block(ch)
    if block is not None:
        letters = _block_letters(*block)
        if letters:
            return rng.choice(letters)
    return ch


# -- keyboard typos ------------------------------------------------------------------------------
def insert_chars(text: str, level: float, rng: random.Random | int, *, lang: str | None = None) -> str:
    """Insert a stray character after a ``level`` fraction of the letters/digits (with their marks).

    The stray is a keyboard neighbour (Latin) or a same-script letter (``typo_char``): a finger
    brushing the next key. Text is NFC-normalised first when anything changes.
    """
    level, rng = _check_level(level), _as_rng(rng)
    if level == 0:
        return text
    clusters = _clusters(unicodedata.normalize("NFC", text))
    chosen = set(_choose(level, [i for i, c in enumerate(clusters) if _eligible(c)], rng))
    out = []
    for i, cluster in enumerate(clusters):
        out.append(cluster)
        if i in chosen:
            out.append(typo_char(cluster[0], rng))
    return "".join(out)


def delete_chars(text: str, level: float, rng: random.Random | int, *, lang: str | None = None) -> str:
    """Delete a ``level`` fraction of the letters/digits, each with its combining marks (a missed key)."""
    level, rng = _check_level(level), _as_rng(rng)
    if level == 0:
        return text
    clusters = _clusters(unicodedata.normalize("NFC", text))
    chosen = set(_choose(level, [i for i, c in enumerate(clusters) if _eligible(c)], rng))
    return "".join(c for i, c in enumerate(clusters) if i not in chosen)


def swap_chars(text: str, level: float, rng: random.Random | int, *, lang: str | None = None) -> str:
    """Transpose adjacent letters: a ``level`` fraction of the positions where two letters/digits
    (with their marks) meet is swapped; overlapping swaps are skipped (each letter moves once)."""
    level, rng = _check_level(level), _as_rng(rng)
    if level == 0:
        return text
    clusters = _clusters(unicodedata.normalize("NFC", text))
    positions = [i for i in range(len(clusters) - 1) if _eligible(clusters[i]) and _eligible(clusters[i + 1])]
    last = -2
    for i in _choose(level, positions, rng):
        if i <= last + 1:
            continue
        clusters[i], clusters[i + 1] = clusters[i + 1], clusters[i]
        last = i
    return "".join(clusters)


def substitute_chars(text: str, level: float, rng: random.Random | int, *, lang: str | None = None) -> str:
    """Replace a ``level`` fraction of the letters/digits by a wrong key (``typo_char``).

    The base character is replaced and its combining marks kept (Thai/Bengali vowel signs stay on
    the new consonant); precomposed Latin letters (NFC "ệ") are replaced whole by a plain letter.
    """
    level, rng = _check_level(level), _as_rng(rng)
    if level == 0:
        return text
    clusters = _clusters(unicodedata.normalize("NFC", text))
    for i in _choose(level, [i for i, c in enumerate(clusters) if _eligible(c)], rng):
        clusters[i] = typo_char(clusters[i][0], rng) + clusters[i][1:]
    return "".join(clusters)


# -- tones and diacritics ------------------------------------------------------------------------
def _strip_latin(ch: str, tones_only: bool) -> str:
    if ch in "đĐ":
        return ch if tones_only else ("d" if ch == "đ" else "D")
    parts = unicodedata.normalize("NFD", ch)
    if tones_only:
        kept = "".join(p for p in parts if p not in VIETNAMESE_TONE_MARKS)
    else:
        kept = "".join(p for p in parts if not _is_mark(p))
    return unicodedata.normalize("NFC", kept)


def remove_tones(
    text: str,
    level: float,
    rng: random.Random | int,
    *,
    lang: str | None,
    tones_only: bool = False,
    thai_vowel_marks: bool = False,
) -> str:
    """Drop tone marks and diacritics the way shoppers do, on a ``level`` fraction of the eligible units.

    * Vietnamese and other Latin-script text (``vi``, ``id``, ``fil``...): a letter's combining
      marks are stripped after NFD and đ/Đ become d/D ("điện thoại" -> "dien thoai"); the
      eligible units are the letters that carry a mark. ``tones_only=True`` strips only the five
      tone marks (``VIETNAMESE_TONE_MARKS``) and keeps â/ă/ê/ô/ơ/ư/đ ("điện" -> "điên").
    * Thai: the marks in ``THAI_DROPPED_MARKS`` (tone marks U+0E48-U+0E4B, maitaikhu, thanthakhat)
      are removed; with ``thai_vowel_marks=True`` also the above/below vowel signs
      (``THAI_VOWEL_MARKS``). Each mark is one eligible unit.
    * Lao: tone marks U+0EC8-U+0ECB. Urdu: the short-vowel harakat (``URDU_HARAKAT``).
    * Other scripts are returned unchanged (their marks are vowels, not optional diacritics).
    """
    level, rng = _check_level(level), _as_rng(rng)
    if level == 0:
        return text
    code = canonical_language(lang) if lang else None
    if code in ("th", "lo", "ur"):
        if code == "th":
            marks = THAI_DROPPED_MARKS | (THAI_VOWEL_MARKS if thai_vowel_marks else frozenset())
        else:
            marks = LAO_TONE_MARKS if code == "lo" else URDU_HARAKAT
        chosen = set(_choose(level, [i for i, ch in enumerate(text) if ch in marks], rng))
        return "".join(ch for i, ch in enumerate(text) if i not in chosen)
    if code is not None and LANGUAGES[code].script != "Latn":
        return text
    chars = list(unicodedata.normalize("NFC", text))
    eligible = [i for i, ch in enumerate(chars) if "LATIN" in unicodedata.name(ch, "") and _strip_latin(ch, tones_only) != ch]
    for i in _choose(level, eligible, rng):
        chars[i] = _strip_latin(chars[i], tones_only)
    return "".join(chars)


# -- invisible characters ------------------------------------------------------------------------
def insert_zero_width(
    text: str, level: float, rng: random.Random | int, *, lang: str | None = None, chars: Sequence[str] = ZERO_WIDTH_CHARS
) -> str:
    """Insert zero-width characters into a ``level`` fraction of the gaps between two visible characters.

    Text copied from web pages and chat apps carries U+200B (Thai sites use it as an invisible
    word break), U+200C and U+200D; a tokenizer that does not strip them splits words at them.
    Gaps inside a character's cluster (between a consonant and its vowel sign) are not used.
    """
    level, rng = _check_level(level), _as_rng(rng)
    if level == 0:
        return text
    if not chars:
        raise ValueError("insert_zero_width: chars must not be empty")
    clusters = _clusters(text)
    gaps = [i for i in range(len(clusters) - 1) if not clusters[i].isspace() and not clusters[i + 1].isspace()]
    chosen = set(_choose(level, gaps, rng))
    out = []
    for i, cluster in enumerate(clusters):
        out.append(cluster)
        if i in chosen:
            out.append(rng.choice(list(chars)))
    return "".join(out)


# -- code-mixing ---------------------------------------------------------------------------------
def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or _is_mark(ch) or ch in "\u200c\u200d"


def _continuous(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CONTINUOUS_BLOCKS)


def _find_words(text: str, word_map: Mapping[str, str]) -> list[tuple[int, int, str]]:
    """Non-overlapping, longest-first, case-insensitive matches ``(start, end, replacement)``.

    Keys in spaced scripts must sit on word boundaries (so "tab" does not match inside "table");
    keys in Thai, Lao, Khmer or Burmese, written without spaces, match anywhere.
    """
    by_first: dict[str, list[tuple[str, str]]] = {}
    for key, value in word_map.items():
        key = key.strip()
        if key:
            by_first.setdefault(key[0].casefold(), []).append((key.casefold(), value))
    for options in by_first.values():
        options.sort(key=lambda kv: (-len(kv[0]), kv[0]))
    found: list[tuple[int, int, str]] = []
    i, n = 0, len(text)
    while i < n:
        match = None
        for key, value in by_first.get(text[i].casefold(), ()):
            end = i + len(key)
            if text[i:end].casefold() != key:
                continue
            if not _continuous(key[0]) and ((i > 0 and _is_word_char(text[i - 1])) or (end < n and _is_word_char(text[end]))):
                continue
            match = (i, end, value)
            break
        if match:
            found.append(match)
            i = match[1]
        else:
            i += 1
    return found


def code_mix(
    text: str, level: float, rng: random.Random | int, *, word_map: Mapping[str, str], lang: str | None = None
) -> str:
    """Replace a ``level`` fraction of the words found in ``word_map`` by their English equivalents.

    ``word_map`` is any bilingual dictionary ``{"điện thoại": "phone", "ตู้เย็น": "fridge"}``
    (multi-word keys allowed: Vietnamese words are space-separated syllables). Eligible units are
    the non-overlapping matches (longest key first, case-insensitive); a capitalised source word
    gives a capitalised replacement. Code-mixing is how Filipino ("Taglish"), Malay and Indonesian
    shoppers write, and what a cross-lingual model must not be thrown by.
    """
    level, rng = _check_level(level), _as_rng(rng)
    if level == 0 or not word_map:
        return text
    matches = _find_words(text, word_map)
    chosen = set(_choose(level, range(len(matches)), rng))
    out, pos = [], 0
    for j, (start, end, value) in enumerate(matches):
        if j not in chosen:
            continue
        if text[start].isupper() and value[:1].islower():
            value = value[:1].upper() + value[1:]
        out.append(text[pos:start])
        out.append(value)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# -- romanisation --------------------------------------------------------------------------------
def romanize_words(text: str, level: float, rng: random.Random | int, *, lang: str | None = None) -> str:
    """Write a ``level`` fraction of the words containing non-ASCII characters in Latin letters (anyascii).

    Urdu and Bengali shoppers often type their language in Latin letters; Thai product names
    appear transliterated. Words are whitespace-separated tokens, so for Thai (no spaces) a
    token is a phrase. Whitespace is preserved as it was.
    """
    level, rng = _check_level(level), _as_rng(rng)
    if level == 0:
        return text
    tokens = text.split(" ")
    eligible = [i for i, tok in enumerate(tokens) if any(ord(ch) > 127 and not ch.isspace() for ch in tok)]
    for i in _choose(level, eligible, rng):
        tokens[i] = anyascii(tokens[i])
    return " ".join(tokens)


# -- composition ---------------------------------------------------------------------------------
NOISE_FUNCTIONS: dict[NoiseKind, Callable[..., str]] = {
    NoiseKind.INSERT: insert_chars,
    NoiseKind.DELETE: delete_chars,
    NoiseKind.SWAP: swap_chars,
    NoiseKind.SUBSTITUTE: substitute_chars,
    NoiseKind.TONES: remove_tones,
    NoiseKind.ZERO_WIDTH: insert_zero_width,
    NoiseKind.CODE_MIX: code_mix,
    NoiseKind.ROMANIZE: romanize_words,
}


def parse_noise_kinds(names: Iterable[str | NoiseKind]) -> tuple[NoiseKind, ...]:
    """Config names -> kinds (order kept, duplicates dropped); ``"typos"`` expands to ``TYPO_KINDS``.

    An unknown name raises ``ValueError`` naming it and the known names.
    """
    out: list[NoiseKind] = []
    for name in names:
        if isinstance(name, NoiseKind):
            kinds: tuple[NoiseKind, ...] = (name,)
        elif isinstance(name, str) and name.strip().lower() == "typos":
            kinds = TYPO_KINDS
        else:
            try:
                kinds = (NoiseKind(str(name).strip().lower()),)
            except ValueError:
                known = ", ".join([k.value for k in NoiseKind] + ["typos"])
                raise ValueError(f"unknown noise kind {name!r}; known: {known}") from None
        out.extend(k for k in kinds if k not in out)
    return tuple(out)


def default_noise_kinds(lang: str | None, *, code_mixing: bool = False) -> tuple[NoiseKind, ...]:
    """The noise a shopper writing ``lang`` produces.

    Every language: the four keyboard typos and zero-width characters. Vietnamese and Thai: tone
    removal. Languages not written in Latin script (Thai, Urdu, Bengali, Khmer, ...): romanisation.
    ``code_mixing=True`` (a word map is available) adds English code-mixing for non-English text.
    """
    code = canonical_language(lang) if lang else None
    kinds: list[NoiseKind] = [*TYPO_KINDS, NoiseKind.ZERO_WIDTH]
    if code in TONE_LANGUAGES:
        kinds.append(NoiseKind.TONES)
    if code is not None and code != "en" and LANGUAGES[code].script != "Latn":
        kinds.append(NoiseKind.ROMANIZE)
    if code_mixing and code != "en":
        kinds.append(NoiseKind.CODE_MIX)
    return tuple(kinds)


def apply_noise(
    text: str,
    lang: str | None,
    level: float,
    rng: random.Random | int,
    kinds: Iterable[str | NoiseKind] | None = None,
    *,
    word_map: Mapping[str, str] | None = None,
) -> str:
    """Apply several kinds of noise to ``text`` in a fixed, sensible order.

    ``kinds`` None means ``default_noise_kinds(lang, code_mixing=word_map is not None)``. Each
    non-typo kind is applied at ``level``; the typo kinds share it (each gets ``level / number of
    typo kinds selected``), so ``level=0.1`` with all four typos touches about 10% of the letters,
    not 40%. Order: code-mix, tones, romanise, typos, zero-width (see ``_ORDER``). Deterministic
    for a seed. ``CODE_MIX`` without a ``word_map`` is a ``ValueError``.
    """
    level, rng = _check_level(level), _as_rng(rng)
    selected = parse_noise_kinds(kinds) if kinds is not None else default_noise_kinds(lang, code_mixing=word_map is not None)
    if level == 0 or not selected:
        return text
    if NoiseKind.CODE_MIX in selected and word_map is None:
        raise ValueError("noise kind 'code_mix' needs a word_map (a dict of words to their English equivalents)")
    typo_share = level / max(1, sum(k in TYPO_KINDS for k in selected))
    for kind in _ORDER:
        if kind not in selected:
            continue
        kind_level = typo_share if kind in TYPO_KINDS else level
        if kind is NoiseKind.CODE_MIX:
            text = code_mix(text, kind_level, rng, word_map=word_map or {}, lang=lang)
        else:
            text = NOISE_FUNCTIONS[kind](text, kind_level, rng, lang=lang)
    return text
