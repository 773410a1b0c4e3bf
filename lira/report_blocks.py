"""Result blocks in README.md and docs/*.md, written from the committed reports by code.

A block is the text between ``<!-- lira:NAME -->`` and ``<!-- /lira:NAME -->``. ``lira report
readme`` rewrites every block from ``reports/*/results.json`` (and the reports' own Markdown), so
no number in the front page or the study pages is typed by hand; ``lira report readme --check``
(and ``tests/test_report_blocks.py``) fails when a committed block differs from what the command
would write, i.e. when a report was regenerated without the pages, or a page was edited by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

from lira.eval.tatoeba import REFERENCES, TATOEBA_LANGUAGES, reference_mean

_BLOCK = re.compile(r"(<!-- lira:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /lira:(?P=name) -->)", re.S)


def _load(root: Path, report: str) -> dict:
    return json.loads((root / "reports" / report / "results.json").read_text(encoding="utf-8"))


def _tatoeba_cells(t: dict[str, float]) -> list[str]:
    return [f"{t[f'{lang}/x2en/acc@1']:.3f}" for lang in TATOEBA_LANGUAGES] + [f"**{t['mean/x2en/acc@1']:.3f}**", f"{t['mean/en2x/acc@1']:.3f}"]


def headline(root: Path) -> str:
    """Tatoeba x→en per language (and both means) for the untrained student, the demo model, the
    default recipe and the peers at the study's larger budget, beside the published rows; with the
    out-of-domain dev accuracy where the study measured it."""
    study = _load(root, "generalization")
    demo = _load(root, "demo")
    large = study["study"]["large_budget_steps"]
    base = study["study"]["lira"]["train"]["max_steps"]
    rows = [("multilingual-e5-small, untrained (offline 4-bit copy)", study["untrained"]["tatoeba"], study["untrained"]["dev"])]
    rows.append((f"**LiRA `lira demo`** ({demo['steps']} steps, CPU)", demo["metrics"]["tatoeba_after"], (demo.get("dev") or {}).get("selected")))
    names = {"default": "**LiRA default recipe**", "peer_kd_mse": "KD-MSE peer (MiniLM teacher)", "peer_contrastive": "contrastive-only peer"}
    for steps in (base, large):
        for system, label in names.items():
            run = study["runs"].get(f"{system}-{steps}")
            if run is not None and not (system == "default" and steps == base):
                rows.append((f"{label}, {steps} steps (CPU)", run["tatoeba"], run["dev"]["end"]))
    lines = ["| model | " + " | ".join(TATOEBA_LANGUAGES) + " | mean x→en | mean en→x | out-of-domain dev |", "|---|" + "---:|" * (len(TATOEBA_LANGUAGES) + 3)]
    for label, tatoeba, dev in rows:
        ood = "" if not dev else f"{(dev['out_of_domain/mean/x2en/acc@1'] + dev['out_of_domain/mean/en2x/acc@1']) / 2:.3f}"
        lines.append(f"| {label} | " + " | ".join(_tatoeba_cells(tatoeba)) + f" | {ood} |")
    for name, ref in REFERENCES.items():
        size = {"LaBSE": "471M", "multilingual-e5-small": "118M", "multilingual-e5-large": "560M"}[name]
        lines.append(f"| {name} ({size} parameters; published) | " + " | ".join(f"{ref[lang] / 100:.3f}" for lang in TATOEBA_LANGUAGES) + f" | {reference_mean(name, TATOEBA_LANGUAGES):.3f} | | |")
    return "\n".join(lines) + "\n"


def demo_table(root: Path) -> str:
    """The demo's own table and summary (``reports/demo/results.md``, written by ``lira demo``)."""
    return (root / "reports" / "demo" / "results.md").read_text(encoding="utf-8")


def generalization_parts(root: Path) -> str:
    """Which parts of Arca earn their place in the default, from the study's summary."""
    summary = json.loads((root / "reports" / "generalization" / "summary.json").read_text(encoding="utf-8"))
    lines = ["| part | in the default | dev-score gain from the part | verdict |", "|---|---|---:|---|"]
    for p in summary["parts"]:
        verdict = "earns its place" if p["earns_its_place"] else ("no gain: off by default" if not p["in_default"] else "no gain on dev")
        lines.append(f"| {p['part']} | {'yes' if p['in_default'] else 'no'} | {p['dev_gain']:+.4f} | {verdict} |")
    return "\n".join(lines) + "\n"


BLOCKS: dict[str, Callable[[Path], str]] = {"headline": headline, "demo": demo_table, "generalization-parts": generalization_parts}


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def render_blocks(root: str | Path = ".", check: bool = False) -> list[str]:
    """Rewrite (or with ``check``, compare) every block; returns ``"page: block"`` for each block
    that changed (would change). An unknown block name is an error naming the page."""
    root = Path(root)
    changed: list[str] = []
    for page in pages(root):
        if not page.exists():
            continue
        text = page.read_text(encoding="utf-8")

        def fill(match: re.Match) -> str:
            name = match["name"]
            if name not in BLOCKS:
                raise ValueError(f"{page}: unknown result block {name!r}; known: {', '.join(BLOCKS)}")
            body = BLOCKS[name](root)
            if body != match["body"]:
                changed.append(f"{page.relative_to(root)}: {name}")
            return match.group(1) + body + match.group(4)

        new = _BLOCK.sub(fill, text)
        if new != text and not check:
            page.write_text(new, encoding="utf-8")
    return changed
