"""Backbone-agnostic students: any ``transformers`` encoder or decoder as a SentenceTransformer.

:func:`build_student` turns a model name (local folder or hub id; offline aliases are resolved by
:mod:`lira.models.loading` first) and a :class:`~lira.config.ModelConfig` into a
``SentenceTransformer`` (``Transformer`` + ``Pooling``), so :class:`~lira.arca.model.ArcaEncoder`
and :class:`~lira.arca.agents.transformer.TransformerAgent` stay unchanged whatever the backbone:

* **pooling** per backbone: a saved sentence-transformers folder keeps its own ``Pooling``; a plain
  ``transformers`` model gets ``lasttoken`` when it is a decoder (Gemma, Qwen2, Llama, GPT-2, ...,
  see :func:`is_decoder_config`) and ``mean`` otherwise (BERT, XLM-R, e5). ``ModelConfig.pooling``
  overrides both. Last-token pooling works with either padding side: sentence-transformers'
  ``Pooling`` takes the last position whose attention mask is 1, so left-padded batches (Gemma's
  tokenizer pads on the left) pick the real last token (tested in ``tests/test_llm_student.py``);
* a **pad token** when the tokenizer has none (Llama, Qwen base models): its EOS token;
* an **instruction prefix** (``ModelConfig.instruction``) installed as the student's prompt under
  ``ModelConfig.prompt_name`` ("query"), which is what Arca and the evaluators prepend;
* **dtype** (``ModelConfig.dtype``): ``auto`` is bfloat16 for a LoRA student on a GPU with bf16
  (the frozen base weights never need fp32 master copies; peft keeps the adapters in fp32) and
  float32 otherwise (full fine-tuning keeps fp32 weights; accelerate's autocast still runs bf16);
* **gradient checkpointing** (``ModelConfig.gradient_checkpointing``), non-reentrant, so it works
  with frozen embeddings and LoRA;
* a **projection** to the teacher's space when a decoder student's width differs (Gemma 3 270M: 640,
  the MiniLM teacher: 384; Arca's anchor terms compare student and teacher vectors directly): a
  sentence-transformers ``Dense`` (no activation, semi-orthogonal init, so cosine geometry is
  roughly kept before training), trained at the head learning rate, saved with the student
  (``ModelConfig.projection_dim``: None = automatic for decoders, 0 = never, N = to N dimensions;
  an encoder of another width than the teacher needs N set, as before);
* **LoRA** through ``peft`` when ``ModelConfig.lora_rank > 0``: rank, alpha, dropout and target
  module names from the config (names absent from a backbone are skipped, so one default list
  serves Llama-style ``q_proj..down_proj`` and BERT-style ``query/key/value/dense``); only the
  adapter weights are trainable. Saving the student (``ArcaEncoder.save`` ->
  ``SentenceTransformer.save``) writes **merged** weights, base + B·A·alpha/r, in float32 (also for
  a bfloat16 backbone), as a plain ``transformers`` model, so the saved student loads without peft
  and ``ArcaEncoder.load`` works; the live model is left as it was (training can go on).

Hub names keep working: ``build_student("Qwen/Qwen2.5-0.5B", config)`` (no sentence-transformers
files) gets last-token pooling, ``intfloat/multilingual-e5-small`` keeps its own modules.
"""

from __future__ import annotations

import json
import logging
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from sentence_transformers import SentenceTransformer

from lira.models.device import default_device

try:  # sentence-transformers >= 6
    from sentence_transformers.sentence_transformer.modules import Dense, Pooling, Transformer
except ImportError:  # pragma: no cover - older releases
    from sentence_transformers.models import Dense, Pooling, Transformer  # type: ignore[no-redef]

if TYPE_CHECKING:
    from lira.config import ModelConfig

logger = logging.getLogger(__name__)

POOLING_MODES = ("mean", "lasttoken", "cls", "max", "weightedmean", "mean_sqrt_len_tokens")
_POOLING_ALIASES = {"last": "lasttoken", "last_token": "lasttoken", "eos": "lasttoken", "average": "mean", "avg": "mean"}
DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}

#: Decoder-only families (``config.model_type``); anything whose architecture ends in ``ForCausalLM``
#: or that transformers maps to a causal-LM head but not to a masked-LM head counts too.
DECODER_MODEL_TYPES = frozenset(
    {
        "gemma", "gemma2", "gemma3", "gemma3_text", "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3",
        "qwen3_moe", "phi", "phi3", "gpt2", "gpt_neox", "gptj", "falcon", "olmo", "olmo2", "smollm3", "granite",
        "stablelm", "starcoder2", "cohere", "bloom", "opt",
    }
)


# --------------------------------------------------------------------------------------------- #
# Architecture -> pooling
# --------------------------------------------------------------------------------------------- #
def is_decoder_config(config: Any) -> bool:
    """True for decoder-only (causal) backbones; bidirectional ones (BERT, XLM-R, e5, T5) are False."""
    if getattr(config, "is_decoder", False):
        return True
    if getattr(config, "is_encoder_decoder", False):
        return False
    if getattr(config, "use_bidirectional_attention", False) or getattr(config, "is_causal", True) is False:
        return False  # e.g. EmbeddingGemma: a Gemma 3 stack with bidirectional attention
    model_type = getattr(config, "model_type", "")
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES, MODEL_FOR_MASKED_LM_MAPPING_NAMES
    except ImportError:  # pragma: no cover
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES, MODEL_FOR_MASKED_LM_MAPPING_NAMES = {}, {}
    if model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES and model_type not in DECODER_MODEL_TYPES:
        return False  # BERT, XLM-R, ...: they also have a *ForCausalLM head, but are encoders
    if model_type in DECODER_MODEL_TYPES:
        return True
    if any(str(a).endswith("ForCausalLM") for a in (getattr(config, "architectures", None) or [])):
        return True
    return model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES


def default_pooling(config: Any) -> str:
    """``lasttoken`` for decoders (the only position that has seen the whole text), else ``mean``."""
    return "lasttoken" if is_decoder_config(config) else "mean"


def normalize_pooling(pooling: str | None) -> str | None:
    """Validate ``ModelConfig.pooling``: None/"auto" (per backbone) or a sentence-transformers mode."""
    if pooling is None or pooling == "auto":
        return None
    mode = _POOLING_ALIASES.get(pooling, pooling)
    if mode not in POOLING_MODES:
        raise ValueError(f"model.pooling must be auto or one of {', '.join(POOLING_MODES)}; got {pooling!r}")
    return mode


def resolve_dtype(setting: str, device: str | None, lora: bool) -> torch.dtype:
    """``ModelConfig.dtype`` -> a torch dtype (see the module docstring for ``auto``)."""
    if setting == "auto":
        on_gpu = device is not None and str(device).startswith("cuda") and torch.cuda.is_available()
        if lora and on_gpu and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    if setting not in DTYPES:
        raise ValueError(f"model.dtype must be auto, float32, bfloat16 or float16; got {setting!r}")
    return DTYPES[setting]


# --------------------------------------------------------------------------------------------- #
# Building
# --------------------------------------------------------------------------------------------- #
def ensure_pad_token(transformer: Transformer) -> None:
    """Give a tokenizer without a pad token (Llama, Qwen base) its EOS (or UNK) as padding."""
    tokenizer = transformer.tokenizer
    if tokenizer is None or tokenizer.pad_token is not None:
        return
    fallback = tokenizer.eos_token or tokenizer.unk_token
    if fallback is None:
        raise ValueError(f"{transformer.config.name_or_path}: the tokenizer has no pad, eos or unk token to pad with")
    tokenizer.pad_token = fallback
    if getattr(transformer.auto_model.config, "pad_token_id", None) is None:
        transformer.auto_model.config.pad_token_id = tokenizer.pad_token_id


def st_modules(path: str, pooling: str | None = None, max_seq_length: int | None = None, model_kwargs: dict[str, Any] | None = None) -> list[torch.nn.Module]:
    """``[Transformer, Pooling]`` for a plain transformers model (folder or hub id), pooling by
    architecture unless ``pooling`` names one."""
    transformer = Transformer(path, max_seq_length=max_seq_length, model_kwargs=dict(model_kwargs or {}))
    ensure_pad_token(transformer)
    mode = normalize_pooling(pooling) or default_pooling(transformer.config)
    return [transformer, Pooling(transformer.get_embedding_dimension(), mode)]


def has_sentence_transformers_config(name_or_path: str) -> bool:
    """Does the model ship ``modules.json`` (a sentence-transformers model with its own pooling)?"""
    path = Path(name_or_path)
    if path.exists():
        return (path / "modules.json").exists()
    try:
        from transformers.utils import cached_file

        return cached_file(name_or_path, "modules.json", _raise_exceptions_for_missing_entries=False, _raise_exceptions_for_connection_errors=False) is not None
    except Exception:  # noqa: BLE001 - no hub / no such repo: treat as a plain transformers model
        return False


def first_transformer(model: SentenceTransformer) -> Transformer:
    module = model[0]
    if not isinstance(module, Transformer):
        raise TypeError(f"the student's first module is {type(module).__name__}, not a transformers backbone")
    return module


def pooling_module(model: SentenceTransformer) -> Pooling | None:
    return next((m for m in model if isinstance(m, Pooling)), None)


def build_student(name_or_path: str, config: "ModelConfig | None" = None, device: str | None = None) -> SentenceTransformer:
    """A SentenceTransformer student for any encoder or decoder backbone, as ``config`` says.

    ``name_or_path``: a local folder (sentence-transformers or plain transformers) or a hub id;
    offline aliases are resolved by :func:`lira.models.loading.load_sentence_transformer`.
    """
    from lira.config import ModelConfig

    config = config or ModelConfig()
    device = default_device(device)
    lora = config.lora_rank > 0
    dtype = resolve_dtype(config.dtype, device, lora)
    pooling = normalize_pooling(config.pooling)
    model_kwargs = {"dtype": dtype}
    if has_sentence_transformers_config(name_or_path):
        model = SentenceTransformer(name_or_path, device="cpu", model_kwargs=model_kwargs)
        transformer = first_transformer(model)
        ensure_pad_token(transformer)
        pool = pooling_module(model)
        if pooling is not None and pool is not None and pool.pooling_mode != pooling:
            logger.info("student %s: pooling %s -> %s (model.pooling)", name_or_path, pool.pooling_mode, pooling)
            pool.pooling_mode = pooling
    else:
        # The backbone's own limit (its position table): training cuts at config.max_seq_length
        # anyway (TransformerAgent), and encoding uses this one unless model.encode_max_seq_length.
        model = SentenceTransformer(modules=st_modules(name_or_path, pooling, None, model_kwargs), device="cpu")
    transformer = first_transformer(model)
    width = embedding_dimension(model)
    target = projection_dim(config, width, transformer.config)
    if target is not None:
        model.append(new_projection(width, target))
    if config.instruction is not None:
        prompt_name = config.prompt_name or "query"
        model.prompts = {**model.prompts, prompt_name: config.instruction}
        if config.prompt_name is None:
            model.default_prompt_name = prompt_name
    if config.gradient_checkpointing:
        enable_gradient_checkpointing(transformer)
    if lora:
        apply_lora(transformer, config)
    if lora or dtype != torch.float32:
        # Bound to this instance only: modules.json still names the plain Transformer class, so the
        # saved student is an ordinary sentence-transformers folder (merged, float32 weights).
        transformer.save = types.MethodType(_save_float32, transformer)  # type: ignore[method-assign]
    carry_license_files(transformer, name_or_path)
    return model.to(device)


#: License files that travel from the student's source folder into every student LiRA saves from it
#: (the Gemma Terms of Use require the terms and a NOTICE with each copy of a derived model).
LICENSE_FILES = ("GEMMA_TERMS.html", "NOTICE", "LICENSE", "LICENSE.txt", "LICENSE.md")
MODIFIED_LINE = "Modified: fine-tuned by LiRA (Arca anchoring); see arca.json beside this folder for the settings."


def carry_license_files(transformer: Transformer, source: str) -> None:
    """Make ``transformer.save`` copy the source folder's license/notice files next to the weights,
    adding a "modified" line to a NOTICE (the terms ask modified files to say so)."""
    root = Path(source)
    files = [root / name for name in LICENSE_FILES if (root / name).is_file()]
    if not files:
        return
    inner = transformer.save

    def save(output_path: str, *args: Any, **kwargs: Any) -> None:
        inner(output_path, *args, **kwargs)
        out = Path(output_path)
        for path in files:
            target = out / path.name
            if target.resolve() == path.resolve():
                continue
            text = path.read_bytes()
            if path.name == "NOTICE" and MODIFIED_LINE.encode() not in text:
                text = text.rstrip(b"\n") + b"\n" + MODIFIED_LINE.encode() + b"\n"
            target.write_bytes(text)

    transformer.save = save  # type: ignore[method-assign]


def embedding_dimension(model: SentenceTransformer) -> int:
    """Sentence-embedding width (sentence-transformers >= 5 renamed the method; keep both working)."""
    method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(method())


def sentence_embedding_dimension(name_or_path: str) -> int | None:
    """Output width of a saved sentence-transformers model, read from its module configs (no weights
    loaded); None if the folder does not say."""
    path = Path(name_or_path)
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    dim: int | None = None
    for module in modules:
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        try:
            cfg = json.loads((path / module.get("path", "") / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if kind == "Pooling":
            width = cfg.get("embedding_dimension", cfg.get("word_embedding_dimension"))
            modes = cfg.get("pooling_mode")
            if modes is None:  # legacy flags: pooling_mode_mean_tokens, ...
                count = sum(1 for k, v in cfg.items() if k.startswith("pooling_mode_") and v is True)
            else:
                count = 1 if isinstance(modes, str) else len(modes)
            dim = int(width) * max(count, 1) if width else dim
        elif kind == "Dense" and "out_features" in cfg:
            dim = int(cfg["out_features"])
    return dim


def teacher_dimension(name: str) -> int:
    """Width of the teacher's sentence embeddings (from its files; loads it only if they do not say)."""
    from lira.models.loading import load_sentence_transformer, resolve_model_path

    dim = sentence_embedding_dimension(resolve_model_path(name))
    if dim is None:
        dim = embedding_dimension(load_sentence_transformer(name))
    return dim


def projection_dim(config: "ModelConfig", student_dim: int, backbone_config: Any = None) -> int | None:
    """Width of the projection to append, or None (see ``ModelConfig.projection_dim``)."""
    if config.projection_dim == 0:
        return None
    if config.projection_dim is not None:
        return int(config.projection_dim) if config.projection_dim != student_dim else None
    if not is_decoder_config(backbone_config):
        return None  # encoders keep their own width unless asked (the behaviour before LLM students)
    from lira.config import SELF_TEACHER

    if config.teacher == SELF_TEACHER:
        return None  # anchored to its own space: nothing to project to
    target = teacher_dimension(config.teacher)
    return target if target != student_dim else None


def new_projection(in_features: int, out_features: int) -> Dense:
    """A linear map (no activation), semi-orthogonal so it roughly keeps cosine geometry at init."""
    weight = torch.empty(out_features, in_features)
    torch.nn.init.orthogonal_(weight)
    dense = Dense(in_features, out_features, bias=True, activation_function=torch.nn.Identity(), init_weight=weight, init_bias=torch.zeros(out_features))
    dense.lira_new = True  # freshly initialised: TransformerAgent.new_parameters -> head learning rate
    # The projection stays float32 while a LoRA backbone may run in bfloat16: outside autocast
    # (evaluation) its pooled bf16 output must be cast to the projection's dtype.
    dense.register_forward_pre_hook(_cast_input_to_weight_dtype)
    return dense


def _cast_input_to_weight_dtype(module: Dense, args: tuple[Any, ...]) -> None:
    features = args[0]
    key = module.module_input_name
    value = features.get(key)
    if isinstance(value, torch.Tensor) and value.dtype != module.linear.weight.dtype and not torch.is_autocast_enabled(value.device.type):
        features[key] = value.to(module.linear.weight.dtype)


def enable_gradient_checkpointing(transformer: Transformer) -> None:
    backbone = transformer.auto_model
    if not getattr(backbone, "supports_gradient_checkpointing", False):
        logger.warning("%s does not support gradient checkpointing; ignoring model.gradient_checkpointing", type(backbone).__name__)
        return
    # Non-reentrant: gradients reach LoRA weights even though the (frozen) embeddings need none.
    # transformers >= 5.2x renamed the method (the old name warns); keep older releases working.
    enable = getattr(backbone, "activation_checkpointing_enable", None)
    if enable is not None:
        enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:  # pragma: no cover - older transformers
        backbone.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if hasattr(backbone.config, "use_cache"):
        backbone.config.use_cache = False


# --------------------------------------------------------------------------------------------- #
# LoRA
# --------------------------------------------------------------------------------------------- #
def lora_target_names(backbone: torch.nn.Module, wanted: list[str]) -> list[str]:
    """Full names of the Linear / Conv1D layers whose last name component is in ``wanted``."""
    from transformers.pytorch_utils import Conv1D

    names = [
        name
        for name, module in backbone.named_modules()
        if name and name.rsplit(".", 1)[-1] in set(wanted) and isinstance(module, (torch.nn.Linear, Conv1D))
    ]
    if not names:
        linear = sorted({n.rsplit(".", 1)[-1] for n, m in backbone.named_modules() if isinstance(m, (torch.nn.Linear, Conv1D))})
        raise ValueError(f"model.lora_target_modules {wanted} match no linear layer of {type(backbone).__name__}; its linear layers: {linear}")
    return names


def apply_lora(transformer: Transformer, config: "ModelConfig") -> None:
    """Wrap the backbone in a peft LoRA model (only adapters trainable) and make saving merge it."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as err:
        raise ImportError("model.lora_rank > 0 needs peft: pip install 'lira[llm]'") from err
    backbone = transformer.auto_model
    lora_config = LoraConfig(
        r=config.lora_rank,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=lora_target_names(backbone, list(config.lora_target_modules)),
        bias="none",
    )
    transformer.model = get_peft_model(backbone, lora_config)


def is_lora(model: SentenceTransformer | Transformer) -> bool:
    transformer = model if isinstance(model, Transformer) else model[0]
    return hasattr(getattr(transformer, "model", None), "peft_config")


def lora_parameter_names(model: SentenceTransformer) -> list[str]:
    return [n for n, _ in model.named_parameters() if "lora_" in n]


@torch.no_grad()
def merged_state_dict(peft_model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The backbone's state dict with every LoRA layer folded in (W + scale * B @ A), under the
    plain model's key names; the live model is left untouched (training can go on)."""
    from peft.tuners.lora import LoraLayer

    base = peft_model.get_base_model()
    adapters = list(getattr(peft_model, "active_adapters", None) or ["default"])
    merged: dict[str, torch.Tensor] = {}
    for name, module in base.named_modules():
        if not isinstance(module, LoraLayer) or getattr(module, "merged", False):
            continue
        weight = module.get_base_layer().weight
        total = weight.detach().float().clone()
        for adapter in adapters:
            if adapter in module.lora_A:
                total += module.get_delta_weight(adapter).float()
        merged[f"{name}.weight"] = total.to(weight.dtype)
    state: dict[str, torch.Tensor] = {}
    for key, value in base.state_dict().items():
        if ".lora_" in key:
            continue
        key = key.replace(".base_layer.", ".")
        state[key] = merged.get(key, value).detach().contiguous()
    return state


def _save_float32(self: Transformer, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
    """``Transformer.save`` for a LoRA or half-precision backbone: LoRA merged into the weights, all
    floating tensors float32 (the training dtype is a runtime choice; the saved student is portable
    and matches the float32 projection), plain transformers layout (``config.json`` +
    ``model.safetensors``), so sentence-transformers loads it without peft."""
    import copy

    from safetensors.torch import save_file

    model = self.model
    peft = hasattr(model, "peft_config")
    base = model.get_base_model() if peft else model
    state = merged_state_dict(model) if peft else dict(base.state_dict())
    seen: set[int] = set()
    tensors: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        value = value.detach().to("cpu")
        if value.is_floating_point():
            value = value.to(torch.float32)
        if value.data_ptr() in seen:  # tied/shared storage: safetensors wants distinct tensors
            value = value.clone()
        seen.add(value.data_ptr())
        tensors[key] = value.contiguous()
    Path(output_path).mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(Path(output_path) / "model.safetensors"), metadata={"format": "pt"})
    config = copy.deepcopy(base.config)
    config.dtype = "float32"
    if not getattr(config, "architectures", None):
        config.architectures = [type(base).__name__]
    config.save_pretrained(output_path)
    self.processor.save_pretrained(output_path)
    self.save_config(output_path)
