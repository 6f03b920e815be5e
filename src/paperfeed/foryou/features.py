"""Where the reader models get papers' features: the embeddings `paperfeed index` keeps (its
embedding store; nothing is embedded twice) and TF-IDF rows through the kept vocabulary. Papers not
embedded yet have no features: they are ranked once they are.

    source = FeatureSource.open(settings)
    ids, features = source.features(conn, paper_ids)      # the embedded ones, in the order given
    negative_ids, negatives, reference = source.store_sample(conn)
    ids, features = source.day_candidates(conn, day, paper_ids)  # TF-IDF rows cached per day
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db.index_docs import paper_texts_by_ids
from paperfeed.foryou.vocabulary import FIT_SAMPLE, Vocabulary
from paperfeed.recommend import DEFAULT_SETTINGS, PaperFeatures
from paperfeed.search.documents import document_text
from paperfeed.search.embedding_store import EmbeddingStore
from paperfeed.search.indexer import IndexPaths, model_slug

SAMPLE_SEED = 20_261_202
RESAMPLE_GROWTH = 1.1  # draw the store sample again once the embedded store has grown by 10%
RECOUNT_AFTER_S = 300.0  # how often the store's growth is checked


class VectorTable(Mapping):
    """Every kept embedding at once (float16, as the store keeps them: 150 MB for 200,000 papers), for
    the ranking job, which needs the library papers of thousands of readers: one read of the store
    instead of one query per reader. A Mapping of paper id -> float32 vector, with `rows` for many."""

    def __init__(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        self.ids, self.matrix = ids, matrix  # ids sorted, as EmbeddingStore.load_all gives them

    def _positions(self, paper_ids) -> tuple[np.ndarray, np.ndarray]:
        wanted = np.asarray(paper_ids, dtype=np.int64)
        at = np.searchsorted(self.ids, wanted)
        at[at >= len(self.ids)] = 0
        found = (self.ids[at] == wanted) if len(self.ids) else np.zeros(len(wanted), dtype=bool)
        return at, found

    def rows(self, paper_ids) -> np.ndarray:
        """float32 rows of those of `paper_ids` that are kept, in the order given."""
        at, found = self._positions(paper_ids)
        return self.matrix[at[found]].astype(np.float32)

    def kept_among(self, paper_ids) -> set[int]:
        at, found = self._positions(paper_ids)
        return set(self.ids[at[found]].tolist())

    def __getitem__(self, paper_id: int) -> np.ndarray:
        at, found = self._positions([paper_id])
        if not found[0]:
            raise KeyError(paper_id)
        return self.matrix[at[0]].astype(np.float32)

    def __contains__(self, paper_id) -> bool:
        return bool(self._positions([int(paper_id)])[1][0])

    def __iter__(self):
        return iter(self.ids.tolist())

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class StoreSample:
    """Random embedded store papers: negatives for every reader, and a disjoint reference to calibrate on."""

    negative_ids: np.ndarray
    negatives: PaperFeatures
    reference_ids: np.ndarray
    reference: PaperFeatures
    store_size: int

    def negatives_without(self, own: set[int]) -> PaperFeatures:
        """The negatives less the reader's own papers (a copy only when one of them is there)."""
        rows = [row for row, paper_id in enumerate(self.negative_ids) if int(paper_id) not in own]
        return self.negatives if len(rows) == len(self.negatives) else self.negatives.take(rows)


class FeatureSource:
    def __init__(self, root: Path, embeddings_path: Path) -> None:
        self.root = root  # the index directory: the vocabulary and the day caches live here
        self.embeddings_path = embeddings_path
        self._store: EmbeddingStore | None = None
        self._vocabulary: Vocabulary | None = None
        self._sample: StoreSample | None = None
        self._sample_checked = 0.0
        self._lock = threading.Lock()
        self._store_lock = threading.RLock()

    @classmethod
    def open(cls, settings: Settings) -> FeatureSource:
        paths = IndexPaths(settings.data_dir / "index")
        return cls(paths.root, paths.embeddings(model_slug(settings.embedding_model)))

    @property
    def vocabulary_path(self) -> Path:
        return self.root / "for-you" / "vocabulary.npz"

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def store(self) -> EmbeddingStore | None:
        """The embedding store, None until `paperfeed index` has embedded something."""
        if self._store is None and self.embeddings_path.exists():
            dim = EmbeddingStore.stored_dim(self.embeddings_path)
            if dim is not None:
                self._store = EmbeddingStore(self.embeddings_path, dim)
        return self._store

    @property
    def dim(self) -> int:
        with self._store_lock:
            store = self.store()
        return store.dim if store is not None else 0

    def vectors(self, paper_ids: Sequence[int]) -> dict[int, np.ndarray]:
        with self._store_lock:  # one SQLite connection, shared by the web workers' threads
            store = self.store()
            return {} if store is None else store.vectors_for(paper_ids)

    def vector_table(self) -> VectorTable:
        """Every kept embedding, read at once (for a job over many readers)."""
        with self._store_lock:
            store = self.store()
            if store is None:
                return VectorTable(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float16))
            return VectorTable(*store.load_all(dtype=np.float16))

    def vocabulary(self, conn: sa.Connection) -> Vocabulary:
        """The kept vocabulary; fitted over a random sample of the embedded store the first time."""
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = Vocabulary.load(self.vocabulary_path)
            if self._vocabulary is None:
                store = self.store()
                ids = store.ids() if store is not None else np.zeros(0, dtype=np.int64)
                chosen = _sample(ids, FIT_SAMPLE, SAMPLE_SEED)
                self._vocabulary = Vocabulary.fit(self._texts(conn, chosen))
                self._vocabulary.save(self.vocabulary_path)
            return self._vocabulary

    def refit_vocabulary(self, conn: sa.Connection) -> Vocabulary:
        """Fit the vocabulary again over today's store (every kept model is then refitted over it)."""
        self.vocabulary_path.unlink(missing_ok=True)
        with self._lock:
            self._vocabulary, self._sample = None, None
        return self.vocabulary(conn)

    @staticmethod
    def _texts(conn: sa.Connection, paper_ids: Sequence[int]) -> list[str]:
        rows = {row.id: row for row in paper_texts_by_ids(conn, [int(i) for i in paper_ids])}
        return [document_text(rows[i].title, rows[i].abstract) if i in rows else "" for i in map(int, paper_ids)]

    def features(self, conn: sa.Connection, paper_ids: Sequence[int]) -> tuple[np.ndarray, PaperFeatures]:
        """The embedded ones of `paper_ids` (in the order given) and their features."""
        vectors = self.vectors(paper_ids)
        found = np.array([i for i in map(int, paper_ids) if i in vectors], dtype=np.int64)
        dim = self.dim
        dense = np.vstack([vectors[int(i)] for i in found]) if len(found) else np.zeros((0, dim), dtype=np.float32)
        vocabulary = self.vocabulary(conn)
        sparse = vocabulary.transform(self._texts(conn, found)) if len(vocabulary) else None
        return found, PaperFeatures(dense.astype(np.float32), sparse)

    def store_sample(self, conn: sa.Connection, settings=DEFAULT_SETTINGS) -> StoreSample:
        """The shared random negatives and reference, drawn again when the store has grown."""
        with self._lock:
            sample = self._sample
        if sample is not None and time.monotonic() < self._sample_checked + RECOUNT_AFTER_S:
            return sample  # counting the store costs ~15 ms: not on every refit after a rating
        store = self.store()
        size = store.count() if store is not None else 0
        self._sample_checked = time.monotonic()
        if sample is not None and size <= sample.store_size * RESAMPLE_GROWTH:
            return sample
        ids = store.ids() if store is not None else np.zeros(0, dtype=np.int64)
        chosen = _sample(ids, settings.random_negatives + settings.reference_papers, SAMPLE_SEED + size)
        # Most of the sample to the negatives, the rest (disjoint) to the reference, as fit() expects.
        cut = len(chosen) * settings.random_negatives // (settings.random_negatives + settings.reference_papers)
        negative_ids, negatives = self.features(conn, chosen[:cut])
        reference_ids, reference = self.features(conn, chosen[cut:])
        sample = StoreSample(negative_ids, negatives, reference_ids, reference, size)
        with self._lock:
            self._sample = sample
        return sample

    def day_candidates(self, conn: sa.Connection, day: date,
                       paper_ids: Sequence[int]) -> tuple[np.ndarray, PaperFeatures]:
        """Features of a day's embedded papers; their TF-IDF rows are kept on disk per day, made again
        when the day's papers or the vocabulary changed."""
        vocabulary = self.vocabulary(conn)
        vectors = self.vectors(paper_ids)
        found = np.array(sorted(i for i in map(int, paper_ids) if i in vectors), dtype=np.int64)
        path = self.root / "for-you" / "days" / f"{day.isoformat()}.npz"
        sparse = _cached_rows(path, found, vocabulary.key)
        if sparse is None and len(vocabulary):
            sparse = vocabulary.transform(self._texts(conn, found))
            _cache_rows(path, found, vocabulary.key, sparse)
        # An empty vocabulary (a store of a handful of papers) leaves the models to the embeddings.
        dim = self.dim
        dense = np.vstack([vectors[int(i)] for i in found]) if len(found) else np.zeros((0, dim), dtype=np.float32)
        return found, PaperFeatures(dense.astype(np.float32), sparse)


def _sample(ids: np.ndarray, n: int, seed: int) -> np.ndarray:
    if len(ids) <= n:
        return np.sort(ids)
    return np.sort(np.random.default_rng(seed).choice(ids, size=n, replace=False))


def _cached_rows(path: Path, ids: np.ndarray, key: str) -> sp.csr_matrix | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as kept:
            if str(kept["key"]) != key or not np.array_equal(kept["ids"], ids):
                return None
            return sp.csr_matrix((kept["data"], kept["indices"], kept["indptr"]), shape=tuple(kept["shape"]))
    except (OSError, ValueError, KeyError):  # a torn or foreign file: make the rows again
        return None


def _cache_rows(path: Path, ids: np.ndarray, key: str, rows: sp.csr_matrix) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, key=np.str_(key), ids=ids, data=rows.data, indices=rows.indices, indptr=rows.indptr,
             shape=np.array(rows.shape))
    temporary.replace(path)
