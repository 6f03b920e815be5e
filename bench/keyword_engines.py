"""Benchmark: the keyword leg on tantivy (paperfeed.search.keyword) against SQLite FTS5 with bm25().

Usage: python bench/keyword_engines.py [--limit N] [--queries 200] [--repeat 3] [--json] [--skip-quality|--skip-latency]

Quality: nDCG@10 and recall@100 on BEIR SciFact (train qrels, 809 claims; binary gains, ideal DCG from the
qrels) for a few title/abstract weightings per engine. Latency: both engines built over the arXiv papers
(../shared/data/arxiv/papers.jsonl.gz, first N with --limit); build time, size on disk, and p50/p99 of
realistic queries (the first 2-6 words of random titles, a third with a category filter), top 100.
Each build and each query pass is repeated; medians are printed. Both engines get the same words:
the ones paperfeed.search.query.parse_query keeps.
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
from pathlib import Path

import orjson

from paperfeed.search.base import Filters, IndexDoc
from paperfeed.search.keyword import KeywordIndex, category_keys
from paperfeed.search.query import parse_query

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# (title, abstract) weights tried on SciFact; authors keep the default boost (SciFact has no authors).
WEIGHTINGS = ((1.0, 1.0), (1.5, 1.0), (2.0, 1.0), (3.0, 1.0), (5.0, 1.0))
_FTS_TOKEN = re.compile(r"\w+")


# --- the FTS5 variant ---


def build_fts(path: Path, docs: list[IndexDoc]) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        PRAGMA journal_mode = WAL;
        CREATE VIRTUAL TABLE papers_fts USING fts5(title, authors, abstract, tokenize='porter unicode61 remove_diacritics 2');
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
        where += f" AND rowid IN (SELECT paper_id FROM paper_cats WHERE category IN ({','.join('?' * len(categories))}))"
        params += [c.lower() for c in categories]
    sql = f"SELECT rowid, bm25(papers_fts, ?, ?, ?) AS s FROM papers_fts WHERE {where} ORDER BY s LIMIT {int(limit)}"
    return [(rowid, -score) for rowid, score in conn.execute(sql, params)]


# --- quality on SciFact ---


def read_scifact(folder: Path):
    docs = [
        IndexDoc(int(row["_id"]), row.get("title") or "", row.get("text") or "")
        for row in map(orjson.loads, (folder / "corpus.jsonl").read_bytes().splitlines())
    ]
    queries = {row["_id"]: row["text"] for row in map(orjson.loads, (folder / "queries.jsonl").read_bytes().splitlines())}
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


def quality(folder: Path, work: Path) -> list[dict]:
    docs, queries, qrels = read_scifact(folder)
    rows = []
    with KeywordIndex.open(work / "scifact-tantivy") as writer:
        writer.upsert(docs)
        writer.commit()
    conn = build_fts(work / "scifact.db", docs)
    for title, abstract in WEIGHTINGS:
        index = KeywordIndex.open(work / "scifact-tantivy", boosts={"title": title, "abstract": abstract})
        scores = evaluate(lambda text: index.search(parse_query(text), Filters(), 100), queries, qrels)  # noqa: B023
        rows.append({"engine": "tantivy", "title": title, "abstract": abstract, **scores})
        weights = (title, 1.0, abstract)
        scores = evaluate(lambda text: fts_search(conn, parse_query(text).terms, (), 100, weights), queries, qrels)  # noqa: B023
        rows.append({"engine": "fts5", "title": title, "abstract": abstract, **scores})
    conn.close()
    return rows


# --- build and latency on arXiv ---


def read_arxiv(path: Path, limit: int | None) -> list[IndexDoc]:
    from datetime import date

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


def latency(path: Path, limit: int | None, work: Path, query_count: int, repeat: int) -> list[dict]:
    docs = read_arxiv(path, limit)
    queries = realistic_queries(docs, query_count)
    builds: dict[str, list[float]] = {"tantivy": [], "fts5": []}
    for attempt in range(repeat):
        started = time.perf_counter()
        with KeywordIndex.open(work / f"arxiv-tantivy-{attempt}") as index:
            index.upsert(docs)
            index.commit()
        builds["tantivy"].append(time.perf_counter() - started)
        started = time.perf_counter()
        build_fts(work / f"arxiv-{attempt}.db", docs).close()
        builds["fts5"].append(time.perf_counter() - started)
    last = repeat - 1
    index = KeywordIndex.open(work / f"arxiv-tantivy-{last}")
    conn = sqlite3.connect(work / f"arxiv-{last}.db")

    def run_tantivy(text, categories):
        return index.search(parse_query(text), Filters(categories=categories), 100)

    def run_fts(text, categories):
        return fts_search(conn, parse_query(text).terms, categories, 100)

    rows = []
    for engine, run, size in (
        ("tantivy", run_tantivy, folder_bytes(work / f"arxiv-tantivy-{last}")),
        ("fts5", run_fts, (work / f"arxiv-{last}.db").stat().st_size),
    ):
        rows.append({"engine": engine, "papers": len(docs), "build_s": statistics.median(builds[engine]),
                     "size_mb": size / 1e6, **time_queries(run, queries, repeat), "found@10": found_at_10(run, queries)})  # fmt: skip
    conn.close()
    return rows


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
        return
    if "quality" in result:
        print("SciFact (train qrels)    title abstract  nDCG@10  recall@100")
        for row in result["quality"]:
            print(f"  {row['engine']:<22} {row['title']:>5} {row['abstract']:>8}  {row['ndcg@10']:.4f}  {row['recall@100']:.4f}")
        for engine in ("tantivy", "fts5"):
            best = max((r for r in result["quality"] if r["engine"] == engine), key=lambda r: r["ndcg@10"])
            print(f"  best {engine}: title {best['title']} abstract {best['abstract']} -> nDCG@10 {best['ndcg@10']:.4f}")
    if "latency" in result:
        print(f"arXiv ({result['latency'][0]['papers']:,} papers, {args.queries} queries, top 100, medians of {args.repeat})")
        print("  engine    build_s  size_mb  p50_ms  p99_ms  found@10")
        for row in result["latency"]:
            print(f"  {row['engine']:<8} {row['build_s']:>8.1f} {row['size_mb']:>8.1f} {row['p50_ms']:>7.2f} "
                  f"{row['p99_ms']:>7.2f}  {row['found@10']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
