"""Search quality harness: nDCG@10 and recall@100 on a BEIR-layout benchmark (default: SciFact train).

Every run ranks through the code `SearchService.search` runs (`SearchService.rank`): the keyword leg
alone (no vectors), the dense leg alone (the vector index's nearest papers to the embedded query) and
the fused default. Any BEIR folder works: corpus.jsonl (_id, title, text), queries.jsonl (_id, text),
qrels/<split>.tsv.

    python bench/quality.py                       # SciFact train, the default settings
    python bench/quality.py --coverage 0.05 0.25 0.5 1   # a random share embedded (5 seeded draws, averaged)
    python bench/quality.py --cv 5                # 5-fold cross-validation of the fusion's settings
    python bench/quality.py --data DIR --qrels DIR/qrels/test.tsv --json

--cv K splits the queries into K folds (by a hash of the query id), picks the fusion settings (method,
keyword weight, cosine floor) that score best on K-1 folds, and scores them on the fold left out;
each leg is scored on the same folds. Document vectors are cached under --cache (one embedding run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from paperfeed.config import Settings
from paperfeed.search.base import IndexDoc, Ranked
from paperfeed.search.documents import document_text
from paperfeed.search.fusion import FusionWeights
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.service import SearchService

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"
DEPTH = 100
COVERAGE_SEED = 13
GRID = [FusionWeights(keyword=float(w), semantic=float(round(1 - w, 2)), method="bounded", dense_floor=floor)
        for w in np.round(np.arange(0.1, 0.91, 0.1), 2) for floor in (-1.0, 0.0, 0.2)] + \
       [FusionWeights(keyword=float(w), semantic=float(round(1 - w, 2)), method=method)
        for w in np.round(np.arange(0.1, 0.91, 0.1), 2) for method in ("score", "rrf")]


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


def per_query(runs: dict[str, Ranked], doc_ids: list[str], qrels) -> dict[str, tuple[float, float]]:
    """Query id -> (nDCG@10, recall@100)."""
    scored = {}
    for qid, ranked in runs.items():
        docs = [doc_ids[pid] for pid, _ in ranked]
        scored[qid] = (ndcg_at(docs, qrels[qid]), recall_at(docs, qrels[qid]))
    return scored


def summary(scored: dict[str, tuple[float, float]], qids=None) -> dict:
    values = [scored[q] for q in (qids if qids is not None else scored)]
    return {"ndcg@10": float(np.mean([v[0] for v in values])), "recall@100": float(np.mean([v[1] for v in values])),
            "queries": len(values)}


class CachedQueries:
    """The embedder, with each query embedded once (a grid ranks every query many times)."""

    def __init__(self, embedder) -> None:
        self.embedder, self._seen = embedder, {}

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self._seen:
            self._seen[text] = self.embedder.embed_query(text)
        return self._seen[text]


def document_vectors(corpus, spec: str, settings: Settings, cache: Path):
    """(embedder, vectors of every document), the vectors cached by model and corpus."""
    from paperfeed.search.embedding import load_embedder

    backend, _, model = spec.partition(":")
    embedder = load_embedder(model, backend=backend, cache_dir=cache, max_tokens=settings.embedding_max_tokens)
    texts = [document_text(d.get("title", ""), d["text"]) for d in corpus]
    digest = hashlib.sha256(f"{spec}|{settings.embedding_max_tokens}|{len(texts)}|{texts[0]}|{texts[-1]}".encode())
    path = cache / f"quality-{digest.hexdigest()[:16]}.npy"
    if path.exists():
        return embedder, np.load(path), None
    started = time.perf_counter()
    vectors = embedder.embed_documents(texts)
    docs_per_s = len(texts) / (time.perf_counter() - started)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return embedder, vectors, docs_per_s


def services(corpus, folder: Path, settings: Settings, embedder, vectors, coverage: float, seed: int = COVERAGE_SEED):
    """(keyword-only service, dense-only vector index, full service) over the corpus, with only a seeded
    random share `coverage` of the documents embedded."""
    from paperfeed.search.vectors import ExactVectorIndex

    index = KeywordIndex.open(folder / "keyword")
    index.upsert(IndexDoc(paper_id=i, title=doc.get("title", ""), abstract=doc["text"]) for i, doc in enumerate(corpus))
    index.commit()
    chosen = np.arange(len(corpus))
    if coverage < 1.0:
        chosen = np.sort(np.random.default_rng(seed).choice(len(corpus), round(coverage * len(corpus)),
                                                                     replace=False))
    vector_index = ExactVectorIndex(vectors.shape[1])
    vector_index.add(chosen.astype(np.int64), vectors[chosen])
    keyword_only = SearchService(settings, None, index)
    fused = SearchService(settings, None, index, embedder=embedder, vectors=vector_index)
    return keyword_only, vector_index, fused


def runs_of(service: SearchService, queries: dict[str, str], weights: FusionWeights | None = None):
    if weights is not None:
        service.weights = weights
    return {qid: service.rank(text, depth=DEPTH) for qid, text in queries.items()}


def dense_runs(vector_index, embedder, queries: dict[str, str]) -> tuple[dict[str, Ranked], float]:
    runs, timings = {}, []
    for qid, text in queries.items():
        started = time.perf_counter()
        runs[qid] = vector_index.search(embedder.embed_query(text), DEPTH)
        timings.append(time.perf_counter() - started)
    return runs, 1000 * float(np.median(timings))


def folds_of(qids, k: int) -> list[list[str]]:
    folds: list[list[str]] = [[] for _ in range(k)]
    for qid in qids:
        folds[int(hashlib.sha256(qid.encode()).hexdigest(), 16) % k].append(qid)
    return folds


def label(weights: FusionWeights) -> str:
    floor = f", cosine floor {weights.dense_floor:g}" if weights.method == "bounded" else ""
    return f"{weights.method}, keyword weight {weights.keyword:g}{floor}"


def cross_validate(fused: SearchService, queries, doc_ids, qrels, legs: dict[str, dict], k: int) -> dict:
    """Each fold scored under the settings the other folds chose; the legs on the same folds."""
    grid = {label(w): per_query(runs_of(fused, queries, w), doc_ids, qrels) for w in GRID}
    folds = folds_of(list(queries), k)
    held_out, chosen = [], []
    for index, fold in enumerate(folds):
        tuning = [q for j, other in enumerate(folds) if j != index for q in other]
        best = max(grid, key=lambda name: summary(grid[name], tuning)["ndcg@10"])
        chosen.append(best)
        held_out.append(summary(grid[best], fold))
    by_leg = {name: [summary(scored, fold) for fold in folds] for name, scored in legs.items()}

    def spread(rows):
        values = {metric: [row[metric] for row in rows] for metric in ("ndcg@10", "recall@100")}
        return {metric: {"mean": float(np.mean(v)), "std": float(np.std(v))} for metric, v in values.items()}

    overall = max(grid, key=lambda name: summary(grid[name])["ndcg@10"])
    return {"folds": k, "fused (cross-validated)": spread(held_out), "chosen per fold": chosen,
            "chosen on all queries": overall, **{name: spread(rows) for name, rows in by_leg.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a BEIR-layout folder")
    parser.add_argument("--qrels", type=Path, default=None, help="judgements file (default: <data>/qrels/train.tsv)")
    parser.add_argument("--model", default=None, help="backend:model for the dense leg (default: the settings')")
    parser.add_argument("--coverage", type=float, nargs="*", default=[1.0],
                        help="shares of the corpus embedded, each a run (seeded random documents)")
    parser.add_argument("--draws", type=int, default=5, help="random subsets per share below 1, averaged")
    parser.add_argument("--cv", type=int, default=0, help="K-fold cross-validation of the fusion settings")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "paperfeed-bench")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings(_env_file=None)
    qrels_path = args.qrels or args.data / "qrels" / "train.tsv"
    if not (args.data / "corpus.jsonl").exists() or not qrels_path.exists():
        sys.exit(f"no BEIR data at {args.data} (corpus.jsonl, queries.jsonl, {qrels_path.name})")
    if any(not 0 < share <= 1 for share in args.coverage):
        sys.exit("--coverage takes shares in (0, 1]")
    corpus, queries, qrels = load_beir(args.data, qrels_path)
    doc_ids = [doc["_id"] for doc in corpus]
    spec = args.model or f"{settings.embedding_backend}:{settings.embedding_model}"
    embedder, vectors, docs_per_s = document_vectors(corpus, spec, settings, args.cache)
    embedder = CachedQueries(embedder)
    report: dict = {"data": str(args.data), "qrels": str(qrels_path), "model": spec, "docs_per_s": docs_per_s,
                    "default": label(FusionWeights(settings.fusion_keyword_weight, 1 - settings.fusion_keyword_weight,
                                                   settings.fusion_method, dense_floor=settings.fusion_dense_floor)),
                    "coverage": []}
    for share in args.coverage:
        draws = [[] for _ in range(3)]  # per run: each draw's summary
        entry: dict = {"coverage": share, "draws": 1 if share == 1 else args.draws}
        for draw in range(entry["draws"]):  # a share below 1: several seeded random subsets, averaged
            with tempfile.TemporaryDirectory() as folder:
                keyword_only, vector_index, fused = services(corpus, Path(folder), settings, embedder, vectors, share,
                                                             seed=COVERAGE_SEED + draw)
                legs = {"BM25 (keyword leg)": per_query(runs_of(keyword_only, queries), doc_ids, qrels)}
                dense, entry["dense_query_ms_p50"] = dense_runs(vector_index, embedder, queries)
                legs[f"dense {spec}"] = per_query(dense, doc_ids, qrels)
                started = time.perf_counter()
                default = per_query(runs_of(fused, queries), doc_ids, qrels)
                entry["rank_ms"] = 1000 * (time.perf_counter() - started) / len(queries)
                for runs, scored in zip(draws, [*legs.values(), default], strict=True):
                    runs.append(summary(scored))
                if args.cv and draw == 0:
                    entry["cv"] = cross_validate(fused, queries, doc_ids, qrels, legs, args.cv)
                keyword_only.keyword.close()
        names = [*legs, f"fused default ({report['default']})"]
        entry["rows"] = [{"run": name, "ndcg@10": float(np.mean([d["ndcg@10"] for d in runs])),
                          "ndcg@10 lowest draw": float(min(d["ndcg@10"] for d in runs)),
                          "recall@100": float(np.mean([d["recall@100"] for d in runs]))}
                         for name, runs in zip(names, draws, strict=True)]
        report["coverage"].append(entry)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{len(queries)} queries, {len(corpus):,} docs ({qrels_path}), dense {spec}")
    for entry in report["coverage"]:
        draws = f", mean of {entry['draws']} random draws (lowest draw in brackets)" if entry["draws"] > 1 else ""
        print(f"\nsemantic index {entry['coverage']:.0%} ready{draws}")
        print(f"  {'run':70} {'nDCG@10':>8} {'R@100':>7}")
        for row in entry["rows"]:
            lowest = f"  ({row['ndcg@10 lowest draw']:.4f})" if entry["draws"] > 1 else ""
            print(f"  {row['run']:70} {row['ndcg@10']:8.4f} {row['recall@100']:7.4f}{lowest}")
        if "cv" in entry:
            cv = entry["cv"]
            print(f"  {cv['folds']}-fold cross-validation (mean ± std over the held-out folds):")
            for name, value in cv.items():
                if isinstance(value, dict):
                    print(f"    {name:68} {value['ndcg@10']['mean']:.4f} ± {value['ndcg@10']['std']:.4f}"
                          f"   R@100 {value['recall@100']['mean']:.4f} ± {value['recall@100']['std']:.4f}")
            print(f"    chosen per fold: {'; '.join(cv['chosen per fold'])}")
            print(f"    chosen on all queries: {cv['chosen on all queries']}")


if __name__ == "__main__":
    main()
