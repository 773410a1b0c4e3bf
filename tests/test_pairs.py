"""Loading sentence pairs (lira.data.pairs): strict validation, round trips, shipped data."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from lira.data.pairs import (
    PairFileError,
    ParallelPair,
    default_pairs_path,
    load_pairs,
    pairs_to_dataset,
    save_pairs_jsonl,
    save_pairs_tsv,
)
from lira.languages import CORE_LANGUAGES, LANGUAGES

PAIRS = [
    ParallelPair("Open a new window", "เปิดหน้าต่างใหม่", "th", "fixture:1"),
    ParallelPair("Open a new window", "Mở cửa sổ mới", "vi", "fixture:2"),
    ParallelPair("Restart now", "Simulan muli ngayon", "fil", "fixture:3"),
    ParallelPair("Save the page", "صفحہ محفوظ کریں", "ur", "fixture:4"),
]


def write(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def raises_at(path, line: int | None, field: str | None = None, match: str | None = None, **kw) -> PairFileError:
    with pytest.raises(PairFileError) as info:
        load_pairs(path, **kw)
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert err.field == field
    msg = str(err)
    assert str(path.name) in msg
    if line is not None:
        assert f"line {line}" in msg
    if field is not None:
        assert repr(field) in msg
    if match is not None:
        assert re.search(match, msg), msg
    assert isinstance(err, ValueError)
    return err


# --- TSV -------------------------------------------------------------------------------------


def test_tsv_three_columns_with_header(tmp_path):
    p = write(tmp_path / "p.tsv", "en\ttext\tlang\nOpen file\tเปิดไฟล์\tth\nSave it\tLưu nó\tVI\n")
    pairs = load_pairs(p)
    assert pairs == [
        ParallelPair("Open file", "เปิดไฟล์", "th", "p.tsv:2"),
        ParallelPair("Save it", "Lưu nó", "vi", "p.tsv:3"),
    ]


def test_tsv_without_header_aliases_and_crlf(tmp_path):
    p = write(tmp_path / "p.tsv", "Open file\tBuksan ang file\ttl\r\nSave it\tSimpan\tms\r\n\r\n")
    pairs = load_pairs(p)
    assert [(x.lang, x.source) for x in pairs] == [("fil", "p.tsv:1"), ("ms", "p.tsv:2")]


def test_blank_line_between_rows_is_an_error_but_trailing_blank_lines_are_not(tmp_path):
    p = write(tmp_path / "p.tsv", "Open file\tBuksan ang file\ttl\n\nSave it\tSimpan\tms\n")
    raises_at(p, 2, None, match="empty line")
    pairs, errors = load_pairs(p, on_error="collect")
    assert len(pairs) == 2 and [e.line for e in errors] == [2]
    q = write(tmp_path / "q.jsonl", '{"en": "a b", "text": "c", "lang": "vi"}\n\n\n')
    assert len(load_pairs(q)) == 1


def test_tsv_two_columns_with_lang_argument(tmp_path):
    p = write(tmp_path / "p.tsv", "en\ttext\nOpen file\tفائل کھولیں\n")
    assert load_pairs(p, lang="ur") == [ParallelPair("Open file", "فائل کھولیں", "ur", "p.tsv:2")]
    raises_at(p, 2, "lang", match="missing column 'lang'")


def test_tsv_values_are_stripped_and_nfc(tmp_path):
    p = write(tmp_path / "p.tsv", "  Vietnam  \tVie\u0323\u0302t Nam \tvi\n")
    assert load_pairs(p)[0] == ParallelPair("Vietnam", "Việt Nam", "vi", "p.tsv:1")


def test_tsv_missing_column(tmp_path):
    p = write(tmp_path / "p.tsv", "A b\tก ข\tth\nonly english here\n")
    raises_at(p, 2, "text", match="missing column 'text'")


def test_tsv_extra_column(tmp_path):
    p = write(tmp_path / "p.tsv", "A b\tก ข\tth\textra\n")
    raises_at(p, 1, None, match="found 4")


def test_tsv_empty_field(tmp_path):
    p = write(tmp_path / "p.tsv", "en\ttext\tlang\nA b\tก ข\tth\nA b\t  \tth\n")
    raises_at(p, 3, "text", match="empty field")
    p = write(tmp_path / "q.tsv", "A b\tก ข\t\n")
    raises_at(p, 1, "lang", match="empty field")


def test_tsv_overlong_line(tmp_path):
    p = write(tmp_path / "p.tsv", "A b\tก ข\tth\n" + "x" * 60 + "\tก\tth\n")
    raises_at(p, 2, None, match="more than max_chars=50", max_chars=50)
    assert len(load_pairs(p, max_chars=1000)) == 2
    raises_at(write(tmp_path / "long.tsv", "a" * 1001 + "\tb\tth\n"), 1, None, match="max_chars=1000")


def test_invalid_utf8_reports_its_line(tmp_path):
    data = "A b\tก ข\tth\nC d\tค ง\tth\n".encode() + b"Bad \xff\xfe bytes\tx\tth\n" + "E f\tจ\tth\n".encode()
    p = write(tmp_path / "p.tsv", data)
    raises_at(p, 3, None, match="invalid UTF-8.*byte 5")
    q = write(tmp_path / "p.jsonl", b'{"en": "a b", "text": "c", "lang": "vi"}\n{"en": "\xc3(", "text": "x", "lang": "vi"}\n')
    raises_at(q, 2, None, match="invalid UTF-8")


def test_unknown_language(tmp_path):
    p = write(tmp_path / "p.tsv", "A b\tก ข\tth\nA b\tx y\txx\n")
    raises_at(p, 2, "lang", match="unknown language code 'xx'")


def test_lang_argument_must_agree(tmp_path):
    p = write(tmp_path / "p.tsv", "A b\tก ข\tth\n")
    raises_at(p, 1, "lang", match="differs", lang="vi")
    assert load_pairs(p, lang="th")[0].lang == "th"


def test_byte_order_mark_is_ignored(tmp_path):
    p = write(tmp_path / "p.tsv", "\ufeffen\ttext\tlang\nA b\tก ข\tth\n")
    assert len(load_pairs(p)) == 1


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_rows_and_optional_keys(tmp_path):
    lines = [
        {"en": "Open file", "text": "Buka berkas", "lang": "id", "source": "mine#1", "extra": 3},
        {"en": "Save it", "text": "Simpan", "lang": "ms"},
    ]
    p = write(tmp_path / "p.jsonl", "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    assert load_pairs(p) == [
        ParallelPair("Open file", "Buka berkas", "id", "mine#1"),
        ParallelPair("Save it", "Simpan", "ms", "p.jsonl:2"),
    ]


def test_jsonl_malformed_json(tmp_path):
    p = write(tmp_path / "p.jsonl", '{"en": "a b", "text": "c", "lang": "vi"}\n{"en": "a b", "text": \n')
    raises_at(p, 2, None, match="malformed JSON")
    p = write(tmp_path / "q.jsonl", '["en", "text"]\n')
    raises_at(p, 1, None, match="expected a JSON object")


def test_jsonl_missing_key_empty_and_wrong_type(tmp_path):
    p = write(tmp_path / "a.jsonl", '{"en": "a b", "text": "c", "lang": "vi"}\n{"en": "a b", "lang": "vi"}\n')
    raises_at(p, 2, "text", match="missing key 'text'")
    p = write(tmp_path / "b.jsonl", '{"en": "", "text": "c", "lang": "vi"}\n')
    raises_at(p, 1, "en", match="empty field")
    p = write(tmp_path / "c.jsonl", '{"en": "a", "text": 5, "lang": "vi"}\n')
    raises_at(p, 1, "text", match="expected a string")
    p = write(tmp_path / "d.jsonl", '{"en": "a", "text": "b"}\n')
    raises_at(p, 1, "lang", match="missing key 'lang'")
    assert load_pairs(p, lang="vi")[0].lang == "vi"
    p = write(tmp_path / "e.jsonl", '{"en": "a", "text": "b", "lang": "qq"}\n')
    raises_at(p, 1, "lang", match="unknown language")


def test_jsonl_overlong_field(tmp_path):
    p = write(tmp_path / "p.jsonl", json.dumps({"en": "a b", "text": "x" * 20, "lang": "vi"}) + "\n")
    raises_at(p, 1, "text", match="more than max_chars=10", max_chars=10)


def test_jsonl_gz_and_bad_gzip(tmp_path):
    p = tmp_path / "p.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"en": "a b", "text": "c d", "lang": "th"}\n{"en": "a b"}\n'))
    raises_at(p, 2, "text")
    bad = write(tmp_path / "bad.jsonl.gz", b"not gzip at all")
    raises_at(bad, None, None, match="not a valid gzip")


def test_unsupported_extension_and_missing_file(tmp_path):
    raises_at(write(tmp_path / "p.csv", "a,b,c\n"), None, None, match="unsupported file type")
    with pytest.raises(FileNotFoundError):
        load_pairs(tmp_path / "nope.tsv")


def test_collect_returns_good_rows_and_every_error(tmp_path):
    data = "A b\tก ข\tth\nbroken\nC d\tค ง\tzz\n".encode() + b"\xff\tx\tth\n" + "E f\tจ ฉ\tth\n".encode()
    p = write(tmp_path / "p.tsv", data)
    pairs, errors = load_pairs(p, on_error="collect")
    assert [x.en for x in pairs] == ["A b", "E f"]
    assert [(e.line, e.field) for e in errors] == [(2, "text"), (3, "lang"), (4, None)]
    assert all(isinstance(e, PairFileError) for e in errors)
    with pytest.raises(ValueError):
        load_pairs(p, on_error="ignore")


def test_languages_filter(tmp_path):
    p = save_pairs_jsonl(PAIRS, tmp_path / "p.jsonl")
    assert [x.lang for x in load_pairs(p, languages=["tl", "th"])] == ["th", "fil"]
    with pytest.raises(ValueError, match="unknown language"):
        load_pairs(p, languages=["zz"])


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["p.jsonl", "p.jsonl.gz"])
def test_jsonl_round_trip(tmp_path, name):
    path = save_pairs_jsonl(PAIRS, tmp_path / name)
    assert load_pairs(path) == PAIRS
    if name.endswith(".gz"):
        raw = path.read_bytes()
        assert raw[4:8] == b"\x00\x00\x00\x00"
        save_pairs_jsonl(PAIRS, tmp_path / "again.jsonl.gz")
        assert (tmp_path / "again.jsonl.gz").read_bytes() == raw


def test_tsv_round_trip(tmp_path):
    path = save_pairs_tsv(PAIRS, tmp_path / "p.tsv")
    back = load_pairs(path)
    assert [(p.en, p.text, p.lang) for p in back] == [(p.en, p.text, p.lang) for p in PAIRS]
    with pytest.raises(ValueError):
        save_pairs_tsv([ParallelPair("a\tb", "c", "th")], tmp_path / "x.tsv")


def test_directory_loads_split(tmp_path):
    save_pairs_jsonl(PAIRS[:1], tmp_path / "dev.jsonl.gz")
    save_pairs_tsv(PAIRS[1:], tmp_path / "test.tsv")
    assert load_pairs(tmp_path, split="dev") == PAIRS[:1]
    assert len(load_pairs(tmp_path, split="test")) == 3
    with pytest.raises(FileNotFoundError):
        load_pairs(tmp_path, split="train")


def test_pairs_to_dataset():
    ds = pairs_to_dataset(PAIRS)
    assert ds.num_rows == 4 and ds.column_names == ["en", "text", "lang", "source"]
    assert ds[0] == {"en": "Open a new window", "text": "เปิดหน้าต่างใหม่", "lang": "th", "source": "fixture:1"}
    assert pairs_to_dataset([]).num_rows == 0


# --- the shipped default -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return {split: load_pairs(split=split) for split in ("train", "dev", "test")}


def test_shipped_default_loads_with_enough_pairs(shipped):
    assert default_pairs_path("test").name == "test.jsonl.gz"
    for lang in CORE_LANGUAGES:
        train = sum(p.lang == lang for p in shipped["train"])
        test = sum(p.lang == lang for p in shipped["test"])
        dev = sum(p.lang == lang for p in shipped["dev"])
        assert train >= 1000, (lang, train)
        assert test >= 200, (lang, test)
        assert dev >= 100, (lang, dev)
    assert len(shipped["test"]) >= 500


def test_shipped_rows_are_clean(shipped):
    source = re.compile(r"^firefox-esr-l10n-[a-z-]+ \S+:\S+#\S+$")
    for split, pairs in shipped.items():
        for p in pairs:
            assert p.lang in LANGUAGES and p.lang != "en"
            assert p.en and p.text and p.en != p.text
            assert len(p.en) <= 300 and len(p.text) <= 300
            assert source.match(p.source), p.source
            assert "{" not in p.en and "%S" not in p.en and "  " not in p.en
        # One translation per (English, language) within a split.
        keys = [(p.lang, p.en) for p in pairs]
        assert len(keys) == len(set(keys)), split


def test_no_english_sentence_crosses_splits(shipped):
    from lira.data.parallel_build import split_key

    seen = {split: {split_key(p.en) for p in pairs} for split, pairs in shipped.items()}
    assert not seen["train"] & seen["test"]
    assert not seen["train"] & seen["dev"]
    assert not seen["dev"] & seen["test"]
    exact = {split: {p.en for p in pairs} for split, pairs in shipped.items()}
    assert not exact["train"] & exact["test"]


def test_shipped_language_filter(shipped):
    ur = load_pairs(split="test", languages=["ur"])
    assert ur and all(p.lang == "ur" for p in ur)
    assert len(ur) == sum(p.lang == "ur" for p in shipped["test"])
    assert load_pairs(split="dev", languages=["tl"]) == [p for p in shipped["dev"] if p.lang == "fil"]
