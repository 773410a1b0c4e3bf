"""Tiny models and tiny data, so every test runs in seconds on two CPU cores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TINY_CORPUS = [
    ("The download failed.", "การดาวน์โหลดล้มเหลว", "th"),
    ("Open a new window.", "Mở cửa sổ mới.", "vi"),
    ("Save the page as a file.", "Simpan halaman sebagai berkas.", "id"),
    ("Close all tabs.", "Tutup semua tab.", "ms"),
    ("Print this page.", "I-print ang pahinang ito.", "fil"),
    ("The add-on could not be installed.", "ایڈ اون انسٹال نہیں ہو سکا۔", "ur"),
    ("Search the web.", "ওয়েবে অনুসন্ধান করুন।", "bn"),
    ("Remember my password.", "Ghi nhớ mật khẩu của tôi.", "vi"),
    ("Block pop-up windows.", "ปิดกั้นหน้าต่างป๊อปอัป", "th"),
    ("Clear recent history.", "Hapus riwayat terbaru.", "id"),
    ("Show all bookmarks.", "Tunjukkan semua tanda buku.", "ms"),
    ("Reload the current page.", "ورتمان صفحہ دوبارہ لوڈ کریں۔", "ur"),
]


def _build_tiny_sentence_transformer(folder: Path, texts: list[str], hidden: int, layers: int, normalize: bool, seed: int) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:  # older releases
        from sentence_transformers import models
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, trainers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    tok = Tokenizer(Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=400, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>")
    tok.train_from_iterator(texts, trainer)
    tok.post_processor = TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>", cls_token="<s>", sep_token="</s>")
    config = BertConfig(
        vocab_size=fast.vocab_size, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=hidden * 2,
        max_position_embeddings=128, pad_token_id=1,
    )
    hf_dir = folder / "hf"
    BertModel(config).save_pretrained(hf_dir)
    fast.save_pretrained(hf_dir)
    transformer = models.Transformer(str(hf_dir), max_seq_length=64)
    modules = [transformer, models.Pooling(hidden, "mean")]
    if normalize:
        modules.append(models.Normalize())
    st = SentenceTransformer(modules=modules, device="cpu", prompts={"query": "query: ", "passage": "passage: "})
    st.save(str(folder / "st"))
    return folder / "st"


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, str]:
    """A tiny random teacher (English) and student (multilingual) as sentence-transformers folders."""
    root = tmp_path_factory.mktemp("tiny_models")
    texts = [t for pair in TINY_CORPUS for t in pair[:2]] * 3 + ["query: passage:"]
    teacher = _build_tiny_sentence_transformer(root / "teacher", texts, hidden=32, layers=1, normalize=True, seed=1)
    student = _build_tiny_sentence_transformer(root / "student", texts, hidden=32, layers=2, normalize=False, seed=2)
    return {"teacher": str(teacher), "student": str(student)}


@pytest.fixture()
def tiny_pairs_file(tmp_path) -> Path:
    path = tmp_path / "pairs.tsv"
    path.write_text("en\ttext\tlang\n" + "".join(f"{en}\t{x}\t{lang}\n" for en, x, lang in TINY_CORPUS), encoding="utf-8")
    return path


def gradient_step_lowers(loss_fn, *shapes, lr=0.1, seed=0):
    """(loss before, loss after) one SGD step on free random inputs of ``shapes``: a loss whose
    gradient points the right way must come out lower."""
    import torch

    torch.manual_seed(seed)
    params = [torch.randn(*s, requires_grad=True) for s in shapes]
    before, _ = loss_fn(*params)
    before.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    after, _ = loss_fn(*params)
    return float(before.detach()), float(after.detach())


@pytest.fixture(scope="session")
def small_products(tmp_path_factory):
    """A small product data set (400 products, 40 intents, seed 3), built once for every test that reads one."""
    from lira.data.products import build_products

    out = tmp_path_factory.mktemp("products") / "ds"
    build_products(out, seed=3, n_products=400, n_intents=40, verbose=False)
    return out
