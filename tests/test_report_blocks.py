"""Every number block in README.md and docs/ is what `lira report readme` writes from the committed reports."""

from __future__ import annotations

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
