"""The Firefox-localisation builder on small inline fixtures: no network, no .deb files."""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from lira.data import parallel_build as pb
from lira.data.pairs import load_pairs
from lira.data.parallel_build import (
    LocaleFiles,
    build_from_locales,
    filter_reason,
    parse_ftl,
    parse_properties,
    read_manifest,
    relative_key,
    split_key,
    split_of,
)
from lira.paths import resources_dir

# ------------------------------------------------------------------------------------------
# Fluent entry parser
# ------------------------------------------------------------------------------------------

FTL = """\
# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0.

### Resource comment

## Group comment

-brand-short-name = Firefox
    .gender = masculine
simple = Open a new window
multi =
    First line of text
    continues here

    after a blank line
inline-then-block = Starts here
    and goes on
with-attrs = Value text
    .label = Label text
    .tooltiptext = Tooltip { -brand-short-name }
    .accesskey = V
attrs-only =
    .title = Only a title
select-col0 = { $count ->
    [one] One item
   *[other] Many items
}
indented-select =
    { $n ->
        [one] Close { $n } tab
       *[other] Close all tabs
    }
junk line at column zero
after-junk = Still parsed
bad-placeable = Broken { $var
empty-value =
dotted-text = Text
    .attr = with attribute
"""


def test_parse_ftl_messages_terms_attributes():
    res = parse_ftl(FTL)
    assert res.terms == {"brand-short-name": "Firefox", "brand-short-name.gender": "masculine"}
    m = res.messages
    assert m["simple"] == "Open a new window"
    assert m["multi"] == "First line of text\ncontinues here\n\nafter a blank line"
    assert m["inline-then-block"] == "Starts here\nand goes on"
    assert m["with-attrs"] == "Value text"
    assert m["with-attrs.label"] == "Label text"
    assert m["with-attrs.tooltiptext"] == "Tooltip { -brand-short-name }"
    assert m["with-attrs.accesskey"] == "V"
    assert "attrs-only" not in m and m["attrs-only.title"] == "Only a title"
    assert m["select-col0"].startswith("{ $count ->") and m["select-col0"].endswith("}")
    assert m["after-junk"] == "Still parsed"
    assert m["dotted-text"] == "Text" and m["dotted-text.attr"] == "with attribute"
    # Junk: the column-0 text line, the unterminated placeable, the entry with no value.
    assert "bad-placeable" not in m and "empty-value" not in m
    assert res.junk == 3


def test_parse_ftl_crlf_and_bom():
    res = parse_ftl("\ufeffa = One\r\n    two\r\nb = Three\r\n")
    assert res.messages == {"a": "One\ntwo", "b": "Three"}


def test_parse_ftl_resolves_like_fluent():
    from lira.data.normalize import collapse_whitespace, resolve_fluent_pattern

    res = parse_ftl(FTL)
    flat = {k: collapse_whitespace(resolve_fluent_pattern(v, res.terms)) for k, v in res.messages.items()}
    assert flat["select-col0"] == "Many items"
    assert flat["indented-select"] == "Close all tabs"
    assert flat["with-attrs.tooltiptext"] == "Tooltip Firefox"
    assert flat["multi"] == "First line of text continues here after a blank line"


# ------------------------------------------------------------------------------------------
# .properties parser
# ------------------------------------------------------------------------------------------

PROPERTIES = r"""# comment line
! another comment
plain=Plain value
spaced = Spaced value  
colon: Colon value
whitespace-sep Whitespace separated
continued=First part \
    second part
escapes=Tab\there\nnewline \u00e9 \\ backslash
key\ with\ space=escaped key
empty=
dup=first
dup=second
  indented = Indented key
"""


def test_parse_properties():
    p = parse_properties(PROPERTIES)
    assert p["plain"] == "Plain value"
    assert p["spaced"] == "Spaced value  "
    assert p["colon"] == "Colon value"
    assert p["whitespace-sep"] == "Whitespace separated"
    assert p["continued"] == "First part second part"
    assert p["escapes"] == "Tab\there\nnewline é \\ backslash"
    assert p["key with space"] == "escaped key"
    assert p["empty"] == ""
    assert p["dup"] == "second"
    assert p["indented"] == "Indented key"
    assert "comment" not in " ".join(p)


# ------------------------------------------------------------------------------------------
# Paths, filters, split
# ------------------------------------------------------------------------------------------


def test_relative_key():
    assert relative_key("browser/localization/ur/browser/a.ftl", "ur") == "browser/localization/{L}/browser/a.ftl"
    assert relative_key("localization/en-US/toolkit/b.ftl", "en-US") == "localization/{L}/toolkit/b.ftl"
    assert relative_key("chrome/id/locale/id/global/c.properties", "id") == "chrome/{L}/locale/{L}/global/c.properties"
    assert relative_key("browser/chrome/ne-NP/locale/browser/d.properties", "ne-NP") == "browser/chrome/{L}/locale/browser/d.properties"
    # A folder named like the locale elsewhere in the path is left alone.
    assert relative_key("localization/my/toolkit/my/e.ftl", "my") == "localization/{L}/toolkit/my/e.ftl"
    assert relative_key("localization/th/x.css", "th") is None
    assert relative_key("localization/vi/x.ftl", "th") is None
    assert relative_key("manifest.json", "th") is None


@pytest.mark.parametrize(
    "en,text,lang,reason",
    [
        ("Open a new tab", "เปิดแท็บใหม่", "th", None),
        ("Open a new tab", "Mở thẻ mới", "vi", None),
        ("", "x", "th", "empty"),
        ("Open tab", "", "th", "empty"),
        ("123 456", "๑๒๓", "th", "placeholder-only"),
        ("Bookmarks", "ที่คั่นหน้า", "th", "short"),
        ("Open a new tab", "Open a new tab", "vi", "identical"),
        ("Open a new tab", "open A New Tab", "id", "identical"),
        ("Open a new tab", "Open a new tab now", "th", "untranslated-script"),
        ("Visit https://example.com today", "ไปที่", "th", "code"),
        ("min-width: 30em please", "x y", "vi", "code"),
        ("word " * 70, "คำ " * 70, "th", "long"),
        ("Open a new tab in this window right now", "Mở", "vi", "ratio"),
        ("Open tab", "Mở một thẻ mới trong cửa sổ này ngay bây giờ", "vi", "ratio"),
    ],
)
def test_filter_reason(en, text, lang, reason):
    assert filter_reason(en.strip(), text.strip(), lang) == reason


def test_split_is_by_english_and_stable():
    assert split_key("Open File…") == split_key("open file") == "openfile"
    assert split_of("Open File…") == split_of("open file")
    counts = {s: 0 for s in pb.SPLITS}
    for i in range(5000):
        counts[split_of(f"sentence number {i}")] += 1
    assert 3800 < counts["train"] < 4200 and 350 < counts["dev"] < 650 and 350 < counts["test"] < 650
    assert split_of("Restart Firefox now") == split_of("Restart Firefox now")


# ------------------------------------------------------------------------------------------
# Alignment and the whole build on fixture locales
# ------------------------------------------------------------------------------------------

EN_BRAND = "-brand-short-name = Firefox\n-vendor-short-name = Mozilla\n"
EN_FTL = """\
open-window = Open a new window
restart = Restart { -brand-short-name } now
tabs-close =
    { $count ->
        [one] Close one open tab
       *[other] Close all { $count } open tabs
    }
button =
    .label = Save the current page
    .accesskey = S
    .style = width: 30em
untranslated = This string is not translated
only-english = This string has no translation
search-link = Need help? <a data-l10n-name="url">Visit { -vendor-short-name } support</a>
dup-a = Clear recent history
dup-b = Clear recent history
single = Bookmarks
quickactions-cmd-logins = logins, passwords
"""
EN_PROPS = """\
saveAs=Save %S as a new file
saveAs.accesskey=A
downloads=#1 file downloaded;#1 files downloaded
confirm=&Discard the changes
"""
TH_BRAND = "-brand-short-name = Firefox\n-vendor-short-name = Mozilla\n"
TH_FTL = """\
open-window = เปิดหน้าต่างใหม่
restart = เริ่ม { -brand-short-name } ใหม่ตอนนี้
tabs-close = ปิดแท็บที่เปิดอยู่ทั้งหมด { $count } แท็บ
button =
    .label = บันทึกหน้าปัจจุบัน
    .accesskey = บ
    .style = width: 40em
untranslated = This string is not translated
search-link = ต้องการความช่วยเหลือ? <a data-l10n-name="url">เยี่ยมชมฝ่ายสนับสนุนของ { -vendor-short-name }</a>
dup-a = ล้างประวัติล่าสุด
dup-b = ล้างประวัติล่าสุด
single = ที่คั่นหน้า
quickactions-cmd-logins = การเข้าสู่ระบบ, รหัสผ่าน
broken = { $x
"""
TH_PROPS = """\
saveAs=บันทึก %S เป็นไฟล์ใหม่
saveAs.accesskey=A
downloads=ดาวน์โหลดแล้ว #1 ไฟล์
confirm=ละทิ้งการเปลี่ยนแปลง
"""
VI_FTL = """\
open-window = Mở cửa sổ mới
restart = Khởi động lại { -brand-short-name } ngay
dup-a = Xóa lịch sử gần đây
dup-b = Xóa lịch sử gần đây nhất
"""


def _english() -> LocaleFiles:
    return LocaleFiles(
        "firefox-esr",
        "1.0esr-1",
        "en-US",
        "en",
        {
            "browser/localization/en-US/branding/brand.ftl": EN_BRAND.encode(),
            "browser/localization/en-US/browser/test.ftl": EN_FTL.encode(),
            "chrome/en-US/locale/en-US/global/test.properties": EN_PROPS.encode(),
        },
    )


def _thai() -> LocaleFiles:
    return LocaleFiles(
        "firefox-esr-l10n-th",
        "1.0esr-1",
        "th",
        "th",
        {
            "browser/localization/th/branding/brand.ftl": TH_BRAND.encode(),
            "browser/localization/th/browser/test.ftl": TH_FTL.encode(),
            "chrome/th/locale/th/global/test.properties": TH_PROPS.encode(),
        },
    )


def _vietnamese() -> LocaleFiles:
    return LocaleFiles("firefox-esr-l10n-vi", "1.0esr-1", "vi", "vi", {"browser/localization/vi/browser/test.ftl": VI_FTL.encode()})


def test_align_locale_pairs_and_reasons():
    from collections import Counter

    en_units, _ = pb.extract_units(_english())
    stats: Counter = Counter()
    pairs = pb.align_locale(en_units, _thai(), stats)
    got = {p.source.split("#", 1)[1]: (p.en, p.text) for p in pairs}
    assert got["open-window"] == ("Open a new window", "เปิดหน้าต่างใหม่")
    assert got["restart"] == ("Restart Firefox now", "เริ่ม Firefox ใหม่ตอนนี้")
    assert got["tabs-close"] == ("Close all open tabs", "ปิดแท็บที่เปิดอยู่ทั้งหมด แท็บ")
    assert got["button.label"] == ("Save the current page", "บันทึกหน้าปัจจุบัน")
    assert got["search-link"] == ("Need help? Visit Mozilla support", "ต้องการความช่วยเหลือ? เยี่ยมชมฝ่ายสนับสนุนของ Mozilla")
    assert got["saveAs"] == ("Save as a new file", "บันทึก เป็นไฟล์ใหม่")
    assert got["downloads"] == ("files downloaded", "ดาวน์โหลดแล้ว ไฟล์")
    assert got["confirm"] == ("Discard the changes", "ละทิ้งการเปลี่ยนแปลง")
    # Access keys, styles, keyword lists are never aligned; filtered strings are counted.
    assert not any(k.endswith((".accesskey", ".style")) or k.startswith("quickactions") for k in got)
    assert "untranslated" not in got and "single" not in got
    assert stats["drop:identical"] == 1 and stats["drop:short"] == 1
    assert stats["ftl-junk"] == 1  # "broken"
    src = next(p.source for p in pairs if p.source.endswith("#open-window"))
    assert src == "firefox-esr-l10n-th 1.0esr-1:browser/localization/th/browser/test.ftl#open-window"


def test_deduplicate_keeps_one_translation_per_english():
    from lira.data.pairs import ParallelPair

    pairs = [
        ParallelPair("Clear history", "A", "vi", "s3"),
        ParallelPair("Clear history", "B", "vi", "s1"),
        ParallelPair("Clear history", "A", "vi", "s2"),
        ParallelPair("Clear history", "C", "th", "s9"),
    ]
    out = sorted(pb.deduplicate(pairs), key=lambda p: p.lang)
    assert [(p.lang, p.text, p.source) for p in out] == [("th", "C", "s9"), ("vi", "A", "s2")]
    # A tie goes to the translation whose first source sorts first.
    tie = pb.deduplicate([ParallelPair("x y", "B", "vi", "b"), ParallelPair("x y", "A", "vi", "c")])
    assert [(p.text, p.source) for p in tie] == [("B", "b")]


def _rows(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_build_from_locales_writes_sorted_reproducible_files(tmp_path):
    out1, out2 = tmp_path / "a", tmp_path / "b"
    counts = build_from_locales(_english(), [_vietnamese(), _thai()], out1, deb_sha256={"firefox-esr": "00"})
    build_from_locales(_english(), [_thai(), _vietnamese()], out2, deb_sha256={"firefox-esr": "00"})
    for name in ("train.jsonl.gz", "dev.jsonl.gz", "test.jsonl.gz", "SOURCES.md"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name
    assert set(counts) == {"th", "vi"}
    assert sum(counts["th"].values()) == 9  # 8 strings of test_align_locale + "Clear recent history"
    # vi: "Clear recent history" has two different translations: one is kept.
    assert sum(counts["vi"].values()) == 3

    all_rows = []
    for split in pb.SPLITS:
        raw = (out1 / f"{split}.jsonl.gz").read_bytes()
        assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip mtime = 0
        rows = _rows(out1 / f"{split}.jsonl.gz")
        assert [list(r) for r in rows] == [["en", "text", "lang", "source"]] * len(rows)
        assert rows == sorted(rows, key=lambda r: (r["lang"], r["en"], r["text"], r["source"]))
        for r in rows:
            assert split_of(r["en"]) == split
        all_rows += rows
        assert len(load_pairs(out1 / f"{split}.jsonl.gz")) == len(rows)
    # The same English sentence is in the same split for both languages.
    by_en: dict[str, set[str]] = {}
    for split in pb.SPLITS:
        for r in _rows(out1 / f"{split}.jsonl.gz"):
            by_en.setdefault(r["en"], set()).add(split)
    assert all(len(s) == 1 for s in by_en.values())

    manifest = read_manifest(out1)
    assert manifest["english"] == {"package": "firefox-esr", "version": "1.0esr-1"}
    assert manifest["packages"]["firefox-esr-l10n-th"]["lang"] == "th"
    assert manifest["counts"] == counts
    for split in pb.SPLITS:
        info = manifest["files"][f"{split}.jsonl.gz"]
        assert info["sha256"] == hashlib.sha256((out1 / f"{split}.jsonl.gz").read_bytes()).hexdigest()
        assert info["sha256_uncompressed"] == hashlib.sha256(gzip.decompress((out1 / f"{split}.jsonl.gz").read_bytes())).hexdigest()
    text = (out1 / "SOURCES.md").read_text(encoding="utf-8")
    assert "MPL-2.0" in text and "firefox-esr-l10n-th" in text and "1.0esr-1" in text


def test_read_langpack_and_english_from_zips(tmp_path):
    root = tmp_path / "l10n"
    ext = root / "usr/lib/firefox-esr/browser/extensions"
    ext.mkdir(parents=True)
    with zipfile.ZipFile(ext / "langpack-ne-NP@firefox-esr.mozilla.org.xpi", "w") as z:
        z.writestr("manifest.json", json.dumps({"langpack_id": "ne-NP"}))
        z.writestr("localization/ne-NP/toolkit/a.ftl", "hello = नमस्ते संसार\n")
        z.writestr("localization/ne-NP/toolkit/logo.png", b"\x89PNG")
    loc = pb.read_langpack(root, "firefox-esr-l10n-ne-np", "2.0", "ne")
    assert loc.locale == "ne-NP" and list(loc.files) == ["localization/ne-NP/toolkit/a.ftl"]

    en_root = tmp_path / "en"
    lib = en_root / "usr/lib/firefox-esr"
    (lib / "browser").mkdir(parents=True)
    with zipfile.ZipFile(lib / "omni.ja", "w") as z:
        z.writestr("localization/en-US/toolkit/a.ftl", "hello = Hello world\n")
    with zipfile.ZipFile(lib / "browser" / "omni.ja", "w") as z:
        z.writestr("localization/en-US/browser/b.ftl", "bye = Goodbye world\n")
    en = pb.read_english(en_root, "firefox-esr", "2.0")
    assert sorted(en.files) == ["browser/localization/en-US/browser/b.ftl", "localization/en-US/toolkit/a.ftl"]
    counts = build_from_locales(en, [loc], tmp_path / "out")
    assert sum(counts["ne"].values()) == 1


def test_package_names():
    assert pb.package_for("tl") == "firefox-esr-l10n-tl"
    assert pb.package_for("fil") == "firefox-esr-l10n-tl"
    assert pb.package_for("ne") == "firefox-esr-l10n-ne-np"
    with pytest.raises(ValueError, match="no Firefox ESR langpack"):
        pb.package_for("lo")


# ------------------------------------------------------------------------------------------
# The shipped data matches its manifest (offline check of the recorded sha256 sums)
# ------------------------------------------------------------------------------------------


def test_shipped_files_match_sources_md():
    out = resources_dir() / "parallel"
    manifest = read_manifest(out)
    assert sorted(manifest["languages"]) == sorted(pb.DEFAULT_LANGUAGES)  # every default language shipped, no other
    for split in pb.SPLITS:
        path = out / f"{split}.jsonl.gz"
        info = manifest["files"][path.name]
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"], path
        assert hashlib.sha256(gzip.decompress(data)).hexdigest() == info["sha256_uncompressed"], path
        assert data[4:8] == b"\x00\x00\x00\x00"
    total = sum((out / f"{s}.jsonl.gz").stat().st_size for s in pb.SPLITS) + (out / "SOURCES.md").stat().st_size
    assert total < 15 * 1024 * 1024
