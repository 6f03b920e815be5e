"""For-you ranking at scale (issue 11, item 9): one day's 2,000 new papers ranked for 10,000 readers,
on 2 cores, in at most 2 minutes, with bounded memory.

The store is real: the sample's newest 32,000 papers, embedded by `paperfeed index` (the embedding
store the search index keeps). The newest 2,000 are moved onto one day (BENCH_DAY): the day's new
papers. The readers are synthetic but shaped like real ones: each library is a topic (a random seed
paper and its nearest papers in the pool, so that a library is coherent as a researcher's is) plus
some random papers, its size log-normal (median 25, clipped to 3..300), all as saves.

    python bench/for_you_scale.py --prepare        # once: ingest 32,000 papers and embed them (~5 min)
    python bench/for_you_scale.py                  # 10,000 readers (--readers N), 3 timed runs
    python bench/for_you_scale.py --json

Reported, side by side in one run:
  - the shipped job (paperfeed.foryou.job.rank_everyone over the one day): everything the job does
    after an ingest (read every reader's evidence, check each kept model, rank in chunks, keep each
    reader's best 100) - median of the runs, and the peak resident memory;
  - the baseline: the same models scored one reader at a time (ReaderModel.score, a top-100 sort), on
    a sample of readers and scaled to all of them; the ratio of the two;
  - fitting, median and p95 over 200 readers: what a rating costs (refit the reader's model, starting
    from the kept one, and keep it), and a reader's first fit (nothing kept to start from).
Models are fitted once (first run) and kept in the cache; runs after that only rank.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "arxiv" / "papers.jsonl.gz"
CACHE = Path.home() / ".cache" / "paperfeed-bench" / "for-you-scale"
STORE_PAPERS = 32_000
DAY_PAPERS = 2_000
BENCH_DAY = date(2026, 9, 1)  # after the sample's last day: the day of the 2,000 new papers
SEED = 11


def _settings(cache: Path):
    from paperfeed.config import Settings

    return Settings(_env_file=None, data_dir=cache, database_url=f"sqlite:///{cache / 'paperfeed.db'}")


def prepare(cache: Path, sample: Path) -> None:
    """The newest STORE_PAPERS papers of the sample into the cache's store, the newest DAY_PAPERS of
    them moved to BENCH_DAY, then embedded with paperfeed's indexer (it resumes)."""
    from paperfeed import ingest
    from paperfeed.db import migrate
    from paperfeed.db.engine import make_engine
    from paperfeed.db.papers import count_papers
    from paperfeed.search.maintenance import update_index

    cache.mkdir(parents=True, exist_ok=True)
    settings = _settings(cache)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        stored = count_papers(conn)
    if not stored:
        with gzip.open(sample, "rt") as lines:
            rows = [json.loads(line) for line in lines]
        rows = sorted((row for row in rows if row.get("listed")), key=lambda row: (row["listed"], row["id"]))
        rows = rows[-STORE_PAPERS:]
        for row in rows[-DAY_PAPERS:]:
            row["listed"] = BENCH_DAY.isoformat()
        chosen = cache / "papers.jsonl"
        chosen.write_text("".join(json.dumps(row) + "\n" for row in rows))
        summary, _ = ingest.ingest_file(engine, chosen)
        print(f"{summary.added:,} papers added", file=sys.stderr)
    print("embedding (paperfeed index --semantic-only) ...", file=sys.stderr)
    report = update_index(settings, engine, keyword=False)
    print(f"{report['embedded']:,} embedded", file=sys.stderr)
    engine.dispose()


def make_readers(engine, source, readers: int, seed: int) -> None:
    """Replace the store's readers by `readers` synthetic ones (libraries as saves; see the module doc)."""
    import sqlalchemy as sa

    from paperfeed.db.for_you import papers_by_day
    from paperfeed.db.schema import saved_papers, users

    with engine.connect() as conn:
        day_ids = set(papers_by_day(conn, BENCH_DAY, BENCH_DAY).get(BENCH_DAY, []))
        present = conn.execute(sa.select(sa.func.count()).select_from(users)).scalar()
    if present == readers:
        return
    store = source.store()
    ids, vectors = store.load_all()
    keep = np.array([int(i) not in day_ids for i in ids])
    pool_ids, pool = ids[keep], vectors[keep]
    rng = np.random.default_rng(seed)
    sizes = np.clip(np.round(rng.lognormal(np.log(25), 0.8, size=readers)), 3, 300).astype(int)
    now = datetime(2026, 8, 31, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(users.delete())
        conn.execute(users.insert(), [dict(id=i + 1, email=f"reader{i}@bench.invalid", created_at=now)
                                      for i in range(readers)])
        rows = []
        for reader, size in enumerate(sizes):
            seed_row = rng.integers(len(pool))
            topical = int(round(size * 0.8))
            nearest = np.argpartition(-(pool @ pool[seed_row]), topical)[:topical]
            chosen = set(nearest.tolist()) | set(rng.choice(len(pool), size=size - topical, replace=False).tolist())
            rows += [dict(user_id=reader + 1, paper_id=int(pool_ids[r]), saved_at=now) for r in chosen]
            if len(rows) > 50_000:
                conn.execute(saved_papers.insert(), rows)
                rows = []
        if rows:
            conn.execute(saved_papers.insert(), rows)
    print(f"{readers:,} readers, library median {int(np.median(sizes))} (max {sizes.max()})", file=sys.stderr)


def clear_rankings(engine) -> None:
    from paperfeed.db.schema import kept_rankings, ranked_days

    with engine.begin() as conn:
        conn.execute(kept_rankings.delete())
        conn.execute(ranked_days.delete())


def baseline_per_reader(engine, recommender, sample: int, keep: int) -> float:
    """Seconds to score the day one reader at a time (restore, ReaderModel.score, top-`keep` sort) for
    `sample` readers."""
    from paperfeed.db.for_you import kept_models, papers_by_day
    from paperfeed.recommend.kept import KeptModel

    with engine.connect() as conn:
        models = kept_models(conn, "library")[:sample]
        paper_ids = papers_by_day(conn, BENCH_DAY, BENCH_DAY)[BENCH_DAY]
        _, candidates = recommender.source.day_candidates(conn, BENCH_DAY, paper_ids)
    began = time.perf_counter()
    for row in models:
        kept = KeptModel.from_bytes(row.model)
        vectors = recommender.source.vectors([int(i) for i in kept.nearest_ids] + [int(i) for i in kept.negative_ids])
        scores = kept.restore(vectors, recommender.source.dim).score(candidates)
        np.argsort(-scores)[:keep]
    return time.perf_counter() - began


def fit_times(engine, recommender, count: int, *, after_rating: bool, seed: int = SEED) -> list[float]:
    """Milliseconds to refit and keep one reader's model, for `count` readers: after a rating (a "more
    like this" or, every other reader, a "less like this" on a random store paper; the reader's kept
    model is there, as it is for a reader who rates) or, with after_rating=False, a first fit (no kept
    model). Each reader's change is rolled back, so the cache's store stays as prepared."""
    from paperfeed.db.for_you import drop_model
    from paperfeed.db.ratings import rate_paper

    store_ids = recommender.source.store().ids()
    rng = np.random.default_rng(seed)
    times = []
    for user_id in range(1, count + 1):
        with engine.connect() as conn:
            change = conn.begin()
            if after_rating:
                recommender.refresh(conn, user_id)  # current before the rating (untimed)
                rate_paper(conn, user_id, int(rng.choice(store_ids)), 1 if user_id % 2 else -1)
            else:
                drop_model(conn, user_id, "library")
            began = time.perf_counter()
            recommender.refresh(conn, user_id)
            times.append((time.perf_counter() - began) * 1000)
            change.rollback()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-readers", type=int, default=500)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.cache, SAMPLE)
        return
    if not (args.cache / "paperfeed.db").exists():
        sys.exit(f"no prepared store in {args.cache}: run `python bench/for_you_scale.py --prepare` first")

    from paperfeed.db.engine import make_engine
    from paperfeed.foryou.job import rank_everyone
    from paperfeed.foryou.service import Recommender

    settings = _settings(args.cache)
    engine = make_engine(settings.database_url)
    recommender = Recommender(settings)
    make_readers(engine, recommender.source, args.readers, SEED)
    began = time.perf_counter()
    first = rank_everyone(engine, settings, days=1, recommender=recommender)  # fits what is not kept yet
    print(f"first run (fits {first.refitted:,} models): {time.perf_counter() - began:.1f} s", file=sys.stderr)
    runs = []
    for _ in range(args.runs):
        clear_rankings(engine)
        report = rank_everyone(engine, settings, days=1, recommender=recommender)
        runs.append(report.seconds)
        print(f"  ranked {report.models:,} readers x {report.days} day: {report.seconds:.1f} s", file=sys.stderr)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sample = min(args.baseline_readers, args.readers)
    baseline = baseline_per_reader(engine, recommender, sample, settings.for_you_keep) * args.readers / sample
    fits = fit_times(engine, recommender, 200, after_rating=True)
    first_fits = fit_times(engine, recommender, 200, after_rating=False)
    result = {
        "readers": args.readers, "candidates": DAY_PAPERS, "runs": runs,
        "job_median_s": statistics.median(runs), "peak_rss_mb": round(peak_mb),
        "baseline_per_reader_s": baseline, "baseline_sample": sample,
        "speedup": baseline / statistics.median(runs),
        "fit_ms_median": statistics.median(fits), "fit_ms_p95": float(np.percentile(fits, 95)),
        "first_fit_ms_median": statistics.median(first_fits),
        "first_fit_ms_p95": float(np.percentile(first_fits, 95)),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"\nRanking one day's {DAY_PAPERS:,} papers for {args.readers:,} readers (2 cores)")
    print(f"  shipped job (rank_everyone)      median {result['job_median_s']:7.1f} s   runs "
          + ", ".join(f"{r:.1f}" for r in runs))
    print(f"  baseline, one reader at a time   {baseline:7.1f} s   (measured on {sample} readers, scaled)")
    print(f"  ratio                            {result['speedup']:7.1f}x")
    print(f"  peak resident memory             {result['peak_rss_mb']:7,} MB")
    print(f"  refit one reader after a rating  median {result['fit_ms_median']:.1f} ms, "
          f"p95 {result['fit_ms_p95']:.1f} ms")
    print(f"  first fit (no kept model yet)    median {result['first_fit_ms_median']:.1f} ms, "
          f"p95 {result['first_fit_ms_p95']:.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
