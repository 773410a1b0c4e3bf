"""Shopper misspellings, per script (written rules; each applied op is recorded).

* Latin (en, id, ms, fil, vi): drop a letter, swap two neighbours, double a letter, swap a
  vowel for another; Vietnamese also: type without diacritics (common on phones).
* Thai: drop tone marks (่ ้ ๊ ๋), swap look-alike / sound-alike consonants (ส/ซ, ท/ธ, น/ณ,
  ค/ข, ล/ร), drop a character.
* Urdu: swap sound-alike letters (ی/ے, ہ/ح, س/ص, ت/ط, ز/ذ, ک/ق), drop an alif, drop a letter.
* Bengali: swap short/long vowel signs (ি/ী, ু/ূ), sibilants (শ/স/ষ), ন/ণ, জ/য, drop a
  hasant (breaks a conjunct), drop a character.

Only words of the local script are touched (never the brand, digits or Latin loans in a
non-Latin query).
"""

from __future__ import annotations

import random
import unicodedata

VOWELS = "aeiou"
THAI_TONES = "\u0e48\u0e49\u0e4a\u0e4b"
THAI_SWAPS = [("ส", "ซ"), ("ท", "ธ"), ("น", "ณ"), ("ค", "ข"), ("ล", "ร")]
UR_SWAPS = [("ی", "ے"), ("ہ", "ح"), ("س", "ص"), ("ت", "ط"), ("ز", "ذ"), ("ک", "ق")]
BN_SWAPS = [("ি", "ী"), ("ু", "ূ"), ("শ", "স"), ("স", "ষ"), ("ন", "ণ"), ("জ", "য")]

SCRIPT_OF = {"en": "latn", "vi": "latn", "id": "latn", "ms": "latn", "fil": "latn", "th": "thai", "ur": "arab", "bn": "beng"}


def _is_script(word: str, script: str) -> bool:
    letters = [c for c in word if c.isalpha() or unicodedata.category(c).startswith("M")]
    if not letters:
        return False
    if script == "latn":
        return all(unicodedata.name(c, "").startswith("LATIN") or unicodedata.category(c).startswith("M") for c in letters)
    prefix = {"thai": "THAI", "arab": "ARABIC", "beng": "BENGALI"}[script]
    return any(unicodedata.name(c, "").startswith(prefix) for c in letters)


def strip_diacritics(text: str) -> str:
    t = unicodedata.normalize("NFD", text)
    t = "".join(c for c in t if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", t.replace("đ", "d").replace("Đ", "D"))


def _drop(w: str, rng: random.Random) -> str:
    """Drop one character, never leaving a vowel sign or mark without its consonant."""
    if len(w) <= 3:
        return w
    comb = [unicodedata.category(c).startswith("M") for c in w]
    idx = [i for i in range(1, len(w)) if comb[i] or i + 1 == len(w) or not comb[i + 1]]
    if not idx:
        return w
    i = rng.choice(idx)
    return w[:i] + w[i + 1:]


def _swap_adjacent(w: str, rng: random.Random) -> str:
    if len(w) < 4:
        return w
    i = rng.randrange(1, len(w) - 1)
    return w[:i] + w[i + 1] + w[i] + w[i + 2:]


def _double(w: str, rng: random.Random) -> str:
    i = rng.randrange(len(w))
    return w[:i + 1] + w[i] + w[i + 1:]


def _vowel(w: str, rng: random.Random) -> str:
    idx = [i for i, c in enumerate(w) if c in VOWELS]
    if not idx:
        return w
    i = rng.choice(idx)
    return w[:i] + rng.choice([v for v in VOWELS if v != w[i]]) + w[i + 1:]


def _swap_pairs(w: str, pairs, rng: random.Random) -> str:
    options = [(a, b) for a, b in pairs if a in w] + [(b, a) for a, b in pairs if b in w]
    if not options:
        return w
    a, b = rng.choice(options)
    idx = [i for i in range(len(w)) if w.startswith(a, i)]
    i = rng.choice(idx)
    return w[:i] + b + w[i + len(a):]


def misspell(text: str, lang: str, rng: random.Random, *, n_ops: int = 1, protect: frozenset[str] | set[str] = frozenset()) -> tuple[str, list[str]]:
    """Return (noisy text, names of the ops applied); words in ``protect`` (brand, model) are kept."""
    script = SCRIPT_OF[lang]
    ops_done: list[str] = []
    protect = {w.lower() for w in protect}
    if lang == "vi" and rng.random() < 0.4 and strip_diacritics(text) != text:
        return strip_diacritics(text), ["no_diacritics"]
    if lang == "th" and rng.random() < 0.3 and any(c in THAI_TONES for c in text):
        return "".join(c for c in text if c not in THAI_TONES), ["no_tone_marks"]
    for _ in range(n_ops):
        words = text.split(" ")
        idx = [i for i, w in enumerate(words) if _is_script(w, script) and len(w) >= 3 and w.lower() not in protect]
        if not idx:
            break
        i = rng.choice(idx)
        w = words[i]
        for _try in range(6):
            if script == "latn":
                op = rng.choice(["drop", "swap", "double", "vowel"])
                new = {"drop": _drop, "swap": _swap_adjacent, "double": _double, "vowel": _vowel}[op](w, rng)
            elif script == "thai":
                op = rng.choice(["drop", "swap_letter", "drop_tone"])
                if op == "drop_tone":
                    new = "".join(c for c in w if c not in THAI_TONES)
                elif op == "swap_letter":
                    new = _swap_pairs(w, THAI_SWAPS, rng)
                else:
                    new = _drop(w, rng)
            elif script == "arab":
                op = rng.choice(["drop", "swap_letter", "drop_alif"])
                if op == "drop_alif" and "ا" in w[1:]:
                    j = w.index("ا", 1)
                    new = w[:j] + w[j + 1:]
                elif op == "swap_letter":
                    new = _swap_pairs(w, UR_SWAPS, rng)
                else:
                    new = _drop(w, rng)
            else:
                op = rng.choice(["drop", "swap_letter", "drop_hasant"])
                if op == "drop_hasant" and "্" in w:
                    j = w.index("্")
                    new = w[:j] + w[j + 1:]
                elif op == "swap_letter":
                    new = _swap_pairs(w, BN_SWAPS, rng)
                else:
                    new = _drop(w, rng)
            if new != w:
                words[i] = new
                ops_done.append(op)
                break
        text = " ".join(words)
    return text, ops_done
