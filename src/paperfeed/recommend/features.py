"""What the reader model sees of a paper: its dense embedding (the one the search index keeps) and,
optionally, its TF-IDF row. Content only: author names never reach the model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True, slots=True)
class PaperFeatures:
    """Rows of papers, in one order: `dense` (n, dim) unit float32 embeddings; `sparse` (n, vocabulary)
    L2-normalized TF-IDF rows, or None when the caller has none (the model then uses the dense part)."""

    dense: np.ndarray
    sparse: sp.csr_matrix | None = None

    def __post_init__(self) -> None:
        if self.dense.ndim != 2:
            raise ValueError(f"dense features must be a matrix, got shape {self.dense.shape}")
        if self.sparse is not None and self.sparse.shape[0] != self.dense.shape[0]:
            raise ValueError(f"{self.dense.shape[0]} dense rows but {self.sparse.shape[0]} sparse rows")

    def __len__(self) -> int:
        return self.dense.shape[0]

    @property
    def dim(self) -> int:
        return self.dense.shape[1]

    def take(self, rows: Sequence[int] | np.ndarray) -> PaperFeatures:
        rows = np.asarray(rows, dtype=np.int64)
        return PaperFeatures(self.dense[rows], None if self.sparse is None else self.sparse[rows])

    @staticmethod
    def empty(dim: int, vocabulary: int | None = None) -> PaperFeatures:
        sparse = None if vocabulary is None else sp.csr_matrix((0, vocabulary), dtype=np.float32)
        return PaperFeatures(np.zeros((0, dim), dtype=np.float32), sparse)

    @staticmethod
    def stack(parts: Sequence[PaperFeatures]) -> PaperFeatures:
        """The rows of `parts`, one after another (all with sparse rows, or none)."""
        dense = np.vstack([part.dense for part in parts])
        with_sparse = [part.sparse is not None for part in parts]
        if any(with_sparse) and not all(with_sparse):
            raise ValueError("some parts have sparse rows and some do not")
        sparse = sp.vstack([part.sparse for part in parts], format="csr") if all(with_sparse) else None
        return PaperFeatures(dense, sparse)
