"""Graded relevance of a product to a query intent, from attributes alone (written rules).

A query *intent* is a category plus constraints ``{attribute: value}`` (what the shopper typed
asks for). A product is a category plus its attributes. Labels, after the Shopping Queries
(ESCI) definitions:

* **E (exact)**: same category, and every constraint holds. Rule details: a ``unisex``
  product satisfies a ``men`` or ``women`` constraint; a measure constraint holds only for the
  same value and unit.
* **S (substitute)**: same category but at least one constraint fails; or the product's
  category is a listed substitute of the query's (``spec.SUBSTITUTES``; can be used instead,
  whatever the attributes).
* **C (complement)**: the product's category is a listed complement of the query's
  (``spec.COMPLEMENTS``; bought together, does not fulfil the query).
* **I (irrelevant)**: otherwise. Only E/S/C are stored in qrels; absent means I.

Gains for nDCG (documented in the dataset card and used by the evaluator): E=1.0, S=0.1,
C=0.01, I=0 (the Shopping Queries / KDD Cup 2022 gains).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping

from . import spec

GAINS: dict[str, float] = {"E": 1.0, "S": 0.1, "C": 0.01, "I": 0.0}
LABEL_NAMES: dict[str, str] = {"E": "exact", "S": "substitute", "C": "complement", "I": "irrelevant"}


@lru_cache(maxsize=1)
def substitute_map() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group in spec.SUBSTITUTES:
        for a in group:
            for b in group:
                if a != b:
                    out.setdefault(a, set()).add(b)
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def complement_map() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for a, b in spec.COMPLEMENTS:
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    subs = substitute_map()
    # a pair listed both ways keeps the stronger relation (substitute)
    return {k: frozenset(v - subs.get(k, frozenset()) - {k}) for k, v in out.items()}


def constraint_holds(attr: str, wanted, product: Mapping) -> bool:
    have = product.get(attr)
    if attr == "gender":
        return have == wanted or (have == "unisex" and wanted in ("men", "women"))
    if attr == "measure":
        return have is not None and tuple(have) == tuple(wanted)
    return have == wanted


def judge(category: str, constraints: Mapping, product: Mapping) -> str:
    """Label ("E", "S", "C" or "I") of ``product`` for the intent (category, constraints)."""
    pc = product["category"]
    if pc == category:
        return "E" if all(constraint_holds(a, v, product) for a, v in constraints.items()) else "S"
    if pc in substitute_map().get(category, ()):
        return "S"
    if pc in complement_map().get(category, ()):
        return "C"
    return "I"


def candidate_categories(category: str) -> set[str]:
    """Categories that can get a label other than I for a query on ``category``."""
    return {category} | set(substitute_map().get(category, ())) | set(complement_map().get(category, ()))
