"""A faster inference path for sentence-transformers models (Transformer -> Pooling -> Dense/Normalize).

``fast_encode(st_model, sentences, batch_size)`` gives the same vectors as
``st_model.encode(sentences, batch_size=..., normalize_embeddings=True)`` (cosine > 0.999 in fp32,
see ``tests/test_fast_encode.py``) with less work per sentence:

* every sentence is tokenised up front in **one** batched fast-tokenizer call, without padding;
* sentences are sorted by **token** length (sentence-transformers sorts by characters), and each
  batch is padded only to its own longest row, so almost no compute goes to padding;
* the transformer runs under ``torch.inference_mode``; on a GPU in bf16 (autocast, or a bf16 copy
  of the weights with ``cast_weights=True``; small backbones stay fp32, see :func:`default_dtype`)
  from pinned host memory with non-blocking copies, and
  results stay on the device until one copy back at the end (no per-batch synchronisation);
* pooling follows the model's own Pooling module (mean, cls, max, mean_sqrt_len_tokens,
  weightedmean, lasttoken, ``include_prompt``), then its Dense/Normalize modules, then L2 norm.

On a CPU it runs fp32 (PyTorch's CPU matmuls already go through MKL/oneDNN, and attention through
``scaled_dot_product_attention`` when the model was loaded with ``attn_implementation="sdpa"``, the
default). ``quantize="int8"`` (CPU only) runs a dynamically quantised copy of the linear layers:
faster, but not the same function, so it is reported separately with its cosine to fp32.

``compile="reduce-overhead"`` (GPU) runs the backbone through ``torch.compile`` with CUDA graphs,
for small models whose batches are bound by kernel launches rather than arithmetic (e5-small on an
H200, see benchmarks/RESULTS.md); batch widths are then padded to a multiple of 16 (masked) so that
only a few shapes are compiled. Off by default: compiling takes tens of seconds per shape.

``FastEncoder`` holds the prepared state (tokenizer, pooling plan, a cast or quantised copy of the
backbone) so repeated calls, and benchmarks, do not pay for preparing it again.
"""

from __future__ import annotations

import copy
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from lira.models.compile import padded_width, torch_compile_mode
from lira.models.prenormalize import prenormalized

SUPPORTED_POOLING = ("cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken")


@dataclass
class PoolingPlan:
    modes: tuple[str, ...]
    include_prompt: bool


def _pooling_plan(pooling: Any) -> PoolingPlan:
    mode = getattr(pooling, "pooling_mode", None)
    if mode is None:  # sentence-transformers < 6: boolean flags
        get = getattr(pooling, "get_pooling_mode_str", None)
        if get is None:
            raise ValueError("fast_encode: cannot read the Pooling module's mode")
        mode = get()
    modes = (mode,) if isinstance(mode, str) else tuple(mode)
    modes = tuple(m for part in modes for m in str(part).split("+"))
    unknown = [m for m in modes if m not in SUPPORTED_POOLING]
    if unknown:
        raise ValueError(f"fast_encode: pooling mode(s) {unknown} not supported; supported: {SUPPORTED_POOLING}")
    return PoolingPlan(modes, bool(getattr(pooling, "include_prompt", True)))


def split_modules(st_model: Any) -> tuple[Any, Any, list[Any]]:
    """``(transformer, pooling, post_modules)`` of a Transformer -> Pooling -> ... model, else ValueError."""
    modules = list(st_model.children()) if not hasattr(st_model, "_modules") else list(st_model._modules.values())
    if len(modules) < 2 or not hasattr(modules[0], "auto_model") or type(modules[1]).__name__ != "Pooling":
        names = [type(m).__name__ for m in modules]
        raise ValueError(f"fast_encode supports Transformer -> Pooling -> (Dense|Normalize)* models, got {names}")
    post = modules[2:]
    bad = [type(m).__name__ for m in post if type(m).__name__ not in {"Dense", "Normalize", "LayerNorm"}]
    if bad:
        raise ValueError(f"fast_encode: modules after pooling must be Dense, Normalize or LayerNorm, got {bad}")
    return modules[0], modules[1], post


def pool(token_embeddings: torch.Tensor, mask: torch.Tensor, plan: PoolingPlan, prompt_length: int = 0) -> torch.Tensor:
    """Pool ``(B, L, D)`` token embeddings with a right-padded ``(B, L)`` mask, in fp32."""
    te = token_embeddings.float()
    if prompt_length and not plan.include_prompt:
        mask = mask.clone()
        mask[:, :prompt_length] = 0
    m = mask.unsqueeze(-1).to(te.dtype)
    outputs = []
    for mode in plan.modes:
        if mode == "cls":
            first = mask.to(torch.int32).argmax(dim=1)
            outputs.append(te[torch.arange(te.size(0), device=te.device), first])
        elif mode == "max":
            outputs.append(te.masked_fill(m == 0, float("-inf")).max(dim=1).values)
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            total = (te * m).sum(dim=1)
            count = m.sum(dim=1).clamp(min=1e-9)
            outputs.append(total / (count if mode == "mean" else count.sqrt()))
        elif mode == "weightedmean":
            w = m * torch.arange(1, te.size(1) + 1, device=te.device, dtype=te.dtype).view(1, -1, 1)
            outputs.append((te * w).sum(dim=1) / w.sum(dim=1).clamp(min=1e-9))
        else:  # lasttoken: the last attended position of each row
            seq_len = mask.size(1)
            values, idx = mask.flip(1).max(1)
            idx = torch.where(values == 0, seq_len - 1, idx)
            last = seq_len - idx - 1
            outputs.append((te * m)[torch.arange(te.size(0), device=te.device), last])
    return torch.cat(outputs, dim=-1)


def resolve_device(st_model: Any, device: str | torch.device | None) -> torch.device:
    if device is not None:
        return torch.device(device)
    try:
        return next(st_model.parameters()).device
    except StopIteration:  # pragma: no cover
        return torch.device("cpu")


# At or below this many non-embedding parameters a GPU forward is bound by kernel launches, not
# arithmetic, and bf16 only adds work: autocast launches a cast before each matmul. Measured on an
# H200 with e5-small (21M; benchmarks/RESULTS.md): fp32 encoded 1.33x (batch 128) and 2.57x
# (batch 32) faster than bf16 autocast, and 1.05x / 1.30x faster than a bf16 copy of the weights.
SMALL_MODEL_PARAMETERS = 50_000_000


def non_embedding_parameters(backbone: torch.nn.Module) -> int:
    """Parameters outside the embedding tables (token, position, type) and an unused pooler: the ones
    every token's forward multiplies through (the N of ``6 * N * tokens`` training FLOPs)."""
    embeddings = getattr(backbone, "embeddings", None) or backbone.get_input_embeddings()
    skip = {id(p) for p in embeddings.parameters()}
    pooler = getattr(backbone, "pooler", None)
    if pooler is not None:  # sentence-transformers never reads the pooler
        skip |= {id(p) for p in pooler.parameters()}
    return sum(p.numel() for p in backbone.parameters() if id(p) not in skip)


def default_dtype(device: torch.device, backbone: torch.nn.Module | None = None) -> torch.dtype:
    """bf16 on a bf16-capable GPU, except for small backbones (see ``SMALL_MODEL_PARAMETERS``); fp32 elsewhere."""
    if device.type != "cuda" or not torch.cuda.is_bf16_supported():
        return torch.float32
    if backbone is not None and non_embedding_parameters(backbone) <= SMALL_MODEL_PARAMETERS:
        return torch.float32
    return torch.bfloat16


def quantize_int8(module: torch.nn.Module) -> torch.nn.Module:
    """A dynamically int8-quantised copy of ``module``'s linear layers (CPU only)."""
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError as err:  # pragma: no cover - torch without ao.quantization
        raise RuntimeError("this torch has no torch.ao.quantization.quantize_dynamic") from err
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(module).cpu().float(), {torch.nn.Linear}, dtype=torch.qint8)


class FastEncoder:
    """Prepared fast inference for one sentence-transformers model; call it like ``fast_encode``.

    ``dtype``: compute dtype (default: :func:`default_dtype`, bf16 on a bf16-capable GPU unless the
    backbone is small enough that launches, not arithmetic, bound it; fp32 elsewhere).
    ``cast_weights``: run a copy of the backbone whose weights are in ``dtype`` instead of
    autocasting fp32 weights (GPU; a little faster, one extra copy of the weights in memory).
    ``quantize``: ``"int8"`` for a dynamically quantised copy of the linear layers (CPU only).
    ``compile``: a ``torch.compile`` mode (default, reduce-overhead, max-autotune, ...) for the
    backbone; the model passed in is not modified (the compiled module wraps it).
    ``pad_to_multiple_of``: pad each batch's width up to a multiple (masked; the vectors do not
    change); 16 by default when compiling, so that few shapes are compiled, else none.
    """

    def __init__(
        self,
        st_model: Any,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        *,
        cast_weights: bool = False,
        quantize: str | None = None,
        compile: str | None = None,
        pad_to_multiple_of: int | None = None,
    ) -> None:
        self.st_model = st_model
        self.transformer, pooling, self.post = split_modules(st_model)
        self.plan = _pooling_plan(pooling)
        self.tokenizer = self.transformer.tokenizer
        if self.tokenizer is None:
            raise ValueError("fast_encode: the Transformer module has no text tokenizer")
        self.device = resolve_device(st_model, device)
        self.do_lower_case = bool(getattr(self.transformer, "do_lower_case", False))
        backbone = self.transformer.auto_model
        self.dtype = dtype or default_dtype(self.device, backbone)
        if quantize is not None:
            if quantize != "int8":
                raise ValueError(f"quantize must be None or 'int8', got {quantize!r}")
            if self.device.type != "cpu":
                raise ValueError("int8 dynamic quantisation runs on the CPU only")
            backbone = quantize_int8(backbone)
            self.dtype = torch.float32
        elif cast_weights and self.dtype != torch.float32:
            backbone = copy.deepcopy(backbone).to(device=self.device, dtype=self.dtype)
        else:
            backbone = backbone.to(self.device)
        self.backbone = backbone.eval()
        self.run_backbone = torch.compile(self.backbone, mode=torch_compile_mode(compile)) if compile else self.backbone
        self.pad_to_multiple_of = (16 if compile else 1) if pad_to_multiple_of is None else pad_to_multiple_of
        if self.pad_to_multiple_of < 1:
            raise ValueError(f"pad_to_multiple_of must be >= 1, got {pad_to_multiple_of}")
        self.post = [m.to(self.device).eval() for m in self.post]
        self.autocast = self.dtype != torch.float32 and not cast_weights and quantize is None
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else 0)
        self._prompt_lengths: dict[str, int] = {}

    @property
    def max_length(self) -> int | None:
        length = getattr(self.st_model, "max_seq_length", None)
        return int(length) if length else None

    def prompt_length(self, prompt: str) -> int:
        """Tokens of ``prompt`` alone, less a trailing special token (as sentence-transformers counts)."""
        if prompt not in self._prompt_lengths:
            ids = self.tokenizer(prompt, truncation=True, max_length=self.max_length)["input_ids"]
            n = len(ids)
            if ids and ids[-1] in set(self.tokenizer.all_special_ids):
                n -= 1
            self._prompt_lengths[prompt] = n
        return self._prompt_lengths[prompt]

    def tokenize(self, sentences: Sequence[str], prompt: str = "") -> list[list[int]]:
        """All sentences in one batched call, unpadded."""
        texts = [prompt + s for s in sentences]
        if self.do_lower_case:
            texts = [t.lower() for t in texts]
        with prenormalized(self.tokenizer, texts) as ready:  # the same ids, without a slow normaliser chain
            out = self.tokenizer(
                ready, padding=False, truncation=True, max_length=self.max_length, return_attention_mask=False, return_token_type_ids=False
            )
        return out["input_ids"]

    def batches(self, ids: list[list[int]], batch_size: int):
        """``(row_indices, input_ids, attention_mask)`` per batch, longest first, minimal padding (CPU tensors)."""
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        order = np.argsort(-lengths, kind="stable")
        pin = self.device.type == "cuda"
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = padded_width(int(lengths[rows[0]]), self.pad_to_multiple_of, self.max_length)
            arr = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for j, r in enumerate(rows):
                n = lengths[r]
                arr[j, :n] = ids[r]
                mask[j, :n] = 1
            input_ids, attention = torch.from_numpy(arr), torch.from_numpy(mask)
            if pin:
                input_ids, attention = input_ids.pin_memory(), attention.pin_memory()
            yield torch.from_numpy(rows), input_ids, attention

    @torch.inference_mode()
    def __call__(self, sentences: Sequence[str], batch_size: int = 32, prompt: str = "", normalize: bool = True) -> np.ndarray:
        sentences = [str(s) for s in sentences]
        if not sentences:
            dim = getattr(self.st_model, "get_embedding_dimension", None) or self.st_model.get_sentence_embedding_dimension
            return np.zeros((0, int(dim())), dtype=np.float32)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        ids = self.tokenize(sentences, prompt)
        prompt_len = self.prompt_length(prompt) if prompt and not self.plan.include_prompt else 0
        out: torch.Tensor | None = None
        amp = torch.autocast(self.device.type, dtype=self.dtype) if self.autocast else nullcontext()
        with amp:
            for rows, input_ids, attention in self.batches(ids, batch_size):
                input_ids = input_ids.to(self.device, non_blocking=True)
                attention = attention.to(self.device, non_blocking=True)
                hidden = self.run_backbone(input_ids=input_ids, attention_mask=attention)[0]
                emb = pool(hidden, attention, self.plan, prompt_len)
                if self.post:
                    features = {"sentence_embedding": emb}
                    for module in self.post:
                        features = module(features)
                    emb = features["sentence_embedding"].float()
                if normalize:
                    emb = F.normalize(emb, p=2, dim=-1)
                if out is None:
                    out = torch.empty((len(sentences), emb.size(-1)), dtype=torch.float32, device=self.device)
                out[rows.to(self.device, non_blocking=True)] = emb
        assert out is not None
        return out.cpu().numpy()


def fast_encode(
    st_model: Any,
    sentences: Sequence[str],
    batch_size: int = 32,
    prompt: str = "",
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    *,
    cast_weights: bool = False,
    quantize: str | None = None,
    normalize: bool = True,
) -> np.ndarray:
    """Encode ``sentences`` with ``st_model`` to L2-normalised float32 rows (input order kept).

    Same result as ``st_model.encode(sentences, prompt=prompt, normalize_embeddings=True)`` up to
    float rounding (and bf16 rounding on a GPU). See the module docstring for what makes it faster.
    """
    encoder = FastEncoder(st_model, device=device, dtype=dtype, cast_weights=cast_weights, quantize=quantize)
    return encoder(sentences, batch_size=batch_size, prompt=prompt, normalize=normalize)
