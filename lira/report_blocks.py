"""Result blocks in README.md and docs/*.md, written from the committed reports by code.

A block is the text between ``<!-- lira:NAME -->`` and ``<!-- /lira:NAME -->``. ``lira report
readme`` rewrites every block from ``reports/*/results.json`` (and the reports' own Markdown), so
no number in the front page or the study pages is typed by hand; ``lira report readme --check``
(and ``tests/test_report_blocks.py``) fails when a committed block differs from what the command
would write, i.e. when a report was regenerated without the pages, or a page was edited by hand.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Callable

from lira.eval.generalization_report import parts_table, peers_table, runs_table
from lira.eval.tatoeba import REFERENCES, TATOEBA_LANGUAGES, reference_mean

_BLOCK = re.compile(r"(<!-- lira:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /lira:(?P=name) -->)", re.S)


def _load(root: Path, report: str) -> dict:
    return json.loads((root / "reports" / report / "results.json").read_text(encoding="utf-8"))


def _tatoeba_cells(t: dict[str, float]) -> list[str]:
    return [f"{t[f'{lang}/x2en/acc@1']:.3f}" for lang in TATOEBA_LANGUAGES] + [f"**{t['mean/x2en/acc@1']:.3f}**", f"{t['mean/en2x/acc@1']:.3f}"]


def headline(root: Path) -> str:
    """Tatoeba x→en per language (and both means) for the untrained student, the demo model, the
    study's main systems at both budgets (larger first), beside the published rows; with the
    out-of-domain dev accuracy where it was measured."""
    study = _load(root, "generalization")
    demo = _load(root, "demo")
    large = study["study"]["large_budget_steps"]
    base = study["study"]["lira"]["train"]["max_steps"]
    rows = [("multilingual-e5-small, untrained (offline 4-bit copy)", study["untrained"]["tatoeba"], study["untrained"]["dev"])]
    # The demo scores a smaller dev sample (100 pairs per language; accuracy@1 over fewer candidates is
    # higher), so its dev number is not comparable with the study's and is left out of this column.
    rows.append((f"**LiRA `lira demo`** ({demo['steps']} steps, CPU)", demo["metrics"]["tatoeba_after"], None))
    names = {"default_data_plus_gettext": "**LiRA default** = contrastive + agents and gate, Firefox + other catalogs",
             "contrastive_agents": "contrastive + agents and gate, Firefox pairs only", "peer_contrastive": "contrastive-only peer (LaBSE-style, transformer agent)",
             "peer_contrastive_catalogs": "contrastive-only peer on the default's data (Firefox + other catalogs)", "arca": "Arca, all terms (self anchor + geometry)",
             "peer_kd_mse": "KD-MSE peer (MiniLM teacher)", "teacher_minilm_agents": "LiRA before this study (MiniLM teacher, 3 agents)"}
    for steps in (large, base):
        for system, label in names.items():
            run = study["runs"].get(f"{system}-{steps}")
            if run is not None:
                rows.append((f"{label}, {steps} steps", run["tatoeba"], run["dev"]["end"]))
    lines = ["| model | " + " | ".join(TATOEBA_LANGUAGES) + " | mean x→en | mean en→x | out-of-domain dev (study sample) |", "|---|" + "---:|" * (len(TATOEBA_LANGUAGES) + 3)]
    for label, tatoeba, dev in rows:
        ood = "" if not dev else f"{(dev['out_of_domain/mean/x2en/acc@1'] + dev['out_of_domain/mean/en2x/acc@1']) / 2:.3f}"
        lines.append(f"| {label} | " + " | ".join(_tatoeba_cells(tatoeba)) + f" | {ood} |")
    for name, ref in REFERENCES.items():
        size = {"LaBSE": "471M", "multilingual-e5-small": "118M", "multilingual-e5-large": "560M"}[name]
        lines.append(f"| {name} ({size} parameters; published) | " + " | ".join(f"{ref[lang] / 100:.3f}" for lang in TATOEBA_LANGUAGES) + f" | {reference_mean(name, TATOEBA_LANGUAGES):.3f} | | |")
    return "\n".join(lines) + "\n"


def demo_table(root: Path) -> str:
    """The demo's own table and summary (``reports/demo/results.md``, written by ``lira demo``)."""
    return (root / "reports" / "demo" / "results.md").read_text(encoding="utf-8")


def generalization_runs(root: Path) -> str:
    """The study's runs at each budget (dev in and out of domain, Tatoeba, bootstrap vs the default)."""
    summary = json.loads((root / "reports" / "generalization" / "summary.json").read_text(encoding="utf-8"))
    return "\n".join(f"**{steps} steps**\n\n{runs_table(summary, steps)}" for steps in sorted(summary["rows"], key=int))


def generalization_parts(root: Path) -> str:
    """Which parts of Arca earn their place in the default, from the study's summary."""
    summary = json.loads((root / "reports" / "generalization" / "summary.json").read_text(encoding="utf-8"))
    return parts_table(summary["parts"], summary.get("parts_large"), summary.get("base_steps"), summary.get("large_steps"))


def generalization_peers(root: Path) -> str:
    """LiRA's default minus each peer at equal budget (dev, out-of-domain dev, Tatoeba with a bootstrap)."""
    summary = json.loads((root / "reports" / "generalization" / "summary.json").read_text(encoding="utf-8"))
    return peers_table(summary.get("default_vs_peers", []))


def generalization_leave_out(root: Path) -> str:
    """The leave-catalogs-out check (``scripts/catalog_leave_out.py`` writes the Markdown)."""
    return (root / "reports" / "generalization" / "leave_out.md").read_text(encoding="utf-8")


def generalization_agent_views(root: Path) -> str:
    """The default's model fused and with the transformer alone (``scripts/agent_views.py`` writes the Markdown)."""
    return (root / "reports" / "generalization" / "agent_views.md").read_text(encoding="utf-8")


def _section(path: Path, heading: str) -> str:
    """The body of one ``### heading`` section of a report's Markdown, up to the next heading."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"### {heading}\n") + len(f"### {heading}\n")
    end = text.find("\n#", start)
    return text[start : end if end != -1 else len(text)].strip("\n") + "\n"


def _recipe(model: dict) -> str:
    return f"`model.teacher: {model['teacher']}`, `model.agents: [{', '.join(model['agents'])}]`"


def parallel_counts(root: Path) -> str:
    """Pairs per language in each split of the shipped parallel corpus (counted in the files)."""
    base = root / "lira" / "resources" / "parallel"
    counts = {}
    for split in ("train", "dev", "test"):
        with gzip.open(base / f"{split}.jsonl.gz", "rt", encoding="utf-8") as f:
            counts[split] = Counter(json.loads(line)["lang"] for line in f if line.strip())
    core = [lang for lang in ("th", "vi", "id", "ms", "fil", "ur", "bn") if lang in counts["train"]]
    rest = sorted(set(counts["train"]) - set(core))
    lines = ["| | " + " | ".join(core) + f" | {len(rest)} more ({' '.join(rest)}) | all |", "|---|" + "---:|" * (len(core) + 2)]
    for split, c in counts.items():
        cells = [f"{c[lang]:,}" for lang in core] + [f"{sum(c[lang] for lang in rest):,}", f"{sum(c.values()):,}"]
        lines.append(f"| {split} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def products_table(root: Path) -> str:
    """The product-search baselines' tables (``reports/products/results.md``)."""
    return (root / "reports" / "products" / "results.md").read_text(encoding="utf-8")


_QUERY_TYPES = ["code_mixed", "misspelled", "numeral", "romanised", "short", "specific"]
_PRODUCT_DIAGNOSIS = [
    ("untrained student", "results.json#student"),
    ("Arca (product pairs)", "results.json#arca:product pairs"),
    ("− contrastive", "diagnosis/product_pairs_no_contrastive"),
    ("− char n-gram and romanised agents", "diagnosis/product_pairs_transformer_only"),
    ("student frozen (agents and gate only)", "diagnosis/product_pairs_frozen_student"),
    ("student learning rate 1e-5 (not 5e-5)", "diagnosis/product_pairs_lr1e-5"),
    ("agents' and gate's learning rate 1e-4 (not 1e-3)", "diagnosis/product_pairs_head_lr1e-4"),
    ("50 steps (not 250)", "diagnosis/product_pairs_steps50"),
    ("self-anchored (e5-small as its own teacher)", "self_anchor"),
    ("self-anchored − contrastive", "diagnosis/self_anchor_no_contrastive"),
    ("Arca (product pairs), titles scored as queries", "diagnosis/product_pairs_titles_as_queries"),
    ("untrained student, titles scored as queries", "diagnosis/student_titles_as_queries"),
]


def products_diagnosis(root: Path) -> str:
    """One row per product-search diagnosis run (``reports/products/``): nDCG@10 per language, the
    mean over the 7 languages, English, and per query type (mean over the languages that have it);
    the same table as ``scripts/products_table.py``."""
    base = root / "reports" / "products"
    header = ["system", "th", "vi", "id", "ms", "fil", "ur", "bn", "mean (7)", "en", *_QUERY_TYPES]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for label, spec in _PRODUCT_DIAGNOSIS:
        name, _, key = spec.partition("#")
        data = json.loads(((base / name) if key else (base / name / "products.json")).read_text(encoding="utf-8"))
        m = data["metrics"][key] if key else data
        langs = [m[f"{lang}/ndcg@10"] for lang in header[1:8]]
        types = [statistics.fmean(m[k] for lang in header[1:8] if (k := f"{lang}/{t}/ndcg@10") in m) for t in _QUERY_TYPES]
        lines.append(f"| {label} | " + " | ".join(f"{v:.3f}" for v in [*langs, statistics.fmean(langs), m["en/ndcg@10"], *types]) + " |")
    return "\n".join(lines) + "\n"


def products_benchmark(root: Path) -> str:
    """The product-search benchmark's summary and targets (``reports/products/benchmark.json``, written
    by ``lira eval products-report``): mean nDCG@10 per setting and noise level, then the targets."""
    from lira.eval.products_report import summary_table, targets_table

    payload = json.loads((root / "reports" / "products" / "benchmark.json").read_text(encoding="utf-8"))
    cfg = payload["config"]
    scale = "whole test split" if cfg["intents"] is None and cfg["corpus_size"] is None else (
        f"slice of {cfg['intents']} intents, corpus of {cfg['corpus_size']} products")
    rt = payload["runtime_s"]
    runtime = ", ".join(f"{k.removesuffix('_s')} {v:.0f} s" for k, v in rt.items() if k.endswith("_s") and k != "this_run_total_s")
    head = (f"Test split ({scale}); {payload['counts']['test']['products']} products, {payload['counts']['test']['queries']} queries, "
            f"{payload['counts']['test']['paraphrases']} paraphrases. Runtime of the committed run: {runtime} ({payload.get('machine', '')}).\n\n")
    return head + summary_table(payload) + "\n" + targets_table(payload)


def lasr_table(root: Path) -> str:
    """The LaSR study's table (``reports/lasr/results.md``, written by ``lira lasr study``)."""
    return (root / "reports" / "lasr" / "results.md").read_text(encoding="utf-8")


def lasr_consistency(root: Path) -> str:
    """What the consistency terms change at each k: consistency off → on, means over seeds."""
    summary = _load(root, "lasr")["summary"]
    by = {(r["k"], r["consistency"]): r for r in summary}
    cols = [("gap", "gap en−LRL ↓"), ("mean", "mean (LRL)"), ("noised_mean", "mean, noised inputs"), ("en", "en")]
    lines = ["| k | " + " | ".join(f"{label}: off → on" for _, label in cols) + " |", "|---:|" + "---|" * len(cols)]
    for k in sorted({r["k"] for r in summary}):
        off, on = by[(k, False)], by[(k, True)]
        lines.append(f"| {k} | " + " | ".join(f"{off[c][0]:.3f} → {on[c][0]:.3f} ({on[c][0] - off[c][0]:+.3f})" for c, _ in cols) + " |")
    return "\n".join(lines) + "\n"


def suite_recipe(root: Path) -> str:
    """The recipe the committed evaluation study trained with (``results.json``: suite → lira)."""
    lira = _load(root, "suite")["suite"]["lira"]
    t = lira["train"]
    a = lira["arca"]
    return (f"The committed report trained with {_recipe(lira['model'])}, "
            f"Arca's weights anchor {a['anchor_weight']:g}, English anchor {a['anchor_english_weight']:g}, contrastive {a['contrastive_weight']:g}, "
            f"geometry {a['geometry_weight']:g} ({a['geometry_mode']}), "
            f"`model.trainable_top_layers: {lira['model']['trainable_top_layers']}`, {t['max_steps']} steps of {t['batch_size']} pairs, "
            f"{lira['data']['max_train_pairs_per_language']} training pairs per language.\n")


def suite_clean(root: Path) -> str:
    """Every system on every task, clean inputs (a section of ``reports/suite/results.md``)."""
    return _section(root / "reports" / "suite" / "results.md", "Clean inputs: every system on every task")


_OLD_PEER_HEADING = "Arca + LaSR against the knowledge-distillation peer (KD-MSE), every task and noise level"
"""The peer table's heading in reports written before the suite compared several peers by bootstrap."""


def suite_peer(root: Path) -> str:
    """Arca + LaSR against the peers, every task and noise level (``reports/suite/results.md``;
    a report from before the peers and the bootstrap has the KD-MSE table under its old heading)."""
    from lira.eval.suite_report import PEER_HEADING

    md = root / "reports" / "suite" / "results.md"
    return _section(md, PEER_HEADING if f"### {PEER_HEADING}\n" in md.read_text(encoding="utf-8") else _OLD_PEER_HEADING)


def suite_sts(root: Path) -> str:
    """Similarity on the whole set and the hard subset against the word-overlap baseline
    (``reports/suite/results.md``); a report from before that table says so."""
    from lira.eval.suite_report import STS_HEADING

    md = root / "reports" / "suite" / "results.md"
    if f"### {STS_HEADING}\n" not in md.read_text(encoding="utf-8"):
        return "The committed report predates the word-overlap baseline and the hard subset: rerun the study (`lira eval suite --config configs/suite.yaml`) and `lira report readme`.\n"
    return _section(md, STS_HEADING)


def suite_noise_bitext(root: Path) -> str:
    """Bitext x→en accuracy@1 of every system at every noise level (``reports/suite/results.md``)."""
    return _section(root / "reports" / "suite" / "results.md", "Under noise: bitext x→en accuracy@1")


def suite_noise_terms(root: Path) -> str:
    """LiRA default with the noise terms on and off at every noise level, with verdicts
    (``reports/suite/results.md``); a report from before that system says so."""
    from lira.eval.suite_report import NOISE_TERMS_HEADING

    md = root / "reports" / "suite" / "results.md"
    if f"### {NOISE_TERMS_HEADING}\n" not in md.read_text(encoding="utf-8"):
        return "The committed report predates the noise-terms system (`lira_noise`): rerun the study (`lira eval suite --config configs/suite.yaml`) and `lira report readme`.\n"
    return _section(md, NOISE_TERMS_HEADING)


def suite_ablations(root: Path) -> str:
    """The ablations and variants of Arca + LaSR (``reports/suite/results.md``)."""
    md = root / "reports" / "suite" / "results.md"
    heading = next(line[4:] for line in md.read_text(encoding="utf-8").splitlines() if line.startswith("### Ablations and variants"))
    return _section(md, heading)


PRODUCT_SOUP = "greedy model soup of five 1,000-step runs (members chosen on product dev)"
PRODUCT_HEADLINE_MODELS = ("default recipe (lira demo)", "default + retrieval term", PRODUCT_SOUP)
"""The README's product rows: the demo model, the retrieval term at the demo's budget, and the product
model, the candidate with the best product dev score (scripts/products_report.sh; the others are in
docs/PRODUCTS.md)."""
PRODUCT_HEADLINE_NAMES = {PRODUCT_SOUP: "LiRA product model (greedy soup of 1,000-step runs)"}
"""Shorter names for the README's rows (the report's labels spell every setting out; the README's
prose says what the short name stands for)."""


def products_headline(root: Path) -> str:
    """The README's product-search summary: BM25 (plain and lexicon-translated), the untrained student,
    and ``PRODUCT_HEADLINE_MODELS``, dense and weighted hybrid (with BM25, and in ``lrl2en`` with the
    lexicon-translated BM25), from ``reports/products/benchmark.json``, under ``PRODUCT_HEADLINE_NAMES``."""
    from lira.eval.products_report import summary_table

    payload = json.loads((root / "reports" / "products" / "benchmark.json").read_text(encoding="utf-8"))
    keep = {"jaccard", "bm25", "bm25_translated", "student", "student+weighted", "student+translated_weighted"}
    for model in PRODUCT_HEADLINE_MODELS:
        keep |= {f"model:{model}", f"model:{model}+weighted", f"model:{model}+translated_weighted"}
    labels = dict(payload["labels"])
    for key, label in labels.items():
        for long, short in PRODUCT_HEADLINE_NAMES.items():
            label = label.replace(long, short)
        labels[key] = label
    return summary_table({**payload, "labels": labels}, sorted(keep))


def products_noise(root: Path) -> str:
    """Bitext under noise with a held-out kind (``reports/products/noise.json``, written by ``lira eval noise``)."""
    from lira.eval.noise_robustness import noise_markdown

    payload = json.loads((root / "reports" / "products" / "noise.json").read_text(encoding="utf-8"))
    return noise_markdown(payload["results"], **payload["meta"])


BLOCKS: dict[str, Callable[[Path], str]] = {
    "headline": headline,
    "demo": demo_table,
    "generalization-parts": generalization_parts,
    "generalization-leave-out": generalization_leave_out,
    "generalization-agent-views": generalization_agent_views,
    "generalization-peers": generalization_peers,
    "generalization-runs": generalization_runs,
    "parallel-counts": parallel_counts,
    "products": products_table,
    "products-diagnosis": products_diagnosis,
    "products-benchmark": products_benchmark,
    "products-noise": products_noise,
    "products-headline": products_headline,
    "lasr": lasr_table,
    "lasr-consistency": lasr_consistency,
    "suite-recipe": suite_recipe,
    "suite-clean": suite_clean,
    "suite-peer": suite_peer,
    "suite-sts": suite_sts,
    "suite-noise-bitext": suite_noise_bitext,
    "suite-noise-terms": suite_noise_terms,
    "suite-ablations": suite_ablations,
}


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def render_blocks(root: str | Path = ".", check: bool = False) -> list[str]:
    """Rewrite (or with ``check``, compare) every block; returns ``"page: block"`` for each block
    that changed (would change). An unknown block name is an error naming the page."""
    root = Path(root)
    changed: list[str] = []
    for page in pages(root):
        if not page.exists():
            continue
        text = page.read_text(encoding="utf-8")

        def fill(match: re.Match) -> str:
            name = match["name"]
            if name not in BLOCKS:
                raise ValueError(f"{page}: unknown result block {name!r}; known: {', '.join(BLOCKS)}")
            body = BLOCKS[name](root)
            if body != match["body"]:
                changed.append(f"{page.relative_to(root)}: {name}")
            return match.group(1) + body + match.group(4)

        new = _BLOCK.sub(fill, text)
        if new != text and not check:
            page.write_text(new, encoding="utf-8")
    return changed
