"""Text normalisation for parallel sentences taken from software localisations.

Everything here is a pure function of its arguments, so each step can be unit-tested
on its own and the builder (:mod:`lira.data.parallel_build`) is reproducible.

Two layers:

1. **Fluent patterns** (the text of one Fluent message value or attribute, as written in an
   ``.ftl`` file) are parsed by :func:`parse_fluent_pattern` and flattened to plain text by
   :func:`resolve_fluent_pattern`:

   * text elements are kept as they are;
   * ``{ $var }`` variable references and function calls (``{ NUMBER($n) }``,
     ``{ DATETIME($d) }``, ``{ PLATFORM() }``) are **dropped**: their run-time value is
     unknown, and both sides of a pair lose the same slot;
   * ``{ "literal" }`` and ``{ 42 }`` become their literal text (escapes decoded);
   * ``{ -term }`` term references are **substituted with the term's value** when the term is
     *simple*: its value resolves to plain text with no variable reference left in it (brand
     names such as ``-brand-short-name = Firefox`` or ``-vendor-short-name = Mozilla``).
     Term arguments (``{ -brand-name(case: "genitive") }``) pick the matching variant of a
     select expression on ``$case`` in the term, the default variant otherwise. A term that
     is unknown, or whose value is not simple (it needs a variable from the caller), is
     dropped. Substituting keeps the sentence whole ("Restart Firefox" rather than
     "Restart"), and the same product name then appears on both sides;
   * ``{ message }`` / ``{ message.attr }`` references are substituted with that message's
     resolved text when a ``messages`` mapping is given and holds it, else dropped;
   * select expressions ``{ $n -> [one] … *[other] … }`` become their **default variant**
     (the one marked ``*``), whatever the selector is: the default is the form a translator
     must always provide, and for the plural selectors that dominate Firefox it is the
     general ("other") form on both sides.

2. **Plain text** from either format goes through :func:`normalize_text`: Unicode NFC,
   ``&`` access-key markers, HTML/XML markup and character references, ``#1`` placeholders of
   ``.properties`` PluralForm strings (only there: "PKCS #11" elsewhere is text), printf-style ``%S``/``%1$S``/``%d`` placeholders, bidi
   control characters and soft hyphens, brackets or quotes left empty by a removed
   placeholder, spaces before closing punctuation, and runs of whitespace.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "FluentPatternError",
    "collapse_whitespace",
    "nfc",
    "normalize_text",
    "parse_fluent_pattern",
    "resolve_fluent_pattern",
    "strip_access_keys",
    "strip_markup",
    "strip_placeholders",
    "strip_plural_placeholders",
    "tidy_punctuation",
]


# --------------------------------------------------------------------------------------------
# Fluent patterns
# --------------------------------------------------------------------------------------------


class FluentPatternError(ValueError):
    """A Fluent pattern that is not well-formed (unbalanced braces, bad select, ...)."""


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Literal:
    """A string or number literal: its value is text."""

    value: str


@dataclass(frozen=True)
class VariableRef:
    name: str


@dataclass(frozen=True)
class TermRef:
    name: str
    attribute: str | None = None
    args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MessageRef:
    name: str
    attribute: str | None = None


@dataclass(frozen=True)
class FunctionRef:
    name: str


@dataclass(frozen=True)
class Variant:
    key: str
    default: bool
    pattern: tuple


@dataclass(frozen=True)
class Select:
    selector: object
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Placeable:
    expression: object


_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_BLANK = " \t\r\n"


class _PatternParser:
    def __init__(self, source: str) -> None:
        self.s = source
        self.n = len(source)

    def error(self, i: int, message: str) -> FluentPatternError:
        return FluentPatternError(f"{message} at offset {i} in Fluent pattern {self.s!r}")

    def skip_blank(self, i: int) -> int:
        while i < self.n and self.s[i] in _BLANK:
            i += 1
        return i

    def at_variant_start(self, i: int) -> bool:
        """True when ``s[i]`` is a newline that is followed by a variant key or ``}``."""
        j = self.skip_blank(i)
        return j < self.n and (self.s[j] in "[}" or self.s.startswith("*[", j))

    def pattern(self, i: int, *, in_placeable: bool, in_variant: bool) -> tuple[tuple, int]:
        elements: list = []
        buf: list[str] = []
        while i < self.n:
            c = self.s[i]
            if c == "{":
                if buf:
                    elements.append(Text("".join(buf)))
                    buf = []
                node, i = self.placeable(i)
                elements.append(node)
                continue
            if c == "}":
                if in_placeable:
                    break
                raise self.error(i, "unbalanced '}'")
            if in_variant and c == "\n" and self.at_variant_start(i):
                break
            buf.append(c)
            i += 1
        else:
            if in_placeable:
                raise self.error(i, "unterminated placeable")
        if buf:
            elements.append(Text("".join(buf)))
        return tuple(elements), i

    def placeable(self, i: int) -> tuple[Placeable, int]:
        assert self.s[i] == "{"
        i = self.skip_blank(i + 1)
        expr, i = self.inline_expression(i)
        i = self.skip_blank(i)
        if self.s.startswith("->", i):
            variants, i = self.variants(i + 2)
            expr = Select(expr, variants)
            i = self.skip_blank(i)
        if i >= self.n or self.s[i] != "}":
            raise self.error(i, "expected '}'")
        return Placeable(expr), i + 1

    def variants(self, i: int) -> tuple[tuple[Variant, ...], int]:
        out: list[Variant] = []
        while True:
            i = self.skip_blank(i)
            if i >= self.n:
                raise self.error(i, "unterminated select expression")
            if self.s[i] == "}":
                break
            default = False
            if self.s[i] == "*":
                default = True
                i += 1
            if i >= self.n or self.s[i] != "[":
                raise self.error(i, "expected variant key '['")
            end = self.s.find("]", i)
            if end < 0:
                raise self.error(i, "unterminated variant key")
            key = self.s[i + 1 : end].strip()
            if not key:
                raise self.error(i, "empty variant key")
            i = end + 1
            # Inline blanks after the key belong to no one; the pattern may start on the next line.
            while i < self.n and self.s[i] in " \t":
                i += 1
            pattern, i = self.pattern(i, in_placeable=True, in_variant=True)
            out.append(Variant(key, default, pattern))
        if not out:
            raise self.error(i, "select expression without variants")
        if sum(v.default for v in out) != 1:
            raise self.error(i, "select expression needs exactly one default variant")
        return tuple(out), i

    def inline_expression(self, i: int) -> tuple[object, int]:
        s = self.s
        if i >= self.n:
            raise self.error(i, "expected an expression")
        c = s[i]
        if c == '"':
            return self.string_literal(i)
        if c == "{":
            return self.placeable(i)
        if c == "$":
            m = _IDENT.match(s, i + 1)
            if not m:
                raise self.error(i, "bad variable name")
            return VariableRef(m.group()), m.end()
        m = _NUMBER.match(s, i)
        if m:
            return Literal(m.group()), m.end()
        if c == "-":
            m = _IDENT.match(s, i + 1)
            if not m:
                raise self.error(i, "bad term name")
            name, j = m.group(), m.end()
            attr = None
            if j < self.n and s[j] == ".":
                ma = _IDENT.match(s, j + 1)
                if not ma:
                    raise self.error(j, "bad attribute name")
                attr, j = ma.group(), ma.end()
            args: tuple[tuple[str, str], ...] = ()
            k = self.skip_blank(j)
            if k < self.n and s[k] == "(":
                args, j = self.call_arguments(k)
            return TermRef(name, attr, args), j
        m = _IDENT.match(s, i)
        if m:
            name, j = m.group(), m.end()
            k = self.skip_blank(j)
            if k < self.n and s[k] == "(":
                _, j = self.call_arguments(k)
                return FunctionRef(name), j
            attr = None
            if j < self.n and s[j] == ".":
                ma = _IDENT.match(s, j + 1)
                if not ma:
                    raise self.error(j, "bad attribute name")
                attr, j = ma.group(), ma.end()
            return MessageRef(name, attr), j
        raise self.error(i, f"unexpected character {c!r} in placeable")

    def string_literal(self, i: int) -> tuple[Literal, int]:
        s = self.s
        j = i + 1
        out: list[str] = []
        while j < self.n:
            c = s[j]
            if c == '"':
                return Literal("".join(out)), j + 1
            if c == "\n":
                break
            if c == "\\":
                nxt = s[j + 1 : j + 2]
                if nxt in ('"', "\\"):
                    out.append(nxt)
                    j += 2
                    continue
                if nxt in ("u", "U"):
                    width = 4 if nxt == "u" else 6
                    digits = s[j + 2 : j + 2 + width]
                    if len(digits) == width and all(d in "0123456789abcdefABCDEF" for d in digits):
                        code = int(digits, 16)
                        out.append(chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd")
                        j += 2 + width
                        continue
                raise self.error(j, "bad escape in string literal")
            out.append(c)
            j += 1
        raise self.error(i, "unterminated string literal")

    def call_arguments(self, i: int) -> tuple[tuple[tuple[str, str], ...], int]:
        """Parse ``( ... )``; return the named arguments whose values are literals."""
        assert self.s[i] == "("
        named: list[tuple[str, str]] = []
        i += 1
        while True:
            i = self.skip_blank(i)
            if i >= self.n:
                raise self.error(i, "unterminated argument list")
            if self.s[i] == ")":
                return tuple(named), i + 1
            m = _IDENT.match(self.s, i)
            k = self.skip_blank(m.end()) if m else i
            if m and k < self.n and self.s[k] == ":":
                k = self.skip_blank(k + 1)
                value, i = self.inline_expression(k)
                if isinstance(value, Literal):
                    named.append((m.group(), value.value))
            else:
                _, i = self.inline_expression(i)
            i = self.skip_blank(i)
            if i < self.n and self.s[i] == ",":
                i += 1
            elif i < self.n and self.s[i] != ")":
                raise self.error(i, "expected ',' or ')' in argument list")


def parse_fluent_pattern(source: str) -> tuple:
    """Parse the text of a Fluent value/attribute into a tuple of pattern elements.

    ``source`` is the pattern as it appears after ``id =`` (continuation lines included).
    Raises :class:`FluentPatternError` when the placeables are not well-formed.
    """
    elements, i = _PatternParser(source).pattern(0, in_placeable=False, in_variant=False)
    return elements


class _Resolver:
    def __init__(self, terms: Mapping[str, str], messages: Mapping[str, str], max_depth: int) -> None:
        self.terms = terms
        self.messages = messages
        self.max_depth = max_depth

    def pattern(self, elements: tuple, args: Mapping[str, str], depth: int) -> tuple[str, bool]:
        """Return (text, complete): complete is False when a variable/function was dropped."""
        parts: list[str] = []
        complete = True
        for el in elements:
            if isinstance(el, Text):
                parts.append(el.value)
            else:
                text, ok = self.expression(el.expression, args, depth)
                parts.append(text)
                complete = complete and ok
        return "".join(parts), complete

    def expression(self, expr: object, args: Mapping[str, str], depth: int) -> tuple[str, bool]:
        if isinstance(expr, Literal):
            return expr.value, True
        if isinstance(expr, Placeable):
            return self.expression(expr.expression, args, depth)
        if isinstance(expr, VariableRef):
            # Inside a term, a variable is one of the term's own arguments.
            if expr.name in args:
                return args[expr.name], True
            return "", False
        if isinstance(expr, FunctionRef):
            return "", False
        if isinstance(expr, Select):
            chosen = None
            if isinstance(expr.selector, VariableRef) and expr.selector.name in args:
                wanted = args[expr.selector.name]
                chosen = next((v for v in expr.variants if v.key == wanted), None)
            if chosen is None:
                chosen = next(v for v in expr.variants if v.default)
            return self.pattern(chosen.pattern, args, depth)
        if isinstance(expr, TermRef):
            if expr.attribute is not None or depth >= self.max_depth:
                return "", True  # term attributes are only valid as selectors
            source = self.terms.get(expr.name)
            if source is None:
                return "", True
            try:
                elements = parse_fluent_pattern(source)
            except FluentPatternError:
                return "", True
            text, ok = self.pattern(elements, dict(expr.args), depth + 1)
            # Only a simple term (fully resolved to text) is substituted; otherwise drop it.
            return (text, True) if ok else ("", True)
        if isinstance(expr, MessageRef):
            key = expr.name if expr.attribute is None else f"{expr.name}.{expr.attribute}"
            source = self.messages.get(key)
            if source is None or depth >= self.max_depth:
                return "", True
            try:
                elements = parse_fluent_pattern(source)
            except FluentPatternError:
                return "", True
            return self.pattern(elements, {}, depth + 1)
        raise TypeError(f"unknown Fluent expression {expr!r}")  # pragma: no cover


def resolve_fluent_pattern(
    pattern: str | tuple,
    terms: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
    *,
    max_depth: int = 8,
) -> str:
    """Flatten a Fluent pattern to plain text (see the module docstring for the rules).

    ``pattern`` is the pattern source (or the tuple from :func:`parse_fluent_pattern`);
    ``terms`` maps term names *without* the leading ``-`` to their pattern source;
    ``messages`` maps ``id`` / ``id.attr`` to pattern source. Whitespace is left as it is:
    run :func:`normalize_text` on the result.
    """
    elements = parse_fluent_pattern(pattern) if isinstance(pattern, str) else pattern
    resolver = _Resolver(terms or {}, messages or {}, max_depth)
    text, _ = resolver.pattern(elements, {}, 0)
    return text


# --------------------------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------------------------


def nfc(text: str) -> str:
    """Unicode NFC (composed) form."""
    return unicodedata.normalize("NFC", text)


# A tag: <name ...>, </name>, <name/>. Requiring a letter after '<' leaves "a < b" alone.
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9:_.-]*)(?:\s[^<>]*)?/?>")
_BLOCK_TAGS = frozenset({"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "html:br", "html:p", "html:div", "html:li"})
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def strip_markup(text: str) -> str:
    """Remove HTML/XML tags (keeping their inner text) and decode character references.

    Block-level tags (``<br/>``, ``<p>``, ``<li>`` ...) become a space so that the words on
    either side stay apart; inline tags (``<a>``, ``<strong>``, ``<span>`` ...) vanish.
    Only complete references ending in ``;`` are decoded (``&amp;``, ``&#160;``), so a bare
    ``&`` (an access key or "AT&T") is left for :func:`strip_access_keys`.
    """

    def tag(m: re.Match) -> str:
        return " " if m.group(1).lower() in _BLOCK_TAGS else ""

    text = _TAG.sub(tag, text)
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text)


_ACCESS_KEY = re.compile(r"&(&|(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);)(?=[^\W\d_]))")


def strip_access_keys(text: str) -> str:
    """Remove ``&`` access-key markers (``&Open`` -> ``Open``, ``Do&n’t`` -> ``Don’t``; ``&&`` -> ``&``).

    Only a ``&`` directly before a letter is a marker: ``Tom & Jerry``, ``“&”`` and character
    references (``&amp;``) are kept. Mostly ``.properties`` strings, but a few Fluent
    messages for native dialogs (``&Discard``) carry them too.
    """
    return _ACCESS_KEY.sub(lambda m: "&" if m.group(1) == "&" else "", text)


# printf conversions as used by Gecko: %S, %s, %1$S, %d, %ld, %lld, %2$d, %.2f, %u, %x, %@.
# The flags omit the space flag so that "50% size" is not read as "% s".
_PRINTF = re.compile(r"%(?:[0-9]+\$)?[-+0#]*[0-9]*(?:\.[0-9]+)?(?:hh|h|ll|l|L|q|j|z|t)?[sSdDiuUfFgGeExXcCpo@]")
_PLURAL_PLACEHOLDER = re.compile(r"#[0-9]+")


def strip_placeholders(text: str) -> str:
    """Remove printf placeholders (``%S``, ``%1$S``, ``%d``) and turn ``%%`` into ``%``."""
    parts = text.split("%%")
    return "%".join(_PRINTF.sub("", part) for part in parts)


def strip_plural_placeholders(text: str) -> str:
    """Remove Mozilla PluralForm placeholders ``#1``, ``#2`` (``.properties`` strings)."""
    return _PLURAL_PLACEHOLDER.sub("", text)


_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF]
)
_EMPTY_PAIR = re.compile(r"\(\s*\)|\[\s*\]|“\s*”|„\s*“|‘\s*’|«\s*»|‹\s*›|「\s*」|『\s*』|\"\s*\"|''")
_SPACE_BEFORE_CLOSE = re.compile(r"[ \t]+([,.;:!?)\]…،؛؟۔।॥])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])[ \t]+")
_WS = re.compile(r"\s+")


def collapse_whitespace(text: str) -> str:
    """Every run of Unicode whitespace (newlines, NBSP, thin spaces) becomes one space; strip ends."""
    return _WS.sub(" ", text).strip()


def tidy_punctuation(text: str) -> str:
    """Clean up what removing a placeholder leaves behind.

    Brackets/quotes with nothing inside (``“%S”`` -> ``“”``) are removed, and spaces before
    closing punctuation or after an opening bracket are dropped (``Open %S?`` -> ``Open ?``
    -> ``Open?``). Applied identically to English and the translation.
    """
    previous = None
    while previous != text:
        previous = text
        text = _EMPTY_PAIR.sub("", text)
    text = _SPACE_BEFORE_CLOSE.sub(r"\1", text)
    return _SPACE_AFTER_OPEN.sub(r"\1", text)


def normalize_text(text: str, *, plural_placeholders: bool = False) -> str:
    """Normalise one side of a pair to a plain sentence.

    NFC; ``&`` access keys; markup and character references; with
    ``plural_placeholders=True`` (a Mozilla PluralForm string) also ``#1``; printf placeholders; bidi controls, BOM and soft hyphens
    (ZWJ/ZWNJ are kept: they are spelling in Indic and Perso-Arabic scripts); empty brackets
    and quotes; spaces before closing punctuation; whitespace collapsed and ends stripped.
    """
    text = nfc(text)
    text = strip_access_keys(text)
    text = strip_markup(text)
    if plural_placeholders:
        text = strip_plural_placeholders(text)
    text = strip_placeholders(text)
    text = text.translate(_INVISIBLE)
    text = collapse_whitespace(text)
    text = tidy_punctuation(text)
    return nfc(collapse_whitespace(text))
