"""The torch backend: sentence-transformers as published, the baseline the benchmarks compare against
(25.7 papers/s at 256 tokens on this 2-core CPU, SciFact dense nDCG@10 0.6602). Needs the index extra."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from paperfeed.search.embedding.base import BATCH_SIZE, DEFAULT_MAX_TOKENS, normalize_rows, require_index_extra


def require_installed() -> None:
    require_index_extra("the torch embedding backend", "torch", "sentence_transformers")


class TorchEmbedder:
    def __init__(self, model_dir: Path, *, name: str, max_tokens: int = DEFAULT_MAX_TOKENS,
                 batch_size: int = BATCH_SIZE, sort_by_length: bool = True) -> None:
        require_installed()
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_dir), device="cpu")
        self.model.max_seq_length = min(max_tokens, self.model.max_seq_length or max_tokens)
        self.max_tokens = self.model.max_seq_length
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.name, self.dim = name, int(dimension())
        self.batch_size, self.sort_by_length = batch_size, sort_by_length

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
                                 show_progress_bar=False)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        if self.sort_by_length:  # sentence-transformers sorts by length itself
            return normalize_rows(self._encode(texts))
        # Unsorted: batch by batch as given, the padding a naive loop pays (the benchmark baseline).
        chunks = [self._encode(texts[start:start + self.batch_size]) for start in range(0, len(texts), self.batch_size)]
        return normalize_rows(np.concatenate(chunks))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]
