"""Paraphrase queries: the same intent in words the title does not use.

Shoppers describe rather than copy the catalogue: a use or a synonym for the product ("travel" for a
suitcase, "kursi" for the bench a CLDR name calls "bangku"), a measure in another unit ("500 g" for
a 0.5 kg bag). Two kinds, both from the shipped lexicon (``lira/resources/products/lexicon.json``),
never from a hand-written translation:

* ``keyword``: the product noun is replaced by one of the CLDR keywords of the category's emoji in
  that language (the lexicon's ``keywords`` section: package, version, file and emoji recorded).
  A CLDR keyword is a synonym, a use or an association (CLDR does not say which). Kept only when it
  passes the written rules of :func:`eligible_keywords`: it shares no word (``simple_tokenize``
  token) with the category's own noun, is not the noun of another category nor a word inside one,
  is not a colour, material, gender or size word of the lexicon (in that language or English, so
  "blue" for the blue 👕 emoji cannot pose as a colour constraint), is not a list (CLDR has a few
  keywords that are comma lists), and is a keyword of at most ``MAX_KEYWORD_CATEGORIES`` of the
  catalogue's categories (generic words such as "clothing" or "food" are dropped). The other
  attributes are rendered as in the native queries.
* ``unit``: the measure converted to another unit (``CONVERSIONS``: 1 kg -> 1000 g, 0.5 L -> 500 mL,
  250 g -> 0.25 kg, 2 m -> 200 cm, 1 TB -> 1000 GB, ...) and written with the CLDR long unit word and,
  for Thai, Urdu and Bengali, CLDR native digits (numeral variant). Measures in inch, W or pack
  counts have no conversion and get no ``unit`` paraphrase.

Attribute descriptions (a colour, material or gender described instead of named) are not built: no
package in the lexicon gives descriptive phrases for them (the sources give names only), and the
dataset card says so. The relevance of a paraphrase is that of its intent (same ``query_id``, same
qrels): only the surface changes.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from . import spec
from .grammar import NATIVE_DIGIT_LANGS, render_query
from .lexicon import Lexicon, english

PARAPHRASE_TYPES = ("keyword", "unit")
PARAPHRASE_DOC = {
    "keyword": "the product noun replaced by a CLDR keyword of the category's emoji (a synonym, a use or an association) that shares no word with the title's noun",
    "unit": "the measure in another unit (1 kg as 1000 g, 0.5 L as 500 mL), CLDR long unit word, native digits for th/ur/bn",
}
MAX_KEYWORD_CATEGORIES = 3

# unit -> (other unit, factor, smallest and largest value converted): metric facts, within the range a
# shop would write that way (2 kg as 2000 g, not 10 kg as 10000 g); TB -> GB in SI units (x1000), as
# storage is sold.
CONVERSIONS: dict[str, tuple[str, float, float, float]] = {
    "kg": ("g", 1000.0, 0.0, 2.0),
    "g": ("kg", 0.001, 250.0, 1000.0),
    "L": ("mL", 1000.0, 0.0, 2.0),
    "mL": ("L", 0.001, 250.0, 1000.0),
    "m": ("cm", 100.0, 0.0, 3.0),
    "cm": ("m", 0.01, 50.0, 100.0),
    "TB": ("GB", 1000.0, 0.0, 2.0),
}


def _tokens(text: str) -> set[str]:
    from lira.eval.products import simple_tokenize

    return set(simple_tokenize(text))


def convert_measure(measure) -> tuple[float, str] | None:
    """The measure in its other unit (``CONVERSIONS``), or None when it has none."""
    value, unit = float(measure[0]), measure[1]
    conv = CONVERSIONS.get(unit)
    if conv is None or not conv[2] <= value <= conv[3]:
        return None
    other, factor, _, _ = conv
    return round(value * factor, 6), other


def _attribute_words(lex: Lexicon, lang: str) -> set[str]:
    """Tokens of every colour, material, gender and label word of the lexicon, in lang and English."""
    words: set[str] = set()
    concepts = ([f"colour/{c}" for c in spec.COLOURS] + [f"material/{m}" for m in spec.MATERIALS]
                + [f"gender/{g}" for g in spec.GENDERS] + [f"label/{k}" for k in spec.LABELS])
    for concept in concepts:
        for language in {lang, "en"}:
            w = lex.word(concept, language)
            for text in (w.text, *w.alts):
                words |= _tokens(text)
        words |= _tokens(english(concept))
    return words


def _eligible_table(lex: Lexicon, lang: str) -> dict[str, tuple[str, ...]]:
    cache = lex.__dict__.setdefault("_eligible_keywords", {})
    if lang in cache:
        return cache[lang]
    nouns = {c.id: lex.word(f"category/{c.id}", lang).text for c in spec.CATEGORIES}
    noun_tokens = {c: _tokens(n) for c, n in nouns.items()}
    noun_texts = {n.lower() for n in nouns.values()}
    attribute = _attribute_words(lex, lang)
    counts = Counter(k.lower() for c in spec.CATEGORIES for k in set(lex.keywords(f"category/{c.id}", lang)))
    out: dict[str, tuple[str, ...]] = {}
    for cat in spec.CATEGORIES:
        own = lex.word(f"category/{cat.id}", lang)
        ok = []
        for k in lex.keywords(f"category/{cat.id}", lang):
            kl = k.lower()
            toks = _tokens(k)
            if not toks or any(ch in k for ch in ",،;"):
                continue  # empty or a comma list
            if kl in noun_texts or kl in {a.lower() for a in own.alts}:
                continue  # another category's noun (or this one's)
            if toks & noun_tokens[cat.id]:
                continue  # shares a word with the title's noun
            if any(toks <= noun_tokens[o] for o in noun_tokens if o != cat.id):
                continue  # a word inside another category's noun (a hypernym such as "bag")
            if toks & attribute:
                continue  # a colour / material / gender / size word
            if counts[kl] > MAX_KEYWORD_CATEGORIES:
                continue  # generic ("clothing", "food")
            ok.append(k)
        out[cat.id] = tuple(ok)
    cache[lang] = out
    return out


def eligible_keywords(category: str, lang: str, lex: Lexicon) -> tuple[str, ...]:
    """The CLDR keywords of ``category`` in ``lang`` that pass the written rules (module doc)."""
    return _eligible_table(lex, lang).get(category, ())


def keyword_coverage(lex: Lexicon, lang: str) -> dict[str, Any]:
    """How many categories have an eligible keyword in ``lang``; which have none."""
    have = [c.id for c in spec.CATEGORIES if eligible_keywords(c.id, lang, lex)]
    return {"with_keyword": len(have), "total": len(spec.CATEGORIES),
            "without": [c.id for c in spec.CATEGORIES if c.id not in have]}


def render_paraphrase(intent, lang: str, lex: Lexicon, seed: int) -> dict | None:
    """One paraphrase query of ``intent`` in ``lang`` (a queries row plus ``source``), or None when
    neither kind applies."""
    from .build import _rng

    rng = _rng(seed, "paraphrase", intent.query_id, lang)
    c, cat = intent.constraints, intent.category
    options = []
    keywords = eligible_keywords(cat, lang, lex)
    if keywords:
        options.append("keyword")
    converted = convert_measure(c["measure"]) if "measure" in c else None
    if converted is not None:
        options.append("unit")
    if not options:
        return None
    ptype = rng.choice(options)
    if ptype == "keyword":
        kw = rng.choice(keywords)
        text = render_query(cat, c, lang, lex, rng, noun=kw.lower() if lang in ("en", "vi", "id", "ms", "fil") else kw)
        noise = f"keyword:{kw}"
        source = {"kind": "keyword", "concept": f"category/{cat}", "word": kw, **(lex.keyword_source(f"category/{cat}", lang) or {})}
    else:
        native = lang in NATIVE_DIGIT_LANGS
        text = render_query(cat, c, lang, lex, rng, numeral="native" if native else "word", measure=converted)
        unit_from = c["measure"][1]
        noise = f"unit:{unit_from}->{converted[1]}" + ("+native_digits" if native else "")
        unit_src = lex.unit(converted[1], lang)["source"] if lang != "en" else {"package": "lira.data.products.spec", "key": "UNIT_EN_LONG"}
        source = {"kind": "unit", "measure": list(c["measure"]), "as": list(converted), **unit_src}
    return {
        "query_id": intent.query_id, "lang": lang, "text": text, "type": ptype, "intent_class": intent.klass,
        "category": cat, "constraints": json.dumps(c, ensure_ascii=False, sort_keys=True), "noise": noise,
        "target_product_id": intent.target, "source": json.dumps(source, ensure_ascii=False, sort_keys=True),
    }


def paraphrase_rows(intents, langs, lex: Lexicon, seed: int) -> list[dict]:
    rows = []
    for lang in langs:
        for it in intents:
            row = render_paraphrase(it, lang, lex, seed)
            if row is not None:
                rows.append(row)
    return rows
