"""`lira interpolate --alpha auto` with and without the frozen-prefix cache, in the same run.

Choosing a WiSE-FT share or a model soup's share scores every point of a grid on dev. Where both
models froze the same lower layers, those layers are the same at every alpha, and
``lira.arca.interpolation.choose_alpha`` computes their states for the dev texts once. This runs
``choose_alpha`` on the same models, score and grid twice (cached first, then plain), and prints
both times, their ratio and the largest difference between the two dev curves.

    python benchmarks/bench_interpolate.py                                   # WiSE-FT of runs/demo/model (from `lira demo`), bitext dev
    python benchmarks/bench_interpolate.py --model runs/products-robust-long-catalogs-noise15-queries10/model \\
        --with runs/products-robust-long-catalogs-paraphrases/model --products-dev runs/products --intents 300 --corpus-size 800
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lira.arca.interpolation import choose_alpha, dev_scorer, mix_partner  # noqa: E402
from lira.arca.model import ArcaEncoder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="runs/demo/model", help="a trained LiRA model folder")
    parser.add_argument("--with", dest="other", default=None, help="a second trained model of the same start (a model soup)")
    parser.add_argument("--products-dev", default=None, help="score product search on this build's dev split instead of the bitext dev sets")
    parser.add_argument("--intents", type=int, default=None)
    parser.add_argument("--corpus-size", type=int, default=None)
    parser.add_argument("--json-out", default="benchmarks/results/interpolate_cpu.json")
    args = parser.parse_args()
    if not (Path(args.model) / "arca.json").exists():
        raise SystemExit(f"{args.model}: no trained model (run `lira demo` first, or give --model)")

    model = ArcaEncoder.load(args.model, device="cpu")
    partner, _, _, grid = mix_partner(model, args.model, args.other, device="cpu")
    if args.products_dev:
        from lira.eval.product_dev import ProductDevScore

        score = ProductDevScore(args.products_dev, intents=args.intents, corpus_size=args.corpus_size)
    else:
        score = dev_scorer(model)
    trained = {k: v.clone() for k, v in model.state_dict().items()}
    timings, curves = {}, {}
    for name, cached in (("cached", True), ("plain", False)):
        model.load_state_dict(trained)
        started = time.perf_counter()
        _, curves[name] = choose_alpha(model, partner, score, grid, progress=False, prefix_cache=cached)
        timings[name] = time.perf_counter() - started
        print(f"{name}: {timings[name]:.1f} s; curve " + ", ".join(f"{a:g}: {v:.4f}" for a, v in curves[name].items()), flush=True)
    gap = max(abs(curves["cached"][a] - curves["plain"][a]) for a in grid)
    result = {
        "model": args.model, "with": args.other, "score": "product dev" if args.products_dev else "bitext dev", "grid": list(grid),
        "seconds": timings, "speedup": timings["plain"] / timings["cached"], "largest_curve_gap": gap, "curves": curves,
        "machine": {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(), "python": platform.python_version()},
    }
    print(f"speed-up {result['speedup']:.2f}x (plain {timings['plain']:.1f} s / cached {timings['cached']:.1f} s); largest curve gap {gap:.2e}")
    out = Path(args.json_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
