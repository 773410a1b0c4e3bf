"""Build the shipped English<->X parallel sentences from Firefox ESR localisations.

Source: Debian's ``firefox-esr`` package (the English strings, in ``omni.ja`` and
``browser/omni.ja``) and its ``firefox-esr-l10n-*`` language packs (a langpack ``.xpi`` each).
Every string a Mozilla localiser translated is keyed by its file path under the locale folder
and its message id, in English and in the translation alike, so aligning by
``(path, id[.attribute])`` gives human-translated pairs with no sentence alignment step.

Pipeline (:func:`build_parallel`):

1. ``apt-get download`` the packages into ``cache_dir()/"debs"`` (pinned versions when asked,
   e.g. by :func:`verify_parallel`) and ``dpkg -x`` each into ``cache_dir()/"extract"``;
2. read every ``.ftl`` (Fluent, parsed by :func:`parse_ftl`) and ``.properties`` file
   (:func:`parse_properties`) of the English build and of each langpack;
3. align by (path relative to the locale folder, message key), flatten Fluent patterns and
   normalise both sides (:mod:`lira.data.normalize`);
4. filter (:func:`filter_reason`), de-duplicate (exact pairs; then one translation per English
   sentence and language: the most frequent one), split by a hash of the English sentence
   (:func:`split_of`) so that an English sentence never crosses splits, across languages too;
5. write ``{train,dev,test}.jsonl.gz`` (sorted, gzip ``mtime=0``: byte-for-byte reproducible)
   and ``SOURCES.md`` (packages, versions, licence, counts, sha256 of every output).

The network (apt) and dpkg are only touched by :func:`fetch_sources`; everything after it
works on in-memory file maps (:class:`LocaleFiles`) and is tested on small fixtures.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import unicodedata
import warnings
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lira.data.normalize import FluentPatternError, normalize_text, parse_fluent_pattern, resolve_fluent_pattern
from lira.data.pairs import ParallelPair, save_pairs_jsonl
from lira.languages import LANGUAGES, canonical_language
from lira.paths import cache_dir, resources_dir

__all__ = [
    "DEFAULT_LANGUAGES",
    "ENGLISH_PACKAGE",
    "FtlResource",
    "LocaleFiles",
    "MOZILLA_LOCALES",
    "RATIO_BANDS",
    "SPLITS",
    "align_locale",
    "build_from_locales",
    "build_parallel",
    "deduplicate",
    "embedded_manifest",
    "extract_units",
    "fetch_sources",
    "filter_reason",
    "package_for",
    "parse_ftl",
    "parse_properties",
    "read_english",
    "read_langpack",
    "read_manifest",
    "relative_key",
    "script_share",
    "split_key",
    "split_of",
    "verify_parallel",
    "write_splits",
]

ENGLISH_PACKAGE = "firefox-esr"
SPLITS: tuple[str, ...] = ("train", "dev", "test")
LICENSE = "MPL-2.0"

# LiRA language -> Mozilla locale code (the Debian package is firefox-esr-l10n-<lowercased>).
# Only languages that Debian ships a Firefox ESR langpack for, and that multilingual-e5
# (XLM-R's 100 languages) covers. Not available as Firefox langpacks: lo, jv, ml, or, as.
MOZILLA_LOCALES: dict[str, str] = {
    "th": "th",
    "vi": "vi",
    "id": "id",
    "ms": "ms",
    "fil": "tl",
    "ur": "ur",
    "bn": "bn",
    "km": "km",
    "my": "my",
    "ne": "ne-NP",
    "si": "si",
    "ta": "ta",
    "te": "te",
    "hi": "hi-IN",
    "mr": "mr",
    "gu": "gu-IN",
    "pa": "pa-IN",
    "kn": "kn",
}
DEFAULT_LANGUAGES: tuple[str, ...] = tuple(MOZILLA_LOCALES)

# --- filter parameters (documented in SOURCES.md) -------------------------------------------
MAX_CHARS = 300  # either side, after normalisation
MIN_EN_WORDS = 2  # English tokens that contain a letter: single-word UI labels are dropped
# Allowed length of the translation, in characters, by script of the target language:
# lo * len(en) - RATIO_SLACK <= len(text) <= hi * len(en) + RATIO_SLACK. The bands are the
# central ~99% (0.5th to 99.5th percentile, rounded outwards) of len(text)/len(en) over the
# pairs of the first build with an English side of 30 characters or more; the slack keeps
# short UI labels ("Pin Tab" -> a five-word Nepali phrase) from being cut by a ratio that
# means little at that length. Scripts without data here (Laoo, Orya, Mlym) use the widest
# band of their neighbours. Outside the band sit misaligned and truncated translations.
RATIO_BANDS: dict[str, tuple[float, float]] = {
    "Latn": (0.6, 1.8),
    "Thai": (0.5, 1.6),
    "Laoo": (0.5, 1.8),
    "Khmr": (0.65, 2.0),
    "Mymr": (0.6, 2.1),
    "Arab": (0.6, 1.7),
    "Deva": (0.55, 1.7),
    "Beng": (0.6, 1.8),
    "Guru": (0.6, 1.7),
    "Gujr": (0.55, 1.7),
    "Orya": (0.55, 1.9),
    "Taml": (0.55, 2.0),
    "Telu": (0.65, 1.7),
    "Knda": (0.7, 1.9),
    "Mlym": (0.55, 2.1),
    "Sinh": (0.55, 1.5),
}
DEFAULT_RATIO_BAND = (0.5, 2.1)
RATIO_SLACK = 10
# Share of a non-Latin target's letters that must be in the language's own script: lower
# means an untranslated (English) string, possibly around a product name.
MIN_SCRIPT_SHARE = 0.3
SPLIT_PERMILLE = (800, 900)  # hash % 1000 < 800: train, < 900: dev, else test

# Unicode blocks of the scripts in lira.languages (letters and combining marks).
_SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "Thai": ((0x0E00, 0x0E7F),),
    "Laoo": ((0x0E80, 0x0EFF),),
    "Arab": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "Deva": ((0x0900, 0x097F), (0xA8E0, 0xA8FF)),
    "Beng": ((0x0980, 0x09FF),),
    "Guru": ((0x0A00, 0x0A7F),),
    "Gujr": ((0x0A80, 0x0AFF),),
    "Orya": ((0x0B00, 0x0B7F),),
    "Taml": ((0x0B80, 0x0BFF),),
    "Telu": ((0x0C00, 0x0C7F),),
    "Knda": ((0x0C80, 0x0CFF),),
    "Mlym": ((0x0D00, 0x0D7F),),
    "Sinh": ((0x0D80, 0x0DFF),),
    "Mymr": ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)),
    "Khmr": ((0x1780, 0x17FF), (0x19E0, 0x19FF)),
}

# Fluent attributes / message ids / properties keys that hold no translatable prose.
_NON_TEXT_SUFFIXES = ("accesskey", "commandkey", "keycode")
_NON_TEXT_NAMES = frozenset({"key", "style", "width", "height", "modifiers"})
# Comma-separated search keywords (the address bar's quick actions), not sentences.
_KEYWORD_LIST_PREFIXES = ("quickactions-cmd-",)
# Files whose values are locale settings (language lists, fonts, key names), not prose.
_SKIP_FILES = frozenset({"intl.properties", "region.properties", "platformKeys.properties", "mathfont.properties", "language.properties"})
_CODE_LIKE = re.compile(r"https?://|www\.|\b[0-9.]+(?:em|ch|px|rem|vw|vh)\b|[{}<>=\\]|\w\.\w+\(|^[\w.-]+\.\w{2,4}$")


# ============================================================================================
# Fluent (.ftl)
# ============================================================================================

_ENTRY_START = re.compile(r"(-?)([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*)\Z", re.S)
_ATTRIBUTE = re.compile(r"[ \t]*\.([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*)\Z", re.S)


@dataclass
class FtlResource:
    """The entries of one ``.ftl`` file, as pattern sources.

    ``messages`` maps ``id`` (the value) and ``id.attr`` (each attribute) to the source of
    the pattern; ``terms`` maps a term's name without ``-`` (and ``name.attr``) the same way;
    ``junk`` counts entries that are not well-formed Fluent and were skipped.
    """

    messages: dict[str, str] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)
    junk: int = 0


def _pattern_source(lines: list[str]) -> str:
    """Join the lines of one pattern: first-line text, then indented block lines.

    Indentation is removed from block lines (Fluent dedents them; the exact relative
    indentation does not survive whitespace collapsing anyway), blank lines at either end
    are dropped, and the newlines that separate select-expression variants are kept.
    """
    out = [lines[0].strip()] + [line.strip() for line in lines[1:]]
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return "\n".join(out)


def parse_ftl(text: str) -> FtlResource:
    """Parse a Fluent resource into message and term pattern sources (see :class:`FtlResource`).

    Handles the full entry syntax Firefox uses: ``#``/``##``/``###`` comments, messages and
    ``-terms``, values that start on the ``=`` line or below it, multi-line (indented) values,
    ``.attribute`` lines, select expressions whose ``[variant]`` or closing ``}`` lines sit
    at any indentation, and junk lines (skipped, counted). Placeables are checked by
    :func:`lira.data.normalize.parse_fluent_pattern`: an entry whose value or attribute does
    not parse counts as junk.
    """
    res = FtlResource()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    entries: list[list[str]] = []
    current: list[str] | None = None
    for line in text.split("\n"):
        if line.startswith("#"):
            current = None
            continue
        if _ENTRY_START.match(line):
            current = [line]
            entries.append(current)
            continue
        if not line or line[0] in " \t[*}.":
            # Indented text, blank line, or a line that can only continue an open entry
            # (variant key, closing brace of a select expression, attribute).
            if current is not None:
                current.append(line)
            elif line.strip():
                res.junk += 1
            continue
        # Column-0 text that starts no entry: junk, ends the entry before it.
        current = None
        res.junk += 1

    for lines in entries:
        m = _ENTRY_START.match(lines[0])
        assert m is not None
        is_term, ident, first = m.group(1) == "-", m.group(2), m.group(3)
        # Split the entry into its value and its attributes. In valid Fluent no pattern line
        # (text or variant) may start with '.', so every such line opens an attribute.
        parts: list[tuple[str | None, list[str]]] = [(None, [first])]
        for line in lines[1:]:
            am = _ATTRIBUTE.match(line)
            if am:
                parts.append((am.group(1), [am.group(2)]))
            else:
                parts[-1][1].append(line)
        entry: dict[str, str] = {}
        ok = True
        for attr, plines in parts:
            source = _pattern_source(plines)
            if not source:
                if attr is not None:
                    ok = False  # an attribute must have a value
                continue
            try:
                parse_fluent_pattern(source)
            except FluentPatternError:
                ok = False
                break
            entry[ident if attr is None else f"{ident}.{attr}"] = source
        if is_term and ident not in entry:
            ok = False  # a term must have a value
        if not ok or not entry:
            res.junk += 1
            continue
        target = res.terms if is_term else res.messages
        target.update(entry)
    return res


# ============================================================================================
# .properties
# ============================================================================================

_PROP_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape_properties(s: str) -> str:
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", s[i + 2 : i + 6] or ""):
            out.append(chr(int(s[i + 2 : i + 6], 16)))
            i += 6
            continue
        out.append(_PROP_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)


def parse_properties(text: str) -> dict[str, str]:
    """Parse a Java/Mozilla ``.properties`` file into ``{key: value}`` (file order).

    ``#``/``!`` comment lines, ``key=value`` / ``key: value`` / ``key value``, backslash line
    continuations (leading whitespace of the next line dropped) and ``\\n``, ``\\t``,
    ``\\uXXXX``, ``\\X`` escapes in keys and values. A later duplicate key wins, as in Gecko.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    physical = text.split("\n")
    out: dict[str, str] = {}
    i = 0
    while i < len(physical):
        line = physical[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        # Join continuation lines: a line ending in an odd number of backslashes.
        while (len(line) - len(line.rstrip("\\"))) % 2 == 1:
            line = line[:-1]
            if i >= len(physical):
                break
            line += physical[i].lstrip(" \t\f")
            i += 1
        # Key: up to the first unescaped '=', ':' or whitespace.
        j, n = 0, len(line)
        while j < n:
            c = line[j]
            if c == "\\":
                j += 2
                continue
            if c in "=: \t\f":
                break
            j += 1
        key = _unescape_properties(line[:j])
        rest = line[j:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        out[key] = _unescape_properties(rest)
    return out


# ============================================================================================
# Locale file sets and alignment
# ============================================================================================


@dataclass
class LocaleFiles:
    """The localisation files of one locale, as read from a package.

    ``files`` maps the path inside the package archive (langpack ``.xpi``; for English,
    ``omni.ja`` paths, with ``browser/`` in front of those from ``browser/omni.ja``) to the
    file's bytes. ``locale`` is Mozilla's code (``en-US``, ``ne-NP``, ``tl``); ``lang`` the
    canonical LiRA code (``en``, ``ne``, ``fil``).
    """

    package: str
    version: str
    locale: str
    lang: str
    files: dict[str, bytes]


def relative_key(path: str, locale: str) -> str | None:
    """Map an archive path to a locale-independent key, or None for a non-l10n file.

    ``browser/localization/ur/browser/x.ftl`` -> ``browser/localization/{L}/browser/x.ftl``;
    ``chrome/ur/locale/ur/global/y.properties`` -> ``chrome/{L}/locale/{L}/global/y.properties``.
    Only the segments where a locale code belongs are replaced, so a folder that happens to
    be named like a locale (``id``, ``my``) is left alone.
    """
    if not path.endswith((".ftl", ".properties")):
        return None
    prefix = ""
    rest = path
    if rest.startswith("browser/"):
        prefix, rest = "browser/", rest[len("browser/") :]
    seg = rest.split("/")
    if len(seg) < 3:
        return None
    if seg[0] == "localization" and seg[1] == locale:
        seg[1] = "{L}"
    elif seg[0] == "chrome" and seg[1] == locale and seg[2] == "locale":
        seg[1] = "{L}"
        if len(seg) > 4 and seg[3] == locale:
            seg[3] = "{L}"
    else:
        return None
    return prefix + "/".join(seg)


@dataclass(frozen=True)
class _Unit:
    """One translatable string of one locale."""

    path: str  # archive path, for the pair's source
    kind: str  # "ftl" or "properties"
    raw: str  # flattened Fluent text (not yet normalised) or the properties value


def _non_text_key(key: str) -> bool:
    """Keys of access keys, shortcuts, CSS sizes and search-keyword lists: no prose."""
    lowered = key.lower()
    if lowered.startswith(_KEYWORD_LIST_PREFIXES) or lowered.endswith("searchkeywords"):
        return True
    last = re.split(r"[.\-_]", lowered)[-1]
    return last.endswith(_NON_TEXT_SUFFIXES) or last in _NON_TEXT_NAMES


def extract_units(loc: LocaleFiles) -> tuple[dict[tuple[str, str], _Unit], Counter]:
    """Read every ``.ftl``/``.properties`` file of a locale into ``{(relkey, msgkey): unit}``.

    Fluent patterns are flattened with the locale's own terms (all ``-terms`` of the locale,
    those of the same file first) and same-file message references.
    """
    stats: Counter = Counter()
    ftl: dict[str, tuple[str, FtlResource]] = {}
    props: dict[str, tuple[str, dict[str, str]]] = {}
    for path in sorted(loc.files):
        rel = relative_key(path, loc.locale)
        if rel is None:
            continue
        if rel.rsplit("/", 1)[-1] in _SKIP_FILES:
            stats["skipped-files"] += 1
            continue
        try:
            text = loc.files[path].decode("utf-8")
        except UnicodeDecodeError:
            stats["undecodable-files"] += 1
            continue
        if path.endswith(".ftl"):
            ftl[rel] = (path, parse_ftl(text))
        else:
            props[rel] = (path, parse_properties(text))

    global_terms: dict[str, str] = {}
    for rel in sorted(ftl):
        for name, source in ftl[rel][1].terms.items():
            global_terms.setdefault(name, source)

    units: dict[tuple[str, str], _Unit] = {}
    for rel, (path, res) in ftl.items():
        stats["ftl-junk"] += res.junk
        terms = {**global_terms, **res.terms}
        for key, source in res.messages.items():
            if any(_non_text_key(part) for part in key.split(".")):
                continue
            try:
                raw = resolve_fluent_pattern(source, terms, res.messages)
            except FluentPatternError:  # pragma: no cover - parse_ftl already checked
                stats["ftl-unresolvable"] += 1
                continue
            units[(rel, key)] = _Unit(path, "ftl", raw)
    for rel, (path, values) in props.items():
        for key, value in values.items():
            if _non_text_key(key):
                continue
            units[(rel, key)] = _Unit(path, "properties", value)
    return units, stats


def _is_plural_list(en_raw: str) -> bool:
    """A Mozilla PluralForm value: ``;``-separated forms, spotted by a ``#N`` placeholder.

    The comments that mark such strings are stripped from the shipped en-US files, so the
    ``#1`` placeholder (PluralForm's only one) is the sign left to use.
    """
    return ";" in en_raw and re.search(r"#[0-9]", en_raw) is not None


def _letters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c)[0] in "LM"]


def script_share(text: str, script: str) -> float:
    """Share of the letters (and marks) of ``text`` that lie in ``script``'s Unicode blocks."""
    letters = _letters(text)
    if not letters:
        return 0.0
    ranges = _SCRIPT_RANGES[script]
    inside = sum(1 for c in letters if any(lo <= ord(c) <= hi for lo, hi in ranges))
    return inside / len(letters)


def filter_reason(en: str, text: str, lang: str, *, max_chars: int = MAX_CHARS, min_en_words: int = MIN_EN_WORDS) -> str | None:
    """Why a normalised pair is dropped, or None to keep it.

    ``empty``: a side is empty; ``placeholder-only``: a side has no letter left (it was only
    placeholders, numbers or punctuation); ``code``: the English is a URL, a CSS length, a
    file name or leftover markup; ``short``: fewer than ``min_en_words`` English words;
    ``long``: a side over ``max_chars`` characters; ``identical``: the translation equals the
    English (case-insensitively): untranslated; ``untranslated-script``: a non-Latin-script
    language whose letters are under ``MIN_SCRIPT_SHARE`` in its script; ``ratio``: the
    translation's length is outside the script's band in ``RATIO_BANDS`` (with
    ``RATIO_SLACK`` characters of slack either way).
    """
    if not en or not text:
        return "empty"
    if not _letters(en) or not _letters(text):
        return "placeholder-only"
    if _CODE_LIKE.search(en):
        return "code"
    words = [t for t in en.split() if any(c.isalpha() for c in t)]
    if len(words) < min_en_words:
        return "short"
    if len(en) > max_chars or len(text) > max_chars:
        return "long"
    if text.casefold() == en.casefold():
        return "identical"
    script = LANGUAGES[lang].script
    if script != "Latn" and script in _SCRIPT_RANGES and script_share(text, script) < MIN_SCRIPT_SHARE:
        return "untranslated-script"
    lo, hi = RATIO_BANDS.get(script, DEFAULT_RATIO_BAND)
    if not lo * len(en) - RATIO_SLACK <= len(text) <= hi * len(en) + RATIO_SLACK:
        return "ratio"
    return None


def align_locale(english: Mapping[tuple[str, str], _Unit], target: LocaleFiles, stats: Counter | None = None) -> list[ParallelPair]:
    """Aligned, normalised and filtered pairs of one locale (before de-duplication)."""
    stats = stats if stats is not None else Counter()
    units, file_stats = extract_units(target)
    stats.update(file_stats)
    out: list[ParallelPair] = []
    for key in sorted(units):
        unit = units[key]
        en_unit = english.get(key)
        if en_unit is None or en_unit.kind != unit.kind:
            stats["no-english"] += 1
            continue
        stats["aligned"] += 1
        if unit.kind == "properties":
            en_raw, raw = en_unit.raw, unit.raw
            plural = _is_plural_list(en_raw)
            if plural:
                # The last form is "other" for English and for every language built here.
                en_raw, raw = en_raw.split(";")[-1], raw.split(";")[-1]
            en = normalize_text(en_raw, plural_placeholders=plural)
            text = normalize_text(raw, plural_placeholders=plural)
        else:
            en = normalize_text(en_unit.raw)
            text = normalize_text(unit.raw)
        reason = filter_reason(en, text, target.lang)
        if reason is not None:
            stats[f"drop:{reason}"] += 1
            continue
        source = f"{target.package} {target.version}:{unit.path}#{key[1]}"
        out.append(ParallelPair(en=en, text=text, lang=target.lang, source=source))
    return out


def deduplicate(pairs: Iterable[ParallelPair], stats: Counter | None = None) -> list[ParallelPair]:
    """Exact-pair de-duplication, then one translation per (English sentence, language).

    When one English sentence has several translations in a language (the same UI string
    in different files), the most frequent one wins; ties go to the translation whose first
    source sorts first. The pair keeps the smallest source it occurs at.
    """
    stats = stats if stats is not None else Counter()
    by_pair: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for p in pairs:
        by_pair[(p.lang, p.en, p.text)].append(p.source)
    stats["dup-exact"] += sum(len(v) - 1 for v in by_pair.values())
    by_en: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)
    for (lang, en, text), sources in by_pair.items():
        by_en[(lang, en)].append((-len(sources), min(sources), text))
    out: list[ParallelPair] = []
    for (lang, en), options in by_en.items():
        options.sort()
        stats["dup-en"] += len(options) - 1
        _, source, text = options[0]
        out.append(ParallelPair(en=en, text=text, lang=lang, source=source))
    return out


def split_key(en: str) -> str:
    """The English sentence as the split sees it: case-folded letters and digits only.

    Near-duplicates that differ in case, spacing or punctuation ("Open file" / "Open File…")
    therefore land in the same split.
    """
    return "".join(c for c in en.casefold() if c.isalnum())


def split_of(en: str) -> str:
    """``train``/``dev``/``test`` (80/10/10) from the sha256 of :func:`split_key` ``(en)``."""
    bucket = int.from_bytes(hashlib.sha256(split_key(en).encode("utf-8")).digest()[:8], "big") % 1000
    if bucket < SPLIT_PERMILLE[0]:
        return "train"
    if bucket < SPLIT_PERMILLE[1]:
        return "dev"
    return "test"


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_from_locales(
    english: LocaleFiles,
    targets: Sequence[LocaleFiles],
    out_dir: str | Path,
    *,
    deb_sha256: Mapping[str, str] | None = None,
    console=None,
) -> dict[str, dict[str, int]]:
    """Align, filter, de-duplicate, split and write; return ``{lang: {split: count}}``.

    Works on in-memory file maps: no network, no dpkg. Writes ``train/dev/test.jsonl.gz``
    and ``SOURCES.md`` into ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    en_units, en_stats = extract_units(english)
    stats_by_lang: dict[str, Counter] = {}
    all_pairs: list[ParallelPair] = []
    for target in sorted(targets, key=lambda t: t.lang):
        st: Counter = Counter()
        pairs = align_locale(en_units, target, st)
        kept = deduplicate(pairs, st)
        stats_by_lang[target.lang] = st
        all_pairs.extend(kept)

    rows, files = write_splits(all_pairs, out_dir)
    counts: dict[str, dict[str, int]] = {t.lang: {s: 0 for s in SPLITS} for t in targets}
    for split in SPLITS:
        for p in rows[split]:
            counts[p.lang][split] += 1

    manifest = {
        "english": {"package": english.package, "version": english.version},
        "packages": {t.package: {"version": t.version, "lang": t.lang, "locale": t.locale} for t in sorted(targets, key=lambda t: t.lang)},
        "deb_sha256": dict(sorted((deb_sha256 or {}).items())),
        "languages": sorted(t.lang for t in targets),
        "counts": counts,
        "files": files,
    }
    (out_dir / "SOURCES.md").write_text(_sources_md(manifest, stats_by_lang), encoding="utf-8")
    if console is not None:
        _print_table(console, counts)
    return counts


def write_splits(pairs: Iterable[ParallelPair], out_dir: Path) -> tuple[dict[str, list[ParallelPair]], dict[str, dict[str, str]]]:
    """Split ``pairs`` by :func:`split_of`, sort and write ``{split}.jsonl.gz`` into ``out_dir``.

    Rows are sorted by (lang, en, text, source) and gzip has ``mtime=0``, so the same pairs
    give the same bytes. Returns the sorted rows per split and, per file name, its sha256
    (gzip and uncompressed) and row count, as the manifests record them.
    """
    rows: dict[str, list[ParallelPair]] = {s: [] for s in SPLITS}
    for p in pairs:
        rows[split_of(p.en)].append(p)
    files: dict[str, dict[str, str]] = {}
    for split in SPLITS:
        rows[split].sort(key=lambda p: (p.lang, p.en, p.text, p.source))
        path = out_dir / f"{split}.jsonl.gz"
        save_pairs_jsonl(rows[split], path)
        raw = b"".join(json.dumps(_row(p), ensure_ascii=False).encode("utf-8") + b"\n" for p in rows[split])
        files[path.name] = {"sha256": _sha256_file(path), "sha256_uncompressed": hashlib.sha256(raw).hexdigest(), "rows": str(len(rows[split]))}
    return rows, files


def _row(p: ParallelPair) -> dict[str, str]:
    return {"en": p.en, "text": p.text, "lang": p.lang, "source": p.source}


_MANIFEST_BEGIN = "<!-- lira-parallel-manifest"
_MANIFEST_END = "-->"


def _sources_md(manifest: dict, stats_by_lang: Mapping[str, Counter]) -> str:
    en = manifest["english"]
    lines = [
        "# Parallel sentences: sources, licence and counts",
        "",
        "Human translations of the Mozilla Firefox user interface, English <-> X, extracted by",
        "`lira.data.parallel_build.build_parallel()` from Debian's Firefox ESR packages. Do not",
        "edit the data files by hand: rebuild them (and this file) with the builder, and check a",
        "rebuild with `lira.data.parallel_build.verify_parallel()`.",
        "",
        "## Licence and notice",
        "",
        "The strings are Mozilla Firefox localisation files, licensed under the Mozilla Public",
        f"License 2.0 ({LICENSE}, https://mozilla.org/MPL/2.0/), as stated in each package's",
        "`/usr/share/doc/<package>/copyright`. Their copyright belongs to the Mozilla",
        "Foundation and the Mozilla localisation communities. The Source Code Form is available",
        f"from Debian as the source package `firefox-esr` (version {en['version']}) and from",
        "Mozilla's l10n repositories. The files here (`train/dev/test.jsonl.gz`) are an extract:",
        "the English and translated text of each string, normalised as described below; each",
        "row's `source` names the package, version, file and message id it comes from.",
        "Mozilla and Firefox are trademarks of the Mozilla Foundation.",
        "",
        "## Packages",
        "",
        "| package | version | language | Mozilla locale | deb sha256 |",
        "| --- | --- | --- | --- | --- |",
    ]
    debs = manifest["deb_sha256"]
    lines.append(f"| {en['package']} (English) | {en['version']} | en | en-US | {debs.get(en['package'], '-')} |")
    for pkg, info in manifest["packages"].items():
        lines.append(f"| {pkg} | {info['version']} | {info['lang']} | {info['locale']} | {debs.get(pkg, '-')} |")
    lines += [
        "",
        "## How pairs are made",
        "",
        "- Aligned by (file path under the locale folder, message id[.attribute] or properties key)",
        "  between `firefox-esr` (en-US, `omni.ja` and `browser/omni.ja`) and each langpack.",
        "- Fluent: select expressions give their default (`*`) variant; `{ $variables }` and",
        "  function calls are dropped; simple terms (`{ -brand-short-name }`) are replaced by their",
        "  value in that locale. Both formats: markup, `&` access keys and printf placeholders",
        "  (`%S`, `%1$S`, `%d`) are removed, whitespace is collapsed, text is NFC. Properties",
        "  PluralForm lists (`#1 tab;#1 tabs`) give their last (\"other\") form, without `#1`.",
        "- Access keys, key bindings, CSS (`.style`, `.width`) and locale-settings files are skipped.",
        f"- Kept when: both sides have letters; English has >= {MIN_EN_WORDS} words and is not a URL, CSS",
        f"  length or file name; both sides <= {MAX_CHARS} characters; translation differs from the",
        f"  English; non-Latin targets have >= {MIN_SCRIPT_SHARE:.0%} of letters in their script; the",
        "  length is inside the script's band (`RATIO_BANDS`, +/- `RATIO_SLACK` characters).",
        "- De-duplicated: exact pairs, then one translation per (English, language): the most frequent.",
        "- Split by sha256 of the case-folded alphanumeric English (80/10/10): an English sentence",
        "  (and its case/punctuation variants) is in one split only, for every language.",
        "",
        "## Counts",
        "",
        "| language | train | dev | test | total |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    counts = manifest["counts"]
    totals = {s: 0 for s in SPLITS}
    for lang in sorted(counts):
        c = counts[lang]
        for s in SPLITS:
            totals[s] += c[s]
        lines.append(f"| {lang} ({LANGUAGES[lang].name}) | {c['train']} | {c['dev']} | {c['test']} | {sum(c.values())} |")
    lines.append(f"| **all** | {totals['train']} | {totals['dev']} | {totals['test']} | {sum(totals.values())} |")
    lines += ["", "## Filtering, per language", "", "Strings aligned, and how many each step removed.", ""]
    reasons = sorted({k for st in stats_by_lang.values() for k in st if k.startswith(("drop:", "dup-"))})
    lines.append("| language | aligned | " + " | ".join(r.replace("drop:", "") for r in reasons) + " |")
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in reasons) + " |")
    for lang in sorted(stats_by_lang):
        st = stats_by_lang[lang]
        lines.append(f"| {lang} | {st['aligned']} | " + " | ".join(str(st[r]) for r in reasons) + " |")
    lines += ["", "## Files", "", "| file | rows | sha256 (gzip) | sha256 (uncompressed) |", "| --- | ---: | --- | --- |"]
    for name, info in manifest["files"].items():
        lines.append(f"| {name} | {info['rows']} | `{info['sha256']}` | `{info['sha256_uncompressed']}` |")
    lines += ["", _MANIFEST_BEGIN, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False), _MANIFEST_END, ""]
    return "\n".join(lines)


def read_manifest(out_dir: str | Path | None = None) -> dict:
    """The machine-readable manifest embedded in ``SOURCES.md`` (versions, counts, sha256)."""
    return embedded_manifest(Path(out_dir or resources_dir() / "parallel") / "SOURCES.md", _MANIFEST_BEGIN)


def embedded_manifest(path: Path, begin: str) -> dict:
    """The JSON between the ``begin`` marker and the next ``-->`` of a ``SOURCES.md``."""
    text = path.read_text(encoding="utf-8")
    start = text.index(begin) + len(begin)
    end = text.index(_MANIFEST_END, start)
    return json.loads(text[start:end])


def _print_table(console, counts: Mapping[str, Mapping[str, int]]) -> None:
    from rich.table import Table

    table = Table(title="LiRA parallel pairs (Firefox ESR l10n)")
    table.add_column("language")
    for s in SPLITS:
        table.add_column(s, justify="right")
    table.add_column("total", justify="right")
    totals = {s: 0 for s in SPLITS}
    for lang in sorted(counts):
        c = counts[lang]
        for s in SPLITS:
            totals[s] += c[s]
        table.add_row(f"{lang} ({LANGUAGES[lang].name})", *(str(c[s]) for s in SPLITS), str(sum(c.values())))
    table.add_row("all", *(str(totals[s]) for s in SPLITS), str(sum(totals.values())), style="bold")
    console.print(table)


# ============================================================================================
# Debian packages
# ============================================================================================


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _deb_field(deb: Path, name: str) -> str:
    return _run(["dpkg-deb", "-f", str(deb), name]).strip()


def _fetch_deb(package: str, version: str | None, debs: Path) -> Path:
    """The cached ``.deb`` of ``package`` (at ``version`` if given), downloading it if needed."""
    if version is None:
        out = _run(["apt-cache", "show", "--no-all-versions", package])
        m = re.search(r"^Version: (\S+)", out, re.M)
        if not m:
            raise RuntimeError(f"apt-cache knows no version of {package}; run apt-get update?")
        version = m.group(1)
    pattern = f"{package}_{version.replace(':', '%3a')}_*.deb"
    found = sorted(debs.glob(pattern))
    if not found:
        _run(["apt-get", "download", f"{package}={version}"], cwd=debs)
        found = sorted(debs.glob(pattern))
        if not found:
            raise RuntimeError(f"apt-get download {package}={version} left no {pattern} in {debs}")
    return found[0]


def _extract_deb(deb: Path, root: Path) -> Path:
    dest = root / deb.stem
    marker = dest / ".lira-extracted"
    if not marker.exists():
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        _run(["dpkg", "-x", str(deb), str(dest)])
        marker.write_text(deb.name, encoding="utf-8")
    return dest


def _zip_l10n_files(path: Path, prefix: str = "") -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".ftl", ".properties")):
                out[prefix + name] = z.read(name)
    return out


def read_english(root: Path, package: str, version: str) -> LocaleFiles:
    """en-US files from an extracted ``firefox-esr`` (``browser/`` prefixed for browser/omni.ja)."""
    lib = root / "usr" / "lib" / "firefox-esr"
    files = _zip_l10n_files(lib / "omni.ja")
    files.update(_zip_l10n_files(lib / "browser" / "omni.ja", prefix="browser/"))
    return LocaleFiles(package, version, "en-US", "en", files)


def read_langpack(root: Path, package: str, version: str, lang: str) -> LocaleFiles:
    """The files of the langpack ``.xpi`` inside an extracted ``firefox-esr-l10n-*``."""
    xpis = sorted(root.glob("usr/lib/firefox-esr/browser/extensions/langpack-*.xpi"))
    if len(xpis) != 1:
        raise RuntimeError(f"expected one langpack .xpi in {root}, found {len(xpis)}")
    with zipfile.ZipFile(xpis[0]) as z:
        locale = json.loads(z.read("manifest.json"))["langpack_id"]
    return LocaleFiles(package, version, locale, lang, _zip_l10n_files(xpis[0]))


def package_for(lang: str) -> str:
    """The Debian package of a LiRA language's Firefox langpack."""
    code = canonical_language(lang)
    if code not in MOZILLA_LOCALES:
        raise ValueError(f"no Firefox ESR langpack for {code!r}; available: {', '.join(MOZILLA_LOCALES)}")
    return f"firefox-esr-l10n-{MOZILLA_LOCALES[code].lower()}"


def fetch_sources(
    languages: Iterable[str] | None = None,
    cache: str | Path | None = None,
    versions: Mapping[str, str] | None = None,
) -> tuple[LocaleFiles, list[LocaleFiles], dict[str, str]]:
    """Download (``apt-get download``), extract (``dpkg -x``) and read the packages.

    ``versions`` pins package versions (``{package: version}``); unpinned packages get the
    version apt offers now. Returns (English, targets, ``{package: deb sha256}``).
    """
    root = Path(cache) if cache is not None else cache_dir()
    debs = root / "debs"
    extract = root / "extract"
    debs.mkdir(parents=True, exist_ok=True)
    extract.mkdir(parents=True, exist_ok=True)
    versions = dict(versions or {})
    langs = sorted({canonical_language(lang) for lang in (languages or DEFAULT_LANGUAGES)})
    sha: dict[str, str] = {}

    en_deb = _fetch_deb(ENGLISH_PACKAGE, versions.get(ENGLISH_PACKAGE), debs)
    en_version = _deb_field(en_deb, "Version")
    sha[ENGLISH_PACKAGE] = _sha256_file(en_deb)
    english = read_english(_extract_deb(en_deb, extract), ENGLISH_PACKAGE, en_version)

    targets: list[LocaleFiles] = []
    for lang in langs:
        pkg = package_for(lang)
        # Langpacks are built with the browser: default to the English package's version.
        deb = _fetch_deb(pkg, versions.get(pkg, en_version), debs)
        sha[pkg] = _sha256_file(deb)
        targets.append(read_langpack(_extract_deb(deb, extract), pkg, _deb_field(deb, "Version"), lang))
    return english, targets, sha


def build_parallel(
    out_dir: str | Path | None = None,
    cache: str | Path | None = None,
    languages: Iterable[str] | None = None,
    *,
    versions: Mapping[str, str] | None = None,
    quiet: bool = False,
) -> dict[str, dict[str, int]]:
    """Build the parallel data from Debian's Firefox ESR packages; return the counts.

    ``out_dir``: where ``{train,dev,test}.jsonl.gz`` and ``SOURCES.md`` go (default
    ``lira/resources/parallel``). ``cache``: where ``debs/`` and ``extract/`` live (default
    :func:`lira.paths.cache_dir`). ``languages``: LiRA codes or aliases (default: all of
    :data:`MOZILLA_LOCALES`). ``versions``: ``{package: version}`` pins (default: the
    version apt offers now for ``firefox-esr``, and the same version for every langpack).
    Returns ``{lang: {"train": n, "dev": n, "test": n}}`` and, unless ``quiet``, prints a
    table of it.
    """
    english, targets, sha = fetch_sources(languages, cache, versions)
    console = None
    if not quiet:
        from rich.console import Console

        console = Console()
    out = Path(out_dir) if out_dir is not None else resources_dir() / "parallel"
    return build_from_locales(english, targets, out, deb_sha256=sha, console=console)


def verify_parallel(out_dir: str | Path | None = None, cache: str | Path | None = None) -> dict[str, bool]:
    """Rebuild with the package versions recorded in ``SOURCES.md`` and compare bytes.

    Returns ``{file name: identical}`` for the three data files and ``SOURCES.md``; every
    value is True when the shipped data is exactly what the builder makes. The recorded
    ``.deb`` sha256 sums are compared too: a mismatch is a warning (``firefox-esr`` is an
    architecture-specific package), the output bytes are what count.
    """
    out = Path(out_dir) if out_dir is not None else resources_dir() / "parallel"
    manifest = read_manifest(out)
    versions = {manifest["english"]["package"]: manifest["english"]["version"]}
    versions.update({pkg: info["version"] for pkg, info in manifest["packages"].items()})
    english, targets, sha = fetch_sources(manifest["languages"], cache, versions)
    for pkg, digest in manifest.get("deb_sha256", {}).items():
        if sha.get(pkg) != digest:
            # firefox-esr is built per architecture (amd64 recorded): another machine's .deb
            # differs while its localisation files do not, so only the outputs decide.
            warnings.warn(f"{pkg}: .deb sha256 {sha.get(pkg)} differs from the recorded {digest}", stacklevel=2)
    with tempfile.TemporaryDirectory() as tmp:
        build_from_locales(english, targets, tmp, deb_sha256=sha)
        result = {}
        for name in [f"{s}.jsonl.gz" for s in SPLITS] + ["SOURCES.md"]:
            result[name] = (Path(tmp) / name).read_bytes() == (out / name).read_bytes()
    return result


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:2] == ["verify"]:
        res = verify_parallel()
        print(json.dumps(res, indent=1))
        sys.exit(0 if all(res.values()) else 1)
    build_parallel()
