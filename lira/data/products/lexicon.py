"""Read the shipped lexicon (``lira/resources/products/lexicon.json``, written by ``extract``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lira.paths import resources_dir

from . import spec


@dataclass(frozen=True)
class Word:
    text: str
    sourced: bool  # False: no source gives this word; the English one is used (code-mixing)
    roman: str | None = None
    alts: tuple[str, ...] = ()


def english(concept: str) -> str:
    kind, _, key = concept.partition("/")
    if kind == "category":
        return spec.CATEGORY_BY_ID[key].en
    if kind == "colour":
        return spec.COLOURS[key]
    if kind == "material":
        return spec.MATERIALS[key]
    if kind == "gender":
        return {"men": "men", "women": "women", "kids": "kids", "unisex": "unisex"}[key]
    if kind == "label":
        return spec.LABELS[key]
    raise KeyError(concept)


class Lexicon:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else resources_dir() / "products" / "lexicon.json"
        self.doc = json.loads(self.path.read_text(encoding="utf-8"))
        self._entries = {(e["lang"], e["concept"]): e for e in self.doc["entries"]}
        self._untranslated = {(u["lang"], u["concept"]): u["reason"] for u in self.doc["untranslated"]}
        kw = self.doc.get("keywords") or {"entries": []}
        self._keywords = {(e["lang"], e["concept"]): e for e in kw["entries"]}

    def word(self, concept: str, lang: str) -> Word:
        if lang == "en":
            return Word(english(concept), True)
        e = self._entries.get((lang, concept))
        if e is None:
            return Word(english(concept).lower(), False)
        return Word(e["text"], True, e.get("roman"), tuple(e.get("alts", ())))

    def entry(self, concept: str, lang: str) -> dict | None:
        return self._entries.get((lang, concept))

    def keywords(self, concept: str, lang: str) -> list[str]:
        """The CLDR keywords of the concept's emoji in ``lang`` (``keywords`` section; [] if none)."""
        e = self._keywords.get((lang, concept))
        return list(e["keywords"]) if e else []

    def keyword_source(self, concept: str, lang: str) -> dict | None:
        """Provenance of ``keywords(concept, lang)``: package, version, file, key (the emoji), field."""
        e = self._keywords.get((lang, concept))
        if e is None:
            return None
        src = dict(self.doc["keywords"]["source"])
        src["file"] = src["file"].format(lang=lang)
        src["key"] = e["key"]
        return src

    def unit(self, sym: str, lang: str) -> dict:
        return self.doc["units"][lang][sym]

    def numbers(self, lang: str) -> dict:
        return self.doc["numbers"][lang]

    @property
    def entries(self) -> list[dict]:
        return self.doc["entries"]

    @property
    def untranslated(self) -> list[dict]:
        return self.doc["untranslated"]

    @property
    def packages(self) -> dict:
        return self.doc["packages"]


@lru_cache(maxsize=2)
def load_lexicon(path: str | None = None) -> Lexicon:
    return Lexicon(path)
