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
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping, Sequence

ATTRIBUTES = ("brand", "colour", "material", "gender", "size", "model", "measure")


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


def _attribute(product: Mapping, name: str):
    if name == "measure":
        value = product.get("measure_value")
        return None if value is None else (value, product.get("measure_unit"))
    return product.get(name)


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


def graded_pairs(catalog: Sequence[Mapping], languages: Sequence[str], *, anchors_per_language: int = 40, seed: int = 0) -> list[GradedPair]:
    """Cross-lingual (x vs English) and monolingual (x vs x) graded pairs; the same anchors and
    partners for every language, so per-language numbers compare like with like."""
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
    return out
