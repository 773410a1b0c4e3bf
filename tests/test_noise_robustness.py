"""lira.eval.noise_robustness: the conditions noise what they say, and the table reads the scores."""

from __future__ import annotations

import numpy as np

from lira.data.noise import NoiseKind
from lira.data.pairs import ParallelPair
from lira.eval import noise_robustness as nr
from lira.eval.merged_rows import pairs_digest

PAIRS = [ParallelPair(en=f"open the settings window number {i}", text=f"buka jendela pengaturan nomor {i} sekarang juga", lang="id") for i in range(40)]


def test_clean_is_untouched_and_noise_is_deterministic():
    clean = nr.noised_pairs(PAIRS, "clean", 0.3, "swap", {})
    assert [t for _, t, _ in clean] == [p.text for p in PAIRS]
    a = nr.noised_pairs(PAIRS, "all", 0.3, "swap", {})
    b = nr.noised_pairs(PAIRS, "all", 0.3, "swap", {})
    assert a == b
    assert sum(x != p.text for (_, x, _), p in zip(a, PAIRS)) > 20  # level 0.3 noises most sentences
    assert all(en == p.en for (en, _, _), p in zip(a, PAIRS))  # English is never noised


def test_held_out_condition_uses_only_the_held_out_kind_and_seen_never_does(monkeypatch):
    calls = []
    real = nr.apply_noise

    def spy(text, lang, level, rng, kinds, word_map=None):
        calls.append(tuple(kinds))
        return real(text, lang, level, rng, kinds, word_map=word_map)

    monkeypatch.setattr(nr, "apply_noise", spy)
    nr.noised_pairs(PAIRS, "held_out", 0.2, "swap", {})
    assert calls and all(k == (NoiseKind.SWAP,) for k in calls)
    calls.clear()
    nr.noised_pairs(PAIRS, "seen", 0.2, "swap", {})
    assert calls and all(NoiseKind.SWAP not in k and k for k in calls)
    calls.clear()
    nr.noised_pairs(PAIRS, "all", 0.2, "swap", {})
    assert all(NoiseKind.SWAP in k for k in calls)


class BagOfCharacters:
    """A deterministic toy encoder: normalised character-count vectors."""

    def encode(self, texts, **_):
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t:
                out[i, ord(ch) % 256] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_retained_share_is_noised_over_clean():
    pairs = [ParallelPair(en=f"{w} {w}", text=f"{w} {w}", lang="id") for w in ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]]
    results = nr.score_noise_robustness({"toy": BagOfCharacters()}, pairs, level=0.5, word_maps={})
    per = results["toy"]
    assert per["clean"]["mean/x2en/acc@1"] == 1.0  # identical sides: every sentence finds its pair
    for c in ("all", "seen", "held_out"):
        assert per[c]["retained/x2en"] == per[c]["mean/x2en/acc@1"] / per["clean"]["mean/x2en/acc@1"]
    table = nr.noise_markdown(results, level=0.5, held_out="swap", n_pairs=len(pairs), source="toy")
    assert "| toy | 1.000 / 1.000 |" in table


def test_report_keeps_earlier_rows_on_the_same_pairs_only(tmp_path):
    import json

    def row(acc):
        per = {c: {"mean/x2en/acc@1": acc, "mean/en2x/acc@1": acc} for c in nr.CONDITIONS}
        for c in nr.CONDITIONS[1:]:
            per[c].update({"retained/x2en": 1.0, "retained/en2x": 1.0})
        return per

    meta = {"level": 0.1, "held_out": "swap", "n_pairs": 10, "source": "toy"}
    nr.write_noise_report({"a": row(0.5), "b": row(0.6)}, tmp_path, **meta)
    nr.write_noise_report({"c": row(0.7), "a": row(0.9)}, tmp_path, **meta)  # a rescored, b kept, c added
    results = json.loads((tmp_path / "noise.json").read_text())["results"]
    assert list(results) == ["b", "c", "a"] and results["a"]["clean"]["mean/x2en/acc@1"] == 0.9
    assert "| b |" in (tmp_path / "noise.md").read_text()
    # Another level: the earlier rows are not comparable and go.
    nr.write_noise_report({"d": row(0.4)}, tmp_path, **{**meta, "level": 0.2})
    assert list(json.loads((tmp_path / "noise.json").read_text())["results"]) == ["d"]
    # Other pairs of the same count: kept only when the digests agree.
    pairs = [ParallelPair(en="Save", text="บันทึก", lang="th"), ParallelPair(en="Open", text="เปิด", lang="th")]
    other = [pairs[0], ParallelPair(en="Open", text="เปิดไฟล์", lang="th")]
    assert pairs_digest(pairs) == pairs_digest(list(pairs)) != pairs_digest(other)
    nr.write_noise_report({"e": row(0.4)}, tmp_path, pairs_sha256=pairs_digest(pairs), **meta)
    nr.write_noise_report({"f": row(0.4)}, tmp_path, pairs_sha256=pairs_digest(pairs), **meta)
    assert list(json.loads((tmp_path / "noise.json").read_text())["results"]) == ["e", "f"]
    nr.write_noise_report({"g": row(0.4)}, tmp_path, pairs_sha256=pairs_digest(other), **meta)
    assert list(json.loads((tmp_path / "noise.json").read_text())["results"]) == ["g"]
