import random
import unicodedata

import pytest

from lira.data.noise import (
    KEYBOARD_NEIGHBOURS,
    NOISE_FUNCTIONS,
    TYPO_KINDS,
    ZERO_WIDTH_CHARS,
    NoiseKind,
    apply_noise,
    code_mix,
    default_noise_kinds,
    delete_chars,
    insert_chars,
    insert_zero_width,
    parse_noise_kinds,
    remove_tones,
    romanize_words,
    substitute_chars,
    swap_chars,
)

VI = "Điện thoại di động giá rẻ"
TH = "ตู้เย็นการ์ดจอราคาถูก"
BN = "ওয়েবে অনুসন্ধান করুন।"
UR = "ایڈ اون انسٹال نہیں ہو سکا۔"
EN = "cheap phone case with free shipping"
WORD_MAP = {"điện thoại": "phone", "điện": "electric", "giá rẻ": "cheap", "ตู้เย็น": "fridge"}


def _strip_zw(text: str) -> str:
    return "".join(ch for ch in text if ch not in ZERO_WIDTH_CHARS)


def _call(kind, text, level, rng, lang):
    if kind is NoiseKind.CODE_MIX:
        return code_mix(text, level, rng, word_map=WORD_MAP, lang=lang)
    return NOISE_FUNCTIONS[kind](text, level, rng, lang=lang)


@pytest.mark.parametrize("kind", list(NoiseKind))
@pytest.mark.parametrize("lang,text", [("vi", VI), ("th", TH), ("bn", BN), ("en", EN)])
def test_level_zero_is_identity_and_same_seed_same_output(kind, lang, text):
    assert _call(kind, text, 0.0, 7, lang) == text
    assert _call(kind, text, 0.6, random.Random(3), lang) == _call(kind, text, 0.6, random.Random(3), lang)


def test_different_seeds_differ_and_level_is_checked():
    outs = {apply_noise(EN * 3, "en", 0.3, seed) for seed in range(5)}
    assert len(outs) > 1
    with pytest.raises(ValueError, match="level"):
        delete_chars("abc", 1.5, 0)
    with pytest.raises(TypeError, match="rng"):
        delete_chars("abc", 0.5, "seed")  # type: ignore[arg-type]


def test_keyboard_neighbours():
    assert KEYBOARD_NEIGHBOURS["s"] == "adewxz"
    assert set(KEYBOARD_NEIGHBOURS["q"]) == {"1", "2", "w", "a"}
    assert "p" not in KEYBOARD_NEIGHBOURS["a"]


def test_insert_adds_a_keyboard_neighbour_after_every_letter_at_level_one():
    out = insert_chars("sd k", 1.0, 0)
    # s, d, k each get one neighbour after them; the space is not eligible.
    assert len(out) == 7 and out[0] == "s" and out[2] == "d" and out[4] == " " and out[5] == "k"
    assert out[1] in KEYBOARD_NEIGHBOURS["s"] and out[3] in KEYBOARD_NEIGHBOURS["d"] and out[6] in KEYBOARD_NEIGHBOURS["k"]
    assert out == "sxdr km"  # the seed fixes which neighbours
    upper = insert_chars("S", 1.0, 0)
    assert upper[1].isupper() and upper[1].lower() in KEYBOARD_NEIGHBOURS["s"] and upper == "SA"


def test_delete_counts_and_keeps_thai_marks_with_their_consonant():
    assert delete_chars("ab c!", 1.0, 0) == " !"
    assert len(delete_chars("abcdefghij", 0.5, 1)) == 5
    # "ตู้" is one cluster (consonant + vowel sign + tone mark): it goes as a whole, no orphan marks.
    assert delete_chars("ตู้", 1.0, 0) == ""
    assert delete_chars("ตู้ ก", 0.5, 4) == " ก"  # one of the two clusters ("ตู้ " the other), whole


def test_expected_fraction_is_exact_at_small_levels():
    # 10 letters at level 0.05: plain rounding would never delete; stochastic rounding deletes 0.5 on average.
    removed = [10 - len(delete_chars("abcdefghij", 0.05, seed)) for seed in range(2000)]
    assert set(removed) == {0, 1}
    assert sum(removed) / len(removed) == pytest.approx(0.5, abs=0.05)


def test_swap_transposes_neighbours_and_keeps_the_letters():
    assert swap_chars("ab", 1.0, 0) == "ba"
    out = swap_chars("abcdefgh ijkl", 0.5, 3)
    assert sorted(out) == sorted("abcdefgh ijkl") and out != "abcdefgh ijkl" and out[8] == " "
    thai = swap_chars("ตู้ก", 1.0, 0)
    assert thai == "กตู้"  # the cluster moves as a unit


def test_substitute_uses_neighbours_or_same_script_letters():
    assert substitute_chars("s", 1.0, 0) == "a" and "a" in KEYBOARD_NEIGHBOURS["s"]
    assert substitute_chars("ệ", 1.0, 0) == "3" and "3" in KEYBOARD_NEIGHBOURS["e"]  # a plain key, tone lost
    out = substitute_chars("กู้", 1.0, 5)
    assert out[1:] == "\u0e39\u0e49" and out[0] != "ก" and "THAI" in unicodedata.name(out[0])
    bn = substitute_chars("ক", 1.0, 2)
    assert bn == "উ" and "BENGALI" in unicodedata.name(bn)
    ur = substitute_chars("ک", 1.0, 2)
    assert ur == "ث" and "ARABIC" in unicodedata.name(ur)


def test_remove_tones_vietnamese():
    assert remove_tones(VI, 1.0, 0, lang="vi") == "Dien thoai di dong gia re"
    assert remove_tones(VI, 1.0, 0, lang="vi", tones_only=True) == "Điên thoai di đông gia re"
    # Eligible letters: Đ ệ ạ đ ộ á ẻ = 7; level 3/7 changes exactly 3 of them.
    out = remove_tones(VI, 3 / 7, 1, lang="vi")
    assert sum(a != b for a, b in zip(out, VI)) == 3
    # NFD input is handled too.
    assert remove_tones(unicodedata.normalize("NFD", "điện"), 1.0, 0, lang="vi") == "dien"


def test_remove_tones_thai_drops_tone_marks_maitaikhu_and_thanthakhat_not_vowels():
    assert remove_tones(TH, 1.0, 0, lang="th") == "ตูเยนการดจอราคาถูก"
    assert remove_tones(TH, 1.0, 0, lang="th", thai_vowel_marks=True) == "ตเยนการดจอราคาถก"
    # Three droppable marks (้ ็ ์; the vowel sign ู is kept): level 1/3 removes exactly one.
    assert len(TH) - len(remove_tones(TH, 1 / 3, 2, lang="th")) == 1


def test_remove_tones_leaves_scripts_without_optional_marks_alone():
    assert remove_tones(BN, 1.0, 0, lang="bn") == BN
    assert remove_tones("بَنانا", 1.0, 0, lang="ur") == "بنانا"


def test_zero_width_goes_between_visible_characters_only():
    out = insert_zero_width("abc de", 1.0, 0)
    assert _strip_zw(out) == "abc de"
    assert sum(ch in ZERO_WIDTH_CHARS for ch in out) == 3  # a|b|c and d|e; never next to the space
    assert " " in out and out[out.index(" ") - 1] == "c" and out[out.index(" ") + 1] == "d"
    thai = insert_zero_width("ตู้ก", 1.0, 0)
    assert thai.startswith("ตู้") and thai[3] in ZERO_WIDTH_CHARS and thai.endswith("ก")


def test_code_mix_longest_first_boundaries_and_case():
    assert code_mix("Mua điện thoại giá rẻ", 1.0, 0, word_map=WORD_MAP) == "Mua phone cheap"
    assert code_mix("Điện thoại", 1.0, 0, word_map=WORD_MAP) == "Phone"
    assert code_mix("table tab", 1.0, 0, word_map={"tab": "X"}) == "table X"
    assert code_mix("ซื้อตู้เย็นใหม่", 1.0, 0, word_map=WORD_MAP) == "ซื้อfridgeใหม่"  # Thai: no word boundaries
    half = code_mix("điện thoại và điện thoại", 0.5, 3, word_map=WORD_MAP)
    assert half.count("phone") == 1 and half.count("điện thoại") == 1


def test_romanize_words():
    out = romanize_words(BN, 1.0, 0)
    assert out.isascii() and out.count(" ") == BN.count(" ")
    assert romanize_words("iPhone ตู้เย็น", 1.0, 0) == "iPhone tueyn"  # anyascii, letter by letter
    half = romanize_words("ایڈ اون", 0.5, 0)
    assert sum(tok.isascii() for tok in half.split(" ")) == 1


def test_default_kinds_per_language():
    vi, th, ur, bn, en = (set(default_noise_kinds(x)) for x in ("vi", "th", "ur", "bn", "en"))
    assert NoiseKind.TONES in vi and NoiseKind.ROMANIZE not in vi
    assert {NoiseKind.TONES, NoiseKind.ROMANIZE} <= th
    assert NoiseKind.ROMANIZE in ur and NoiseKind.TONES not in ur
    assert NoiseKind.ROMANIZE in bn and NoiseKind.TONES not in bn
    assert en == {*TYPO_KINDS, NoiseKind.ZERO_WIDTH}
    assert NoiseKind.CODE_MIX in default_noise_kinds("fil", code_mixing=True)
    assert NoiseKind.CODE_MIX not in default_noise_kinds("en", code_mixing=True)


def test_parse_noise_kinds():
    assert parse_noise_kinds(["typos", "delete", "tones"]) == (*TYPO_KINDS, NoiseKind.TONES)
    with pytest.raises(ValueError, match="'typo'.*known"):
        parse_noise_kinds(["typo"])


def test_apply_noise_composes_and_typos_share_the_level():
    text = "a" * 100
    # delete and insert each get level 0.1: 10 deleted from 100, then 9 inserted into 90.
    assert len(apply_noise(text, "en", 0.2, 0, kinds=["delete", "insert"])) == 99
    out = apply_noise(VI, "vi", 1.0, 0, kinds=["tones"])
    assert out == "Dien thoai di dong gia re"
    mixed = apply_noise("Mua điện thoại", "vi", 1.0, 0, kinds=["code_mix", "tones"], word_map=WORD_MAP)
    assert mixed == "Mua phone"  # code-mixing runs before tone removal
    with pytest.raises(ValueError, match="word_map"):
        apply_noise(VI, "vi", 0.5, 0, kinds=["code_mix"])
    noisy = apply_noise(TH, "th", 0.3, 11)
    assert noisy != TH and noisy == apply_noise(TH, "th", 0.3, 11)
