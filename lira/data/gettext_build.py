"""Build out-of-domain English<->X pairs from the gettext catalogs of other free software.

The Firefox pairs (:mod:`lira.data.parallel_build`) are one product's UI text. To see how a
model does on software text it was not trained on, this builder takes the human
translations of other projects, grouped into source **families** (:data:`FAMILIES`:
Cinnamon, MATE, Xfce and Debian's own tools), from the compiled gettext catalogs
(``usr/share/locale/<locale>/LC_MESSAGES/<domain>.mo``) that Debian ships. In a catalog the
key is the English source string (``msgid``), so every entry is already a pair.

Pipeline (:func:`build_gettext`):

1. ``apt-get download`` and ``dpkg -x`` the packages (the Firefox builder's
   ``_fetch_deb``/``_extract_deb``, same cache folders), recording each ``.deb``'s version,
   sha256 and licence (:func:`package_licence`, from ``usr/share/doc/<pkg>/copyright``);
2. read the ``.mo`` files of the locales that are LiRA languages (:func:`locale_language`)
   with a parser of the binary format (:func:`parse_mo`; it needs no ``Plural-Forms``
   header, which some catalogs get wrong), never opening a **reserved** catalog
   (:func:`is_reserved_domain`: glib, gtk, gimp, coreutils, util-linux);
3. English is the ``msgid`` (``msgid_plural`` for plural entries) and the translation its
   last form; gettext markup is removed (:func:`normalize_gettext`: mnemonics,
   ``(_F)`` accelerators, printf/Python/brace placeholders) before the Firefox builder's
   :func:`~lira.data.normalize.normalize_text`;
4. filter with the Firefox builder's :func:`~lira.data.parallel_build.filter_reason` (plus
   ``keywords`` and ``identifier``, see :func:`gettext_filter_reason`), de-duplicate per
   family with its :func:`~lira.data.parallel_build.deduplicate`, and split with its
   :func:`~lira.data.parallel_build.split_of`: an English sentence is in the same split here
   and in the Firefox data, so no dev/test sentence of any source is trained on;
5. write ``lira/resources/gettext/{train,dev,test}.jsonl.gz`` and ``SOURCES.md`` (with an
   embedded manifest; :func:`verify_gettext` rebuilds and compares bytes).

Each row's ``source`` starts with its family (``"mate/caja-common 1.26.1-1+deb12u1:th/caja.mo#..."``),
so :func:`source_family` and :func:`ood_dev_sets` can group the evaluation sets by family.
De-duplication is per family: the same English sentence may appear once in each family.
"""

from __future__ import annotations

import fnmatch
import json
import re
import struct
import tempfile
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lira.data.normalize import _TAG, normalize_text
from lira.data.pairs import ParallelPair, load_pairs
from lira.data.parallel_build import (
    SPLITS,
    _deb_field,
    _extract_deb,
    _fetch_deb,
    _sha256_file,
    deduplicate,
    embedded_manifest,
    filter_reason,
    write_splits,
)
from lira.languages import LANGUAGES, UnknownLanguageError, canonical_language
from lira.paths import cache_dir, resources_dir

__all__ = [
    "FAMILIES",
    "Catalog",
    "MoEntry",
    "MoFormatError",
    "build_from_catalogs",
    "build_gettext",
    "catalog_pairs",
    "fetch_catalogs",
    "gettext_filter_reason",
    "is_reserved_domain",
    "locale_language",
    "normalize_gettext",
    "ood_dev_sets",
    "package_licence",
    "parse_mo",
    "read_catalogs",
    "read_manifest",
    "source_family",
    "strip_gettext_placeholders",
    "strip_mnemonics",
    "verify_gettext",
]

# Source family -> Debian binary packages that hold its .mo files. Thunar's catalogs are in
# thunar-data (the thunar package has none); MATE: every *-common package with catalogs.
FAMILIES: dict[str, tuple[str, ...]] = {
    "cinnamon": ("cinnamon-l10n",),
    "mate": (
        "caja-common",
        "pluma-common",
        "mate-desktop-common",
        "mate-panel-common",
        "mate-control-center-common",
        "mate-settings-daemon-common",
        "mate-power-manager-common",
        "mate-terminal-common",
        "mate-system-monitor-common",
        "mate-screensaver-common",
        "mate-media-common",
        "mate-notification-daemon-common",
        "mate-utils-common",
        "mate-applets-common",
        "engrampa-common",
        "atril-common",
        "eom-common",
        "marco-common",
    ),
    "xfce": (
        "xfce4-panel",
        "xfce4-settings",
        "thunar-data",
        "xfce4-session",
        "mousepad",
        "xfce4-terminal",
        "libxfce4ui-common",
        "xfce4-power-manager-data",
    ),
    "debian": ("apt", "dpkg", "debconf-i18n", "e2fsprogs-l10n"),
}

# Catalogs that no LiRA data set may contain (held out by the project), whatever package
# ships them: glib, gtk (gtk20, gtk30, gtk40, gtk*-properties), gimp*, coreutils, util-linux.
RESERVED_DOMAIN = re.compile(r"glib\d*|gtk\d*(?:-properties)?|gimp.*|coreutils|util-linux", re.I)

# Licences of packages whose copyright file is not machine-readable (no DEP-5 paragraph
# for po/* or *), read by hand from that file.
_LICENCE_BY_HAND: dict[str, str] = {
    "thunar-data": "GPL (LGPL for thunarx/tdb)",
    "xfce4-panel": "GPL-2+ (LGPL-2.1+ for libxfce4panel)",
    "xfce4-session": "GPL",
    "xfce4-terminal": "GPL-2+",
    "mousepad": "GPL-2+",
    "xfce4-power-manager-data": "GPL-2+",
    # /usr/share/doc/debconf-i18n is a link to debconf's folder (not in this package):
    # debconf's copyright file says BSD-2-clause for Files: *.
    "debconf-i18n": "BSD-2-clause",
}

# Locales of a LiRA language written in another script than LiRA's (Shahmukhi Punjabi).
_OTHER_SCRIPT_LOCALES = frozenset({"pa_PK"})
SOURCE_KEY_CHARS = 60  # msgid characters kept in a row's source


# ============================================================================================
# .mo files
# ============================================================================================


class MoFormatError(ValueError):
    """Bytes that are not a GNU gettext ``.mo`` file."""


@dataclass(frozen=True)
class MoEntry:
    """One catalog entry: ``forms`` holds the translation (one per plural form)."""

    msgid: str
    forms: tuple[str, ...]
    context: str | None = None
    msgid_plural: str | None = None


_MO_MAGIC = 0x950412DE
_CHARSET = re.compile(rb"charset=([A-Za-z0-9_.:-]+)")


def _mo_charset(header: bytes) -> str:
    m = _CHARSET.search(header)
    if not m:
        return "utf-8"
    name = m.group(1).decode("ascii")
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return "utf-8" if name.upper() == "CHARSET" else name


def parse_mo(data: bytes) -> list[MoEntry]:
    """Parse a compiled gettext catalog (either byte order, format revision 0 or 1).

    Reads only the string tables: the hash table and the ``Plural-Forms`` formula are not
    needed (and are wrong in a few real catalogs). Strings are decoded with the header's
    ``charset`` (UTF-8 if none); an entry that does not decode is skipped. The header
    entry (empty msgid) is not returned. Keys ``ctx\\x04id`` and ``id\\x00plural`` and the
    ``\\x00``-separated plural translations are split into :class:`MoEntry` fields.
    """
    if len(data) < 28:
        raise MoFormatError("too short for a .mo header")
    for order in ("<", ">"):
        if struct.unpack(order + "I", data[:4])[0] == _MO_MAGIC:
            break
    else:
        raise MoFormatError(f"bad magic number {data[:4].hex()}")
    revision, count, orig_at, trans_at = struct.unpack(order + "4I", data[4:20])
    if revision >> 16 > 1:
        raise MoFormatError(f"unknown .mo major revision {revision >> 16}")

    def table(at: int) -> list[bytes]:
        if at + 8 * count > len(data):
            raise MoFormatError("string table past the end of the file")
        out = []
        for i in range(count):
            length, offset = struct.unpack(order + "2I", data[at + 8 * i : at + 8 * i + 8])
            if offset + length > len(data):
                raise MoFormatError(f"string {i} past the end of the file")
            out.append(data[offset : offset + length])
        return out

    keys, values = table(orig_at), table(trans_at)
    charset = "utf-8"
    for key, value in zip(keys, values):
        if key == b"":
            charset = _mo_charset(value)
    entries: list[MoEntry] = []
    for key, value in zip(keys, values):
        if key == b"":
            continue
        try:
            k, v = key.decode(charset), value.decode(charset)
        except UnicodeDecodeError:
            continue
        context, _, msgid = k.rpartition("\x04") if "\x04" in k else (None, "", k)
        msgid, _, plural = msgid.partition("\x00")
        entries.append(MoEntry(msgid, tuple(v.split("\x00")), context or None, plural or None))
    return entries


def is_reserved_domain(domain: str) -> bool:
    """True for a reserved catalog (:data:`RESERVED_DOMAIN`), which is never read."""
    return RESERVED_DOMAIN.fullmatch(domain) is not None


def locale_language(locale: str) -> str | None:
    """The LiRA language of a gettext locale folder name, or None.

    ``th`` -> ``th``, ``tl`` -> ``fil``, ``bn_IN``/``bn_BD`` -> ``bn``, ``ur_PK`` -> ``ur``;
    English, unknown languages, ``@`` variants (``sr@latin``) and regional locales written in
    another script than LiRA's (``pa_PK``) give None.
    """
    base = locale.split(".")[0]
    if "@" in base or base in _OTHER_SCRIPT_LOCALES:
        return None
    for code in (base, base.split("_")[0]):
        try:
            lang = canonical_language(code)
        except UnknownLanguageError:
            continue
        return None if lang == "en" else lang
    return None


# ============================================================================================
# Normalisation and filtering
# ============================================================================================

# "(_F)" / "(&F)" accelerators that CJK- and Indic-style translations append to a label.
_BRACKETED_ACCEL = re.compile(r"\s*[(（]\s*[_&][^\W_]?\s*[)）]")  # "(_)": a translator lost the key
_MNEMONIC = re.compile(r"(?<!_)_(?=[^\W_])")
# %(name)s, {0}, {name}, {}, {0:.2f}, {name!r}; printf as C code writes it, a superset of
# what normalize_text removes: the flags ' and I (localised digits), '*' width or
# precision (%.*s), glibc's %m (the errno message). No space flag: "50% done" is text.
_PY_NAMED = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[-+ 0#]*[0-9]*(?:\.[0-9]+)?[sdifgeExXrac]")
_BRACE = re.compile(r"\{[A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}")
_PRINTF_EXTRA = re.compile(r"%(?:[0-9]+\$)?[-+0#'I]*(?:[0-9]+|\*)?(?:\.(?:[0-9]+|\*))?(?:hh|h|ll|l|L|q|j|z|t)?[sdiouxXeEfFgGcpm]")
_IDENTIFIER = re.compile(r"[A-Za-z0-9]_[A-Za-z0-9]")
_EMPTY_GNU_QUOTES = re.compile(r"`\s*'")
_LEADING_JOINER = re.compile(r"^[,;:]\s*")
# strftime (``%a, %b %Y``), glibc ``%m`` and any other conversion normalize_text keeps.
_FORMAT_LEFT = re.compile(r"%[-_^#0-9$]*[A-Za-z]")
# Run-time templates: ``@delay`` (GSettings descriptions), ``@d @b`` (e2fsprogs abbreviations).
_TEMPLATE = re.compile(r"(?<![\w.])@[A-Za-z]+|@[A-Za-z]{1,2}\b")
_IDENTIFIER_TOKEN = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+")


def strip_mnemonics(text: str) -> str:
    """Remove GTK mnemonic underscores: ``_File`` -> ``File``, ``E_xit`` -> ``Exit``, ``__`` -> ``_``.

    Also removes whole bracketed accelerators (``ファイル(_F)`` -> ``ファイル``). A label has one
    mnemonic, so only a string with exactly one ``_`` before a letter or digit (outside
    markup tags) loses it; ``file_name_here``-style identifiers are left for the filter.
    """
    text = _BRACKETED_ACCEL.sub("", text)
    if len(_MNEMONIC.findall(_TAG.sub("", text).replace("__", ""))) == 1:
        parts, at = [], 0
        for tag in _TAG.finditer(text):  # markup attributes keep their underscores
            parts += [_MNEMONIC.sub("", text[at : tag.start()]), tag.group()]
            at = tag.end()
        text = "".join(parts) + _MNEMONIC.sub("", text[at:])
    return text.replace("__", "_")


def strip_gettext_placeholders(text: str) -> str:
    """Remove Python ``%(name)s`` and ``{0}``/``{name}`` placeholders and printf ones.

    The printf pattern is a superset of :func:`~lira.data.normalize.normalize_text`'s: it
    also takes ``%'d``/``%Id`` flags, ``*`` widths (``%.*s``) and ``%m``. ``%%`` is left for
    ``normalize_text`` to turn into ``%``.
    """
    text = _PY_NAMED.sub("", text)
    text = _BRACE.sub("", text)
    return "%%".join(_PRINTF_EXTRA.sub("", part) for part in text.split("%%"))


def normalize_gettext(text: str) -> str:
    """One side of a gettext pair as a plain sentence.

    Placeholders and mnemonics go first, then GNU-style ```%s'`` quotes left empty, then
    :func:`~lira.data.normalize.normalize_text` (``&`` keys, Pango/HTML markup, newlines and
    whitespace, empty brackets, NFC), and last the comma or colon that joined a removed
    leading placeholder to the rest (``%s, feels like %s`` -> ``feels like``).
    """
    text = strip_mnemonics(strip_gettext_placeholders(text))
    text = normalize_text(_EMPTY_GNU_QUOTES.sub("", text))
    return _LEADING_JOINER.sub("", text)


def gettext_filter_reason(en_raw: str, raw: str, en: str, text: str, lang: str) -> str | None:
    """Why a normalised gettext pair is dropped, or None to keep it.

    The Firefox builder's :func:`~lira.data.parallel_build.filter_reason`, after three checks
    of gettext's own on the raw (``en_raw``, ``raw``) and normalised (``en``, ``text``) sides:
    ``keywords``: a ``.desktop`` ``Keywords=`` list (``Files;Folders;``), whose translation is
    a free list of search terms, not a sentence; ``template``: an English side with a
    strftime/``%m`` conversion or an ``@word`` template left in it, which is not text;
    ``identifier``: a setting or function name
    (``show_hidden``) that the translation copies verbatim (a mnemonic, ``E_xit``, is not
    copied) or that is left in the English after mnemonic removal (two or more underscores).
    """
    if en_raw.rstrip().endswith(";"):
        return "keywords"
    if _FORMAT_LEFT.search(en) or _TEMPLATE.search(en):
        return "template"
    if _IDENTIFIER.search(en) or any(token in raw for token in _IDENTIFIER_TOKEN.findall(en_raw)):
        return "identifier"
    return filter_reason(en, text, lang)


# ============================================================================================
# Catalogs -> pairs
# ============================================================================================


@dataclass(frozen=True)
class Catalog:
    """One ``.mo`` file of one package: ``locale`` is the folder name, ``lang`` LiRA's code."""

    family: str
    package: str
    version: str
    locale: str
    lang: str
    domain: str
    data: bytes


def _source_key(entry: MoEntry) -> str:
    key = " ".join(entry.msgid.split())
    if entry.context:
        key = f"{entry.context}|{key}"
    return key if len(key) <= SOURCE_KEY_CHARS else key[: SOURCE_KEY_CHARS - 1] + "…"


def catalog_pairs(catalog: Catalog, stats: Counter | None = None) -> list[ParallelPair]:
    """The normalised, filtered pairs of one catalog (before de-duplication).

    English is the ``msgid_plural`` of a plural entry (the general form) and the msgid
    otherwise; the translation is the last plural form ("other" for the languages here).
    Untranslated entries (empty last form) are skipped; ``.mo`` files hold no fuzzy entries
    (``msgfmt`` leaves them out).
    """
    stats = stats if stats is not None else Counter()
    if is_reserved_domain(catalog.domain):
        raise ValueError(f"{catalog.domain}.mo is a reserved catalog and must not be read")
    out: list[ParallelPair] = []
    for entry in parse_mo(catalog.data):
        stats["entries"] += 1
        en_raw = entry.msgid_plural or entry.msgid
        raw = entry.forms[-1]
        if not raw.strip():
            stats["drop:untranslated"] += 1
            continue
        en, text = normalize_gettext(en_raw), normalize_gettext(raw)
        reason = gettext_filter_reason(en_raw, raw, en, text, catalog.lang)
        if reason is not None:
            stats[f"drop:{reason}"] += 1
            continue
        source = f"{catalog.family}/{catalog.package} {catalog.version}:{catalog.locale}/{catalog.domain}.mo#{_source_key(entry)}"
        out.append(ParallelPair(en=en, text=text, lang=catalog.lang, source=source))
    return out


def source_family(pair: ParallelPair) -> str:
    """The family (a key of :data:`FAMILIES`) a gettext pair comes from, read from its source."""
    family = pair.source.split("/", 1)[0]
    if family not in FAMILIES:
        raise ValueError(f"source {pair.source!r} names no gettext family ({', '.join(FAMILIES)})")
    return family


# ============================================================================================
# Build and write
# ============================================================================================


def build_from_catalogs(
    catalogs: Sequence[Catalog],
    out_dir: str | Path,
    *,
    packages: Mapping[str, Mapping[str, str]] | None = None,
    reserved_skipped: Iterable[str] = (),
    console=None,
) -> dict[str, dict[str, dict[str, int]]]:
    """Pairs from in-memory catalogs, written to ``out_dir``; return ``{family: {lang: {split: n}}}``.

    No network, no dpkg. ``packages`` is ``{package: {"family", "version", "deb_sha256",
    "licence", ...}}`` for ``SOURCES.md`` (defaults to what the catalogs say);
    ``reserved_skipped`` names the reserved ``.mo`` files that were seen and not read.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stats: dict[tuple[str, str], Counter] = defaultdict(Counter)
    raw_pairs: dict[str, list[ParallelPair]] = defaultdict(list)
    order = sorted(catalogs, key=lambda c: (c.family, c.package, c.locale, c.domain))
    for cat in order:
        raw_pairs[cat.family].extend(catalog_pairs(cat, stats[(cat.family, cat.lang)]))
    all_pairs: list[ParallelPair] = []
    for family in sorted(raw_pairs):
        by_lang: dict[str, list[ParallelPair]] = defaultdict(list)
        for p in raw_pairs[family]:
            by_lang[p.lang].append(p)
        for lang in sorted(by_lang):
            all_pairs.extend(deduplicate(by_lang[lang], stats[(family, lang)]))
    rows, files = write_splits(all_pairs, out_dir)

    counts: dict[str, dict[str, dict[str, int]]] = {}
    for family, lang in sorted(stats):
        counts.setdefault(family, {})[lang] = {s: 0 for s in SPLITS}
    for split in SPLITS:
        for p in rows[split]:
            counts[source_family(p)][p.lang][split] += 1

    if packages is None:
        packages = {c.package: {"family": c.family, "version": c.version} for c in catalogs}
    manifest = {
        "families": {f: list(FAMILIES.get(f, ())) for f in sorted(counts)},
        "packages": {k: dict(sorted(v.items())) for k, v in sorted(packages.items())},
        "languages": sorted({c.lang for c in catalogs}),
        "reserved_pattern": RESERVED_DOMAIN.pattern,
        "reserved_skipped": sorted(set(reserved_skipped)),
        "counts": counts,
        "files": files,
    }
    stats_rows = {f"{f}/{lang}": dict(sorted(st.items())) for (f, lang), st in sorted(stats.items())}
    (out_dir / "SOURCES.md").write_text(_sources_md(manifest, stats_rows), encoding="utf-8")
    if console is not None:
        _print_table(console, counts)
    return counts


_MANIFEST_BEGIN = "<!-- lira-gettext-manifest"


def read_manifest(out_dir: str | Path | None = None) -> dict:
    """The manifest embedded in the gettext ``SOURCES.md`` (packages, counts, sha256)."""
    return embedded_manifest(Path(out_dir or resources_dir() / "gettext") / "SOURCES.md", _MANIFEST_BEGIN)


def _lang_name(lang: str) -> str:
    return f"{lang} ({LANGUAGES[lang].name})"


def _sources_md(manifest: dict, stats: Mapping[str, Mapping[str, int]]) -> str:
    lines = [
        "# Out-of-domain parallel sentences (gettext catalogs): sources, licences and counts",
        "",
        "Human translations of the user interfaces of Cinnamon, MATE, Xfce and Debian's own",
        "tools, English <-> X, extracted by `lira.data.gettext_build.build_gettext()` from the",
        "compiled gettext catalogs (`.mo`) in Debian packages. They are LiRA's out-of-domain",
        "evaluation sets (`lira.data.gettext_build.ood_dev_sets()`): software text that is not",
        "Firefox's. Do not edit the data files by hand: rebuild them (and this file) with",
        "`lira data gettext`, and check a rebuild with `python -m lira.data.gettext_build verify`.",
        "",
        "## Licences and notice",
        "",
        "Each string is an extract of a project's translation files, which are distributed under",
        "the licence of that project (the `licence` column, as each package's",
        "`/usr/share/doc/<package>/copyright` states it for `po/*` or for all files). Their",
        "copyright belongs to the projects' authors and translators. The Source Code Form is",
        "available from Debian as the source package of each binary package below (same",
        "version) and from the upstream projects. Each row's `source` names the family, package,",
        "version, locale, catalog and message id it comes from.",
        "",
        "## Packages",
        "",
        "| family | package | version | licence | deb sha256 |",
        "| --- | --- | --- | --- | --- |",
    ]
    pkgs = manifest["packages"]
    for family in manifest["families"]:
        for pkg in manifest["families"][family] or sorted(p for p, i in pkgs.items() if i.get("family") == family):
            info = pkgs.get(pkg, {})
            lines.append(f"| {family} | {pkg} | {info.get('version', '-')} | {info.get('licence', '-')} | {info.get('deb_sha256', '-')} |")
    reserved = ", ".join(f"`{d}`" for d in manifest["reserved_skipped"]) or "none in these packages"
    lines += [
        "",
        "## How pairs are made",
        "",
        "- Every `usr/share/locale/<locale>/LC_MESSAGES/<domain>.mo` whose locale is a LiRA language",
        "  (`tl` -> fil, `bn_IN`/`bn_BD` -> bn, `ur_PK` -> ur; `@` variants and `pa_PK` are not).",
        f"- **Reserved catalogs are never read**: domains matching `{manifest['reserved_pattern']}`",
        f"  (glib, gtk, gimp, coreutils, util-linux). Seen and skipped here: {reserved}.",
        "- English is the msgid (the msgid_plural of a plural entry); the translation is the last",
        "  plural form. Message contexts are dropped from the text (kept in `source`). Untranslated",
        "  entries are skipped; `.mo` files hold no fuzzy entries.",
        "- Normalised: `(_F)`/`(&F)` accelerators and GTK mnemonics (`_File`), Python (`%(name)s`,",
        "  `{0}`, `{name}`) and printf (`%s`, `%1$s`, `%'d`, `%Id`) placeholders, `&` access keys,",
        "  Pango/HTML markup and character references removed, and the quotes, brackets and leading",
        "  commas or colons they leave empty; newlines and whitespace collapsed; NFC",
        "  (`lira.data.gettext_build.normalize_gettext`, with the Firefox builder's `normalize_text`).",
        "- Filtered as the Firefox data (`parallel_build.filter_reason`: >= 2 English words, <= 300",
        "  characters, not untranslated, script share, length ratio), and also `.desktop` keyword",
        "  lists (`keywords`), English with strftime/`%m` conversions or `@word` run-time templates",
        "  (`template`) and `word_word` identifiers copied into the translation (`identifier`).",
        "- De-duplicated per family and language as the Firefox data (`parallel_build.deduplicate`):",
        "  one translation per English sentence, the most frequent. A sentence may occur once in",
        "  each family, so that every family's sets stand alone.",
        "- Split by sha256 of the case-folded alphanumeric English (`parallel_build.split_of`, 80/10/10),",
        "  the same function as the Firefox data: an English sentence is in the same split in every",
        "  family and in Firefox, so dev/test stay disjoint from every train split.",
        "",
        "## Counts",
        "",
        "| family | language | train | dev | test | total |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    totals = {s: 0 for s in SPLITS}
    for family, by_lang in manifest["counts"].items():
        for lang, c in by_lang.items():
            for s in SPLITS:
                totals[s] += c[s]
            lines.append(f"| {family} | {_lang_name(lang)} | {c['train']} | {c['dev']} | {c['test']} | {sum(c.values())} |")
    lines.append(f"| **all** | | {totals['train']} | {totals['dev']} | {totals['test']} | {sum(totals.values())} |")
    lines += ["", "## Filtering, per family and language", "", "Catalog entries read, and how many each step removed.", ""]
    reasons = sorted({k for st in stats.values() for k in st if k.startswith(("drop:", "dup-"))})
    lines.append("| family/language | entries | " + " | ".join(r.replace("drop:", "") for r in reasons) + " |")
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in reasons) + " |")
    for key, st in stats.items():
        lines.append(f"| {key} | {st.get('entries', 0)} | " + " | ".join(str(st.get(r, 0)) for r in reasons) + " |")
    lines += ["", "## Files", "", "| file | rows | sha256 (gzip) | sha256 (uncompressed) |", "| --- | ---: | --- | --- |"]
    for name, info in manifest["files"].items():
        lines.append(f"| {name} | {info['rows']} | `{info['sha256']}` | `{info['sha256_uncompressed']}` |")
    lines += ["", _MANIFEST_BEGIN, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False), "-->", ""]
    return "\n".join(lines)


def _print_table(console, counts: Mapping[str, Mapping[str, Mapping[str, int]]]) -> None:
    from rich.table import Table

    table = Table(title="LiRA out-of-domain pairs (gettext catalogs)")
    table.add_column("family")
    table.add_column("language")
    for s in SPLITS:
        table.add_column(s, justify="right")
    for family, by_lang in counts.items():
        for lang, c in by_lang.items():
            table.add_row(family, _lang_name(lang), *(str(c[s]) for s in SPLITS))
    console.print(table)


# ============================================================================================
# Debian packages
# ============================================================================================


def _dep5_paragraphs(text: str) -> list[tuple[list[str], str]]:
    """``(file patterns, licence)`` of each ``Files:`` paragraph of a DEP-5 copyright file."""
    out = []
    for para in re.split(r"\n[ \t]*\n", text):
        files = re.search(r"^Files:(.*(?:\n[ \t]+.*)*)", para, re.M)
        licence = re.search(r"^License:[ \t]*(.+)", para, re.M)
        if files and licence:
            out.append((files.group(1).split(), licence.group(1).strip()))
    return out


def package_licence(root: Path, package: str) -> str:
    """The licence of a package's translations, from ``usr/share/doc/<package>/copyright``.

    A machine-readable (DEP-5) file gives the licence of the first paragraph whose
    ``Files:`` patterns match or list ``po/*.po`` files, else of ``Files: *``. Other packages use
    :data:`_LICENCE_BY_HAND`, read by hand from the same file.
    """
    if package in _LICENCE_BY_HAND:
        return _LICENCE_BY_HAND[package]
    path = root / "usr" / "share" / "doc" / package / "copyright"
    text = path.read_bytes().decode("utf-8", errors="replace") if path.is_file() else ""
    paragraphs = _dep5_paragraphs(text)
    for patterns, licence in paragraphs:
        # "po/*.po", "po/*", or the .po files one by one ("po/af.po po/am.po ...").
        if any(p != "*" and (fnmatch.fnmatchcase("po/xx.po", p) or re.fullmatch(r"po/[^/]+\.po", p)) for p in patterns):
            return licence
    for patterns, licence in paragraphs:
        if "*" in patterns:
            return licence
    raise RuntimeError(f"{path}: no licence for po/* or * found; add {package} to _LICENCE_BY_HAND")


def read_catalogs(root: Path, family: str, package: str, version: str, languages: Iterable[str] | None = None) -> tuple[list[Catalog], list[str]]:
    """The catalogs of the wanted languages in an extracted package, and the reserved ones skipped.

    Reserved catalogs are recognised by file name and never opened.
    """
    wanted = set(languages) if languages is not None else None
    catalogs: list[Catalog] = []
    reserved: list[str] = []
    for path in sorted((root / "usr" / "share" / "locale").glob("*/LC_MESSAGES/*.mo")):
        domain, locale = path.stem, path.parent.parent.name
        if is_reserved_domain(domain):
            reserved.append(f"{package}:{locale}/{path.name}")
            continue
        lang = locale_language(locale)
        if lang is None or (wanted is not None and lang not in wanted):
            continue
        catalogs.append(Catalog(family, package, version, locale, lang, domain, path.read_bytes()))
    return catalogs, reserved


def fetch_catalogs(
    languages: Iterable[str] | None = None,
    cache: str | Path | None = None,
    versions: Mapping[str, str] | None = None,
) -> tuple[list[Catalog], dict[str, dict[str, str]], list[str]]:
    """Download, extract and read every package of :data:`FAMILIES`.

    ``versions`` pins ``{package: version}`` (default: what apt offers now). Returns
    (catalogs, ``{package: {family, version, deb_sha256, licence}}``, reserved files skipped).
    """
    root = Path(cache) if cache is not None else cache_dir()
    debs, extract = root / "debs", root / "extract"
    debs.mkdir(parents=True, exist_ok=True)
    extract.mkdir(parents=True, exist_ok=True)
    versions = dict(versions or {})
    langs = sorted({canonical_language(lang) for lang in languages}) if languages is not None else None
    catalogs: list[Catalog] = []
    packages: dict[str, dict[str, str]] = {}
    reserved: list[str] = []
    for family, names in FAMILIES.items():
        for package in names:
            deb = _fetch_deb(package, versions.get(package), debs)
            version = _deb_field(deb, "Version")
            tree = _extract_deb(deb, extract)
            packages[package] = {"family": family, "version": version, "deb_sha256": _sha256_file(deb), "licence": package_licence(tree, package)}
            found, skipped = read_catalogs(tree, family, package, version, langs)
            catalogs.extend(found)
            reserved.extend(skipped)
    return catalogs, packages, reserved


def build_gettext(
    out_dir: str | Path | None = None,
    cache: str | Path | None = None,
    languages: Iterable[str] | None = None,
    *,
    versions: Mapping[str, str] | None = None,
    quiet: bool = False,
) -> dict[str, dict[str, dict[str, int]]]:
    """Build the out-of-domain data from Debian's packages; return ``{family: {lang: {split: n}}}``.

    ``out_dir``: default ``lira/resources/gettext``. ``cache``: where ``debs/`` and
    ``extract/`` live (default :func:`lira.paths.cache_dir`, shared with the Firefox
    builder). ``languages``: LiRA codes or aliases (default: every LiRA language the
    catalogs have). ``versions``: ``{package: version}`` pins. Prints a table unless ``quiet``.
    """
    catalogs, packages, reserved = fetch_catalogs(languages, cache, versions)
    console = None
    if not quiet:
        from rich.console import Console

        console = Console()
    out = Path(out_dir) if out_dir is not None else resources_dir() / "gettext"
    return build_from_catalogs(catalogs, out, packages=packages, reserved_skipped=reserved, console=console)


def verify_gettext(out_dir: str | Path | None = None, cache: str | Path | None = None) -> dict[str, bool]:
    """Rebuild with the package versions recorded in ``SOURCES.md`` and compare bytes.

    Returns ``{file name: identical}`` for the three data files and ``SOURCES.md``. A
    ``.deb`` sha256 that differs from the recorded one is a warning (some packages are
    built per architecture; amd64 was recorded): the output bytes are what count.
    """
    out = Path(out_dir) if out_dir is not None else resources_dir() / "gettext"
    manifest = read_manifest(out)
    versions = {pkg: info["version"] for pkg, info in manifest["packages"].items()}
    catalogs, packages, reserved = fetch_catalogs(manifest["languages"], cache, versions)
    for pkg, info in manifest["packages"].items():
        if packages[pkg]["deb_sha256"] != info["deb_sha256"]:
            # Keep the recorded sum so that SOURCES.md compares on the strings alone.
            warnings.warn(f"{pkg}: .deb sha256 {packages[pkg]['deb_sha256']} differs from the recorded {info['deb_sha256']}", stacklevel=2)
            packages[pkg]["deb_sha256"] = info["deb_sha256"]
    with tempfile.TemporaryDirectory() as tmp:
        build_from_catalogs(catalogs, tmp, packages=packages, reserved_skipped=reserved)
        return {name: (Path(tmp) / name).read_bytes() == (out / name).read_bytes() for name in [f"{s}.jsonl.gz" for s in SPLITS] + ["SOURCES.md"]}


# ============================================================================================
# Evaluation sets
# ============================================================================================


def ood_dev_sets(split: str = "dev", languages: Iterable[str] | None = None, path: str | Path | None = None) -> dict[str, list[ParallelPair]]:
    """The shipped out-of-domain pairs of ``split``, grouped by family (in :data:`FAMILIES` order).

    ``languages``: keep only these (default: all; :data:`~lira.languages.CORE_LANGUAGES` are
    the seven every family covers). ``path``: another build's folder.
    """
    pairs = load_pairs(Path(path) if path is not None else resources_dir() / "gettext", split=split, languages=languages)
    grouped: dict[str, list[ParallelPair]] = {f: [] for f in FAMILIES}
    for p in pairs:
        grouped[source_family(p)].append(p)
    return {f: v for f, v in grouped.items() if v}


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:2] == ["verify"]:
        res = verify_gettext()
        print(json.dumps(res, indent=1))
        sys.exit(0 if all(res.values()) else 1)
    build_gettext()
