"""Per-language templates for product titles and shopper queries.

Each language has its own word order, written out below (not one English template with words
swapped):

* **en**: ``Brand Gender's Colour Material Noun Model, Size S, 500 g`` (modifiers before noun).
* **th**: ``Brand Noun Gender Material Colour Model ขนาด S 500 ก.`` -- head noun first, then
  modifiers ("เสื้อยืด ผู้หญิง สีแดง"); Thai colour words carry สี.
* **vi**: ``Noun Gender Material Colour Brand Model, kích thước S, 500 g`` -- head first
  ("áo phông nữ màu đỏ").
* **id / ms**: ``Noun Gender Material Colour Brand Model ukuran|saiz S 500 g`` -- head first
  ("kaos wanita merah").
* **fil**: ``Brand Noun-lk Material-lk Colour-lk Gender [para sa bata] Model, sukat S, 500 g``
  -- head first with the Tagalog linker between noun and each modifier: ``-ng`` after a vowel,
  ``-g`` after *n*, otherwise ``na`` ("kamisetang pula", "sapatos na itim").
* **ur**: ``Brand Gender Colour Noun Model، Material، ماپ S، 500 گرام`` -- head-final:
  adjectives before the noun ("زنانہ سرخ ٹی شرٹ"); kids as the postposition phrase
  "بچوں کے لیے" ("for children") before the adjectives; material as a trailing attribute
  (the genitive "کی/کا" would need the noun's gender, which no source gives).
* **bn**: ``Brand Gender Colour Material-genitive Noun Model, আকার S, 500 গ্রাম`` --
  head-final: genitive plural for the gender ("মহিলাদের"), the genitive suffix -এর/-র on a
  sourced material ("কাঠের চেয়ার"); an English material trails after a comma.

Latin-script titles (vi, id, ms, fil) are lower case with the first letter capitalised (the
GTK / LibreOffice strings come capitalised, "Plastik"). Queries are lower case.

Function words the templates add (they are grammar, not attribute translations, and no
source lists them): Filipino linkers ``-ng``/``-g``/``na`` and ``para sa``; Urdu ``کے لیے`` and
the comma ``،``; Bengali genitive suffixes ``-এর``/``-র``. Romanised forms of those are written
alongside (``ke liye``, ``-er``).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping

from . import spec
from .lexicon import Lexicon, Word, english

LATIN_LANGS = ("en", "vi", "id", "ms", "fil")
NATIVE_DIGIT_LANGS = ("th", "ur", "bn")
ROMANISED_LANGS = ("th", "ur", "bn")

# Template function words (authored; see module doc) with the romanised form.
UR_FOR = ("کے لیے", "ke liye")
FIL_FOR = "para sa"
BN_VOWEL_END = set("অআইঈউঊঋএঐওঔািীুূৃেৈোৌ")


# --------------------------------------------------------------------------------------
# Numbers and measures (CLDR symbols, digits and unit patterns from the lexicon).
# --------------------------------------------------------------------------------------


def fmt_number(value: float, lang: str, lex: Lexicon, *, native: bool = False) -> str:
    v = float(value)
    s = str(int(v)) if v.is_integer() else repr(v)
    if lang == "en":
        return s
    n = lex.numbers(lang)
    dec = n["native_decimal"] if native else n["latn_decimal"]
    s = s.replace(".", dec)
    if native:
        digits = n["native_digits"]
        s = "".join(digits[int(c)] if c.isdigit() else c for c in s)
    return s


def fmt_measure(measure, lang: str, lex: Lexicon, *, style: str = "short", native: bool = False, roman: bool = False) -> str:
    """``style``: "short" (titles: "5 กก.") or "long" (unit word: "5 กิโลกรัม")."""
    value, unit = measure
    num = fmt_number(value, lang, lex, native=native)
    if unit == "pcs":
        return f"{num} pcs"  # no source gives a "pieces" word; shops use the English one
    if lang == "en":
        if style == "long":
            one, many = spec.UNIT_EN_LONG[unit]
            return f"{num} {one if float(value) == 1 else many}"
        return f"{num} {spec.UNITS[unit][1]}"
    u = lex.unit(unit, lang)
    if roman and u.get("roman"):
        return f"{num} {u['roman']}"
    if style == "long":
        pattern = u["long_one"] if float(value) == 1 else u["long"]
    else:
        pattern = u["short"]
    return pattern.replace("{0}", num)


# --------------------------------------------------------------------------------------
# Rendering words.
# --------------------------------------------------------------------------------------


@dataclass
class Slots:
    """The rendered words of one title or query, before the language's template joins them."""

    B: str | None = None  # brand
    N: str | None = None  # noun (category)
    G: str | None = None  # gender word
    g_kind: str | None = None  # men / women / kids / unisex
    C: str | None = None  # colour
    M: str | None = None  # material
    m_sourced: bool = False  # material is a local word (not English)
    D: str | None = None  # model
    L: str | None = None  # size label
    S: str | None = None  # size value
    Q: str | None = None  # measure
    roman: bool = False
    english: set = field(default_factory=set)  # slots holding an English (unsourced) word


def _fil_link(left: str, right: str, left_is_english: bool = False) -> str:
    last = left[-1].lower() if left else ""
    if left_is_english:
        return f"{left} na {right}"  # no suffix on an English word
    if last in "aeiou":
        return f"{left}ng {right}"
    if last == "n":
        return f"{left}g {right}"
    return f"{left} na {right}"


def _bn_genitive(word: str, roman: bool) -> str:
    if roman:
        return word + ("r" if word[-1:] in "aeiou" else "er")
    return word + ("র" if word[-1:] in BN_VOWEL_END else "ের")


def _join(parts) -> str:
    return " ".join(p for p in parts if p)


def compose(lang: str, s: Slots, *, title: bool) -> str:
    """Join slots in the language's order (see module doc)."""
    size = _join([s.L, s.S]) if s.S else None
    sep = ", "
    if lang == "en":
        g = {"men": "Men's", "women": "Women's", "kids": "Kids'", "unisex": "Unisex"}.get(s.g_kind or "") if title else s.G
        head = _join([s.B, g, s.C, s.M, s.N, s.D])
        if title:
            return sep.join(p for p in [head, f"Size {s.S}" if s.S else None, s.Q] if p)
        return _join([head, f"size {s.S}" if s.S else None, s.Q])
    if lang == "th":
        return _join([s.B, s.N, s.G, s.M, s.C, s.D, size, s.Q])
    if lang in ("vi", "id", "ms"):
        head = _join([s.N, s.G, s.M, s.C, s.B, s.D])
        if title and lang == "vi":
            return sep.join(p for p in [head, size, s.Q] if p)
        return _join([head, size, s.Q])
    if lang == "fil":
        chain, last = s.N or "", "N"
        for slot, mod in (("M", s.M), ("C", s.C), ("G", s.G if s.g_kind != "kids" else None)):
            if mod:
                chain = _fil_link(chain, mod, last in s.english) if chain else mod
                last = slot
        if s.g_kind == "kids" and s.G:
            chain = _join([chain, FIL_FOR, s.G])
        head = _join([s.B, chain, s.D])
        if title:
            return sep.join(p for p in [head, size, s.Q] if p)
        return _join([head, size, s.Q])
    if lang == "ur":
        if s.g_kind == "kids" and s.G:
            g = _join([s.G, UR_FOR[1] if s.roman else UR_FOR[0]])
        else:
            g = s.G
        head = _join([s.B, g, s.C, s.N, s.D])
        if title:
            return "، ".join(p for p in [head, s.M, size, s.Q] if p)
        return _join([head, s.M, size, s.Q])
    if lang == "bn":
        m_pre = _bn_genitive(s.M, s.roman) if (s.M and s.m_sourced) else None
        m_post = s.M if (s.M and not s.m_sourced) else None
        head = _join([s.B, s.G, s.C, m_pre, s.N, s.D])
        if title:
            return sep.join(p for p in [head, m_post, size, s.Q] if p)
        return _join([head, m_post, size, s.Q])
    raise ValueError(lang)


def capitalise_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# --------------------------------------------------------------------------------------
# Titles.
# --------------------------------------------------------------------------------------


def product_title(product: Mapping, lang: str, lex: Lexicon) -> tuple[str, list[str]]:
    """(title, concepts left in English) for one product in one language."""
    untranslated: list[str] = []

    s = Slots(B=product["brand"], D=product.get("model"))

    def w(concept: str, slot: str) -> Word:
        word = lex.word(concept, lang)
        if not word.sourced:
            untranslated.append(concept)
            s.english.add(slot)
        elif word.text.lower() == english(concept).lower():
            s.english.add(slot)  # the source itself gives the English loanword
        if lang in ("vi", "id", "ms", "fil"):  # UI strings come capitalised ("Plastik")
            word = Word(word.text.lower(), word.sourced, word.roman, word.alts)
        return word

    s.N = w(f"category/{product['category']}", "N").text
    if product.get("gender"):
        s.g_kind = product["gender"]
        s.G = w(f"gender/{product['gender']}", "G").text
    if product.get("colour"):
        s.C = w(f"colour/{product['colour']}", "C").text
    if product.get("material"):
        mw = w(f"material/{product['material']}", "M")
        s.M, s.m_sourced = mw.text, mw.sourced
    if product.get("size"):
        s.S = product["size"]
        if lang != "en":
            s.L = w("label/size", "L").text
    if product.get("measure"):
        s.Q = fmt_measure(product["measure"], lang, lex, style="short")
    if lang == "en":
        s.C = spec.COLOURS.get(product.get("colour") or "", s.C)
        s.M = spec.MATERIALS.get(product.get("material") or "", s.M)
    text = compose(lang, s, title=True)
    if lang in ("vi", "id", "ms", "fil"):
        text = capitalise_first(text)
    return text, sorted(set(untranslated))


# --------------------------------------------------------------------------------------
# Queries.
# --------------------------------------------------------------------------------------

MODES = ("local", "english", "roman")


def render_query(category: str, constraints: Mapping, lang: str, lex: Lexicon, rng: random.Random, *,
                 modes: Mapping[str, str] | None = None, numeral: str = "latn", roman: bool = False,
                 use_alts: bool = True, noun: str | None = None, measure=None) -> str:
    """Render an intent as a shopper's query.

    ``modes`` maps slot names (N, C, M, G, L) to "local" (default), "english" or "roman".
    ``numeral``: "latn" (title digits, short unit), "native" (CLDR native digits where the
    language has them + the long unit word), "word" (Latin digits + long unit word).
    ``noun`` replaces the category's noun (paraphrase queries: a CLDR keyword); ``measure``
    replaces the measure's (value, unit) as written (paraphrase queries: another unit).
    """
    modes = dict(modes or {})
    if roman:
        for k in ("N", "C", "M", "G", "L"):
            modes.setdefault(k, "roman")

    def word(concept: str, slot: str) -> tuple[str, bool]:
        mode = modes.get(slot, "local")
        wd = lex.word(concept, lang)
        if mode == "english" or lang == "en":
            return english(concept).lower(), False
        if wd.text.lower() == english(concept).lower():
            s.english.add(slot)
        if mode == "roman":
            return (wd.roman or wd.text.lower()), wd.sourced
        text = wd.text
        if use_alts and wd.alts and rng.random() < 0.5:
            text = rng.choice(wd.alts)
        return (text.lower() if lang in LATIN_LANGS else text), wd.sourced

    s = Slots(roman=roman)
    if noun is not None:
        s.N = noun
    else:
        s.N, src_n = word(f"category/{category}", "N")
        if not src_n:
            s.english.add("N")
    if "brand" in constraints:
        b = constraints["brand"]
        s.B = b.lower() if rng.random() < 0.6 else b
    if "gender" in constraints:
        s.g_kind = constraints["gender"]
        s.G, src_g = word(f"gender/{constraints['gender']}", "G")
        if not src_g:
            s.english.add("G")
    if "colour" in constraints:
        s.C, src_c = word(f"colour/{constraints['colour']}", "C")
        if not src_c:
            s.english.add("C")
    if "material" in constraints:
        s.M, s.m_sourced = word(f"material/{constraints['material']}", "M")
        if not s.m_sourced:
            s.english.add("M")
    if "model" in constraints:
        s.D = constraints["model"].lower() if rng.random() < 0.5 else constraints["model"]
    if "size" in constraints:
        s.S = constraints["size"].lower() if lang in LATIN_LANGS and rng.random() < 0.5 else constraints["size"]
        if lang != "en":
            s.L, _ = word("label/size", "L") if rng.random() < 0.7 else ("size", False)
    if "measure" in constraints:
        m = constraints["measure"] if measure is None else measure
        if numeral == "native":
            s.Q = fmt_measure(m, lang, lex, style="long", native=lang in NATIVE_DIGIT_LANGS)
        elif numeral == "word":
            s.Q = fmt_measure(m, lang, lex, style="long")
        elif roman:
            s.Q = fmt_measure(m, lang, lex, roman=True)
        else:
            s.Q = fmt_measure(m, lang, lex, style="short")
    if lang == "en" and s.g_kind:
        s.G = {"men": "men", "women": "women", "kids": "kids", "unisex": "unisex"}[s.g_kind]
    text = compose(lang, s, title=False)
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return text.lower() if lang in LATIN_LANGS or roman else text
