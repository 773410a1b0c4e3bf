"""TeacherAnchorCache: each distinct English sentence goes through the teacher once, with the teacher's vector."""

from __future__ import annotations

import pytest
import torch
from sentence_transformers import SentenceTransformer

from lira.arca.teacher_cache import TeacherAnchorCache

from .conftest import TINY_CORPUS


@pytest.fixture(scope="module")
def teacher(tiny_models):
    return SentenceTransformer(tiny_models["teacher"], device="cpu").eval()


def _direct(teacher, texts):
    with torch.no_grad():
        return teacher(teacher.preprocess(texts))["sentence_embedding"].float()


def test_vectors_equal_the_teacher_and_each_sentence_is_encoded_once(teacher) -> None:
    english = sorted({en for en, *_ in TINY_CORPUS})
    cache = TeacherAnchorCache(teacher, len(english))
    first = [0, 1, 2, 1]
    out = cache(torch.tensor(first), [english[i] for i in first], "cpu")
    assert cache.encoded == 3  # the repeated sentence is encoded once
    torch.testing.assert_close(out, _direct(teacher, [english[i] for i in first]), atol=1e-5, rtol=1e-5)
    second = [2, 3, 0]
    out2 = cache(torch.tensor(second), [english[i] for i in second], "cpu")
    assert cache.encoded == 4  # only sentence 3 was new
    torch.testing.assert_close(out2, _direct(teacher, [english[i] for i in second]), atol=1e-5, rtol=1e-5)
    assert cache.filled[:4].all() and not cache.filled[4:].any()


def test_bad_ids_are_reported(teacher) -> None:
    cache = TeacherAnchorCache(teacher, 2)
    with pytest.raises(IndexError, match=r"\[0, 2\)"):
        cache(torch.tensor([0, 2]), ["a", "b"], "cpu")
    with pytest.raises(ValueError, match="2 ids for 1 texts"):
        cache(torch.tensor([0, 1]), ["a"], "cpu")
