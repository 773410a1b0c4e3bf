import json

import numpy as np
import pytest

from lira.index import faiss_index
from lira.index.faiss_index import (
    LiraIndexError,
    build_index,
    exact_neighbours,
    index_embeddings,
    load_index,
    recall_at_k,
    search,
)


class TableEncoder:
    """Maps known texts to fixed vectors: the hand example's 'model'."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table
        self.calls: list[dict] = []

    def encode(self, sentences, *, lang=None, prompt_name=None, batch_size=64, show_progress_bar=False):
        self.calls.append({"lang": lang, "prompt_name": prompt_name})
        rows = np.asarray([self.table[s] for s in sentences], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


DOCS = {"north": [0, 1, 0], "east": [1, 0, 0], "north-east": [1, 1, 0], "up": [0, 0, 1]}
QUERIES = {"mostly north": [0.2, 1, 0], "mostly up": [0.1, 0, 1]}


def _clustered(n, dim, n_clusters, seed):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, dim)).astype(np.float32)
    x = centres[rng.integers(0, n_clusters, n)] + 0.35 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_search_is_exact_on_a_hand_example(tmp_path):
    enc = TableEncoder({**DOCS, **QUERIES})
    texts = list(DOCS)
    idx = build_index(texts, enc, kind="flat", out_dir=tmp_path / "idx", ids=np.array(["n", "e", "ne", "u"]), langs=["en", "en", "th", "en"])
    assert enc.calls[0]["prompt_name"] == "passage"
    hits = search(tmp_path / "idx", "mostly north", enc, k=3)
    q = np.array([0.2, 1, 0]) / np.linalg.norm([0.2, 1, 0])
    expected = sorted(((float(q @ (np.array(v) / np.linalg.norm(v))), name) for name, v in DOCS.items()), reverse=True)[:3]
    assert [h.text for h in hits] == [name for _, name in expected]
    np.testing.assert_allclose([h.score for h in hits], [s for s, _ in expected], rtol=1e-5)
    assert hits[0].id == "n" and enc.calls[-1]["prompt_name"] == "query"
    both = search(idx, list(QUERIES), enc, k=1)
    assert [[h.text for h in row] for row in both] == [["north"], ["up"]]
    # a language filter returns the best documents *of that language*
    th = search(idx, "mostly up", enc, k=5, doc_lang="th")
    assert [h.text for h in th] == ["north-east"]
    assert search(idx, "mostly up", enc, k=5, doc_lang="zz") == []


@pytest.mark.parametrize(("kind", "params", "search_kw"), [("ivf", {"nlist": 32}, {"nprobe": 8}), ("hnsw", {"m": 16, "ef_construction": 64}, {"ef_search": 64})])
def test_approximate_indexes_have_high_recall(kind, params, search_kw):
    base = _clustered(4000, 32, 40, seed=0)
    queries = _clustered(200, 32, 40, seed=1)
    truth = exact_neighbours(base, queries, 10)
    idx = index_embeddings(base, [{"id": i, "text": str(i), "lang": None} for i in range(len(base))], kind, **params)
    _, rows = idx.search_vectors(queries, 10, **search_kw)
    assert recall_at_k(rows, truth) > 0.9
    # a language filter works with the approximate indexes too
    langs = ["th" if i % 3 == 0 else "vi" for i in range(len(base))]
    idx.docs = [{"id": i, "text": str(i), "lang": lg} for i, lg in enumerate(langs)]
    _, rows_th = idx.search_vectors(queries[:20], 10, doc_lang="th", **search_kw)
    assert (rows_th >= 0).all() and all(langs[i] == "th" for i in rows_th.ravel())
    if kind == "ivf":  # fewer probes cannot find more
        _, rows1 = idx.search_vectors(queries, 10, nprobe=1)
        assert recall_at_k(rows1, truth) <= recall_at_k(rows, truth)


def test_save_load_round_trip_and_atomic_replace(tmp_path, monkeypatch):
    base = _clustered(300, 16, 5, seed=2)
    docs = [{"id": f"d{i}", "text": f"doc {i} ข้อความ", "lang": "th" if i % 2 else "vi"} for i in range(300)]
    idx = index_embeddings(base, docs, "hnsw", model_name="m1", m=8)
    path = idx.save(tmp_path / "idx")
    loaded = load_index(path)
    assert loaded.meta["model"] == "m1" and loaded.meta["count"] == 300 and loaded.meta["params"]["m"] == 8
    assert loaded.docs == docs and loaded.kind == "hnsw"
    np.testing.assert_array_equal(loaded.search_vectors(base[:5], 3)[1], idx.search_vectors(base[:5], 3)[1])

    # a crash while writing the replacement leaves the old index whole and no temp folder behind
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(faiss_index._faiss(), "write_index", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        index_embeddings(base[:10], docs[:10], "flat", model_name="m2").save(path)
    monkeypatch.undo()
    assert load_index(path).meta["model"] == "m1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]

    # a successful replacement swaps in the new one
    index_embeddings(base[:10], docs[:10], "flat", model_name="m2").save(path)
    again = load_index(path)
    assert again.meta["model"] == "m2" and len(again) == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_missing_and_corrupt_folders_fail_clearly(tmp_path):
    with pytest.raises(LiraIndexError, match="no such index folder"):
        load_index(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LiraIndexError, match="missing"):
        load_index(tmp_path / "empty")
    base = _clustered(50, 8, 3, seed=3)
    path = index_embeddings(base, [{"id": i, "text": str(i), "lang": None} for i in range(50)], "flat").save(tmp_path / "idx")
    (path / "index.faiss").write_bytes(b"not a faiss file")
    with pytest.raises(LiraIndexError, match="corrupt FAISS"):
        load_index(path)
    path = index_embeddings(base, [{"id": i, "text": str(i), "lang": None} for i in range(50)], "flat").save(tmp_path / "idx2")
    lines = (path / "docs.jsonl").read_text().splitlines()
    (path / "docs.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(LiraIndexError, match="inconsistent"):
        load_index(path)
    (path / "meta.json").write_text("{broken")
    with pytest.raises(LiraIndexError, match="corrupt metadata"):
        load_index(path)


def test_query_encoder_of_another_dimension_is_refused(tmp_path):
    idx = build_index(list(DOCS), TableEncoder(DOCS), kind="flat", out_dir=tmp_path / "idx")
    wide = TableEncoder({"q": [1, 0, 0, 0, 0]})
    with pytest.raises(LiraIndexError, match="dimension 5 but the index .* holds dimension 3"):
        search(tmp_path / "idx", "q", wide)
    with pytest.raises(LiraIndexError):
        idx.search_vectors(np.ones((1, 4), dtype=np.float32))


def test_bad_parameters_fail_before_encoding():
    enc = TableEncoder(DOCS)
    with pytest.raises(ValueError, match="does not take"):
        build_index(list(DOCS), enc, kind="flat", nlist=4)
    with pytest.raises(ValueError, match="unknown index kind"):
        build_index(list(DOCS), enc, kind="lsh")
    with pytest.raises(ValueError, match="larger than the number of vectors"):
        build_index(list(DOCS), enc, kind="ivf", nlist=10)
    assert enc.calls == []
    with pytest.raises(ValueError, match="unique"):
        build_index(["north", "east"], enc, ids=[1, 1])


def test_cli_build_and_search_with_a_real_model(tiny_models, tmp_path):
    import typer
    from typer.testing import CliRunner

    from lira.cli_index import index_app, search_command

    app = typer.Typer()
    app.add_typer(index_app, name="index")
    app.command("search")(search_command)
    docs = tmp_path / "docs.jsonl"
    rows = [{"id": f"p{i}", "text": t, "lang": lg} for i, (_, t, lg) in enumerate([
        ("", "Close all tabs.", "ms"), ("", "Mở cửa sổ mới.", "vi"), ("", "Search the web.", "en"), ("", "Print this page.", "en"),
    ])]
    docs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["index", "build", "--model", tiny_models["student"], "--input", str(docs), "--out", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text())
    assert meta["model"] == tiny_models["student"] and meta["count"] == 4 and meta["dim"] == 32
    # the model recorded in the index is used when --model is not given; a document finds itself
    result = runner.invoke(app, ["search", "--index", str(tmp_path / "idx"), "--query", "Search the web.", "-q", "Close all tabs.", "--k", "2", "--json"])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [o["query"] for o in out] == ["Search the web.", "Close all tabs."]
    assert all(len(o["hits"]) == 2 for o in out)
    assert [o["hits"][0]["id"] for o in out] == ["p2", "p0"]  # each query's own document comes first
    assert all(o["hits"][0]["score"] > o["hits"][1]["score"] for o in out)
    # plain-text input, ivf with explicit parameters; a stray hnsw flag is refused
    txt = tmp_path / "docs.txt"
    txt.write_text("\n".join(f"document number {i}" for i in range(60)) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["index", "build", "--model", tiny_models["student"], "--input", str(txt), "--out", str(tmp_path / "ivf"), "--kind", "ivf", "--nlist", "2", "--m", "4"])
    assert result.exit_code != 0 and "--m" in result.output
    result = runner.invoke(app, ["index", "build", "--model", tiny_models["student"], "--input", str(txt), "--out", str(tmp_path / "ivf"), "--kind", "ivf", "--nlist", "2", "--nprobe", "2"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["search", "--index", str(tmp_path / "nope"), "--query", "x"])
    assert result.exit_code == 1 and "no such index folder" in result.output


def test_query_encoder_of_another_model_is_refused_even_at_the_same_dimension(tiny_models, tmp_path):
    from lira.index.faiss_index import ModelMismatchWarning
    from lira.models.encoders import load_encoder

    student, teacher = load_encoder(tiny_models["student"]), load_encoder(tiny_models["teacher"])
    build_index(["Close all tabs.", "Search the web."], student, out_dir=tmp_path / "idx", model_name="student")
    assert student.encode(["x"]).shape == teacher.encode(["x"]).shape  # same width: only the fingerprint tells
    with pytest.raises(LiraIndexError, match=r"query encoder SentenceTransformerEncoder \(fingerprint \w+\) is not the model .* \(student, fingerprint \w+\); they differ in .*weights") as err:
        search(tmp_path / "idx", "Search the web.", teacher)
    assert "\n" not in str(err.value)
    with pytest.warns(ModelMismatchWarning, match="searching anyway"):
        assert len(search(tmp_path / "idx", "Search the web.", teacher, k=1, allow_model_mismatch=True)) == 1
    assert search(tmp_path / "idx", "Search the web.", student, k=1)[0].text == "Search the web."
    # by name: the same folder loaded again is the same model
    assert search(tmp_path / "idx", "Search the web.", tiny_models["student"], k=1)[0].text == "Search the web."


def test_a_model_saved_elsewhere_and_loaded_again_keeps_its_fingerprint(tiny_models, tmp_path):
    import torch

    from lira.arca.model import ArcaEncoder
    from lira.config import ModelConfig

    model = ArcaEncoder.from_student(tiny_models["student"], ModelConfig(agents=["transformer", "char_ngram"]))
    idx = build_index(["Close all tabs.", "Search the web."], model, out_dir=tmp_path / "idx")
    assert idx.meta["fingerprint"]["id"] == model.fingerprint()["id"]
    from lira.eval.base import CachingEncoder
    from lira.models.fingerprint import encoder_fingerprint

    assert encoder_fingerprint(CachingEncoder(model)) == model.fingerprint()
    model.save(tmp_path / "a")
    ArcaEncoder.load(tmp_path / "a").save(tmp_path / "b")
    again = ArcaEncoder.load(tmp_path / "b")
    assert search(tmp_path / "idx", "Search the web.", again, k=1)[0].text == "Search the web."
    with torch.no_grad():
        again.fusion.gate.bias.add_(0.1)  # trained a little further in place: another model
    with pytest.raises(LiraIndexError, match="differ in weights"):
        search(tmp_path / "idx", "Search the web.", again)


def test_fingerprint_is_computed_once_per_loaded_model(tiny_models, monkeypatch):
    from lira.models import fingerprint
    from lira.models.encoders import load_encoder

    calls = []
    real = fingerprint.tensors_digest
    monkeypatch.setattr(fingerprint, "tensors_digest", lambda named: calls.append(1) or real(named))
    enc = load_encoder(tiny_models["student"])
    idx = build_index(["Close all tabs.", "Search the web."], enc)
    for _ in range(3):
        search(idx, "Search the web.", enc)
    assert len(calls) == 1


def test_cli_search_refuses_another_model_unless_allowed(tiny_models, tmp_path):
    import typer
    from typer.testing import CliRunner

    from lira.cli_index import index_app, search_command

    app = typer.Typer()
    app.add_typer(index_app, name="index")
    app.command("search")(search_command)
    docs = tmp_path / "docs.txt"
    docs.write_text("Close all tabs.\nSearch the web.\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["index", "build", "--model", tiny_models["student"], "--input", str(docs), "--out", str(tmp_path / "idx")]).exit_code == 0
    args = ["search", "--index", str(tmp_path / "idx"), "-q", "Search the web.", "--json", "--model", tiny_models["teacher"]]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if x.startswith("error:"))
    assert tiny_models["teacher"] in line and tiny_models["student"] in line and "--allow-model-mismatch" in line
    result = runner.invoke(app, [*args, "--allow-model-mismatch"])
    assert result.exit_code == 0, result.output
    assert any(x.startswith("warning: query encoder") for x in result.output.splitlines())


# ------------------------------------------------------------------ the BM25 side and hybrid search


def test_an_index_with_a_bm25_side_round_trips_and_fuses(tmp_path):
    pytest.importorskip("bm25s")
    from lira.eval import fusion

    docs = {"red cotton shirt": [1, 0, 0], "blue shirt": [0, 1, 0], "red shoes": [0.7, 0.7, 0], "green hat": [0, 0, 1]}
    enc = TableEncoder({**docs, "red shirt": [0.1, 1, 0.05]})
    texts = list(docs)
    built = build_index(texts, enc, kind="flat", out_dir=tmp_path / "idx", bm25=True, hybrid_weight=0.25)
    assert built.has_bm25 and (tmp_path / "idx" / "bm25").is_dir()
    loaded = load_index(tmp_path / "idx")
    assert loaded.has_bm25 and loaded.meta["bm25"]["weight"] == 0.25
    np.testing.assert_allclose(loaded.bm25_scores(["red shirt"]), built.bm25_scores(["red shirt"]))
    bm = loaded.bm25_scores(["red shirt"])[0]
    assert bm[3] == 0 and (bm[[0, 1, 2]] > 0).all()  # "green hat" shares no word
    # dense alone ranks "blue shirt" first; the fused rankings are the fusion functions' own
    assert search(loaded, "red shirt", enc, k=1)[0].text == "blue shirt"
    q = np.asarray([[0.1, 1, 0.05]], dtype=np.float32)
    d_scores, d_rows = loaded.search_vectors(q, 4)
    dense = (d_rows[0], d_scores[0].astype(np.float64))
    sparse = fusion.top_list(bm, positive_only=True)
    for method, weight in (("rrf", None), ("weighted", 0.25)):
        expected = fusion.fuse(method, dense, sparse, weight=weight)
        hits = search(loaded, "red shirt", enc, k=4, hybrid=method)  # weighted: the index's stored weight
        assert [h.text for h in hits] == [texts[r] for r, _ in sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))]
        np.testing.assert_allclose([h.score for h in hits], sorted(expected.values(), reverse=True))
    assert search(loaded, "red shirt", enc, k=1, hybrid="weighted", weight=0.0)[0].text in ("red cotton shirt", "red shoes")
    # a language filter applies to both sides
    plain = build_index(texts, enc, kind="flat", out_dir=tmp_path / "plain", langs=["en", "en", "th", "en"])
    with pytest.raises(LiraIndexError, match="no BM25 side"):
        search(tmp_path / "plain", "red shirt", enc, hybrid="rrf")
    assert not plain.has_bm25
    # a folder whose meta names a BM25 side that is gone is refused
    import shutil

    shutil.rmtree(tmp_path / "idx" / "bm25")
    with pytest.raises(LiraIndexError, match="BM25"):
        load_index(tmp_path / "idx")


def test_cli_search_hybrid_returns_fused_results(tiny_models, tmp_path):
    pytest.importorskip("bm25s")
    from typer.testing import CliRunner

    from lira.cli import app

    docs = tmp_path / "docs.txt"
    docs.write_text("Search the web.\nClose all tabs.\nOpen a new window.\nPrint this page.\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["index", "build", "--model", tiny_models["student"], "--input", str(docs), "--out", str(tmp_path / "idx"), "--lang", "en", "--bm25"])
    assert result.exit_code == 0, result.output
    assert "bm25: yes" in result.output
    for extra in (["--hybrid", "rrf"], ["--hybrid", "weighted", "--weight", "0.2"]):
        result = runner.invoke(app, ["search", "--index", str(tmp_path / "idx"), "-q", "close tabs", "--k", "2", "--json", *extra])
        assert result.exit_code == 0, result.output
        row = next(json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))
        assert len(row["hits"]) == 2 and row["hits"][0]["text"] == "Close all tabs."  # BM25's side finds it
    assert runner.invoke(app, ["search", "--index", str(tmp_path / "idx"), "-q", "x", "--hybrid", "bogus"]).exit_code != 0
    assert runner.invoke(app, ["index", "build", "--model", tiny_models["student"], "--input", str(docs), "--out", str(tmp_path / "p"), "--lang", "en"]).exit_code == 0
    result = runner.invoke(app, ["search", "--index", str(tmp_path / "p"), "-q", "close tabs", "--hybrid", "rrf"])
    assert result.exit_code == 1 and "no BM25 side" in result.output


def _lexicon_query(lang, concepts):
    """A query in ``lang`` made of the lexicon's own words for ``concepts``, and their English words."""
    from lira.data.products.lexicon import english, load_lexicon

    lex = load_lexicon()
    return " ".join(lex.word(c, lang).text for c in concepts), [english(c) for c in concepts]


def test_translate_query_gives_the_bm25_side_the_lexicon_translation(tmp_path):
    pytest.importorskip("bm25s")
    from lira.eval.products import simple_tokenize

    query, words = _lexicon_query("ur", ["colour/red", "category/camera"])  # "Red", "Camera"
    assert not set(simple_tokenize(query)) & {"red", "camera"}  # nothing in common with English as typed
    docs = {f"{words[0]} {words[1]}": [0.7, 0.7, 0], "Blue shirt": [0, 1, 0], "Green hat": [0, 0, 1], "Black chair": [1, 0, 0]}
    right = f"{words[0]} {words[1]}"
    enc = TableEncoder({**docs, query: [0.1, 1, 0]})  # dense alone ranks "Blue shirt" first, the right one second
    idx = build_index(list(docs), enc, kind="flat", out_dir=tmp_path / "idx", bm25=True)
    assert faiss_index.translate_queries([query], "ur") == [f"{words[0]} {words[1]}"]
    assert idx.bm25_scores([query]).max() == 0  # the untranslated BM25 side finds nothing
    translated = idx.bm25_scores(faiss_index.translate_queries([query], "ur"))[0]
    assert translated.argmax() == list(docs).index(right) and (translated > 0).sum() == 1
    assert search(idx, query, enc, k=1)[0].text == "Blue shirt"
    for method in ("rrf", "weighted"):
        assert search(idx, query, enc, k=1, hybrid=method)[0].text == "Blue shirt"  # BM25 adds nothing untranslated
        hits = search(idx, [query], enc, k=2, hybrid=method, translate_query="ur")[0]
        assert hits[0].text == right
    assert enc.calls[-1]["prompt_name"] == "query"  # the dense side still encoded the query as typed (a table hit)
    with pytest.raises(ValueError, match="covers .*ur"):
        search(idx, query, enc, hybrid="rrf", translate_query="xx")
    with pytest.raises(ValueError, match="needs hybrid"):
        search(idx, query, enc, translate_query="ur")
    assert "en" not in faiss_index.translation_languages() and "ur" in faiss_index.translation_languages()


def test_cli_search_translate_query(tiny_models, tmp_path):
    pytest.importorskip("bm25s")
    from typer.testing import CliRunner

    from lira.cli import app

    query, words = _lexicon_query("ur", ["colour/red", "category/camera"])
    docs = tmp_path / "docs.txt"
    docs.write_text(f"Blue shirt\nGreen hat\n{words[0]} {words[1]}\nBlack chair\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["index", "build", "--model", tiny_models["student"], "--input", str(docs), "--out", str(tmp_path / "idx"), "--lang", "en", "--bm25"])
    assert result.exit_code == 0, result.output
    search_args = ["search", "--index", str(tmp_path / "idx"), "-q", query, "--k", "2", "--json", "--hybrid", "rrf"]
    result = runner.invoke(app, [*search_args, "--translate-query", "ur"])
    assert result.exit_code == 0, result.output
    row = next(json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))
    assert row["query"] == query and row["bm25_query"] == f"{words[0]} {words[1]}"
    assert row["hits"][0]["text"] == f"{words[0]} {words[1]}"
    result = runner.invoke(app, search_args)  # untranslated: no bm25_query, BM25 finds nothing
    row = next(json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))
    assert "bm25_query" not in row
    # a table shows what the BM25 side searched
    result = runner.invoke(app, [a for a in search_args if a != "--json"] + ["--translate-query", "ur"], terminal_width=400)
    assert result.exit_code == 0 and f"{words[0]} {words[1]}" in result.output
    # errors: a language the lexicon does not cover (the covered ones listed), and no --hybrid
    result = runner.invoke(app, [*search_args, "--translate-query", "xx"])
    assert result.exit_code == 2 and "--translate-query" in result.output and "'xx'" in result.output
    assert all(lang in result.output for lang in faiss_index.translation_languages())
    result = runner.invoke(app, ["search", "--index", str(tmp_path / "idx"), "-q", query, "--translate-query", "ur"])
    assert result.exit_code == 2 and "--translate-query" in result.output and "--hybrid" in result.output
