"""The evaluation suite's report: Markdown, HTML and plots, drawn from ``results.json`` alone.

``render_report(folder)`` reads the ``results.json`` that ``lira eval suite`` wrote and writes
``results.md``, ``results.html``, ``noise.png``, ``languages.png``, ``fewshot.png`` and
``ablations.png`` beside it (``lira eval suite --report-only`` redraws them).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from lira.eval.suite import ABLATIONS, VARIANTS, level_tag

MAIN = ("teacher", "student", "kd_mse", "arca", "arca_lasr")


@dataclass(frozen=True)
class Metric:
    title: str
    short: str
    key: str
    """A template with ``{L}`` (noise level) and ``{k}`` / ``{lang}`` where they apply."""


BITEXT_X2EN = Metric("bitext x→en accuracy@1", "x→en acc@1", "bitext/{L}/mean/x2en/acc@1")
BITEXT_EN2X = Metric("bitext en→x accuracy@1", "en→x acc@1", "bitext/{L}/mean/en2x/acc@1")
PRODUCTS = Metric("product search nDCG@10 (low-resource queries)", "products nDCG@10", "products/{L}/lrl/ndcg@10")
PRODUCTS_EN = Metric("product search nDCG@10 (English queries)", "products nDCG@10 (en)", "products/{L}/en/ndcg@10")
STS_CROSS = Metric("similarity Spearman ρ, x vs English", "STS ρ x–en", "sts/{L}/mean/cross/spearman")
STS_MONO = Metric("similarity Spearman ρ, x vs x", "STS ρ x–x", "sts/{L}/mean/mono/spearman")
REASONING = Metric("reasoning (ESCI) macro-F1, low-resource mean, k={k}", "reasoning F1 k={k}", "reasoning/k{k}/{L}/mean/macro_f1")
GAP = Metric("reasoning gap, English minus low-resource macro-F1 (lower is better), k={k}", "reasoning gap k={k} ↓", "reasoning/k{k}/{L}/mean/gap/macro_f1")
PER_LANGUAGE = {
    "bitext x→en accuracy@1": "bitext/{L}/{lang}/x2en/acc@1",
    "product search nDCG@10": "products/{L}/{lang}/ndcg@10",
    "similarity Spearman ρ (x vs English)": "sts/{L}/{lang}/cross/spearman",
    "reasoning macro-F1 (k=0)": "reasoning/k0/{L}/{lang}/macro_f1",
}


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
        self.k0 = self.ks[0]

    def key(self, metric: Metric | str, level: float = 0.0, k: int | None = None, lang: str = "") -> str:
        template = metric.key if isinstance(metric, Metric) else metric
        return template.format(L=level_tag(level), k=self.k0 if k is None else k, lang=lang)

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
        return f"{value[0]:.3f} ± {value[1]:.3f}"

    def label(self, system: str) -> str:
        return self.systems[system]["label"]

    def present(self, names: Sequence[str]) -> list[str]:
        return [n for n in names if n in self.systems]


# ------------------------------------------------------------------------------------------
# Tables (one structure, rendered to Markdown and HTML).
# ------------------------------------------------------------------------------------------


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def headline_table(r: Report) -> Table:
    kmax = max(r.ks)
    metrics = [BITEXT_X2EN, BITEXT_EN2X, PRODUCTS, PRODUCTS_EN, STS_CROSS, STS_MONO]
    header = ["system", *(m.short for m in metrics), f"reasoning F1 k={r.k0}", f"gap k={r.k0} ↓", f"reasoning F1 k={kmax}"]
    rows = []
    for s in r.systems:
        cells = [r.cell(s, r.key(m)) for m in metrics]
        cells += [r.cell(s, r.key(REASONING, k=r.k0)), r.cell(s, r.key(GAP, k=r.k0)), r.cell(s, r.key(REASONING, k=kmax))]
        rows.append([r.label(s), *cells])
    return Table("Clean inputs: every system on every task", header, rows,
                 f"Mean ± std over seeds {r.seeds}. Teacher and student are not trained, so their retrieval and similarity std is 0 and their reasoning std comes from the head's seeds only.")


def noise_tables(r: Report) -> list[Table]:
    tables = []
    for metric in (BITEXT_X2EN, PRODUCTS, STS_CROSS, REASONING):
        header = ["system", *(f"noise {level_tag(level)}" for level in r.levels), f"change 0→{level_tag(max(r.levels))}"]
        rows = []
        for s in r.systems:
            cells = [r.cell(s, r.key(metric, level)) for level in r.levels]
            clean, noisy = r.get(s, r.key(metric, 0.0)), r.get(s, r.key(metric, max(r.levels)))
            cells.append(f"{noisy[0] - clean[0]:+.3f}" if clean and noisy else "–")
            rows.append([r.label(s), *cells])
        tables.append(Table(f"Under noise: {metric.title.format(k=r.k0)}", header, rows))
    return tables


def significance(a: tuple[float, float], b: tuple[float, float], n: int) -> str:
    """'better' / 'worse' when |Δ| exceeds twice its standard error over seeds, else 'within noise'."""
    delta = a[0] - b[0]
    se = math.sqrt((a[1] ** 2 + b[1] ** 2) / max(n, 1))
    if abs(delta) > 2 * se and abs(delta) >= 0.001:
        return "Arca + LaSR better" if delta > 0 else "peer better"
    return "within noise"


def peer_table(r: Report) -> Table | None:
    if "kd_mse" not in r.systems or "arca_lasr" not in r.systems:
        return None
    rows = []
    metrics = [(m, r.k0) for m in (BITEXT_X2EN, BITEXT_EN2X, PRODUCTS, STS_CROSS, STS_MONO)] + [(REASONING, k) for k in r.ks]
    for metric, k in metrics:
        for level in r.levels:
            key = r.key(metric, level, k=k)
            peer, ours = r.get("kd_mse", key), r.get("arca_lasr", key)
            if peer is None or ours is None:
                continue
            title = metric.title.format(k=k)
            verdict = significance(ours, peer, len(r.seeds))
            rows.append([title, level_tag(level), f"{peer[0]:.3f} ± {peer[1]:.3f}", f"{ours[0]:.3f} ± {ours[1]:.3f}", f"{ours[0] - peer[0]:+.3f}", verdict])
    verdicts = [row[-1] for row in rows]
    tally = ", ".join(f"{name}: {verdicts.count(name)}" for name in ("Arca + LaSR better", "peer better", "within noise"))
    return Table("Arca + LaSR against the knowledge-distillation peer (KD-MSE), every task and noise level",
                 ["task", "noise", "KD-MSE peer", "Arca + LaSR", "Δ", "verdict"], rows,
                 f"Out of {len(rows)} comparisons: {tally}. Verdict: better when |Δ| is more than twice its standard error over {len(r.seeds)} seeds "
                 "(sqrt((s₁² + s₂²)/n)), else within noise.")


def ablation_table(r: Report) -> Table | None:
    ablations = r.present(ABLATIONS + VARIANTS)
    if "arca_lasr" not in r.systems or not ablations:
        return None
    top = max(r.levels)
    columns = [(m, 0.0) for m in (BITEXT_X2EN, PRODUCTS, STS_CROSS, REASONING)] + [(m, top) for m in (BITEXT_X2EN, PRODUCTS, STS_CROSS, REASONING)]
    header = ["system", *(f"{m.short.format(k=r.k0)} @{level_tag(level)}" for m, level in columns)]
    rows = [[r.label("arca_lasr"), *(r.cell("arca_lasr", r.key(m, level)) for m, level in columns)]]
    for s in ablations:
        rows.append([r.label(s), *(r.cell(s, r.key(m, level), delta_to="arca_lasr") for m, level in columns)])
    variants = " 'geometry: correlation' keeps every term but matches the pattern of the teacher's similarities instead of their values." if "geometry_correlation" in ablations else ""
    return Table("Ablations and variants of Arca + LaSR (first row absolute, the others as a change from it; @ gives the noise level)", header, rows,
                 "A negative change means the switched-off part helped. '− consistency' is Arca's encoder with the head trained by the task loss alone (the Arca row)." + variants)


def few_shot_table(r: Report) -> Table:
    header = ["system", *(f"F1 k={k}" for k in r.ks), *(f"gap k={k} ↓" for k in r.ks)]
    rows = []
    for s in r.systems:
        rows.append([r.label(s), *(r.cell(s, r.key(REASONING, k=k)) for k in r.ks), *(r.cell(s, r.key(GAP, k=k)) for k in r.ks)])
    return Table("Few-shot reasoning: k labelled examples per low-resource language (English fully labelled), clean inputs", header, rows)


def language_tables(r: Report) -> list[Table]:
    tables = []
    for title, template in PER_LANGUAGE.items():
        rows = [[r.label(s), *(f"{v[0]:.3f}" if (v := r.get(s, template.format(L="0", lang=lang))) else "–" for lang in r.languages)] for s in r.systems]
        tables.append(Table(f"Per language, clean: {title} (mean over seeds)", ["system", *r.languages], rows))
    return tables


def all_tables(r: Report) -> list[Table]:
    tables = [headline_table(r)]
    tables += [t for t in (peer_table(r), ablation_table(r)) if t is not None]
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
        f"Few-shot k: {r.ks}.",
        "",
        f"Trained systems: student `{base['model']['student']}`, teacher `{base['model']['teacher']}`, top {base['model']['trainable_top_layers']} layers trained, "
        f"{base['train']['max_steps']} steps of {base['train']['batch_size']} pairs from {base['data']['max_train_pairs_per_language']} shipped Firefox pairs per language "
        "(the same pairs for every seed and system; the seed sets order and initialisation).",
        "",
        "Data: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in p["data"].items()) + ".",
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

COLOURS = {"teacher": "#7f7f7f", "student": "#bcbd22", "kd_mse": "#d62728", "arca": "#6baed6", "arca_lasr": "#08519c"}


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
        ax.set_title(metric.title.format(k=r.k0), fontsize=10)
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
        for i, s in enumerate(shown):
            vals = [r.get(s, template.format(L="0", lang=lang)) for lang in r.languages]
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

    # Few-shot curves.
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for s in r.systems:
        if s == "minus_consistency" and "arca" in r.systems:
            continue
        for ax, metric in zip(axes, (REASONING, GAP)):
            values = [r.get(s, r.key(metric, k=k)) for k in r.ks]
            if any(v is None for v in values):
                continue
            ax.errorbar(r.ks, [v[0] for v in values], yerr=[v[1] for v in values], label=r.label(s), capsize=2, marker="o", markersize=3, **_style(s))  # type: ignore[index]
    axes[0].set_title("reasoning macro-F1, low-resource mean (clean)", fontsize=10)
    axes[1].set_title("gap: English minus low-resource F1 (lower is better)", fontsize=10)
    for ax in axes:
        ax.set_xlabel("k labelled examples per language")
        ax.set_xscale("symlog", linthresh=8)
        ax.set_xticks(r.ks, [str(k) for k in r.ks])
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
        ax.set_yticks(y, [f"{m.short.format(k=r.k0)} @ noise {level_tag(level)}" for m, level in columns])
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("change from Arca + LaSR (negative: the removed or changed part helped)")
        ax.legend(fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        fig.savefig(out / "ablations.png", dpi=100)
        plt.close(fig)
        names.append("ablations.png")
    return names
