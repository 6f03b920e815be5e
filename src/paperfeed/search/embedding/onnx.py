"""The onnx backend: the exported model run by onnxruntime, with the export's `tokenizers` tokenizer.

Documents go through the dynamic int8 weights (84.6 papers/s at 256 tokens on this 2-core CPU, 3.3x
sentence-transformers); queries, one short text at a time, through the fp32 graph: int8 moves short
texts most (cosine 0.97-0.99), and on SciFact the fp32 queries win back all the int8 loss (nDCG@10
0.6606 vs 0.6602 original, 0.6584 with int8 queries) for ~3 ms more. "onnx-fp32" uses fp32 for both
(cosine 1.0 to the original). onnxruntime and tokenizers are light and installed with paperfeed
itself: a serving process embeds queries with this backend whatever the configured one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from paperfeed.search.embedding.base import (
    BATCH_SIZE,
    DEFAULT_MAX_TOKENS,
    batch_inputs,
    exported_shape,
    length_batches,
    load_tokenizer,
    model_file,
    normalize_rows,
    pool,
)


class OnnxEmbedder:
    def __init__(self, folder: Path, *, name: str, quantized: bool = True, max_tokens: int = DEFAULT_MAX_TOKENS,
                 threads: int | None = None, batch_size: int = BATCH_SIZE, sort_by_length: bool = True) -> None:
        import onnxruntime

        self.name = name
        self.dim, self.pooling, self.max_tokens = exported_shape(folder, max_tokens)
        self.batch_size, self.sort_by_length = batch_size, sort_by_length
        self.tokenizer = load_tokenizer(folder, self.max_tokens)
        self._options = onnxruntime.SessionOptions()
        self._options.intra_op_num_threads = threads or 0  # 0: one thread per physical core
        self._options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: the web server and the indexer share few cores.
        self._options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._model_files = {"documents": model_file(folder, quantized), "queries": model_file(folder, False)}
        self._sessions: dict[str, object] = {}
        self._lock = threading.Lock()

    def _session(self, purpose: str):
        """Created on first use: a web server embeds only queries, an indexer only documents."""
        with self._lock:
            if purpose not in self._sessions:
                import onnxruntime

                self._sessions[purpose] = onnxruntime.InferenceSession(
                    str(self._model_files[purpose]), self._options, providers=["CPUExecutionProvider"]
                )
            return self._sessions[purpose]

    def _run(self, session, encodings) -> np.ndarray:
        feed, mask = batch_inputs(encodings, {i.name for i in session.get_inputs()})
        return pool(session.run(None, feed)[0], mask, self.pooling)

    def _embed(self, texts: Sequence[str], purpose: str) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        session = self._session(purpose)
        encodings = self.tokenizer.encode_batch(list(texts))
        for batch in length_batches([len(e.ids) for e in encodings], self.batch_size, self.sort_by_length):
            out[batch] = self._run(session, [encodings[i] for i in batch])
        return normalize_rows(out)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "documents")

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text], "queries")[0]
