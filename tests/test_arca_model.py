import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer

from lira.arca.agents import CharNgramAgent, RomanizedAgent, romanize
from lira.arca.agents.char_ngram import char_ngram_ids, normalize_for_ngrams
from lira.arca.fusion import LanguageAwareFusion
from lira.arca.model import ArcaEncoder
from lira.config import ModelConfig
from lira.languages import UnknownLanguageError

TEXTS = ["Open a new window.", "Mở cửa sổ mới.", "การดาวน์โหลดล้มเหลว", "ایڈ اون انسٹال نہیں ہو سکا۔"]


def test_untrained_fused_model_equals_the_student(tiny_models):
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "char_ngram", "romanized"]))
    fused = model.encode(TEXTS, lang="vi")
    plain = SentenceTransformer(tiny_models["student"], device="cpu").encode([f"query: {t}" for t in TEXTS], normalize_embeddings=True)
    np.testing.assert_allclose(fused, plain, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0, atol=1e-5)


def test_encode_restores_input_order_across_length_sorted_batches(tiny_models):
    model = ArcaEncoder.from_student(tiny_models["student"])
    together = model.encode(TEXTS, batch_size=2)
    one_by_one = np.vstack([model.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


def test_language_gate_differs_per_language_once_trained():
    fusion = LanguageAwareFusion(num_agents=2, dim=4, num_languages=3, language_dim=2)
    torch.nn.init.normal_(fusion.gate.weight)
    torch.nn.init.normal_(fusion.language_embedding.weight)
    agents = [torch.randn(1, 4).repeat(2, 1), torch.randn(1, 4).repeat(2, 1)]
    g = fusion.weights(agents, torch.tensor([1, 2]))
    assert not torch.allclose(g[0], g[1])
    assert torch.allclose(g.sum(-1), torch.ones(2))
    blind = LanguageAwareFusion(num_agents=2, dim=4, num_languages=3, language_aware=False)
    assert blind.language_embedding is None
    assert blind.gate.in_features == 8


def test_fusion_keep_mask_fuses_only_the_kept_agents():
    torch.manual_seed(0)
    fusion = LanguageAwareFusion(num_agents=3, dim=4, num_languages=3, language_dim=2)
    torch.nn.init.normal_(fusion.gate.weight)
    agents = [torch.randn(3, 4) for _ in range(3)]
    langs = torch.tensor([0, 1, 2])
    keep = torch.tensor([[True, True, True], [True, False, True], [True, False, False]])
    g = fusion.weights(agents, langs, keep)
    assert torch.allclose(g[0], fusion.weights(agents, langs)[0])  # a row that keeps all is untouched
    assert g[1, 1] == 0 and g[2, 1] == 0 and g[2, 2] == 0
    assert torch.allclose(g.sum(-1), torch.ones(3))
    fused = fusion(agents, langs, keep)
    assert torch.allclose(fused[2], torch.nn.functional.normalize(agents[0][2], dim=-1), atol=1e-6)  # the transformer alone
    expected = torch.nn.functional.normalize(g[1, 0] * agents[0][1] + g[1, 2] * agents[2][1], dim=-1)
    assert torch.allclose(fused[1], expected, atol=1e-6)
    no_transformer = torch.tensor([[False, True, True]] * 3)  # the transformer is kept whatever the mask says
    assert torch.allclose(fusion(agents, langs, no_transformer), fusion(agents, langs))
    with pytest.raises(ValueError, match="shape"):
        fusion(agents, langs, torch.ones(3, 2, dtype=torch.bool))


def test_agent_dropout_acts_in_training_only(tiny_models):
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "char_ngram", "romanized"], agent_dropout=0.5))
    batch = model.prepare(TEXTS * 8, ["vi"] * 32)
    model.train()
    model.transformer.eval()  # the student's own dropout off: any difference below is the agents'
    torch.manual_seed(0)
    keep = model._agent_keep_mask(torch.zeros(32, 4))
    assert keep is not None and bool(keep[:, 0].all())
    assert 0.3 < float(keep[:, 1:].float().mean()) < 0.7  # about half the character views are left out
    with torch.no_grad():
        torch.nn.init.normal_(model.fusion.gate.weight)
        for agent in list(model.agents)[1:]:  # give the character views a voice (they start silent)
            for param in agent.parameters():
                torch.nn.init.normal_(param)
        torch.manual_seed(1)
        first = model(batch)
        torch.manual_seed(2)
        second = model(batch)
        assert not torch.allclose(first, second)  # different rows dropped, different vectors
        model.eval()
        assert model._agent_keep_mask(torch.zeros(32, 4)) is None
        assert torch.allclose(model(batch), model(batch))
    with pytest.raises(Exception, match="agent_dropout"):
        ModelConfig(agent_dropout=1.0)


def test_fusing_only_the_transformer_gives_the_student_inside_the_model(tiny_models):
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "char_ngram", "romanized"]))
    with torch.no_grad():
        torch.nn.init.normal_(model.fusion.gate.weight)
        for agent in list(model.agents)[1:]:
            for param in agent.parameters():
                torch.nn.init.normal_(param)
    fused = model.encode(TEXTS, lang="vi")
    fingerprint = model.fingerprint()
    with model.fusing_only(["transformer"]):
        alone = model.encode(TEXTS, lang="vi")
        assert model.fingerprint() != fingerprint  # no cache can mix the two
        weights = model.gate_weights(model.prepare(TEXTS, ["vi"] * len(TEXTS)))
        assert torch.allclose(weights[:, 0], torch.ones(len(TEXTS)))  # the weights the fusion uses inside the block
    plain = SentenceTransformer(tiny_models["student"], device="cpu").encode([f"query: {t}" for t in TEXTS], normalize_embeddings=True)
    np.testing.assert_allclose(alone, plain, atol=1e-5)
    assert not np.allclose(fused, plain, atol=1e-3)  # the character views do move the fused vectors
    np.testing.assert_allclose(model.encode(TEXTS, lang="vi"), fused, atol=1e-6)  # restored after the block
    with pytest.raises(ValueError, match="transformer"):
        with model.fusing_only(["char_ngram"]):
            pass


def test_char_ngrams_survive_misspelling_better_than_unrelated_text():
    def overlap(a, b):
        x, y = set(char_ngram_ids(normalize_for_ngrams(a), (2, 3, 4), 1 << 20)), set(char_ngram_ids(normalize_for_ngrams(b), (2, 3, 4), 1 << 20))
        return len(x & y) / len(x | y)

    assert overlap("điện thoại samsung", "điện thoai samsung") > 0.6
    assert overlap("điện thoại samsung", "giày chạy bộ nike") < 0.1
    assert romanize("Điện Thoại") == "dien thoai"
    assert romanize("ক\u200bলম") == romanize("কলম")  # zero-width characters are removed


def test_char_agent_starts_silent_and_handles_empty_text():
    agent = CharNgramAgent(dim=8, buckets=64, ngram_dim=4)
    out = agent(agent.prepare(["abc", ""]))
    assert out.shape == (2, 8)
    assert torch.count_nonzero(out) == 0
    assert RomanizedAgent(dim=8, buckets=64, ngram_dim=4).view("ไทย") == romanize("ไทย")


def test_save_load_round_trip(tiny_models, tmp_path):
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "romanized"]))
    with torch.no_grad():
        for p in model.new_parameters():
            p.add_(torch.randn_like(p) * 0.1)
    before = model.encode(TEXTS, lang="th")
    path = model.save(tmp_path / "arca")
    loaded = ArcaEncoder.load(path)
    np.testing.assert_allclose(loaded.encode(TEXTS, lang="th"), before, atol=1e-5)
    model.save(tmp_path / "arca")  # overwriting an existing model is atomic too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arca"]


def test_unknown_language_and_bad_agent_raise_clear_errors(tiny_models):
    model = ArcaEncoder.from_student(tiny_models["student"])
    with pytest.raises(UnknownLanguageError, match="xx"):
        model.encode(["hello"], lang="xx")
    with pytest.raises(ValueError, match="unknown agent"):
        ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "bytes"]))
    with pytest.raises(FileNotFoundError, match="not a LiRA Arca model"):
        ArcaEncoder.load(tiny_models["student"])


def test_trainable_top_layers_freezes_the_rest(tiny_models):
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(trainable_top_layers=1))
    backbone = model.transformer.model[0].auto_model
    assert not any(p.requires_grad for p in backbone.embeddings.parameters())
    assert not any(p.requires_grad for p in backbone.encoder.layer[0].parameters())
    assert all(p.requires_grad for p in backbone.encoder.layer[1].parameters())
    with pytest.raises(ValueError, match="has 2 layers"):
        ArcaEncoder.from_student(tiny_models["student"], ModelConfig(trainable_top_layers=5))


@pytest.mark.parametrize("frozen_dropout", [None, True])
def test_frozen_layers_train_without_dropout_unless_told(tiny_models, frozen_dropout):
    # The frozen lower layers must compute in training what they compute at inference (and what the
    # frozen-prefix cache holds); model.frozen_dropout=True keeps their dropout on (the old behaviour).
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer"], trainable_top_layers=1, frozen_dropout=frozen_dropout))
    backbone = model.transformer.model[0].auto_model
    seen: list[torch.Tensor] = []
    hook = backbone.encoder.layer[0].register_forward_hook(lambda _m, _i, out: seen.append((out[0] if isinstance(out, tuple) else out).detach().clone()))
    features = model.prepare(TEXTS, ["vi"] * len(TEXTS))
    model.eval()
    model(features)
    model.train()
    torch.manual_seed(0)
    model(features)
    model(features)
    hook.remove()
    assert backbone.encoder.layer[1].training  # the trained layer keeps its dropout
    if frozen_dropout:
        assert backbone.encoder.layer[0].training and not torch.allclose(seen[1], seen[2])
    else:
        assert not backbone.encoder.layer[0].training and not backbone.embeddings.training
        torch.testing.assert_close(seen[1], seen[0])
        torch.testing.assert_close(seen[2], seen[0])


def test_models_load_onto_a_visible_gpu_unless_told_otherwise(tiny_models, monkeypatch):
    from lira.models import device as device_module
    from lira.models.loading import load_sentence_transformer

    monkeypatch.setattr(device_module.torch.cuda, "is_available", lambda: True)
    assert device_module.default_device() == "cuda"
    assert device_module.default_device("cpu") == "cpu" and device_module.default_device(torch.device("cuda", 1)) == "cuda:1"
    monkeypatch.setattr(device_module.torch.cuda, "is_available", lambda: False)
    assert device_module.default_device() == "cpu"
    # with no GPU the loaders fall back to the CPU, given no device
    assert ArcaEncoder.from_student(tiny_models["student"]).device.type == "cpu"
    assert load_sentence_transformer(tiny_models["teacher"]).device.type == "cpu"


MIDDLE = "Open a new window. Save the page as a file. Close all tabs."  # 9-63 tokens of the tiny tokenizer


def test_a_model_trained_on_short_texts_encodes_whole_texts_after_loading(tiny_models, tmp_path):
    import json

    from lira.arca.agents.transformer import st_tokenize

    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer"], max_seq_length=8))
    tokens = model.transformer.prepare([MIDDLE])["input_ids"].shape[1]
    assert tokens == 8  # training cuts at model.max_seq_length
    plain = SentenceTransformer(tiny_models["student"], device="cpu")
    assert 8 < st_tokenize(plain, [f"query: {MIDDLE}"])["input_ids"].shape[1] < 64
    expected = plain.encode([f"query: {MIDDLE}"], normalize_embeddings=True)
    np.testing.assert_allclose(model.encode([MIDDLE]), expected, atol=1e-5)
    loaded = ArcaEncoder.load(model.save(tmp_path / "arca"))
    assert json.loads((tmp_path / "arca" / "arca.json").read_text())["model"]["encode_max_seq_length"] == 64  # the student's own
    np.testing.assert_allclose(loaded.encode([MIDDLE]), expected, atol=1e-5)
    # a model saved before the length was recorded reads what the backbone can position
    meta = json.loads((tmp_path / "arca" / "arca.json").read_text())
    del meta["model"]["encode_max_seq_length"]
    (tmp_path / "arca" / "arca.json").write_text(json.dumps(meta))
    assert ArcaEncoder.load(tmp_path / "arca").encode_max_seq_length == 128
    with pytest.raises(ValueError, match="encode_max_seq_length=200, but the student can position only 128 tokens"):
        ArcaEncoder.from_student(tiny_models["student"], ModelConfig(encode_max_seq_length=200))


def test_cut_texts_are_reported_once_per_encode_call(tiny_models, caplog):
    import logging

    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer"], encode_max_seq_length=20))
    with caplog.at_level(logging.WARNING, logger="lira.arca.model"):
        model.encode(["Close all tabs.", MIDDLE, MIDDLE + " " + MIDDLE], batch_size=1)
    cut = [r.getMessage() for r in caplog.records if "were cut" in r.getMessage()]
    assert len(cut) == 1 and "2 of 3 texts were longer than 20 tokens" in cut[0] and "cut to 20" in cut[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="lira.arca.model"):
        model.encode(["Close all tabs."])
    assert not caplog.records


def test_english_transformer_only_encodes_english_with_the_transformer_alone(tiny_models):
    config = ModelConfig(agents=["transformer", "char_ngram", "romanized"], english_transformer_only=True)
    model = ArcaEncoder.from_student(tiny_models["student"], config)
    with torch.no_grad():
        torch.nn.init.normal_(model.fusion.gate.weight)
        for agent in list(model.agents)[1:]:  # give the character views a voice (they start silent)
            for param in agent.parameters():
                torch.nn.init.normal_(param)
    plain = SentenceTransformer(tiny_models["student"], device="cpu").encode([f"query: {t}" for t in TEXTS], normalize_embeddings=True)
    np.testing.assert_allclose(model.encode(TEXTS, lang="en"), plain, atol=1e-5)  # English: the student's own space
    assert not np.allclose(model.encode(TEXTS, lang="vi"), plain, atol=1e-3)  # the low-resource side fuses the views
    mixed = model.encode(TEXTS[:2], lang=["en", "vi"])
    np.testing.assert_allclose(mixed[0], plain[0], atol=1e-5)
    np.testing.assert_allclose(mixed[1], model.encode(TEXTS[1:2], lang="vi")[0], atol=1e-5)
    weights = model.gate_weights(model.prepare(TEXTS[:2], ["en", "vi"]))
    assert float(weights[0, 0]) == pytest.approx(1.0) and float(weights[1, 0]) < 0.999
    model.train()  # in training too
    langs = torch.tensor([model.language_id("en"), model.language_id("vi")])
    keep = model._agent_keep_mask(torch.zeros(2, 4), langs)
    assert keep.tolist() == [[True, False, False], [True, True, True]]
    model.config.agent_dropout = 0.99  # joined with agent dropout's draw: English never gets a view back
    torch.manual_seed(0)
    keep = model._agent_keep_mask(torch.zeros(64, 4), langs.repeat(32))
    assert not keep[0::2, 1:].any() and keep[:, 0].all() and not keep[1::2, 1:].all()
    model.config.agent_dropout = None
    model.eval()
    blind = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "char_ngram", "romanized"], english_transformer_only=True,
                                                                          language_aware_fusion=False))
    blind.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("fusion.")}, strict=False)
    assert blind.uses_language  # a language not given is identified, so English still skips the views
    np.testing.assert_allclose(blind.encode(["Please restart the application."], lang=None), blind.encode(["Please restart the application."], lang="en"), atol=1e-6)
    other = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "char_ngram", "romanized"]))
    other.load_state_dict(model.state_dict())
    assert other.fingerprint() != model.fingerprint()  # no cache mixes the two
