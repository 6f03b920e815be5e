"""Kept embeddings: one small SQLite file per model, so unchanged text is never embedded twice.

Rows are (paper id, hash of the text that was embedded, float16 vector). Each batch commits on
its own, so an interrupted embedding run keeps everything it finished and the next run goes on.
The store is derived data: delete the file and `paperfeed index` computes it again.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def text_hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=12).digest()


class EmbeddingStore:
    def __init__(self, path: Path, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.dim = dim
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (paper_id INTEGER PRIMARY KEY, text_hash BLOB NOT NULL, "
            "vector BLOB NOT NULL)"
        )
        self._conn.commit()

    @staticmethod
    def stored_dim(path: Path) -> int | None:
        """The dimension of the vectors kept at `path`, None while it keeps none."""
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT length(vector) FROM embeddings LIMIT 1").fetchone()
        except sqlite3.OperationalError:  # no table yet
            return None
        finally:
            conn.close()
        return None if row is None else row[0] // 2  # float16

    def close(self) -> None:
        self._conn.close()

    def count(self) -> int:
        return self._conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]

    def known_hashes(self) -> dict[int, bytes]:
        return dict(self._conn.execute("SELECT paper_id, text_hash FROM embeddings"))

    def put(self, paper_ids: Sequence[int], hashes: Sequence[bytes], vectors: np.ndarray) -> None:
        rows = [
            (int(paper_id), digest, vector.astype(np.float16).tobytes())
            for paper_id, digest, vector in zip(paper_ids, hashes, vectors, strict=True)
        ]
        with self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)

    def remove(self, paper_ids: Sequence[int]) -> None:
        with self._conn:
            self._conn.executemany("DELETE FROM embeddings WHERE paper_id = ?", [(int(i),) for i in paper_ids])

    def load_all(self, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
        """All ids (int64) and vectors (float32, or float16 as kept: half the memory), in id order."""
        ids, blobs = [], []
        for paper_id, blob in self._conn.execute("SELECT paper_id, vector FROM embeddings ORDER BY paper_id"):
            ids.append(paper_id)
            blobs.append(blob)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dim), dtype=dtype)
        vectors = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(ids), self.dim)
        return np.asarray(ids, dtype=np.int64), vectors.astype(dtype)

    def ids(self) -> np.ndarray:
        return np.fromiter((row[0] for row in self._conn.execute("SELECT paper_id FROM embeddings")), dtype=np.int64)

    def load(self, paper_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Ids (int64) and float32 vectors of those of `paper_ids` that are kept."""
        found = self.vectors_for(paper_ids)
        ids = np.fromiter(found, dtype=np.int64, count=len(found))
        vectors = np.vstack(list(found.values())) if found else np.zeros((0, self.dim), dtype=np.float32)
        return ids, vectors

    def vectors_for(self, paper_ids: Sequence[int]) -> dict[int, np.ndarray]:
        found: dict[int, np.ndarray] = {}
        wanted = [int(i) for i in paper_ids]
        for start in range(0, len(wanted), 30_000):  # SQLite caps the number of bound parameters
            chunk = wanted[start:start + 30_000]
            rows = self._conn.execute(
                f"SELECT paper_id, vector FROM embeddings WHERE paper_id IN ({','.join('?' * len(chunk))})", chunk
            )
            found.update((pid, np.frombuffer(blob, dtype=np.float16).astype(np.float32)) for pid, blob in rows)
        return found
