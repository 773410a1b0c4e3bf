"""Model cards: written by ArcaEncoder.save, kept through load/save, carried into exports."""

from __future__ import annotations

import yaml

from lira.arca.model import ArcaEncoder
from lira.config import LiraConfig, ModelConfig
from lira.export import export_sentence_transformers
from lira.model_card import GEMMA_NOTICE, render_card, update_card

DEV = {
    "start": {"dev_score": 0.1234, "in_domain/mean/x2en/acc@1": 0.2345},
    "selected": {"dev_score": 0.8765, "in_domain/mean/x2en/acc@1": 0.7654},
    "end": {"dev_score": 0.5432, "in_domain/mean/x2en/acc@1": 0.6543},
}


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_saved_model_has_a_card_with_front_matter_and_the_facts(tiny_models, tmp_path):
    cfg = LiraConfig()
    cfg.data.languages = ["th", "vi"]
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(student=tiny_models["student"]), device="cpu")
    model.save(tmp_path / "model", card={"config": cfg.to_dict(), "languages": ["th", "vi"], "dev": DEV, "selected_step": 40})
    card = (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
    meta = front_matter(card)
    assert meta["language"] == ["en", "th", "vi"] and meta["library_name"] == "sentence-transformers"
    assert {"license", "tags"} <= set(meta) and "base_model" not in meta  # a local folder has no hub id
    for number in ("0.1234", "0.8765", "0.5432", "0.7654", "step 40"):
        assert number in card
    assert "MPL-2.0" in card and "own frozen encoding" in card and "ArcaEncoder.load" in card
    assert "learning_rate:" in card  # the whole config, as YAML
    # loaded and saved again (as training does with the dev-selected model): the facts stay
    ArcaEncoder.load(tmp_path / "model", device="cpu").save(tmp_path / "again")
    assert "0.8765" in (tmp_path / "again" / "README.md").read_text(encoding="utf-8")


def test_card_without_scores_and_update_card(tiny_models, tmp_path):
    ArcaEncoder.from_student(tiny_models["student"], ModelConfig(), device="cpu").save(tmp_path / "model")
    card = (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
    assert front_matter(card)["library_name"] == "sentence-transformers" and "No scores were recorded" in card
    update_card(tmp_path / "model", dev=DEV, selected_step=7)
    assert "0.8765" in (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
    assert ArcaEncoder.load(tmp_path / "model", device="cpu").card_facts["selected_step"] == 7


def test_gemma_student_and_known_base_models():
    gemma = render_card({"student": "offline:gemma-3-270m", "teacher": "self", "agents": ["transformer"]})
    meta = front_matter(gemma)
    assert meta["license"] == "gemma" and meta["base_model"] == "google/gemma-3-270m" and GEMMA_NOTICE in gemma
    e5 = render_card({"student": "offline:multilingual-e5-small", "teacher": "offline:all-minilm-l6-v2", "agents": ["transformer"]})
    assert front_matter(e5)["base_model"] == "intfloat/multilingual-e5-small" and front_matter(e5)["license"] == "mit"
    assert "Gemma" not in e5 and "separate frozen English" in e5


def test_card_names_the_retrieval_queries_noise_share_and_level():
    model = {"student": "offline:multilingual-e5-small", "teacher": "self", "agents": ["transformer"]}
    arca = {"contrastive_weight": 1.0, "retrieval_weight": 1.0, "retrieval_query_noise": 0.5}
    card = render_card(model, {"config": {"arca": arca}})
    assert "retrieval 1 (50% of its low-resource queries noised at level 0.1)" in card  # neither level set: the default
    card = render_card(model, {"config": {"arca": {**arca, "noise_level": 0.15}}})
    assert "retrieval 1 (50% of its low-resource queries noised at level 0.15)" in card  # the noise terms' level
    card = render_card(model, {"config": {"arca": {**arca, "noise_level": 0.15, "retrieval_query_noise_level": 0.05}}})
    assert "retrieval 1 (50% of its low-resource queries noised at level 0.05)" in card  # the queries' own level


def test_exported_model_has_the_card_and_a_sentence_transformers_snippet(tiny_models, tmp_path):
    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer"]), device="cpu")  # one agent: a plain sentence-transformers export
    model.save(tmp_path / "model", card={"dev": DEV, "selected_step": 3})
    out = export_sentence_transformers(tmp_path / "model", tmp_path / "out")
    card = (out / "README.md").read_text(encoding="utf-8")
    assert front_matter(card)["library_name"] == "sentence-transformers"
    assert "0.8765" in card and 'SentenceTransformer("PATH")' in card and "trust_remote_code" not in card


def test_demo_test_scores_join_the_card(tiny_models, tmp_path):
    from lira.pipeline import card_test_scores

    ArcaEncoder.from_student(tiny_models["student"], ModelConfig(student=tiny_models["student"])).save(tmp_path / "model")
    metrics = {key: {"mean/x2en/acc@1": x, "mean/en2x/acc@1": y} for key, x, y in
               [("student_before", 0.8, 0.81), ("student_after", 0.9, 0.91), ("tatoeba_before", 0.7, 0.71), ("tatoeba_after", 0.75, 0.76)]}
    card = update_card(tmp_path / "model", test=card_test_scores(metrics)).read_text(encoding="utf-8")
    assert "| Tatoeba | 0.7000 | 0.7100 | 0.7500 | 0.7600 |" in card
    assert "| test set | untrained x->en | untrained en->x | this model x->en | this model en->x |" in card
