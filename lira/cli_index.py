"""``lira index build`` and ``lira search``: FAISS indexes over a model's embeddings.

Registered in ``lira.cli`` as::

    from lira.cli_index import index_app, search_command
    app.add_typer(index_app, name="index")
    app.command("search")(search_command)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console
from rich.table import Table

index_app = typer.Typer(help="Vector indexes (FAISS) over a model's embeddings.", no_args_is_help=True)
console = Console()


def read_documents(path: Path, default_lang: Optional[str] = None) -> tuple[list[str], list[Any], list[Optional[str]]]:
    """Texts, ids and languages from a ``.jsonl`` file (``text`` required, ``id``/``lang`` optional)
    or any other file read as plain text, one document per non-empty line."""
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file", param_hint="--input")
    texts: list[str] = []
    ids: list[Any] = []
    langs: list[Optional[str]] = []
    is_jsonl = path.suffix.lower() in {".jsonl", ".ndjson"}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                continue
            if is_jsonl:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise typer.BadParameter(f"{path}:{lineno}: not valid JSON ({err})", param_hint="--input") from err
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise typer.BadParameter(f"{path}:{lineno}: each line needs a string field 'text'", param_hint="--input")
                texts.append(row["text"])
                ids.append(row.get("id", len(ids)))
                langs.append(row.get("lang", default_lang))
            else:
                texts.append(line)
                ids.append(len(ids))
                langs.append(default_lang)
    if not texts:
        raise typer.BadParameter(f"{path}: no documents", param_hint="--input")
    if len({json.dumps(i) for i in ids}) != len(ids):
        raise typer.BadParameter(f"{path}: duplicate ids", param_hint="--input")
    return texts, ids, langs


@index_app.command("build")
def build_command(
    model: str = typer.Option(..., help="A LiRA model folder, a sentence-transformers folder, offline:<name> or a hub id."),
    input: Path = typer.Option(..., "--input", help="Documents: .jsonl with text[,id,lang], or plain text, one per line."),
    out: Path = typer.Option(..., help="Index folder to write (replaced atomically if it exists)."),
    kind: str = typer.Option("flat", help="flat (exact), ivf or hnsw."),
    nlist: Optional[int] = typer.Option(None, help="ivf: number of inverted lists (default ~4 sqrt(n))."),
    nprobe: Optional[int] = typer.Option(None, help="ivf: lists searched per query (default min(nlist, 16))."),
    m: Optional[int] = typer.Option(None, "--m", help="hnsw: links per node (default 32)."),
    ef_construction: Optional[int] = typer.Option(None, help="hnsw: build-time beam (default 100)."),
    ef_search: Optional[int] = typer.Option(None, help="hnsw: search-time beam (default 64)."),
    lang: Optional[str] = typer.Option(None, help="Language of documents that do not give one (default: identified per document, lira.langid)."),
    batch_size: int = typer.Option(64, help="Encoding batch size."),
    device: Optional[str] = typer.Option(None, help="cpu, cuda, ... (default cpu)."),
    bm25: bool = typer.Option(False, "--bm25", help="Also store a BM25 side (bm25s, lira[bm25]) for `lira search --hybrid`."),
    hybrid_weight: Optional[float] = typer.Option(None, help="With --bm25: the default weight (dense side, 0..1) of `lira search --hybrid weighted`, e.g. one chosen on a dev set."),
) -> None:
    """Encode documents with MODEL and write a FAISS index folder."""
    from lira.index.faiss_index import build_index

    texts, ids, langs = read_documents(input, lang)
    params = {"flat": {}, "ivf": {"nlist": nlist, "nprobe": nprobe}, "hnsw": {"m": m, "ef_construction": ef_construction, "ef_search": ef_search}}
    if kind not in params:
        raise typer.BadParameter(f"choose flat, ivf or hnsw, not {kind!r}", param_hint="--kind")
    given = {"nlist": nlist, "nprobe": nprobe, "m": m, "ef_construction": ef_construction, "ef_search": ef_search}
    stray = [k for k, v in given.items() if v is not None and k not in params[kind]]
    if stray:
        raise typer.BadParameter(f"--kind {kind} does not take {', '.join('--' + s.replace('_', '-') for s in stray)}")
    has_lang = any(x is not None for x in langs)
    if hybrid_weight is not None and not bm25:
        raise typer.BadParameter("--hybrid-weight needs --bm25", param_hint="--hybrid-weight")
    try:
        index = build_index(
            texts, model, kind=kind, out_dir=out, ids=ids, langs=langs if has_lang else None,
            batch_size=batch_size, show_progress_bar=True, device=device, bm25=bm25, hybrid_weight=hybrid_weight, **params[kind],
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    meta = index.meta
    console.print(f"index: {out}  kind: {meta['kind']}  documents: {meta['count']}  dim: {meta['dim']}  params: {json.dumps(meta['params'])}"
                  + ("  bm25: yes" if index.has_bm25 else ""))


def search_command(
    index: Path = typer.Option(..., help="An index folder written by `lira index build`."),
    model: Optional[str] = typer.Option(None, help="Query encoder (default: the model the index was built with)."),
    query: Optional[List[str]] = typer.Option(None, "--query", "-q", help="A query; repeat for several."),
    queries: Optional[Path] = typer.Option(None, help="A file of queries, one per line."),
    k: int = typer.Option(10, "-k", "--k", help="Hits per query."),
    lang: Optional[str] = typer.Option(None, help="Language of the queries, for language-aware LiRA models (default: identified per query)."),
    doc_lang: Optional[str] = typer.Option(None, help="Only return documents of this language."),
    nprobe: Optional[int] = typer.Option(None, help="ivf: override the index's nprobe."),
    ef_search: Optional[int] = typer.Option(None, help="hnsw: override the index's efSearch."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per query instead of tables."),
    device: Optional[str] = typer.Option(None, help="cpu, cuda, ..."),
    allow_model_mismatch: bool = typer.Option(False, "--allow-model-mismatch", help="Search even if --model is not the model that built the index (a warning)."),
    hybrid: Optional[str] = typer.Option(None, help="Fuse with the index's BM25 side (built with --bm25): rrf (reciprocal-rank fusion) or weighted (min-max normalised scores)."),
    weight: Optional[float] = typer.Option(None, help="--hybrid weighted: weight of the dense side, 0..1 (default: the index's --hybrid-weight, else 0.5)."),
    depth: int = typer.Option(100, help="--hybrid: how many of each ranking are fused."),
    translate_query: Optional[str] = typer.Option(None, "--translate-query", metavar="LANG", help="--hybrid: the queries' language; the BM25 side searches them translated word by word into English with the product lexicon (cross-lingual search of an English catalogue), the dense side as typed."),
) -> None:
    """Search an index: the top-k documents for each query (dense, or fused with BM25 by --hybrid)."""
    import warnings

    from lira.index.faiss_index import LiraIndexError, ModelMismatchWarning, load_index, search, translate_queries

    texts = list(query or [])
    if queries is not None:
        if not queries.is_file():
            raise typer.BadParameter(f"{queries}: no such file", param_hint="--queries")
        texts += [line.strip() for line in queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise typer.BadParameter("give at least one --query or a --queries file")
    if hybrid is not None and hybrid not in ("rrf", "weighted"):
        raise typer.BadParameter(f"choose rrf or weighted, not {hybrid!r}", param_hint="--hybrid")
    if weight is not None and (hybrid != "weighted" or not 0.0 <= weight <= 1.0):
        raise typer.BadParameter("--weight is a number in [0, 1] for --hybrid weighted", param_hint="--weight")
    bm25_texts: Optional[list[str]] = None
    if translate_query is not None:
        if hybrid is None:
            raise typer.BadParameter("--translate-query sets the query of the BM25 side: it needs --hybrid rrf or weighted", param_hint="--translate-query")
        try:
            bm25_texts = translate_queries(texts, translate_query)  # what the BM25 side searches, shown per query
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--translate-query") from err
    try:
        idx = load_index(index)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ModelMismatchWarning)
            results = search(
                idx, texts, model, k=k, lang=lang, doc_lang=doc_lang, nprobe=nprobe, ef_search=ef_search, device=device,
                allow_model_mismatch=allow_model_mismatch, hybrid=hybrid, weight=weight, depth=depth, translate_query=translate_query,
            )
    except LiraIndexError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=1) from err
    for warning in caught:
        typer.echo(f"warning: {warning.message}", err=True)
    for i, (text, hits) in enumerate(zip(texts, results)):
        bm25_text = bm25_texts[i] if bm25_texts is not None else None
        if as_json:
            row: dict[str, Any] = {"query": text}
            if bm25_text is not None:
                row["bm25_query"] = bm25_text
            typer.echo(json.dumps({**row, "hits": [h.to_dict() for h in hits]}, ensure_ascii=False))
            continue
        table = Table(title=f"query: {text}" + (f"  (hybrid: {hybrid})" if hybrid else "")
                      + (f"\nBM25 query ({translate_query} -> en): {bm25_text}" if bm25_text is not None else ""))
        for column in ("rank", "score", "id", "lang", "text"):
            table.add_column(column, justify="right" if column in {"rank", "score"} else "left")
        for rank, hit in enumerate(hits, 1):
            table.add_row(str(rank), f"{hit.score:.4f}", str(hit.id), hit.lang or "", hit.text)
        console.print(table)
