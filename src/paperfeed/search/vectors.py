"""Vector indexes keyed by paper id, and choosing one: exact for up to ~200K papers, HNSW above.

Both hold unit vectors and score by cosine; `search(query, k, allowed_ids)` returns `Ranked`, best
first, and with allowed_ids returns only those papers (the filters' answer), never others.
ExactVectorIndex lives in exact_vectors, HnswVectorIndex in hnsw_vectors. Files are written to a
temporary name and renamed, so a reader finds the old index or the new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from paperfeed.errors import InvalidInput
from paperfeed.search.base import Ranked
from paperfeed.search.exact_vectors import NUMPY_MAGIC, ExactVectorIndex
from paperfeed.search.hnsw_vectors import HnswVectorIndex

__all__ = ["EXACT_LIMIT", "ExactVectorIndex", "HnswVectorIndex", "VectorIndex", "build_vector_index",
           "cosines_of", "load_vector_index", "open_vector_index"]

EXACT_LIMIT = 200_000  # above this many vectors, auto picks HNSW: exact search takes ~35 ms per query at 200K


class VectorIndex(Protocol):
    dim: int

    def add(self, ids, vectors) -> None: ...

    def remove(self, ids) -> None: ...

    def search(self, query: np.ndarray, k: int, allowed_ids: Iterable[int] | None = None) -> Ranked: ...

    def save(self, path: Path) -> None: ...

    def __len__(self) -> int: ...


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
        HnswVectorIndex.check_file(path)
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


def cosines_of(index: VectorIndex, query: np.ndarray, ids: Sequence[int]) -> dict[int, float]:
    """The exact cosine to `query` of each of these papers the index holds (the rest are not embedded).
    Both kinds score a filter this small exactly (HNSW: from its stored vectors)."""
    return dict(index.search(query, len(ids), allowed_ids=ids)) if len(ids) else {}
