"""What every embedding backend shares: the Embedder protocol, the export folder's layout, tokenization,
pooling and batching, and the one-line refusal when a backend's extra is not installed.

The backends (onnx.py, openvino.py, torch.py) and the exporter (export.py) import this module and
nothing else of the package; nothing here imports more than numpy at module level.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from paperfeed.errors import InvalidInput

BACKENDS = ("openvino", "onnx", "onnx-fp32", "torch")
DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MAX_TOKENS = 256
BATCH_SIZE = 32
INDEX_EXTRA = "pip install 'paperfeed[index]'"

# The export folder (written by export.py, read by the onnx and openvino backends).
EXPORT_FORMAT = 2  # bump to make every cached export stale
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "embedder.json"


class Embedder(Protocol):
    name: str  # model, backend and length: vectors from embedders with different names do not mix
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def is_installed(module: str) -> bool:
    """Whether `module` can be imported, found without importing it (torch alone takes seconds)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require_index_extra(purpose: str, *modules: str) -> None:
    """Refuse in one line naming the install command when a module of the index extra is absent."""
    missing = [module for module in modules if not is_installed(module)]
    if missing:
        raise InvalidInput(f"{purpose} needs the index extra ({', '.join(missing)} not installed): {INDEX_EXTRA}")


def model_file(folder: Path, quantized: bool) -> Path:
    return folder / ("model-int8.onnx" if quantized else "model-fp32.onnx")


def read_meta(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / META_FILE).read_text())
    except (OSError, ValueError):
        return None
    return meta if meta.get("format") == EXPORT_FORMAT else None


def export_is_ready(folder: Path) -> bool:
    return model_file(folder, True).exists() and model_file(folder, False).exists() and read_meta(folder) is not None


def exported_shape(folder: Path, max_tokens: int) -> tuple[int, str, int]:
    """(dimension, pooling, tokens read) of the export in folder; tokens never past the model's own limit."""
    meta = read_meta(folder)
    if meta is None:
        raise InvalidInput(f"{folder} holds no usable ONNX export; delete it to export again")
    return int(meta["dim"]), meta["pooling"], min(max_tokens, int(meta["max_tokens"]))


def load_tokenizer(folder: Path, max_tokens: int):
    """The export's `tokenizers` tokenizer, cutting each text at max_tokens and padding nothing."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    tokenizer.no_padding()  # some tokenizer.json files pad every text to a fixed length
    tokenizer.enable_truncation(max_tokens)
    return tokenizer


def batch_inputs(encodings, input_names: set[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The model's inputs for a batch of encodings, padded to the longest (feed, attention mask)."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, :len(encoding.ids)] = encoding.ids
        mask[row, :len(encoding.ids)] = 1
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    return {name: value for name, value in feed.items() if name in input_names}, mask


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
