"""Build the product-search dataset from the shipped lexicon (no network, no apt/npm).

``build_products(out_dir, seed=13)`` writes ``catalog``, ``queries``, ``qrels`` and
``paraphrases`` as Hugging Face ``save_to_disk`` folders (catalogue splits ``train`` / ``test``;
query splits ``train`` / ``test`` / ``dev``, the dev intents judged against the train catalogue),
the same rows as JSONL under ``jsonl/``, ``stats.json`` and the dataset card ``README.md``; prints
the counts. Same seed and lexicon -> byte-identical files.

The benchmark settings (``lira.eval.products.SETTINGS``) read these files: native, cross-lingual
(low-resource query -> English titles, English query -> low-resource titles, and the mixed
catalogue, each product titled in its ``mixed_lang_<lang>`` language, drawn per product with the
seed), paraphrase (``paraphrases``, see ``paraphrase.py``); noise is applied to queries at
evaluation time (``lira.data.noise``, as the suite).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import labels, spec
from .grammar import NATIVE_DIGIT_LANGS, ROMANISED_LANGS, product_title, render_query
from .lexicon import Lexicon, load_lexicon
from .noise import misspell

DEFAULT_SEED = 13
N_PRODUCTS = 4400
N_INTENTS = 1300  # per split; every language gets one query per intent (minus collisions)
N_DEV_INTENTS = 400  # dev intents, over the train catalogue (for choosing e.g. a hybrid weight)
MIN_PRODUCTS = 2000
MIN_TEST_QUERIES = 1000
SPLITS = ("train", "test")  # catalogue splits
QUERY_SPLITS = ("train", "test", "dev")  # query / qrels / paraphrase splits; dev's catalogue is train's
CATALOG_OF = {"train": "train", "test": "test", "dev": "train"}
MIXED_EN_SHARE = 0.5  # mixed catalogue: share of products titled in English, per language

INTENT_CLASSES = {"broad": 0.40, "specific": 0.35, "numeric": 0.25}
QUERY_TYPES = ("short", "specific", "misspelled", "code_mixed", "romanised", "numeral")
TYPE_DOC = {
    "short": "category noun, alone or with one attribute (colour, gender, brand or material)",
    "specific": "category with two or three attributes (colour, gender, brand, material, size, model); English numeric intents too",
    "misspelled": "a short or specific query with one or two typing errors (per-script rules; Vietnamese without diacritics, Thai without tone marks)",
    "code_mixed": "local words mixed with English ones: the Latin brand with local words, and/or some attribute or the noun in English",
    "romanised": "Thai, Urdu or Bengali written in Latin letters (uroman + casual spelling), Latin digits",
    "numeral": "a measure (weight, volume, storage, size) with CLDR native digits (Thai, Urdu Extended-Arabic, Bengali) and the unit spelled as a word; Latin-script languages: the unit word",
}


def _rng(seed: int, *parts: Any) -> random.Random:
    return random.Random(":".join([str(seed), *map(str, parts)]))


# --------------------------------------------------------------------------------------
# Products.
# --------------------------------------------------------------------------------------


def _category_space(cat: spec.Category, rng: random.Random) -> tuple[list[dict], dict[str, list[str]]]:
    prof = spec.PROFILES[cat.dept]
    colours = prof.colours if cat.colours is None else cat.colours
    materials = prof.materials if cat.materials is None else cat.materials
    genders = prof.genders if cat.genders is None else cat.genders
    sizes = prof.sizes if cat.sizes is None else cat.sizes
    brands = sorted(rng.sample(spec.BRANDS[cat.dept], min(4, len(spec.BRANDS[cat.dept]))))
    models: dict[str, list[str]] = {}
    if prof.model:
        for b in brands:
            models[b] = [f"{rng.choice(spec.MODEL_PREFIXES)}{rng.randrange(10, 990)}" for _ in range(2)]
    space = []
    for b, c, m, g, s, q in itertools.product(brands, colours or (None,), materials or (None,), genders or (None,),
                                              sizes or (None,), cat.measures or (None,)):
        space.append({"brand": b, "colour": c, "material": m, "gender": g, "size": s,
                      "measure": (float(q[0]), q[1]) if q else None})
    return space, models


def generate_products(seed: int = DEFAULT_SEED, n_products: int = N_PRODUCTS) -> list[dict]:
    rng = _rng(seed, "products")
    spaces = []
    for cat in spec.CATEGORIES:
        space, models = _category_space(cat, rng)
        spaces.append((cat, space, models))
    n_cat = len(spaces)
    quota = [min(len(sp), n_products // n_cat) for _, sp, _ in spaces]
    deficit = n_products - sum(quota)
    while deficit > 0:
        grew = False
        for i, (_, sp, _) in enumerate(spaces):
            if deficit and quota[i] < len(sp):
                quota[i] += 1
                deficit -= 1
                grew = True
        if not grew:
            break
    products = []
    for (cat, space, models), k in zip(spaces, quota):
        for attrs in rng.sample(space, k):
            p = {"category": cat.id, "department": cat.dept, **attrs, "model": None}
            if models:
                p["model"] = rng.choice(models[attrs["brand"]])
            products.append(p)
    for i, p in enumerate(products, 1):
        p["product_id"] = f"P{i:05d}"
    return products


def split_products(products: list[dict], seed: int) -> dict[str, list[dict]]:
    """Per category, half the products (rounded down) go to test, the rest to train."""
    rng = _rng(seed, "split")
    out: dict[str, list[dict]] = {s: [] for s in SPLITS}
    by_cat: dict[str, list[dict]] = {}
    for p in products:
        by_cat.setdefault(p["category"], []).append(p)
    for cat in spec.CATEGORIES:
        group = list(by_cat.get(cat.id, []))
        rng.shuffle(group)
        half = len(group) // 2
        out["test"].extend(group[:half])
        out["train"].extend(group[half:])
    for s in SPLITS:
        out[s].sort(key=lambda p: p["product_id"])
    return out


# --------------------------------------------------------------------------------------
# Intents (what a query asks for) and their judgements.
# --------------------------------------------------------------------------------------


@dataclass
class Intent:
    query_id: str
    split: str
    klass: str
    category: str
    constraints: dict[str, Any]
    target: str

    def key(self) -> tuple:
        return (self.category, tuple(sorted((k, json.dumps(v)) for k, v in self.constraints.items())))


SOFT_ATTRS = ("colour", "gender", "brand", "material")
ALL_ATTRS = ("colour", "gender", "brand", "material", "size", "model")


def generate_intents(products: list[dict], split: str, n: int, seed: int, taken: set) -> list[Intent]:
    rng = _rng(seed, "intents", split)
    with_measure = [p for p in products if p["measure"]]
    classes, weights = zip(*INTENT_CLASSES.items())
    intents: list[Intent] = []
    attempts = 0
    while len(intents) < n and attempts < n * 100:
        attempts += 1
        klass = rng.choices(classes, weights)[0]
        p = rng.choice(with_measure if klass == "numeric" else products)
        if klass == "broad":
            avail = [a for a in SOFT_ATTRS if p[a]]
            k = 0 if rng.random() < 0.15 or not avail else 1
            attrs = rng.sample(avail, k)
        elif klass == "specific":
            avail = [a for a in ALL_ATTRS if p[a]]
            if len(avail) < 2:
                continue
            attrs = rng.sample(avail, min(len(avail), rng.choice((2, 2, 3))))
        else:
            avail = [a for a in SOFT_ATTRS if p[a]]
            attrs = ["measure"] + (rng.sample(avail, 1) if avail and rng.random() < 0.5 else [])
        constraints = {a: (list(p[a]) if a == "measure" else p[a]) for a in sorted(attrs)}
        intent = Intent("", split, klass, p["category"], constraints, p["product_id"])
        if intent.key() in taken:
            continue
        taken.add(intent.key())
        intent.query_id = f"{split}-q{len(intents) + 1:05d}"
        intents.append(intent)
    return intents


def judge_intents(intents: list[Intent], products: list[dict]) -> list[dict]:
    by_cat: dict[str, list[dict]] = {}
    for p in products:
        by_cat.setdefault(p["category"], []).append(p)
    rows = []
    for it in intents:
        cands = sorted(labels.candidate_categories(it.category))
        for cat in cands:
            for p in by_cat.get(cat, []):
                lab = labels.judge(it.category, it.constraints, p)
                if lab != "I":
                    rows.append({"query_id": it.query_id, "product_id": p["product_id"], "label": lab, "gain": labels.GAINS[lab]})
    return rows


# --------------------------------------------------------------------------------------
# Queries.
# --------------------------------------------------------------------------------------


def allowed_types(klass: str, lang: str, constraints: dict) -> dict[str, float]:
    if lang == "en":
        base = {"short": 0.7, "misspelled": 0.3} if klass == "broad" else {"specific": 0.7, "misspelled": 0.3}
        return base
    can_mix = "brand" in constraints or any(a in constraints for a in ("colour", "gender", "material", "size"))
    t: dict[str, float]
    if klass == "broad":
        t = {"short": 0.45, "misspelled": 0.25, "code_mixed": 0.15, "romanised": 0.15}
    elif klass == "specific":
        t = {"specific": 0.45, "misspelled": 0.25, "code_mixed": 0.15, "romanised": 0.15}
    else:
        t = {"numeral": 0.65, "code_mixed": 0.15, "romanised": 0.20}
    if lang not in ROMANISED_LANGS:
        t.pop("romanised", None)
    if not can_mix:
        t.pop("code_mixed", None)
    return t


def _code_mixed_modes(intent: Intent, lang: str, lex: Lexicon, rng: random.Random) -> dict[str, str] | None:
    c = intent.constraints
    localable = ["N"]
    if "colour" in c:
        localable.append("C")
    if "material" in c and lex.word(f"material/{c['material']}", lang).sourced:
        localable.append("M")
    if "gender" in c and lex.word(f"gender/{c['gender']}", lang).sourced:
        localable.append("G")
    if "size" in c:
        localable.append("L")
    if not lex.word(f"category/{intent.category}", lang).sourced:
        localable.remove("N")
    if not localable:
        return None
    if "brand" in c and (len(localable) == 1 or rng.random() < 0.4):
        return {}  # Latin brand + local words
    if len(localable) < 2:
        return None
    k = rng.randrange(1, len(localable))
    return {slot: "english" for slot in rng.sample(localable, k)}


def render_intent(intent: Intent, lang: str, lex: Lexicon, seed: int) -> dict | None:
    rng = _rng(seed, "query", intent.query_id, lang)
    types = allowed_types(intent.klass, lang, intent.constraints)
    names, weights = zip(*types.items())
    qtype = rng.choices(names, weights)[0]
    noise = ""
    c, cat = intent.constraints, intent.category
    if qtype == "code_mixed":
        modes = _code_mixed_modes(intent, lang, lex, rng)
        if modes is None:
            qtype = "short" if intent.klass == "broad" else ("specific" if intent.klass == "specific" else "numeral")
        else:
            text = render_query(cat, c, lang, lex, rng, modes=modes)
            noise = "english:" + ",".join(sorted(modes)) if modes else "english:brand"
    if qtype in ("short", "specific"):
        text = render_query(cat, c, lang, lex, rng)
    elif qtype == "misspelled":
        clean = render_query(cat, c, lang, lex, rng, use_alts=False)
        protect = {w for k in ("brand", "model") if k in c for w in str(c[k]).split()}
        text, ops = misspell(clean, lang, rng, n_ops=rng.choice((1, 1, 2)), protect=protect)
        if not ops:
            qtype, text = ("short" if intent.klass == "broad" else "specific"), clean
        else:
            noise = "+".join(ops)
    elif qtype == "romanised":
        text = render_query(cat, c, lang, lex, rng, roman=True)
        noise = "uroman"
    elif qtype == "numeral":
        native = lang in NATIVE_DIGIT_LANGS
        text = render_query(cat, c, lang, lex, rng, numeral="native" if native else "word")
        noise = "native_digits+unit_word" if native else "unit_word"
    if lang == "en" and intent.klass == "numeric" and qtype == "specific" and rng.random() < 0.5:
        text = render_query(cat, c, lang, lex, rng, numeral="word")
    return {
        "query_id": intent.query_id, "lang": lang, "text": text, "type": qtype, "intent_class": intent.klass,
        "category": cat, "constraints": json.dumps(c, ensure_ascii=False, sort_keys=True), "noise": noise,
        "target_product_id": intent.target,
    }


# --------------------------------------------------------------------------------------
# Writing.
# --------------------------------------------------------------------------------------


def mixed_lang(product_id: str, lang: str, seed: int) -> str:
    """The language a product is titled in, in the mixed catalogue that ``lang`` queries search:
    English with probability ``MIXED_EN_SHARE``, else ``lang`` (drawn per product, fixed seed)."""
    return "en" if _rng(seed, "mixed", lang, product_id).random() < MIXED_EN_SHARE else lang


def _catalog_rows(products: list[dict], lex: Lexicon, langs: Iterable[str], seed: int = DEFAULT_SEED) -> list[dict]:
    rows = []
    for p in products:
        r = {
            "product_id": p["product_id"], "category": p["category"], "department": p["department"], "brand": p["brand"],
            "colour": p["colour"], "material": p["material"], "gender": p["gender"], "size": p["size"],
            "measure_value": p["measure"][0] if p["measure"] else None, "measure_unit": p["measure"][1] if p["measure"] else None,
            "model": p["model"],
        }
        for lang in langs:
            title, untr = product_title(p, lang, lex)
            r[f"title_{lang}"] = title
            if lang != "en":
                r[f"untranslated_{lang}"] = untr
        for lang in langs:
            if lang != "en":
                r[f"mixed_lang_{lang}"] = mixed_lang(p["product_id"], lang, seed)
        rows.append(r)
    return rows


def _to_dataset(rows: list[dict], schema, name: str):
    import datasets
    import pyarrow as pa

    table = pa.Table.from_pylist(rows, schema=schema)
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    return datasets.Dataset(table, fingerprint=f"lira-products-{name}-{digest}")


def _schemas(langs):
    import pyarrow as pa

    cat_fields = [
        ("product_id", pa.string()), ("category", pa.string()), ("department", pa.string()), ("brand", pa.string()),
        ("colour", pa.string()), ("material", pa.string()), ("gender", pa.string()), ("size", pa.string()),
        ("measure_value", pa.float64()), ("measure_unit", pa.string()), ("model", pa.string()),
    ]
    for lang in langs:
        cat_fields.append((f"title_{lang}", pa.string()))
        if lang != "en":
            cat_fields.append((f"untranslated_{lang}", pa.list_(pa.string())))
    for lang in langs:
        if lang != "en":
            cat_fields.append((f"mixed_lang_{lang}", pa.string()))
    q_fields = [("query_id", pa.string()), ("lang", pa.string()), ("text", pa.string()), ("type", pa.string()),
                ("intent_class", pa.string()), ("category", pa.string()), ("constraints", pa.string()),
                ("noise", pa.string()), ("target_product_id", pa.string())]
    r_fields = [("query_id", pa.string()), ("product_id", pa.string()), ("label", pa.string()), ("gain", pa.float64())]
    p_fields = q_fields + [("source", pa.string())]
    return pa.schema(cat_fields), pa.schema(q_fields), pa.schema(r_fields), pa.schema(p_fields)


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")


@dataclass
class BuildResult:
    out_dir: Path
    seed: int
    catalog: dict[str, list[dict]]
    queries: dict[str, list[dict]]
    qrels: dict[str, list[dict]]
    stats: dict = field(default_factory=dict)
    paraphrases: dict[str, list[dict]] = field(default_factory=dict)


def build_rows(seed: int = DEFAULT_SEED, *, n_products: int = N_PRODUCTS, n_intents: int = N_INTENTS,
               langs: Iterable[str] = spec.ALL_LANGS, lexicon: Lexicon | None = None,
               n_dev_intents: int | None = None) -> BuildResult:
    """Everything ``build_products`` writes, as Python rows (no files).

    ``n_dev_intents`` (default ``min(N_DEV_INTENTS, n_intents)``): dev intents, drawn after train
    and test (so those stay exactly as before the dev split existed) from the train products, none
    equal to a train or test intent; their queries drop texts a train or test query has.
    """
    from .paraphrase import paraphrase_rows

    lex = lexicon or load_lexicon()
    langs = tuple(langs)
    n_dev = min(N_DEV_INTENTS, n_intents) if n_dev_intents is None else n_dev_intents
    products = generate_products(seed, n_products)
    splits = split_products(products, seed)
    taken: set = set()
    catalog, queries, qrels, paraphrases = {}, {}, {}, {}
    seen_text: dict[str, set[str]] = {lang: set() for lang in langs}
    for split in QUERY_SPLITS:  # train first: test queries whose text a train query has are dropped; dev last
        prods = splits[CATALOG_OF[split]]
        intents = generate_intents(prods, split, n_dev if split == "dev" else n_intents, seed, taken)
        if split in SPLITS:
            catalog[split] = _catalog_rows(prods, lex, langs, seed)
        qrels[split] = judge_intents(intents, prods)
        rows = []
        for lang in langs:
            for it in intents:
                q = render_intent(it, lang, lex, seed)
                if q is None or q["text"] in seen_text[lang]:
                    continue
                seen_text[lang].add(q["text"])
                rows.append(q)
        queries[split] = rows
        paraphrases[split] = paraphrase_rows(intents, langs, lex, seed)
    res = BuildResult(Path("."), seed, catalog, queries, qrels, paraphrases=paraphrases)
    from .card import compute_stats

    res.stats = compute_stats(res, lex, langs)
    return res


def build_products(out_dir: str | Path, seed: int = DEFAULT_SEED, *, n_products: int = N_PRODUCTS,
                   n_intents: int = N_INTENTS, langs: Iterable[str] = spec.ALL_LANGS, jsonl: bool = True,
                   lexicon: Lexicon | None = None, verbose: bool = True, n_dev_intents: int | None = None) -> BuildResult:
    """Build the dataset into ``out_dir`` (see module doc); return the rows and statistics."""
    import datasets

    from .card import render_card, stats_table

    lex = lexicon or load_lexicon()
    langs = tuple(langs)
    res = build_rows(seed, n_products=n_products, n_intents=n_intents, langs=langs, lexicon=lex, n_dev_intents=n_dev_intents)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res.out_dir = out
    cat_schema, q_schema, r_schema, p_schema = _schemas(langs)
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    for name, rows, schema, splits in (("catalog", res.catalog, cat_schema, SPLITS), ("queries", res.queries, q_schema, QUERY_SPLITS),
                                       ("qrels", res.qrels, r_schema, QUERY_SPLITS), ("paraphrases", res.paraphrases, p_schema, QUERY_SPLITS)):
        dd = datasets.DatasetDict({s: _to_dataset(rows[s], schema, f"{name}-{s}") for s in splits})
        dd.save_to_disk(str(out / name))
        if jsonl:
            (out / "jsonl").mkdir(exist_ok=True)
            for s in splits:
                _write_jsonl(out / "jsonl" / f"{name}.{s}.jsonl", rows[s])
    if bars:
        datasets.enable_progress_bars()
    (out / "stats.json").write_text(json.dumps(res.stats, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (out / "README.md").write_text(render_card(res, lex, langs), encoding="utf-8")
    if verbose:
        print(stats_table(res.stats, langs))
    problems = check_minimums(res.stats, langs) if n_products >= N_PRODUCTS and n_intents >= N_INTENTS else []
    if problems:
        raise RuntimeError("minimum counts not met: " + "; ".join(problems))
    return res


def check_minimums(stats: dict, langs: Iterable[str]) -> list[str]:
    problems = []
    for lang in langs:
        s = stats["languages"][lang]
        if s["products_total"] < MIN_PRODUCTS:
            problems.append(f"{lang}: {s['products_total']} products < {MIN_PRODUCTS}")
        if s["queries"]["test"] < MIN_TEST_QUERIES:
            problems.append(f"{lang}: {s['queries']['test']} test queries < {MIN_TEST_QUERIES}")
    return problems
