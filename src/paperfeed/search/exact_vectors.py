"""Exact vector search: paper ids and float16 (or float32) unit rows in numpy, and the helpers both
indexes share (id and vector checks, exact top-k, atomic files).

Rows are scored in full by usearch's brute-force SIMD kernel rather than a numpy product: numpy
has no fast float16 product (12x slower than float32 here), and float16 halves the memory. Exact
at any filter. Saved as two .npy arrays in one file, which `view` memory-maps.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

# onnxruntime must be loaded before usearch: importing onnxruntime after usearch crashes the
# process (segfault; seen with onnxruntime 1.32, usearch 2.26, numkong 7.8).
import onnxruntime  # noqa: F401, I001
from usearch.index import search as brute_force

from paperfeed.search.base import Ranked

NUMPY_MAGIC = b"\x93NUMPY"


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


def check_batch(ids: np.ndarray, vectors: np.ndarray) -> None:
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


def read_arrays(path: Path, count: int, mmap: bool) -> list[np.ndarray]:
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
        check_batch(ids, rows)
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
        ids, vectors = read_arrays(Path(path), 2, mmap)
        index = cls(vectors.shape[1], "f16" if vectors.dtype == np.float16 else "f32")
        index.ids, index.vectors = ids, vectors
        return index

    @classmethod
    def view(cls, path: Path) -> ExactVectorIndex:
        """Memory-mapped; adding or removing later copies into memory and leaves the file alone."""
        return cls.load(path, mmap=True)
