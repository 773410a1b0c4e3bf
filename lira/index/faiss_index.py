"""FAISS vector indexes over L2-normalised embeddings (inner product = cosine).

An index folder holds three files, written together and atomically (a temp folder renamed
into place, so a reader never sees a half-written index):

* ``index.faiss`` - the FAISS index (``flat``: exact ``IndexFlatIP``; ``ivf``: ``IndexIVFFlat``
  with ``nlist`` inverted lists, ``nprobe`` searched; ``hnsw``: ``IndexHNSWFlat`` with ``m``
  links per node, ``ef_construction`` and ``ef_search``; all with the inner-product metric);
* ``docs.jsonl`` - one ``{"id", "text", "lang"}`` object per indexed row, in index order;
* ``meta.json`` - model name and fingerprint, kind, parameters, dimension, count, the prompts used;
* ``bm25/`` - only for an index built with ``bm25=True`` (``lira index build --bm25``): its BM25
  side, a ``bm25s`` index over the same documents' ``lira.eval.products.simple_tokenize`` tokens
  (``meta["bm25"]`` records the package version, tokenizer, ``k1``, ``b`` and an optional default
  hybrid weight). ``search(..., hybrid="rrf" | "weighted")`` fuses it with the dense ranking
  (``lira.eval.fusion``, the functions the product evaluation uses); with ``translate_query=LANG``
  the BM25 side scores the query translated word by word from LANG with the shipped product lexicon
  (``translate_queries``, ``lira.eval.lexical.default_translator``) while the dense side encodes it
  as typed: cross-lingual search against a catalogue in English.

The fingerprint (``lira.models.fingerprint``: a digest of the model's weights, prompts, pooling,
normalisation and length) is what ``search`` checks a query encoder against: a query encoded by
another model of the same width would otherwise be answered, silently and wrongly.

``build_index`` encodes texts with any LiRA ``Encoder`` (or a model name for
``lira.models.encoders.load_encoder``); ``load_index`` opens a folder; ``search`` encodes queries
and returns ``Hit`` rows. ``build_faiss`` / ``LiraIndex.search_vectors`` are the vector-level
layer used by ``benchmarks/bench_faiss.py``.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from lira.io import atomic_directory
from lira.models.fingerprint import differences, encoder_fingerprint

INDEX_FILE = "index.faiss"
DOCS_FILE = "docs.jsonl"
META_FILE = "meta.json"
BM25_DIR = "bm25"
DEFAULT_HYBRID_WEIGHT = 0.5  # weighted fusion when neither the call nor the index gives a weight
FORMAT = "lira-index/1"
KINDS = ("flat", "ivf", "hnsw")

#: Parameters each kind accepts, with their defaults (``None``: chosen from the data size).
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "flat": {},
    "ivf": {"nlist": None, "nprobe": None, "train_size": None},
    "hnsw": {"m": 32, "ef_construction": 100, "ef_search": 64},
}


class LiraIndexError(ValueError):
    """An index folder that is missing, incomplete or corrupt, or a query that does not fit it."""


class ModelMismatchWarning(UserWarning):
    """Queries encoded by another model than the index's, searched anyway (``allow_model_mismatch``)."""


@dataclass
class Hit:
    id: Any
    text: str
    score: float
    lang: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _faiss():
    try:
        import faiss  # noqa: PLC0415
    except ImportError as err:  # pragma: no cover - declared dependency
        raise ImportError("lira.index needs faiss: pip install faiss-cpu") from err
    return faiss


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """float32, C-contiguous, unit rows (zero rows stay zero)."""
    x = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if x.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, 1e-12), dtype=np.float32)


def resolve_params(kind: str, n: int, **params: Any) -> dict[str, Any]:
    """Fill a kind's defaults; unknown parameters are an error naming the known ones."""
    if kind not in KINDS:
        raise ValueError(f"unknown index kind {kind!r}; choose from {', '.join(KINDS)}")
    known = DEFAULT_PARAMS[kind]
    params = {k: v for k, v in params.items() if v is not None}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"index kind {kind!r} does not take {unknown}; it takes {sorted(known) or 'no parameters'}")
    out = {**known, **params}
    if kind == "ivf":
        if out["nlist"] is None:
            # ~4 sqrt(n) lists, but at least 39 training points per list (FAISS's k-means floor).
            out["nlist"] = int(max(1, min(round(4 * math.sqrt(max(n, 1))), n // 39 if n >= 39 else 1)))
        if out["nprobe"] is None:
            out["nprobe"] = int(min(out["nlist"], 16))
        if out["train_size"] is None:
            out["train_size"] = int(min(n, max(256 * out["nlist"], 10_000)))
        for key in ("nlist", "nprobe", "train_size"):
            if int(out[key]) < 1:
                raise ValueError(f"ivf {key} must be >= 1, got {out[key]}")
            out[key] = int(out[key])
        if out["nlist"] > n:
            raise ValueError(f"ivf nlist={out['nlist']} is larger than the number of vectors ({n}); use fewer lists or kind='flat'")
    if kind == "hnsw":
        for key in ("m", "ef_construction", "ef_search"):
            if int(out[key]) < 1:
                raise ValueError(f"hnsw {key} must be >= 1, got {out[key]}")
            out[key] = int(out[key])
    return out


def build_faiss(vectors: np.ndarray, kind: str = "flat", *, seed: int = 1234, **params: Any):
    """A FAISS index (inner product) over ``vectors`` (normalised here); returns ``(index, params)``."""
    faiss = _faiss()
    x = normalize_rows(vectors)
    n, dim = x.shape
    if n == 0:
        raise ValueError("cannot build an index over zero vectors")
    params = resolve_params(kind, n, **params)
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "ivf":
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, params["nlist"], faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        rng = np.random.default_rng(seed)
        sample = x if params["train_size"] >= n else x[np.sort(rng.choice(n, params["train_size"], replace=False))]
        # FAISS subsamples to 256 points per list itself; we already did, keep it quiet.
        index.cp.max_points_per_centroid = max(256, math.ceil(len(sample) / params["nlist"]))
        index.train(sample)
        index.nprobe = params["nprobe"]
    else:
        index = faiss.IndexHNSWFlat(dim, params["m"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params["ef_construction"]
        index.hnsw.efSearch = params["ef_search"]
    index.add(x)
    return index, params


def _search_parameters(index, kind: str, params: dict[str, Any], selector=None, nprobe: int | None = None, ef_search: int | None = None):
    faiss = _faiss()
    if kind == "ivf":
        return faiss.SearchParametersIVF(sel=selector, nprobe=int(nprobe or params["nprobe"]))
    if kind == "hnsw":
        return faiss.SearchParametersHNSW(sel=selector, efSearch=int(ef_search or params["ef_search"]))
    return faiss.SearchParameters(sel=selector) if selector is not None else None


class LiraIndex:
    """A loaded (or freshly built) index: the FAISS object, the documents and the metadata."""

    def __init__(self, index, docs: list[dict[str, Any]], meta: dict[str, Any], path: Path | None = None) -> None:
        self.index = index
        self.docs = docs
        self.meta = meta
        self.path = path
        self._lang_rows: dict[str, np.ndarray] | None = None
        self._bm25 = None  # the bm25s retriever, built or loaded on first use

    # -- the BM25 side ---------------------------------------------------------------------
    @property
    def has_bm25(self) -> bool:
        return bool(self.meta.get("bm25"))

    def build_bm25(self, *, k1: float = 1.5, b: float = 0.75, weight: float | None = None) -> None:
        """Give the index a BM25 side over its documents' texts (saved with it by ``save``)."""
        import bm25s  # noqa: PLC0415

        from lira.eval.products import simple_tokenize  # noqa: PLC0415

        if weight is not None and not 0.0 <= weight <= 1.0:
            raise ValueError(f"hybrid weight must be in [0, 1], got {weight}")
        retriever = bm25s.BM25(k1=k1, b=b)
        retriever.index([simple_tokenize(d.get("text", "")) or ["\u2205"] for d in self.docs], show_progress=False)
        self._bm25 = retriever
        self.meta["bm25"] = {"package": "bm25s", "version": getattr(bm25s, "__version__", "unknown"),
                             "tokenizer": "lira.eval.products.simple_tokenize", "k1": k1, "b": b, "folder": BM25_DIR, "weight": weight}

    def _bm25_retriever(self):
        if self._bm25 is None:
            if not self.has_bm25:
                raise LiraIndexError(f"the index{f' at {self.path}' if self.path else ''} has no BM25 side; rebuild it with `lira index build --bm25` (bm25=True)")
            import bm25s  # noqa: PLC0415

            self._bm25 = bm25s.BM25.load(str(Path(self.path) / BM25_DIR), show_progress=False)
        return self._bm25

    def bm25_scores(self, queries: Sequence[str], *, doc_lang: str | None = None) -> np.ndarray:
        """``(len(queries), len(index))`` BM25 scores; with ``doc_lang`` other languages' documents score 0."""
        from lira.eval.products import simple_tokenize  # noqa: PLC0415

        retriever = self._bm25_retriever()
        out = np.zeros((len(queries), len(self.docs)), dtype=np.float64)
        for i, q in enumerate(queries):
            out[i] = np.asarray(retriever.get_scores(simple_tokenize(q) or ["\u2205"]), dtype=np.float64)
        if doc_lang is not None:
            mask = np.zeros(len(self.docs), dtype=bool)
            mask[self._rows_for_lang(doc_lang)] = True
            out[:, ~mask] = 0.0
        return out

    def hybrid_search(self, query_vectors: np.ndarray, query_texts: Sequence[str], k: int = 10, *, method: str = "rrf",
                      weight: float | None = None, depth: int = 100, doc_lang: str | None = None,
                      nprobe: int | None = None, ef_search: int | None = None) -> list[list[Hit]]:
        """Dense top ``depth`` and BM25 top ``depth`` fused by ``method`` (``lira.eval.fusion``); the
        ``k`` best by fused score. ``weight`` (weighted fusion, on the dense side): the call's, else
        the index's (``meta["bm25"]["weight"]``), else ``DEFAULT_HYBRID_WEIGHT``."""
        from lira.eval import fusion  # noqa: PLC0415

        if method not in fusion.METHODS:
            raise ValueError(f"unknown hybrid method {method!r}; choose from {', '.join(fusion.METHODS)}")
        if method == "weighted" and weight is None:
            weight = (self.meta.get("bm25") or {}).get("weight")
            weight = DEFAULT_HYBRID_WEIGHT if weight is None else float(weight)
        sparse = self.bm25_scores(query_texts, doc_lang=doc_lang)
        d_scores, d_rows = self.search_vectors(query_vectors, min(max(depth, k), len(self.docs)), doc_lang=doc_lang, nprobe=nprobe, ef_search=ef_search)
        out: list[list[Hit]] = []
        for srow, rrow, bm in zip(d_scores, d_rows, sparse):
            keep = rrow >= 0
            fused = fusion.fuse(method, (rrow[keep], srow[keep].astype(np.float64)), fusion.top_list(bm, depth, positive_only=True), weight=weight)
            ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
            out.append([Hit(id=self.docs[r].get("id"), text=self.docs[r].get("text", ""), score=float(v), lang=self.docs[r].get("lang")) for r, v in ranked])
        return out

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def dim(self) -> int:
        return int(self.meta["dim"])

    def __len__(self) -> int:
        return len(self.docs)

    def _rows_for_lang(self, lang: str) -> np.ndarray:
        if self._lang_rows is None:
            by_lang: dict[str, list[int]] = {}
            for i, doc in enumerate(self.docs):
                by_lang.setdefault(str(doc.get("lang")), []).append(i)
            self._lang_rows = {k: np.asarray(v, dtype=np.int64) for k, v in by_lang.items()}
        return self._lang_rows.get(lang, np.zeros(0, dtype=np.int64))

    def search_vectors(
        self,
        queries: np.ndarray,
        k: int = 10,
        *,
        doc_lang: str | None = None,
        nprobe: int | None = None,
        ef_search: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Raw FAISS search: ``(scores, rows)`` of shape ``(n_queries, k)``; row -1 = no hit.

        ``doc_lang`` restricts the search to documents of that language (an ID selector, so the
        top-k are the best *of that language*, not a post-filtered global top-k).
        """
        q = normalize_rows(queries)
        if q.shape[1] != self.dim:
            raise LiraIndexError(
                f"query vectors have dimension {q.shape[1]} but the index{f' at {self.path}' if self.path else ''} holds "
                f"dimension {self.dim} (built with model {self.meta.get('model')!r}); encode queries with the same model"
            )
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        selector = None
        if doc_lang is not None:
            rows = self._rows_for_lang(doc_lang)
            if len(rows) == 0:
                return np.full((len(q), k), -np.inf, dtype=np.float32), np.full((len(q), k), -1, dtype=np.int64)
            selector = _faiss().IDSelectorBatch(rows)
        params = _search_parameters(self.index, self.kind, self.meta["params"], selector, nprobe, ef_search)
        if params is None:
            scores, rows = self.index.search(q, k)
        else:
            scores, rows = self.index.search(q, k, params=params)
        return scores, rows

    def check_encoder(self, fingerprint: dict[str, Any] | None, name: str, *, allow_mismatch: bool = False) -> None:
        """Refuse (``LiraIndexError``) a query encoder whose fingerprint is not the index's; with
        ``allow_mismatch`` warn instead. An index without a fingerprint (built from bare vectors, or
        before fingerprints) checks nothing; an encoder without one gets a warning."""
        built = self.meta.get("fingerprint")
        if not built:
            return
        where = f" at {self.path}" if self.path else ""
        if fingerprint is None:
            warnings.warn(f"query encoder {name} has no fingerprint; cannot check it is the model that built the index{where}", ModelMismatchWarning, stacklevel=3)
            return
        if fingerprint.get("id") == built.get("id"):
            return
        message = (
            f"query encoder {name} (fingerprint {fingerprint.get('id')}) is not the model that built the index{where} "
            f"({self.meta.get('model')}, fingerprint {built.get('id')}); they differ in {', '.join(differences(fingerprint, built)) or 'format'}"
        )
        if not allow_mismatch:
            raise LiraIndexError(f"{message}; encode queries with that model, or allow the mismatch (--allow-model-mismatch, allow_model_mismatch=True)")
        warnings.warn(f"{message}; searching anyway", ModelMismatchWarning, stacklevel=3)

    def hits(self, scores: np.ndarray, rows: np.ndarray) -> list[list[Hit]]:
        out: list[list[Hit]] = []
        for srow, irow in zip(scores, rows):
            hits = []
            for score, i in zip(srow, irow):
                if i < 0:
                    continue
                doc = self.docs[int(i)]
                hits.append(Hit(id=doc.get("id"), text=doc.get("text", ""), score=float(score), lang=doc.get("lang")))
            out.append(hits)
        return out

    # -- persistence -----------------------------------------------------------------------
    def save(self, out_dir: str | Path) -> Path:
        """Write the three files into a temp folder beside ``out_dir``, then rename it into place."""
        faiss = _faiss()
        out_dir = Path(out_dir)
        with atomic_directory(out_dir) as tmp:
            faiss.write_index(self.index, str(tmp / INDEX_FILE))
            with (tmp / DOCS_FILE).open("w", encoding="utf-8") as fh:
                for doc in self.docs:
                    fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
            (tmp / META_FILE).write_text(json.dumps(self.meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            if self.has_bm25:
                self._bm25_retriever().save(str(tmp / BM25_DIR), show_progress=False)
        self.path = out_dir
        return out_dir


def _plain(value: Any) -> Any:
    """numpy scalars -> Python, so ids serialise to JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _as_texts(texts: Sequence[str] | str) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got a single string")
    return [str(t) for t in texts]


def _resolve_encoder(encoder: Any, device: str | None = None):
    if isinstance(encoder, (str, Path)):
        from lira.models.encoders import load_encoder  # noqa: PLC0415

        return load_encoder(str(encoder), device=device), str(encoder)
    if not hasattr(encoder, "encode"):
        raise TypeError(f"encoder must have an encode() method or be a model name, got {type(encoder).__name__}")
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    if isinstance(encoder, SentenceTransformer):
        from lira.arca.model import SentenceTransformerEncoder  # noqa: PLC0415

        encoder = SentenceTransformerEncoder(encoder)
    # The model name is only known when given as a name; callers can pass ``model_name``.
    return encoder, None


def _encoder_name(encoder: Any, enc: Any) -> str:
    return str(encoder) if isinstance(encoder, (str, Path)) else type(enc).__name__


def _encode(encoder: Any, texts: list[str], *, lang: Any, prompt_name: str | None, batch_size: int, show_progress_bar: bool = False) -> np.ndarray:
    emb = encoder.encode(texts, lang=lang, prompt_name=prompt_name, batch_size=batch_size, show_progress_bar=show_progress_bar)
    return np.asarray(emb, dtype=np.float32)


def build_index(
    texts: Sequence[str],
    encoder: Any,
    kind: str = "flat",
    out_dir: str | Path | None = None,
    ids: Sequence[Any] | None = None,
    langs: Sequence[str | None] | None = None,
    batch_size: int = 64,
    *,
    model_name: str | None = None,
    prompt_name: str | None = "passage",
    query_prompt_name: str | None = "query",
    show_progress_bar: bool = False,
    device: str | None = None,
    identify_langs: bool = True,
    bm25: bool = False,
    hybrid_weight: float | None = None,
    **params: Any,
) -> LiraIndex:
    """Encode ``texts`` and index them; saved to ``out_dir`` when given.

    ``bm25``: also give the index its BM25 side (``LiraIndex.build_bm25``), for ``search(...,
    hybrid=...)``; ``hybrid_weight``: the default weight of weighted fusion stored with it.

    ``encoder``: a LiRA ``Encoder`` (``ArcaEncoder``, ``SentenceTransformerEncoder``, anything with
    ``encode``) or a model name for ``load_encoder`` (recorded in ``meta.json`` so ``search`` can
    reload it). ``langs`` are passed to the encoder (Arca's fusion gate) and stored for filtered
    search; with ``identify_langs`` a document without one gets :func:`lira.langid.identify`'s
    guess, so a mixed-language file needs no language per line (and ``doc_lang`` filters work). ``params``: ``nlist``/``nprobe``/``train_size`` for ivf; ``m``/``ef_construction``/
    ``ef_search`` for hnsw. Documents use the e5 ``passage`` prompt, queries the ``query`` prompt;
    both are recorded, with the encoder's fingerprint.
    """
    texts = _as_texts(texts)
    if not texts:
        raise ValueError("build_index: no texts to index")
    ids = [_plain(i) for i in ids] if ids is not None else list(range(len(texts)))
    langs_list = list(langs) if langs is not None else [None] * len(texts)
    if len(ids) != len(texts) or len(langs_list) != len(texts):
        raise ValueError(f"build_index: {len(texts)} texts but {len(ids)} ids and {len(langs_list)} langs")
    if identify_langs and None in langs_list:
        from lira.langid import fill_languages  # noqa: PLC0415

        langs_list = fill_languages(texts, langs_list)
        langs = langs_list
    if len(set(map(json.dumps, ids))) != len(ids):
        raise ValueError("build_index: ids must be unique")
    resolve_params(kind, len(texts), **params)  # fail on bad parameters before the (slow) encoding
    enc, enc_name = _resolve_encoder(encoder, device)
    emb = _encode(enc, texts, lang=langs_list if langs is not None else None, prompt_name=prompt_name, batch_size=batch_size, show_progress_bar=show_progress_bar)
    if emb.shape[0] != len(texts):
        raise ValueError(f"encoder returned {emb.shape[0]} vectors for {len(texts)} texts")
    index = index_embeddings(
        emb, [{"id": i, "text": t, "lang": lg} for i, t, lg in zip(ids, texts, langs_list)], kind,
        model_name=model_name or enc_name, prompt_name=prompt_name, query_prompt_name=query_prompt_name,
        fingerprint=encoder_fingerprint(enc), **params,
    )
    if bm25:
        index.build_bm25(weight=hybrid_weight)
    elif hybrid_weight is not None:
        raise ValueError("build_index: hybrid_weight needs bm25=True")
    if out_dir is not None:
        index.save(out_dir)
    return index


def index_embeddings(
    embeddings: np.ndarray,
    docs: list[dict[str, Any]],
    kind: str = "flat",
    *,
    model_name: str | None = None,
    prompt_name: str | None = "passage",
    query_prompt_name: str | None = "query",
    fingerprint: dict[str, Any] | None = None,
    **params: Any,
) -> LiraIndex:
    """Index precomputed embeddings (rows aligned with ``docs``); ``fingerprint``: that of the model
    that made them (``lira.models.fingerprint.encoder_fingerprint``), checked against queries."""
    if len(docs) != len(embeddings):
        raise ValueError(f"{len(embeddings)} embeddings but {len(docs)} documents")
    index, used = build_faiss(embeddings, kind, **params)
    meta = {
        "format": FORMAT,
        "model": model_name,
        "fingerprint": fingerprint,
        "kind": kind,
        "params": used,
        "dim": int(index.d),
        "count": int(index.ntotal),
        "metric": "inner_product",
        "normalized": True,
        "prompt_name": prompt_name,
        "query_prompt_name": query_prompt_name,
    }
    return LiraIndex(index, docs, meta)


def load_index(path: str | Path) -> LiraIndex:
    """Open an index folder; a missing, incomplete or inconsistent one raises ``LiraIndexError``."""
    faiss = _faiss()
    path = Path(path)
    if not path.is_dir():
        raise LiraIndexError(f"{path}: no such index folder (build one with `lira index build`)")
    missing = [name for name in (META_FILE, INDEX_FILE, DOCS_FILE) if not (path / name).is_file()]
    if missing:
        raise LiraIndexError(f"{path}: not a LiRA index, or an incomplete one (missing {', '.join(missing)})")
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise LiraIndexError(f"{path / META_FILE}: corrupt metadata ({err})") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("kind") not in KINDS:
        raise LiraIndexError(f"{path / META_FILE}: not a {FORMAT} index description")
    try:
        index = faiss.read_index(str(path / INDEX_FILE))
    except RuntimeError as err:
        raise LiraIndexError(f"{path / INDEX_FILE}: corrupt FAISS file ({str(err).strip().splitlines()[-1] if str(err).strip() else err})") from err
    docs: list[dict[str, Any]] = []
    with (path / DOCS_FILE).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise LiraIndexError(f"{path / DOCS_FILE}:{lineno}: corrupt document line ({err})") from err
    if not (index.ntotal == len(docs) == meta.get("count")) or index.d != meta.get("dim"):
        raise LiraIndexError(
            f"{path}: inconsistent index (faiss holds {index.ntotal} vectors of dim {index.d}, "
            f"{DOCS_FILE} {len(docs)} documents, meta says {meta.get('count')} of dim {meta.get('dim')})"
        )
    if meta.get("bm25") and not (path / BM25_DIR / "params.index.json").is_file():
        raise LiraIndexError(f"{path}: meta.json names a BM25 side but {BM25_DIR}/ is missing or incomplete")
    return LiraIndex(index, docs, meta, path)


def translation_languages() -> list[str]:
    """The query languages the shipped product lexicon translates into English (``translate_queries``)."""
    from lira.eval.lexical import default_translator  # noqa: PLC0415

    return sorted(default_translator().maps)


def translate_queries(queries: Sequence[str], lang: str) -> list[str]:
    """``queries`` translated word by word from ``lang`` into English with the shipped product lexicon
    (``lira.eval.lexical.default_translator``, as ``TranslatedBM25Ranker``); words it lacks stay as
    typed. A language the lexicon does not cover is a ``ValueError`` naming the covered ones."""
    from lira.eval.lexical import default_translator  # noqa: PLC0415

    covered = translation_languages()
    if lang not in covered:
        raise ValueError(f"the product lexicon cannot translate queries from {lang!r}; it covers {', '.join(covered)}")
    translator = default_translator()
    return [translator.translate(q, lang) for q in queries]


def search(
    index: str | Path | LiraIndex,
    queries: str | Sequence[str],
    encoder: Any = None,
    k: int = 10,
    lang: str | Sequence[str | None] | None = None,
    *,
    doc_lang: str | None = None,
    batch_size: int = 64,
    nprobe: int | None = None,
    ef_search: int | None = None,
    device: str | None = None,
    allow_model_mismatch: bool = False,
    hybrid: str | None = None,
    weight: float | None = None,
    depth: int = 100,
    translate_query: str | None = None,
) -> list[Hit] | list[list[Hit]]:
    """Top-``k`` documents for each query: one string -> ``list[Hit]``; a list -> ``list[list[Hit]]``.

    ``encoder``: an ``Encoder`` or model name; ``None`` loads the model recorded in the index.
    ``lang``: the queries' language, passed to the encoder (Arca's fusion gate).
    ``doc_lang``: only return documents of that language. ``nprobe`` / ``ef_search`` override the
    index's search setting for this call. A query encoder whose fingerprint differs from the
    index's is refused (``LiraIndexError``), or with ``allow_model_mismatch`` searched with a warning.
    ``hybrid``: "rrf" or "weighted" fuses the dense ranking with the index's BM25 side
    (``LiraIndex.hybrid_search``; an index without one is a ``LiraIndexError``); the hits' scores are
    then the fused scores. ``weight``: weighted fusion's weight on the dense side; ``depth``: how many
    of each ranking are fused. ``translate_query`` (with ``hybrid``): the queries' language; the BM25
    side then scores them translated into English with the product lexicon (``translate_queries``;
    a language it does not cover is a ``ValueError``), the dense side encodes them as given.
    """
    if translate_query is not None and hybrid is None:
        raise ValueError("translate_query sets the query of the BM25 side: it needs hybrid='rrf' or 'weighted'")
    single = isinstance(queries, str)
    qs = [queries] if single else [str(q) for q in queries]
    bm25_qs = translate_queries(qs, translate_query) if translate_query is not None else qs
    idx = index if isinstance(index, LiraIndex) else load_index(index)
    if hybrid is not None and not idx.has_bm25:
        raise LiraIndexError(f"the index{f' at {idx.path}' if idx.path else ''} has no BM25 side; rebuild it with `lira index build --bm25` (bm25=True)")
    if encoder is None:
        if not idx.meta.get("model"):
            raise ValueError("search: no encoder given and the index records no model name")
        encoder = idx.meta["model"]
    enc, _ = _resolve_encoder(encoder, device)
    idx.check_encoder(encoder_fingerprint(enc), _encoder_name(encoder, enc), allow_mismatch=allow_model_mismatch)
    if not qs:
        return []
    q = _encode(enc, qs, lang=lang, prompt_name=idx.meta.get("query_prompt_name"), batch_size=batch_size)
    if hybrid is not None:
        hits = idx.hybrid_search(q, bm25_qs, k, method=hybrid, weight=weight, depth=depth, doc_lang=doc_lang, nprobe=nprobe, ef_search=ef_search)
        return hits[0] if single else hits
    scores, rows = idx.search_vectors(q, k, doc_lang=doc_lang, nprobe=nprobe, ef_search=ef_search)
    hits = idx.hits(scores, rows)
    return hits[0] if single else hits


def exact_neighbours(base: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Row ids of the exact top-``k`` inner-product neighbours (``IndexFlatIP``), for recall."""
    index, _ = build_faiss(base, "flat")
    _, rows = index.search(normalize_rows(queries), k)
    return rows


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int | None = None) -> float:
    """Mean fraction of the true top-``k`` found in the approximate top-``k``."""
    k = k or truth.shape[1]
    hit = 0
    for f, t in zip(found[:, :k], truth[:, :k]):
        hit += len(set(f.tolist()) & set(t.tolist()))
    return hit / (len(truth) * k)
