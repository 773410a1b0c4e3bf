"""The product-search benchmark report: every setting, every system, the issue's targets.

``lira eval products-report --data DIR`` writes ``benchmark.md``, ``benchmark.json`` and
``benchmark.png`` into ``reports/products/`` (``--out``). Rows, in each setting of
``lira.eval.products.SETTINGS`` (test split; noise levels on the queries of the ``native`` and
``lrl2en`` settings):

* the lexical-overlap rules (token Jaccard; all query words in the title, with its coverage: the
  share of queries whose exact product holds every query word), so a reader sees how much of a
  setting word matching solves;
* BM25, and for ``lrl2en`` BM25 over the query translated with the lexicon;
* each dense model: the untrained student and every ``--model LABEL=PATH``, alone and fused with
  BM25 (reciprocal-rank fusion; weighted score with the weight chosen on the **dev** split of the same
  setting, clean queries, never on test);
* for ``lrl2en`` only (where plain BM25 is near zero by construction), each dense model fused with BM25
  over the lexicon-translated query: the cross-lingual hybrid, RRF and weighted (weight chosen on the
  dev split of ``lrl2en``, clean queries, never on test; ``weights[model]["lrl2en_translated"]``);
* the targets of the issue (product search as shoppers do it) with met / missed and by how much;
* a paired bootstrap over the test queries for each trained model against the untrained student, each
  weighted hybrid against its lexical side, and each ``--compare "A|B"`` pair
  (``lira.eval.products_significance``; per-query scores in ``per_query.json.gz``).

``--intents N --corpus-size M`` evaluate a slice, as the suite does (``slice_rows``: N intents per
split drawn with the seed among those with an exact product; the corpus holds their exact products,
then their other judged products, then random others up to M), for a CPU budget; without them the
whole split. Results of systems not scored in a run (``--skip-dense``) are kept from the folder's
previous ``benchmark.json`` when it evaluated the very same data.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from rich.console import Console

from lira.eval.products import SETTING_DOC, SETTINGS, BM25Ranker, ProductSearchEvaluator, _load, choose_weight
from lira.eval.products_significance import query_key, read_per_query, significance_markdown, significance_rows, write_per_query

LRL = ("th", "vi", "id", "ms", "fil", "ur", "bn")
NOISE_SETTINGS = ("native", "lrl2en")
REPORT = "benchmark"
LEXICAL = {"jaccard": "token Jaccard", "all_words": "all query words in the title", "bm25": "BM25",
           "bm25_translated": "BM25, query translated with the lexicon"}


@dataclass
class ReportConfig:
    data: str
    out_dir: str = "reports/products"
    student: str = "offline:multilingual-e5-small"
    models: list[tuple[str, str]] = field(default_factory=list)
    settings: list[str] = field(default_factory=lambda: list(SETTINGS))
    noise_levels: list[float] = field(default_factory=lambda: [0.0, 0.1])
    intents: int | None = None
    corpus_size: int | None = None
    seed: int = 13
    skip_dense: bool = False
    batch_size: int = 64
    compare: list[tuple[str, str]] = field(default_factory=list)
    """Pairs of model labels (A, B) whose difference B - A gets a paired bootstrap in every setting."""

    def scale(self) -> dict[str, Any]:
        return {"intents": self.intents, "corpus_size": self.corpus_size, "seed": self.seed}


HYBRIDS = ("rrf", "weighted", "translated_rrf", "translated_weighted")
"""The fused rows' suffixes, in the report's order: BM25 + dense, then (``lrl2en`` only) lexicon-translated BM25 + dense."""
TRANSLATED = "lrl2en"
"""The setting of the translated hybrids: low-resource queries against English titles."""


def _is_hybrid(system: str) -> bool:
    """A fused row's key is its dense model's key plus ``+rrf``, ``+weighted``, ``+translated_rrf`` or
    ``+translated_weighted`` (a model's label may hold "+")."""
    return system.endswith(tuple(f"+{h}" for h in HYBRIDS))


class CompareLabelError(ValueError):
    """A ``--compare`` pair names a model the report does not have."""


def _compare_key(label: str) -> str:
    """The row key of a model a ``--compare`` pair names (labels are checked before the run scores)."""
    return "student" if label in ("student", "untrained student") else f"model:{label}"


def comparisons(payload: dict, compare: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str, str]]:
    """(kind, system A, system B) pairs the significance section tests (B minus A): each trained model
    against the untrained student and (``lrl2en``) the lexicon-translated BM25; each weighted hybrid
    against the lexical ranking it fuses; each ``--compare`` pair of model labels."""
    res = payload["results"]
    trained = sorted(s for s in res if s.startswith("model:") and not _is_hybrid(s))
    out: list[tuple[str, str, str]] = []
    if "student" in res:
        out += [("trained model vs untrained student", "student", m) for m in trained]
    if "bm25_translated" in res:  # the cross-lingual bar a dense model alone must clear (lrl2en only)
        out += [("trained model vs translated BM25", "bm25_translated", m) for m in trained]
    for base in ["student", *trained]:
        if f"{base}+weighted" in res:
            out.append(("weighted hybrid vs BM25", "bm25", f"{base}+weighted"))
        if f"{base}+translated_weighted" in res:
            out.append(("translated hybrid vs translated BM25", "bm25_translated", f"{base}+translated_weighted"))
    out += [("named pair", _compare_key(a), _compare_key(b)) for a, b in compare]
    return out


def noise_tag(level: float) -> str:
    return f"{level:g}"


# --------------------------------------------------------------------------------------
# Data: the test and dev rows, optionally a slice.
# --------------------------------------------------------------------------------------


def slice_rows(catalog: list[dict], queries: list[dict], qrels: list[dict], paraphrases: list[dict], *,
               intents: int | None, corpus_size: int | None, seed: int) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """A seeded slice (the suite's recipe): ``intents`` intents among those with an exact product, and a
    corpus of their exact products, then their other judged products, then random others, up to
    ``corpus_size``. ``None`` keeps everything."""
    rng = random.Random(f"{seed}:products-report")
    qids = sorted({r["query_id"] for r in qrels if r["label"] == "E"})
    if intents is not None and intents < len(qids):
        qids = sorted(rng.sample(qids, intents))
    chosen = set(qids)
    qrels = [r for r in qrels if r["query_id"] in chosen]
    if corpus_size is not None and corpus_size < len(catalog):
        exact = sorted({r["product_id"] for r in qrels if r["label"] == "E"})
        other = sorted({r["product_id"] for r in qrels} - set(exact))
        rest = sorted({r["product_id"] for r in catalog} - set(exact) - set(other))
        keep = set(exact[:corpus_size])
        for pool in (other, rest):
            room = corpus_size - len(keep)
            if room > 0:
                keep |= set(rng.sample(pool, min(room, len(pool))))
        catalog = [r for r in catalog if r["product_id"] in keep]
        qrels = [r for r in qrels if r["product_id"] in keep]
    return (catalog, [q for q in queries if q["query_id"] in chosen], qrels, [q for q in paraphrases if q["query_id"] in chosen])


def load_rows(data: str | Path, split: str, cfg: ReportConfig) -> dict[str, list[dict]]:
    catalog, queries, qrels = _load(Path(data), split)
    _, paraphrases, _ = _load(Path(data), split, paraphrases=True)
    catalog, queries, qrels, paraphrases = slice_rows(catalog, queries, qrels, paraphrases, intents=cfg.intents, corpus_size=cfg.corpus_size, seed=cfg.seed)
    return {"catalog": catalog, "queries": queries, "qrels": qrels, "paraphrases": paraphrases}


def data_fingerprint(rows: dict[str, dict[str, list[dict]]]) -> str:
    h = hashlib.sha256()
    for split in sorted(rows):
        r = rows[split]
        h.update(json.dumps([sorted(p["product_id"] for p in r["catalog"]),
                             sorted((q["query_id"], q["lang"], q["text"]) for q in r["queries"] + r["paraphrases"]),
                             sorted((x["query_id"], x["product_id"], x["label"]) for x in r["qrels"])], ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:16]


def make_evaluator(rows: dict[str, list[dict]], split: str, setting: str, level: float, batch_size: int) -> ProductSearchEvaluator:
    queries = rows["paraphrases"] if setting == "paraphrase" else rows["queries"]
    langs = None if setting in ("native", "paraphrase") else list(LRL)
    return ProductSearchEvaluator(split=split, setting=setting, noise=level, catalog=rows["catalog"], queries=queries, qrels=rows["qrels"],
                                  langs=langs, batch_size=batch_size)


# --------------------------------------------------------------------------------------
# Running.
# --------------------------------------------------------------------------------------


def _cells(cfg: ReportConfig) -> list[tuple[str, float]]:
    out = [(s, 0.0) for s in cfg.settings]
    out += [(s, lvl) for s in cfg.settings if s in NOISE_SETTINGS for lvl in cfg.noise_levels if lvl > 0]
    return out


def run_products_report(cfg: ReportConfig, *, console: Console | None = None) -> dict[str, Any]:
    from lira.eval.base import CachingEncoder
    from lira.eval.lexical import TranslatedBM25Ranker

    console = console or Console()
    started = time.time()
    rows = {split: load_rows(cfg.data, split, cfg) for split in ("test", "dev")}
    fingerprint = data_fingerprint(rows)
    if cfg.compare:  # before any scoring: a misspelt label must not cost the run
        known = {"student", "untrained student", *(label for label, _ in cfg.models),
                 *(k[len("model:"):] for k in _previous(Path(cfg.out_dir), fingerprint).get("results", {}) if k.startswith("model:") and not _is_hybrid(k))}
        unknown = sorted({name for pair in cfg.compare for name in pair} - known)
        if unknown:
            raise CompareLabelError(f"--compare: no model labelled {', '.join(map(repr, unknown))}; give --model LABEL=PATH, or a model of the "
                                    f"earlier run in {cfg.out_dir} (known: {', '.join(sorted(known))})")
    cells = _cells(cfg)
    test_ev = {(s, lvl): make_evaluator(rows["test"], "test", s, lvl, cfg.batch_size) for s, lvl in cells}
    dev_ev = {s: make_evaluator(rows["dev"], "dev", s, 0.0, cfg.batch_size) for s in cfg.settings}
    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    labels: dict[str, str] = {}
    weights: dict[str, dict[str, Any]] = {}
    timings: dict[str, float] = {}
    encoded: dict[str, int] = {}

    per_query: dict[str, dict[str, dict[str, dict[str, list[float]]]]] = {}
    query_keys: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    cell_keys: dict[tuple[str, str], dict[str, str]] = {}  # one test cell's query keys, shared by every row scored on it

    def put(system: str, label: str, setting: str, level: float, metrics: dict[str, float], ev: ProductSearchEvaluator) -> None:
        """Store a row's metrics and the per-query nDCG@10 of the call that computed them (``ev.last_ndcg``)."""
        labels[system] = label
        results.setdefault(system, {}).setdefault(setting, {})[noise_tag(level)] = metrics
        if system in ("jaccard", "all_words") or system.endswith("rrf"):
            return  # no significance test reads these rows' per-query scores
        # rounded as stored (per_query.json.gz), so a redraw from the file tests the very same numbers
        per_query.setdefault(system, {}).setdefault(setting, {})[noise_tag(level)] = {lang: [round(float(x), 4) for x in v] for lang, v in ev.last_ndcg.items()}
        keys = cell_keys.setdefault((setting, noise_tag(level)), {lang: query_key(ev._lang_queries(lang)) for lang in ev.last_ndcg})
        query_keys.setdefault(system, {}).setdefault(setting, {})[noise_tag(level)] = keys

    dense_models = [] if cfg.skip_dense else [("student", "untrained student", cfg.student)] + [(f"model:{label}", label, path) for label, path in cfg.models]
    t = time.time()
    bm25_test: dict[tuple[str, float], dict[str, np.ndarray]] = {}  # kept (float32) for the hybrids
    bm25_dev: dict[str, dict[str, np.ndarray]] = {}
    translated = TranslatedBM25Ranker()
    translated_test: dict[tuple[str, float], dict[str, np.ndarray]] = {}  # lrl2en: kept (float32) for the translated hybrids
    translated_dev: dict[str, np.ndarray] | None = None
    for (setting, level), ev in test_ev.items():
        console.print(f"lexical rows: {setting}, noise {level:g}")
        put("jaccard", LEXICAL["jaccard"], setting, level, ev.evaluate_lexical("jaccard"), ev)
        put("all_words", LEXICAL["all_words"], setting, level, ev.evaluate_lexical("all_words"), ev)
        sparse = ev.ranker_scores(BM25Ranker())
        put("bm25", LEXICAL["bm25"], setting, level, ev.score_matrices(sparse, positive_only=True), ev)
        if dense_models:
            bm25_test[(setting, level)] = {lang: m.astype(np.float32) for lang, m in sparse.items()}
        if setting == TRANSLATED:
            # the scores evaluate_ranker(TranslatedBM25Ranker()) ranks, computed once for the row and the hybrids
            lexicon = ev.ranker_scores(translated)
            put("bm25_translated", LEXICAL["bm25_translated"], setting, level, ev.score_matrices(lexicon, positive_only=True), ev)
            if dense_models:
                translated_test[(setting, level)] = {lang: m.astype(np.float32) for lang, m in lexicon.items()}
    if dense_models:
        for setting, ev in dev_ev.items():
            bm25_dev[setting] = ev.ranker_scores(BM25Ranker())
        if TRANSLATED in dev_ev:
            translated_dev = dev_ev[TRANSLATED].ranker_scores(translated)
    timings["lexical_and_bm25_s"] = round(time.time() - t, 1)

    def lexical_sides(setting: str) -> list[tuple[str, str, str, Any, dict]]:
        """The lexical rankings a dense model is fused with in ``setting``: (row-key prefix, key in
        ``weights``, name, dev scores, test scores by (setting, level)). In ``lrl2en`` also the
        lexicon-translated BM25, the cross-lingual hybrid (plain BM25 is near zero there)."""
        sides = [("", setting, "BM25", bm25_dev[setting], bm25_test)]
        if setting == TRANSLATED:
            sides.append(("translated_", f"{TRANSLATED}_translated", "lexicon-translated BM25", translated_dev, translated_test))
        return sides

    for key, label, path in dense_models:
        from lira.models.encoders import load_encoder

        t = time.time()
        console.print(f"{label}: {path}")
        encoder = CachingEncoder(load_encoder(path))
        weights[key] = {}
        for setting in cfg.settings:
            dev = dev_ev[setting]
            dev_dense = dev.dense_scores(encoder)
            sides = []  # (row-key prefix, name, weight chosen on dev, test scores by (setting, level))
            for prefix, weight_key, name, dev_sparse, test_sparse in lexical_sides(setting):
                best, curve = choose_weight(dev, dev_dense, dev_sparse)
                weights[key][weight_key] = {"weight": best, "dev_curve": {f"{w:g}": v for w, v in curve.items()}, "chosen_on": "dev"}
                sides.append((prefix, name, best, test_sparse))
            for lvl in [lvl for s, lvl in cells if s == setting]:
                ev = test_ev[(setting, lvl)]
                dense = ev.dense_scores(encoder)
                put(f"{key}", f"{label} (dense)", setting, lvl, ev.score_matrices(dense), ev)
                for prefix, name, best, test_sparse in sides:
                    lists = ev.top_lists(dense, test_sparse[(setting, lvl)])
                    put(f"{key}+{prefix}rrf", f"hybrid RRF ({name} + {label})", setting, lvl, ev.score_matrices(ev.hybrid_scores(None, None, "rrf", lists=lists)), ev)
                    put(f"{key}+{prefix}weighted", f"hybrid weighted ({name} + {label}, weight on dev)", setting, lvl,
                        ev.score_matrices(ev.hybrid_scores(None, None, "weighted", weight=best, lists=lists)), ev)
        timings[f"{key}_s"] = round(time.time() - t, 1)
        encoded[key] = len(encoder.cache)

    out = Path(cfg.out_dir)
    previous = _previous(out, fingerprint)
    previous_per_query, previous_keys = read_per_query(out, fingerprint)
    for system, by_setting in previous.get("results", {}).items():
        if system not in results:
            results[system] = by_setting
            if system in previous_per_query:
                per_query[system] = previous_per_query[system]
                if system in previous_keys:
                    query_keys[system] = previous_keys[system]
            labels[system] = previous["labels"][system]
            if system in previous.get("weights", {}):
                weights[system] = previous["weights"][system]
    # the earlier run's --compare pairs stay with its models (a --skip-dense rerun keeps both)
    compare = [tuple(p) for p in previous.get("config", {}).get("compare", [])]
    compare += [tuple(p) for p in cfg.compare if tuple(p) not in compare]
    config = {**{k: v for k, v in asdict(cfg).items() if k not in ("out_dir", "skip_dense")}, "models": dict(cfg.models),
              "compare": [list(pair) for pair in compare]}
    if previous.get("config", {}).get("models"):
        config["models"] = {**previous["config"]["models"], **config["models"]}
    payload = {
        "config": config,
        "data_fingerprint": fingerprint,
        "counts": {split: {"products": len(r["catalog"]), "intents": len({q["query_id"] for q in r["queries"]}),
                           "queries": len(r["queries"]), "paraphrases": len(r["paraphrases"])} for split, r in rows.items()},
        "settings": {s: SETTING_DOC[s] for s in cfg.settings},
        "labels": labels,
        "results": results,
        "weights": weights,
        "runtime_s": {**previous.get("runtime_s", {}), **timings, "this_run_total_s": round(time.time() - started, 1)},
        "encoded_texts": {**previous.get("encoded_texts", {}), **encoded},
    }
    payload["machine"] = _machine()
    payload["targets"] = targets(payload)
    payload["significance"] = significance_rows(payload, per_query, comparisons(payload, compare), query_keys)
    write_per_query(out, fingerprint, per_query, query_keys)
    write_report(payload, out)
    console.print((out / f"{REPORT}.md").read_text(encoding="utf-8"), markup=False, highlight=False)
    return payload


def _machine() -> str:
    import os
    import platform

    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on every platform
        load = float("nan")
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, load average {load:.1f} at the end"


def _previous(out: Path, fingerprint: str) -> dict[str, Any]:
    path = out / f"{REPORT}.json"
    if not path.exists():
        return {}
    prev = json.loads(path.read_text(encoding="utf-8"))
    return prev if prev.get("data_fingerprint") == fingerprint else {}


# --------------------------------------------------------------------------------------
# Targets (issue: "Product search as shoppers do it").
# --------------------------------------------------------------------------------------


def _m(payload: dict, system: str, setting: str, key: str, level: float = 0.0) -> float | None:
    return payload["results"].get(system, {}).get(setting, {}).get(noise_tag(level), {}).get(key)


def _mean7(payload: dict, system: str, setting: str, level: float = 0.0) -> float | None:
    vals = [_m(payload, system, setting, f"{lang}/ndcg@10", level) for lang in LRL]
    vals = [v for v in vals if v is not None]
    return statistics.fmean(vals) if vals else None


def _target(name: str, system: str, value: float | None, threshold: float | None, note: str = "", higher: bool = True) -> dict[str, Any]:
    if value is None or threshold is None:
        return {"target": name, "system": system, "value": value, "threshold": threshold, "met": None, "margin": None, "note": note or "not measured"}
    margin = value - threshold if higher else threshold - value
    return {"target": name, "system": system, "value": value, "threshold": threshold, "met": margin >= 0, "margin": margin, "note": note}


def targets(payload: dict) -> list[dict[str, Any]]:
    """The issue's targets, each with the value, the threshold, met / missed and the margin."""
    res = payload["results"]
    trained = sorted(s for s in res if s.startswith("model:") and not _is_hybrid(s))
    dense_bases = [s for s in ["student", *trained] if s in res]
    out: list[dict[str, Any]] = []
    noise = sorted({float(t) for r in res.values() for by in r.values() for t in by if float(t) > 0})
    level = 0.1 if 0.1 in noise else (noise[0] if noise else None)
    student_x = _mean7(payload, "student", "lrl2en")
    for m in trained:
        v = _mean7(payload, m, "lrl2en")
        out.append(_target("cross-lingual (LRL query -> English titles): trained >= untrained student + 0.10 (mean nDCG@10, 7 languages)", m, v,
                           None if student_x is None else student_x + 0.10))
        out.append(_target("cross-lingual: trained >= 0.80 absolute", m, v, 0.80))
        out.append(_target("cross-lingual: trained >= BM25 over the lexicon-translated query", m, v, _mean7(payload, "bm25_translated", "lrl2en")))
    if not trained:
        out.append(_target("cross-lingual (LRL query -> English titles): trained >= untrained student + 0.10, >= 0.80, >= translated BM25", "-", None, None,
                           "no trained model in this report (pass one with --model LABEL=PATH)"))
    no_dense = "no dense rows in this report (it ran with --skip-dense, or its dense run was on other data)"
    xhybrid = "cross-lingual hybrid (dense + lexicon-translated BM25): >= 0.80 and >= translated BM25 alone (mean nDCG@10, 7 languages)"
    bm25_x = _mean7(payload, "bm25_translated", TRANSLATED)
    measured = per_model_note = False
    for base in dense_bases:
        cands = {s: _mean7(payload, s, TRANSLATED) for s in (f"{base}+translated_weighted", f"{base}+translated_rrf") if s in res}
        cands = {s: v for s, v in cands.items() if v is not None}
        if cands:
            measured = True
            best = max(cands, key=cands.get)
            out.append(_target(xhybrid, best, cands[best], 0.80, "best of the two translated hybrids"))
            out.append(_target(xhybrid, best, cands[best], bm25_x, "best of the two translated hybrids"))
        elif TRANSLATED in res.get(base, {}):
            # a model whose rows an earlier run wrote (kept by the merge) before the translated hybrid existed
            out.append(_target(xhybrid, base, None, None, "not measured for this model: its rows come from an earlier run; rerun the report with it"))
            per_model_note = True
    if not measured and not per_model_note:
        out.append(_target(xhybrid, "-", None, None, no_dense if not dense_bases else
                           f"no translated hybrid rows in this report (they need `{TRANSLATED}` and a dense run of this version)"))
    langs = [lang for lang in (*LRL, "en") if _m(payload, "bm25", "native", f"{lang}/ndcg@10") is not None]
    if not any(f"{base}+{method}" in res for base in dense_bases for method in ("rrf", "weighted")):
        out.append(_target("native: hybrid >= BM25 in every language", "-", None, None, no_dense))
    for base in dense_bases:
        for method in ("rrf", "weighted"):
            h = f"{base}+{method}"
            if h not in res:
                continue
            diffs = {lang: _m(payload, h, "native", f"{lang}/ndcg@10") - _m(payload, "bm25", "native", f"{lang}/ndcg@10") for lang in langs}
            worst = min(diffs, key=diffs.get)
            out.append({"target": "native: hybrid >= BM25 in every language", "system": h, "value": diffs[worst], "threshold": 0.0,
                        "met": diffs[worst] >= 0, "margin": diffs[worst],
                        "note": f"worst language {worst}; languages below BM25: {', '.join(l for l, d in diffs.items() if d < 0) or 'none'}"})
    if not trained:
        out.append(_target("native: dense >= untrained student in every language", "-", None, None, "no trained model in this report (pass one with --model LABEL=PATH)"))
    for m in trained:
        diffs = {lang: _m(payload, m, "native", f"{lang}/ndcg@10") - _m(payload, "student", "native", f"{lang}/ndcg@10")
                 for lang in langs if _m(payload, "student", "native", f"{lang}/ndcg@10") is not None}
        if diffs:
            worst = min(diffs, key=diffs.get)
            out.append({"target": "native: dense >= untrained student in every language", "system": m, "value": diffs[worst], "threshold": 0.0,
                        "met": diffs[worst] >= 0, "margin": diffs[worst], "note": f"worst language {worst}"})
    bm25_p = _mean7(payload, "bm25", "paraphrase")
    if not dense_bases:
        out.append(_target("paraphrase: dense or hybrid >= BM25 + 0.10 (mean nDCG@10, 7 languages)", "-", None,
                           None if bm25_p is None else bm25_p + 0.10, no_dense))
    for base in dense_bases:
        cands = {s: _mean7(payload, s, "paraphrase") for s in (base, f"{base}+rrf", f"{base}+weighted") if s in res}
        cands = {s: v for s, v in cands.items() if v is not None}
        if cands:
            best = max(cands, key=cands.get)
            out.append(_target("paraphrase: dense or hybrid >= BM25 + 0.10 (mean nDCG@10, 7 languages)", best, cands[best],
                               None if bm25_p is None else bm25_p + 0.10, "best of the dense and hybrid rows"))
    if level is None or not dense_bases:
        out.append(_target("noise 0.1: keeps >= 85% of clean product nDCG@10 (native, mean of 7)", "-", None, 0.85,
                           no_dense if level is not None else "no noise level in this report"))
    else:
        for m in ([*trained] or ["student"]):
            clean, noisy = _mean7(payload, m, "native"), _mean7(payload, m, "native", level)
            ratio = None if not clean or noisy is None else noisy / clean
            out.append(_target(f"noise {level:g}: keeps >= 85% of clean product nDCG@10 (native, mean of 7)", m, ratio, 0.85,
                               "bitext accuracy and the held-out noise kind: reports/products/noise.md" + ("" if m != "student" else "; the untrained student, for reference")))
    student_en = _m(payload, "student", "native", "en/ndcg@10")
    if not trained:
        out.append(_target("English product search within 0.01 of the untrained student", "-", None,
                           None if student_en is None else student_en - 0.01, "no trained model in this report (pass one with --model LABEL=PATH)"))
    for m in trained:
        v = _m(payload, m, "native", "en/ndcg@10")
        out.append(_target("English product search within 0.01 of the untrained student", m, v, None if student_en is None else student_en - 0.01))
    return out


# --------------------------------------------------------------------------------------
# Writing.
# --------------------------------------------------------------------------------------


def _order(payload: dict) -> list[str]:
    res = payload["results"]
    fixed = ["jaccard", "all_words", "bm25", "bm25_translated"]
    dense = ["student", *sorted(s for s in res if s.startswith("model:") and not _is_hybrid(s))]
    out = [s for s in fixed if s in res]
    for d in dense:
        out += [s for s in (d, *(f"{d}+{h}" for h in HYBRIDS)) if s in res]
    return out


def _settings(payload: dict) -> list[str]:
    """The settings in the order the run listed them (``benchmark.json`` stores its dicts sorted)."""
    return [s for s in payload.get("config", {}).get("settings", payload["settings"]) if s in payload["settings"]]


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def _type_means(payload: dict, system: str, setting: str, langs: Sequence[str], metric: str = "ndcg@10") -> dict[str, float]:
    by = payload["results"].get(system, {}).get(setting, {}).get("0", {})
    types = sorted({k.split("/")[1] for k in by if k.count("/") == 2 and k.split("/")[0] in langs and k.endswith(f"/{metric}")})
    out = {}
    for t in types:
        vals = [by[f"{lang}/{t}/{metric}"] for lang in langs if f"{lang}/{t}/{metric}" in by]
        out[t] = statistics.fmean(vals)
    return out


def _noised_cells(payload: dict) -> list[tuple[str, str]]:
    """The (setting, noise tag) cells scored with noised queries, in the settings' order, then by level."""
    settings = _settings(payload)
    return sorted({(s, t) for r in payload["results"].values() for s, by in r.items() for t in by if t != "0"},
                  key=lambda st: (settings.index(st[0]) if st[0] in settings else len(settings), float(st[1])))


def summary_table(payload: dict, systems: Sequence[str] | None = None) -> str:
    """Mean nDCG@10 over the 7 languages, per setting (clean queries) and per noise level, per system
    (``systems``: only those keys, in the report's order)."""
    settings = _settings(payload)
    noisy = _noised_cells(payload)
    head = ["system", *settings, *(f"{s} @ noise {t}" for s, t in noisy)]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for system in _order(payload):
        if systems is not None and system not in systems:
            continue
        cells = [_mean7(payload, system, s) for s in settings] + [_mean7(payload, system, s, float(t)) for s, t in noisy]
        lines.append(f"| {payload['labels'][system]} | " + " | ".join(_fmt(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def targets_table(payload: dict) -> str:
    lines = ["| target | system | value | threshold | met | margin | note |", "|---|---|---:|---:|---|---:|---|"]
    for t in payload["targets"]:
        met = "–" if t["met"] is None else ("met" if t["met"] else "**missed**")
        system = payload["labels"].get(t["system"], t["system"])
        margin = "–" if t["margin"] is None else f"{t['margin']:+.3f}"
        lines.append(f"| {t['target']} | {system} | {_fmt(t['value'])} | {_fmt(t['threshold'])} | {met} | {margin} | {t['note']} |")
    return "\n".join(lines) + "\n"


def setting_table(payload: dict, setting: str, level: str = "0") -> str:
    langs = [*LRL] + (["en"] if any(f"en/ndcg@10" in payload["results"][s].get(setting, {}).get(level, {}) for s in payload["results"]) else [])
    head = ["system", *langs, "mean (7)", "mean R@100", "mean MRR", "word-match coverage"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for system in _order(payload):
        by = payload["results"][system].get(setting, {}).get(level)
        if by is None:
            continue
        cells = [by.get(f"{lang}/ndcg@10") for lang in langs]
        mean = lambda key: statistics.fmean([by[f"{lang}/{key}"] for lang in LRL if f"{lang}/{key}" in by]) if any(f"{lang}/{key}" in by for lang in LRL) else None  # noqa: E731
        cells += [mean("ndcg@10"), mean("recall@100"), mean("mrr@100"), mean("all_words_coverage")]
        lines.append(f"| {payload['labels'][system]} | " + " | ".join(_fmt(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def type_table(payload: dict, setting: str) -> str:
    systems = [s for s in _order(payload) if setting in payload["results"][s]]
    types = sorted({t for s in systems for t in _type_means(payload, s, setting, LRL)})
    if not types:
        return ""
    lines = ["| system | " + " | ".join(types) + " |", "|---|" + "---:|" * len(types)]
    for s in systems:
        m = _type_means(payload, s, setting, LRL)
        lines.append(f"| {payload['labels'][s]} | " + " | ".join(_fmt(m.get(t)) for t in types) + " |")
    if "all_words" in systems:
        m = _type_means(payload, "all_words", setting, LRL, "all_words_coverage")
        lines.append("| *word-match coverage* (share of queries whose exact product's title holds every query word) | "
                     + " | ".join(_fmt(m.get(t)) for t in types) + " |")
    return "\n".join(lines) + "\n"


def markdown(payload: dict) -> str:
    cfg = payload["config"]
    counts = payload["counts"]
    scale = "the whole test split" if cfg["intents"] is None and cfg["corpus_size"] is None else (
        f"a slice: {cfg['intents']} intents per split, corpus of {cfg['corpus_size']} products (seed {cfg['seed']})")
    rt = payload["runtime_s"]
    parts = [
        "# Product search: settings, lexical baselines, BM25, dense and hybrid",
        "",
        f"Data `{cfg['data']}`, {scale}: test {counts['test']['products']} products, {counts['test']['intents']} intents, "
        f"{counts['test']['queries']} queries, {counts['test']['paraphrases']} paraphrases; dev (train catalogue) "
        f"{counts['dev']['products']} products, {counts['dev']['intents']} intents. Student `{cfg['student']}`"
        + (f"; models: {', '.join(f'{k} = `{v}`' for k, v in cfg['models'].items())}" if cfg["models"] else "; no trained model") + ".",
        f"Written by `lira eval products-report` (seconds: {', '.join(f'{k} {v}' for k, v in rt.items())}"
        + (f"; texts encoded per dense model: {', '.join(f'{k} {v}' for k, v in payload.get('encoded_texts', {}).items())}" if payload.get("encoded_texts") else "")
        + f"; {payload.get('machine', 'machine not recorded')}).",
        "",
        "Settings:",
        "",
        *[f"* `{s}`: {payload['settings'][s]}" for s in _settings(payload)],
        "",
        "nDCG@10 is the mean over the 7 low-resource languages unless a column says otherwise. Hybrid rows fuse BM25's and the dense",
        "model's top 100: RRF (k = 60), or min-max-normalised scores weighted by a weight chosen on the dev split of the same setting",
        "(clean queries; the same weight is used under noise). In `lrl2en` the translated hybrid rows fuse the dense model with BM25 over",
        "the query translated with the lexicon instead (plain BM25 is near zero there), weight chosen on the dev split of `lrl2en`.",
        "Word-match coverage: share of queries whose exact product's title holds every query word (the lexical rows' rule; what plain",
        "word matching can find at all).",
        "",
        "## Summary (mean nDCG@10, 7 languages)",
        "",
        summary_table(payload),
        "## Targets",
        "",
        targets_table(payload),
    ]
    if payload.get("significance"):
        parts += ["## Significance", "", significance_markdown(payload)]
    if payload["weights"]:
        columns = _settings(payload)
        if any(f"{TRANSLATED}_translated" in by for by in payload["weights"].values()):
            columns = [*columns, f"{TRANSLATED}_translated"]
        parts += ["## Hybrid weights chosen on dev (weight of the dense side; dev mean nDCG@10 at 0 / 0.5 / 1)", "",
                  "| model | " + " | ".join(c.replace("_translated", " (lexicon-translated BM25)") for c in columns) + " |", "|---|" + "---|" * len(columns)]
        for key, by in payload["weights"].items():
            cells = []
            for s in columns:
                w = by.get(s)
                cells.append("–" if w is None else f"{w['weight']:g} ({w['dev_curve'].get('0', 0):.3f} / {w['dev_curve'].get('0.5', 0):.3f} / {w['dev_curve'].get('1', 0):.3f})")
            parts.append(f"| {payload['labels'].get(key, key)} | " + " | ".join(cells) + " |")
        parts.append("")
    for setting in _settings(payload):
        parts += [f"## `{setting}`: {payload['settings'][setting]}", "", "nDCG@10 per language:", "", setting_table(payload, setting)]
        types = type_table(payload, setting)
        if types:
            parts += ["nDCG@10 per query type (mean over the languages that have it):", "", types]
        for level in sorted({t for r in payload["results"].values() for t in r.get(setting, {}) if t != "0"}, key=float):
            parts += [f"Queries at noise {level}:", "", setting_table(payload, setting, level)]
    return "\n".join(parts).rstrip() + "\n"


def plot(payload: dict, path: Path) -> None:
    """A heat map of the summary: one row per lexical baseline, dense model and weighted hybrid (the
    RRF rows are left to the tables), one column per setting and noised setting, each cell the mean
    nDCG@10 of the 7 languages written in it. A map stays readable with a dozen models, where one bar
    per system per setting did not."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = [(st, 0.0) for st in _settings(payload)] + [(st, float(t)) for st, t in _noised_cells(payload)]
    systems = [s for s in _order(payload) if not s.endswith("rrf")]
    values = np.array([[np.nan if (v := _mean7(payload, s, st, lvl)) is None else v for st, lvl in columns] for s in systems], dtype=float)
    labels = [textwrap.fill(payload["labels"][s], 80) for s in systems]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    row = max(0.42, 0.12 * lines + 0.06)  # a row as tall as its longest label, so labels never overlap
    fig, ax = plt.subplots(figsize=(7.5 + 1.0 * len(columns), 1.5 + row * len(systems)))
    image = ax.imshow(np.ma.masked_invalid(values), cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for i, j in np.ndindex(values.shape):
        if not np.isnan(values[i, j]):
            ax.text(j, i, f"{values[i, j]:.3f}", ha="center", va="center", fontsize=7, color="black" if values[i, j] > 0.6 else "white")
    ax.set_xticks(range(len(columns)), [st if lvl == 0 else f"{st}\n@ noise {lvl:g}" for st, lvl in columns], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(systems)), labels, fontsize=7)
    ax.set_title("Product search, test split: mean nDCG@10 of the 7 languages\n(blank: not scored in that setting)", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")  # the long row labels stay inside the image
    plt.close(fig)


def write_report(payload: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{REPORT}.json").write_text(json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / f"{REPORT}.md").write_text(markdown(payload), encoding="utf-8")
    plot(payload, out / f"{REPORT}.png")


def render_from_json(out: str | Path) -> Path:
    """Redraw md and png from the folder's ``benchmark.json`` (targets recomputed; the significance
    tests too when the folder holds this data's per-query scores)."""
    out = Path(out)
    payload = json.loads((out / f"{REPORT}.json").read_text(encoding="utf-8"))
    payload["targets"] = targets(payload)
    per_query, query_keys = read_per_query(out, payload["data_fingerprint"])
    if per_query:
        payload["significance"] = significance_rows(payload, per_query, comparisons(payload, [tuple(p) for p in payload["config"].get("compare", [])]), query_keys)
    write_report(payload, out)
    return out / f"{REPORT}.md"
