"""MTEBEncoder: MTEB's calling conventions map onto LiRA's encode."""

import numpy as np
import pytest

from lira.eval.mteb import MTEBEncoder


class Spy:
    def __init__(self):
        self.calls = []

    def encode(self, sentences, *, lang=None, prompt_name=None, batch_size=64, show_progress_bar=False):
        self.calls.append((list(sentences), lang, prompt_name, batch_size))
        return np.ones((len(sentences), 3), dtype=np.float64)


class PromptType:  # MTEB's enum shape: a .value string
    def __init__(self, value):
        self.value = value


def test_prompt_types_languages_and_batches_are_mapped():
    spy = Spy()
    model = MTEBEncoder(spy, lang="vi", task_languages={"ThaiTask": "th"}, batch_size=8)
    out = model.encode(["a", "b"], task_name="ThaiTask", prompt_type=PromptType("query"))
    assert out.dtype == np.float32 and out.shape == (2, 3)
    assert spy.calls[-1] == (["a", "b"], "th", "query", 8)
    model.encode(["c"], task_name="Other", prompt_type="document", batch_size=2)
    assert spy.calls[-1] == (["c"], "vi", "passage", 2)
    model.encode([{"text": ["d", "e"]}, {"text": ["f"]}], lang="id")  # MTEB 2: a loader of batches
    assert spy.calls[-1] == (["d", "e", "f"], "id", None, 8)
    with pytest.raises(ValueError, match="prompt_type"):
        model.encode(["x"], prompt_type="summary")


def test_wraps_a_real_lira_model(tiny_models):
    from lira.arca.model import ArcaEncoder

    arca = ArcaEncoder.from_student(tiny_models["student"])
    out = MTEBEncoder(arca, lang="th").encode(["Tutup semua tab.", "Search the web."], prompt_type="query")
    assert np.allclose(out, arca.encode(["Tutup semua tab.", "Search the web."], lang="th", prompt_name="query"))
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
