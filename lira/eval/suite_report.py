"""The evaluation suite's report: Markdown, HTML and plots, drawn from ``results.json`` alone.

``render_report(folder)`` reads the ``results.json`` that ``lira eval suite`` wrote and writes
``results.md``, ``results.html``, ``noise.png``, ``languages.png``, ``fewshot.png`` and
``ablations.png`` beside it (``lira eval suite --report-only`` redraws them). "Better" and "worse"
are the paired-bootstrap verdicts ``lira eval suite`` stored in ``results.json`` (``comparisons``);
a report from before those were stored shows "not tested".
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from lira.eval.suite import ABLATIONS, LEXICAL, NOISE_PAIR, PEERS, VARIANTS, level_tag

MAIN = ("teacher", "student", "kd_mse", "kd_mse_lasr", "peer_contrastive", "arca", "arca_lasr", "lira_default")
PEER_HEADING = "Arca + LaSR against the peers, every task and noise level"
STS_HEADING = "Semantic similarity: the whole set and the hard subset, against word overlap"


@dataclass(frozen=True)
class Metric:
    title: str
    short: str
    key: str
    """A template with ``{L}`` (noise level) and ``{s}`` (reasoning setting) / ``{lang}`` where they apply."""


BITEXT_X2EN = Metric("bitext x→en accuracy@1", "x→en acc@1", "bitext/{L}/mean/x2en/acc@1")
BITEXT_EN2X = Metric("bitext en→x accuracy@1", "en→x acc@1", "bitext/{L}/mean/en2x/acc@1")
PRODUCTS = Metric("product search nDCG@10 (low-resource queries)", "products nDCG@10", "products/{L}/lrl/ndcg@10")
PRODUCTS_EN = Metric("product search nDCG@10 (English queries)", "products nDCG@10 (en)", "products/{L}/en/ndcg@10")
STS_CROSS = Metric("similarity Spearman ρ, x vs English", "STS ρ x–en", "sts/{L}/mean/cross/spearman")
STS_MONO = Metric("similarity Spearman ρ, x vs x", "STS ρ x–x", "sts/{L}/mean/mono/spearman")
STS_CROSS_HARD = Metric("similarity Spearman ρ, x vs English, hard subset", "STS hard ρ x–en", "sts/{L}/mean/cross/hard/spearman")
STS_MONO_HARD = Metric("similarity Spearman ρ, x vs x, hard subset", "STS hard ρ x–x", "sts/{L}/mean/mono/hard/spearman")
REASONING = Metric("reasoning (ESCI) macro-F1, low-resource mean, {setting}", "reasoning F1 {setting}", "reasoning/{s}/{L}/mean/macro_f1")
GAP = Metric("reasoning gap, English minus low-resource macro-F1 (lower is better), {setting}", "reasoning gap {setting} ↓", "reasoning/{s}/{L}/mean/gap/macro_f1")
PER_LANGUAGE = {
    "bitext x→en accuracy@1": "bitext/{L}/{lang}/x2en/acc@1",
    "product search nDCG@10": "products/{L}/{lang}/ndcg@10",
    "similarity Spearman ρ (x vs English)": "sts/{L}/{lang}/cross/spearman",
    "reasoning macro-F1 ({setting})": "reasoning/{s}/{L}/{lang}/macro_f1",
}


def setting_label(tag: str) -> str:
    """How a reader sees a reasoning setting: ``zs`` zero-shot, ``k0`` translate-train, ``k8`` k=8."""
    if tag == "zs":
        return "zero-shot"
    if tag == "k0":
        return "translate-train (k=0)"
    return f"k={tag[1:]}"


class Report:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.summary: dict[str, dict[str, list[float]]] = payload["summary"]
        self.systems: dict[str, dict[str, str]] = payload["systems"]
        suite = payload["suite"]
        self.levels: list[float] = suite["noise_levels"]
        self.ks: list[int] = suite["few_shot_ks"]
        self.seeds: list[int] = suite["seeds"]
        self.languages: list[str] = payload["languages"]
        self.settings: list[str] = (["zs"] if suite.get("zero_shot") else []) + [f"k{k}" for k in self.ks]
        """Reasoning settings by metric tag, as ``SuiteConfig.reasoning_settings`` orders them."""
        self.s0 = f"k{self.ks[0]}"
        """The first few-shot setting (translate-train when k=0 is run): the headline's reasoning column."""
        self.comparisons: dict[str, dict[str, dict[str, Any]]] = payload.get("comparisons", {})
        self.hard = any("/hard/" in key for values in self.summary.values() for key in values)

    def key(self, metric: Metric | str, level: float = 0.0, s: str | None = None, lang: str = "") -> str:
        template = metric.key if isinstance(metric, Metric) else metric
        return template.format(L=level_tag(level), s=self.s0 if s is None else s, lang=lang)

    def title(self, metric: Metric, s: str | None = None, short: bool = False) -> str:
        return (metric.short if short else metric.title).format(setting=setting_label(self.s0 if s is None else s))

    def get(self, system: str, key: str) -> tuple[float, float] | None:
        value = self.summary.get(system, {}).get(key)
        return None if value is None else (value[0], value[1])

    def cell(self, system: str, key: str, delta_to: str | None = None) -> str:
        value = self.get(system, key)
        if value is None:
            return "–"
        if delta_to is not None:
            base = self.get(delta_to, key)
            if base is None:
                return "–"
            return f"{value[0] - base[0]:+.3f}"
        if self.systems.get(system, {}).get("kind") == "baseline":
            return f"{value[0]:.3f}"
        return f"{value[0]:.3f} ± {value[1]:.3f}"

    def verdict(self, ours: str, theirs: str, key: str) -> dict[str, Any] | None:
        return self.comparisons.get(f"{ours}|{theirs}", {}).get(key)

    def label(self, system: str) -> str:
        return self.systems[system]["label"]

    def present(self, names: Sequence[str]) -> list[str]:
        return [n for n in names if n in self.systems]

    def models(self) -> list[str]:
        """Every system but the no-model baselines."""
        return [s for s, v in self.systems.items() if v.get("kind") != "baseline"]


# ------------------------------------------------------------------------------------------
# Tables (one structure, rendered to Markdown and HTML).
# ------------------------------------------------------------------------------------------


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def _verdict_cell(result: dict[str, Any] | None, ours: tuple[float, float] | None = None, theirs: tuple[float, float] | None = None) -> str:
    if result is None:
        return f"{ours[0] - theirs[0]:+.3f} (not tested)" if ours and theirs else "not tested"
    p = result["p"]
    return f"{result['delta']:+.3f} ({result['verdict']}, p {'< 0.001' if p < 0.001 else f'= {p:.3f}'})"


def bootstrap_note(r: Report) -> str:
    """Which test decides better / worse, on how many items and resamples (from ``results.json``)."""
    facts = r.payload.get("bootstrap")
    if not facts:
        return "This report predates item-level results: no verdicts (rerun the study to test them)."
    items = facts["items_per_language"]
    counts = "; ".join(f"{task} {min(v.values())}–{max(v.values())}" if min(v.values()) != max(v.values()) else f"{task} {min(v.values())}"
                       for task, v in items.items() if v)
    return (f"Verdicts: {facts['test']}, {facts['samples']} resamples; each draws every language's test items and the seeds {facts['seeds']} "
            f"with replacement, the same draw for both systems, and recomputes the reported statistic (mean over languages of accuracy@1, "
            f"nDCG@10, Spearman's ρ or macro-F1). Better / worse: two-sided p < {facts['alpha']} (no correction for the number of comparisons); "
            f"else within noise. Test items per language: {counts}.")


def headline_table(r: Report) -> Table:
    kmax = f"k{max(r.ks)}"
    metrics = [BITEXT_X2EN, BITEXT_EN2X, PRODUCTS, PRODUCTS_EN, STS_CROSS, STS_MONO] + ([STS_CROSS_HARD, STS_MONO_HARD] if r.hard else [])
    reasoning = ([(REASONING, "zs")] if "zs" in r.settings else []) + [(REASONING, r.s0), (GAP, r.s0)] + ([(REASONING, kmax)] if kmax != r.s0 else [])
    header = ["system", *(m.short for m in metrics), *(r.title(m, s, short=True) for m, s in reasoning)]
    rows = []
    for s in r.systems:
        cells = [r.cell(s, r.key(m)) for m in metrics] + [r.cell(s, r.key(m, s=tag)) for m, tag in reasoning]
        rows.append([r.label(s), *cells])
    return Table("Clean inputs: every system on every task", header, rows,
                 f"Mean ± std over seeds {r.seeds}. Teacher and student are not trained, so their retrieval and similarity std is 0 and their reasoning std comes from the head's seeds only."
                 + (f" '{LEXICAL_NOTE}'" if LEXICAL in r.systems else ""))


LEXICAL_NOTE = "word overlap' is whitespace-token Jaccard with no model, on the similarity task only"


def sts_table(r: Report) -> Table | None:
    """Every system and the word-overlap baseline on the whole similarity set and its hard subset, clean."""
    if LEXICAL not in r.systems:
        return None
    metrics = [STS_CROSS, STS_MONO] + ([STS_CROSS_HARD, STS_MONO_HARD] if r.hard else [])
    header = ["system", *(m.short for m in metrics), *(f"vs word overlap: {m.short}" for m in metrics)]
    rows = [[r.label(LEXICAL), *(r.cell(LEXICAL, r.key(m)) for m in metrics), *([""] * len(metrics))]]
    for s in r.models():
        rows.append([r.label(s), *(r.cell(s, r.key(m)) for m in metrics), *(_verdict_cell(r.verdict(s, LEXICAL, r.key(m)), r.get(s, r.key(m)), r.get(LEXICAL, r.key(m))) for m in metrics)])
    counts = r.payload.get("data", {})
    hard = (f" The hard subset ({counts.get('sts_hard_pairs', '?')} of {counts.get('sts_pairs', '?')} pairs) is where word overlap and meaning disagree by construction "
            "(lira/data/sts.py): paraphrases, the same product worded otherwise (another template, lexicon synonyms, the unit spelled out, native digits, "
            "code-mixing or romanisation where needed; monolingual word overlap at most 0.5; grade 5), and near misses, the same title template with one "
            "attribute or the category changed (monolingual word overlap at least 0.5; graded by the rule, 1–4)." if r.hard else "")
    return Table(STS_HEADING, header, rows,
                 "Clean inputs, mean ± std over seeds; Δ is the system minus word overlap." + hard + " " + bootstrap_note(r))


def noise_tables(r: Report) -> list[Table]:
    tables = []
    for metric in (BITEXT_X2EN, PRODUCTS, STS_CROSS, REASONING):
        header = ["system", *(f"noise {level_tag(level)}" for level in r.levels), f"change 0→{level_tag(max(r.levels))}"]
        rows = []
        for s in r.systems:
            cells = [r.cell(s, r.key(metric, level)) for level in r.levels]
            clean, noisy = r.get(s, r.key(metric, 0.0)), r.get(s, r.key(metric, max(r.levels)))
            if clean is None and noisy is None:
                continue
            cells.append(f"{noisy[0] - clean[0]:+.3f}" if clean and noisy else "–")
            rows.append([r.label(s), *cells])
        tables.append(Table(f"Under noise: {r.title(metric)}", header, rows))
    return tables


def peer_table(r: Report) -> Table | None:
    peers = [p for p in PEERS if p in r.systems]
    if "arca_lasr" not in r.systems or not peers:
        return None
    rows = []
    metrics = [(m, None) for m in (BITEXT_X2EN, BITEXT_EN2X, PRODUCTS, STS_CROSS, STS_MONO) + ((STS_CROSS_HARD, STS_MONO_HARD) if r.hard else ())]
    metrics += [(REASONING, s) for s in r.settings]
    tallies = {p: {"better": 0, "worse": 0, "within noise": 0, "not tested": 0} for p in peers}
    for metric, setting in metrics:
        for level in r.levels:
            key = r.key(metric, level, s=setting)
            ours = r.get("arca_lasr", key)
            if ours is None:
                continue
            values, verdicts = [], []
            for p in peers:
                theirs = r.get(p, key)
                values.append(f"{theirs[0]:.3f} ± {theirs[1]:.3f}" if theirs else "–")
                result = r.verdict("arca_lasr", p, key)
                tallies[p][result["verdict"] if result else "not tested"] += 1
                verdicts.append(_verdict_cell(result, ours, theirs))
            rows.append([r.title(metric, setting), level_tag(level), *values, f"{ours[0]:.3f} ± {ours[1]:.3f}", *verdicts])
    tally = "; ".join(f"vs {r.label(p)}: " + ", ".join(f"{name} {n}" for name, n in tallies[p].items() if n or name != "not tested") for p in peers)
    return Table(PEER_HEADING, ["task", "noise", *(r.label(p) for p in peers), "Arca + LaSR", *(f"Arca + LaSR − {r.label(p)}" for p in peers)], rows,
                 f"Out of {len(rows)} comparisons per peer, Arca + LaSR is: {tally}. KD-MSE and KD-MSE + LaSR head share one encoder (equal retrieval and "
                 "similarity); KD-MSE + LaSR head and Arca + LaSR train the same head with the same consistency terms, so their reasoning difference is the "
                 "encoder's. Mean ± std over seeds. " + bootstrap_note(r))


NOISE_TERMS_HEADING = "Noise terms on and off: LiRA default with and without noise-robust anchoring"


def noise_terms_table(r: Report) -> Table | None:
    """``lira_noise`` against ``lira_default`` (the same recipe, the noise terms on and off) on the
    retrieval, similarity and reasoning metrics at every noise level, with the paired-bootstrap verdict."""
    on, off = NOISE_PAIR
    if on not in r.systems or off not in r.systems:
        return None
    rows = []
    tallies = {"better": 0, "worse": 0, "within noise": 0}
    for metric, setting in [(m, None) for m in (BITEXT_X2EN, BITEXT_EN2X, PRODUCTS, STS_CROSS, STS_MONO)] + [(REASONING, s) for s in r.settings]:
        for level in r.levels:
            key = r.key(metric, level, s=setting)
            ours, theirs = r.get(on, key), r.get(off, key)
            if ours is None or theirs is None:
                continue
            result = r.verdict(on, off, key)
            if result is not None:
                tallies[result["verdict"]] += 1
            rows.append([r.title(metric, setting), level_tag(level), r.cell(off, key), r.cell(on, key), _verdict_cell(result, ours, theirs)])
    tally = ", ".join(f"{name} {n}" for name, n in tallies.items())
    return Table(NOISE_TERMS_HEADING, ["task", "noise", r.label(off), r.label(on), "change"], rows,
                 f"Out of {len(rows)} comparisons, the noise terms make LiRA default: {tally}. The test noise includes swapped characters, "
                 "a kind held out of the noise terms' training copies. Mean ± std over seeds. " + bootstrap_note(r))


def ablation_table(r: Report) -> Table | None:
    ablations = r.present(ABLATIONS + VARIANTS)
    if "arca_lasr" not in r.systems or not ablations:
        return None
    top = max(r.levels)
    columns = [(m, 0.0) for m in (BITEXT_X2EN, PRODUCTS, STS_CROSS, REASONING)] + [(m, top) for m in (BITEXT_X2EN, PRODUCTS, STS_CROSS, REASONING)]
    header = ["system", *(f"{r.title(m, short=True)} @{level_tag(level)}" for m, level in columns)]
    rows = [[r.label("arca_lasr"), *(r.cell("arca_lasr", r.key(m, level)) for m, level in columns)]]
    for s in ablations:
        rows.append([r.label(s), *(r.cell(s, r.key(m, level), delta_to="arca_lasr") for m, level in columns)])
    variants = " 'geometry: correlation' keeps every term but matches the pattern of the teacher's similarities instead of their values." if "geometry_correlation" in ablations else ""
    return Table("Ablations and variants of Arca + LaSR (first row absolute, the others as a change from it; @ gives the noise level)", header, rows,
                 "A negative change means the switched-off part helped. '− consistency' is Arca's encoder with the head trained by the task loss alone (the Arca row)." + variants)


def few_shot_table(r: Report) -> Table:
    header = ["system", *(f"F1 {setting_label(s)}" for s in r.settings), *(f"gap {setting_label(s)} ↓" for s in r.settings)]
    rows = []
    for s in r.models():
        rows.append([r.label(s), *(r.cell(s, r.key(REASONING, s=t)) for t in r.settings), *(r.cell(s, r.key(GAP, s=t)) for t in r.settings)])
    zero = ("Zero-shot: the head is trained on the English rows alone (no low-resource row of the task, labelled or not). " if "zs" in r.settings else "")
    return Table("Reasoning settings, clean inputs", header, rows,
                 zero + "Translate-train (k=0): English labelled; the low-resource rows are translations of the labelled English rows, unlabelled, "
                 "and the consistency terms (systems with LaSR) carry the labels across; a head without those terms never reads unlabelled rows, so its "
                 "translate-train and zero-shot heads see the same data. k=N: N labelled rows per low-resource language as well.")


def language_tables(r: Report) -> list[Table]:
    tables = []
    for title, template in PER_LANGUAGE.items():
        title = title.format(setting=setting_label(r.s0))
        rows = [[r.label(s), *(f"{v[0]:.3f}" if (v := r.get(s, template.format(L="0", s=r.s0, lang=lang))) else "–" for lang in r.languages)]
                for s in r.systems if any(r.get(s, template.format(L="0", s=r.s0, lang=lang)) for lang in r.languages)]
        tables.append(Table(f"Per language, clean: {title} (mean over seeds)", ["system", *r.languages], rows))
    return tables


def all_tables(r: Report) -> list[Table]:
    tables = [headline_table(r)]
    tables += [t for t in (peer_table(r), sts_table(r), ablation_table(r), noise_terms_table(r)) if t is not None]
    tables += noise_tables(r)
    tables.append(few_shot_table(r))
    tables += language_tables(r)
    return tables


def _md_table(t: Table) -> str:
    lines = [f"### {t.title}", "", "| " + " | ".join(t.header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(t.header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in t.rows]
    if t.note:
        lines += ["", t.note]
    return "\n".join(lines) + "\n"


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    note = f"<p class='note'>{html.escape(t.note)}</p>" if t.note else ""
    return f"<h3>{html.escape(t.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def intro_lines(r: Report) -> list[str]:
    p = r.payload
    suite = p["suite"]
    base = suite["lira"]
    lines = [
        f"Command: `lira eval suite --config configs/{suite['name']}.yaml` (redraw: `--report-only`). Wall time {p['seconds'] / 60:.1f} min.",
        "",
        f"Languages: {', '.join(r.languages)}. Seeds: {r.seeds}. Noise levels: {r.levels} (typos, zero-width characters, tone and diacritic removal for vi/th, "
        "romanisation for non-Latin scripts, code-mixing from the product lexicon), on the low-resource side only. "
        "Reasoning: " + ", ".join(setting_label(t) for t in r.settings) + ".",
        "",
        f"Trained systems: student `{base['model']['student']}`, "
        + ("self anchor (the untrained student's own English; `model.teacher: self`)" if base["model"]["teacher"] == "self" else f"teacher `{base['model']['teacher']}`")
        + f", top {base['model']['trainable_top_layers']} layers trained, "
        f"{base['train']['max_steps']} steps of {base['train']['batch_size']} pairs from {base['data']['max_train_pairs_per_language']} shipped Firefox pairs per language "
        "(the same pairs for every seed and system; the seed sets order and initialisation).",
        "",
        "Data: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in p["data"].items()) + ".",
        *(["", "Trained encoders (one per seed per group; the systems of a group differ in the reasoning head only): "
           + "; ".join(" = ".join(group) for group in p["shared_encoders"]) + "."] if p.get("shared_encoders") else []),
        "",
        "Systems:",
        "",
    ]
    lines += [f"- **{v['label']}** (`{name}`): {v['description']}" for name, v in r.systems.items()]
    return lines


def render_report(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    path = out / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing; run `lira eval suite` first")
    r = Report(json.loads(path.read_text(encoding="utf-8")))
    tables = all_tables(r)
    plots = plot_all(r, out)
    md = ["# LiRA evaluation study", "", *intro_lines(r), ""]
    md += [f"![{name}]({name})" for name in plots] + [""]
    md += [_md_table(t) for t in tables]
    (out / "results.md").write_text("\n".join(md), encoding="utf-8")
    intro_html = "".join(f"<p>{html.escape(line)}</p>" for line in intro_lines(r) if line and not line.startswith("- "))
    items = "".join(f"<li>{html.escape(line[2:])}</li>" for line in intro_lines(r) if line.startswith("- "))
    images = "".join(f"<figure><img src='{name}' alt='{name}'></figure>" for name in plots)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}thead{background:#f0f3f7}img{max-width:100%}.note{color:#555;font-size:0.9em}"
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>LiRA evaluation study</title><style>{style}</style></head><body>"
        f"<h1>LiRA evaluation study</h1>{intro_html}<ul>{items}</ul>{images}{''.join(_html_table(t) for t in tables)}</body></html>\n"
    )
    (out / "results.html").write_text(page, encoding="utf-8")
    return out / "results.md"


# ------------------------------------------------------------------------------------------
# Plots.
# ------------------------------------------------------------------------------------------

COLOURS = {"teacher": "#7f7f7f", "student": "#bcbd22", "kd_mse": "#d62728", "kd_mse_lasr": "#ff9896", "peer_contrastive": "#ff7f0e",
           "arca": "#6baed6", "arca_lasr": "#08519c", "lira_default": "#2ca02c", LEXICAL: "#000000"}


def _style(system: str) -> dict[str, Any]:
    if system in COLOURS:
        return {"color": COLOURS[system], "linewidth": 2.2 if system in ("arca_lasr", "kd_mse") else 1.5}
    return {"linestyle": "--", "linewidth": 1.0, "alpha": 0.8}


def plot_all(r: Report, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = []
    # Score against noise level, per task.
    fig, axes = plt.subplots(1, 4, figsize=(20, 4.4))
    for ax, metric in zip(axes, (BITEXT_X2EN, PRODUCTS, STS_CROSS, REASONING)):
        for s in r.systems:
            if s == "minus_consistency" and "arca" in r.systems:
                continue  # the same numbers as Arca
            values = [r.get(s, r.key(metric, level)) for level in r.levels]
            if any(v is None for v in values):
                continue
            means, stds = np.array([v[0] for v in values]), np.array([v[1] for v in values])  # type: ignore[index]
            ax.errorbar(r.levels, means, yerr=stds, label=r.label(s), capsize=2, marker="o", markersize=3, **_style(s))
        ax.set_title(r.title(metric), fontsize=10)
        ax.set_xlabel("noise level (low-resource side)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "noise.png", dpi=100)
    plt.close(fig)
    names.append("noise.png")

    # Per-language bars, clean.
    shown = r.present(MAIN)
    fig, axes = plt.subplots(1, 4, figsize=(22, 4.4))
    x = np.arange(len(r.languages))
    width = 0.8 / max(1, len(shown))
    for ax, (title, template) in zip(axes, PER_LANGUAGE.items()):
        title = title.format(setting=setting_label(r.s0))
        for i, s in enumerate(shown):
            vals = [r.get(s, template.format(L="0", s=r.s0, lang=lang)) for lang in r.languages]
            ax.bar(x + (i - (len(shown) - 1) / 2) * width, [v[0] if v else 0 for v in vals], width, yerr=[v[1] if v else 0 for v in vals],
                   label=r.label(s), color=COLOURS.get(s), capsize=1.5)
        ax.set_xticks(x, r.languages)
        ax.set_title(title + ", clean", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "languages.png", dpi=100)
    plt.close(fig)
    names.append("languages.png")

    # Reasoning settings: zero-shot, translate-train, k-shot.
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    x = np.arange(len(r.settings))
    for s in r.models():
        if s == "minus_consistency" and "arca" in r.systems:
            continue
        for ax, metric in zip(axes, (REASONING, GAP)):
            values = [r.get(s, r.key(metric, s=t)) for t in r.settings]
            if any(v is None for v in values):
                continue
            ax.errorbar(x, [v[0] for v in values], yerr=[v[1] for v in values], label=r.label(s), capsize=2, marker="o", markersize=3, **_style(s))  # type: ignore[index]
    axes[0].set_title("reasoning macro-F1, low-resource mean (clean)", fontsize=10)
    axes[1].set_title("gap: English minus low-resource F1 (lower is better)", fontsize=10)
    for ax in axes:
        ax.set_xlabel("setting (low-resource rows the head sees)")
        ax.set_xticks(x, [setting_label(t) for t in r.settings])
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "fewshot.png", dpi=100)
    plt.close(fig)
    names.append("fewshot.png")

    ablations = r.present(ABLATIONS + VARIANTS)
    if ablations and "arca_lasr" in r.systems:
        top = max(r.levels)
        columns = [(m, level) for level in (0.0, top) for m in (BITEXT_X2EN, PRODUCTS, STS_CROSS, REASONING)]
        fig, ax = plt.subplots(figsize=(12, 4.6))
        y = np.arange(len(columns))
        height = 0.8 / len(ablations)
        for i, s in enumerate(ablations):
            deltas = []
            for m, level in columns:
                a, b = r.get(s, r.key(m, level)), r.get("arca_lasr", r.key(m, level))
                deltas.append(a[0] - b[0] if a and b else 0.0)
            ax.barh(y + (i - (len(ablations) - 1) / 2) * height, deltas, height, label=r.label(s))
        ax.set_yticks(y, [f"{r.title(m, short=True)} @ noise {level_tag(level)}" for m, level in columns])
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("change from Arca + LaSR (negative: the removed or changed part helped)")
        ax.legend(fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        fig.savefig(out / "ablations.png", dpi=100)
        plt.close(fig)
        names.append("ablations.png")
    return names
