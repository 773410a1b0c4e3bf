"""Arca training on accelerate: one loop for CPU, one GPU, or many (``accelerate launch``).

Mixed precision where the device has it, gradient accumulation, length-grouped batches, fixed
seeds, a progress bar, per-step metrics as JSONL, and checkpoints that are written atomically and
resumed after a kill: a resumed run skips exactly the batches it had consumed and restores every
RNG, so it ends where an unbroken run ends.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs, set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from lira.arca.model import ArcaEncoder, move_to_device
from lira.arca.teacher import load_teacher
from lira.arca.teacher_cache import TeacherAnchorCache
from lira.config import LiraConfig
from lira.data.batching import LengthGroupedBatchSampler
from lira.data.gettext_build import source_family
from lira.data.pairs import ParallelPair, load_pairs
from lira.data.retrieval import DEFAULT_MINING_DEPTH, RetrievalBatches, load_retrieval_data
from lira.data.training_noise import TrainingNoise, training_noise_level
from lira.eval.dev import DevEvaluator, shipped_ood_dev, worse_sets
from lira.model_card import update_card
from lira.models.prefix_cache import attached_if, evaluation_cache
from lira.frozen_weights import check_resumable, drop_frozen_weights, frozen_digest
from lira.lasr.head import LasrHead
from lira.lasr.joint import HEAD_DIR, TASK, JointLasr, lasr_training_examples
from lira.objective import ArcaObjective, RetrievalViews

CHECKPOINT_DIR = "checkpoints"
LATEST_FILE = "LATEST"
STATE_FILE = "trainer_state.json"
METRICS_FILE = "metrics.jsonl"
DEV_METRICS_FILE = "dev_metrics.jsonl"
MODEL_DIR = "model"
BEST_DIR = "best"
LAST_MODEL_DIR = "model-last"


@dataclass
class TrainResult:
    output_dir: Path
    model_dir: Path
    steps: int
    seconds: float
    pairs_seen: int
    last_logs: dict[str, float]
    resumed_from: int | None
    dev: dict[str, dict[str, float]] | None = None
    """Dev metrics (``lira.eval.dev``) at ``start``, ``end`` and of the kept model (``selected``)."""
    selected_step: int | None = None
    """The step whose model is in ``model_dir`` (the best dev score, with ``train.select_best``)."""
    warnings: tuple[str, ...] = ()


class PairCollator:
    """Tokenises a batch of pairs once for the student (both sides, then the noised copies of the
    low-resource side when ``noise`` is given); the English sentences go to the teacher's cache
    (``TeacherAnchorCache``) as ids and texts. ``epoch`` (set by the loop) seeds the noised copies."""

    def __init__(self, model: ArcaEncoder, english_ids: dict[str, int], noise: TrainingNoise | None = None) -> None:
        self.model = model
        self.english_ids = english_ids
        self.noise = noise
        self.epoch = 0

    def __call__(self, pairs: Sequence[ParallelPair]) -> dict[str, Any]:
        texts = [p.text for p in pairs] + [p.en for p in pairs]
        langs = [p.lang for p in pairs] + ["en"] * len(pairs)
        if self.noise is not None:
            texts += [self.noise(p.text, p.lang, self.epoch) for p in pairs]
            langs += [p.lang for p in pairs]
        return {
            "student": self.model.prepare(texts, langs),
            "english": [p.en for p in pairs],
            "groups": torch.tensor([self.english_ids[p.en] for p in pairs], dtype=torch.long),
        }


def resolve_mixed_precision(setting: str) -> str:
    if setting != "auto":
        if setting not in {"no", "bf16", "fp16"}:
            raise ValueError(f"train.mixed_precision must be auto, no, bf16 or fp16; got {setting!r}")
        return setting
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "no"


def training_pairs(config: LiraConfig) -> list[ParallelPair]:
    pairs = load_pairs(config.data.train, split="train", languages=config.data.languages, max_chars=config.data.max_chars)
    if config.data.train is None and config.data.train_catalogs:
        catalogs = load_pairs(str(shipped_ood_dev()), split="train", languages=config.data.languages, max_chars=config.data.max_chars)
        families = config.data.train_catalog_families
        pairs += catalogs if families is None else [p for p in catalogs if source_family(p) in families]
    cap = config.data.max_train_pairs_per_language
    if cap is None:
        return pairs
    rng = np.random.default_rng(config.train.seed if config.data.subset_seed is None else config.data.subset_seed)
    by_lang: dict[str, list[ParallelPair]] = {}
    for pair in pairs:
        by_lang.setdefault(pair.lang, []).append(pair)
    kept: list[ParallelPair] = []
    for lang in sorted(by_lang):
        group = by_lang[lang]
        idx = rng.permutation(len(group))[:cap]
        kept.extend(group[i] for i in sorted(idx))
    return kept


RETRIEVAL_EPOCH_STRIDE = 1_000_000
"""The retrieval batch of micro-batch m of epoch e is ``batch(e * RETRIEVAL_EPOCH_STRIDE + m)``."""


def _noise_maker(config: LiraConfig, level: float | None = None) -> TrainingNoise:
    """The noise terms' copies (``level`` None), or the retrieval queries' (``level``: their own, if set)."""
    a = config.arca
    return TrainingNoise(config.data.languages, level=training_noise_level(level, a.noise_level), kinds=a.noise_kinds,
                         held_out=a.noise_held_out_kind, seed=config.train.seed)


def training_noise(config: LiraConfig) -> TrainingNoise | None:
    """The noised copies' maker when a noise term is on (``arca.noise_*``), else None."""
    return _noise_maker(config) if config.arca.uses_noise() else None


def retrieval_batches(config: LiraConfig) -> RetrievalBatches | None:
    """The retrieval term's batches when it is on (``arca.retrieval_weight``), else None."""
    a = config.arca
    if not a.uses_retrieval():
        return None
    data = load_retrieval_data(config.data.retrieval, config.data.languages, catalogs=a.retrieval_catalogs,
                               depth=a.retrieval_mining_depth or DEFAULT_MINING_DEPTH, paraphrases=bool(a.retrieval_paraphrases))
    share = a.retrieval_query_noise or 0.0
    return RetrievalBatches(data, batch_size=a.retrieval_batch_size or config.train.batch_size,
                            hard_negatives=a.retrieval_hard_negatives or 0, seed=config.train.seed,
                            query_noise=_noise_maker(config, a.retrieval_query_noise_level) if share else None, query_noise_share=share)


def retrieval_steps(config: LiraConfig, n_pairs: int, epochs: int) -> list[int]:
    """Every key the training loop passes to ``RetrievalBatches.batch`` in a run of ``epochs`` epochs
    (``epoch * 1_000_000 + micro-batch in epoch``; see ``_encode_retrieval``'s caller)."""
    micro_per_epoch = math.ceil(n_pairs / config.train.batch_size)
    return [epoch * RETRIEVAL_EPOCH_STRIDE + micro for epoch in range(epochs) for micro in range(micro_per_epoch)]


def _schedule(config: LiraConfig, n_pairs: int, num_processes: int = 1) -> tuple[int, int]:
    """(optimizer steps per epoch, total optimizer steps) of a run over ``n_pairs`` pairs."""
    tc = config.train
    micro_per_epoch = math.ceil(n_pairs / tc.batch_size)
    steps_per_epoch = max(1, math.ceil(micro_per_epoch / (tc.gradient_accumulation_steps * num_processes)))
    return steps_per_epoch, tc.max_steps or max(1, math.ceil(tc.epochs * steps_per_epoch))


def training_epochs(config: LiraConfig, n_pairs: int, num_processes: int = 1) -> int:
    """How many epochs (whole or begun) a run over ``n_pairs`` pairs goes through: what
    :func:`term_texts` needs to list every noised copy the run will make."""
    steps_per_epoch, total_steps = _schedule(config, n_pairs, num_processes)
    return math.ceil(total_steps / steps_per_epoch)


def term_texts(config: LiraConfig, pairs: Sequence[ParallelPair] | None = None, epochs: int = 1) -> dict[str, list[str]]:
    """Texts the retrieval and noise terms encode beyond the pairs, by prompt name (``query`` for the
    pairs' prompt, queries and noised copies; ``passage`` for titles), for a run of ``epochs`` epochs:
    what a frozen-prefix cache (``train_arca(prefix_cache=...)``) must be filled with as well."""
    out: dict[str, set[str]] = {}
    noise = training_noise(config)
    if noise is not None:
        pairs = training_pairs(config) if pairs is None else pairs
        out.setdefault(config.model.prompt_name or "query", set()).update(noise.texts([(p.text, p.lang) for p in pairs], epochs))
    batches = retrieval_batches(config)
    if batches is not None:
        for prompt, texts in batches.data.texts().items():
            out.setdefault(prompt, set()).update(texts)
        if batches.query_noise is not None:
            pairs = training_pairs(config) if pairs is None else pairs
            out.setdefault("query", set()).update(batches.noised_queries(retrieval_steps(config, len(pairs), epochs)))
    return {prompt: sorted(texts) for prompt, texts in out.items()}


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def latest_checkpoint(output_dir: Path) -> Path | None:
    pointer = output_dir / CHECKPOINT_DIR / LATEST_FILE
    if not pointer.exists():
        return None
    path = output_dir / CHECKPOINT_DIR / pointer.read_text(encoding="utf-8").strip()
    return path if (path / STATE_FILE).exists() else None


def _save_checkpoint(accelerator: Accelerator, output_dir: Path, state: dict[str, Any]) -> None:
    """Write to ``step-N.tmp``, rename to ``step-N``, then move the LATEST pointer: a kill at any
    moment leaves either the old or the new checkpoint complete, never a half-written one."""
    root = output_dir / CHECKPOINT_DIR
    name = f"step-{state['global_step']:07d}"
    tmp = root / f"{name}.tmp"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    if accelerator.is_main_process:
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        final = root / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        _atomic_write_text(root / LATEST_FILE, name + "\n")
        for old in root.glob("step-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def _truncate_metrics(path: Path, last_step: int) -> None:
    """On resume, drop log lines written after the checkpoint so the log reads as one run."""
    if not path.exists():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if line and json.loads(line)["step"] <= last_step]
    _atomic_write_text(path, "".join(line + "\n" for line in kept))


def train_arca(
    config: LiraConfig,
    *,
    resume: bool = True,
    progress: bool = True,
    stop_after_steps: int | None = None,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
    prefix_cache: Any | None = None,
) -> TrainResult:
    """Train Arca as ``config`` says; returns where the model and logs are.

    ``resume``: continue from ``output_dir``'s latest checkpoint if there is one.
    ``stop_after_steps``: leave the loop after that many optimizer steps *as if killed* (the
    schedule still spans the full run), used to test resumption.
    ``prefix_cache``: a filled ``lira.models.prefix_cache.FrozenPrefixCache`` of the student: the
    frozen lower layers are read from it instead of recomputed (``lira eval suite`` trains many
    models from one student this way); every training text must be in it.
    """
    config.check_paths()
    tc = config.train
    if tc.compile != "no" and prefix_cache is not None:
        raise ValueError("train.compile cannot be combined with a frozen-prefix cache (it swaps the backbone's forward at run time)")
    if config.model.frozen_dropout and prefix_cache is not None:
        raise ValueError("model.frozen_dropout cannot be combined with a frozen-prefix cache (it holds the frozen layers' eval-mode states, without dropout)")
    output_dir = Path(tc.output_dir)
    # find_unused_parameters: the backbone's pooler (sentence-transformers never reads it) and a
    # one-agent fusion gate get no gradient; without it DDP stops at the second step.
    accelerator = Accelerator(
        mixed_precision=resolve_mixed_precision(tc.mixed_precision),
        gradient_accumulation_steps=tc.gradient_accumulation_steps,
        kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)],
    )
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and accelerator.num_processes != world:
        raise RuntimeError(
            f"launched as {world} processes but accelerate runs {accelerator.num_processes}: each would train alone and "
            "overwrite the others' checkpoints (on CPU set ACCELERATE_USE_CPU=1; `accelerate launch --cpu` starts one process)"
        )
    if tc.num_threads:
        torch.set_num_threads(tc.num_threads)
    set_seed(tc.seed)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        config.to_yaml(output_dir / "config.yaml")

    pairs = training_pairs(config)
    if not pairs:
        raise ValueError(f"no training pairs for languages {config.data.languages} in {config.data.train or 'the shipped corpus'}")
    english_ids = {en: i for i, en in enumerate(sorted({p.en for p in pairs}))}

    device = accelerator.device
    # The anchor and geometry terms read the English anchors; with both off no teacher is loaded.
    teacher = load_teacher(config.model, device=str(device)) if config.arca.uses_anchor_vectors() else None
    model = ArcaEncoder.from_student(config.model.student, config.model, device=str(device))
    model.card_facts = {"config": config.to_dict(), "languages": list(config.data.languages)}  # every saved model's card
    objective = ArcaObjective(config.arca)
    deep_supervision = bool(config.arca.transformer_contrastive_weight)
    if objective.contrastive.memory is not None:
        accelerator.register_for_checkpointing(objective.contrastive.memory)  # a resumed run keeps its negatives

    joint = JointLasr(config, dim=model.dim) if config.lasr.enabled and config.lasr.schedule == "joint" else None
    new_ids = {id(p) for p in model.new_parameters()}
    base_params = [p for p in model.parameters() if p.requires_grad and id(p) not in new_ids]
    head_params = [p for p in model.new_parameters() if p.requires_grad]
    groups = [{"params": base_params, "lr": tc.learning_rate}, {"params": head_params, "lr": tc.head_learning_rate}]
    if joint is not None:
        groups.append({"params": list(joint.head.parameters()), "lr": config.lasr.head_learning_rate})
    optimizer = torch.optim.AdamW(groups, weight_decay=tc.weight_decay)
    steps_per_epoch, total_steps = _schedule(config, len(pairs), accelerator.num_processes)
    # A prepared scheduler is stepped num_processes times per optimizer step (accelerate, split_batches=False).
    scheduler = get_linear_schedule_with_warmup(optimizer, int(tc.warmup_ratio * total_steps) * accelerator.num_processes, total_steps * accelerator.num_processes)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    lasr_head = accelerator.prepare(joint.head) if joint is not None else None
    inner: ArcaEncoder = accelerator.unwrap_model(model)
    # Checkpoints leave the frozen weights out (lira.frozen_weights); the digest guards the resume.
    accelerator.register_save_state_pre_hook(drop_frozen_weights)
    digest = frozen_digest(model)

    noise = training_noise(config)
    retrieval = retrieval_batches(config)
    collate = PairCollator(inner, english_ids, noise)
    teacher_vectors = TeacherAnchorCache(teacher, len(english_ids)) if teacher is not None else None
    lengths = [len(p.text) + len(p.en) for p in pairs]
    languages = [p.lang for p in pairs] if tc.language_batches else None

    state: dict[str, Any] = {"global_step": 0, "epoch": 0, "micro_in_epoch": 0, "pairs_seen": 0}
    resumed_from = None
    checkpoint = latest_checkpoint(output_dir) if resume else None
    if checkpoint is not None:
        state = json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8"))
        check_resumable(checkpoint, model, state.get("frozen_sha256"), digest)
        if objective.contrastive.memory is not None and not (checkpoint / "custom_checkpoint_0.pkl").exists():
            raise ValueError(f"{checkpoint}: written without a contrastive memory, but arca.contrastive_memory is set; "
                             "resume with the config the run started with, or start a new train.output_dir")
        accelerator.load_state(str(checkpoint), strict=False)  # the frozen weights stay as the student has them
        resumed_from = state["global_step"]
        accelerator.print(f"resumed from {checkpoint} (step {resumed_from})")
    state["frozen_sha256"] = digest
    metrics_path = output_dir / METRICS_FILE
    dev_path = output_dir / DEV_METRICS_FILE
    if accelerator.is_main_process:
        for path in (metrics_path, dev_path):
            if checkpoint is None:
                path.unlink(missing_ok=True)
            else:
                _truncate_metrics(path, state["global_step"])
    dev = DevEvaluator.from_config(config) if tc.dev_eval and accelerator.is_main_process else None
    if dev is not None and "dev_english_reference" in state:
        dev.english_reference = state["dev_english_reference"]  # a resumed run compares English with the untrained student's

    # Every dev evaluation of the run sees the same frozen lower layers: their states are computed at
    # the first one and later ones rerun only the trained top layers (a third of the work with the
    # demo's 4 of 12). A study's own prefix cache already covers the dev texts; compile swaps the forward.
    dev_cache = evaluation_cache(inner) if dev is not None and prefix_cache is None and tc.compile == "no" else None

    def evaluate_dev(step: int) -> None:
        """Score the dev sets, log them, and keep the model if it is the best so far."""
        if dev is None:
            return
        if dev_cache is not None and not len(dev_cache):
            dev_cache.fill(inner, dev.texts(), batch_size=config.eval.batch_size, encoding_only=True)
        with attached_if(dev_cache, inner):
            scores = dev(inner)
        with dev_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"step": step, **scores}) + "\n")
        state.setdefault("dev_start", scores)
        state["dev_english_reference"] = dev.english_reference
        state["dev_last"] = scores
        tqdm.write(f"dev @ step {step}: score {scores['dev_score']:.4f} (in-domain x->en {scores.get('in_domain/mean/x2en/acc@1', float('nan')):.3f}, "
                   f"out-of-domain x->en {scores.get('out_of_domain/mean/x2en/acc@1', float('nan')):.3f})")
        if tc.select_best and scores["dev_score"] > state.get("best_score", float("-inf")):
            inner.save(output_dir / BEST_DIR)
            state.update(best_score=scores["dev_score"], best_step=step, dev_best=scores)

    bar = tqdm(total=total_steps, initial=state["global_step"], desc="arca", disable=not (progress and accelerator.is_local_main_process), dynamic_ncols=True)
    start_time = time.perf_counter()
    logs: dict[str, float] = {}
    window_pairs, window_tokens, window_start = 0, 0, time.perf_counter()
    stopped_early = False
    model.train()
    # The frozen-prefix cache or the compiled backbone (never both) is there for the loop only: save()
    # and the LaSR stage below see the plain model.
    if prefix_cache is not None:
        loop_context = prefix_cache.attached(inner)
    elif tc.compile != "no":
        loop_context = inner.transformer.compiled(tc.compile)
    else:
        loop_context = contextlib.nullcontext()
    with loop_context:
        if state["global_step"] == 0 and "dev_start" not in state:
            evaluate_dev(0)  # the untrained student: the reference every later score is compared with
        while state["global_step"] < total_steps and not stopped_early:
            sampler = LengthGroupedBatchSampler(lengths, tc.batch_size, seed=tc.seed, epoch=state["epoch"], groups=languages)
            collate.epoch = state["epoch"]  # before the loader (and any worker's copy of the collator) exists
            # A private generator: creating a DataLoader iterator draws a seed from it, and drawing
            # from the global RNG instead would shift dropout after a resume.
            plain = DataLoader(
                pairs, batch_sampler=sampler, collate_fn=collate, generator=torch.Generator().manual_seed(tc.seed),  # type: ignore[arg-type]
                num_workers=tc.num_workers, persistent_workers=False,
            )
            loader = accelerator.prepare_data_loader(plain, device_placement=False)
            if state["micro_in_epoch"]:
                loader = accelerator.skip_first_batches(loader, state["micro_in_epoch"])
            for batch in loader:
                anchor_ids = batch["groups"]  # on the host: the teacher cache indexes with them
                # counted on the host: a .sum() on the device would synchronise every step
                real_tokens = int(batch["student"]["transformer"]["attention_mask"].sum())
                batch = move_to_device(batch, device)
                with accelerator.accumulate(model):
                    teacher_en = teacher_vectors(anchor_ids, batch["english"], device) if teacher_vectors is not None else None
                    n = len(batch["english"])
                    transformer_views = None
                    with accelerator.autocast():
                        if deep_supervision:
                            embeddings, transformer_out = model(batch["student"], with_transformer=True)
                            transformer_views = (transformer_out[:n].float(), transformer_out[n : 2 * n].float())
                        else:
                            embeddings = model(batch["student"])
                    noised = embeddings[2 * n :].float() if noise is not None else None
                    views = _encode_retrieval(model, inner, retrieval, state["epoch"] * RETRIEVAL_EPOCH_STRIDE + state["micro_in_epoch"], device, accelerator) if retrieval is not None else None
                    loss, logs = objective(embeddings[:n].float(), embeddings[n : 2 * n].float(), teacher_en, batch["groups"], noised_lrl=noised, retrieval=views,
                                             transformer=transformer_views)
                    if joint is not None:
                        with accelerator.autocast():
                            lasr_loss, lasr_logs = joint.loss(model, lasr_head, state["epoch"] * RETRIEVAL_EPOCH_STRIDE + state["micro_in_epoch"], device)
                        loss = loss + lasr_loss
                        logs = {**logs, **lasr_logs, "loss": float(loss.detach())}
                    accelerator.backward(loss)
                    if accelerator.sync_gradients and tc.max_grad_norm:
                        accelerator.clip_grad_norm_(model.parameters(), tc.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                state["micro_in_epoch"] += 1
                state["pairs_seen"] += n * accelerator.num_processes
                window_pairs += n * accelerator.num_processes
                window_tokens += real_tokens * accelerator.num_processes
                if not accelerator.sync_gradients:
                    continue
                state["global_step"] += 1
                step = state["global_step"]
                bar.update(1)
                bar.set_postfix(loss=f"{logs['loss']:.4f}")
                if on_step is not None:
                    on_step(step, logs)
                if step % tc.log_every == 0 or step == total_steps:
                    if accelerator.num_processes > 1:  # log the global batch's losses, not rank 0's share
                        values = accelerator.reduce(torch.tensor(list(logs.values()), device=device, dtype=torch.float64), reduction="mean")
                        logs = dict(zip(logs, values.tolist()))
                    elapsed = time.perf_counter() - window_start
                    record = {"step": step, "epoch": state["epoch"], "lr": scheduler.get_last_lr()[0], **logs, "pairs_per_s": window_pairs / max(elapsed, 1e-9),
                              "tokens": window_tokens, "tokens_per_s": window_tokens / max(elapsed, 1e-9)}
                    window_pairs, window_tokens, window_start = 0, 0, time.perf_counter()
                    if accelerator.is_main_process:
                        with metrics_path.open("a", encoding="utf-8") as fh:
                            fh.write(json.dumps(record) + "\n")
                last = step == total_steps
                if step % tc.checkpoint_every == 0 or last:
                    evaluate_dev(step)
                    _save_checkpoint(accelerator, output_dir, dict(state))
                if last or (stop_after_steps is not None and step >= stop_after_steps):
                    stopped_early = not last
                    break
            else:
                state["epoch"] += 1
                state["micro_in_epoch"] = 0
    bar.close()
    model_dir = output_dir / MODEL_DIR
    selected_step: int | None = state["global_step"]
    warnings: list[str] = []
    if not stopped_early and accelerator.is_main_process:
        best_step = state.get("best_step") if tc.select_best and (output_dir / BEST_DIR).exists() else None
        keep_best = best_step is not None and best_step != state["global_step"]
        if keep_best:
            # The dev-selected model becomes model/ (LaSR's head is trained on it); the last step's is kept beside it.
            inner.save(output_dir / LAST_MODEL_DIR)
            inner = ArcaEncoder.load(output_dir / BEST_DIR, device=str(device))
        if best_step is not None:  # best/ already holds the model to keep (the last step's, when it was the best)
            shutil.rmtree(model_dir, ignore_errors=True)
            os.replace(output_dir / BEST_DIR, model_dir)
            selected_step = best_step
        else:
            inner.save(model_dir)
        if config.lasr.enabled:
            head = _finish_lasr(config, inner, joint, accelerator.unwrap_model(lasr_head) if lasr_head is not None else None, progress)
            head.save(model_dir / HEAD_DIR)
        if "dev_start" in state:
            checks = [("the last step", state["global_step"], state["dev_last"])]
            if keep_best:
                checks.insert(0, ("the kept model", best_step, state["dev_best"]))
            for label, step, scores in checks:
                warnings += [f"{label} (step {step}) is worse than the untrained student on dev: {worse}" for worse in worse_sets(state["dev_start"], scores)]
            for line in warnings:
                accelerator.print(f"WARNING: {line}")
    accelerator.wait_for_everyone()
    dev_summary = None
    if "dev_start" in state:
        dev_summary = {"start": state["dev_start"], "end": state["dev_last"], "selected": state["dev_best"] if selected_step != state["global_step"] else state["dev_last"]}
    if not stopped_early and accelerator.is_main_process and (model_dir / "arca.json").exists():
        # the kept model's card gets the scores the run measured (known only now)
        update_card(model_dir, dev=dev_summary, selected_step=selected_step if dev_summary else None)
    return TrainResult(output_dir, model_dir, state["global_step"], time.perf_counter() - start_time, state["pairs_seen"], logs, resumed_from,
                       dev_summary, selected_step, tuple(warnings))


def _encode_retrieval(model: Any, inner: ArcaEncoder, batches: RetrievalBatches, step: int, device: torch.device, accelerator: Accelerator) -> RetrievalViews:
    """The step's retrieval batch, encoded by the model being trained: queries with the ``query``
    prompt, titles with ``passage`` (as ``lira eval products`` encodes them)."""
    rb = batches.batch(step)
    with accelerator.autocast():
        queries = model(move_to_device(inner.prepare(rb.queries, rb.query_langs, "query"), device))
        titles = model(move_to_device(inner.prepare(rb.titles, rb.title_langs, "passage"), device))
    return RetrievalViews(queries.float(), titles.float(), rb.positives.to(device), rb.false_negatives.to(device))


def _finish_lasr(config: LiraConfig, model: ArcaEncoder, joint: JointLasr | None, head: LasrHead | None, progress: bool) -> LasrHead:
    """joint: the head trained beside the encoder; staged: train it now on the frozen encoder."""
    if joint is not None and head is not None:
        head.mark_trained(joint.trained_languages(), tasks=[TASK])
        return head.eval()
    from lira.eval.base import CachingEncoder
    from lira.lasr.trainer import embed_examples, train_head

    data = embed_examples(CachingEncoder(model), lasr_training_examples(config), show_progress_bar=progress)
    trained, _ = train_head(data, config.lasr, languages=config.data.languages, seed=config.train.seed, progress=progress)
    return trained
