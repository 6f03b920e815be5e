"""Benchmark: ingest a papers file into a fresh SQLite store; print papers/s and peak memory.

Usage: python bench/ingest.py [FILE] [--limit N] [--repeat 3] [--json]
FILE defaults to ../shared/data/arxiv/papers.jsonl.gz. Each repeat starts from an empty database
in a temporary folder, in a child process, so peak memory (ru_maxrss) is that run's own. A second
pass over the same file (re-ingest: every record already stored) is timed too.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv" / "papers.jsonl.gz"


def _one_run(path: str, limit: int | None, queue) -> None:
    from paperfeed import ingest
    from paperfeed.db import migrate
    from paperfeed.db.engine import make_engine
    from paperfeed.sources import files

    if limit:
        original = files.read_records
        ingest.read_records = lambda *a, **k: itertools.islice(original(*a, **k), limit)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        migrate.upgrade(engine)
        timings = []
        for _ in range(2):  # first: fresh store; second: re-ingest of the same records
            started = time.perf_counter()
            summary, _ = ingest.ingest_file(engine, Path(path), restart=True)
            timings.append((time.perf_counter() - started, summary.seen, summary.added))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"timings": timings, "peak_mb": peak_mb})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--limit", type=int, default=None, help="only the first N records")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.file.exists():
        sys.exit(f"no such file: {args.file}")
    results = []
    context = multiprocessing.get_context("spawn")
    for _ in range(args.repeat):
        queue = context.Queue()
        process = context.Process(target=_one_run, args=(str(args.file), args.limit, queue))
        process.start()
        results.append(queue.get())
        process.join()
    fresh = [r["timings"][0] for r in results]
    again = [r["timings"][1] for r in results]
    papers = fresh[0][1]
    report = {
        "file": str(args.file),
        "papers": papers,
        "added": fresh[0][2],
        "runs": args.repeat,
        "fresh_seconds_median": statistics.median(t for t, _, _ in fresh),
        "fresh_papers_per_s_median": statistics.median(n / t for t, n, _ in fresh),
        "reingest_seconds_median": statistics.median(t for t, _, _ in again),
        "reingest_papers_per_s_median": statistics.median(n / t for t, n, _ in again),
        "peak_rss_mb_median": statistics.median(r["peak_mb"] for r in results),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{papers:,} papers from {args.file.name}, {args.repeat} runs, medians:")
    fresh_s, fresh_rate = report["fresh_seconds_median"], report["fresh_papers_per_s_median"]
    again_s, again_rate = report["reingest_seconds_median"], report["reingest_papers_per_s_median"]
    print(f"  fresh store : {fresh_s:.1f} s  {fresh_rate:,.0f} papers/s")
    print(f"  re-ingest   : {again_s:.1f} s  {again_rate:,.0f} papers/s (every record already stored: nothing changes)")
    print(f"  peak memory : {report['peak_rss_mb_median']:,.0f} MB (whole process)")


if __name__ == "__main__":
    main()
