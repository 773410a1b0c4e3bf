"""Character n-gram agents: views of the input that survive misspelling and script noise.

A subword transformer sees "ตู้เย็น" and "ตู้เยน" (a dropped vowel mark) as different token
sequences; a bag of hashed character n-grams sees mostly the same n-grams. The romanised view
(``anyascii``) maps Thai, Bengali or Urdu script and a shopper's Latin spelling of it to nearby
n-gram bags, and folds Vietnamese tone marks, so "dien thoai" meets "điện thoại".
"""

from __future__ import annotations

import unicodedata
import zlib
from typing import Callable, Sequence

import torch
from anyascii import anyascii
from torch import nn

from lira.arca.agents.base import EncodingAgent

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def normalize_for_ngrams(text: str) -> str:
    """NFKC, lower case, zero-width characters removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).lower()
    return " ".join(text.split())


def romanize(text: str) -> str:
    """Latin-letter view of any script (anyascii), lower case; tone marks and diacritics fall away."""
    return " ".join(anyascii(normalize_for_ngrams(text)).lower().split())


def char_ngram_ids(text: str, orders: Sequence[int], buckets: int) -> list[int]:
    """Hashed ids of the character n-grams of each word, with ``<`` and ``>`` marking word edges.

    CRC32 rather than Python's ``hash`` so ids are the same in every process and every run.
    """
    ids: list[int] = []
    for word in text.split():
        padded = f"<{word}>"
        for n in orders:
            if len(padded) < n:
                continue
            for i in range(len(padded) - n + 1):
                ids.append(zlib.crc32(padded[i : i + n].encode("utf-8")) % buckets)
    return ids


class CharNgramAgent(EncodingAgent):
    """Mean of hashed character n-gram embeddings, projected to the shared width.

    The output projection starts at zero, so adding this agent to a trained student changes
    nothing until training gives it something useful to say.
    """

    name = "char_ngram"

    def __init__(
        self,
        dim: int,
        buckets: int = 32768,
        ngram_dim: int = 128,
        orders: Sequence[int] = (2, 3, 4),
        view: Callable[[str], str] = normalize_for_ngrams,
    ) -> None:
        super().__init__()
        self.dim = dim
        self.buckets = buckets
        self.orders = tuple(orders)
        self.view = view
        self.bag = nn.EmbeddingBag(buckets, ngram_dim, mode="mean")
        nn.init.normal_(self.bag.weight, std=ngram_dim**-0.5)
        self.proj = nn.Linear(ngram_dim, dim)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def prepare(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        flat: list[int] = []
        offsets: list[int] = []
        for text in texts:
            offsets.append(len(flat))
            ids = char_ngram_ids(self.view(text), self.orders, self.buckets)
            # An empty bag (e.g. an empty string) would make EmbeddingBag return zeros; give it
            # one fixed bucket so the output is defined and the same for every empty input.
            flat.extend(ids or [0])
        return {"ngram_ids": torch.tensor(flat, dtype=torch.long), "ngram_offsets": torch.tensor(offsets, dtype=torch.long)}

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.proj(self.bag(features["ngram_ids"], features["ngram_offsets"]))


class RomanizedAgent(CharNgramAgent):
    """The character n-gram agent over a romanised (Latin-letter) view of the text."""

    name = "romanized"

    def __init__(self, dim: int, buckets: int = 32768, ngram_dim: int = 128, orders: Sequence[int] = (2, 3, 4)) -> None:
        super().__init__(dim, buckets=buckets, ngram_dim=ngram_dim, orders=orders, view=romanize)
