"""Lexical baselines for product search: how much of a setting plain word matching solves.

Tokens are ``lira.eval.products.simple_tokenize``'s (case-folded runs of letters, marks and digits),
taken as sets.

* ``JaccardRanker``: ``|Q & D| / |Q | D|`` (token Jaccard of query and title).
* ``AllWordsRanker``: 1 if every query token is in the title (``Q <= D``), else 0: the rule "the
  title contains every query word". Ranked like every system here, with ties against the model,
  so its nDCG is what the rule alone earns; ``all_words_coverage`` (per query: does some exact
  product's title contain every query word?) is how often the rule finds the product at all.
* ``TranslatedBM25Ranker``: the query translated word by word into English with the shipped
  lexicon (``LexiconTranslator``: every sourced word, its alternates and romanised form, unit
  names and symbols, native digits), then BM25 against the titles: the cross-lingual baseline
  that a shop with only a dictionary could build. Words the lexicon lacks stay as typed.

All have ``scores(queries, corpus, *, lang) -> (n_queries, n_docs)``; documents scoring 0 are left
out of the ranking (``ProductSearchEvaluator.evaluate_ranker``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Sequence

import numpy as np


def _token_sets(texts: Sequence[str]) -> list[set[str]]:
    from lira.eval.products import simple_tokenize

    return [set(simple_tokenize(t)) for t in texts]


def overlap_counts(queries: Sequence[str], corpus: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(intersection sizes (n_q, n_d), query sizes (n_q,), document sizes (n_d,))`` of token sets."""
    from scipy import sparse

    q_sets, d_sets = _token_sets(queries), _token_sets(corpus)
    vocab: dict[str, int] = {}
    for s in d_sets:
        for t in s:
            vocab.setdefault(t, len(vocab))

    def matrix(sets: list[set[str]]):
        rows, cols = [], []
        for i, s in enumerate(sets):
            for t in s:
                j = vocab.get(t)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        return sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(sets), max(1, len(vocab))))

    inter = (matrix(q_sets) @ matrix(d_sets).T).toarray() if q_sets and d_sets else np.zeros((len(q_sets), len(d_sets)))
    return inter, np.array([len(s) for s in q_sets], dtype=np.float64), np.array([len(s) for s in d_sets], dtype=np.float64)


def jaccard_matrix(queries: Sequence[str], corpus: Sequence[str]) -> np.ndarray:
    inter, qn, dn = overlap_counts(queries, corpus)
    union = qn[:, None] + dn[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def all_words_matrix(queries: Sequence[str], corpus: Sequence[str]) -> np.ndarray:
    inter, qn, _ = overlap_counts(queries, corpus)
    return ((inter == qn[:, None]) & (qn[:, None] > 0)).astype(np.float64)


class JaccardRanker:
    name = "token Jaccard"

    def scores(self, queries: Sequence[str], corpus: Sequence[str], *, lang: str) -> np.ndarray:
        return jaccard_matrix(queries, corpus)


class AllWordsRanker:
    name = "all query words in the title"

    def scores(self, queries: Sequence[str], corpus: Sequence[str], *, lang: str) -> np.ndarray:
        return all_words_matrix(queries, corpus)


# --------------------------------------------------------------------------------------
# Translating a query with the lexicon.
# --------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())


class LexiconTranslator:
    """Word-by-word translation into English with the shipped product lexicon (no other source).

    For each language: every lexicon entry's text, alternates and romanised form -> the concept's
    English word (the word English titles print); each CLDR unit's name, long and short forms (and
    romanised name) -> the English symbol; native digits -> Latin digits, the CLDR decimal sign -> ".".
    Matching is greedy, longest phrase first, over whitespace-separated words; Thai, written without
    spaces between words, is also matched inside words.
    """

    def __init__(self, lexicon=None) -> None:
        from lira.data.products.lexicon import english, load_lexicon
        from lira.data.products import spec

        self.lex = lexicon or load_lexicon()
        self.maps: dict[str, dict[str, str]] = {}
        for e in self.lex.entries:
            try:
                en = english(e["concept"])
            except KeyError:
                continue
            m = self.maps.setdefault(e["lang"], {})
            for text in (e["text"], *e.get("alts", ()), e.get("roman") or ""):
                key = _fold(text).strip()
                if key and key != _fold(en):
                    m.setdefault(key, en)
        for lang, units in self.lex.doc["units"].items():
            if lang == "en":
                continue
            m = self.maps.setdefault(lang, {})
            for sym, u in units.items():
                symbol = spec.UNITS[sym][1]
                forms = [u.get("name", ""), u.get("roman", "") or ""]
                for pat in (u.get("long", ""), u.get("long_one", ""), u.get("short", "")):
                    forms.append(pat.replace("{0}", "").strip())
                for form in forms:
                    key = _fold(form).strip()
                    if key and key != _fold(symbol):
                        m.setdefault(key, symbol)
        self._max_words = {lang: max((len(k.split()) for k in m), default=1) for lang, m in self.maps.items()}
        self._thai_keys = sorted((k for k in self.maps.get("th", {}) if " " not in k), key=len, reverse=True)

    def _numbers(self, text: str, lang: str) -> str:
        try:
            n = self.lex.numbers(lang)
        except KeyError:
            return text
        digits = n.get("native_digits") or ""
        if digits and digits != "0123456789":
            text = text.translate({ord(d): str(i) for i, d in enumerate(digits)})
        for dec in {n.get("latn_decimal"), n.get("native_decimal")}:
            if dec and dec != ".":
                text = re.sub(rf"(\d){re.escape(dec)}(\d)", r"\1.\2", text)
        return text

    def translate(self, text: str, lang: str) -> str:
        if lang == "en":
            return text
        m = self.maps.get(lang, {})
        text = self._numbers(_fold(text), lang)
        words = text.split()
        out: list[str] = []
        i, longest = 0, self._max_words.get(lang, 1)
        while i < len(words):
            for n in range(min(longest, len(words) - i), 0, -1):
                key = " ".join(words[i : i + n])
                if key in m:
                    out.append(m[key])
                    i += n
                    break
            else:
                word = words[i]
                if lang == "th":
                    word = self._inside(word)
                out.append(word)
                i += 1
        return " ".join(out)

    def _inside(self, word: str) -> str:
        m = self.maps["th"]
        for key in self._thai_keys:
            if key in word:
                word = word.replace(key, f" {m[key]} ")
        return " ".join(word.split())


@lru_cache(maxsize=1)
def default_translator() -> LexiconTranslator:
    return LexiconTranslator()


class TranslatedBM25Ranker:
    """BM25 (``lira.eval.products.BM25Ranker``) over the query translated with the lexicon.

    ``query_lang`` fixes the queries' language (default: the evaluator's ``lang``)."""

    name = "BM25, query translated with the lexicon"

    def __init__(self, translator: LexiconTranslator | None = None, bm25=None, *, query_lang: str | None = None) -> None:
        from lira.eval.products import BM25Ranker

        self.translator = translator or default_translator()
        self.bm25 = bm25 or BM25Ranker()
        self.query_lang = query_lang

    def scores(self, queries: Sequence[str], corpus: Sequence[str], *, lang: str) -> np.ndarray:
        src = self.query_lang or lang
        return self.bm25.scores([self.translator.translate(q, src) for q in queries], corpus, lang=lang)
