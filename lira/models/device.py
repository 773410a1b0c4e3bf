"""The device a model goes to when the caller names none."""

from __future__ import annotations

import torch


def default_device(device: str | torch.device | None = None) -> str:
    """``device`` as given, else ``"cuda"`` where a CUDA GPU is visible, else ``"cpu"``.

    Training picks its device through accelerate; this is for everything else that loads a model
    (evaluation, the demo's before/after scoring, ``lira eval``, indexing). Loading onto the CPU
    unconditionally left those on the host on a GPU machine: on the lent H200 the full default
    run's two evaluations took about a minute of CPU time next to 77 s of training
    (benchmarks/RESULTS.md).
    """
    if device is not None:
        return str(device)
    return "cuda" if torch.cuda.is_available() else "cpu"
