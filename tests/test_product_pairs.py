"""In-domain Arca pairs from the product data set (lira.data.products.pairs, `lira data products pairs`)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lira.cli import app
from lira.data.pairs import load_pairs
from lira.data.products.pairs import SOURCE_QUERY, SOURCE_TITLE, product_pairs


def _rows(folder, name):
    return [json.loads(line) for line in (folder / "jsonl" / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_titles_and_queries_pair_english_with_each_language(small_products):
    pairs = product_pairs(small_products)
    catalog = _rows(small_products, "catalog.train.jsonl")
    titles = [p for p in pairs if p.source == SOURCE_TITLE]
    # every (product, language) whose title differs from the English one, and only train products
    expected = {(r["title_en"], r[f"title_{lang}"], lang) for r in catalog for lang in ("th", "vi", "id", "ms", "fil", "ur", "bn") if r[f"title_{lang}"] != r["title_en"]}
    assert {(p.en, p.text, p.lang) for p in titles} == expected
    queries = _rows(small_products, "queries.train.jsonl")
    english = {q["query_id"]: q["text"] for q in queries if q["lang"] == "en"}
    by_text = {(q["lang"], q["text"]): q["query_id"] for q in queries}
    query_pairs = [p for p in pairs if p.source == SOURCE_QUERY]
    assert query_pairs and all(english[by_text[(p.lang, p.text)]] == p.en for p in query_pairs)
    test_titles = {r["title_en"] for r in _rows(small_products, "catalog.test.jsonl")}
    assert not test_titles & {p.en for p in titles}  # nothing from the scored split


def test_options_languages_and_the_test_split_guard(small_products):
    only_th = product_pairs(small_products, languages=["th"], include_queries=False)
    assert only_th and {p.lang for p in only_th} == {"th"} and {p.source for p in only_th} == {SOURCE_TITLE}
    with pytest.raises(ValueError, match="leaks"):
        product_pairs(small_products, split="test")
    assert product_pairs(small_products, split="test", allow_test=True)
    with pytest.raises(ValueError, match="no titles in"):
        product_pairs(small_products, languages=["km"])
    with pytest.raises(FileNotFoundError, match="lira data products build"):
        product_pairs(small_products / "missing")


def test_cli_writes_a_pairs_file_train_reads(small_products, tmp_path):
    out = tmp_path / "pairs.jsonl"
    runner = CliRunner()
    result = runner.invoke(app, ["data", "products", "pairs", "--data", str(small_products), "--out", str(out), "--no-queries"])
    assert result.exit_code == 0, result.output
    loaded = load_pairs(out)
    assert len(loaded) == len(product_pairs(small_products, include_queries=False))
    refused = runner.invoke(app, ["data", "products", "pairs", "--data", str(small_products), "--out", str(out), "--split", "test"])
    assert refused.exit_code != 0 and "leaks" in refused.output
