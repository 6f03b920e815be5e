"""Approximate vector search for large collections: usearch HNSW with float16 (or int8) storage.

float16 by default: on 20K real MiniLM vectors of arXiv abstracts, int8 capped recall@10 at 0.945
whatever the search effort (float16: 0.991 at expansion 64); float16 costs twice the bytes
(768 MB of vectors at 1M papers, memory-mapped).

A saved index can be served as a memory-mapped read-only view. A filter is applied by oversampling
and widening until k allowed papers are found, or, when the allowed set is small enough for that to
be cheaper, by scoring its stored vectors exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import onnxruntime  # noqa: F401, I001  (before usearch, or the process crashes: see exact_vectors)
from usearch.index import Index

from paperfeed.search.base import Ranked
from paperfeed.search.exact_vectors import as_ids, as_unit_rows, check_batch, exact_top, save_atomically

# Filtered search, measured (bench/vector_recall.py, 200K and 1M vectors): scoring the allowed vectors
# exactly costs ~3-5 us per vector (fetching them from usearch dominates), the oversampled search ~4-8 us
# per candidate, and it needs ~2*k*size/allowed candidates: the two meet near allowed = sqrt(3.2*k*size)
# (~2,500 for k=10 over 200K vectors, ~18,000 for k=100 over 1M).
EXACT_COST_RATIO = 3.2


class HnswVectorIndex:
    def __init__(self, dim: int, dtype: str = "f16", connectivity: int = 16, expansion_add: int = 128,
                 expansion_search: int = 64, exact_below: int | None = None, *, index: Index | None = None,
                 read_only: bool = False) -> None:
        self._index = index or Index(ndim=dim, metric="cos", dtype=dtype, connectivity=connectivity,
                                     expansion_add=expansion_add, expansion_search=expansion_search)
        self.dim = int(self._index.ndim)
        self.exact_below = exact_below  # allowed-set size up to which filtered search is exact; None: measured rule
        self.read_only = read_only  # a memory-mapped view: usearch crashes the process on writes to one

    def __len__(self) -> int:
        return len(self._index)

    @property
    def memory_bytes(self) -> int:
        return int(self._index.memory_usage)

    @property
    def expansion_search(self) -> int:
        return self._index.expansion_search

    @expansion_search.setter
    def expansion_search(self, value: int) -> None:
        self._index.expansion_search = value

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError("this vector index is a read-only view; load() it to change it")

    def add(self, ids, vectors, threads: int = 0) -> None:
        """Add or replace these papers' vectors (threads=0: all cores)."""
        self._writable()
        ids, rows = as_ids(ids), as_unit_rows(vectors, self.dim)
        check_batch(ids, rows)
        self.remove(ids)
        if len(ids):
            self._index.add(ids.astype(np.uint64), rows, threads=threads)

    def remove(self, ids) -> None:
        self._writable()
        keys = as_ids(ids).astype(np.uint64)
        present = keys[self._index.contains(keys)] if len(keys) else keys
        if len(present):
            self._index.remove(present)

    def present(self, ids) -> np.ndarray:
        """These ids, sorted and unique, less those not in the index."""
        keys = as_ids(ids)
        if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():  # sorting is the cost: skip it when done
            keys = np.unique(keys)
        keys = keys.astype(np.uint64)
        return keys[self._index.contains(keys)] if len(keys) else keys

    def vectors_of(self, keys: np.ndarray) -> np.ndarray:
        """Stored vectors of these (present) keys, dequantized, as unit float32 rows."""
        if not len(keys):
            return np.zeros((0, self.dim), dtype=np.float32)
        return as_unit_rows(np.vstack(self._index.get(keys, dtype=np.float32)), self.dim)

    def search(self, query: np.ndarray, k: int, allowed_ids: Iterable[int] | None = None) -> Ranked:
        query, size = as_unit_rows(query, self.dim)[0], len(self)
        if k <= 0 or size == 0:
            return []
        if allowed_ids is None:
            return self._ranked(self._index.search(query, min(k, size)), None, k)
        allowed = self.present(allowed_ids)  # ids not (yet) embedded must not inflate the expected hit rate
        exact_below = self.exact_below if self.exact_below is not None else math.sqrt(EXACT_COST_RATIO * k * size)
        if len(allowed) <= exact_below:
            return exact_top(self.vectors_of(allowed), allowed.astype(np.int64), query, k)
        count = min(size, max(4 * k, math.ceil(2 * k * size / len(allowed))))  # twice the expected need
        while True:
            matches = self._index.search(query, count)
            ranked = self._ranked(matches, allowed, k)
            if len(ranked) >= min(k, len(allowed)) or count >= size:
                return ranked
            count = min(size, 4 * count)

    @staticmethod
    def _ranked(matches, allowed: np.ndarray | None, k: int) -> Ranked:
        keys, distances = matches.keys, matches.distances
        if allowed is not None and len(keys):  # allowed is sorted: a binary search per candidate
            positions = np.minimum(np.searchsorted(allowed, keys), len(allowed) - 1)
            keep = allowed[positions] == keys
            keys, distances = keys[keep], distances[keep]
        return [(int(key), float(1.0 - distance)) for key, distance in zip(keys[:k], distances[:k], strict=True)]

    def save(self, path: Path) -> None:
        save_atomically(path, lambda temporary: self._index.save(str(temporary)))

    @classmethod
    def load(cls, path: Path) -> HnswVectorIndex:
        return cls(0, index=Index.restore(str(path), view=False))

    @classmethod
    def view(cls, path: Path) -> HnswVectorIndex:
        """Memory-mapped and read-only: pages are read from disk as searches touch them."""
        return cls(0, index=Index.restore(str(path), view=True), read_only=True)

    @staticmethod
    def check_file(path: Path) -> None:
        """Raises ValueError unless path holds a usearch index."""
        Index.metadata(str(path))
