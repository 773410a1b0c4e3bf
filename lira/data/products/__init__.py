"""Multilingual product-search dataset: th, vi, id, ms, fil, ur, bn (and English).

* ``extract`` (needs npm / apt-get): mine CLDR and Debian packages into the shipped lexicon
  ``lira/resources/products/lexicon.json``.
* ``build_products(out_dir, seed=13)``: build the dataset from the shipped lexicon only (catalogue
  with the mixed-catalogue languages, queries and qrels for train / test / dev, paraphrase queries:
  ``paraphrase.py``).

CLI: ``python -m lira.data.products build --out DIR [--seed N]`` and
``python -m lira.data.products extract [--cache DIR] [--out DIR]``.
"""

from __future__ import annotations

from .build import DEFAULT_SEED, BuildResult, build_products, build_rows
from .labels import GAINS, judge
from .lexicon import Lexicon, load_lexicon

__all__ = ["DEFAULT_SEED", "BuildResult", "GAINS", "Lexicon", "build_products", "build_rows", "judge", "load_lexicon",
           "extract_lexicon"]


def extract_lexicon(out_dir=None, *, cache=None):
    """Re-mine the lexicon from the registry packages (``lira.data.products.extract.extract``)."""
    from .extract import extract

    return extract(out_dir, cache=cache)
