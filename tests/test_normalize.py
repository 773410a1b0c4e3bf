"""Normalisation of localisation strings (lira.data.normalize): pure functions."""

from __future__ import annotations

import pytest

from lira.data.normalize import (
    FluentPatternError,
    collapse_whitespace,
    nfc,
    normalize_text,
    parse_fluent_pattern,
    resolve_fluent_pattern,
    strip_access_keys,
    strip_markup,
    strip_placeholders,
    strip_plural_placeholders,
    tidy_punctuation,
)

TERMS = {
    "brand-short-name": "Firefox",
    "vendor-short-name": "Mozilla",
    "brand-name": '{ $case ->\n   *[nominative] Firefox\n    [genitive] Firefoxa\n}',
    "needs-var": "Hello { $user }",
    "nested": "{ -vendor-short-name } { -brand-short-name }",
}


def flat(pattern: str, **kw) -> str:
    return collapse_whitespace(resolve_fluent_pattern(pattern, TERMS, **kw))


# --- NFC -----------------------------------------------------------------------------------


def test_nfc_composes():
    assert nfc("Vie\u0323\u0302t") == "Việt"
    assert normalize_text("Vie\u0323\u0302t Nam") == "Việt Nam"


# --- Fluent placeables ------------------------------------------------------------------------


def test_plain_text_unchanged():
    assert flat("Open a new tab") == "Open a new tab"


def test_variables_and_functions_are_dropped():
    assert flat("Downloading { $count } files") == "Downloading files"
    assert flat("Size: { NUMBER($size, maximumFractionDigits: 1) } MB") == "Size: MB"
    assert flat("On { DATETIME($date, month: \"long\") }") == "On"


def test_simple_term_is_substituted():
    assert flat("Restart { -brand-short-name }") == "Restart Firefox"
    assert flat("{ -nested } Account") == "Mozilla Firefox Account"


def test_term_arguments_pick_the_variant():
    assert flat('{ -brand-name(case: "genitive") } settings') == "Firefoxa settings"
    assert flat("{ -brand-name } settings") == "Firefox settings"
    assert flat('{ -brand-name(case: "locative") } settings') == "Firefox settings"


def test_unknown_or_non_simple_terms_are_dropped():
    assert flat("Open { -unknown-term } now") == "Open now"
    assert flat("Say { -needs-var }") == "Say"
    # A term attribute outside a selector is not text.
    assert flat("Use { -brand-short-name.gender }") == "Use"


def test_select_expression_takes_default_variant():
    src = "{ $count ->\n    [one] One tab\n   *[other] { $count } tabs\n}"
    assert flat(src) == "tabs"
    src = "You have { $n ->\n    [one] a new message\n   *[other] new messages\n} waiting"
    assert flat(src) == "You have new messages waiting"


def test_select_on_term_attribute_and_function():
    src = "{ -brand-short-name.gender ->\n    [feminine] Elle\n   *[other] It\n} updated"
    assert flat(src) == "It updated"
    src = "{ PLATFORM() ->\n    [windows] Options\n   *[other] Preferences\n}"
    assert flat(src) == "Preferences"


def test_nested_select_and_multiline_variant():
    src = (
        "{ $a ->\n"
        "    [x] X\n"
        "   *[other]\n"
        "        { $b ->\n"
        "            [y] Y\n"
        "           *[z] Deep\n"
        "            default\n"
        "        }\n"
        "}"
    )
    assert flat(src) == "Deep default"


def test_default_variant_not_last_and_inline_variant_text():
    src = "{ $n ->\n   *[other] Many items\n    [one] One item\n}"
    assert flat(src) == "Many items"


def test_string_and_number_literals():
    assert flat('Press { "{" } to open') == "Press { to open"
    assert flat('Quote { "\\"" } and slash { "\\\\" }') == 'Quote " and slash \\'
    assert flat('Snowman { "\\u2603" }') == "Snowman ☃"
    assert flat("Version { 42 }") == "Version 42"
    assert flat("Nested { { \"x\" } }") == "Nested x"


def test_message_references():
    messages = {"other": "Other text", "menu.label": "Menu label"}
    assert flat("See { other }", messages=messages) == "See Other text"
    assert flat("See { menu.label }", messages=messages) == "See Menu label"
    assert flat("See { missing }", messages=messages) == "See"
    assert flat("See { other }") == "See"


@pytest.mark.parametrize(
    "bad",
    [
        "Unclosed { $var",
        "Stray } brace",
        "{ $n ->\n    [one] One\n    [other] Many\n}",  # no default variant
        '{ "unterminated }',
        "{ $n ->\n   *[other] A\n   *[many] B\n}",  # two defaults
        "{ ?? }",
    ],
)
def test_malformed_patterns_raise(bad):
    with pytest.raises(FluentPatternError):
        parse_fluent_pattern(bad)


# --- markup, access keys, placeholders ------------------------------------------------------


def test_strip_markup():
    assert strip_markup('Need help? <a data-l10n-name="url">Get support</a>') == "Need help? Get support"
    assert strip_markup("<strong>Warning:</strong> low disk") == "Warning: low disk"
    assert strip_markup("First<br/>Second") == "First Second"
    assert strip_markup("<html:p>Para</html:p>") == " Para "
    assert strip_markup("a < b and c > d") == "a < b and c > d"
    assert strip_markup("Tom &amp; Jerry &#8734; &lt;tag&gt;") == "Tom & Jerry ∞ <tag>"
    assert strip_markup("AT&T &nothing") == "AT&T &nothing"


def test_strip_access_keys():
    assert strip_access_keys("&Open") == "Open"
    assert strip_access_keys("Do&n’t Save") == "Don’t Save"
    assert strip_access_keys("Fish && Chips") == "Fish & Chips"
    assert strip_access_keys("Tom & Jerry") == "Tom & Jerry"
    assert strip_access_keys("“&” is special") == "“&” is special"
    assert strip_access_keys("&amp; stays") == "&amp; stays"


def test_strip_placeholders():
    assert strip_placeholders("Save %S as") == "Save  as"
    assert strip_placeholders("Search %1$S for “%2$S”") == "Search  for “”"
    assert strip_placeholders("%d of %d") == " of "
    assert strip_placeholders("%ld bytes, %.2f MB") == " bytes,  MB"
    assert strip_placeholders("100%% done") == "100% done"
    assert strip_placeholders("50% size") == "50% size"
    assert strip_plural_placeholders("#1 tab;#1 tabs") == " tab; tabs"


def test_tidy_and_whitespace():
    assert tidy_punctuation("Open “” now") == "Open  now"
    assert tidy_punctuation("Did you mean  ?") == "Did you mean?"
    assert tidy_punctuation("Reload page ()") == "Reload page "
    assert tidy_punctuation("( x )") == "(x)"
    assert collapse_whitespace("  a\n\tb\u00a0c\u202fd  ") == "a b c d"


def test_normalize_text_pipeline():
    assert normalize_text("Search %1$S for “%2$S”") == "Search for"
    assert normalize_text("Did you mean to go to %S?") == "Did you mean to go to?"
    assert normalize_text("Reload current page (%S)") == "Reload current page"
    assert normalize_text("&Save   the\n file") == "Save the file"
    assert normalize_text("#1 tabs", plural_placeholders=True) == "tabs"
    assert normalize_text("A PKCS #11 module") == "A PKCS #11 module"
    assert normalize_text("<b>Bold</b>\u00a0text\u00ad here") == "Bold text here"


def test_normalize_keeps_zwnj_and_drops_bidi_controls():
    urdu = "\u200fفائل\u200e کھولیں\u2068\u2069"
    assert normalize_text(urdu) == "فائل کھولیں"
    hindi = "क्\u200dष"
    assert normalize_text(hindi) == hindi
    persian_zwnj = "می\u200cخواهم"
    assert normalize_text(persian_zwnj) == persian_zwnj


def test_normalize_is_idempotent():
    samples = ["Open “%S”?", "&File  menu", "<a>Link</a> text", "Việt Nam", "  spaced   out  "]
    for s in samples:
        once = normalize_text(s)
        assert normalize_text(once) == once
