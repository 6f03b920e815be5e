"""Latency and scale benchmark of end-to-end search(): query embedding + both legs + fusion + rows.

For each size (default 100,000 and 1,000,000 papers) it builds, in a temporary folder, a SQLite
store, the keyword index and the vector index, then serves 200 queries through SearchService in a
fresh child process and reports p50/p99 latency, build times, the serving process's RAM and the
disk used. Papers are the real ones of ../shared/data/arxiv/papers.jsonl.gz first, then synthetic
papers (sentences and words recombined from real abstracts) up to the size. Vectors: a sample of
real abstracts is embedded with the configured model and every paper gets one of those vectors
plus small Gaussian noise, renormalized — the ANN cost does not need real text, but note that such
clustered data is not identical to real embeddings for HNSW recall (see bench/vector_recall.py).

    python bench/search_latency.py                      # 100K and 1M (about 20-30 minutes on 2 cores)
    python bench/search_latency.py --sizes 100000 --json
    python bench/search_latency.py --keep /tmp/lat        # keep the built stores; a rerun reuses them
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

DEFAULT_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv" / "papers.jsonl.gz"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _real_records(path: Path, limit: int):
    import itertools

    from paperfeed.models import PaperRecord
    from paperfeed.sources.files import read_records

    items = (item for _, item in read_records(path) if isinstance(item, PaperRecord))
    return list(itertools.islice(items, limit))


def _synthetic_records(real, count: int, seed: int = 7):
    """Papers made of real sentences and title words, with unique DOIs, spread over 2024-2026."""
    from paperfeed.models import PaperRecord

    rng = random.Random(seed)
    sentences = [s.strip() + "." for r in real[:20_000] for s in r.abstract.split(". ") if len(s) > 30]
    words = [w for r in real[:20_000] for w in r.title.split() if len(w) > 3]
    authors = [a for r in real[:5_000] for a in r.authors]
    categories = [r.categories for r in real[:20_000] if r.categories]
    start = date(2024, 1, 1)
    for n in range(count):
        yield PaperRecord(
            source="jsonl", title=" ".join(rng.sample(words, rng.randint(6, 12))).capitalize(),
            abstract=" ".join(rng.sample(sentences, rng.randint(4, 8))), authors=tuple(rng.sample(authors, 3)),
            categories=rng.choice(categories), doi=f"10.5555/synthetic.{n}",
            announced_on=start + timedelta(days=rng.randrange(960)), ref=f"synthetic {n}",
        )


def build(size: int, folder: Path, source: Path, real_sample: int) -> dict:
    from paperfeed.config import Settings
    from paperfeed.db import migrate
    from paperfeed.db.engine import make_engine
    from paperfeed.db.index_docs import paper_texts_by_ids
    from paperfeed.db.papers import upsert_papers
    from paperfeed.normalize import normalize_record
    from paperfeed.search import documents
    from paperfeed.search.embedding import load_embedder
    from paperfeed.search.indexer import IndexPaths, model_slug, sync_keyword
    from paperfeed.search.keyword import KeywordIndex
    from paperfeed.search.vectors import build_vector_index

    settings = Settings(data_dir=folder / "data", models_dir=Path.home() / ".cache" / "paperfeed-bench")
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    figures: dict = {"size": size}
    real = _real_records(source, size)
    records = real + list(_synthetic_records(real, size - len(real)))
    started = time.perf_counter()
    for start in range(0, len(records), 5000):
        with engine.begin() as conn:
            upsert_papers(conn, [normalize_record(r) for r in records[start:start + 5000]])
    figures["store_build_s"] = time.perf_counter() - started
    _log(f"[{size:,}] store: {figures['store_build_s']:.0f} s")
    paths = IndexPaths(settings.data_dir / "index")
    started = time.perf_counter()
    keyword = KeywordIndex.open(paths.keyword)
    sync_keyword(engine, keyword, paths)
    keyword.close()
    figures["keyword_build_s"] = time.perf_counter() - started
    _log(f"[{size:,}] keyword index: {figures['keyword_build_s']:.0f} s")

    embedder = load_embedder(settings.embedding_model, backend=settings.embedding_backend,
                             cache_dir=settings.resolved_models_dir, max_tokens=settings.embedding_max_tokens)
    with engine.connect() as conn:
        ids = np.array([row[0] for row in conn.exec_driver_sql("SELECT id FROM papers ORDER BY id")], dtype=np.int64)
        sample_ids = ids[:real_sample].tolist()
        texts = documents.document_texts(paper_texts_by_ids(conn, sample_ids))
    started = time.perf_counter()
    base = embedder.embed_documents([texts[i] for i in sample_ids])
    figures["sample_embed_papers_per_s"] = len(base) / (time.perf_counter() - started)
    rng = np.random.default_rng(11)
    vectors = np.empty((len(ids), base.shape[1]), dtype=np.float32)
    for start in range(0, len(ids), 100_000):  # in slices: the noise of 1M rows at once would double RAM
        stop = min(start + 100_000, len(ids))
        rows = base[rng.integers(0, len(base), stop - start)] + rng.normal(0, 0.02, (stop - start, base.shape[1]))
        vectors[start:stop] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    started = time.perf_counter()
    index = build_vector_index(ids, vectors)
    index.save(paths.vectors(model_slug(settings.embedding_model)))
    figures["vector_build_s"] = time.perf_counter() - started
    figures["vector_index"] = type(index).__name__
    _log(f"[{size:,}] vector index ({figures['vector_index']}): {figures['vector_build_s']:.0f} s")
    figures["disk_mb"] = {
        "store": _folder_size(settings.data_dir) / 1e6 - _folder_size(paths.root) / 1e6,
        "keyword": _folder_size(paths.keyword) / 1e6,
        "vectors": paths.vectors(model_slug(settings.embedding_model)).stat().st_size / 1e6,
    }
    return figures


def _queries(source: Path, count: int, seed: int = 3) -> list[tuple[str, dict]]:
    from paperfeed.search.base import Filters

    rng = random.Random(seed)
    real = _real_records(source, 50_000)
    queries = []
    for n in range(count):
        paper = rng.choice(real)
        words = paper.title.split()
        text = " ".join(words[: rng.randint(2, 6)])
        filters = Filters()
        if n % 4 == 1 and paper.categories:
            filters = Filters(categories=(paper.categories[0],))
        elif n % 4 == 2:
            filters = Filters(since=date(2026, 1, 1))
        elif n % 10 == 3:
            text = paper.abstract  # a pasted abstract
        queries.append((text, filters))
    return queries


def serve(folder: str, source: str, count: int, queue) -> None:
    """In a fresh process: open the service like the web app would, and time search()."""
    from paperfeed.config import Settings
    from paperfeed.db.engine import make_engine
    from paperfeed.search.service import SearchService

    settings = Settings(data_dir=Path(folder) / "data", models_dir=Path.home() / ".cache" / "paperfeed-bench")
    service = SearchService.open(settings, make_engine(settings.resolved_database_url))
    queries = _queries(Path(source), count)
    for text, filters in queries[:10]:  # warm up: model load, caches
        service.search(text, filters)
    timings, empty = [], 0
    for text, filters in queries:
        started = time.perf_counter()
        results = service.search(text, filters, limit=20)
        timings.append(1000 * (time.perf_counter() - started))
        empty += not results.hits
    status = Path("/proc/self/status").read_text()
    rss_mb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024
    queue.put({
        "queries": len(timings), "empty_results": empty,
        "p50_ms": statistics.median(timings), "p99_ms": float(np.percentile(timings, 99)),
        "mean_ms": statistics.fmean(timings), "serving_rss_mb": rss_mb,
        "serving_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real-sample", type=int, default=3000, help="real abstracts embedded for the vectors")
    parser.add_argument("--keep", type=Path, help="build into DIR/<size> and keep it; reuse what is there")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.file.exists():
        sys.exit(f"no such file: {args.file}")
    results = []
    context = multiprocessing.get_context("spawn")
    for size in args.sizes:
        folder = args.keep / str(size) if args.keep else Path(tempfile.mkdtemp(prefix="paperfeed-latency-"))
        built = folder / "built.json"
        try:
            if built.exists():
                figures = json.loads(built.read_text())
            else:
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                figures = build(size, folder, args.file, args.real_sample)
                built.write_text(json.dumps(figures))
            queue = context.Queue()
            process = context.Process(target=serve, args=(str(folder), str(args.file), args.queries, queue))
            process.start()
            figures.update(queue.get())
            process.join()
            results.append(figures)
            _log(f"[{size:,}] p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
                 f"RSS {figures['serving_rss_mb']:.0f} MB")
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'papers':>10} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>7} {'kw build s':>10} {'vec build s':>11} "
          f"{'disk MB (store/kw/vec)':>24}")
    for r in results:
        disk = r["disk_mb"]
        print(f"{r['size']:>10,} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} {r['serving_rss_mb']:7.0f} "
              f"{r['keyword_build_s']:10.0f} {r['vector_build_s']:11.0f} "
              f"{disk['store']:8.0f}/{disk['keyword']:.0f}/{disk['vectors']:.0f}")


if __name__ == "__main__":
    main()
