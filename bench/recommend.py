"""Recommendation benchmark (issue 11, item 8): does the shipped reader model beat the anchors' recipes?

Built from the arXiv sample. A reader is an author (by paperfeed.identity.name_key) with at least 6
papers that have an announcement day; their papers in order of (day, arXiv id), the last is the target
and the earlier ones are the library. The candidates are every paper announced in the target's ISO week
(Monday to Sunday), the target among them, less any library paper of that week (a reader is not
recommended what they have). Random negatives and the shipped model's reference come from the papers
announced before that week (the store as it stood), never from the library. Content only: the rankers
see embeddings and TF-IDF rows of title + abstract, never author names. Readers whose week has fewer
than 6,000 earlier papers to draw from are skipped (the sample's first weeks) and counted.

Rankers, side by side in one run:
  (i)   arxiv-sanity-lite: TF-IDF (its compute.py settings, 20,000 features), LinearSVC(C=0.01,
        class_weight="balanced", max_iter=10000, tol=1e-6); the library against the candidate week
        plus 5,000 random earlier papers, candidates ranked by the decision function;
  (ii)  Scholar Inbox: logistic regression (C=0.1) on the dense embeddings, the library against 5,000
        random earlier papers weighted 0.8, classes balanced as in their code;
  (iii) cosine to the library's centroid;
  (iv)  the shipped model, paperfeed.recommend.fit with its default settings.

    python bench/recommend.py --prepare          # once: ingest the sample, embed it (paperfeed index), TF-IDF
    python bench/recommend.py                    # the report: 1,000 seeded readers (--readers N --seed S)
    python bench/recommend.py --tune             # 5-fold CV over reader folds, on readers outside the report's
    python bench/recommend.py --json

Embeddings are the ones `paperfeed index` keeps (its embedding store under the cache's index/); the
TF-IDF matrix is cached beside them. Times are medians per reader, one BLAS thread, on whatever else
the machine is doing.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "arxiv" / "papers.jsonl.gz"
CACHE = Path.home() / ".cache" / "paperfeed-bench" / "recommend"
MIN_PAPERS = 6
RANDOM_NEGATIVES = 5_000  # arxiv-sanity's bounded negatives (besides the week) and Scholar Inbox's
REFERENCE = 1_000  # what the shipped model calibrates on, disjoint from every negative
FOLDS = 5
TIME_SAMPLE = 5_000  # candidates scored per reader for the "score 5,000" column


# --- the sample as rows ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BenchPaper:
    day: date | None  # announcement day (the sample's `listed`)
    order_key: str  # arXiv id: ties on a day go by it
    authors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reader:
    key: str  # name_key of the author
    library: tuple[int, ...]  # rows, oldest first
    target: int  # row of their latest paper


def build_readers(papers: Sequence[BenchPaper], min_papers: int = MIN_PAPERS) -> list[Reader]:
    """Every author with at least `min_papers` dated papers, by normalized name, in name order."""
    from paperfeed.identity import name_key

    by_author: dict[str, list[tuple[date, str, int]]] = defaultdict(list)
    for row, paper in enumerate(papers):
        if paper.day is None:
            continue
        for key in dict.fromkeys(name_key(name) for name in paper.authors):  # a name twice counts once
            by_author[key].append((paper.day, paper.order_key, row))
    readers = []
    for key in sorted(by_author):
        items = sorted(by_author[key])
        if len(items) >= min_papers:
            readers.append(Reader(key, tuple(row for *_, row in items[:-1]), items[-1][2]))
    return readers


def week_start(day: date) -> date:
    """Monday of the day's ISO week."""
    return day - timedelta(days=day.isoweekday() - 1)


class Calendar:
    """Rows by ISO week, and the rows announced before any day, for drawing earlier papers."""

    def __init__(self, papers: Sequence[BenchPaper]) -> None:
        dated = [row for row, paper in enumerate(papers) if paper.day is not None]
        dated.sort(key=lambda row: (papers[row].day, papers[row].order_key))
        self.by_day = np.asarray(dated, dtype=np.int64)
        self._ordinals = np.asarray([papers[row].day.toordinal() for row in dated], dtype=np.int64)
        self._papers = papers

    def week_rows(self, day: date) -> np.ndarray:
        start = week_start(day).toordinal()
        low, high = np.searchsorted(self._ordinals, [start, start + 7], side="left")
        return self.by_day[low:high]

    def earlier_count(self, day: date) -> int:
        """How many dated papers were announced before the day's week (a prefix of by_day)."""
        return int(np.searchsorted(self._ordinals, week_start(day).toordinal(), side="left"))


def candidate_rows(calendar: Calendar, papers: Sequence[BenchPaper], reader: Reader) -> np.ndarray:
    """The target's week, less the library (the target stays)."""
    week = calendar.week_rows(papers[reader.target].day)
    return week[~np.isin(week, np.asarray(reader.library, dtype=np.int64))]


def reader_seed(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def reader_fold(key: str, folds: int = FOLDS) -> int:
    return reader_seed(key) % folds


@dataclass(frozen=True, slots=True)
class Task:
    reader: Reader
    candidates: np.ndarray  # rows
    target_index: int  # the target's position in candidates
    negatives: np.ndarray  # RANDOM_NEGATIVES random earlier rows, none of the library
    reference: np.ndarray  # REFERENCE more, disjoint from negatives


def make_task(reader: Reader, papers: Sequence[BenchPaper], calendar: Calendar, seed: int,
              negatives: int = RANDOM_NEGATIVES, reference: int = REFERENCE) -> Task | None:
    """The reader's candidates and random draws (the same for a reader and seed whatever else runs);
    None when too few earlier papers exist to draw from."""
    pool = calendar.earlier_count(papers[reader.target].day)
    wanted = negatives + reference
    if pool < wanted + len(reader.library):
        return None
    rng = np.random.default_rng([seed, reader_seed(reader.key)])
    drawn = calendar.by_day[rng.choice(pool, size=wanted + len(reader.library), replace=False)]
    drawn = drawn[~np.isin(drawn, np.asarray(reader.library, dtype=np.int64))][:wanted]
    candidates = candidate_rows(calendar, papers, reader)
    target_index = int(np.flatnonzero(candidates == reader.target)[0])
    return Task(reader, candidates, target_index, drawn[:negatives], drawn[negatives:])


def target_rank(scores: np.ndarray, target_index: int) -> int:
    """1-based rank of the target; a tie counts against it (a constant ranker gets the last place)."""
    target = scores[target_index]
    others = np.delete(scores, target_index)
    return 1 + int(np.count_nonzero(others >= target)) if np.isfinite(target) else len(scores)


def summarize(ranks: Iterable[int]) -> dict[str, float]:
    ranks = np.asarray(list(ranks), dtype=np.float64)
    if not len(ranks):
        return {"recall@10": 0.0, "recall@50": 0.0, "mrr": 0.0, "readers": 0}
    return {
        "recall@10": float(np.mean(ranks <= 10)),
        "recall@50": float(np.mean(ranks <= 50)),
        "mrr": float(np.mean(1.0 / ranks)),
        "readers": int(len(ranks)),
    }


def split_readers(readers: Sequence[Reader], report: int, seed: int) -> tuple[list[Reader], list[Reader]]:
    """A seeded sample of `report` readers for the report, and the rest (tuning draws from these only)."""
    order = np.random.default_rng(seed).permutation(len(readers))
    chosen = set(order[:report].tolist())
    return ([readers[i] for i in sorted(chosen)],
            [reader for i, reader in enumerate(readers) if i not in chosen])


# --- loading the cached store ------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    papers: list[BenchPaper]
    paper_ids: np.ndarray  # store ids, one per row
    dense: np.ndarray  # the embedding store's vectors, one per row
    sparse: object  # scipy CSR TF-IDF rows

    def features(self, rows: np.ndarray):
        from paperfeed.recommend import PaperFeatures

        return PaperFeatures(self.dense[rows], self.sparse[rows])


def _settings(cache: Path):
    from paperfeed.config import Settings

    return Settings(_env_file=None, data_dir=cache, database_url=f"sqlite:///{cache / 'paperfeed.db'}")


def prepare(cache: Path, sample_file: Path) -> None:
    """Ingest the sample with paperfeed's own ingest and embed it with paperfeed's indexer (both resume
    and skip what is done), then build the TF-IDF cache."""
    from paperfeed import ingest
    from paperfeed.db import migrate
    from paperfeed.db.engine import make_engine
    from paperfeed.db.papers import count_papers
    from paperfeed.search.maintenance import update_index

    settings = _settings(cache)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        stored = count_papers(conn)
    if not stored:
        print(f"ingesting {sample_file} ...", file=sys.stderr)
        summary, _ = ingest.ingest_file(engine, sample_file)
        print(f"  {summary.added:,} papers added", file=sys.stderr)
    print("embedding what is pending (paperfeed index --semantic-only; ~25 min for the whole sample) ...",
          file=sys.stderr)
    with Progress("embedding") as progress:
        report = update_index(settings, engine, keyword=False, on_semantic=progress.update)
    print(f"  {report['embedded']:,} embedded, {report['vectors']:,} vectors kept", file=sys.stderr)
    load_sample(cache)  # builds the TF-IDF cache
    engine.dispose()


def load_sample(cache: Path) -> Sample:
    import scipy.sparse as sp
    import sqlalchemy as sa

    from paperfeed.db.engine import make_engine
    from paperfeed.db.schema import papers as papers_table
    from paperfeed.recommend.tfidf import tfidf_vectorizer
    from paperfeed.search.documents import document_text
    from paperfeed.search.embedding_store import EmbeddingStore
    from paperfeed.search.indexer import IndexPaths, model_slug

    settings = _settings(cache)
    if not (cache / "paperfeed.db").exists():
        sys.exit(f"no benchmark store at {cache}: run python bench/recommend.py --prepare first")
    engine = make_engine(settings.database_url)
    table = papers_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.key, table.c.announced_on, table.c.title,
                                      table.c.abstract, table.c.authors).order_by(table.c.id)).all()
    engine.dispose()
    paper_ids = np.asarray([row.id for row in rows], dtype=np.int64)
    store_path = IndexPaths(cache / "index").embeddings(model_slug(settings.embedding_model))
    if not store_path.exists():
        sys.exit(f"no embeddings at {store_path}: run python bench/recommend.py --prepare first")
    store = EmbeddingStore(store_path, 384)
    ids, vectors = store.load_all()
    store.close()
    if len(ids) < len(paper_ids) or not np.array_equal(ids[np.isin(ids, paper_ids)], paper_ids):
        sys.exit(f"{len(ids):,} of {len(paper_ids):,} papers embedded: run python bench/recommend.py --prepare")
    dense = vectors[np.searchsorted(ids, paper_ids)]
    tfidf_path = cache / "tfidf.npz"
    ids_path = cache / "tfidf-ids.npy"
    if tfidf_path.exists() and ids_path.exists() and np.array_equal(np.load(ids_path), paper_ids):
        sparse = sp.load_npz(tfidf_path).tocsr()
    else:
        print(f"TF-IDF over {len(rows):,} papers (once; cached in {tfidf_path}) ...", file=sys.stderr)
        sparse = tfidf_vectorizer().fit_transform([document_text(row.title, row.abstract) for row in rows]).tocsr()
        sp.save_npz(tfidf_path, sparse)
        np.save(ids_path, paper_ids)
    papers = [BenchPaper(row.announced_on, row.key, tuple(row.authors)) for row in rows]
    return Sample(papers, paper_ids, dense, sparse)


# --- rankers -----------------------------------------------------------------------------------

def arxiv_sanity(task: Task, sample: Sample):
    """arxiv-sanity-lite's serve.py SVM, with the week plus 5,000 random earlier papers as negatives."""
    import scipy.sparse as sp
    from sklearn.svm import LinearSVC

    from paperfeed.recommend.scorers import SPARSE, LinearScorer

    library = np.asarray(task.reader.library)
    x = sp.vstack([sample.sparse[library], sample.sparse[task.candidates], sample.sparse[task.negatives]])
    y = np.zeros(x.shape[0])
    y[:len(library)] = 1
    svm = LinearSVC(class_weight="balanced", max_iter=10_000, tol=1e-6, C=0.01)
    svm.fit(x, y)
    return LinearScorer(SPARSE, svm.coef_.ravel().astype(np.float32), float(svm.intercept_[0]))


def scholar_inbox(task: Task, sample: Sample):
    """Scholar Inbox's logistic regression on the embeddings, random store negatives weighted 0.8."""
    from sklearn.linear_model import LogisticRegression

    from paperfeed.recommend.scorers import DENSE, LinearScorer, class_balanced_weights

    library = np.asarray(task.reader.library)
    x = np.vstack([sample.dense[library], sample.dense[task.negatives]])
    y = np.zeros(len(x))
    y[:len(library)] = 1
    # Their CACHE_V weights: each class weighs as much as all samples together (twice the half that
    # class_balanced_weights gives it), which matters with C fixed at 0.1.
    weights = 2 * class_balanced_weights(len(library), 0, len(task.negatives), 0.8)
    model = LogisticRegression(C=0.1, max_iter=1_000)
    model.fit(x, y, sample_weight=weights)
    return LinearScorer(DENSE, model.coef_.ravel().astype(np.float32), float(model.intercept_[0]))


def centroid(task: Task, sample: Sample):
    from paperfeed.recommend.scorers import Centroid

    return Centroid.fit(sample.features(np.asarray(task.reader.library)))


def shipped(task: Task, sample: Sample, settings=None):
    from paperfeed.recommend import DEFAULT_SETTINGS, fit

    settings = settings or DEFAULT_SETTINGS
    return fit(sample.features(np.asarray(task.reader.library)),
               sample.features(task.negatives[:settings.random_negatives]),
               sample.features(task.reference[:settings.reference_papers]), settings=settings)


RANKERS: dict[str, Callable] = {
    "(i) arxiv-sanity-lite: TF-IDF LinearSVC": arxiv_sanity,
    "(ii) Scholar Inbox: dense logistic regression": scholar_inbox,
    "(iii) centroid cosine (dense)": centroid,
    "(iv) paperfeed: shipped model": shipped,
}


# --- running -----------------------------------------------------------------------------------

class Progress:
    """A rich progress bar on a terminal; otherwise a line on stderr at every tenth of the way."""

    def __init__(self, description: str, total: int | None = None) -> None:
        self.description, self.total, self.done = description, total, 0
        self._bar = None
        self._started = time.monotonic()
        self._reported = 0

    def __enter__(self) -> Progress:
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def update(self, done: int, total: int | None = None) -> None:
        self.done, self.total = done, total or self.total
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=self.total)
        elif self.total and done * 10 // self.total > self._reported:
            self._reported = done * 10 // self.total
            print(f"{self.description}: {done:,}/{self.total:,} ({time.monotonic() - self._started:.0f} s)",
                  file=sys.stderr, flush=True)

    def advance(self) -> None:
        self.update(self.done + 1)


def make_tasks(readers: Sequence[Reader], sample: Sample, seed: int) -> tuple[list[Task], int]:
    calendar = Calendar(sample.papers)
    tasks = [make_task(reader, sample.papers, calendar, seed) for reader in readers]
    return [task for task in tasks if task is not None], sum(task is None for task in tasks)


def evaluate(tasks: Sequence[Task], sample: Sample, rankers: dict[str, Callable]) -> dict[str, dict]:
    """Each ranker on each task: ranks of the targets, and per-reader fit and scoring times."""
    from threadpoolctl import threadpool_limits

    from paperfeed.recommend import Match

    rng = np.random.default_rng(0)
    results = {name: {"ranks": [], "train_s": [], "score_s": [], "score5k_s": [], "labels": []} for name in rankers}
    with Progress("readers", len(tasks)) as progress, threadpool_limits(limits=1, user_api="blas"):
        for task in tasks:
            candidates = sample.features(task.candidates)
            timing = sample.features(rng.choice(len(sample.papers), TIME_SAMPLE, replace=False))
            for name, ranker in rankers.items():
                started = time.perf_counter()
                model = ranker(task, sample)
                trained = time.perf_counter()
                scores = model.score(candidates)
                scored = time.perf_counter()
                model.score(timing)
                result = results[name]
                result["score5k_s"].append(time.perf_counter() - scored)
                result["train_s"].append(trained - started)
                result["score_s"].append(scored - trained)
                result["ranks"].append(target_rank(scores, task.target_index))
                if hasattr(model, "labels"):
                    labels = model.labels(scores)
                    result["labels"].append((labels[task.target_index],
                                             sum(label is Match.STRONG for label in labels) / len(labels),
                                             sum(label is not None for label in labels) / len(labels)))
            progress.advance()
    return results


def report_rows(results: dict[str, dict]) -> list[dict]:
    from paperfeed.recommend import Match

    rows = []
    for name, result in results.items():
        row = {"ranker": name, **summarize(result["ranks"]),
               "train_ms_p50": 1000 * statistics.median(result["train_s"]),
               "score_ms_p50": 1000 * statistics.median(result["score_s"]),
               "score5k_ms_p50": 1000 * statistics.median(result["score5k_s"]),
               "train_ms_p99": 1000 * float(np.percentile(result["train_s"], 99))}
        if result["labels"]:
            targets = [label for label, _, _ in result["labels"]]
            row["calibration"] = {
                "targets_strong": sum(label is Match.STRONG for label in targets) / len(targets),
                "targets_weak_or_strong": sum(label is not None for label in targets) / len(targets),
                "candidates_strong": float(np.mean([share for _, share, _ in result["labels"]])),
                "candidates_weak_or_strong": float(np.mean([share for _, _, share in result["labels"]])),
            }
        rows.append(row)
    return rows


def print_table(rows: list[dict], header: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=header)
    for column in ("ranker", "recall@10", "recall@50", "MRR", "train ms (p50)", "score ms (p50, week)",
                   "score 5,000 ms (p50)"):
        table.add_column(column, justify="left" if column == "ranker" else "right")
    for row in rows:
        table.add_row(row["ranker"], f"{row['recall@10']:.3f}", f"{row['recall@50']:.3f}", f"{row['mrr']:.3f}",
                      f"{row['train_ms_p50']:.1f}", f"{row['score_ms_p50']:.2f}", f"{row['score5k_ms_p50']:.2f}")
    console = Console(width=None if sys.stdout.isatty() else 150)
    console.print(table)
    for row in rows:
        if "calibration" in row:
            c = row["calibration"]
            console.print(f"{row['ranker']}: targets labelled strong {c['targets_strong']:.1%}, weak or strong "
                          f"{c['targets_weak_or_strong']:.1%}; candidates labelled strong "
                          f"{c['candidates_strong']:.2%}, weak or strong {c['candidates_weak_or_strong']:.2%} "
                          "(about 1% / 5% if calibrated)")


# --- tuning ------------------------------------------------------------------------------------
# Each tuning reader's candidates are scored once per component variant (the library's own fit and
# standardization); a setting is then a weighted sum of variants, evaluated over all readers at once.

TUNE_C = (0.1, 0.3, 1.0, 3.0, 10.0)
TUNE_K = (1, 2, 3, 5, 10)
TUNE_NEGATIVES = (1_000, 2_000, 5_000)
COMPONENTS = ("dense", "sparse", "nearest", "centroid")
WEIGHT_STEP = 0.1


@dataclass(frozen=True, slots=True)
class Setting:
    negatives: int
    dense_c: float
    sparse_c: float
    nearest_k: int
    weights: tuple[float, float, float, float]  # COMPONENTS order

    def variants(self) -> dict[str, str]:
        return {"dense": f"dense/{self.negatives}/{self.dense_c}", "sparse": f"sparse/{self.negatives}/{self.sparse_c}",
                "nearest": f"nearest/{self.nearest_k}", "centroid": "centroid"}

    def model_settings(self):
        from paperfeed.recommend import DEFAULT_SETTINGS

        dense, sparse, nearest, centroid_ = self.weights
        return dataclasses.replace(DEFAULT_SETTINGS, dense_weight=dense, dense_c=self.dense_c, sparse_weight=sparse,
                                   sparse_c=self.sparse_c, nearest_weight=nearest, nearest_k=self.nearest_k,
                                   centroid_weight=centroid_, random_negatives=self.negatives)


class ScoreTable:
    """Standardized candidate scores of every variant for every tuning reader, flat with offsets."""

    def __init__(self, tasks: Sequence[Task], scores: dict[str, list[np.ndarray]]) -> None:
        self.lengths = np.asarray([len(task.candidates) for task in tasks])
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
        self.targets = self.starts + np.asarray([task.target_index for task in tasks])
        self.scores = {name: np.concatenate(parts).astype(np.float32) for name, parts in scores.items()}
        self.folds = np.asarray([reader_fold(task.reader.key) for task in tasks])

    def ranks(self, setting: Setting) -> np.ndarray:
        total = np.zeros_like(next(iter(self.scores.values())))
        for component, weight in zip(COMPONENTS, setting.weights, strict=True):
            if weight:
                total += weight * self.scores[setting.variants()[component]]
        beaten = total >= np.repeat(total[self.targets], self.lengths)
        return np.add.reduceat(beaten.astype(np.int32), self.starts)  # counts the target itself: = rank

    def metrics(self, setting: Setting, mask: np.ndarray) -> dict[str, float]:
        return summarize(self.ranks(setting)[mask])

    def fusion_metrics(self, setting: Setting, mask: np.ndarray, k: int = 60) -> dict[str, float]:
        """The same components fused by reciprocal rank (within each reader's candidates) instead of
        by their weighted standardized scores: the alternative design, for comparison."""
        names = [setting.variants()[c] for c, weight in zip(COMPONENTS, setting.weights, strict=True) if weight]
        ranks = []
        for reader in np.flatnonzero(mask):
            span = slice(self.starts[reader], self.starts[reader] + self.lengths[reader])
            places = [np.argsort(np.argsort(-self.scores[name][span], kind="stable")) for name in names]
            fused = sum(1.0 / (k + 1 + place) for place in places)
            ranks.append(target_rank(fused, self.targets[reader] - self.starts[reader]))
        return summarize(ranks)


def objective(metrics: dict[str, float]) -> float:
    return metrics["recall@50"] + metrics["mrr"]


def weight_grid(step: float = WEIGHT_STEP) -> list[tuple[float, ...]]:
    ticks = round(1 / step)
    return [tuple(round(n * step, 3) for n in counts)
            for counts in itertools.product(range(ticks + 1), repeat=len(COMPONENTS)) if sum(counts) == ticks]


def select(table: ScoreTable, mask: np.ndarray, negatives: Sequence[int]) -> Setting:
    """The tuning procedure, on the readers in `mask` only: each component's best variant alone, then
    the best weights of the four, then each variant again given those weights."""
    def best(settings: Iterable[Setting]) -> Setting:
        return max(settings, key=lambda setting: objective(table.metrics(setting, mask)))

    alone = {component: tuple(1.0 if c == component else 0.0 for c in COMPONENTS) for component in COMPONENTS}
    candidates = []
    for n in negatives:
        base = Setting(n, 1.0, 1.0, 3, alone["dense"])
        dense_c = best(dataclasses.replace(base, dense_c=c) for c in TUNE_C).dense_c
        sparse_c = best(dataclasses.replace(base, sparse_c=c, weights=alone["sparse"]) for c in TUNE_C).sparse_c
        k = best(dataclasses.replace(base, nearest_k=k, weights=alone["nearest"]) for k in TUNE_K).nearest_k
        candidates.append(best(Setting(n, dense_c, sparse_c, k, weights) for weights in weight_grid()))
    chosen = best(candidates)
    chosen = best(dataclasses.replace(chosen, dense_c=c) for c in TUNE_C)
    chosen = best(dataclasses.replace(chosen, sparse_c=c) for c in TUNE_C)
    return best(dataclasses.replace(chosen, nearest_k=k) for k in TUNE_K)


def score_variants(tasks: Sequence[Task], sample: Sample) -> tuple[ScoreTable, dict[int, float]]:
    """Every variant's standardized candidate scores, through paperfeed.recommend.fit, and the median
    fit time (all components) for each number of negatives."""
    from threadpoolctl import threadpool_limits

    from paperfeed.recommend import DEFAULT_SETTINGS, fit

    scores: dict[str, list[np.ndarray]] = defaultdict(list)
    fit_s: dict[int, list[float]] = defaultdict(list)
    with Progress("tuning readers", len(tasks)) as progress, threadpool_limits(limits=1, user_api="blas"):
        for task in tasks:
            library = sample.features(np.asarray(task.reader.library))
            candidates = sample.features(task.candidates)
            reference = sample.features(task.reference)
            for n in TUNE_NEGATIVES:
                negatives = sample.features(task.negatives[:n])
                for c, k in zip(TUNE_C, TUNE_K, strict=True):
                    settings = dataclasses.replace(DEFAULT_SETTINGS, dense_c=c, sparse_c=c, nearest_k=k,
                                                   dense_weight=1.0, sparse_weight=1.0, nearest_weight=1.0,
                                                   centroid_weight=1.0, random_negatives=n)
                    started = time.perf_counter()
                    model = fit(library, negatives, reference, settings=settings)
                    fit_s[n].append(time.perf_counter() - started)
                    parts = model.component_scores(candidates)
                    scores[f"dense/{n}/{c}"].append(parts["dense"])
                    scores[f"sparse/{n}/{c}"].append(parts["sparse"])
                    if n == TUNE_NEGATIVES[0]:
                        scores[f"nearest/{k}"].append(parts["nearest"])
                        if c == TUNE_C[0]:
                            scores["centroid"].append(parts["centroid"])
            progress.advance()
    return ScoreTable(tasks, scores), {n: statistics.median(times) for n, times in fit_s.items()}


def tune(tasks: Sequence[Task], sample: Sample, fit_budget_ms: float) -> dict:
    """k-fold over reader folds: the procedure picks a setting on k-1 folds and is scored on the k-th;
    then it runs on all tuning readers for the setting to ship."""
    table, fit_s = score_variants(tasks, sample)
    negatives = [n for n in TUNE_NEGATIVES if 1000 * fit_s[n] <= fit_budget_ms] or [TUNE_NEGATIVES[0]]
    folds = []
    for fold in range(FOLDS):
        chosen = select(table, table.folds != fold, negatives)
        folds.append({"fold": fold, "readers": int(np.sum(table.folds == fold)), "chosen": dataclasses.asdict(chosen),
                      **table.metrics(chosen, table.folds == fold)})
    final = select(table, np.ones(len(table.lengths), dtype=bool), negatives)
    final_by_fold = [table.metrics(final, table.folds == fold) for fold in range(FOLDS)]

    def spread(rows: list[dict]) -> dict[str, list[float]]:
        return {key: [float(np.mean([r[key] for r in rows])), float(np.std([r[key] for r in rows]))]
                for key in ("recall@10", "recall@50", "mrr")}

    fusion = spread([table.fusion_metrics(final, table.folds == fold) for fold in range(FOLDS)])
    baselines = {}
    for name, result in evaluate(tasks, sample, {n: r for n, r in RANKERS.items() if r is not shipped}).items():
        ranks = np.asarray(result["ranks"])
        baselines[name] = spread([summarize(ranks[table.folds == fold]) for fold in range(FOLDS)])
    alone = {}
    for component in COMPONENTS:
        weights = tuple(1.0 if c == component else 0.0 for c in COMPONENTS)
        alone[component] = spread([table.metrics(dataclasses.replace(final, weights=weights), table.folds == fold)
                                   for fold in range(FOLDS)])
    return {"readers": len(tasks), "fit_ms_p50_by_negatives": {n: 1000 * s for n, s in fit_s.items()},
            "negatives_within_budget": negatives, "held_out_folds": folds, "procedure_held_out": spread(folds),
            "chosen": dataclasses.asdict(final), "chosen_by_fold": spread(final_by_fold),
            "rank_fusion_of_its_components_by_fold": fusion, "components_alone_by_fold": alone,
            "baselines_by_fold": baselines}


def print_tuning(result: dict) -> None:
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 150)
    console.print(f"tuning on {result['readers']:,} readers (none of the report's), {FOLDS} folds by a hash "
                  f"of the reader; fit p50 by negatives: "
                  + ", ".join(f"{n}: {ms:.0f} ms" for n, ms in result["fit_ms_p50_by_negatives"].items()))
    for fold in result["held_out_folds"]:
        console.print(f"  fold {fold['fold']} ({fold['readers']} readers held out): chose {fold['chosen']} -> "
                      f"recall@10 {fold['recall@10']:.3f}, recall@50 {fold['recall@50']:.3f}, MRR {fold['mrr']:.3f}")

    def line(name: str, spread: dict) -> str:
        return name + ", ".join(f"{key} {mean:.3f} ± {sd:.3f}" for key, (mean, sd) in spread.items())

    console.print(line("procedure, held-out folds: ", result["procedure_held_out"]))
    console.print(f"chosen on all tuning readers: {result['chosen']}")
    console.print(line("  its mean ± sd across folds: ", result["chosen_by_fold"]))
    console.print(line("  its components by reciprocal rank fusion instead: ",
                       result["rank_fusion_of_its_components_by_fold"]))
    for component, spread in result["components_alone_by_fold"].items():
        console.print(line(f"  {component} alone (its chosen variant): ", spread))
    for name, spread in result["baselines_by_fold"].items():
        console.print(line(f"  baseline {name}: ", spread))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help="ingest and embed the sample into the cache")
    parser.add_argument("--tune", action="store_true", help="k-fold CV over reader folds (not the report's readers)")
    parser.add_argument("--readers", type=int, default=1_000, help="readers in the report's seeded sample")
    parser.add_argument("--tune-readers", type=int, default=1_000,
                        help="readers the tuning draws (outside the report's)")
    parser.add_argument("--fit-budget-ms", type=float, default=100.0,
                        help="tuning only tries negative counts whose median fit stays within this")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.cache, args.sample)
        return
    sample = load_sample(args.cache)
    readers = build_readers(sample.papers)
    report_readers, others = split_readers(readers, args.readers, args.seed)
    if args.tune:
        drawn = np.random.default_rng(args.seed).permutation(len(others))[:args.tune_readers]
        pool = [others[i] for i in sorted(drawn)]
        tasks, _ = make_tasks(pool, sample, args.seed)
        result = tune(tasks, sample, args.fit_budget_ms)
        print(json.dumps(result, indent=2)) if args.json else print_tuning(result)
        return
    tasks, skipped = make_tasks(report_readers, sample, args.seed)
    results = evaluate(tasks, sample, RANKERS)
    rows = report_rows(results)
    library = statistics.median(len(task.reader.library) for task in tasks)
    week = statistics.median(len(task.candidates) for task in tasks)
    header = (f"{len(tasks):,} readers (seed {args.seed}, of {len(readers):,} with >= {MIN_PAPERS} papers; "
              f"{skipped} skipped: too few earlier papers); median library {library:g} papers, "
              f"median week {week:,g} candidates")
    if args.json:
        print(json.dumps({"readers": len(tasks), "skipped": skipped, "all_readers": len(readers),
                          "seed": args.seed, "median_library": library, "median_candidates": week,
                          "rows": rows}, indent=2))
    else:
        print_table(rows, header)


if __name__ == "__main__":
    main()
