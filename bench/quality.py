"""Search quality harness: nDCG@10 and recall@100 on a BEIR-layout benchmark (default: SciFact train).

For BM25 alone (paperfeed's keyword leg), dense alone (each model/backend asked for), and the
fused default; `--tune` also searches fusion weights and prints the best. Any BEIR folder works:
corpus.jsonl (_id, title, text), queries.jsonl (_id, text), qrels/<split>.tsv.

    python bench/quality.py                                   # SciFact train, the default settings
    python bench/quality.py --models onnx:all-MiniLM-L6-v2 torch:all-MiniLM-L6-v2 --tune
    python bench/quality.py --data DIR --qrels DIR/qrels/test.tsv --json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from paperfeed.config import Settings
from paperfeed.search.base import Filters, IndexDoc, Ranked
from paperfeed.search.documents import document_text
from paperfeed.search.fusion import FusionWeights, fuse
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.query import parse_query

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"


def load_beir(data: Path, qrels_path: Path):
    corpus = [json.loads(line) for line in (data / "corpus.jsonl").open()]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (data / "queries.jsonl").open())}
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in qrels_path.open():
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 3 and parts[2].lstrip("-").isdigit():
            qrels[parts[0]][parts[1]] = int(parts[2])
    return corpus, {qid: queries[qid] for qid in qrels if qid in queries}, qrels


def ndcg_at(ranked_docs: list[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked_docs[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked_docs: list[str], relevant: dict[str, int], k: int = 100) -> float:
    wanted = {doc for doc, gain in relevant.items() if gain > 0}
    return len(wanted & set(ranked_docs[:k])) / len(wanted) if wanted else 0.0


def score(runs: dict[str, Ranked], doc_ids: list[str], qrels) -> dict:
    ndcg, recall = [], []
    for qid, ranked in runs.items():
        docs = [doc_ids[pid] for pid, _ in ranked]
        ndcg.append(ndcg_at(docs, qrels[qid]))
        recall.append(recall_at(docs, qrels[qid]))
    return {"ndcg@10": float(np.mean(ndcg)), "recall@100": float(np.mean(recall)), "queries": len(runs)}


def keyword_runs(corpus, queries, folder: Path) -> dict[str, Ranked]:
    index = KeywordIndex.open(folder / "keyword")
    index.upsert(IndexDoc(paper_id=i, title=doc.get("title", ""), abstract=doc["text"]) for i, doc in enumerate(corpus))
    index.commit()
    return {qid: index.search(parse_query(text), Filters(), 100) for qid, text in queries.items()}


def dense_runs(corpus, queries, spec: str, settings: Settings, cache: Path) -> tuple[dict[str, Ranked], dict]:
    from paperfeed.search.embedding import load_embedder
    from paperfeed.search.vectors import ExactVectorIndex

    backend, _, model = spec.partition(":")
    embedder = load_embedder(model, backend=backend, cache_dir=cache, max_tokens=settings.embedding_max_tokens)
    started = time.perf_counter()
    vectors = embedder.embed_documents([document_text(d.get("title", ""), d["text"]) for d in corpus])
    docs_per_s = len(corpus) / (time.perf_counter() - started)
    index = ExactVectorIndex(vectors.shape[1])
    index.add(np.arange(len(corpus), dtype=np.int64), vectors)
    runs, timings = {}, []
    for qid, text in queries.items():
        started = time.perf_counter()
        runs[qid] = index.search(embedder.embed_query(text), 100)
        timings.append(time.perf_counter() - started)
    return runs, {"docs_per_s": docs_per_s, "query_ms_p50": 1000 * float(np.median(timings))}


def tune(keyword: dict[str, Ranked], dense: dict[str, Ranked], doc_ids, qrels) -> list[dict]:
    trials = []
    for method in ("score", "rrf"):
        for weight in np.round(np.arange(0.0, 1.0001, 0.05), 2):
            weights = FusionWeights(keyword=float(weight), semantic=float(1 - weight), method=method)
            runs = {qid: fuse(keyword[qid], dense[qid], weights, limit=100) for qid in keyword}
            trials.append({"method": method, "keyword_weight": float(weight), **score(runs, doc_ids, qrels)})
    return sorted(trials, key=lambda t: -t["ndcg@10"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a BEIR-layout folder")
    parser.add_argument("--qrels", type=Path, default=None, help="judgements file (default: <data>/qrels/train.tsv)")
    parser.add_argument("--models", nargs="*", default=None,
                        help="backend:model for the dense leg, e.g. onnx:all-MiniLM-L6-v2 torch:all-MiniLM-L6-v2")
    parser.add_argument("--tune", action="store_true", help="grid-search the fusion weights")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "paperfeed-bench")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    qrels_path = args.qrels or args.data / "qrels" / "train.tsv"
    if not (args.data / "corpus.jsonl").exists() or not qrels_path.exists():
        sys.exit(f"no BEIR data at {args.data} (corpus.jsonl, queries.jsonl, {qrels_path.name})")
    corpus, queries, qrels = load_beir(args.data, qrels_path)
    doc_ids = [doc["_id"] for doc in corpus]
    default_spec = f"{settings.embedding_backend}:{settings.embedding_model}"
    specs = args.models or [default_spec]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        keyword = keyword_runs(corpus, queries, Path(folder))
    rows.append({"run": "BM25 (keyword leg)", **score(keyword, doc_ids, qrels)})
    dense_by_spec = {}
    for spec in specs:
        dense_by_spec[spec], speed = dense_runs(corpus, queries, spec, settings, args.cache)
        rows.append({"run": f"dense {spec}", **score(dense_by_spec[spec], doc_ids, qrels), **speed})
    dense = dense_by_spec.get(default_spec) or dense_by_spec[specs[0]]
    weights = FusionWeights(settings.fusion_keyword_weight, 1 - settings.fusion_keyword_weight, settings.fusion_method)
    fused = {qid: fuse(keyword[qid], dense[qid], weights, limit=100) for qid in keyword}
    rows.append({"run": f"fused default ({weights.method}, keyword weight {weights.keyword})",
                 **score(fused, doc_ids, qrels)})
    report = {"data": str(args.data), "qrels": str(qrels_path), "rows": rows}
    if args.tune:
        report["tuning"] = tune(keyword, dense, doc_ids, qrels)[:10]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{len(queries)} queries, {len(corpus):,} docs ({qrels_path})")
    print(f"{'run':58} {'nDCG@10':>8} {'R@100':>7} {'docs/s':>8} {'q ms':>6}")
    for row in rows:
        extra = f"{row['docs_per_s']:8.0f} {row['query_ms_p50']:6.1f}" if "docs_per_s" in row else ""
        print(f"{row['run']:58} {row['ndcg@10']:8.4f} {row['recall@100']:7.4f} {extra}")
    for trial in report.get("tuning", []):
        print(f"  tune {trial['method']:5} keyword weight {trial['keyword_weight']:.2f}: nDCG@10 {trial['ndcg@10']:.4f}"
              f"  R@100 {trial['recall@100']:.4f}")


if __name__ == "__main__":
    main()
