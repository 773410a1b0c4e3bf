import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer

from lira.models.fast_encode import SMALL_MODEL_PARAMETERS, FastEncoder, default_dtype, fast_encode, non_embedding_parameters, split_modules

from .conftest import TINY_CORPUS

try:  # sentence-transformers >= 6
    from sentence_transformers.sentence_transformer import modules as st_modules
except ImportError:  # older releases
    from sentence_transformers import models as st_modules

SENTENCES = [t for pair in TINY_CORPUS for t in pair[:2]] + ["", "  padded with spaces  ", "Open a new window. " * 12, "x"]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="module")
def student(tiny_models):
    torch.manual_seed(0)
    return SentenceTransformer(tiny_models["student"], device="cpu")


@pytest.mark.parametrize("batch_size", [2, 5, 64])
@pytest.mark.parametrize("prompt", ["", "query: "])
def test_matches_sentence_transformers_in_fp32(student, batch_size, prompt):
    ref = student.encode(SENTENCES, batch_size=batch_size, prompt=prompt, normalize_embeddings=True, convert_to_numpy=True)
    out = fast_encode(student, SENTENCES, batch_size=batch_size, prompt=prompt)
    assert out.shape == ref.shape and out.dtype == np.float32
    assert _cosines(out, ref).min() > 0.99999  # README: cosine 1.00000 to sentence-transformers (measured 1.0 here)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_normalising_teacher_and_unnormalised_output(tiny_models):
    teacher = SentenceTransformer(tiny_models["teacher"], device="cpu")
    ref = teacher.encode(SENTENCES, batch_size=4, normalize_embeddings=True)
    assert _cosines(fast_encode(teacher, SENTENCES, batch_size=4), ref).min() > 0.99999
    student = SentenceTransformer(tiny_models["student"], device="cpu")
    raw = student.encode(SENTENCES, batch_size=4)
    np.testing.assert_allclose(fast_encode(student, SENTENCES, batch_size=4, normalize=False), raw, atol=1e-4)


@pytest.mark.parametrize("mode", ["cls", "lasttoken", "max", "mean_sqrt_len_tokens", "weightedmean", ("cls", "mean")])
@pytest.mark.parametrize("include_prompt", [True, False])
def test_every_pooling_mode(student, mode, include_prompt):
    transformer = student[0]
    pooling = st_modules.Pooling(32, pooling_mode=mode, include_prompt=include_prompt)
    model = SentenceTransformer(modules=[transformer, pooling], device="cpu")
    ref = model.encode(SENTENCES, batch_size=5, prompt="passage: ", normalize_embeddings=True)
    out = fast_encode(model, SENTENCES, batch_size=5, prompt="passage: ")
    assert _cosines(out, ref).min() > 0.99999, mode


def test_dense_and_normalize_after_pooling(student):
    torch.manual_seed(1)
    dense = st_modules.Dense(32, 16, activation_function=torch.nn.Tanh())
    model = SentenceTransformer(modules=[student[0], student[1], dense, st_modules.Normalize()], device="cpu")
    ref = model.encode(SENTENCES, batch_size=4, normalize_embeddings=True)
    out = fast_encode(model, SENTENCES, batch_size=4)
    assert out.shape == (len(SENTENCES), 16)
    assert _cosines(out, ref).min() > 0.99999


def test_prepared_encoder_reuse_order_and_edge_cases(student):
    enc = FastEncoder(student)
    assert enc.dtype == torch.float32 and enc.device.type == "cpu"
    shuffled = SENTENCES[::-1]
    a = enc(SENTENCES, batch_size=2)
    b = enc(shuffled, batch_size=7)
    np.testing.assert_allclose(a[::-1], b, atol=1e-5)  # output rows follow the input order
    assert enc([], batch_size=4).shape == (0, 32)
    with pytest.raises(ValueError):
        enc(SENTENCES, batch_size=0)
    with pytest.raises(ValueError, match="Transformer -> Pooling"):
        split_modules(torch.nn.Sequential(torch.nn.Identity()))


def test_int8_quantised_path_runs_and_stays_close(student):
    pytest.importorskip("torch.ao.quantization")
    ref = fast_encode(student, SENTENCES, batch_size=8)
    q = fast_encode(student, SENTENCES, batch_size=8, quantize="int8")
    assert q.shape == ref.shape and np.isfinite(q).all()
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert _cosines(q, ref).mean() > 0.9  # approximate by design: reported separately, never the headline
    with pytest.raises(ValueError):
        FastEncoder(student, quantize="int4")


def test_default_dtype_keeps_small_backbones_fp32_on_a_gpu(student, monkeypatch):
    backbone = split_modules(student)[0].auto_model
    embeddings = backbone.embeddings
    by_hand = sum(p.numel() for p in backbone.parameters()) - sum(p.numel() for p in embeddings.parameters())
    if getattr(backbone, "pooler", None) is not None:
        by_hand -= sum(p.numel() for p in backbone.pooler.parameters())
    assert non_embedding_parameters(backbone) == by_hand > 0

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert default_dtype(cpu, backbone) == torch.float32
    assert default_dtype(cuda) == torch.bfloat16  # no backbone to size: the usual GPU choice
    assert default_dtype(cuda, backbone) == torch.float32  # launch-bound size: bf16 would only add casts
    large = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Linear(8_000, 8_000))
    large.get_input_embeddings = lambda: large[0]
    assert non_embedding_parameters(large) == 8_000 * 8_000 + 8_000 > SMALL_MODEL_PARAMETERS
    assert default_dtype(cuda, large) == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert default_dtype(cuda, large) == torch.float32


def test_padding_to_a_multiple_and_compiling_keep_the_vectors(student):
    eager = FastEncoder(student, device="cpu")
    reference = eager(SENTENCES, batch_size=4)
    padded = FastEncoder(student, device="cpu", pad_to_multiple_of=16)
    widths = {tuple(ids.shape) for _, ids, _ in padded.batches(padded.tokenize(SENTENCES), 4)}
    assert all(w % 16 == 0 or w == student.max_seq_length for _, w in widths)
    np.testing.assert_allclose(padded(SENTENCES, batch_size=4), reference, atol=1e-5)
    compiled = FastEncoder(student, device="cpu", compile="default")
    np.testing.assert_allclose(compiled(SENTENCES, batch_size=4), reference, atol=1e-5)
    assert "forward" not in vars(split_modules(student)[0].auto_model)  # the caller's model is left as it was
    with pytest.raises(ValueError, match="pad_to_multiple_of"):
        FastEncoder(student, device="cpu", pad_to_multiple_of=0)
