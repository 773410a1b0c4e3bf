"""Arca training pairs from the product data set: in-domain anchoring for product search.

The shipped parallel corpus is software-UI text; trained on it alone, Arca moves the student away
from shopping language (README, "Product-search benchmark"). The product data set holds the
in-domain parallel text Arca needs, all from one split:

* **titles**: every product's English title with its title in each other language
  (``title_en`` <-> ``title_th``, ...): 2,209 products x 7 languages in the default train split;
* **queries** (``include_queries``): each query intent's English rendering with its rendering in
  each other language (same ``query_id``; the low-resource side may be code-mixed, misspelled,
  romanised or use local numerals, as shoppers type).

Only the ``train`` split is meant for training: its products and intents are disjoint from the
test split's by construction (see the dataset card), so a model trained on these pairs is still
scored on unseen products and intents. ``split="test"`` is refused unless ``allow_test=True``.

    pairs = product_pairs()                        # default data set, train split
    save_pairs_jsonl(pairs, "products.train.jsonl")
    # lira train --set data.train=products.train.jsonl
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from lira.data.pairs import ParallelPair
from lira.data.reasoning import _read_jsonl, default_products_dir
from lira.languages import canonical_language

SOURCE_TITLE = "products/title"
SOURCE_QUERY = "products/query"


def product_pairs(
    data_dir: str | Path | None = None,
    split: str = "train",
    *,
    languages: Iterable[str] | None = None,
    include_titles: bool = True,
    include_queries: bool = True,
    allow_test: bool = False,
) -> list[ParallelPair]:
    """English <-> language pairs from a built product data set (default: the cached default build).

    ``languages``: the non-English languages to pair (default: every ``title_<lang>`` column).
    Pairs whose two sides are identical (a title no source translates) are left out: they teach
    nothing and would be free positives for the contrastive term.
    """
    if split == "test" and not allow_test:
        raise ValueError("product_pairs: the test split is what product search is scored on; training on it leaks (allow_test=True, or --allow-test on the command line, overrides)")
    if not (include_titles or include_queries):
        raise ValueError("product_pairs: include titles, queries or both")
    root = Path(data_dir if data_dir is not None else default_products_dir()) / "jsonl"
    catalog = _read_jsonl(root / f"catalog.{split}.jsonl")
    present = sorted({key[len("title_"):] for row in catalog for key in row if key.startswith("title_") and key != "title_en"})
    wanted = [canonical_language(lang, where="product_pairs languages") for lang in languages] if languages is not None else present
    missing = [lang for lang in wanted if lang not in present]
    if missing:
        raise ValueError(f"product_pairs: {root / f'catalog.{split}.jsonl'} has no titles in {missing}; it has {present}")
    pairs: list[ParallelPair] = []
    if include_titles:
        for row in catalog:
            for lang in wanted:
                en, text = row.get("title_en"), row.get(f"title_{lang}")
                if en and text and en != text:
                    pairs.append(ParallelPair(en=en, text=text, lang=lang, source=SOURCE_TITLE))
    if include_queries:
        by_intent: dict[str, dict[str, str]] = {}
        for row in _read_jsonl(root / f"queries.{split}.jsonl"):
            by_intent.setdefault(row["query_id"], {})[row["lang"]] = row["text"]
        for query_id in sorted(by_intent):
            renderings = by_intent[query_id]
            en = renderings.get("en")
            if not en:
                continue
            for lang in wanted:
                text = renderings.get(lang)
                if text and text != en:
                    pairs.append(ParallelPair(en=en, text=text, lang=lang, source=SOURCE_QUERY))
    return pairs


def count_by_source(pairs: Sequence[ParallelPair]) -> dict[str, dict[str, int]]:
    """``{source: {lang: n}}``, for the CLI's summary."""
    out: dict[str, dict[str, int]] = {}
    for p in pairs:
        out.setdefault(p.source, {}).setdefault(p.lang, 0)
        out[p.source][p.lang] += 1
    return out
