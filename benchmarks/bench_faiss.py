"""FAISS index benchmark: build time, queries/s and recall@k against exact search.

Data: ``n`` unit vectors of dimension ``dim`` from a Gaussian mixture (``clusters`` unit centres,
spread ``sigma`` inside a shared ``intrinsic_dim``-dimensional subspace plus a little isotropic
noise), so neighbourhoods have structure the way sentence embeddings do and recall is meaningful
(isotropic noise in all 384 dimensions makes every point nearly equidistant at 1M, and recall of
any index collapses); queries are fresh draws from the same mixture. Ground truth is exact inner-product search (``IndexFlatIP``), timed too.

Each approximate index is built once and searched at several settings (``--nprobe`` for ivf,
``--ef-search`` for hnsw). Prints a table and writes JSON.

    python benchmarks/bench_faiss.py                       # 1M x 384, 1k queries
    python benchmarks/bench_faiss.py --n 20000 --dim 64    # quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lira.index.faiss_index import build_faiss, normalize_rows, recall_at_k  # noqa: E402


def mixture(
    n: int, dim: int, clusters: int, sigma: float, seed: int, centres: np.ndarray | None = None, basis: np.ndarray | None = None,
    intrinsic_dim: int = 32, chunk: int = 200_000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors ``normalise(centre + sigma * u + 0.1 * e)``: ``u`` a random direction of norm ~1 in a
    shared ``intrinsic_dim``-dimensional subspace (sentence embeddings have low intrinsic dimension,
    which is what makes nearest neighbours well defined), ``e`` small isotropic noise of norm ~1."""
    rng = np.random.default_rng(seed)
    if centres is None:
        centres = rng.standard_normal((clusters, dim)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    if basis is None:
        basis = np.linalg.qr(rng.standard_normal((dim, intrinsic_dim)))[0].T.astype(np.float32)  # (r, dim), orthonormal rows
    r = basis.shape[0]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        local = rng.standard_normal((m, r), dtype=np.float32) @ basis * (sigma / np.sqrt(r))
        iso = rng.standard_normal((m, dim), dtype=np.float32) * (0.1 / np.sqrt(dim))
        out[start : start + m] = normalize_rows(centres[rng.integers(0, len(centres), m)] + local + iso)
    return out, centres, basis


def timed_search(index, queries: np.ndarray, k: int, params=None, repeats: int = 1) -> tuple[np.ndarray, float]:
    best = float("inf")
    rows = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        _, rows = index.search(queries, k, params=params) if params is not None else index.search(queries, k)
        best = min(best, time.perf_counter() - t0)
    return rows, best


def main(argv: list[str] | None = None) -> dict:
    import faiss

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="database vectors")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--clusters", type=int, default=2000, help="mixture components")
    ap.add_argument("--sigma", type=float, default=1.2, help="spread around a centre, relative to the unit centre norm")
    ap.add_argument("--intrinsic-dim", type=int, default=32, help="dimension of the subspace the spread lives in")
    ap.add_argument("--nlist", type=int, default=None, help="ivf lists (default ~sqrt(n), at most n/39)")
    ap.add_argument("--nprobe", type=int, nargs="+", default=[4, 16, 64, 256])
    ap.add_argument("--train-size", type=int, default=None, help="ivf k-means training sample (default 64 * nlist)")
    ap.add_argument("--m", type=int, default=16, help="hnsw links per node")
    ap.add_argument("--ef-construction", type=int, default=64)
    ap.add_argument("--ef-search", type=int, nargs="+", default=[16, 64, 128, 256, 512])
    ap.add_argument("--kinds", nargs="+", default=["ivf", "hnsw"], choices=["ivf", "hnsw"])
    ap.add_argument("--threads", type=int, default=None, help="faiss OpenMP threads (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json-out", type=Path, default=Path("benchmarks/results/faiss.json"))
    args = ap.parse_args(argv)

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    t0 = time.perf_counter()
    base, centres, basis = mixture(args.n, args.dim, args.clusters, args.sigma, args.seed, intrinsic_dim=args.intrinsic_dim)
    queries, _, _ = mixture(args.queries, args.dim, args.clusters, args.sigma, args.seed + 1, centres=centres, basis=basis)
    gen_s = time.perf_counter() - t0
    print(f"data: {args.n} x {args.dim} ({base.nbytes / 2**30:.2f} GiB), {args.queries} queries, generated in {gen_s:.1f}s", flush=True)

    rows_out = []
    t0 = time.perf_counter()
    flat, _ = build_faiss(base, "flat")
    flat_build = time.perf_counter() - t0
    truth, flat_s = timed_search(flat, queries, args.k)
    rows_out.append({"kind": "flat", "setting": "exact", "build_s": flat_build, "qps": args.queries / flat_s, "recall": 1.0, "search_s": flat_s})
    print(f"flat: build {flat_build:.1f}s, {args.queries / flat_s:.0f} q/s", flush=True)
    del flat

    if "ivf" in args.kinds:
        nlist = args.nlist or int(max(1, min(round(np.sqrt(args.n)), args.n // 39)))
        train_size = args.train_size or min(args.n, 64 * nlist)
        t0 = time.perf_counter()
        ivf, used = build_faiss(base, "ivf", nlist=nlist, nprobe=args.nprobe[0], train_size=train_size)
        build_s = time.perf_counter() - t0
        print(f"ivf: nlist={nlist} train_size={train_size} built in {build_s:.1f}s", flush=True)
        for nprobe in args.nprobe:
            rows, s = timed_search(ivf, queries, args.k, faiss.SearchParametersIVF(nprobe=nprobe))
            r = recall_at_k(rows, truth, args.k)
            rows_out.append({"kind": "ivf", "setting": f"nlist={nlist} nprobe={nprobe}", "build_s": build_s, "qps": args.queries / s, "recall": r, "search_s": s, "params": {**used, "nprobe": nprobe}})
            print(f"  nprobe={nprobe}: {args.queries / s:.0f} q/s recall@{args.k}={r:.4f}", flush=True)
        del ivf

    if "hnsw" in args.kinds:
        t0 = time.perf_counter()
        hnsw, used = build_faiss(base, "hnsw", m=args.m, ef_construction=args.ef_construction, ef_search=args.ef_search[0])
        build_s = time.perf_counter() - t0
        print(f"hnsw: M={args.m} efConstruction={args.ef_construction} built in {build_s:.1f}s", flush=True)
        for ef in args.ef_search:
            rows, s = timed_search(hnsw, queries, args.k, faiss.SearchParametersHNSW(efSearch=ef))
            r = recall_at_k(rows, truth, args.k)
            rows_out.append({"kind": "hnsw", "setting": f"M={args.m} efC={args.ef_construction} efSearch={ef}", "build_s": build_s, "qps": args.queries / s, "recall": r, "search_s": s, "params": {**used, "ef_search": ef}})
            print(f"  efSearch={ef}: {args.queries / s:.0f} q/s recall@{args.k}={r:.4f}", flush=True)
        del hnsw

    machine = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "faiss": faiss.__version__,
        "faiss_threads": faiss.omp_get_max_threads(),
        "load_avg_at_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    result = {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}, "machine": machine, "rows": rows_out}
    print()
    print(f"{'kind':<6} {'setting':<36} {'build s':>9} {'q/s':>10} {f'recall@{args.k}':>10}")
    for row in rows_out:
        print(f"{row['kind']:<6} {row['setting']:<36} {row['build_s']:>9.1f} {row['qps']:>10.0f} {row['recall']:>10.4f}")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {args.json_out}")
    return result


if __name__ == "__main__":
    main()
