"""Why a suite system behaves as it does: where its embeddings sit and how its fusion gate mixes agents.

For each trained model of ``lira eval suite`` (seed 0 by default) on held-out Firefox pairs of one
language: the mean cosine of a sentence with its own translation and with other sentences (the
student's own space), the mean cosine of the student's vectors with the teacher's (how far the
anchor term has pulled the space), bitext x->en accuracy@1, and the fusion gate's mean weight per
agent for that language and for English. Writes a Markdown table (default reports/suite/diagnosis.md).

    python scripts/suite_diagnose.py --config configs/suite.yaml --lang th --n 150
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from lira.arca.model import ArcaEncoder, SentenceTransformerEncoder
from lira.data.pairs import load_pairs
from lira.eval.suite import SYSTEMS, SuiteConfig, run_config
from lira.models.loading import load_sentence_transformer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/suite.yaml", help="the suite whose trained models to read")
    parser.add_argument("--runs", nargs="+", default=["kd_mse", "peer_contrastive", "arca"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lang", default="th")
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--teacher", default="offline:all-minilm-l6-v2")
    parser.add_argument("--out", default="reports/suite/diagnosis.md")
    args = parser.parse_args()

    suite = SuiteConfig.from_yaml(args.config)
    pairs = [p for p in load_pairs(None, split="test", languages=[args.lang])][: args.n]
    teacher = SentenceTransformerEncoder(load_sentence_transformer(args.teacher)).encode([p.en for p in pairs])
    lines = [
        f"Diagnosis of suite models (seed {args.seed}) on {len(pairs)} held-out {args.lang}–en Firefox pairs (`python scripts/suite_diagnose.py --lang {args.lang} --n {args.n}`).",
        "",
        "| run | cos(x, its en) | cos(x, other en) | cos(student en, teacher en) | x→en acc@1 | gate weights, x (transformer / char n-gram / romanised) | gate weights, en |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for run in args.runs:
        model = ArcaEncoder.load(Path(run_config(suite, SYSTEMS[run], args.seed).train.output_dir) / "model")
        x = model.encode([p.text for p in pairs], lang=args.lang)
        e = model.encode([p.en for p in pairs], lang="en")
        sim = x @ e.T
        off = (sim.sum() - np.trace(sim)) / (sim.size - len(sim))
        acc = float(np.mean(sim.argmax(1) == np.arange(len(sim))))
        gates = []
        for texts, lang in (([p.text for p in pairs[:64]], args.lang), ([p.en for p in pairs[:64]], "en")):
            with torch.no_grad():
                weights = model.gate_weights(model.prepare(texts, [lang] * len(texts))).mean(0).numpy()
            gates.append(" / ".join(f"{w:.2f}" for w in weights))
        lines.append(f"| {run} | {np.mean(np.diag(sim)):.3f} | {off:.3f} | {np.mean((e * teacher).sum(1)):.3f} | {acc:.3f} | {gates[0]} | {gates[1]} |")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
