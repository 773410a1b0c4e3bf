"""Markdown report and plots of ``lira eval generalization`` (redrawn from ``results.json`` alone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lira.eval.significance import paired_bootstrap
from lira.eval.tatoeba import REFERENCES, TATOEBA_LANGUAGES, reference_mean

REFERENCE = "arca"
DEFAULT_SYSTEM = "default_data_plus_gettext"
"""The study's system that is LiRA's default recipe (its rows are set in bold)."""
"""The system every row is compared with (Arca with every term on)."""
CURVE_SYSTEMS = ("arca", "teacher_minilm_agents", "peer_kd_mse", "peer_contrastive")
PEERS = ("peer_contrastive_catalogs", "peer_contrastive", "peer_kd_mse")
"""The peers LiRA's default is compared with at equal budget (same steps, batch and depth); the first
trains on the default's own data (Firefox + the other catalogs), the others on the Firefox pairs."""


def _dev_means(dev: dict[str, float], name: str) -> float:
    return (dev[f"{name}/mean/x2en/acc@1"] + dev[f"{name}/mean/en2x/acc@1"]) / 2


def _hits(result: dict[str, Any]) -> dict[str, list[float]]:
    return {key: [float(h) for h in hits] for key, hits in result["tatoeba_hits"].items()}


def run_row(name: str, label: str, result: dict[str, Any], untrained: dict[str, Any], reference: dict[str, Any] | None, samples: int) -> dict[str, Any]:
    dev, t = result["dev"]["end"] if "end" in result.get("dev", {}) else result["dev"], result["tatoeba"]
    row = {
        "system": name,
        "label": label,
        "dev_in": _dev_means(dev, "in_domain"),
        "dev_ood": _dev_means(dev, "out_of_domain"),
        "dev_score": dev["dev_score"],
        "tatoeba_x2en": t["mean/x2en/acc@1"],
        "tatoeba_en2x": t["mean/en2x/acc@1"],
        "english_kept": result.get("english_kept"),
    }
    row["d_x2en"] = row["tatoeba_x2en"] - untrained["tatoeba"]["mean/x2en/acc@1"]
    row["d_en2x"] = row["tatoeba_en2x"] - untrained["tatoeba"]["mean/en2x/acc@1"]
    row["worst_language_delta"] = min(
        t[f"{lang}/{d}/acc@1"] - untrained["tatoeba"][f"{lang}/{d}/acc@1"] for lang in TATOEBA_LANGUAGES for d in ("x2en", "en2x")
    )
    if reference is not None and reference is not result:
        test = paired_bootstrap(_hits(reference), _hits(result), samples=samples)
        row["vs_reference"] = {"delta": test.delta, "low": test.low, "high": test.high, "p": test.p_value, "verdict": test.verdict()}
    return row


def render_generalization(out_dir: str | Path, bootstrap_samples: int = 2000) -> Path:
    out = Path(out_dir)
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    runs, systems, untrained = payload["runs"], payload["systems"], payload["untrained"]
    base_steps = payload["study"]["lira"]["train"]["max_steps"]
    large_steps = payload["study"]["large_budget_steps"]
    reference = runs.get(f"{REFERENCE}-{base_steps}")
    untrained_row = {
        "system": "untrained", "label": "untrained student (multilingual-e5-small)",
        "dev_in": _dev_means(untrained["dev"], "in_domain"), "dev_ood": _dev_means(untrained["dev"], "out_of_domain"), "dev_score": untrained["dev"]["dev_score"],
        "tatoeba_x2en": untrained["tatoeba"]["mean/x2en/acc@1"], "tatoeba_en2x": untrained["tatoeba"]["mean/en2x/acc@1"],
        "d_x2en": 0.0, "d_en2x": 0.0, "worst_language_delta": 0.0, "english_kept": 1.0,
    }
    rows: dict[str, list[dict[str, Any]]] = {}
    for key, result in runs.items():
        name, steps = result["system"], result["steps"]
        ref = reference if steps == base_steps else runs.get(f"{REFERENCE}-{steps}")
        rows.setdefault(str(steps), []).append(run_row(name, systems.get(name, {}).get("label", name), result, untrained, ref, bootstrap_samples))
    summary = {"untrained": untrained_row, "rows": rows, "parts": parts_verdicts(rows.get(str(base_steps), [])),
               "parts_large": parts_verdicts(rows.get(str(large_steps), [])), "base_steps": base_steps, "large_steps": large_steps,
               "default_vs_peers": default_vs_peers(runs, systems, bootstrap_samples)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(payload, summary, base_steps, large_steps), encoding="utf-8")
    plot_curves(payload, out / "curves.png")
    return out / "results.md"


def default_vs_peers(runs: dict[str, Any], systems: dict[str, Any], samples: int) -> list[dict[str, Any]]:
    """LiRA's default minus each peer trained for the same number of steps: the dev score, the
    out-of-domain dev (both directions) and Tatoeba per direction, the last with a paired bootstrap
    over Tatoeba items (7 languages, stratified)."""
    out = []
    for default in sorted(runs.values(), key=lambda run: run["steps"]):
        if default["system"] != DEFAULT_SYSTEM:
            continue
        steps = default["steps"]
        for peer_name in PEERS:
            peer = runs.get(f"{peer_name}-{steps}")
            if peer is None:
                continue
            d_end, p_end = default["dev"]["end"], peer["dev"]["end"]
            row: dict[str, Any] = {"steps": steps, "peer": peer_name, "label": systems.get(peer_name, {}).get("label", peer_name),
                                   "dev_score": d_end["dev_score"] - p_end["dev_score"],
                                   "dev_ood": _dev_means(d_end, "out_of_domain") - _dev_means(p_end, "out_of_domain")}
            for direction in ("x2en", "en2x"):
                hits = lambda r: {k: v for k, v in _hits(r).items() if k.endswith(f"/{direction}")}  # noqa: E731
                test = paired_bootstrap(hits(peer), hits(default), samples=samples)
                row[f"tatoeba_{direction}"] = {"delta": test.delta, "low": test.low, "high": test.high, "p": test.p_value, "verdict": test.verdict()}
            out.append(row)
    return out


def peers_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| budget | peer | Δ dev score | Δ out-of-domain dev | Δ Tatoeba x→en [95% CI], p | Δ Tatoeba en→x [95% CI], p |", "|---:|---|---:|---:|---|---|"]
    for r in rows:
        cells = [f"{t['delta']:+.3f} [{t['low']:+.3f}, {t['high']:+.3f}], p={t['p']:.3f}: {t['verdict']}" for t in (r["tatoeba_x2en"], r["tatoeba_en2x"])]
        lines.append(f"| {r['steps']} | {r['label']} | {r['dev_score']:+.4f} | {r['dev_ood']:+.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


MIN_DEV_GAIN = 0.001
"""The smallest dev-score gain that counts: one retrieval of the study's dev sets moves the score by
about 0.0002, so a gain under 0.001 is a handful of sentences in one seed's run."""


def parts_verdicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each part of Arca: does the dev score (the choice criterion) say it earns its place?

    Against the reference (Arca with every term on), unless a row names another baseline: a part
    that is on there earns its place when removing it lowers the dev score; a part that is off there
    would, when adding it raises the dev score. The first row compares the reference with the
    contrastive term alone (anchor and geometry off, contrastive weight 1 instead of 0.5): what the
    anchored terms add together."""
    by_name = {r["system"]: r for r in rows}
    reference = by_name.get(REFERENCE)
    if reference is None:
        return []
    checks = [
        ("anchor + geometry terms (vs the contrastive term alone)", "peer_contrastive", True),
        ("anchor term", "minus_anchor", True), ("English anchor term", "minus_anchor_english", True),
        ("contrastive term", "minus_contrastive", True), ("geometry term", "minus_geometry", True),
        ("self anchor (vs the MiniLM teacher)", "teacher_minilm", True),
        ("character n-gram agent", "plus_char_ngram", False), ("romanised agent", "plus_romanized", False),
        ("both agents + language-aware gate", "plus_agents", False),
        ("the language input of the gate (vs a gate that sees the agents' vectors only, both agents on)", "plus_agents", False, "plus_agents_no_language"),
        ("both agents + gate on the contrastive term (vs the contrastive term alone, transformer agent)", "contrastive_agents", False, "peer_contrastive"),
        ("other projects' catalogs added to the training data (the out-of-domain dev comes from the same catalogs)", "data_plus_gettext", False),
        ("learning rate 1e-4 instead of 5e-5", "lr_1e-4", False), ("learning rate 2e-5 instead of 5e-5", "lr_2e-5", False),
        ("top 2 layers trained instead of 4", "depth_2", False), ("top 8 layers trained instead of 4", "depth_8", False),
        ("learning rate 1e-4 instead of 5e-5, on contrastive + agents", "default_lr_1e-4", False, "contrastive_agents"),
        ("other projects' catalogs added to the training data, on contrastive + agents (the out-of-domain dev comes from the same catalogs; see the leave-catalogs-out check): LiRA's default", "default_data_plus_gettext", False, "contrastive_agents"),
        ("one language per batch (the in-batch negatives share the sentence's language), on contrastive + agents", "default_language_batches", False, "contrastive_agents"),
        ("a memory of the last 1,024 rows as extra contrastive negatives (cross-batch memory), on contrastive + agents", "default_memory_1024", False, "contrastive_agents"),
        ("both agents + gate on the contrastive term, both trained on Firefox + the other catalogs (vs the contrastive-only peer on the same data): LiRA's default", "default_data_plus_gettext", False, "peer_contrastive_catalogs"),
        ("an additive margin of 0.1 on the translation's cosine in the contrastive term, on LiRA's default", "default_margin_0.1", False, "default_data_plus_gettext"),
        ("an additive margin of 0.3 (LaBSE's) on the translation's cosine in the contrastive term, on LiRA's default", "default_margin_0.3", False, "default_data_plus_gettext"),
        ("agent dropout 0.5 (each row leaves each character view out of its fusion with probability 0.5 in training), on LiRA's default", "default_agent_dropout", False, "default_data_plus_gettext"),
        ("the contrastive term also on the transformer agent's own vectors (deep supervision, weight 1), on LiRA's default", "default_transformer_contrastive", False, "default_data_plus_gettext"),
        ("English encoded by the transformer alone, the character views fused on the low-resource side only, on LiRA's default", "default_english_transformer_only", False, "default_data_plus_gettext"),
        ("the agents and the gate at learning rate 2e-4 instead of 1e-3 (the transformer's stays 5e-5), on LiRA's default", "default_head_lr_2e-4", False, "default_data_plus_gettext"),
        ("the agents and the gate at learning rate 1e-4 instead of 1e-3, on LiRA's default", "default_head_lr_1e-4", False, "default_data_plus_gettext"),
    ]
    out = []
    for part, system, in_reference, *baseline in checks:
        base = by_name.get(baseline[0]) if baseline else reference
        if system not in by_name or base is None:
            continue
        delta = base["dev_score"] - by_name[system]["dev_score"]  # > 0: the baseline is better on dev
        gain = delta if in_reference else -delta
        out.append({"part": part, "system": system, "in_reference": in_reference, "dev_gain": gain, "earns_its_place": gain > MIN_DEV_GAIN})
    return out


def runs_table(summary: dict[str, Any], steps: str) -> str:
    """Markdown rows of the runs at one budget: dev in and out of domain, Tatoeba, and the paired
    bootstrap against Arca (all terms) at that budget."""
    lines = ["| system | dev in-domain | dev out-of-domain | dev score | English neighbours kept | Tatoeba x→en | Tatoeba en→x | Δ x→en vs untrained | Δ en→x vs untrained | worst language Δ | vs Arca all terms (Δ [95% CI], p) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    u = summary["untrained"]
    lines.append(f"| {u['label']} | {_fmt(u['dev_in'])} | {_fmt(u['dev_ood'])} | {_fmt(u['dev_score'])} | {_fmt(u.get('english_kept'))} | {_fmt(u['tatoeba_x2en'])} | {_fmt(u['tatoeba_en2x'])} | | | | |")
    for r in summary["rows"][steps]:
        vs = r.get("vs_reference")
        cell = f"{vs['delta']:+.3f} [{vs['low']:+.3f}, {vs['high']:+.3f}], p={vs['p']:.3f}: {vs['verdict']}" if vs else "(reference)"
        name = f"**{r['label']}**" if r["system"] == DEFAULT_SYSTEM else r["label"]
        lines.append(
            f"| {name} | {_fmt(r['dev_in'])} | {_fmt(r['dev_ood'])} | {_fmt(r['dev_score'])} | {_fmt(r.get('english_kept'))} | {_fmt(r['tatoeba_x2en'])} | {_fmt(r['tatoeba_en2x'])} | "
            f"{_fmt(r['d_x2en'], True)} | {_fmt(r['d_en2x'], True)} | {_fmt(r['worst_language_delta'], True)} | {cell} |"
        )
    return "\n".join(lines) + "\n"


def parts_table(parts: list[dict[str, Any]], parts_large: list[dict[str, Any]] | None = None, base_steps: int | None = None, large_steps: int | None = None) -> str:
    """Markdown rows of :func:`parts_verdicts` (the dev-score gain of having each part), with the
    larger budget's gain beside it where that part ran there too. The verdict needs a gain of more
    than :data:`MIN_DEV_GAIN` at every budget the part ran at."""
    # Keyed by the part, not the system: one system can answer two questions against two baselines
    # (LiRA's default against contrastive + agents on Firefox, and against the peer on its own data).
    large = {p["part"]: p for p in parts_large or []}
    at = (lambda steps: f" at {steps} steps" if steps else "")
    lines = [f"| part or choice | on in Arca (all terms) | dev-score gain{at(base_steps)} | dev-score gain{at(large_steps)} | verdict |", "|---|---|---:|---:|---|"]
    for p in parts:
        other = large.get(p["part"])
        earns = p["earns_its_place"] and (other is None or other["earns_its_place"])
        if earns:
            verdict = "earns its place" if p["in_reference"] else "raises the dev score"
        elif p["earns_its_place"]:
            verdict = f"gain gone at {large_steps or 'the larger budget'} steps: off by default"
        else:
            verdict = "no gain on dev: off by default"
        cell = f"{other['dev_gain']:+.4f}" if other else "not run"
        lines.append(f"| {p['part']} | {'yes' if p['in_reference'] else 'no'} | {p['dev_gain']:+.4f} | {cell} | {verdict} |")
    return "\n".join(lines) + "\n"


def _fmt(x: float | None, sign: bool = False) -> str:
    if x is None:
        return ""
    return f"{x:+.3f}" if sign else f"{x:.3f}"


def markdown(payload: dict[str, Any], summary: dict[str, Any], base_steps: int, large_steps: int) -> str:
    lira = payload["study"]["lira"]
    lines = [
        "# Generalization study: does Arca help off its training domain?",
        "",
        f"Written by `lira eval generalization` ({sum(r['train_seconds'] for r in payload['runs'].values()) / 60:.0f} min of training in all, on the machine that ran it). Every system is trained from "
        f"multilingual-e5-small on the shipped Firefox pairs (7 languages; plus the other catalogs' train splits where the row says so), batch {lira['train']['batch_size']}, top "
        f"{lira['model']['trainable_top_layers']} layers, learning rate {lira['train']['learning_rate']:g}, seed {lira['train']['seed']}, "
        "and differs from **Arca, all terms** (the study's reference) only in what its row names; the row in bold is LiRA's default, chosen by this study "
        "(the contrastive term with both agents and the language-aware gate, on the Firefox pairs plus the other catalogs). "
        "**Choices are read off the dev score** (mean of in-domain Firefox dev and "
        "out-of-domain dev of other projects' catalogs, accuracy@1 both ways); Tatoeba is the test set, reported and never chosen on. "
        "Scores are each run's last step. `English neighbours kept`: the share of each English dev sentence's 10 nearest "
        "neighbours that the model keeps from the untrained student (what the anchor is for; not part of the dev score). `vs Arca all terms`: paired bootstrap over Tatoeba items (7 languages x 2 directions, "
        f"{payload['study']['bootstrap_samples']} resamples): Δ Tatoeba accuracy@1 of the row minus Arca (all terms), its 95% interval and p.",
        "",
    ]
    if payload.get("missing"):
        lines += [f"Not run yet (the study stopped at its time budget; rerun the command to add them): {', '.join(payload['missing'])}.", ""]
    for steps in sorted(summary["rows"], key=int):
        lines += [f"## {steps} steps", "", runs_table(summary, steps)]
    if summary.get("default_vs_peers"):
        lines += ["## LiRA's default against the peers at equal budget", "",
                  "Δ = LiRA's default minus the peer, both trained for the same steps, batch and depth. The first peer trains on the default's own data "
                  "(Firefox + the other catalogs, whose dev split is the out-of-domain dev), the others on the Firefox pairs only. Tatoeba: paired "
                  f"bootstrap over its items ({payload['study']['bootstrap_samples']} resamples, 7 languages stratified).", "",
                  peers_table(summary["default_vs_peers"])]
    if summary["parts"]:
        lines += ["## Which parts earn their place (dev score)", "", parts_table(summary["parts"], summary.get("parts_large"), base_steps, large_steps)]
    gates = {k: v for k, v in payload["runs"].items() if v.get("gate_weights")}
    if gates:
        lines += ["## Gate weights per language (mean over the Tatoeba sentences of each language)", "", "| run | agents | " + " | ".join(TATOEBA_LANGUAGES) + " |", "|---|---|" + "---|" * len(TATOEBA_LANGUAGES)]
        for key, result in gates.items():
            cells = [" / ".join(f"{w:.2f}" for w in result["gate_weights"].get(lang, [])) for lang in TATOEBA_LANGUAGES]
            lines.append(f"| {key} | {' / '.join(result['agents'])} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Tatoeba per language (x→en / en→x accuracy@1)", "", "| system | " + " | ".join(TATOEBA_LANGUAGES) + " | mean |", "|---|" + "---:|" * (len(TATOEBA_LANGUAGES) + 1)]

    def tatoeba_cells(t: dict[str, float]) -> str:
        cells = [f"{t[f'{lang}/x2en/acc@1']:.3f} / {t[f'{lang}/en2x/acc@1']:.3f}" for lang in TATOEBA_LANGUAGES]
        return " | ".join(cells) + f" | {t['mean/x2en/acc@1']:.3f} / {t['mean/en2x/acc@1']:.3f}"

    lines.append(f"| untrained student | {tatoeba_cells(payload['untrained']['tatoeba'])} |")
    for key, result in payload["runs"].items():
        if result["system"] in CURVE_SYSTEMS:
            lines.append(f"| {payload['systems'].get(result['system'], {}).get('label', result['system'])}, {result['steps']} steps | {tatoeba_cells(result['tatoeba'])} |")
    for name, ref in REFERENCES.items():
        lines.append(f"| {name} (published, x→en) | " + " | ".join(f"{ref[lang] / 100:.3f}" for lang in TATOEBA_LANGUAGES) + f" | {reference_mean(name, TATOEBA_LANGUAGES):.3f} |")
    lines += ["", "![dev accuracy over training steps](curves.png)", ""]
    return "\n".join(lines)


def plot_curves(payload: dict[str, Any], path: Path) -> Path:
    """In-domain vs out-of-domain dev accuracy (mean of both directions) over training steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = payload["runs"]
    longest = {}
    for result in runs.values():
        if result["system"] in CURVE_SYSTEMS and result["steps"] >= longest.get(result["system"], {"steps": -1})["steps"]:
            longest[result["system"]] = result
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=False)
    for ax, name, title in ((axes[0], "in_domain", "in-domain dev (Firefox)"), (axes[1], "out_of_domain", "out-of-domain dev (other projects)")):
        for system in CURVE_SYSTEMS:
            result = longest.get(system)
            if result is None:
                continue
            steps = [r["step"] for r in result["dev_curve"]]
            ax.plot(steps, [_dev_means(r, name) for r in result["dev_curve"]], marker="o", ms=3, label=payload["systems"].get(system, {}).get("label", system)[:48])
        ax.axhline(_dev_means(payload["untrained"]["dev"], name), color="grey", ls="--", lw=1, label="untrained student")
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.set_ylabel("accuracy@1 (mean of x→en, en→x)")
    axes[1].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
