"""The OpenVINO backend: the exported ONNX graph run by OpenVINO, statically quantized to int8 for documents.

Measured on this 2-core CPU (AVX-512 VNNI and BF16; bench/embed_throughput.py): onnxruntime's dynamic int8
spends much of its time quantizing activations on the fly; NNCF's static int8 (activation ranges
calibrated once on real documents) with OpenVINO's bf16 for what stays in floating point embeds ~1.4x the
papers per second at the same length, and twice that again with a batch in flight on each core (161.6
papers/s at 256 tokens, 6.3x sentence-transformers; SciFact nDCG@10 0.6599-0.6611 depending on the
calibration texts). Queries go to the embedder handed in as `queries` (the factory gives onnxruntime's
fp32 session of the same export): OpenVINO embedded one faster on its own (1.4 vs 2.7 ms) but made the
whole search slower beside tantivy (1M papers, side by side: p50 21.9 vs 19.5 ms, p99 81 vs 74 ms), and
a serving process then needs neither OpenVINO nor NNCF (the index extra).

The int8 model is made once per model, from the first documents this backend is asked to embed (up to
CALIBRATION_TEXTS of them: the newest papers of the instance, the same kind of text it will embed), in a
fresh interpreter (`python -m paperfeed.search.embedding.openvino FOLDER TEXTS.json`), and kept beside
the ONNX export. Until then nothing is cached, so an interrupted calibration simply happens again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from paperfeed.errors import InvalidInput
from paperfeed.search.embedding.base import (
    BATCH_SIZE,
    Embedder,
    batch_inputs,
    exported_shape,
    length_batches,
    load_tokenizer,
    model_file,
    normalize_rows,
    pool,
    require_index_extra,
)

CALIBRATION_TEXTS = 300
INT8_FILE = "model-ov-int8.xml"
CALIBRATION_MODULE = "paperfeed.search.embedding.openvino"


def _compile(path: Path, *, threads: int | None):
    import openvino

    config = {"INFERENCE_PRECISION_HINT": "bf16" if _has_bf16() else "f32",
              "PERFORMANCE_HINT": "THROUGHPUT"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    return openvino.Core().compile_model(str(path), "CPU", config)


def _has_bf16() -> bool:
    import openvino

    return "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class OpenVinoEmbedder:
    def __init__(self, folder: Path, *, name: str, max_tokens: int, queries: Embedder, threads: int | None = None,
                 batch_size: int = BATCH_SIZE, sort_by_length: bool = True) -> None:
        self.folder, self.name, self.queries = folder, name, queries
        self.dim, self.pooling, self.max_tokens = exported_shape(folder, max_tokens)
        self.threads, self.batch_size, self.sort_by_length = threads, batch_size, sort_by_length
        self.tokenizer = load_tokenizer(folder, self.max_tokens)
        self._documents_model = None
        self._lock = threading.Lock()

    def _model(self, texts: Sequence[str]):
        """The int8 document model, calibrated on `texts` the first time there is none."""
        with self._lock:
            if self._documents_model is None:
                path = self.folder / INT8_FILE
                if not path.exists():
                    require_index_extra("calibrating the openvino backend", "openvino", "nncf")
                    quantize(self.folder, list(texts[:CALIBRATION_TEXTS]), self.max_tokens)
                require_index_extra("embedding documents with the openvino backend", "openvino")
                self._documents_model = _compile(path, threads=self.threads)
            return self._documents_model

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        model = self._model(texts)
        input_names = {port.get_any_name() for port in model.inputs}
        encodings = self.tokenizer.encode_batch(list(texts))
        batches = length_batches([len(e.ids) for e in encodings], self.batch_size, self.sort_by_length)
        # The throughput-tuned model runs one stream per core; a synchronous call would keep one of
        # them busy, so as many requests as the device wants are kept in flight, round robin. Results
        # are collected here, in this thread: no Python runs in OpenVINO's threads (no callbacks).
        requests = [model.create_infer_request()
                    for _ in range(max(1, model.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))]
        in_flight: list[tuple | None] = [None] * len(requests)

        def collect(slot: int) -> None:
            batch, mask = in_flight[slot]
            requests[slot].wait()
            out[batch] = pool(requests[slot].get_output_tensor(0).data, mask, self.pooling)
            in_flight[slot] = None

        for number, batch in enumerate(batches):
            slot = number % len(requests)
            if in_flight[slot] is not None:
                collect(slot)
            feed, mask = batch_inputs([encodings[i] for i in batch], input_names)
            requests[slot].start_async(feed)
            in_flight[slot] = (batch, mask)
        for slot in range(len(requests)):
            if in_flight[slot] is not None:
                collect(slot)
        return normalize_rows(out)

    def embed_query(self, text: str) -> np.ndarray:
        return self.queries.embed_query(text)


def calibration_environment(environ: dict[str, str]) -> dict[str, str]:
    """The calibration subprocess's environment: NNCF sends no telemetry where NNCF_CI is set."""
    return {**environ, "NNCF_CI": "1"}


def quantize(folder: Path, texts: list[str], max_tokens: int) -> None:
    """Write folder/INT8_FILE, calibrated on texts, in a fresh interpreter (NNCF loads torch; see export.py)."""
    if not texts:
        raise InvalidInput("the openvino backend calibrates its int8 model on documents: none were given")
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=folder, delete=False) as handle:
        json.dump({"texts": texts, "max_tokens": max_tokens}, handle)
    try:
        command = [sys.executable, "-m", CALIBRATION_MODULE, str(folder), handle.name]
        finished = subprocess.run(command, capture_output=True, text=True, env=calibration_environment(os.environ))
    finally:
        Path(handle.name).unlink(missing_ok=True)
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        raise InvalidInput(f"quantizing {folder} for OpenVINO failed: {lines[-1] if lines else 'no message'}")


def _quantize_here(folder: Path, texts: list[str], max_tokens: int) -> None:
    import nncf
    import openvino

    tokenizer = load_tokenizer(folder, max_tokens)
    model = openvino.Core().read_model(str(model_file(folder, False)))
    names = {port.get_any_name() for port in model.inputs}
    samples = [batch_inputs([encoding], names)[0] for encoding in tokenizer.encode_batch(texts)]
    quantized = nncf.quantize(model, nncf.Dataset(samples), model_type=nncf.ModelType.TRANSFORMER,
                              preset=nncf.QuantizationPreset.MIXED, subset_size=len(samples))
    # Saved under temporary names, the .xml renamed last: its presence means the model is complete.
    scratch = folder / f".{INT8_FILE}.tmp.xml"
    openvino.save_model(quantized, str(scratch))
    scratch.with_suffix(".bin").replace((folder / INT8_FILE).with_suffix(".bin"))
    scratch.replace(folder / INT8_FILE)


if __name__ == "__main__":  # python -m paperfeed.search.embedding.openvino FOLDER TEXTS.json
    job = json.loads(Path(sys.argv[2]).read_text())
    _quantize_here(Path(sys.argv[1]), job["texts"], job["max_tokens"])
