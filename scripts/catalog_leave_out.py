"""Do other projects' catalogs help off their own sources? A leave-catalogs-out check (docs/GENERALIZATION.md).

The generalization study's "extra catalogs" system trains on the Firefox pairs plus every other
catalog's train split, and its out-of-domain dev split comes from those same catalogs, so its dev
gain cannot say whether the catalogs help on software text they do not contain. Here LiRA's default
recipe (``lira demo``'s) is trained on Firefox plus some catalog families only (``data.train_catalog_families``: ``--train-families``, default MATE and
Cinnamon) and scored on the dev split of the families it never saw (``--held-out``, default Xfce and
Debian), beside the same recipe on Firefox alone, the contrastive-only peer (LaBSE's translation
ranking, transformer agent only: the default less its agents and gate) on the same Firefox + catalogs
data, and the untrained student; a paired bootstrap over the held-out pairs says whether each
difference is beyond sampling noise.

    python scripts/catalog_leave_out.py                                # trains the three models (~15 min on 2 CPU cores)
    python scripts/catalog_leave_out.py --baseline DIR                 # reuse a trained Firefox-only model
    python scripts/catalog_leave_out.py --seed 7                       # another training seed: runs/catalog-leave-out-seed7, leave_out_seed7.{json,md}

Writes ``reports/generalization/leave_out.{json,md}`` (the md is a block of docs/GENERALIZATION.md).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

LANGS = ["th", "vi", "id", "ms", "fil", "ur", "bn"]


def main() -> None:
    from lira.arca.model import ArcaEncoder
    from lira.data.gettext_build import FAMILIES, source_family as family
    from lira.data.pairs import load_pairs
    from lira.eval.bitext import BitextRetrievalEvaluator
    from lira.eval.dev import shipped_ood_dev
    from lira.eval.significance import paired_bootstrap
    from lira.models.prefix_cache import attached_if, evaluation_cache
    from lira.pipeline import demo_config
    from lira.train import train_arca

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-families", nargs="+", default=["mate", "cinnamon"])
    parser.add_argument("--held-out", nargs="+", default=["xfce", "debian"])
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--baseline", default=None, help="a trained Firefox-only default model (default: train one in --work-dir)")
    parser.add_argument("--seed", type=int, default=None, help="training seed of all three models (default: the demo's); the work dir and the report files get a -seedN / _seedN suffix")
    parser.add_argument("--work-dir", default=None, help="default: runs/catalog-leave-out[-seedN]")
    parser.add_argument("--out", default="reports/generalization")
    args = parser.parse_args()
    if set(args.train_families) & set(args.held_out):
        parser.error("a family cannot be both trained on and held out")
    suffix = "" if args.seed is None else f"_seed{args.seed}"
    work = Path(args.work_dir or ("runs/catalog-leave-out" + suffix.replace("_", "-")))
    known = sorted(FAMILIES)
    for name in [*args.train_families, *args.held_out]:
        if name not in known:
            parser.error(f"unknown catalog family {name!r}; the shipped catalogs have {', '.join(known)}")

    def trained(name: str, families: list[str] | None, overrides: dict | None = None) -> Path:
        """LiRA's default (``lira demo``'s recipe, with ``overrides``) on Firefox plus the catalogs of
        ``families`` (None: Firefox alone), the last step kept (the dev sets hold held-out pairs, so no
        checkpoint is chosen on them)."""
        data = {"data.train_catalogs": True, "data.train_catalog_families": families} if families else {"data.train_catalogs": None}
        config = demo_config().override({**(overrides or {}), **data, **({} if args.seed is None else {"train.seed": args.seed})})
        config.train.max_steps, config.train.select_best = args.steps, False
        config.train.output_dir = str(work / name)
        model_dir = Path(config.train.output_dir) / "model"
        if not (model_dir / "arca.json").exists():
            train_arca(config)
        return model_dir

    start = time.perf_counter()
    mixed_dir = trained("firefox+" + "+".join(args.train_families), args.train_families)
    peer_dir = trained("peer-firefox+" + "+".join(args.train_families), args.train_families, {"model.agents": ["transformer"]})
    baseline_dir = Path(args.baseline) if args.baseline else trained("firefox", None)
    held = [p for p in load_pairs(str(shipped_ood_dev()), split="dev", languages=LANGS, max_chars=None) if family(p) in args.held_out]
    evaluator = BitextRetrievalEvaluator.from_pairs(held, batch_size=128)
    config = demo_config()
    systems = {"untrained student": None, "default recipe, Firefox pairs": baseline_dir,
               f"default recipe, Firefox + {' + '.join(args.train_families)}": mixed_dir,
               f"contrastive-only peer (no agents, no gate), Firefox + {' + '.join(args.train_families)}": peer_dir}
    scores, hits = {}, {}
    for label, path in systems.items():
        model = ArcaEncoder.from_student(config.model.student, config.model) if path is None else ArcaEncoder.load(path)
        cache = evaluation_cache(model)  # the held-out texts' frozen-layer states, computed once per model
        if cache is not None:
            cache.fill(model, evaluator.texts(), batch_size=128, encoding_only=True)
        with attached_if(cache, model):
            metrics = evaluator(model)
        scores[label] = {k: v for k, v in metrics.items() if k.endswith("/acc@1")}
        hits[label] = evaluator.hits_by_set()
    base, mixed, peer = list(systems)[1:4]
    tests, peer_tests = {}, {}
    for direction in ("x2en", "en2x"):
        pick = lambda h: {k: v for k, v in h.items() if k.endswith(direction)}  # noqa: E731
        t = paired_bootstrap(pick(hits[base]), pick(hits[mixed]), samples=2000)
        tests[direction] = {"delta": t.delta, "low": t.low, "high": t.high, "p": t.p_value}
        t = paired_bootstrap(pick(hits[peer]), pick(hits[mixed]), samples=2000)
        peer_tests[direction] = {"delta": t.delta, "low": t.low, "high": t.high, "p": t.p_value}
    counts = {lang: sum(p.lang == lang for p in held) for lang in LANGS}
    payload = {"train_families": args.train_families, "held_out": args.held_out, "steps": args.steps, "baseline": str(baseline_dir),
               "held_out_pairs": counts, "scores": scores, "bootstrap": tests,
               "bootstrap_vs_peer": peer_tests, "seconds": time.perf_counter() - start}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"leave_out{suffix}.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    lines = [f"Dev split of {' and '.join(args.held_out)} ({len(held)} pairs: " + ", ".join(f"{lang} {n}" for lang, n in counts.items())
             + f"), never trained on; bitext accuracy@1, x→en / en→x; {args.steps} steps of 32 pairs, top 4 layers, LiRA's default recipe, "
             f"the last step; Firefox-only model: {'`' + args.baseline + '`' if args.baseline else 'trained by the script'}. "
             f"{'' if args.seed is None else f'Training seed {args.seed}. '}"
             f"Written by `python scripts/catalog_leave_out.py{' --baseline ' + args.baseline if args.baseline else ''}{'' if args.seed is None else f' --seed {args.seed}'}`.", "",
             "| model | " + " | ".join(LANGS) + " | mean |", "|---|" + "---:|" * (len(LANGS) + 1)]
    for label, s in scores.items():
        lines.append(f"| {label} | " + " | ".join(f"{s[f'{lang}/x2en/acc@1']:.3f} / {s[f'{lang}/en2x/acc@1']:.3f}" for lang in LANGS)
                     + f" | {s['mean/x2en/acc@1']:.3f} / {s['mean/en2x/acc@1']:.3f} |")
    lines.append("")
    def cells(results: dict) -> str:
        return "; ".join(f"{d.replace('2', '→')} {t['delta']:+.3f} [{t['low']:+.3f}, {t['high']:+.3f}], p={t['p']:.3f}" for d, t in results.items())

    lines.append(f"Paired bootstrap over the held-out pairs, the catalogs' model minus the Firefox-only one: {cells(tests)}.")
    lines.append("")
    lines.append(f"The same, the default recipe minus the contrastive-only peer, both on Firefox + {' + '.join(args.train_families)} "
                 f"(what the agents and the gate add on catalogs never trained on): {cells(peer_tests)}.")
    (out / f"leave_out{suffix}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
