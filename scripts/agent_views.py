"""What do the character views add, and where? The student inside a trained model, with and without them.

A model trained with the character n-gram and romanised agents fuses them with the transformer
through the language-aware gate. Here each trained model of the generalization study named by
``--runs`` is scored twice, on the study's dev sets (in-domain Firefox and out-of-domain catalogs)
and on the Tatoeba test set: fused as trained, and with the transformer alone
(``ArcaEncoder.fusing_only(["transformer"])``: the same weights, the character views left out of
the fusion). A paired bootstrap over Tatoeba items compares the transformer alone with the fused
model, and each with the contrastive-only peer trained on the same data for the same steps
(``--peer``; its per-item hits come from the study's ``results.json``).

    python scripts/agent_views.py        # LiRA's default and its agent-dropout variant, 1,000 steps (~15 min on 2 CPU cores)

Needs the study's runs (``lira eval generalization --config configs/generalization.yaml``).
Writes ``reports/generalization/agent_views.{json,md}`` (the md is a block of docs/GENERALIZATION.md);
the rows of runs already there and not named by ``--runs`` are kept (same study, peer and resamples),
so one new run is added without the others' models:

    python scripts/agent_views.py --runs default_transformer_contrastive-1000
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
from pathlib import Path

DIRECTIONS = ("x2en", "en2x")


def main() -> None:
    from lira.arca.model import ArcaEncoder
    from lira.eval.dev import DevEvaluator
    from lira.eval.generalization import SYSTEMS, GeneralizationConfig, run_config
    from lira.eval.significance import paired_bootstrap
    from lira.eval.tatoeba import TatoebaEvaluator
    from lira.models.prefix_cache import attached_if, evaluation_cache

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--study", default="configs/generalization.yaml")
    parser.add_argument("--runs", nargs="+", default=["default_data_plus_gettext-1000", "default_agent_dropout-1000"],
                        help="the study's runs, SYSTEM-STEPS")
    parser.add_argument("--peer", default="peer_contrastive_catalogs", help="the study system compared with, at each run's steps")
    parser.add_argument("--results", default="reports/generalization/results.json", help="the study's results (the peer's Tatoeba hits)")
    parser.add_argument("--out", default="reports/generalization/agent_views")
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()

    study = GeneralizationConfig.from_yaml(args.study)
    stored = json.loads(Path(args.results).read_text(encoding="utf-8"))["runs"]
    dev = DevEvaluator.from_config(study.lira)
    tatoeba = TatoebaEvaluator()
    out = Path(args.out)
    payload: dict = {"study": args.study, "peer": args.peer, "bootstrap_samples": args.samples, "runs": {}}
    previous = out.with_suffix(".json")
    if previous.exists():  # rows of runs not scored now are kept (their models may be gone from this clone)
        kept = json.loads(previous.read_text(encoding="utf-8"))
        if {k: kept.get(k) for k in ("study", "peer", "bootstrap_samples")} == {k: payload[k] for k in ("study", "peer", "bootstrap_samples")}:
            payload["runs"] = {run: row for run, row in kept.get("runs", {}).items() if run not in args.runs}
    for run in args.runs:
        system, _, steps = run.rpartition("-")
        if system not in SYSTEMS or not steps.isdigit():
            raise SystemExit(f"--runs: {run!r} is not SYSTEM-STEPS of the study (systems: {', '.join(SYSTEMS)})")
        path = Path(run_config(study, system, int(steps)).train.output_dir) / "model"
        if not (path / "arca.json").exists():
            raise SystemExit(f"{path}: no trained model; run `lira eval generalization --config {args.study}` first")
        peer_run = f"{args.peer}-{steps}"
        if peer_run not in stored:
            raise SystemExit(f"{args.results}: no run {peer_run!r} (the peer at {steps} steps)")
        model = ArcaEncoder.load(path, device="cpu")
        cache = evaluation_cache(model)
        if cache is not None:  # both views share the frozen lower layers: filled once per model
            cache.fill(model, sorted(set(dev.texts()) | set(tatoeba.texts())), batch_size=128, encoding_only=True)
        views = {}
        with attached_if(cache, model):
            for view, agents in (("fused", None), ("transformer alone", ["transformer"])):
                with model.fusing_only(agents) if agents else contextlib.nullcontext():
                    dev_metrics = dev(model)
                    test_metrics = tatoeba(model)
                views[view] = {
                    "dev_score": dev_metrics["dev_score"],
                    "dev_in_domain": {d: dev_metrics[f"in_domain/mean/{d}/acc@1"] for d in DIRECTIONS},
                    "dev_out_of_domain": {d: dev_metrics[f"out_of_domain/mean/{d}/acc@1"] for d in DIRECTIONS},
                    "tatoeba": {d: test_metrics[f"mean/{d}/acc@1"] for d in DIRECTIONS},
                    "tatoeba_hits": tatoeba.hits_by_set(),
                }
        peer = stored[peer_run]
        peer_hits = peer["tatoeba_hits"]
        tests = {}
        for name, a, b in (("alone minus fused", views["fused"]["tatoeba_hits"], views["transformer alone"]["tatoeba_hits"]),
                           ("fused minus peer", peer_hits, views["fused"]["tatoeba_hits"]),
                           ("alone minus peer", peer_hits, views["transformer alone"]["tatoeba_hits"])):
            tests[name] = {d: dataclasses.asdict(paired_bootstrap({k: v for k, v in a.items() if k.endswith(d)}, {k: v for k, v in b.items() if k.endswith(d)},
                                               samples=args.samples)) for d in DIRECTIONS}
        payload["runs"][run] = {
            "label": f"{SYSTEMS[system].label}, {int(steps):,} steps", "model": str(path),
            "views": {v: {k: x for k, x in r.items() if k != "tatoeba_hits"} for v, r in views.items()},
            "peer": {"run": peer_run, "dev_score": peer["dev"]["end"]["dev_score"],
                     "tatoeba": {d: peer["tatoeba"][f"mean/{d}/acc@1"] for d in DIRECTIONS}},
            "tatoeba_tests": tests,
        }
        print(run, json.dumps(payload["runs"][run]["views"], indent=None)[:400])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(payload), encoding="utf-8")
    print(f"wrote {out}.json and {out}.md")


def markdown(payload: dict) -> str:
    """The report block: per run, the fused model, its transformer alone and the peer; then the tests."""
    lines = [
        "Each run's model scored as trained (fused) and with the transformer alone (the same weights, the character views left out of "
        "the fusion: `ArcaEncoder.fusing_only`), beside the contrastive-only peer trained on the same data for the same steps. Dev: "
        "accuracy@1, mean of both directions; Tatoeba: x→en / en→x accuracy@1, 7 languages. Written by `python scripts/agent_views.py`.",
        "",
        "| run | view | dev score | dev in-domain | dev out-of-domain | Tatoeba x→en / en→x |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for run in payload["runs"].values():
        for view, r in run["views"].items():
            dev_in = sum(r["dev_in_domain"].values()) / 2
            dev_out = sum(r["dev_out_of_domain"].values()) / 2
            lines.append(f"| {run['label']} | {view} | {r['dev_score']:.4f} | {dev_in:.3f} | {dev_out:.3f} | "
                         f"{r['tatoeba']['x2en']:.3f} / {r['tatoeba']['en2x']:.3f} |")
        p = run["peer"]
        lines.append(f"| {run['label']} | contrastive-only peer, same data and steps | {p['dev_score']:.4f} | | | "
                     f"{p['tatoeba']['x2en']:.3f} / {p['tatoeba']['en2x']:.3f} |")
    lines += ["", "Paired bootstrap over Tatoeba items (Δ [95% CI], p):", "",
              "| run | comparison | x→en | en→x |", "|---|---|---|---|"]
    for run in payload["runs"].values():
        for name, by_direction in run["tatoeba_tests"].items():
            cells = [f"{t['delta']:+.3f} [{t['low']:+.3f}, {t['high']:+.3f}], p={t['p_value']:.3f}" for t in (by_direction[d] for d in DIRECTIONS)]
            lines.append(f"| {run['label']} | {name} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
