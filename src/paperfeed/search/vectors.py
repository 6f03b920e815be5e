"""Vector indexes keyed by paper id: exact for up to ~200K papers, HNSW (usearch) above.

Both hold unit vectors and score by cosine; `search(query, k, allowed_ids)` returns `Ranked`, best
first, and with allowed_ids returns only those papers (the filters' answer), never others.

- ExactVectorIndex: ids and float16 (or float32) rows in numpy, scored in full by usearch's
  brute-force SIMD kernel: numpy has no fast float16 product (12x slower than float32 here), and
  float16 halves the memory. Exact at any filter.
- HnswVectorIndex: usearch HNSW with int8 (or float16) storage; a saved index can be served as a
  memory-mapped read-only view. A filter is applied by oversampling and widening; an allowed set
  of at most `exact_below` papers (default 20K) is scored exactly instead.

Files are written to a temporary name and renamed, so a reader finds the old index or the new one.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

# onnxruntime must be loaded before usearch: importing onnxruntime after usearch crashes the
# process (segfault; seen with onnxruntime 1.32, usearch 2.26, numkong 7.8).
import onnxruntime  # noqa: F401, I001
from usearch.index import Index
from usearch.index import search as brute_force

from paperfeed.errors import InvalidInput
from paperfeed.search.base import Ranked

EXACT_LIMIT = 200_000  # above this many vectors, auto picks HNSW: exact search passes ~20 ms per query here
EXACT_BELOW = 20_000  # HNSW with a filter this small scores the allowed vectors exactly (a few ms at most)
NUMPY_MAGIC = b"\x93NUMPY"


class VectorIndex(Protocol):
    dim: int

    def add(self, ids, vectors) -> None: ...

    def remove(self, ids) -> None: ...

    def search(self, query: np.ndarray, k: int, allowed_ids: Iterable[int] | None = None) -> Ranked: ...

    def save(self, path: Path) -> None: ...

    def __len__(self) -> int: ...


def as_ids(ids) -> np.ndarray:
    """Sorted-or-not paper ids as int64, refusing negatives (usearch keys are unsigned)."""
    array = np.fromiter(ids, dtype=np.int64) if not isinstance(ids, np.ndarray | list | tuple) else np.asarray(ids)
    array = array.astype(np.int64, copy=False).reshape(-1)
    if len(array) and array.min() < 0:
        raise ValueError("paper ids must be non-negative")
    return array


def as_unit_rows(vectors, dim: int) -> np.ndarray:
    rows = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _check_batch(ids: np.ndarray, vectors: np.ndarray) -> None:
    if len(ids) != len(vectors):
        raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
    if len(np.unique(ids)) != len(ids):
        raise ValueError("the same paper id twice in one batch")


def exact_top(rows: np.ndarray, row_ids: np.ndarray, query: np.ndarray, k: int) -> Ranked:
    """The k rows most similar to query (cosine of unit vectors), as (id, score)."""
    count = min(k, len(rows))
    if count <= 0:
        return []
    matches = brute_force(rows, query.astype(rows.dtype), count, "ip", exact=True)
    return [(int(row_ids[row]), float(1.0 - distance)) for row, distance in zip(matches.keys, matches.distances,
                                                                                 strict=True)]


def save_atomically(path: Path, write: Callable[[Path], None]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _read_arrays(path: Path, count: int, mmap: bool) -> list[np.ndarray]:
    """Arrays written one after another by np.save into one file, read or memory-mapped."""
    arrays = []
    with open(path, "rb") as file:
        for _ in range(count):
            version = np.lib.format.read_magic(file)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _fortran, dtype = read_header(file)
            offset, size = file.tell(), math.prod(shape) * dtype.itemsize
            if mmap and size:
                arrays.append(np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape))
            else:
                arrays.append(np.frombuffer(file.read(size), dtype=dtype).reshape(shape).copy())
            file.seek(offset + size)
    return arrays


class ExactVectorIndex:
    def __init__(self, dim: int, dtype: str = "f16") -> None:
        if dtype not in ("f16", "f32"):
            raise ValueError("dtype is f16 or f32")
        self.dim = dim
        self.ids = np.zeros(0, dtype=np.int64)
        self.vectors = np.zeros((0, dim), dtype=np.float16 if dtype == "f16" else np.float32)
        self._order: np.ndarray | None = None  # argsort of ids, for id -> row lookups

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids, vectors) -> None:
        """Add or replace these papers' vectors."""
        ids, rows = as_ids(ids), as_unit_rows(vectors, self.dim)
        _check_batch(ids, rows)
        self.remove(ids)
        self.ids = np.concatenate([self.ids, ids])
        self.vectors = np.concatenate([self.vectors, rows.astype(self.vectors.dtype)])
        self._order = None

    def remove(self, ids) -> None:
        keep = ~np.isin(self.ids, as_ids(ids))
        if not keep.all():
            self.ids, self.vectors, self._order = self.ids[keep], self.vectors[keep], None

    def rows_of(self, ids) -> np.ndarray:
        """Row numbers of those ids that are in the index."""
        if self._order is None:
            self._order = np.argsort(self.ids, kind="stable")
        wanted = np.unique(as_ids(ids))
        sorted_ids = self.ids[self._order]
        positions = np.minimum(np.searchsorted(sorted_ids, wanted), max(len(sorted_ids) - 1, 0))
        found = sorted_ids[positions] == wanted if len(sorted_ids) else np.zeros(len(wanted), dtype=bool)
        return self._order[positions[found]]

    def search(self, query: np.ndarray, k: int, allowed_ids: Iterable[int] | None = None) -> Ranked:
        query = as_unit_rows(query, self.dim)[0]
        if allowed_ids is None:
            return exact_top(self.vectors, self.ids, query, k)
        rows = self.rows_of(allowed_ids)
        return exact_top(self.vectors[rows], self.ids[rows], query, k)

    def save(self, path: Path) -> None:
        def write(temporary: Path) -> None:
            with open(temporary, "wb") as file:
                np.save(file, self.ids)
                np.save(file, np.ascontiguousarray(self.vectors))

        save_atomically(path, write)

    @classmethod
    def load(cls, path: Path, mmap: bool = False) -> ExactVectorIndex:
        ids, vectors = _read_arrays(Path(path), 2, mmap)
        index = cls(vectors.shape[1], "f16" if vectors.dtype == np.float16 else "f32")
        index.ids, index.vectors = ids, vectors
        return index

    @classmethod
    def view(cls, path: Path) -> ExactVectorIndex:
        """Memory-mapped; adding or removing later copies into memory and leaves the file alone."""
        return cls.load(path, mmap=True)


class HnswVectorIndex:
    def __init__(self, dim: int, dtype: str = "i8", connectivity: int = 16, expansion_add: int = 128,
                 expansion_search: int = 64, exact_below: int = EXACT_BELOW, *, index: Index | None = None,
                 read_only: bool = False) -> None:
        self._index = index or Index(ndim=dim, metric="cos", dtype=dtype, connectivity=connectivity,
                                     expansion_add=expansion_add, expansion_search=expansion_search)
        self.dim = int(self._index.ndim)
        self.exact_below = exact_below
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
        _check_batch(ids, rows)
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
        keys = np.unique(as_ids(ids)).astype(np.uint64)
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
        if len(allowed) <= self.exact_below:
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
        if allowed is not None:
            keep = np.isin(keys, allowed, assume_unique=True)
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


def _is_exact_file(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(len(NUMPY_MAGIC)) == NUMPY_MAGIC


def load_vector_index(path: Path, mmap: bool = True) -> VectorIndex | None:
    """The index saved at path (either kind), or None if there is none yet. mmap: serve from the file."""
    path = Path(path)
    if not path.exists():
        return None
    if _is_exact_file(path):
        return ExactVectorIndex.load(path, mmap=mmap)
    try:
        Index.metadata(str(path))
    except ValueError as exc:
        raise InvalidInput(f"{path} is not a vector index; delete it and run `paperfeed index`") from exc
    return HnswVectorIndex.view(path) if mmap else HnswVectorIndex.load(path)


def open_vector_index(path: Path, dim: int, kind: str = "auto") -> VectorIndex:
    """The index at path, loaded for changes, or a new empty one (auto: exact; build_vector_index sizes it)."""
    if kind not in ("auto", "exact", "hnsw"):
        raise ValueError("kind is auto, exact or hnsw")
    index = load_vector_index(path, mmap=False)
    if index is None:
        return HnswVectorIndex(dim) if kind == "hnsw" else ExactVectorIndex(dim)
    if index.dim != dim:
        raise InvalidInput(f"{path} holds {index.dim}-dimensional vectors, the model makes {dim}: "
                           "the embedding model changed; run `paperfeed index --rebuild`")
    return index


def build_vector_index(ids, vectors, kind: str = "auto") -> VectorIndex:
    """A new index over these vectors: exact up to EXACT_LIMIT of them, HNSW above (auto)."""
    vectors = np.asarray(vectors)
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    use_hnsw = kind == "hnsw" or (kind == "auto" and len(vectors) > EXACT_LIMIT)
    index: VectorIndex = HnswVectorIndex(dim) if use_hnsw else ExactVectorIndex(dim)
    index.add(ids, vectors)
    return index
