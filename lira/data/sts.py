"""Graded sentence pairs for semantic similarity, built from LiRA's product catalogue.

No package these machines can install ships STS data (human similarity scores) for Thai,
Vietnamese, Indonesian, Malay, Filipino, Urdu or Bengali, so LiRA grades pairs of product titles
by a written rule over the catalogue's structured attributes. Every title of the catalogue is
a translation of one attribute record, so the grade is a fact about the records, not about
the wording:

======  ==========================================================================
grade   rule (products p, q)
======  ==========================================================================
5       the same product (a title and its translation; cross-lingual pairs only)
2 - 4   the same category: ``2 + 2 * m / n``, where ``n`` counts the attributes among
        brand, colour, material, gender, size, model, measure that either product has,
        and ``m`` those equal in both (so 4: everything equal but the product id)
1       another category of the same department (a T-shirt and a pair of jeans)
0       another department (a T-shirt and a rice cooker)
======  ==========================================================================

For each anchor product, one partner is drawn per band (itself; the same-category product with
the most and with the fewest shared attributes; the same department; another department), so
the grades spread over the whole scale. Cross-lingual pairs put the language's title of ``p``
beside the English title of ``q`` (like STS17's en-ar); monolingual pairs use the language's
titles on both sides and leave out grade 5 (identical text). Scores are Spearman correlations
between cosine similarity and grade (``lira.eval.sts``).

The hard subset (``hard=True``): pairs where word overlap and meaning disagree by construction.
Graded by the same rule, so the whole set stays on one scale:

* **paraphrase** (grade 5): the anchor's title beside another wording of the same record,
  rendered with the product data set's query grammar (``lira.data.products.grammar.render_query``):
  another template, synonyms from the shipped lexicon (its ``alts``), the measure with its unit
  spelled out and, for th / ur / bn, native digits; the brand moved to the other end; where that
  still shares most words, shop code-mixing (attribute words in English) and then romanisation
  (``PARAPHRASE_STEPS``, the least step that is enough). Monolingual: kept only when the two
  texts' word overlap (:func:`jaccard`) is at most ``PARAPHRASE_MAX_OVERLAP``; cross-lingual: the
  paraphrase beside the English title.
* **near miss**: the anchor's title beside the title of a copy of its record with one thing
  changed, rendered by the same title template (so nearly every word is shared):
  one attribute (colour, material, gender, size or measure, to a value another product of the
  category has; grade ``2 + 2 (n-1)/n``) or the category (to another category of the department;
  grade 1). Monolingual: kept only when the overlap is at least ``NEAR_MISS_MIN_OVERLAP``;
  cross-lingual: the anchor's title beside the changed record's English title.

The limit that remains: every text is still rendered from attribute records by templates and a
finite lexicon, and the grade is a rule over those records, not a human judgement; a model that
learned the templates and the rule can score well without understanding free text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping, Sequence

ATTRIBUTES = ("brand", "colour", "material", "gender", "size", "model", "measure")
CHANGEABLE = ("colour", "material", "gender", "size", "measure")
"""Attributes a near miss may change (brand and model are names, not words to translate)."""
PARAPHRASE_MAX_OVERLAP = 0.5
NEAR_MISS_MIN_OVERLAP = 0.5
KINDS = ("standard", "paraphrase", "near_miss")


def tokens(text: str) -> set[str]:
    """Whitespace tokens, case-folded: what the word-overlap baseline compares."""
    return set(text.casefold().split())


def jaccard(a: str, b: str) -> float:
    """Word overlap of two texts: |A ∩ B| / |A ∪ B| over their whitespace tokens (case-folded);
    0 when both are empty. The no-model baseline of the similarity task."""
    x, y = tokens(a), tokens(b)
    union = x | y
    return len(x & y) / len(union) if union else 0.0


@dataclass(frozen=True)
class GradedPair:
    lang: str
    """Language of ``text_a`` (the low-resource side)."""
    text_a: str
    lang_b: str
    """Language of ``text_b``: ``en`` (cross-lingual) or ``lang`` (monolingual)."""
    text_b: str
    grade: float
    product_a: str
    product_b: str
    kind: str = "standard"
    """standard, paraphrase or near_miss (the last two make the hard subset)."""

    @property
    def hard(self) -> bool:
        return self.kind != "standard"


def _attribute(product: Mapping, name: str):
    if name == "measure":
        value = product.get("measure_value")
        return None if value is None else (value, product.get("measure_unit"))
    return product.get(name)


def _record(row: Mapping) -> dict:
    """A catalogue row as the title grammar reads it (``measure`` as a (value, unit) pair)."""
    record = {k: row.get(k) for k in ("product_id", "category", "department", "brand", "colour", "material", "gender", "size", "model")}
    record["measure"] = None if row.get("measure_value") is None else (float(row["measure_value"]), row.get("measure_unit"))
    return record


PARAPHRASE_STEPS = (
    {},
    {"N": "english", "C": "english"},
    {"N": "english", "C": "english", "M": "english", "G": "english", "L": "english"},
    {"roman": True},
)
"""How far :func:`paraphrase` may go, step by step: lexicon synonyms and spelled-out units; then the
category noun and colour in English (shop code-mixing); then every attribute word in English; then
romanised (th, ur, bn)."""


def paraphrase(row: Mapping, lang: str, rng: random.Random, step: int = 0) -> str:
    """Another wording of ``row``'s product in ``lang``: the query grammar with every attribute
    (another template, lexicon synonyms, the unit spelled out, native digits where the language
    has them; from ``step`` 1 on, words code-mixed or romanised as ``PARAPHRASE_STEPS`` says) and
    the brand moved to the other end of the text."""
    from lira.data.products.grammar import NATIVE_DIGIT_LANGS, ROMANISED_LANGS, render_query
    from lira.data.products.lexicon import load_lexicon

    record = _record(row)
    constraints = {a: record[a] for a in ("brand", "gender", "colour", "material", "model", "size", "measure") if record.get(a)}
    how = dict(PARAPHRASE_STEPS[step])
    roman = bool(how.pop("roman", False)) and lang in ROMANISED_LANGS
    numeral = "native" if lang in NATIVE_DIGIT_LANGS and not roman else "word"
    text = render_query(record["category"], constraints, lang, load_lexicon(), rng, modes=how, numeral=numeral, roman=roman, use_alts=True)
    brand = record.get("brand")
    if brand:
        words = text.split()
        kept = [w for w in words if w.casefold() != brand.casefold()]
        if len(kept) < len(words):
            at_start = words[0].casefold() == brand.casefold()
            text = " ".join(kept + [brand] if at_start else [brand] + kept)
    return text


def near_miss(row: Mapping, catalog: Sequence[Mapping], rng: random.Random, *, category: bool = False) -> dict | None:
    """A copy of ``row`` with one thing changed: the category (to another category of its
    department, ``category=True``) or one attribute (to a value another product of its category
    has); None when nothing can change. The copy carries its titles in every language ``row`` has."""
    from lira.data.products.grammar import product_title
    from lira.data.products.lexicon import load_lexicon

    changed = dict(row)
    if category:
        others = sorted({q["category"] for q in catalog if q["department"] == row["department"] and q["category"] != row["category"]})
        if not others:
            return None
        changed["category"] = rng.choice(others)
        what = "category"
    else:
        options = []
        for name in CHANGEABLE:
            current = _attribute(row, name)
            if current is None:
                continue
            values = sorted({_attribute(q, name) for q in catalog if q["category"] == row["category"]} - {current, None}, key=str)
            if values:
                options.append((name, values))
        if not options:
            return None
        what, values = rng.choice(options)
        value = rng.choice(values)
        if what == "measure":
            changed["measure_value"], changed["measure_unit"] = value
        else:
            changed[what] = value
    changed["product_id"] = f"{row['product_id']}~{what}"
    lex = load_lexicon()
    for key in [k for k in row if k.startswith("title_")]:
        changed[key] = product_title(_record(changed), key[len("title_"):], lex)[0]
    return changed


def grade(p: Mapping, q: Mapping) -> float:
    """The similarity grade of products ``p`` and ``q`` (see the module docstring)."""
    if p["product_id"] == q["product_id"]:
        return 5.0
    if p["category"] != q["category"]:
        return 1.0 if p["department"] == q["department"] else 0.0
    present = [a for a in ATTRIBUTES if _attribute(p, a) is not None or _attribute(q, a) is not None]
    if not present:
        return 4.0
    shared = sum(_attribute(p, a) == _attribute(q, a) for a in present)
    return 2.0 + 2.0 * shared / len(present)


def partners(anchor: Mapping, catalog: Sequence[Mapping], rng: random.Random) -> list[Mapping]:
    """One partner per band: itself, most and fewest shared attributes in the category, same department, other department."""
    same_category = [q for q in catalog if q["category"] == anchor["category"] and q["product_id"] != anchor["product_id"]]
    same_department = [q for q in catalog if q["department"] == anchor["department"] and q["category"] != anchor["category"]]
    other = [q for q in catalog if q["department"] != anchor["department"]]
    chosen = [anchor]
    if same_category:
        graded = sorted(((grade(anchor, q), q["product_id"], q) for q in same_category), key=lambda item: item[:2])
        highest, lowest = graded[-1][0], graded[0][0]
        chosen += [rng.choice([q for g, _, q in graded if g == highest]), rng.choice([q for g, _, q in graded if g == lowest])]
    for pool in (same_department, other):
        if pool:
            chosen.append(rng.choice(pool))
    return chosen


def graded_pairs(catalog: Sequence[Mapping], languages: Sequence[str], *, anchors_per_language: int = 40, seed: int = 0, hard: bool = False) -> list[GradedPair]:
    """Cross-lingual (x vs English) and monolingual (x vs x) graded pairs; the same anchors and
    partners for every language, so per-language numbers compare like with like. ``hard``: add
    the paraphrase and near-miss pairs of every anchor (the hard subset; module docstring)."""
    catalog = sorted(catalog, key=lambda p: p["product_id"])
    missing = [f"title_{lang}" for lang in ["en", *languages] if catalog and f"title_{lang}" not in catalog[0]]
    if missing:
        raise ValueError(f"catalogue rows lack field(s) {missing}")
    rng = random.Random(seed)
    anchors = rng.sample(catalog, min(anchors_per_language, len(catalog)))
    groups = [(anchor, partners(anchor, catalog, rng)) for anchor in anchors]
    out: list[GradedPair] = []
    for lang in languages:
        for anchor, chosen in groups:
            for q in chosen:
                g = grade(anchor, q)
                out.append(GradedPair(lang, anchor[f"title_{lang}"], "en", q["title_en"], g, anchor["product_id"], q["product_id"]))
                if g < 5.0:
                    out.append(GradedPair(lang, anchor[f"title_{lang}"], lang, q[f"title_{lang}"], g, anchor["product_id"], q["product_id"]))
    if hard:
        out += hard_pairs(anchors, catalog, languages, seed=seed)
    return out


def hard_pairs(anchors: Sequence[Mapping], catalog: Sequence[Mapping], languages: Sequence[str], *, seed: int = 0) -> list[GradedPair]:
    """The paraphrase and near-miss pairs of ``anchors`` (module docstring), per language; each
    drawn from its own seeded generator, so the standard pairs do not change when these are added."""
    out: list[GradedPair] = []
    misses = []
    for anchor in anchors:
        rng = random.Random(f"{seed}:near-miss:{anchor['product_id']}")
        misses.append([m for m in (near_miss(anchor, catalog, rng), near_miss(anchor, catalog, rng, category=True)) if m is not None])
    for lang in languages:
        for anchor, changed in zip(anchors, misses):
            title = anchor[f"title_{lang}"]
            for step in range(len(PARAPHRASE_STEPS)):  # the least change that differs enough in wording
                other = paraphrase(anchor, lang, random.Random(f"{seed}:paraphrase:{lang}:{anchor['product_id']}"), step)
                if jaccard(title, other) <= PARAPHRASE_MAX_OVERLAP:
                    break
            if jaccard(title, other) <= PARAPHRASE_MAX_OVERLAP:
                out.append(GradedPair(lang, title, lang, other, 5.0, anchor["product_id"], anchor["product_id"], "paraphrase"))
                out.append(GradedPair(lang, other, "en", anchor["title_en"], 5.0, anchor["product_id"], anchor["product_id"], "paraphrase"))
            for q in changed:
                if jaccard(title, q[f"title_{lang}"]) >= NEAR_MISS_MIN_OVERLAP:
                    g = grade(anchor, q)
                    out.append(GradedPair(lang, title, lang, q[f"title_{lang}"], g, anchor["product_id"], q["product_id"], "near_miss"))
                    out.append(GradedPair(lang, title, "en", q["title_en"], g, anchor["product_id"], q["product_id"], "near_miss"))
    return out
