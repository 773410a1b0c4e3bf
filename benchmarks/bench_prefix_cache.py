"""Frozen-prefix cache benchmark: a model with frozen lower layers, with and without the cache.

``lira eval suite`` trains and scores many models that share the student's frozen lower layers
(``model.trainable_top_layers``); ``lira.models.prefix_cache`` computes those layers once per text.
This measures, in one run on the same model, texts and batch size:

* encoding: ``ArcaEncoder.encode`` plain against the same call with the cache attached (the one-off
  fill is timed separately: it is a plain forward that keeps the states);
* a training step (forward + backward + AdamW on the trainable parameters, anchor MSE to a fixed
  target) plain against cached;

and prints the ratios, the largest gap between the two outputs, and the cache's memory.

    python benchmarks/bench_prefix_cache.py                  # e5-small, top 2 of 12 layers trained
    python benchmarks/bench_prefix_cache.py --top 4 --n 512
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lira.arca.model import ArcaEncoder  # noqa: E402
from lira.config import ModelConfig  # noqa: E402
from lira.data.pairs import load_pairs  # noqa: E402
from lira.models.prefix_cache import FrozenPrefixCache  # noqa: E402


def best_of(rounds: int, fn) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", default="offline:multilingual-e5-small")
    parser.add_argument("--top", type=int, default=2, help="trainable top layers (the rest are cached)")
    parser.add_argument("--n", type=int, default=1024, help="texts (held-out Firefox strings, 7 languages)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8, help="training steps per timing")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/prefix_cache_cpu.json")
    args = parser.parse_args()
    torch.manual_seed(0)

    pairs = load_pairs(None, split="test", languages=["th", "vi", "id", "ms", "fil", "ur", "bn"])
    texts = [p.text for p in pairs[:: max(1, len(pairs) // args.n)]][: args.n]
    model = ArcaEncoder.from_student(args.student, ModelConfig(trainable_top_layers=args.top))
    cache = FrozenPrefixCache.for_model(model)
    fill_s = best_of(1, lambda: cache.fill(model, texts, "query", batch_size=args.batch))
    cache_mib = sum(t.numel() * t.element_size() for t in cache.states.values()) / 2**20

    def encode():
        return model.encode(texts, lang="th", prompt_name="query", batch_size=args.batch)

    plain_out = encode()
    plain_s = best_of(args.rounds, encode)
    with cache.attached(model):
        cached_out = encode()
        cached_s = best_of(args.rounds, encode)
    max_diff = float(np.abs(plain_out - cached_out).max())

    batches = [texts[i : i + args.batch] for i in range(0, args.batch * args.steps, args.batch)]
    batches = [b for b in batches if len(b) == args.batch] or [texts[: args.batch]]
    prepared = [model.prepare(b, ["th"] * len(b), "query") for b in batches]
    target = torch.nn.functional.normalize(torch.randn(args.batch, model.dim), dim=-1)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)

    def train():
        model.train()
        for batch in prepared:
            loss = (model(batch) - target).pow(2).sum(-1).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    train_plain_s = best_of(args.rounds, train)
    with cache.attached(model):
        train_cached_s = best_of(args.rounds, train)
    steps = len(prepared)
    result = {
        "device": f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)",
        "student": args.student, "trainable_top_layers": args.top, "texts": len(texts), "batch": args.batch,
        "fill_s": fill_s, "cache_mib": cache_mib,
        "encode_plain_texts_per_s": len(texts) / plain_s, "encode_cached_texts_per_s": len(texts) / cached_s, "encode_ratio": plain_s / cached_s,
        "train_plain_steps_per_s": steps / train_plain_s, "train_cached_steps_per_s": steps / train_cached_s, "train_ratio": train_plain_s / train_cached_s,
        "max_abs_diff": max_diff,
    }
    print(f"fill: {len(texts)} texts in {fill_s:.1f} s, {cache_mib:.0f} MiB kept")
    print(f"encode: plain {result['encode_plain_texts_per_s']:.0f} texts/s, cached {result['encode_cached_texts_per_s']:.0f} texts/s -> {result['encode_ratio']:.2f}x (max |diff| {max_diff:.1e})")
    print(f"train step (batch {args.batch}): plain {result['train_plain_steps_per_s']:.2f} steps/s, cached {result['train_cached_steps_per_s']:.2f} steps/s -> {result['train_ratio']:.2f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
