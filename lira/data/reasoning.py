"""ESCI reasoning examples (query, product title, exact/substitute/complement/irrelevant) from
LiRA's product data set, each with its English anchor (the same intent's English query and the
product's English title) and noised copies, for LaSR."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from lira.data.noise import apply_noise, parse_noise_kinds

ESCI_NAMES = {"E": "exact", "S": "substitute", "C": "complement", "I": "irrelevant"}


@dataclass(frozen=True)
class EsciExample:
    lang: str
    text_a: str
    """The shopper's query in ``lang``."""
    text_b: str
    """The product title in ``lang``."""
    label: str
    anchor_a: str
    """The same intent's English query."""
    anchor_b: str
    """The product's English title."""
    group: str
    """``query_id``: one shopper intent, shared across languages."""
    noised_a: str = ""
    noised_b: str = ""


def default_products_dir() -> Path:
    """The product data set built with its default seed into the LiRA cache (seconds, on first use)."""
    from lira.data.products import build_products
    from lira.paths import cache_dir

    out = cache_dir() / "products-default"
    if not (out / "jsonl" / "qrels.test.jsonl").exists():
        build_products(out, verbose=False)
    return out


def _read_jsonl(path: Path) -> list[dict]:
    """The rows of one of a built product data set's ``jsonl/`` files; a bad line is named by number."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing; build the data set with `lira data products build --out {path.parents[1]}`")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not valid JSON ({err.msg})") from None
    return rows


def esci_examples(
    data_dir: str | Path,
    split: str,
    languages: Iterable[str],
    *,
    queries_per_language: int | None = 200,
    seed: int = 0,
    noise_level: float = 0.1,
    noise_kinds: list[str] | None = None,
) -> list[EsciExample]:
    """One example per ESCI class for each sampled intent and language.

    The same intents are sampled for every language (so the per-language numbers compare like with
    like) and each label's product is drawn with ``seed``; the irrelevant product is a random one
    with no judgement for the intent. Noised copies use ``lira.data.noise.apply_noise`` with the
    language's default kinds unless ``noise_kinds`` names them.
    """
    root = Path(data_dir) / "jsonl"
    catalog = {row["product_id"]: row for row in _read_jsonl(root / f"catalog.{split}.jsonl")}
    queries = _read_jsonl(root / f"queries.{split}.jsonl")
    judged: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in _read_jsonl(root / f"qrels.{split}.jsonl"):
        judged[row["query_id"]][row["label"]].append(row["product_id"])
    by_lang: dict[str, dict[str, str]] = defaultdict(dict)
    for row in queries:
        by_lang[row["lang"]][row["query_id"]] = row["text"]
    languages = list(languages)
    missing = [lang for lang in [*languages, "en"] if lang not in by_lang]
    if missing:
        raise ValueError(f"{root}: no {split} queries for language(s) {missing}")
    rng = random.Random(seed)
    usable = sorted(q for q in by_lang["en"] if all(judged[q][label] for label in "ESC") and all(q in by_lang[lang] for lang in languages))
    if queries_per_language is not None:
        usable = sorted(rng.sample(usable, min(queries_per_language, len(usable))))
    product_ids = sorted(catalog)
    kinds = parse_noise_kinds(noise_kinds) if noise_kinds else None
    out: list[EsciExample] = []
    for qid in usable:
        chosen = {label: rng.choice(sorted(judged[qid][label])) for label in "ESC"}
        judged_ids = {p for ids in judged[qid].values() for p in ids}
        while True:
            candidate = rng.choice(product_ids)
            if candidate not in judged_ids:
                chosen["I"] = candidate
                break
        for label, pid in chosen.items():
            product = catalog[pid]
            for lang in ["en", *languages]:
                example = EsciExample(lang, by_lang[lang][qid], product[f"title_{lang}"], ESCI_NAMES[label], by_lang["en"][qid], product["title_en"], qid)
                noise_rng = random.Random(f"{seed}:{qid}:{pid}:{lang}")
                example = replace(
                    example,
                    noised_a=apply_noise(example.text_a, lang, noise_level, noise_rng, kinds),
                    noised_b=apply_noise(example.text_b, lang, noise_level, noise_rng, kinds),
                )
                out.append(example)
    return out
