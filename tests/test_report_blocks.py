"""Every number block in README.md and docs/ is what `lira report readme` writes from the committed reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lira.report_blocks import BLOCKS, render_blocks

ROOT = Path(__file__).resolve().parents[1]


def test_committed_blocks_match_the_reports():
    assert render_blocks(ROOT, check=True) == []


def test_a_hand_edited_block_is_caught_and_rewritten(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "reports" / "demo").mkdir(parents=True)
    (tmp_path / "reports" / "demo" / "results.md").write_text("| a | 1 |\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text("intro\n<!-- lira:demo -->\n| a | 2 |\n<!-- /lira:demo -->\nend\n", encoding="utf-8")
    assert render_blocks(tmp_path, check=True) == ["README.md: demo"]
    assert "| a | 2 |" in page.read_text(encoding="utf-8")  # --check changes nothing
    assert render_blocks(tmp_path) == ["README.md: demo"]
    assert page.read_text(encoding="utf-8") == "intro\n<!-- lira:demo -->\n| a | 1 |\n<!-- /lira:demo -->\nend\n"
    assert render_blocks(tmp_path, check=True) == []


def test_unknown_block_names_the_page(tmp_path):
    (tmp_path / "README.md").write_text("<!-- lira:nope -->\nx\n<!-- /lira:nope -->\n", encoding="utf-8")
    with pytest.raises(ValueError, match="README.md: unknown result block 'nope'"):
        render_blocks(tmp_path)
    assert {"headline", "demo", "generalization-parts"} <= set(BLOCKS)


def test_lasr_consistency_block_from_a_fake_report(tmp_path):
    (tmp_path / "reports" / "lasr").mkdir(parents=True)
    row = lambda k, on, gap: {"k": k, "consistency": on, "gap": [gap, 0.01], "mean": [0.5, 0.0], "noised_mean": [0.3, 0.0], "en": [0.6, 0.0]}
    summary = [row(0, True, 0.1), row(0, False, 0.25), row(8, False, 0.2), row(8, True, 0.2)]
    (tmp_path / "reports" / "lasr" / "results.json").write_text(json.dumps({"summary": summary}), encoding="utf-8")
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "LASR.md"
    page.write_text("<!-- lira:lasr-consistency -->\n<!-- /lira:lasr-consistency -->\n", encoding="utf-8")
    assert render_blocks(tmp_path) == ["docs/LASR.md: lasr-consistency"]
    lines = page.read_text(encoding="utf-8").splitlines()
    assert lines[3] == "| 0 | 0.250 → 0.100 (-0.150) | 0.500 → 0.500 (+0.000) | 0.300 → 0.300 (+0.000) | 0.600 → 0.600 (+0.000) |"
    assert lines[4].startswith("| 8 | 0.200 → 0.200 (+0.000) |")
    assert render_blocks(tmp_path, check=True) == []


def test_suite_blocks_take_one_section_of_the_report(tmp_path):
    (tmp_path / "reports" / "suite").mkdir(parents=True)
    (tmp_path / "reports" / "suite" / "results.md").write_text(
        "# study\n\n### Clean inputs: every system on every task\n\n| a | 1 |\n\nnote\n\n### Under noise: bitext x→en accuracy@1\n\n| b | 2 |\n",
        encoding="utf-8")
    assert BLOCKS["suite-clean"](tmp_path) == "| a | 1 |\n\nnote\n"
    assert BLOCKS["suite-noise-bitext"](tmp_path) == "| b | 2 |\n"


def _prose_numbers(text: str) -> list[str]:
    """Three-decimal numbers (scores, deltas) of a page outside its generated blocks."""
    import re

    outside = re.sub(r"<!-- lira:([\w-]+) -->.*?<!-- /lira:\1 -->", "", text, flags=re.S)
    return [m.replace("−", "").lstrip("+-") for m in re.findall(r"(?<![\w.])[−+-]?\d*\.\d{3}(?!\d)", outside)]


def test_every_score_quoted_in_prose_is_in_a_committed_report():
    """Findings written in prose beside the blocks quote numbers; each must stand in a report or
    benchmark file that a command writes, so a rerun that changes it shows up here."""
    written = "".join(p.read_text(encoding="utf-8", errors="ignore") for folder in ("reports", "benchmarks")
                      for p in (ROOT / folder).rglob("*") if p.suffix in (".md", ".json") and p.stat().st_size < 5_000_000)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = [(p.name, n) for p in pages for n in _prose_numbers(p.read_text(encoding="utf-8")) if n not in written]
    assert missing == []


def test_prose_numbers_skip_blocks_and_catch_a_stray_score():
    page = "a 0.912 here\n<!-- lira:demo -->\n| 0.555 |\n<!-- /lira:demo -->\nand −0.031, +0.2, 1.5, v0.123x\n"
    assert _prose_numbers(page) == ["0.912", "0.031"]


def test_readme_product_rows_name_models_of_the_committed_report():
    import json
    from pathlib import Path

    from lira.report_blocks import PRODUCT_HEADLINE_MODELS

    root = Path(__file__).resolve().parents[1]
    labels = json.loads((root / "reports" / "products" / "benchmark.json").read_text(encoding="utf-8"))["labels"]
    for model in PRODUCT_HEADLINE_MODELS:
        assert f"model:{model}" in labels and f"model:{model}+weighted" in labels, model

    # the README's rows carry the short names, dense and hybrid alike, and no long label of them is left
    from lira.report_blocks import PRODUCT_HEADLINE_NAMES, products_headline

    block = products_headline(root)
    for long, short in PRODUCT_HEADLINE_NAMES.items():
        assert long in PRODUCT_HEADLINE_MODELS and long not in block
        assert f"| {short} (dense) |" in block and f"hybrid weighted (BM25 + {short}, weight on dev)" in block
