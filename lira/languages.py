"""The languages LiRA knows, one registry for data, models and evaluation.

Codes are ISO 639 (two letters where one exists; ``fil`` for Filipino). Aliases that
upstream sources use (Mozilla's ``tl``, ``ne-NP``, ``hi-IN``) map onto the canonical code,
so a user may write either.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    script: str
    region: str  # "SEA" (Southeast Asia), "SA" (South Asia), "EN" (the anchor)
    has_tones_or_diacritics: bool = False


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in [
        Language("en", "English", "Latn", "EN"),
        # The seven core low-resource languages of the LiRA benchmarks.
        Language("th", "Thai", "Thai", "SEA", True),
        Language("vi", "Vietnamese", "Latn", "SEA", True),
        Language("id", "Indonesian", "Latn", "SEA"),
        Language("ms", "Malay", "Latn", "SEA"),
        Language("fil", "Filipino", "Latn", "SEA"),
        Language("ur", "Urdu", "Arab", "SA", True),
        Language("bn", "Bengali", "Beng", "SA"),
        # Further low-resource languages that the shipped sources also cover.
        Language("km", "Khmer", "Khmr", "SEA"),
        Language("my", "Burmese", "Mymr", "SEA"),
        Language("lo", "Lao", "Laoo", "SEA", True),
        Language("jv", "Javanese", "Latn", "SEA"),
        Language("ne", "Nepali", "Deva", "SA"),
        Language("si", "Sinhala", "Sinh", "SA"),
        Language("ta", "Tamil", "Taml", "SA"),
        Language("te", "Telugu", "Telu", "SA"),
        Language("hi", "Hindi", "Deva", "SA"),
        Language("mr", "Marathi", "Deva", "SA"),
        Language("gu", "Gujarati", "Gujr", "SA"),
        Language("pa", "Punjabi", "Guru", "SA"),
        Language("kn", "Kannada", "Knda", "SA"),
        Language("ml", "Malayalam", "Mlym", "SA"),
        Language("or", "Odia", "Orya", "SA"),
        Language("as", "Assamese", "Beng", "SA"),
    ]
}

CORE_LANGUAGES: tuple[str, ...] = ("th", "vi", "id", "ms", "fil", "ur", "bn")

ALIASES: dict[str, str] = {
    "tl": "fil",
    "ne-np": "ne",
    "hi-in": "hi",
    "pa-in": "pa",
    "gu-in": "gu",
    "bn-bd": "bn",
    "bn-in": "bn",
    "ta-lk": "ta",
    "en-us": "en",
    "en-gb": "en",
}


class UnknownLanguageError(ValueError):
    """A language code LiRA has no entry for."""


def canonical_language(code: str, *, where: str = "") -> str:
    """Return the canonical code for ``code`` (case-insensitive, aliases resolved).

    ``where`` names the file/line/field for the error message.
    """
    key = code.strip().lower().replace("_", "-")
    key = ALIASES.get(key, key)
    if key not in LANGUAGES:
        prefix = f"{where}: " if where else ""
        known = ", ".join(sorted(LANGUAGES))
        raise UnknownLanguageError(f"{prefix}unknown language code {code!r}; known codes: {known} (aliases: {', '.join(sorted(ALIASES))})")
    return key


UNKNOWN_LANGUAGE = "<unk>"


def language_vocabulary() -> list[str]:
    """Ids of language embeddings (Arca's fusion gate, LaSR's head): index 0 is 'not given',
    then every registry language in sorted order, so ids are stable across models."""
    return [UNKNOWN_LANGUAGE, *sorted(LANGUAGES)]
