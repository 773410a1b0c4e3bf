"""Training checkpoints without the frozen weights.

A frozen parameter never changes during training, so a checkpoint need not carry it: the run that
resumes rebuilds the model from the same student, and the frozen values come from there. For
e5-small with its word embeddings frozen (LiRA's default) that is 384 MB of a ~470 MB model file,
at every checkpoint of every run.

What makes this safe is the digest: the run records a sha256 of its frozen weights in each
checkpoint's state, and a resume whose rebuilt student has different frozen weights (the student's
folder was replaced, a hub name now points elsewhere) is refused instead of silently mixing two
models. Checkpoints written before this existed carry every weight and load as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetensors import safe_open
from torch import nn

from lira.models.fingerprint import tensors_digest

MODEL_FILE = "model.safetensors"  # accelerate's name for the first prepared model's weights


def frozen_parameter_names(module: nn.Module) -> set[str]:
    """Names (as in ``module.state_dict()``) of the parameters that take no gradient."""
    return {name for name, param in module.named_parameters() if not param.requires_grad}


def frozen_digest(module: nn.Module) -> str:
    """sha256 over the frozen parameters' names and values (one pass, no copy on a CPU)."""
    params = dict(module.named_parameters())
    return tensors_digest((name, params[name]) for name in sorted(frozen_parameter_names(module)))


def drop_frozen_weights(models: list[nn.Module], weights: list[dict[str, Any]], _output_dir: str) -> None:
    """An ``Accelerator.register_save_state_pre_hook`` hook: leave each model's frozen parameters
    out of the state dict accelerate is about to write. (Under FSDP or DeepSpeed accelerate saves
    the models itself and ``weights`` is empty: nothing is left out there.)"""
    for i, state in enumerate(weights):
        frozen = frozen_parameter_names(models[i])
        if frozen:
            weights[i] = {key: value for key, value in state.items() if key not in frozen}


def check_resumable(checkpoint: Path, model: nn.Module, saved_digest: str | None, current_digest: str) -> None:
    """Raise unless ``checkpoint``'s model file plus ``model``'s own frozen weights make the whole
    model: every weight the file lacks must be frozen here, and, if it lacks any, the frozen
    weights must be the ones the checkpoint was written with."""
    path = Path(checkpoint) / MODEL_FILE
    if not path.exists():
        return  # a torch .bin checkpoint (accelerate's other format) carries every weight
    with safe_open(str(path), framework="pt") as handle:
        stored = set(handle.keys())
    missing = set(model.state_dict()) - stored
    if not missing:
        return
    not_frozen = sorted(missing - frozen_parameter_names(model))
    if not_frozen:
        raise ValueError(
            f"{path}: lacks {len(not_frozen)} trained weight(s) ({', '.join(not_frozen[:3])}{', ...' if len(not_frozen) > 3 else ''}) "
            "that this run trains; was it written with other model settings (model.trainable_top_layers, model.lora_rank)?"
        )
    if saved_digest is not None and saved_digest != current_digest:
        raise ValueError(
            f"{checkpoint}: the student's frozen weights differ from those this checkpoint was trained with "
            "(the folder or hub name in model.student now holds another model); resume refused. "
            "Restore that student, or start over without resuming (--no-resume)."
        )
