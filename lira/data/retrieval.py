"""Query -> title retrieval examples from the product data set's train split, with BM25 hard negatives.

What ``arca.retrieval_weight`` trains on (``lira.arca.losses.QueryTitleRetrievalLoss``). Every shopper
intent of the **train** split (its products and intents are disjoint from the scored test split's by
construction) gives one example per query language (English and each low-resource language) and
catalogue:

* ``native``: the query against titles in its own language;
* ``en``: a low-resource query against the English titles (cross-lingual search; an English query's
  native catalogue is the English one, so it gives one example, not two).

The positive is one of the intent's *exact* products (drawn per step). Hard negatives are mined
once by BM25 (``lira.eval.products.BM25Ranker``) for every (intent, language): the intent's query in
that language against the catalogue in that language, top ``depth`` hits, less every product the
labels call **exact or substitute** for the intent: a product that answers the query is never a
negative. A cross-lingual example draws its negatives from the catalogue language's list (the same
intent's query in that language found them). The mined lists are cached in the LiRA cache, keyed by
the train files' bytes and the mining settings, and drawn from with a seed.

``RetrievalBatches.batch(step)`` gives one training batch, drawn from ``(seed, step)`` alone (a
resumed run draws the same ones), with the ``(queries x titles)`` mask of titles that may not be a
query's negative: its exact and substitute products wherever they sit in the batch (another
query's positive, a hard negative, another language's title of the same product), and any title
whose text equals its positive's.

``paraphrases=True`` adds the train split's paraphrase queries (``paraphrases.train.jsonl``: the
product noun replaced by a CLDR keyword of its category, or the measure written in another unit) as
more examples of the same kind: a paraphrase shares its intent's ``query_id``, so it has the intent's
positives, safe products and mined negatives (mined with the intent's plain query). The test split's
paraphrases are built the same way from the same keyword lists over other intents and products, so
this teaches the keyword-to-noun links a paraphrase query relies on; the dev split's paraphrases are
where that choice is checked.

Only the train split is read: ``load_retrieval_data`` opens ``catalog.train.jsonl``,
``queries.train.jsonl`` and ``qrels.train.jsonl`` (and ``paraphrases.train.jsonl`` with
``paraphrases=True``) and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import torch

SPLIT = "train"
TRAIN_FILES = ("catalog", "queries", "qrels")
PARAPHRASE_FILE = "paraphrases"
DEFAULT_MINING_DEPTH = 20
CATALOGS = ("native", "en")
MINING_VERSION = 1
"""Bumped when the mining changes, so cached lists from older code are not reused."""
SAFE_LABELS = frozenset({"E", "S"})
"""Labels whose products are never negatives of their query: exact and substitute."""


@dataclass(frozen=True)
class RetrievalExample:
    query_id: str
    query: str
    query_lang: str
    title_lang: str
    """Language of the catalogue the query is matched against (its own, or ``en``)."""
    positives: tuple[str, ...]
    """The intent's exact products (one is drawn per step)."""
    safe: frozenset[str]
    """Exact and substitute products: never negatives of this query."""


@dataclass
class RetrievalData:
    titles: dict[str, dict[str, str]]
    """product_id -> {lang: title}"""
    examples: list[RetrievalExample]
    mined: dict[tuple[str, str], list[str]]
    """(query_id, lang) -> hard-negative product ids, best BM25 hit first (safe products removed)."""

    def texts(self) -> dict[str, list[str]]:
        """Every text the retrieval term can encode, by prompt (``query``/``passage``): for a caller
        that must know them in advance (a frozen-prefix cache)."""
        langs = sorted({e.title_lang for e in self.examples})
        return {"query": sorted({e.query for e in self.examples}), "passage": sorted({t[l] for t in self.titles.values() for l in langs if l in t})}


def _read_split(root: Path, name: str) -> list[dict]:
    from lira.data.reasoning import _read_jsonl

    return _read_jsonl(root / "jsonl" / f"{name}.{SPLIT}.jsonl")


def train_files(data_dir: str | Path) -> list[Path]:
    """The files the mined negatives depend on (with ``paraphrases=True``, ``paraphrases.train.jsonl``
    is read too; its queries reuse these negatives)."""
    return [Path(data_dir) / "jsonl" / f"{name}.{SPLIT}.jsonl" for name in TRAIN_FILES]


def load_retrieval_data(
    data_dir: str | Path | None,
    languages: Iterable[str],
    *,
    catalogs: Sequence[str] | None = None,
    depth: int = DEFAULT_MINING_DEPTH,
    cache: bool = True,
    paraphrases: bool = False,
) -> RetrievalData:
    """Examples and mined hard negatives from a built product data set's train split (default: the
    cached default build). ``catalogs``: ``native`` and/or ``en`` (None: both). ``paraphrases``: also
    the split's paraphrase queries, each with its intent's positives and negatives."""
    from lira.data.reasoning import default_products_dir
    from lira.languages import canonical_language

    root = Path(data_dir) if data_dir is not None else default_products_dir()
    catalogs = list(catalogs) if catalogs is not None else list(CATALOGS)
    unknown = [c for c in catalogs if c not in CATALOGS]
    if unknown or not catalogs:
        raise ValueError(f"retrieval catalogs: choose from {CATALOGS}, got {catalogs}")
    languages = [canonical_language(lang, where="retrieval languages") for lang in languages if lang != "en"]
    catalog, queries, qrels = (_read_split(root, name) for name in TRAIN_FILES)
    query_langs = ["en", *languages]
    titles = {row["product_id"]: {lang: row[f"title_{lang}"] for lang in query_langs if row.get(f"title_{lang}")} for row in catalog}
    judged: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in qrels:
        if row["product_id"] in titles:
            judged[row["query_id"]][row["label"]].add(row["product_id"])
    text: dict[tuple[str, str], str] = {}
    for row in queries:
        if row["lang"] in query_langs:
            text[(row["query_id"], row["lang"])] = row["text"]
    missing = [lang for lang in query_langs if not any(k[1] == lang for k in text)]
    if missing:
        raise ValueError(f"{root}: no {SPLIT} queries in {missing}")
    safe = {qid: frozenset(p for label in SAFE_LABELS for p in labels.get(label, ())) for qid, labels in judged.items()}
    examples: list[RetrievalExample] = []
    queries_by_key: list[tuple[str, str, str]] = [(qid, lang, text[(qid, lang)]) for qid, lang in sorted(text)]
    if paraphrases:
        queries_by_key += _paraphrase_queries(root, query_langs, text)
    for qid, lang, query in queries_by_key:
        positives = tuple(sorted(judged.get(qid, {}).get("E", ())))
        if not positives:
            continue
        targets = sorted({lang if c == "native" else "en" for c in catalogs})
        for title_lang in targets:
            usable = tuple(p for p in positives if title_lang in titles[p])
            if usable and (qid, title_lang) in text:
                examples.append(RetrievalExample(qid, query, lang, title_lang, usable, safe[qid]))
    needed = sorted({(e.query_id, e.title_lang) for e in examples})
    mined = _cached_mining(root, needed, text, titles, safe, depth) if cache else mine_hard_negatives(needed, text, titles, safe, depth)
    return RetrievalData(titles, examples, mined)


def _paraphrase_queries(root: Path, query_langs: Sequence[str], text: dict[tuple[str, str], str]) -> list[tuple[str, str, str]]:
    """(query_id, lang, paraphrase) of the split's paraphrases in ``query_langs``; a paraphrase whose
    intent has no plain query in its language is an error (its negatives are mined with that query)."""
    path = root / "jsonl" / f"{PARAPHRASE_FILE}.{SPLIT}.jsonl"
    if not path.exists():
        raise ValueError(f"{path}: missing; arca.retrieval_paraphrases needs a data set built with paraphrases (`lira data products build`)")
    out = []
    for line, row in enumerate(_read_split(root, PARAPHRASE_FILE), start=1):
        if row.get("lang") not in query_langs:
            continue
        for field in ("query_id", "text"):
            if not isinstance(row.get(field), str) or not row[field].strip():
                raise ValueError(f"{path}:{line}: field {field!r} missing or empty")
        if (row["query_id"], row["lang"]) not in text:
            raise ValueError(f"{path}:{line}: paraphrase of {row['query_id']} ({row['lang']}) has no query in queries.{SPLIT}.jsonl")
        out.append((row["query_id"], row["lang"], row["text"]))
    return sorted(out)


def mine_hard_negatives(
    needed: Sequence[tuple[str, str]],
    text: dict[tuple[str, str], str],
    titles: dict[str, dict[str, str]],
    safe: dict[str, frozenset[str]],
    depth: int,
) -> dict[tuple[str, str], list[str]]:
    """For each (query_id, lang): the top ``depth`` BM25 hits of the intent's query in ``lang`` among the
    titles in ``lang``, best first, after removing the intent's exact and substitute products."""
    from lira.eval.products import BM25Ranker

    out: dict[tuple[str, str], list[str]] = {}
    by_lang: dict[str, list[str]] = defaultdict(list)
    for qid, lang in needed:
        by_lang[lang].append(qid)
    for lang, qids in sorted(by_lang.items()):
        pids = sorted(p for p, t in titles.items() if lang in t)
        corpus = [titles[p][lang] for p in pids]
        k = min(len(corpus), depth + max(len(safe.get(q, ())) for q in qids))
        hits = BM25Ranker().search([text[(q, lang)] for q in qids], corpus, lang=lang, k=k)
        for qid, row in zip(qids, hits):
            blocked = safe.get(qid, frozenset())
            out[(qid, lang)] = [pids[j] for j in row if pids[j] not in blocked][:depth]
    return out


def _cached_mining(root, needed, text, titles, safe, depth) -> dict[tuple[str, str], list[str]]:
    from lira.io import file_sha256
    from lira.paths import cache_dir

    key = hashlib.sha256(json.dumps({
        "version": MINING_VERSION, "depth": depth, "needed": needed, "files": [file_sha256(p) for p in train_files(root)],
    }, sort_keys=True).encode()).hexdigest()[:20]
    path = cache_dir() / "retrieval-mining" / f"{key}.json"
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        return {(qid, lang): pids for qid, lang, pids in stored}
    mined = mine_hard_negatives(needed, text, titles, safe, depth)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps([[qid, lang, pids] for (qid, lang), pids in sorted(mined.items())]), encoding="utf-8")
    os.replace(tmp, path)
    return mined


@dataclass
class RetrievalBatch:
    query_ids: list[str]
    queries: list[str]
    query_langs: list[str]
    titles: list[str]
    """The B positives first (row i's positive is column i), then the hard negatives."""
    title_langs: list[str]
    title_products: list[str]
    positives: torch.Tensor
    false_negatives: torch.Tensor
    """``(B, len(titles))`` bool: True where title j may not be a negative of query i."""


def false_negative_mask(safe: Sequence[frozenset[str]], positive_texts: Sequence[str], products: Sequence[str], texts: Sequence[str]) -> torch.Tensor:
    """``(len(safe), len(products))``: True where column j's product is exact or substitute for query i,
    or column j's text is query i's positive title verbatim (the positive column itself included;
    the loss never masks that one)."""
    return torch.tensor([[p in s or t == own for p, t in zip(products, texts)] for s, own in zip(safe, positive_texts)], dtype=torch.bool)


class RetrievalBatches:
    """Draws the retrieval term's batch for each step from ``(seed, step)`` alone.

    ``query_noise`` (a ``lira.data.training_noise.TrainingNoise``) with ``query_noise_share`` > 0
    replaces that share of the low-resource queries, drawn per step, by a noised copy
    (``arca.retrieval_query_noise``). The draw has its own random stream, so the batch's examples,
    positives and negatives are those of the clean run."""

    def __init__(self, data: RetrievalData, *, batch_size: int, hard_negatives: int, seed: int,
                 query_noise: Callable[[str, str, int], str] | None = None, query_noise_share: float = 0.0) -> None:
        if not data.examples:
            raise ValueError("retrieval: no training examples (no train intent has an exact product in the chosen languages)")
        if not 0.0 <= query_noise_share <= 1.0:
            raise ValueError(f"retrieval: query_noise_share must be in [0, 1], got {query_noise_share}")
        self.data, self.batch_size, self.hard_negatives, self.seed = data, batch_size, hard_negatives, seed
        self.query_noise = query_noise if query_noise_share > 0 else None
        self.query_noise_share = query_noise_share

    def _queries(self, chosen: Sequence[RetrievalExample], step: int) -> list[str]:
        if self.query_noise is None:
            return [e.query for e in chosen]
        rng = random.Random(f"{self.seed}:retrieval-query-noise:{step}")
        return [self.query_noise(e.query, e.query_lang, step) if e.query_lang != "en" and rng.random() < self.query_noise_share else e.query
                for e in chosen]

    def noised_queries(self, steps: Iterable[int]) -> set[str]:
        """The noised queries the batches of ``steps`` carry (for a frozen-prefix cache); empty without query noise."""
        if self.query_noise is None:
            return set()
        clean = {e.query for e in self.data.examples}
        return {q for step in steps for q in self.batch(step).queries if q not in clean}

    def batch(self, step: int) -> RetrievalBatch:
        rng = random.Random(f"{self.seed}:retrieval:{step}")
        chosen = [self.data.examples[i] for i in rng.sample(range(len(self.data.examples)), min(self.batch_size, len(self.data.examples)))]
        products = [rng.choice(e.positives) for e in chosen]
        langs = [e.title_lang for e in chosen]
        for e in chosen:
            pool = self.data.mined.get((e.query_id, e.title_lang), [])
            for pid in rng.sample(pool, min(self.hard_negatives, len(pool))):
                products.append(pid)
                langs.append(e.title_lang)
        titles = [self.data.titles[p][lang] for p, lang in zip(products, langs)]
        n = len(chosen)
        mask = false_negative_mask([e.safe for e in chosen], titles[:n], products, titles)
        return RetrievalBatch(
            query_ids=[e.query_id for e in chosen], queries=self._queries(chosen, step), query_langs=[e.query_lang for e in chosen], titles=titles, title_langs=langs,
            title_products=products, positives=torch.arange(n), false_negatives=mask,
        )
