"""HNSW against exact search at 200K and 1M vectors: recall@10, latency, build time, memory, disk.

Vectors: ~20K real arXiv abstracts embedded once (cached), then as many more as asked made from
them: each a real vector mixed with up to 30% of another plus noise (cosine ~0.9 to its source),
renormalized. Random unit vectors would be a poor stand-in (no neighbourhood structure); these keep
the real ones' directions, but each real vector gets ~50 close copies at 1M, far tighter clusters
than real papers form, so recall there is a pessimistic figure. `--sizes 20000` uses only the real
vectors. Queries are titles of other papers. Truth: exact float32 scores over everything.
The HNSW index is served the way paperfeed serves it: saved, then memory-mapped read-only.

    python bench/vector_recall.py                            # 200K and 1M, f16 and i8, M=16 and 32
    python bench/vector_recall.py --sizes 200000 --connectivity 16 --json
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from paperfeed.search.embedding import load_embedder
from paperfeed.search.vectors import ExactVectorIndex, HnswVectorIndex

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CHUNK = 50_000


def memory_mb() -> dict:
    """Resident memory of this process, anonymous (heap) and file-backed (memory-mapped pages)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "RssAnon", "RssFile") if key in fields}


def real_vectors(args) -> tuple[np.ndarray, np.ndarray]:
    """(base vectors, query vectors), embedded once and cached."""
    cached = args.cache / f"vector-recall-{args.base}-{args.queries}.npz"
    if cached.exists():
        saved = np.load(cached)
        return saved["base"], saved["queries"]
    papers = []
    with gzip.open(args.arxiv) as lines:
        for number, line in enumerate(lines):
            if number % 5 == 0:
                papers.append(orjson.loads(line))
                if len(papers) == args.base + args.queries:
                    break
    embedder = load_embedder(cache_dir=args.cache / "models", max_tokens=128)
    base = embedder.embed_documents([f"{p['title']}. {p['abstract']}" for p in papers[:args.base]])
    queries = embedder.embed_documents([p["title"] for p in papers[args.base:]])
    args.cache.mkdir(parents=True, exist_ok=True)
    np.savez(cached, base=base, queries=queries)
    return base, queries


def synthetic_chunks(base: np.ndarray, count: int, seed: int = 0):
    """Deterministic chunks of `count` vectors in all: the real ones first, then mixtures of them."""
    rng = np.random.default_rng(seed)
    made = 0
    while made < count:
        size = min(CHUNK, count - made)
        if made < len(base):
            size = min(size, len(base) - made)
            yield base[made:made + size]
        else:
            first, second = rng.integers(0, len(base), size), rng.integers(0, len(base), size)
            weight = rng.uniform(0, 0.3, (size, 1)).astype(np.float32)
            noise = rng.standard_normal((size, base.shape[1])).astype(np.float32) * (0.5 / np.sqrt(base.shape[1]))
            mixed = (1 - weight) * base[first] + weight * base[second] + noise
            yield mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
        made += size


def exact_truth(base, queries, count, k=10) -> tuple[np.ndarray, ExactVectorIndex]:
    """Exact top-k ids per query (float32), and an f16 ExactVectorIndex over the same vectors."""
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    exact = ExactVectorIndex(base.shape[1], "f16")
    exact.ids, exact.vectors = np.arange(count, dtype=np.int64), np.empty((count, base.shape[1]), np.float16)
    start = 0
    for chunk in synthetic_chunks(base, count):
        exact.vectors[start:start + len(chunk)] = chunk
        scores = np.hstack([best_scores, queries @ chunk.T])
        ids = np.hstack([best_ids, np.broadcast_to(np.arange(start, start + len(chunk)), (len(queries), len(chunk)))])
        top = np.argsort(-scores, axis=1)[:, :k]
        best_scores, best_ids = np.take_along_axis(scores, top, 1), np.take_along_axis(ids, top, 1)
        start += len(chunk)
    return best_ids, exact


def latencies_ms(search, queries) -> tuple[list, dict]:
    results, timings = [], []
    for query in queries:
        started = time.perf_counter()
        results.append(search(query))
        timings.append(1000 * (time.perf_counter() - started))
    timings.sort()
    return results, {"p50_ms": statistics.median(timings), "p99_ms": timings[int(0.99 * (len(timings) - 1))]}


def recall(results, truth) -> float:
    return float(np.mean([len({pid for pid, _ in found} & set(row.tolist())) / len(row)
                          for found, row in zip(results, truth, strict=True)]))


def filtered_rows(view: HnswVectorIndex, exact: ExactVectorIndex, queries, count, allowed_sizes) -> list[dict]:
    """Latency and recall with a filter, HNSW oversampling vs exact scoring of the allowed set."""
    rows, rng = [], np.random.default_rng(1)
    for allowed_size in allowed_sizes:
        allowed = np.sort(rng.choice(count, allowed_size, replace=False))
        truth, _ = latencies_ms(lambda q, allowed=allowed: exact.search(q, 10, allowed_ids=allowed), queries)
        truth_ids = np.array([[pid for pid, _ in found] for found in truth])
        for path, threshold in (("oversample", 0), ("exact", count + 1)):
            view.exact_below = threshold
            found, timing = latencies_ms(lambda q, allowed=allowed: view.search(q, 10, allowed_ids=allowed), queries)
            rows.append({"allowed": allowed_size, "path": path, "recall@10": recall(found, truth_ids), **timing})
    return rows


def run_size(count, base, queries, args, folder: Path) -> dict:
    started = time.perf_counter()
    truth, exact = exact_truth(base, queries, count)
    report = {"vectors": count, "truth_s": time.perf_counter() - started,
              "exact_f16_mb": exact.vectors.nbytes / 2**20}
    results, timing = latencies_ms(lambda q: exact.search(q, 10), queries[:args.latency_queries])
    report["exact"] = {"recall@10": recall(results, truth[:args.latency_queries]), **timing}
    report["hnsw"] = []
    for dtype in args.dtypes:
        for connectivity in args.connectivity:
            index = HnswVectorIndex(base.shape[1], dtype=dtype, connectivity=connectivity)
            before, started, start = memory_mb(), time.perf_counter(), 0
            for chunk in synthetic_chunks(base, count):
                index.add(np.arange(start, start + len(chunk)), chunk)
                start += len(chunk)
            built = {"dtype": dtype, "connectivity": connectivity, "build_s": time.perf_counter() - started,
                     "usearch_memory_mb": index.memory_bytes / 2**20,
                     "build_rss_growth_mb": memory_mb()["VmRSS"] - before["VmRSS"]}
            path = folder / f"hnsw-{count}-{dtype}-{connectivity}"
            index.save(path)
            built["disk_mb"] = path.stat().st_size / 2**20
            del index
            gc.collect()
            before = memory_mb()
            view = HnswVectorIndex.view(path)
            for expansion in args.expansion_search:
                view.expansion_search = expansion
                results, timing = latencies_ms(lambda q, view=view: view.search(q, 10), queries)
                report["hnsw"].append({**built, "expansion_search": expansion, "recall@10": recall(results, truth),
                                       **timing})
            after = memory_mb()
            report["hnsw"][-1]["view_rss_mb"] = {k: after[k] - before.get(k, 0) for k in after}
            if args.filters and dtype == args.dtypes[0] and connectivity == args.connectivity[0]:
                view.expansion_search = args.expansion_search[0]
                sizes = [s for s in args.filters if s < count]
                report["filtered"] = filtered_rows(view, exact, queries[:args.latency_queries], count, sizes)
            del view
            path.unlink()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--base", type=int, default=20_000, help="real abstracts embedded")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--latency-queries", type=int, default=200, help="queries for the slower exact timings")
    parser.add_argument("--dtypes", nargs="+", default=["f16", "i8"])
    parser.add_argument("--connectivity", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--expansion-search", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--filters", type=int, nargs="*", default=[1_000, 20_000, 100_000],
                        help="allowed-set sizes to time both filter paths at")
    parser.add_argument("--arxiv", type=Path, default=SHARED / "arxiv" / "papers.jsonl.gz")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "paperfeed-bench")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base, queries = real_vectors(args)
    reports = []
    with tempfile.TemporaryDirectory() as folder:
        for count in args.sizes:
            reports.append(run_size(count, base, queries, args, Path(folder)))
            gc.collect()
    if args.json:
        print(json.dumps(reports, indent=2))
        return
    for report in reports:
        exact = report["exact"]
        print(f"\n{report['vectors']:,} vectors; exact f16: {report['exact_f16_mb']:.0f} MB, "
              f"p50 {exact['p50_ms']:.1f} ms, p99 {exact['p99_ms']:.1f} ms")
        print(f"{'dtype':5} {'M':>3} {'ef':>4} {'recall@10':>9} {'p50 ms':>7} {'p99 ms':>7} {'build s':>8} "
              f"{'RAM MB':>7} {'disk MB':>8}")
        for row in report["hnsw"]:
            print(f"{row['dtype']:5} {row['connectivity']:3} {row['expansion_search']:4} {row['recall@10']:9.3f} "
                  f"{row['p50_ms']:7.2f} {row['p99_ms']:7.2f} {row['build_s']:8.0f} "
                  f"{row['usearch_memory_mb']:7.0f} {row['disk_mb']:8.0f}")
            if "view_rss_mb" in row:
                print(f"      served as a memory-mapped view: RSS +{row['view_rss_mb']['VmRSS']:.0f} MB "
                      f"(file pages {row['view_rss_mb'].get('RssFile', 0):.0f} MB)")
        for row in report.get("filtered", []):
            print(f"  filter of {row['allowed']:>7,} papers, {row['path']:10}: recall@10 {row['recall@10']:.3f}, "
                  f"p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
