"""LiRA vs sentence-transformers: encoding and training throughput, same model, same data, same run.

(a) Encoding (sentences/s). Baseline: ``SentenceTransformer.encode(sentences, batch_size=B,
    normalize_embeddings=True)`` as shipped (fp32 weights). LiRA: ``lira.models.fast_encode``
    (one up-front tokenisation, token-length sorted batches with minimal padding, inference mode,
    the GPU precision ``default_dtype`` picks, pinned memory and non-blocking copies, one
    device->host copy at the end). With a tokenizer whose normaliser is a long per-codepoint chain
    (the offline e5), sentence-transformers is also timed with LiRA's tokenizer fast path around its
    own ``encode`` (identical ids): the tokenizer's share of the gap, shown apart from the rest.
    On a GPU a stronger baseline is also timed: sentence-transformers on a bf16 copy of the model.
    On a CPU ``--int8`` adds LiRA's dynamically quantised path, reported separately with its cosine
    to fp32 (approximate by design; never the headline).

(b) Training (pairs/s) of the anchor-distillation step: student(x) and student(en) regressed (MSE)
    onto fixed teacher vectors (precomputed, so the teacher costs nothing in either; here random
    unit vectors, which does not change the work). Baseline ("the sentence-transformers way", what
    SentenceTransformerTrainer + MSELoss does per step): random batches, ``model.tokenize`` of each
    text column inside the step, one fp32 forward per column, MSE, backward, AdamW (the optimizer the
    installed transformers' TrainingArguments picks by default), zero_grad. LiRA: all texts
    tokenised once up front, length-grouped batches (``LengthGroupedBatchSampler``), both columns in
    one forward, bf16 autocast and fused AdamW on a GPU, pinned memory + non-blocking copies,
    ``zero_grad(set_to_none=True)``. Same student weights at the start, same trainable parameters
    (word embeddings frozen in both, as LiRA trains; ``--train-embeddings`` unfreezes them in both),
    same batch size, same pairs, same number of timed steps; ``--warmup-steps`` excluded from timing.

Model FLOPs utilisation (GPU, training): ``MFU = 6 * N * T / t / peak`` with N the non-embedding
parameters (the transformer layers; token, position and type embedding tables excluded), T the
non-padding tokens processed in the timed steps, t their wall time and peak the card's dense bf16
rate (H100 SXM and H200: 989 TFLOP/s; ``--peak-tflops`` to override). 6 = 2 (multiply-add) x 3
(forward + backward for inputs + backward for weights); attention's sequence-length-quadratic FLOPs
are left out (small at these lengths), so this slightly understates the work done. ``MFU (padded)``
counts padding tokens too: the arithmetic the card actually did.

Peak memory: host RSS sampled every 5 ms during each phase (psutil), and on a GPU
``torch.cuda.max_memory_allocated`` reset before each phase.

    python benchmarks/bench_throughput.py --device cpu --n-sentences 512 --steps 5 --batch-size 16
    python benchmarks/bench_throughput.py --device cuda --batch-size 128 --steps 50
"""

from __future__ import annotations

import argparse
import copy
import functools
import gc
import json
import os
import platform
import random
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lira.models.compile import compiled_forward, padded_width  # noqa: E402
from lira.models.fast_encode import FastEncoder, default_dtype, non_embedding_parameters, pool, split_modules  # noqa: E402
from lira.models.prenormalize import call_prenormalized, table_for  # noqa: E402

PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "H800": 989.0, "GH200": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0}


# -- data ----------------------------------------------------------------------------------
def load_sentence_pairs(n: int, seed: int) -> tuple[list[tuple[str, str, str]], str]:
    """``n`` (text, english, language) pairs: the shipped parallel corpus when present, else generated."""
    try:
        from lira.data.pairs import load_pairs

        pairs = [(p.text, p.en, p.lang) for p in load_pairs(None, split="train")]
        source = f"shipped parallel corpus (train split, {len(pairs)} pairs)"
    except Exception as err:  # noqa: BLE001 - any failure means: not available here
        pairs, source = [], f"generated (corpus unavailable: {type(err).__name__})"
    if not pairs:
        pairs = generated_pairs(max(n, 1000), seed)
        source = source if source.startswith("generated") else "generated"
    rng = random.Random(seed)
    rng.shuffle(pairs)
    while len(pairs) < n:
        pairs = pairs + pairs
    return pairs[:n], source


def generated_pairs(n: int, seed: int) -> list[tuple[str, str, str]]:
    """Varied-length sentences (log-normal word counts, 1..120 words) in several scripts."""
    rng = random.Random(seed)
    syllables = ["ka", "ri", "mo", "ta", "ne", "su", "lo", "vi", "da", "pe", "การ", "ดาว", "โหลด", "cửa", "sổ", "mới", "ওয়েব", "করুন", "صفحہ", "کریں", "tab", "halaman"]
    out = []
    for _ in range(n):
        words = max(1, min(120, int(rng.lognormvariate(2.3, 0.8))))
        text = " ".join("".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))) for _ in range(words))
        en = " ".join(rng.choice(["the", "page", "open", "a", "new", "window", "download", "failed", "save", "file", "search", "web"]) for _ in range(max(1, int(words * 0.8))))
        out.append((text, en, "th"))  # mixed scripts; the language only feeds the fusion gate
    return out


# -- measurement helpers -------------------------------------------------------------------
class PeakRSS:
    """Peak resident set size of this process while the context is open (sampled)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        import psutil

        proc = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, proc.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakRSS":
        try:
            import psutil  # noqa: F401

            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        except ImportError:
            self._thread = None
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        else:
            import resource

            self.peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextmanager
def phase(device: torch.device, record: dict[str, Any]):
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    with PeakRSS() as rss:
        yield
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        record["gpu_peak_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    record["rss_peak_mib"] = rss.peak / 2**20


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_tflops(device: torch.device, override: float | None) -> float | None:
    if override:
        return override
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_BF16_TFLOPS.items():
        if key in name:
            return value
    return None


# -- models --------------------------------------------------------------------------------
def materialise_random(folder: Path, out: Path) -> Path:
    """A sentence-transformers folder with the architecture/tokenizer of ``folder`` and random weights
    (for machines without the weights: throughput and memory do not depend on weight values)."""
    import shutil

    from transformers import AutoConfig, AutoModel

    if (out / "model.safetensors").exists():
        return out
    shutil.copytree(folder, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("model.safetensors", "*.bin"))
    torch.manual_seed(0)
    model = AutoModel.from_config(AutoConfig.from_pretrained(folder))
    model.save_pretrained(out)
    return out


def load_model(name: str, device: torch.device, random_init: bool, max_seq_length: int | None):
    """The model, and the name or folder that loads the same weights (for the trainer way)."""
    from sentence_transformers import SentenceTransformer

    if random_init:
        path = materialise_random(Path(name), Path(os.environ.get("TMPDIR", "/tmp")) / f"lira-random-{Path(name).name}")
        model, source = SentenceTransformer(str(path), device=str(device)), str(path)
    else:
        from lira.models.loading import load_sentence_transformer

        model, source = load_sentence_transformer(name, device=str(device)), name
    if max_seq_length:
        model.max_seq_length = max_seq_length
    return model, source


# -- (a) encoding --------------------------------------------------------------------------
def bench_encode(model, sentences: list[str], args, device: torch.device) -> dict[str, Any]:
    """Every variant is warmed up, then timed in interleaved rounds (ST, LiRA, ST, LiRA, ...), and
    each variant's best round is kept: on a shared machine, interleaving exposes all variants to the
    same background load, and the minimum is the least disturbed measurement."""
    warm = sentences[: min(len(sentences), args.batch_size * 2)]
    model.eval()

    def st_encode(m, prenorm: bool = False):
        def encode(s):
            return m.encode(s, batch_size=args.batch_size, normalize_embeddings=True, convert_to_tensor=True, show_progress_bar=False).float().cpu().numpy()

        return (lambda s: call_prenormalized(m.tokenizer, s, encode)) if prenorm else encode

    # with a normaliser chain, each sentence-transformers variant is timed again with LiRA's tokenizer
    # fast path (identical ids): separates what the chain costs it from the rest of the gap
    chain = table_for(model.tokenizer) is not None
    variants: list[tuple[str, str, Any, dict[str, Any]]] = [("st", "sentence-transformers encode (fp32 weights)", st_encode(model), {})]
    if chain:
        variants.append(("st_prenorm", "sentence-transformers encode, tokenizer fast path (fp32 weights)", st_encode(model, prenorm=True), {}))
    if device.type == "cuda":
        try:
            bf16 = copy.deepcopy(model).to(torch.bfloat16)
            variants.append(("st_bf16", "sentence-transformers encode on a bf16 copy", st_encode(bf16), {}))
            if chain:
                variants.append(("st_bf16_prenorm", "sentence-transformers encode on a bf16 copy, tokenizer fast path", st_encode(bf16, prenorm=True), {}))
        except Exception as err:  # noqa: BLE001 - a baseline variant failing must not lose the others
            print(f"  st bf16 copy failed: {err!r}", flush=True)
    chosen = default_dtype(device, split_modules(model)[0].auto_model)
    fast = [("lira", {}, f"LiRA fast_encode (default: {'bf16 autocast' if chosen == torch.bfloat16 else 'fp32'})")]
    if device.type == "cuda":
        if chosen == torch.bfloat16:
            fast.append(("lira_fp32", {"dtype": torch.float32}, "LiRA fast_encode (fp32, same precision as the baseline)"))
        else:
            fast.append(("lira_bf16_autocast", {"dtype": torch.bfloat16}, "LiRA fast_encode (bf16 autocast)"))
        fast.append(("lira_bf16_weights", {"dtype": torch.bfloat16, "cast_weights": True}, "LiRA fast_encode (bf16 weight copy)"))
    if args.int8 and device.type == "cpu":
        fast.append(("lira_int8", {"quantize": "int8"}, "LiRA fast_encode, dynamic int8 (approximate)"))
    if args.compile:
        fast.append(("lira_compiled", {"compile": args.compile}, f"LiRA fast_encode (default precision, torch.compile {args.compile}, widths x16)"))
    for key, kwargs, label in fast:
        try:
            t0 = time.perf_counter()
            enc = FastEncoder(model, device=device, **kwargs)
            variants.append((key, label, lambda s, enc=enc: enc(s, batch_size=args.batch_size), {"prepare_s": time.perf_counter() - t0}))
        except Exception as err:  # noqa: BLE001
            print(f"  {key} failed to prepare: {err!r}", flush=True)

    best: dict[str, float] = {}
    rounds: dict[str, list[float]] = {}
    outputs: dict[str, np.ndarray] = {}
    memory: dict[str, dict[str, Any]] = {}
    failed: set[str] = set()
    for key, _, fn, extra in variants:
        try:
            fn(warm)
            if key == "lira_compiled":  # compile (and record CUDA graphs for) every shape of the timed input, untimed
                t0 = time.perf_counter()
                fn(sentences)
                fn(sentences)
                sync(device)
                extra["compile_warmup_s"] = time.perf_counter() - t0
        except Exception as err:  # noqa: BLE001
            print(f"  {key} failed: {err!r}", flush=True)
            failed.add(key)
    for _ in range(max(1, args.repeats)):
        for key, _, fn, _ in variants:
            if key in failed:
                continue
            rec: dict[str, Any] = {}
            with phase(device, rec):
                sync(device)
                t0 = time.perf_counter()
                out = fn(sentences)
                sync(device)
                secs = time.perf_counter() - t0
            rounds.setdefault(key, []).append(secs)
            best[key] = min(secs, best.get(key, float("inf")))
            outputs[key] = out
            memory[key] = {k: max(v, memory.get(key, {}).get(k, 0)) for k, v in rec.items()}
    ref = outputs["st"]
    results: dict[str, Any] = {}
    for key, label, _, extra in variants:
        if key in failed:
            continue
        c = np.sum(outputs[key] * ref, axis=1)
        results[key] = {
            "label": label, "seconds": best[key], "rounds_s": rounds[key], "sentences_per_s": len(sentences) / best[key],
            "speedup_vs_st": best["st"] / best[key],
            **({"speedup_vs_st_prenorm": best["st_prenorm"] / best[key]} if "st_prenorm" in best else {}), "cos_min": float(c.min()), "cos_mean": float(c.mean()), **extra, **memory[key],
        }
        print(f"  {key}: {results[key]['sentences_per_s']:,.0f} sent/s  rounds {[round(x, 2) for x in rounds[key]]}  cos_min={c.min():.5f}", flush=True)
    return results


# -- (b) training --------------------------------------------------------------------------
def default_hf_optimizer() -> str:
    try:
        from transformers import TrainingArguments

        field = TrainingArguments.__dataclass_fields__["optim"]
        return str(getattr(field.default, "value", field.default))
    except Exception:  # noqa: BLE001
        return "adamw_torch"


def trainable(model, train_embeddings: bool) -> list[torch.nn.Parameter]:
    backbone = split_modules(model)[0].auto_model
    backbone.get_input_embeddings().weight.requires_grad_(train_embeddings)
    pooler = getattr(backbone, "pooler", None)
    if pooler is not None:  # sentence-transformers never reads the pooler: no gradient either way
        pooler.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]


def count_tokens(mask: torch.Tensor) -> tuple[int, int]:
    return int(mask.sum()), int(mask.numel())


def st_way(model, pairs, targets, args, device, prenorm: bool = False) -> dict[str, Any]:
    """Per step: tokenize each column, one fp32 forward per column, MSE, backward, AdamW.

    ``prenorm``: the same loop with LiRA's tokenizer fast path (``call_prenormalized``, identical
    ids) around each tokenize call, so the ratio against it shows what the rest of LiRA's loop buys
    when the offline tokenizer's slow normaliser chain is taken out of the comparison."""
    params = trainable(model, args.train_embeddings)
    optim_name = default_hf_optimizer()
    fused = "fused" in optim_name
    optimizer = torch.optim.AdamW(params, lr=2e-5, fused=fused or None)
    rng = np.random.default_rng(args.seed)
    # warm-up batches come from the first warmup_steps * B pairs, timed batches from the rest: both ways
    # time exactly the same pairs (in their own order), so tokens and pairs per second compare directly
    n_warm = args.warmup_steps * args.batch_size
    order = np.concatenate([np.arange(n_warm), n_warm + rng.permutation(len(pairs) - n_warm)])
    mse = torch.nn.MSELoss()
    tokenize = getattr(model, "preprocess", None) or model.tokenize  # sentence-transformers >= 6 renamed it
    if prenorm:
        plain_tokenize = tokenize
        tokenize = lambda texts: call_prenormalized(model.tokenizer, texts, plain_tokenize)  # noqa: E731
    model.train()
    real = padded = 0
    t_start = None
    steps = args.warmup_steps + args.steps
    for step in range(steps):
        if step == args.warmup_steps:
            sync(device)
            t_start = time.perf_counter()
            real = padded = 0
        idx = order[step * args.batch_size : (step + 1) * args.batch_size]
        target = targets[idx].to(device, non_blocking=True)
        loss = 0.0
        for column in (0, 1):
            features = tokenize([pairs[i][column] for i in idx])
            features = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}
            r, p = count_tokens(features["attention_mask"])
            real, padded = real + r, padded + p
            emb = model(features)["sentence_embedding"]
            loss = loss + mse(emb, target)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    sync(device)
    secs = time.perf_counter() - t_start
    label = f"sentence-transformers way (fp32, per-step tokenize{', tokenizer fast path' if prenorm else ''}, {optim_name})"
    return {"label": label, "optimizer": f"AdamW(fused={bool(fused)})", "seconds": secs,
            "pairs_per_s": args.steps * args.batch_size / secs, "real_tokens": real, "padded_tokens": padded, "final_loss": float(loss.detach())}


def lira_way(model, pairs, targets, args, device, compile_mode: str | None = None) -> dict[str, Any]:
    """Pre-tokenised, length-grouped, one forward for both columns, bf16 autocast + fused AdamW on GPU.

    ``compile_mode``: ``torch.compile`` the backbone's forward, pad widths to ``--pad-multiple``
    (16 by default) and compile every (batch, width) shape the timed steps meet before timing."""
    from lira.data.batching import LengthGroupedBatchSampler

    params = trainable(model, args.train_embeddings)
    cuda = device.type == "cuda"
    optimizer = torch.optim.AdamW(params, lr=2e-5, fused=True)
    transformer, pooling, post = split_modules(model)
    enc = FastEncoder(model, device=device, dtype=torch.float32)  # reuse its tokenizer, batching and pooling plan
    tok_start = time.perf_counter()
    n_used = (args.warmup_steps + args.steps) * args.batch_size
    ids_x = enc.tokenize([pairs[i][0] for i in range(n_used)])
    ids_en = enc.tokenize([pairs[i][1] for i in range(n_used)])
    tokenize_s = time.perf_counter() - tok_start
    lengths = [len(a) + len(b) for a, b in zip(ids_x, ids_en)]
    n_warm = args.warmup_steps * args.batch_size
    batches = LengthGroupedBatchSampler(lengths[:n_warm], args.batch_size, seed=args.seed).batches() if n_warm else []
    batches += [[n_warm + i for i in b] for b in LengthGroupedBatchSampler(lengths[n_warm:], args.batch_size, seed=args.seed).batches()]
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if cuda and torch.cuda.is_bf16_supported() else nullcontext()
    backbone = transformer.auto_model
    multiple = args.pad_multiple or (16 if compile_mode else 1)

    def pad_batch(idx) -> tuple[np.ndarray, np.ndarray]:
        """Both columns of a batch, padded to the longest row rounded up to ``multiple``."""
        rows = [ids_x[i] for i in idx] + [ids_en[i] for i in idx]
        width = padded_width(max(len(r) for r in rows), multiple, args.max_seq_length)
        arr = np.full((len(rows), width), enc.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for j, r in enumerate(rows):
            arr[j, : len(r)] = r
            mask[j, : len(r)] = 1
        return arr, mask

    model.train()
    compile_s = 0.0
    # compiled as lira's TransformerAgent.compiled does (on the instance, restored at the end)
    with compiled_forward(backbone, compile_mode) if compile_mode else nullcontext():
        if compile_mode:  # compile (and record) every shape the timed steps will meet, untimed; no update
            start = time.perf_counter()
            shapes = {pad_batch(idx)[0].shape: idx for idx in batches[: args.warmup_steps + args.steps]}
            for idx in shapes.values():
                arr, mask = pad_batch(idx)
                for _ in range(3):  # reduce-overhead records its CUDA graph on a later call than the first
                    with amp:
                        hidden = backbone(input_ids=torch.from_numpy(arr).to(device), attention_mask=torch.from_numpy(mask).to(device))[0]
                    hidden.float().pow(2).mean().backward()
                    optimizer.zero_grad(set_to_none=True)
            sync(device)
            compile_s = time.perf_counter() - start
        real = padded = 0
        t_start = None
        for step, idx in enumerate(batches[: args.warmup_steps + args.steps]):
            if step == args.warmup_steps:
                sync(device)
                t_start = time.perf_counter()
                real = padded = 0
            arr, mask = pad_batch(idx)
            input_ids, attention = torch.from_numpy(arr), torch.from_numpy(mask)
            target = targets[idx]
            if cuda:
                input_ids, attention, target = input_ids.pin_memory(), attention.pin_memory(), target.pin_memory()
            input_ids = input_ids.to(device, non_blocking=True)
            attention = attention.to(device, non_blocking=True)
            target = target.to(device, non_blocking=True)
            real, padded = real + int(mask.sum()), padded + mask.size
            with amp:
                hidden = backbone(input_ids=input_ids, attention_mask=attention)[0]
                emb = pool(hidden, attention, enc.plan)
                if post:
                    features = {"sentence_embedding": emb}
                    for module in post:
                        features = module(features)
                    emb = features["sentence_embedding"]
            emb = emb.float()
            b = len(idx)
            loss = F.mse_loss(emb[:b], target) + F.mse_loss(emb[b:], target)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        sync(device)
        secs = time.perf_counter() - t_start
    label = "LiRA way (pre-tokenised, length-grouped" + (", bf16 autocast, fused AdamW" if cuda else ", fp32, fused AdamW")
    label += f", torch.compile {compile_mode}, widths padded to x{multiple})" if compile_mode else ")"
    return {"label": label, "optimizer": "AdamW(fused=True)", "seconds": secs, "pairs_per_s": args.steps * args.batch_size / secs,
            "real_tokens": real, "padded_tokens": padded, "tokenize_all_s": tokenize_s, "final_loss": float(loss.detach()),
            "compile": compile_mode, "pad_multiple": multiple, "compile_warmup_s": compile_s}


def trainer_way(model_path: str, pairs, args, device) -> dict[str, Any]:
    """``lira.train.train_arca`` as shipped, configured as the anchor-distillation step.

    One transformer agent, the anchor term only (contrastive and geometry weights 0), the same
    student, batch size, maximum length, trainable parameters and pairs as the other two ways. It
    does more than they do: the frozen teacher (``--teacher``) encodes each batch's English
    sentences that its cache has not seen (every one of them here: each pair is used once), where
    the other ways regress onto precomputed targets; plus gradient clipping, the LR schedule and the
    accelerate wrapper. Timed from the end of the last warm-up step to the end of the last step
    (``on_step``), so model loading and the final checkpoint are outside the timing.
    """
    import tempfile

    from lira.config import LiraConfig
    from lira.data.pairs import ParallelPair, save_pairs_tsv
    from lira.train import train_arca

    n = (args.warmup_steps + args.steps) * args.batch_size
    with tempfile.TemporaryDirectory(prefix="lira-bench-trainer-") as tmp:
        data = save_pairs_tsv([ParallelPair(en=" ".join(en.split()), text=" ".join(text.split()), lang=lang) for text, en, lang in pairs[:n]], Path(tmp) / "pairs.tsv")
        cfg = LiraConfig()
        cfg.model.student, cfg.model.teacher = model_path, args.teacher
        cfg.model.agents = ["transformer"]
        cfg.model.max_seq_length = args.max_seq_length
        cfg.model.freeze_word_embeddings = not args.train_embeddings
        cfg.arca.contrastive_weight = cfg.arca.geometry_weight = 0.0
        cfg.data.train = str(data)
        cfg.data.languages = sorted({lang for *_, lang in pairs[:n]})
        cfg.train.output_dir = str(Path(tmp) / "run")
        cfg.train.batch_size = args.batch_size
        cfg.train.max_steps = args.warmup_steps + args.steps
        cfg.train.learning_rate = 2e-5
        cfg.train.warmup_ratio = 0.0
        cfg.train.seed = args.seed
        cfg.train.checkpoint_every = 10**9
        cfg.train.log_every = 1  # one metrics line per step: its real-token count
        if args.compile:  # compiled as users would: shapes bounded by padding, compiled in the warm-up steps
            cfg.train.compile = args.compile
            cfg.model.pad_to_multiple_of = args.pad_multiple or 16
        stamps: dict[int, float] = {}

        def on_step(step: int, _logs: dict[str, float]) -> None:
            sync(device)
            stamps[step] = time.perf_counter()

        result = train_arca(cfg, resume=False, progress=False, on_step=on_step)
        records = [json.loads(line) for line in (Path(cfg.train.output_dir) / "metrics.jsonl").read_text().splitlines()]
    first = args.warmup_steps if args.warmup_steps else min(stamps)
    secs = stamps[max(stamps)] - stamps[first]
    timed = max(stamps) - first
    real = sum(r["tokens"] for r in records if r["step"] > first)
    return {"label": "LiRA trainer (lira.train.train_arca: anchor term only, one agent, teacher run per new sentence"
            + (f", train.compile {args.compile})" if args.compile else ")"),
            "optimizer": "AdamW (torch default)", "seconds": secs, "pairs_per_s": timed * args.batch_size / secs,
            "real_tokens": real, "timed_steps": timed, "steps": result.steps, "final_loss": result.last_logs.get("loss")}


def bench_train(model, pairs, args, device, model_source: str, results: dict[str, Any] | None = None, save=lambda: None) -> dict[str, Any]:
    """Time each training way; ``results`` is filled in place and ``save()`` called after each way, so
    that a run stopped part-way (a device call's time limit) still leaves the ways it finished."""
    dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else model.get_sentence_embedding_dimension()
    n = (args.warmup_steps + args.steps) * args.batch_size
    if len(pairs) < n:
        pairs = (pairs * (n // len(pairs) + 1))[:n]
    gen = torch.Generator().manual_seed(args.seed)
    targets = F.normalize(torch.randn(n, dim, generator=gen), dim=-1)
    initial = copy.deepcopy(model.state_dict())
    n_params = non_embedding_parameters(split_modules(model)[0].auto_model)
    peak = peak_tflops(device, args.peak_tflops)
    results = {} if results is None else results
    ways = [("st", st_way)]
    if table_for(model.tokenizer) is not None:
        ways.append(("st_prenorm", functools.partial(st_way, prenorm=True)))
    ways.append(("lira", lira_way))
    if args.compile:
        ways.append(("lira_compiled", functools.partial(lira_way, compile_mode=args.compile)))
    for key, fn in ways:
        model.load_state_dict(initial)
        rec: dict[str, Any] = {}
        with phase(device, rec):
            res = fn(model, pairs[:n], targets, args, device)
        res.update(rec)
        if peak:
            res["mfu"] = 6 * n_params * res["real_tokens"] / res["seconds"] / (peak * 1e12)
            res["mfu_padded"] = 6 * n_params * res["padded_tokens"] / res["seconds"] / (peak * 1e12)
        res["padding_fraction"] = 1 - res["real_tokens"] / max(res["padded_tokens"], 1)
        res["tokens_per_s"] = res["real_tokens"] / res["seconds"]
        results[key] = res
        save()
        print(f"  {key} train: {res['pairs_per_s']:,.1f} pairs/s  padding {res['padding_fraction']:.1%}" + (f"  MFU {res['mfu']:.1%}" if peak else ""), flush=True)
        gc.collect()
    if not args.skip_trainer:
        rec = {}
        with phase(device, rec):
            res = trainer_way(model_source, pairs[:n], args, device)
        res.update(rec)
        res["speedup_vs_st"] = res["pairs_per_s"] / results["st"]["pairs_per_s"]
        res["tokens_per_s"] = res["real_tokens"] / res["seconds"]
        if peak:
            res["mfu"] = 6 * n_params * res["real_tokens"] / res["seconds"] / (peak * 1e12)
        results["trainer"] = res
        save()
        print(f"  trainer train: {res['pairs_per_s']:,.1f} pairs/s", flush=True)
    results["speedup"] = results["lira"]["pairs_per_s"] / results["st"]["pairs_per_s"]
    if "lira_compiled" in results:
        results["speedup_compiled"] = results["lira_compiled"]["pairs_per_s"] / results["st"]["pairs_per_s"]
    if "st_prenorm" in results:
        results["speedup_vs_st_prenorm"] = results["lira"]["pairs_per_s"] / results["st_prenorm"]["pairs_per_s"]
    results["non_embedding_params"] = n_params
    results["peak_tflops"] = peak
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="offline:multilingual-e5-small", help="offline:<name>, a sentence-transformers folder or a hub id")
    ap.add_argument("--random-init", action="store_true", help="random weights with --model's architecture and tokenizer (--model must be a folder)")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--n-sentences", type=int, default=4096, help="sentences encoded in (a)")
    ap.add_argument("--steps", type=int, default=20, help="timed training steps in (b)")
    ap.add_argument("--warmup-steps", type=int, default=3)
    ap.add_argument("--max-seq-length", type=int, default=128, help="truncate inputs (LiRA trains at 64; e5 allows 512)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved timed encode rounds (the best of each variant is kept)")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    ap.add_argument("--int8", action="store_true", help="CPU: also time dynamic int8 quantisation")
    ap.add_argument("--train-embeddings", action="store_true", help="train the word-embedding table in both ways")
    ap.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak for MFU (default from the GPU name)")
    ap.add_argument("--skip-encode", action="store_true")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-trainer", action="store_true", help="(b) without timing lira.train.train_arca itself")
    ap.add_argument("--teacher", default="offline:all-minilm-l6-v2", help="the trainer way's frozen teacher")
    ap.add_argument("--compile", default=None, choices=["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"],
                    help="torch.compile the backbone: (a) a further FastEncoder row, (b) a further LiRA-loop row and the trainer "
                         "(train.compile); each compiles every shape it will meet before timing, the trainer in its warm-up steps")
    ap.add_argument("--pad-multiple", type=int, default=None, help="(b) pad LiRA's batch widths to a multiple (default 16 with --compile, else 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args(argv)

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model, model_source = load_model(args.model, device, args.random_init, args.max_seq_length)
    n_pairs = max(args.n_sentences // 2 + 1, (args.warmup_steps + args.steps) * args.batch_size)
    pairs, source = load_sentence_pairs(n_pairs, args.seed)
    sentences = [s for pair in pairs for s in pair[:2]][: args.n_sentences]
    info = {
        "model": args.model + (" (random weights, same architecture and tokenizer)" if args.random_init else ""),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine()),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "sentence_transformers": __import__("sentence_transformers").__version__,
        "transformers": __import__("transformers").__version__,
        "data": source,
        "batch_size": args.batch_size,
        "max_seq_length": args.max_seq_length,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    print(json.dumps(info, indent=1), flush=True)
    result: dict[str, Any] = {"info": info, "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}

    def save() -> None:  # after each part, atomically: a stopped run keeps what it finished
        if args.json_out:
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            tmp = args.json_out.with_name(args.json_out.name + ".tmp")
            tmp.write_text(json.dumps(result, indent=2) + "\n")
            os.replace(tmp, args.json_out)

    if not args.skip_encode:
        print(f"(a) encoding {len(sentences)} sentences, batch {args.batch_size}", flush=True)
        result["encode"] = bench_encode(model, sentences, args, device)
        save()
    if not args.skip_train:
        print(f"(b) training {args.steps} timed steps (+{args.warmup_steps} warm-up), batch {args.batch_size} pairs", flush=True)
        result["train"] = {}
        bench_train(model, pairs, args, device, model_source, result["train"], save)
    print_summary(result)
    save()
    if args.json_out:
        print(f"wrote {args.json_out}")
    return result


def print_summary(result: dict[str, Any]) -> None:
    info = result["info"]
    print(f"\n== {info['model']} on {info['device']} ({info['device_name']}), batch {info['batch_size']}, max_seq_length {info['max_seq_length']}")
    gpu = info["device"].startswith("cuda")
    if "encode" in result:
        print(f"{'encode':<72} {'sent/s':>10} {'x ST':>6} {'x ST+fp':>7} {'cos min':>8} {'RSS MiB':>8}" + (f" {'GPU MiB':>8}" if gpu else ""))
        for row in result["encode"].values():
            cos = "ref" if row is result["encode"].get("st") else f"{row['cos_min']:.5f}"
            vs_prenorm = f"{row['speedup_vs_st_prenorm']:>7.2f}" if "speedup_vs_st_prenorm" in row else f"{'':>7}"
            print(f"{row['label']:<72} {row['sentences_per_s']:>10,.0f} {row['speedup_vs_st']:>6.2f} {vs_prenorm} {cos:>8} {row['rss_peak_mib']:>8.0f}" + (f" {row['gpu_peak_mib']:>8.0f}" if gpu else ""))
        if "st_prenorm" in result["encode"]:
            print("(x ST+fp: against sentence-transformers given the same tokenizer fast path)")
    if "train" in result:
        t = result["train"]
        print(f"{'train':<72} {'pairs/s':>10} {'x ST':>6} {'pad %':>8} {'RSS MiB':>8}" + (f" {'GPU MiB':>8} {'MFU':>6}" if gpu else ""))
        for key in [k for k in ("st", "st_prenorm", "lira", "lira_compiled", "trainer") if k in t]:
            row = t[key]
            ratio = row["pairs_per_s"] / t["st"]["pairs_per_s"]
            extra = f" {row['gpu_peak_mib']:>8.0f} {row.get('mfu', float('nan')):>6.1%}" if gpu else ""
            pad = f"{row['padding_fraction']:>8.1%}" if "padding_fraction" in row else f"{'n/a':>8}"
            print(f"{row['label'][:72]:<72} {row['pairs_per_s']:>10,.1f} {ratio:>6.2f} {pad} {row['rss_peak_mib']:>8.0f}{extra}")


if __name__ == "__main__":
    main()
