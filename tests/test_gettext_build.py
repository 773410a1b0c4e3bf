"""The gettext (out-of-domain) builder on tiny .mo files written here: no apt, no dpkg."""

from __future__ import annotations

import gettext
import gzip
import io
import json
import struct
from collections import Counter
from pathlib import Path

import pytest

from lira.data import gettext_build as gb
from lira.data.gettext_build import (
    Catalog,
    MoFormatError,
    build_from_catalogs,
    catalog_pairs,
    is_reserved_domain,
    locale_language,
    normalize_gettext,
    parse_mo,
    read_catalogs,
    read_manifest,
    source_family,
)
from lira.data.pairs import ParallelPair, load_pairs
from lira.data.parallel_build import SPLITS, split_of

# ------------------------------------------------------------------------------------------
# A minimal .mo writer (what msgfmt writes, without the optional hash table)
# ------------------------------------------------------------------------------------------

HEADER = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"


def write_mo(messages: dict[str, str], *, header: str = HEADER, big_endian: bool = False, charset: str = "utf-8") -> bytes:
    """``{key: translation}`` as .mo bytes; keys ``ctx\\x04id`` / ``id\\x00plural``, forms ``\\x00``-joined."""
    items = sorted({"": header, **messages}.items(), key=lambda kv: kv[0].encode(charset))
    order = ">" if big_endian else "<"
    keys = [k.encode(charset) for k, _ in items]
    values = [v.encode(charset) for _, v in items]
    n = len(items)
    orig_at, trans_at = 28, 28 + 8 * n
    at = trans_at + 8 * n
    tables, blob = [b"", b""], b""
    for t, strings in enumerate((keys, values)):
        for s in strings:
            tables[t] += struct.pack(order + "2I", len(s), at + len(blob))
            blob += s + b"\x00"
    head = struct.pack(order + "7I", 0x950412DE, 0, n, orig_at, trans_at, 0, at)
    return head + tables[0] + tables[1] + blob


def _catalog(messages: dict[str, str], *, lang: str = "th", locale: str | None = None, family: str = "mate", package: str = "caja-common", domain: str = "caja") -> Catalog:
    return Catalog(family, package, "1.0-1", locale or lang, lang, domain, write_mo(messages))


# ------------------------------------------------------------------------------------------
# .mo parsing
# ------------------------------------------------------------------------------------------


def test_writer_matches_stdlib_and_parse_mo_reads_it():
    data = write_mo({"Open the file": "เปิดแฟ้ม", "menu\x04Open the file": "เปิด", "One file\x00Many files": "หนึ่ง\x00หลายแฟ้ม"})
    t = gettext.GNUTranslations(io.BytesIO(data))
    assert t.gettext("Open the file") == "เปิดแฟ้ม"
    assert t.pgettext("menu", "Open the file") == "เปิด"
    assert t.ngettext("One file", "Many files", 5) == "หลายแฟ้ม"

    entries = {(e.context, e.msgid): e for e in parse_mo(data)}
    assert set(entries) == {(None, "Open the file"), ("menu", "Open the file"), (None, "One file")}  # no header
    plural = entries[(None, "One file")]
    assert plural.msgid_plural == "Many files" and plural.forms == ("หนึ่ง", "หลายแฟ้ม")
    assert entries[("menu", "Open the file")].forms == ("เปิด",)


def test_parse_mo_big_endian_other_charset_and_broken_plural_header():
    # A broken Plural-Forms formula (as in one tasksel catalog) does not matter to parse_mo.
    header = "Content-Type: text/plain; charset=ISO-8859-1\nPlural-Forms: nplurals=2; plural=n>1>;\n"
    data = write_mo({"Delete the file": "Supprimer le fichier é"}, header=header, big_endian=True, charset="latin-1")
    with pytest.raises(Exception):
        gettext.GNUTranslations(io.BytesIO(data))
    [entry] = parse_mo(data)
    assert entry.forms == ("Supprimer le fichier é",)


def test_parse_mo_rejects_non_mo():
    with pytest.raises(MoFormatError, match="magic"):
        parse_mo(b"\x00" * 40)
    with pytest.raises(MoFormatError, match="short"):
        parse_mo(b"\xde\x12\x04\x95")
    truncated = write_mo({"Open the file": "x"})[:40]
    with pytest.raises(MoFormatError, match="past the end"):
        parse_mo(truncated)


# ------------------------------------------------------------------------------------------
# Normalisation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("_Open the file", "Open the file"),
        ("E_xit the program", "Exit the program"),
        ("Save _As…", "Save As…"),
        ("เปิดแฟ้ม (_O)", "เปิดแฟ้ม"),
        ("ファイルを開く(_O)", "ファイルを開く"),
        ("&Open the file", "Open the file"),
        ("Copy %s to %d places", "Copy to places"),
        ("Copy %1$s to %2$s", "Copy to"),
        ("%(count)d files in %(folder)s", "files in"),
        ("Move {0} to {name}", "Move to"),
        ("Copied %'d files", "Copied files"),
        ("<b>Name:</b> %s", "Name:"),
        ('<span weight="bold" font_desc="Sans">_Delete</span> all files', "Delete all files"),
        ("First line\nsecond line", "First line second line"),
        ("Tom &amp; Jerry are here", "Tom & Jerry are here"),
        ("keep file_name and other_name", "keep file_name and other_name"),  # not a mnemonic
        ("Use double __underscores_", "Use double _underscores_"),
        ("50% done", "50% done"),
        ("Database `%s' selected", "Database selected"),
        ('Failed to rename "%s" to "%s".', "Failed to rename to."),
        ("%s, feels like %s", "feels like"),
        ("field name `%.*s' must be followed by colon", "field name must be followed by colon"),
        ("cannot open file: %m", "cannot open file:"),
        ("Approximately %s of power (%%)", "Approximately of power (%)"),
        ("Keyboard _model:", "Keyboard model:"),
        ("চাবি ফলকৰ মডেল (_):", "চাবি ফলকৰ মডেল:"),
    ],
)
def test_normalize_gettext(raw, expected):
    assert normalize_gettext(raw) == expected


# ------------------------------------------------------------------------------------------
# Catalog -> pairs
# ------------------------------------------------------------------------------------------


def test_catalog_pairs_plural_context_and_filters():
    cat = _catalog(
        {
            "_Open the file": "_เปิดแฟ้ม",
            "menu\x04Close the window": "ปิดหน้าต่าง",
            "%d file was deleted\x00%d files were deleted": "ลบแฟ้ม %d แฟ้มแล้ว",  # th: one form
            "Not yet translated": "",
            "Files;Folders;Manager;": "แฟ้ม;โฟลเดอร์;",
            "Show the show_hidden key": "แสดงคีย์ show_hidden",
            "Quit": "ออก",  # one word
            "Already English text": "Already English text",
            "%a, %b %d at %-I:%M %p": "%a %d %b เวลา %H:%M",
            "Ignore presses within @delay milliseconds": "ละเว้นการกดภายใน @delay มิลลิวินาที",
            "Error reading @d @i %i": "เกิดข้อผิดพลาดในการอ่าน @d @i %i",
        }
    )
    stats = Counter()
    pairs = catalog_pairs(cat, stats)
    got = {p.en: p for p in pairs}
    assert set(got) == {"Open the file", "Close the window", "files were deleted"}
    assert got["Open the file"].text == "เปิดแฟ้ม"
    assert got["files were deleted"].text == "ลบแฟ้ม แฟ้มแล้ว"  # English: msgid_plural
    assert got["Close the window"].source == "mate/caja-common 1.0-1:th/caja.mo#menu|Close the window"
    assert stats["entries"] == 11 and stats["drop:template"] == 3
    assert stats["drop:untranslated"] == 1 and stats["drop:keywords"] == 1 and stats["drop:identifier"] == 1
    assert stats["drop:short"] == 1 and stats["drop:identical"] == 1
    assert {source_family(p) for p in pairs} == {"mate"}


def test_plural_translation_is_last_form():
    cat = _catalog({"One file selected\x00Many files selected": "Napiling file\x00Napiling mga file"}, lang="fil", locale="tl")
    [pair] = catalog_pairs(cat)
    assert (pair.en, pair.text, pair.lang) == ("Many files selected", "Napiling mga file", "fil")
    assert pair.source.startswith("mate/caja-common 1.0-1:tl/caja.mo#One file selected")


def test_source_key_is_truncated():
    long_en = "Remove the selected items from the list of recent documents and also from the trash now"
    [pair] = catalog_pairs(_catalog({long_en: "Gỡ bỏ các mục đã chọn khỏi danh sách tài liệu gần đây và cả thùng rác ngay"}, lang="vi"))
    key = pair.source.split("#", 1)[1]
    assert len(key) == gb.SOURCE_KEY_CHARS and key.endswith("…")


def test_source_family():
    assert source_family(ParallelPair("a b", "c d", "th", "xfce/thunar-data 4.18:th/thunar.mo#a b")) == "xfce"
    with pytest.raises(ValueError, match="no gettext family"):
        source_family(ParallelPair("a b", "c d", "th", "firefox-esr-l10n-th 115:x.ftl#k"))


# ------------------------------------------------------------------------------------------
# Locales and reserved catalogs
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "locale, lang",
    [("th", "th"), ("tl", "fil"), ("fil", "fil"), ("bn_IN", "bn"), ("bn_BD", "bn"), ("ur_PK", "ur"), ("ms", "ms"), ("id", "id"), ("vi", "vi"), ("pa_PK", None), ("sr@latin", None), ("en_GB", None), ("de", None), ("zh_CN", None)],
)
def test_locale_language(locale, lang):
    assert locale_language(locale) == lang


@pytest.mark.parametrize("domain", ["glib20", "gtk20", "gtk30", "gtk40", "gtk30-properties", "gtk20-properties", "gimp20", "gimp20-std-plug-ins", "coreutils", "util-linux"])
def test_reserved_domains(domain):
    assert is_reserved_domain(domain)
    with pytest.raises(ValueError, match="reserved"):
        catalog_pairs(_catalog({"Open the file": "เปิดแฟ้ม"}, domain=domain))


@pytest.mark.parametrize("domain", ["caja", "apt", "xfce4-panel", "libxfce4ui", "gtksourceview", "cinnamon"])
def test_ordinary_domains_are_not_reserved(domain):
    assert not is_reserved_domain(domain)


def test_read_catalogs_never_opens_reserved_files(tmp_path):
    root = tmp_path / "pkg"
    for locale, domain, data in [
        ("th", "caja", write_mo({"Open the file": "เปิดแฟ้ม"})),
        ("bn_IN", "caja", write_mo({"Open the file": "ফাইল খুলুন"})),
        ("de", "caja", write_mo({"Open the file": "Datei öffnen"})),
        ("th", "gtk30", b"not a catalog: reading this would raise"),
        ("vi", "coreutils", b"not a catalog either"),
    ]:
        folder = root / "usr/share/locale" / locale / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{domain}.mo").write_bytes(data)
    catalogs, reserved = read_catalogs(root, "mate", "caja-common", "1.0-1")
    assert [(c.locale, c.lang, c.domain) for c in catalogs] == [("bn_IN", "bn", "caja"), ("th", "th", "caja")]
    assert reserved == ["caja-common:th/gtk30.mo", "caja-common:vi/coreutils.mo"]
    only_th, _ = read_catalogs(root, "mate", "caja-common", "1.0-1", languages=["th"])
    assert [c.lang for c in only_th] == ["th"]
    counts = build_from_catalogs(catalogs, tmp_path / "out", reserved_skipped=reserved)
    assert sum(counts["mate"]["bn"].values()) == 1
    assert read_manifest(tmp_path / "out")["reserved_skipped"] == reserved


def test_package_licence_from_dep5_and_by_hand(tmp_path):
    doc = tmp_path / "usr/share/doc/caja-common"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files: *\nCopyright: someone\nLicense: LGPL-2+\n\n"
        "Files: caja.pot\n po/*.po\nCopyright: MATE\nLicense: GPL-2+\n",
        encoding="utf-8",
    )
    assert gb.package_licence(tmp_path, "caja-common") == "GPL-2+"
    (doc / "copyright").write_text("Files: *\nLicense: GPL-2\n", encoding="utf-8")
    assert gb.package_licence(tmp_path, "caja-common") == "GPL-2"
    assert gb.package_licence(tmp_path, "debconf-i18n") == "BSD-2-clause"
    (doc / "copyright").write_text("This package was debianized by someone.\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="no licence"):
        gb.package_licence(tmp_path, "caja-common")


# ------------------------------------------------------------------------------------------
# Build: splits, de-duplication, determinism, loading
# ------------------------------------------------------------------------------------------

ENGLISH = [
    "Open the selected file",
    "Close the current window",
    "Delete all selected items",
    "Show hidden files and folders",
    "Empty the trash now",
    "Rename the selected folder",
    "Create a new document",
    "Print the current page",
    "Search for files by name",
    "Connect to a remote server",
    "Change the desktop background",
    "Lock the screen now",
]


def _catalogs() -> list[Catalog]:
    vi = {en: f"Bản dịch số {i} của câu" for i, en in enumerate(ENGLISH)}
    th = {en: f"คำแปลที่ {i} ของประโยคนี้" for i, en in enumerate(ENGLISH)}
    return [
        _catalog(vi, lang="vi", family="mate", package="caja-common"),
        # The same English in another MATE package, translated differently in one case.
        _catalog({ENGLISH[0]: "Một bản dịch khác hẳn", ENGLISH[1]: vi[ENGLISH[1]]}, lang="vi", family="mate", package="pluma-common", domain="pluma"),
        _catalog(th, lang="th", family="xfce", package="thunar-data", domain="thunar"),
        _catalog(vi, lang="vi", family="debian", package="apt", domain="apt"),
    ]


def _rows(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_build_is_deterministic_and_split_like_firefox(tmp_path):
    cats = _catalogs()
    counts = build_from_catalogs(cats, tmp_path / "a")
    build_from_catalogs(list(reversed(cats)), tmp_path / "b")
    for name in ("train.jsonl.gz", "dev.jsonl.gz", "test.jsonl.gz", "SOURCES.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name

    # Per family: one pair per English sentence and language (MATE's duplicate merged).
    assert {f: {lang: sum(c.values()) for lang, c in by.items()} for f, by in counts.items()} == {
        "debian": {"vi": 12},
        "mate": {"vi": 12},
        "xfce": {"th": 12},
    }
    seen: dict[str, set[str]] = {}
    for split in SPLITS:
        rows = _rows(tmp_path / "a" / f"{split}.jsonl.gz")
        assert rows == sorted(rows, key=lambda r: (r["lang"], r["en"], r["text"], r["source"]))
        for r in rows:
            assert split_of(r["en"]) == split  # the Firefox builder's split, for every family
            seen.setdefault(r["en"], set()).add(split)
        assert len(load_pairs(tmp_path / "a", split=split)) == len(rows)
    assert all(len(s) == 1 for s in seen.values())
    # The most frequent translation wins: ENGLISH[0] has caja's translation in MATE.
    mate_vi = [p for s in SPLITS for p in load_pairs(tmp_path / "a", split=s) if source_family(p) == "mate" and p.en == ENGLISH[0]]
    assert [p.text for p in mate_vi] == ["Bản dịch số 0 của câu"]

    manifest = read_manifest(tmp_path / "a")
    assert manifest["counts"] == counts
    assert manifest["languages"] == ["th", "vi"]
    text = (tmp_path / "a" / "SOURCES.md").read_text(encoding="utf-8")
    assert "Reserved catalogs are never read" in text and "| xfce | th (Thai) |" in text


def test_ood_dev_sets_groups_by_family(tmp_path):
    build_from_catalogs(_catalogs(), tmp_path)
    total = {s: len(load_pairs(tmp_path, split=s)) for s in SPLITS}
    for split in SPLITS:
        sets = gb.ood_dev_sets(split, path=tmp_path)
        assert list(sets) == [f for f in gb.FAMILIES if f in sets]  # FAMILIES order
        assert sum(len(v) for v in sets.values()) == total[split]
        for family, pairs in sets.items():
            assert {source_family(p) for p in pairs} == {family}
    only_th = gb.ood_dev_sets("train", languages=["th"], path=tmp_path)
    assert set(only_th) == {"xfce"}


# ------------------------------------------------------------------------------------------
# The shipped data matches its manifest (offline check of the recorded sha256 sums)
# ------------------------------------------------------------------------------------------


def test_shipped_files_match_sources_md():
    import hashlib

    from lira.paths import resources_dir

    out = resources_dir() / "gettext"
    if not (out / "SOURCES.md").exists():
        pytest.skip("gettext data not built")
    manifest = read_manifest(out)
    assert set(manifest["languages"]) >= {"th", "vi", "id", "ms", "fil", "ur", "bn"}
    assert set(manifest["counts"]) == set(gb.FAMILIES)
    for split in SPLITS:
        path = out / f"{split}.jsonl.gz"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest["files"][path.name]["sha256"]
    for family, pairs in gb.ood_dev_sets("dev").items():
        assert pairs and all(source_family(p) == family for p in pairs)
        assert all(not is_reserved_domain(p.source.split(".mo#")[0].rsplit("/", 1)[1]) for p in pairs)


def test_cli_data_gettext_forwards_options(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from lira.cli import app

    calls = []
    monkeypatch.setattr(gb, "build_gettext", lambda out=None, **kw: calls.append((out, kw)))
    result = CliRunner().invoke(app, ["data", "gettext", "--out", str(tmp_path), "--lang", "th", "--lang", "tl"])
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path, {"languages": ["th", "tl"]})]
    CliRunner().invoke(app, ["data", "gettext"])
    assert calls[-1] == (None, {"languages": None})
