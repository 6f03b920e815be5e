"""Benchmark: the keyword leg on tantivy (paperfeed.search.keyword) against SQLite FTS5 with bm25().

Usage: python bench/keyword_engines.py [--limit N] [--queries 200] [--repeat 3] [--json] [--skip-quality|--skip-latency]

Quality: nDCG@10 and recall@100 on BEIR SciFact (train qrels, 809 claims; binary gains, ideal DCG from the
qrels) for a few title weightings per engine. Speed: both engines built over the arXiv papers
(../shared/data/arxiv/papers.jsonl.gz, the first N with --limit); build time, size on disk, and p50/p99 of
realistic queries (the first 2-6 words of random titles, one in three with a category filter), top 100.
Builds and query passes are repeated and medians printed. The same queries give a known-item check per
weighting: how often the paper a title came from is in the top 10.

Both engines get the words paperfeed.search.query.parse_query keeps, OR'ed. The FTS5 variant is built here:
one fts5 table (porter stemming) plus a category table for filters, in a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

from paperfeed.identity import category_keys
from paperfeed.search.base import Filters, IndexDoc
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.query import parse_query

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Title weights tried: for tantivy the bonus on top of BM25 over title+abstract, for FTS5 the title column weight
# (abstract 1). Authors keep the default (SciFact has no authors).
TANTIVY_TITLE_BONUS = (0.0, 0.2, 0.5, 1.0, 2.0)
FTS_TITLE_WEIGHT = (1.0, 1.5, 2.0, 3.0, 5.0)
_FTS_TOKEN = re.compile(r"\w+")



def build_fts(path: Path, docs: list[IndexDoc]) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        PRAGMA journal_mode = WAL;
        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, authors, abstract, tokenize = 'porter unicode61 remove_diacritics 2');
        CREATE TABLE paper_days (paper_id INTEGER PRIMARY KEY, day INTEGER);
        CREATE TABLE paper_cats (category TEXT, paper_id INTEGER, PRIMARY KEY (category, paper_id)) WITHOUT ROWID;
        """
    )
    with conn:
        conn.executemany(
            "INSERT INTO papers_fts (rowid, title, authors, abstract) VALUES (?, ?, ?, ?)",
            ((d.paper_id, d.title, "; ".join(d.authors), d.abstract) for d in docs),
        )
        conn.executemany(
            "INSERT INTO paper_days VALUES (?, ?)", ((d.paper_id, d.day and d.day.toordinal()) for d in docs)
        )
        conn.executemany(
            "INSERT INTO paper_cats VALUES (?, ?)",
            ((key, d.paper_id) for d in docs for key in category_keys(d.categories)),
        )
        conn.execute("INSERT INTO papers_fts (papers_fts) VALUES ('optimize')")
    return conn


def fts_search(conn, words, categories, limit, weights=(2.0, 1.5, 1.0)) -> list[tuple[int, float]]:
    """OR of the words' tokens, each quoted so FTS5 syntax never applies; bm25() is lower-is-better."""
    tokens = dict.fromkeys(t for word in words for t in _FTS_TOKEN.findall(word))
    if not tokens:
        return []
    match = " OR ".join(f'"{token}"' for token in tokens)
    where = "papers_fts MATCH ?"
    params: list = [*weights, match]
    if categories:
        marks = ",".join("?" * len(categories))
        # The unary + stops SQLite from driving the MATCH once per rowid of the category (seconds per query).
        where += f" AND +rowid IN (SELECT paper_id FROM paper_cats WHERE category IN ({marks}))"
        params += [c.lower() for c in categories]
    sql = f"SELECT rowid, bm25(papers_fts, ?, ?, ?) AS s FROM papers_fts WHERE {where} ORDER BY s LIMIT {int(limit)}"
    return [(rowid, -score) for rowid, score in conn.execute(sql, params)]



def read_scifact(folder: Path):
    def rows(name: str):
        return map(orjson.loads, (folder / name).read_bytes().splitlines())

    docs = [IndexDoc(int(row["_id"]), row.get("title") or "", row.get("text") or "") for row in rows("corpus.jsonl")]
    queries = {row["_id"]: row["text"] for row in rows("queries.jsonl")}
    qrels: dict[str, set[int]] = {}
    for line in (folder / "qrels" / "train.tsv").read_text().splitlines()[1:]:
        query_id, doc_id, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(query_id, set()).add(int(doc_id))
    return docs, {q: queries[q] for q in qrels}, qrels


def ndcg_at_10(ranked: list[int], relevant: set[int]) -> float:
    dcg = sum(1 / math.log2(rank + 2) for rank, pid in enumerate(ranked[:10]) if pid in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(len(relevant), 10)))
    return dcg / ideal


def evaluate(run, queries, qrels) -> dict[str, float]:
    ndcg, recall = [], []
    for query_id, text in queries.items():
        ranked = [pid for pid, _ in run(text)]
        ndcg.append(ndcg_at_10(ranked, qrels[query_id]))
        recall.append(len(set(ranked[:100]) & qrels[query_id]) / len(qrels[query_id]))
    return {"ndcg@10": statistics.fmean(ndcg), "recall@100": statistics.fmean(recall)}


def settings(engine: str) -> list[dict]:
    """The weightings tried for an engine, as keyword arguments of its search."""
    if engine == "tantivy":
        return [{"title": bonus} for bonus in TANTIVY_TITLE_BONUS]
    return [{"title": weight} for weight in FTS_TITLE_WEIGHT]


def searchers(engine: str, place: Path, setting: dict):
    """A function (text, categories) -> Ranked top 100 for this engine and weighting, and what to close."""
    if engine == "tantivy":
        index = KeywordIndex.open(place, boosts=setting)
        return lambda text, cats: index.search(parse_query(text), Filters(categories=cats), 100), None
    conn = sqlite3.connect(place)
    weights = (setting["title"], 1.0, 1.0)
    return lambda text, cats: fts_search(conn, parse_query(text).terms, cats, 100, weights), conn


def quality(folder: Path, work: Path) -> list[dict]:
    docs, queries, qrels = read_scifact(folder)
    places = {"tantivy": work / "scifact-tantivy", "fts5": work / "scifact.db"}
    with KeywordIndex.open(places["tantivy"]) as writer:
        writer.upsert(docs)
        writer.commit()
    build_fts(places["fts5"], docs).close()
    rows = []
    for engine, place in places.items():
        for setting in settings(engine):
            run, conn = searchers(engine, place, setting)
            rows.append({"engine": engine, **setting, **evaluate(lambda text: run(text, ()), queries, qrels)})  # noqa: B023
            if conn:
                conn.close()
    return rows



def read_arxiv(path: Path, limit: int | None) -> list[IndexDoc]:
    docs = []
    with gzip.open(path, "rb") as lines:
        for number, line in enumerate(lines, 1):
            if limit and number > limit:
                break
            row = orjson.loads(line)
            day = row.get("listed") or row.get("published")
            docs.append(
                IndexDoc(number, row.get("title") or "", row.get("abstract") or "", tuple(row.get("authors") or ()),
                         tuple(row.get("categories") or ()), date.fromisoformat(day[:10]) if day else None)
            )  # fmt: skip
    return docs


def realistic_queries(docs: list[IndexDoc], count: int) -> list[tuple[int, str, tuple[str, ...]]]:
    """(source paper, the first 2-6 words of its title, a category filter for one query in three)."""
    rng = random.Random(7)
    queries = []
    for doc in rng.sample(docs, min(count, len(docs))):
        words = doc.title.split()[: rng.randint(2, 6)]
        categories = doc.categories[:1] if doc.categories and rng.random() < 1 / 3 else ()
        queries.append((doc.paper_id, " ".join(words), categories))
    return queries


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def time_queries(run, queries, repeat: int) -> dict:
    """Median over passes of p50 and p99 (ms); the first pass warms caches and is not counted."""
    passes = []
    for _ in range(repeat + 1):
        took = []
        for _, text, categories in queries:
            started = time.perf_counter()
            run(text, categories)
            took.append((time.perf_counter() - started) * 1000)
        took.sort()
        passes.append((took[len(took) // 2], took[min(len(took) - 1, int(len(took) * 0.99))]))
    counted = passes[1:]
    return {"p50_ms": statistics.median(p[0] for p in counted), "p99_ms": statistics.median(p[1] for p in counted)}


def found_at_10(run, queries) -> float:
    """Share of queries whose source paper is in the top 10: a known-item check on real titles."""
    return statistics.fmean(source in [pid for pid, _ in run(text, cats)[:10]] for source, text, cats in queries)


def latency(path: Path, limit: int | None, work: Path, query_count: int, repeat: int) -> dict:
    docs = read_arxiv(path, limit)
    queries = realistic_queries(docs, query_count)
    builds: dict[str, list[float]] = {"tantivy": [], "fts5": []}
    for attempt in range(repeat):  # each build in a fresh place; the last one is queried
        places = {"tantivy": work / f"arxiv-tantivy-{attempt}", "fts5": work / f"arxiv-{attempt}.db"}
        started = time.perf_counter()
        with KeywordIndex.open(places["tantivy"]) as index:
            index.upsert(docs)
            index.commit()
        builds["tantivy"].append(time.perf_counter() - started)
        started = time.perf_counter()
        build_fts(places["fts5"], docs).close()
        builds["fts5"].append(time.perf_counter() - started)
    rows, known_item = [], []
    for engine, place in places.items():
        size = folder_bytes(place) if place.is_dir() else place.stat().st_size
        for setting in settings(engine):
            run, conn = searchers(engine, place, setting)
            known_item.append({"engine": engine, **setting, "found@10": found_at_10(run, queries)})
            if setting == settings(engine)[2]:  # the middle weighting: speed hardly depends on it
                row = {"engine": engine, "papers": len(docs), "build_s": statistics.median(builds[engine])}
                rows.append({**row, "size_mb": size / 1e6, **time_queries(run, queries, repeat)})
            if conn:
                conn.close()
    return {"engines": rows, "known_item": known_item}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=SHARED / "scifact")
    parser.add_argument("--arxiv", type=Path, default=SHARED / "arxiv" / "papers.jsonl.gz")
    parser.add_argument("--limit", type=int, default=None, help="only the first N arXiv papers")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        if not args.skip_quality:
            if not args.scifact.exists():
                sys.exit(f"no SciFact folder at {args.scifact}")
            result["quality"] = quality(args.scifact, Path(folder))
        if not args.skip_latency:
            if not args.arxiv.exists():
                sys.exit(f"no arXiv file at {args.arxiv}")
            result["latency"] = latency(args.arxiv, args.limit, Path(folder), args.queries, args.repeat)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_tables(result, args)


def print_tables(result: dict, args: argparse.Namespace) -> None:
    if "quality" in result:
        print("SciFact, train qrels (809 claims); title = tantivy's title bonus / FTS5's title column weight")
        print("  engine   title  nDCG@10  recall@100")
        for row in result["quality"]:
            print(f"  {row['engine']:<8} {row['title']:>5}  {row['ndcg@10']:.4f}  {row['recall@100']:.4f}")
    if "latency" in result:
        engines = result["latency"]["engines"]
        print(f"\narXiv, {engines[0]['papers']:,} papers, {args.queries} title-prefix queries (top 100), "
              f"medians of {args.repeat}")  # fmt: skip
        print("  engine   build_s  size_mb  p50_ms  p99_ms")
        for row in engines:
            print(f"  {row['engine']:<8} {row['build_s']:>7.1f} {row['size_mb']:>8.1f} {row['p50_ms']:>7.2f} "
                  f"{row['p99_ms']:>7.2f}")  # fmt: skip
        print("  known item (source paper in the top 10):")
        for row in result["latency"]["known_item"]:
            print(f"  {row['engine']:<8} title {row['title']:>4}  found@10 {row['found@10']:.3f}")


if __name__ == "__main__":
    main()
