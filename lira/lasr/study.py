"""LaSR's few-shot study: k labelled examples per language x consistency on/off x seeds.

``lira lasr study`` runs it and writes ``results.json`` and ``results.md`` (the README's table):
per language macro-F1 (mean ± std over seeds), English, and the transfer gap (English minus the
language, averaged), on clean and on noised test inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from rich.console import Console

from lira.config import LasrConfig, LiraConfig
from lira.data.reasoning import default_products_dir, esci_examples
from lira.eval.base import CachingEncoder
from lira.eval.reasoning import ReasoningEvaluator
from lira.lasr.head import ESCI_LABELS
from lira.lasr.trainer import EmbeddedExamples, embed_examples, embedded_scorer, train_head


def consistency_off(config: LasrConfig) -> LasrConfig:
    return replace(config, consistency_anchor_weight=0.0, consistency_noise_weight=0.0, consistency_dropout_weight=0.0)


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    return float(statistics.mean(values)), float(statistics.stdev(values)) if len(values) > 1 else 0.0


def run_lasr_study(
    config: LiraConfig,
    encoder: Any,
    *,
    out_dir: str | Path,
    ks: Sequence[int] = (0, 8, 32, 128),
    seeds: Sequence[int] = (0, 1, 2),
    test_queries_per_language: int = 150,
    encoder_name: str = "",
    console: Console | None = None,
) -> dict[str, Any]:
    console = console or Console()
    languages = list(config.data.languages)
    data_dir = Path(config.lasr.data) if config.lasr.data else default_products_dir()
    lc = config.lasr
    train_examples = esci_examples(data_dir, "train", languages, queries_per_language=lc.queries_per_language, seed=0, noise_level=lc.noise_level, noise_kinds=lc.noise_kinds)
    test_examples = esci_examples(data_dir, "test", languages, queries_per_language=test_queries_per_language, seed=0, noise_level=lc.noise_level, noise_kinds=lc.noise_kinds)
    console.print(f"LaSR study: {len(train_examples)} train / {len(test_examples)} test ESCI examples over en + {' '.join(languages)}")
    cached = CachingEncoder(encoder)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_emb = _embed_cached(cached, train_examples, out / "embeddings-train.npz", encoder_name)
    test_emb = _embed_cached(cached, test_examples, out / "embeddings-test.npz", encoder_name)
    evaluator = ReasoningEvaluator([(e.lang, e.text_a, e.text_b, e.label) for e in test_examples], ESCI_LABELS)
    runs: list[dict[str, Any]] = []
    settings = [(k, on) for k in ks for on in (False, True)]
    for k, consistency in settings:
        for seed in seeds:
            lasr = replace(lc, few_shot_k=k)
            lasr = lasr if consistency else consistency_off(lasr)
            head, history = train_head(train_emb, lasr, languages=languages, seed=seed)
            clean = evaluator(embedded_scorer(test_emb, head))
            noised = evaluator(embedded_scorer(test_emb, head, noised=True))
            runs.append({"k": k, "consistency": consistency, "seed": seed, "clean": clean, "noised": noised, "final_logs": history[-1]})
            console.print(f"k={k:<3} consistency={'on ' if consistency else 'off'} seed={seed}: macro-F1 en {clean['en/macro_f1']:.3f}, mean {clean['mean/macro_f1']:.3f}, gap {clean['mean/gap/macro_f1']:.3f}")
    table = summarise(runs, languages)
    payload = {"encoder": encoder_name, "languages": languages, "ks": list(ks), "seeds": list(seeds), "lasr": vars(lc), "runs": runs, "summary": table}
    (out / "results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown_table(table, languages, encoder_name, len(seeds)), encoding="utf-8")
    plot_study(out)
    console.print(f"wrote {out / 'results.md'} and {out / 'results.png'}")
    return payload


def _embed_cached(encoder: Any, examples: list, path: Path, encoder_name: str) -> EmbeddedExamples:
    """Embeddings are the slow part; keep them beside the results, keyed by the model and texts,
    so re-running the heads (other k, seeds, weights) skips the encoder."""
    folder = Path(encoder_name)
    # A retrained model at the same path must not reuse old vectors: fingerprint its files.
    stamp = sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    key = hashlib.sha256(json.dumps([encoder_name, stamp, [(e.lang, e.text_a, e.text_b, e.noised_a, e.noised_b) for e in examples]]).encode()).hexdigest()
    names = ("u", "v", "anchor_u", "anchor_v", "noised_u", "noised_v")
    if encoder_name and path.exists():
        with np.load(path) as saved:
            if str(saved["key"]) == key:
                return EmbeddedExamples(list(examples), *(saved[n] for n in names))
    data = embed_examples(encoder, examples)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, key=np.array(key), **{n: getattr(data, n) for n in names})
    os.replace(tmp, path)
    return data


def summarise(runs: list[dict[str, Any]], languages: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for k in sorted({r["k"] for r in runs}):
        for consistency in (False, True):
            group = [r for r in runs if r["k"] == k and r["consistency"] == consistency]
            if not group:
                continue
            row: dict[str, Any] = {"k": k, "consistency": consistency}
            for key in ["en", *languages, "mean"]:
                row[key] = _mean_std([r["clean"][f"{key}/macro_f1"] for r in group])
            row["gap"] = _mean_std([r["clean"]["mean/gap/macro_f1"] for r in group])
            row["noised_mean"] = _mean_std([r["noised"]["mean/macro_f1"] for r in group])
            rows.append(row)
    return rows


def markdown_table(rows: list[dict[str, Any]], languages: Sequence[str], encoder_name: str, n_seeds: int) -> str:
    head = ["k", "consistency", "en", *languages, "mean (LRL)", "gap en−LRL ↓", "mean, noised inputs"]
    lines = [
        f"ESCI macro-F1 (mean ± std over {n_seeds} seeds) of the LaSR head on `{encoder_name}`; k labelled examples per low-resource language, English fully labelled.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in rows:
        cells = [str(row["k"]), "on" if row["consistency"] else "off"]
        cells += [f"{row[key][0]:.3f} ± {row[key][1]:.3f}" for key in ["en", *languages, "mean", "gap", "noised_mean"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_study(out_dir: str | Path) -> Path:
    """``results.png``: low-resource macro-F1, English macro-F1 and the transfer gap against k."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    rows = json.loads((out / "results.json").read_text(encoding="utf-8"))["summary"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, key, title in zip(axes, ("mean", "en", "gap"), ("low-resource macro-F1 (mean)", "English macro-F1", "transfer gap en − LRL (lower is better)")):
        for consistency, colour in ((False, "#9aa5b1"), (True, "#2b6cb0")):
            sel = [r for r in rows if r["consistency"] == consistency]
            ks = [str(r["k"]) for r in sel]
            ax.errorbar(ks, [r[key][0] for r in sel], yerr=[r[key][1] for r in sel], marker="o", capsize=3, color=colour, label=f"consistency {'on' if consistency else 'off'}")
        ax.set_xlabel("k labelled examples per language")
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    path = out / "results.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
