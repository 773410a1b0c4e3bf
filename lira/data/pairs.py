"""English<->X sentence pairs: the one loading path, for shipped data and users' files.

:func:`load_pairs` reads

* the shipped default (``lira/resources/parallel/{split}.jsonl.gz``, built from Firefox
  localisations by :mod:`lira.data.parallel_build`) when no path is given;
* a user's ``.tsv``: ``en<TAB>text<TAB>lang`` per line, optional header line
  ``en<TAB>text<TAB>lang``; or two columns ``en<TAB>text`` (header ``en<TAB>text``) with the
  language passed as ``lang=``;
* a user's ``.jsonl`` / ``.jsonl.gz``: one JSON object per line with string keys ``en``,
  ``text``, ``lang`` (``lang`` may be left out when ``lang=`` is passed; an optional
  ``source`` is kept; other keys are ignored);
* a directory: its ``{split}.jsonl.gz``, ``{split}.jsonl`` or ``{split}.tsv``.

Validation is strict and never drops a row silently. Every problem raises
:class:`PairFileError` naming the file, the 1-based line and, where it applies, the field:
a missing column or key, an empty field, an over-long line, bytes that are not UTF-8, an
unknown language code, malformed JSON. With ``on_error="collect"`` the good rows come back
together with the list of errors instead. Lines that are entirely blank are not rows and
are skipped. Field values are stripped of surrounding whitespace and put in Unicode NFC.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

from lira.languages import UnknownLanguageError, canonical_language
from lira.paths import resources_dir

__all__ = [
    "DEFAULT_MAX_CHARS",
    "ParallelPair",
    "PairFileError",
    "SPLITS",
    "default_pairs_path",
    "load_pairs",
    "pairs_to_dataset",
    "save_pairs_jsonl",
    "save_pairs_tsv",
]

SPLITS: tuple[str, ...] = ("train", "dev", "test")
DEFAULT_MAX_CHARS = 1000
_FIELDS = ("en", "text", "lang")


@dataclass(frozen=True)
class ParallelPair:
    """One English sentence and its translation into ``lang`` (a canonical LiRA code)."""

    en: str
    text: str
    lang: str
    source: str = ""


class PairFileError(ValueError):
    """A problem in a pairs file, located by file, 1-based line and field.

    Attributes: ``path``, ``line`` (None for whole-file problems), ``field`` (None when the
    problem is not one field's) and ``reason`` (the message without the location).
    """

    def __init__(self, path: str | Path, line: int | None, reason: str, field: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = reason
        where = self.path
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


def default_pairs_path(split: str = "train") -> Path:
    """The shipped ``{split}.jsonl.gz``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return resources_dir() / "parallel" / f"{split}.jsonl.gz"


def _resolve_path(path_or_default: str | Path | None, split: str) -> Path:
    if path_or_default is None:
        path = default_pairs_path(split)
        if not path.exists():
            raise FileNotFoundError(f"{path}: shipped pairs missing; build them with lira.data.parallel_build.build_parallel()")
        return path
    path = Path(path_or_default).expanduser()
    if path.is_dir():
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        for name in (f"{split}.jsonl.gz", f"{split}.jsonl", f"{split}.tsv"):
            if (path / name).exists():
                return path / name
        raise FileNotFoundError(f"{path}: no {split}.jsonl.gz, {split}.jsonl or {split}.tsv in this directory")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    return path


def _format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".tsv"):
        return "tsv"
    if name.endswith(".jsonl.gz"):
        return "jsonl.gz"
    if name.endswith(".jsonl"):
        return "jsonl"
    raise PairFileError(path, None, "unsupported file type: expected .tsv, .jsonl or .jsonl.gz")


def _read_lines(path: Path, fmt: str) -> list[bytes]:
    data = path.read_bytes()
    if fmt == "jsonl.gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise PairFileError(path, None, f"not a valid gzip file ({exc})") from None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _clean(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


class _Reader:
    def __init__(self, path: Path, lang: str | None, max_chars: int | None) -> None:
        self.path = path
        self.max_chars = max_chars if max_chars is not None else float("inf")
        self.lang = canonical_language(lang, where="lang= argument") if lang is not None else None

    def err(self, line: int, reason: str, field: str | None = None) -> PairFileError:
        return PairFileError(self.path, line, reason, field)

    def decode(self, raw: bytes, lineno: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.err(lineno, f"invalid UTF-8 (byte {exc.start + 1} of the line: {raw[exc.start:exc.start + 4]!r})") from None

    def language(self, value: str, lineno: int) -> str:
        try:
            code = canonical_language(value)
        except UnknownLanguageError as exc:
            raise self.err(lineno, str(exc), "lang") from None
        if self.lang is not None and code != self.lang:
            raise self.err(lineno, f"language {value!r} differs from lang={self.lang!r}", "lang")
        return code

    def tsv_row(self, line: str, lineno: int) -> ParallelPair:
        if len(line) > self.max_chars:
            raise self.err(lineno, f"line has {len(line)} characters, more than max_chars={self.max_chars}")
        cols = line.split("\t")
        wanted = 3 if self.lang is None else 2
        if len(cols) > 3:
            raise self.err(lineno, f"expected {wanted} tab-separated columns (en, text{', lang' if wanted == 3 else ''}), found {len(cols)}")
        if len(cols) < wanted:
            missing = _FIELDS[len(cols)]
            hint = " (or pass lang= for a two-column file)" if missing == "lang" else ""
            raise self.err(lineno, f"missing column {missing!r}{hint}", missing)
        values = [_clean(c) for c in cols]
        for name, value in zip(_FIELDS, values):
            if not value:
                raise self.err(lineno, "empty field", name)
        lang = self.language(values[2], lineno) if len(values) == 3 else self.lang
        assert lang is not None
        return ParallelPair(values[0], values[1], lang, f"{self.path.name}:{lineno}")

    def jsonl_row(self, line: str, lineno: int) -> ParallelPair:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise self.err(lineno, f"malformed JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise self.err(lineno, f"expected a JSON object, found {type(obj).__name__}")
        values: dict[str, str] = {}
        for name in _FIELDS:
            if name not in obj:
                if name == "lang" and self.lang is not None:
                    continue
                raise self.err(lineno, f"missing key {name!r}", name)
            value = obj[name]
            if not isinstance(value, str):
                raise self.err(lineno, f"expected a string, found {type(value).__name__}", name)
            value = _clean(value)
            if not value:
                raise self.err(lineno, "empty field", name)
            if name != "lang" and len(value) > self.max_chars:
                raise self.err(lineno, f"{len(value)} characters, more than max_chars={self.max_chars}", name)
            values[name] = value
        lang = self.language(values["lang"], lineno) if "lang" in values else self.lang
        assert lang is not None
        source = obj.get("source")
        if source is not None and not isinstance(source, str):
            raise self.err(lineno, f"expected a string, found {type(source).__name__}", "source")
        return ParallelPair(values["en"], values["text"], lang, source or f"{self.path.name}:{lineno}")


@overload
def load_pairs(
    path_or_default: str | Path | None = ...,
    split: str = ...,
    languages: Iterable[str] | None = ...,
    *,
    lang: str | None = ...,
    max_chars: int | None = ...,
    on_error: Literal["raise"] = ...,
) -> list[ParallelPair]: ...


@overload
def load_pairs(
    path_or_default: str | Path | None = ...,
    split: str = ...,
    languages: Iterable[str] | None = ...,
    *,
    lang: str | None = ...,
    max_chars: int | None = ...,
    on_error: Literal["collect"],
) -> tuple[list[ParallelPair], list[PairFileError]]: ...


def load_pairs(
    path_or_default: str | Path | None = None,
    split: str = "train",
    languages: Iterable[str] | None = None,
    *,
    lang: str | None = None,
    max_chars: int | None = DEFAULT_MAX_CHARS,
    on_error: str = "raise",
):
    """Load sentence pairs, validating every line.

    ``path_or_default``: None for the shipped data of ``split``; a ``.tsv``, ``.jsonl`` or
    ``.jsonl.gz`` file; or a directory holding ``{split}.jsonl.gz|.jsonl|.tsv``.
    ``split``: ``train``/``dev``/``test`` (used for the default and for directories).
    ``languages``: keep only these languages (codes or aliases, e.g. ``tl`` for ``fil``).
    ``lang``: the language of a two-column TSV (or of JSONL rows without ``lang``); rows
    that do name a language must agree with it.
    ``max_chars``: the longest allowed TSV line, or JSON ``en``/``text`` value (a JSON line's
    own length depends on escaping), in characters; None: no limit (evaluation data is read whole,
    the limit is a training filter).
    ``on_error``: ``"raise"`` (default) raises the first :class:`PairFileError`;
    ``"collect"`` returns ``(pairs, errors)`` with every bad line reported in ``errors``.
    """
    if on_error not in ("raise", "collect"):
        raise ValueError(f"on_error must be 'raise' or 'collect', not {on_error!r}")
    if max_chars is not None and max_chars < 1:
        raise ValueError("max_chars must be positive")
    wanted = None
    if languages is not None:
        wanted = {canonical_language(code, where="languages= argument") for code in languages}
    path = _resolve_path(path_or_default, split)
    fmt = _format_of(path)
    reader = _Reader(path, lang, max_chars)
    pairs: list[ParallelPair] = []
    errors: list[PairFileError] = []
    header_done = False
    lines = _read_lines(path, fmt)
    # Blank lines at the very end are an editor's trailing newlines; a blank line between rows
    # is a broken file (a lost row, a stray split) and is reported, not skipped.
    last_row = max((i for i, raw in enumerate(lines) if raw.strip()), default=-1)
    for index, raw in enumerate(lines[: last_row + 1]):
        lineno = index + 1
        try:
            line = reader.decode(raw, lineno)
            if not line.strip():
                raise reader.err(lineno, "empty line (a blank line between rows)")
            if fmt == "tsv" and not header_done:
                header_done = True
                if [c.strip().lower() for c in line.split("\t")] in (["en", "text", "lang"], ["en", "text"]):
                    continue
            pair = reader.tsv_row(line, lineno) if fmt == "tsv" else reader.jsonl_row(line, lineno)
        except PairFileError as exc:
            if on_error == "raise":
                raise
            errors.append(exc)
            continue
        if wanted is None or pair.lang in wanted:
            pairs.append(pair)
    return (pairs, errors) if on_error == "collect" else pairs


def _row(pair: ParallelPair) -> dict[str, str]:
    return {"en": pair.en, "text": pair.text, "lang": pair.lang, "source": pair.source}


def save_pairs_jsonl(pairs: Iterable[ParallelPair], path: str | Path) -> Path:
    """Write pairs as JSON lines (UTF-8, keys en, text, lang, source), in the given order.

    A ``.gz`` path is gzip-compressed with ``mtime=0`` and no file name in the header, so the
    same pairs always give the same bytes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = b"".join(json.dumps(_row(p), ensure_ascii=False).encode("utf-8") + b"\n" for p in pairs)
    if path.name.endswith(".gz"):
        with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=9, mtime=0) as gz:
            gz.write(payload)
    else:
        path.write_bytes(payload)
    return path


def save_pairs_tsv(pairs: Iterable[ParallelPair], path: str | Path, *, header: bool = True) -> Path:
    """Write pairs as ``en<TAB>text<TAB>lang`` lines (with a header line unless ``header=False``).

    The ``source`` is not kept. Raises ValueError for a value holding a tab or a line break.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["en\ttext\tlang"] if header else []
    for p in pairs:
        for name, value in (("en", p.en), ("text", p.text), ("lang", p.lang)):
            if any(c in value for c in "\t\r\n"):
                raise ValueError(f"{name} value {value!r} holds a tab or line break; TSV cannot store it")
        lines.append(f"{p.en}\t{p.text}\t{p.lang}")
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def pairs_to_dataset(pairs: Sequence[ParallelPair]):
    """A :class:`datasets.Dataset` (Arrow) with string columns en, text, lang, source."""
    from datasets import Dataset, Features, Value

    features = Features({name: Value("string") for name in ("en", "text", "lang", "source")})
    return Dataset.from_dict(
        {
            "en": [p.en for p in pairs],
            "text": [p.text for p in pairs],
            "lang": [p.lang for p in pairs],
            "source": [p.source for p in pairs],
        },
        features=features,
    )
