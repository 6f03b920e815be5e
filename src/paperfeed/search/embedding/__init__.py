"""Sentence embeddings for the semantic leg: texts in, L2-normalized float32 rows out, in input order.

    embedder = load_embedder("all-MiniLM-L6-v2", backend="openvino", cache_dir=settings.resolved_models_dir)
    vectors = embedder.embed_documents(texts)
    query = embedder.embed_query("diffusion distillation")

Backends behind one protocol (base.Embedder), each in its own module importing only base.py (measured by
bench/embed_throughput.py on this 2-core CPU, 256 tokens, against sentence-transformers fp32 at 25.7
papers/s and SciFact dense nDCG@10 0.6602):
- "openvino" (default, openvino.py): the ONNX export statically quantized to int8 for documents, batches
  in flight on both cores: 161.6 papers/s (6.3x), nDCG@10 0.6599-0.6611; queries through onnxruntime.
- "onnx" (onnx.py): onnxruntime, dynamic int8 documents (84.6 papers/s, 3.3x), fp32 queries;
  "onnx-fp32" uses fp32 for both.
- "torch" (torch.py): sentence-transformers as published, the baseline.

All cut padding by batching texts of similar token length together (order is restored before
returning) and read at most `max_tokens` tokens of each text. Building embeddings (the ONNX export,
OpenVINO's calibration, the torch backend) needs the index extra; embedding queries from an existing
export needs only onnxruntime and tokenizers, which every install has. Nothing heavy is imported here.
"""

from __future__ import annotations

from pathlib import Path

from paperfeed.errors import InvalidInput
from paperfeed.search.embedding.base import (
    BACKENDS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MODEL,
    Embedder,
    export_is_ready,
)
from paperfeed.search.embedding.weights import cache_slug, is_bundled, resolve_model

__all__ = ["BACKENDS", "DEFAULT_MAX_TOKENS", "DEFAULT_MODEL", "Embedder", "load_embedder"]


def load_embedder(model: str = DEFAULT_MODEL, backend: str = "openvino", *, cache_dir: Path,
                  max_tokens: int = DEFAULT_MAX_TOKENS, threads: int | None = None,
                  sort_by_length: bool = True) -> Embedder:
    """The embedder the settings ask for; onnx and openvino export into cache_dir/<model> on first use only."""
    if backend not in BACKENDS:
        raise InvalidInput(f"PAPERFEED_EMBEDDING_BACKEND={backend}: choose one of {', '.join(BACKENDS)}")
    if max_tokens < 8:
        raise InvalidInput(f"PAPERFEED_EMBEDDING_MAX_TOKENS={max_tokens}: too few for a title")
    name = f"{model}/{backend}/{max_tokens}"
    if backend == "torch":
        from paperfeed.search.embedding.torch import TorchEmbedder, require_installed

        require_installed()  # before a bundled model's package is looked for: name the whole extra
        return TorchEmbedder(resolve_model(model), name=name, max_tokens=max_tokens, sort_by_length=sort_by_length)
    # A bundled model's export folder is known by its name, so serving from an existing export needs
    # neither the model package nor the index extra; another model is located first (a folder: cheap).
    model_dir = None if is_bundled(model) else resolve_model(model)
    folder = Path(cache_dir) / cache_slug(model, model_dir)
    if not export_is_ready(folder):
        from paperfeed.search.embedding import export

        export.require_installed()  # before a bundled model's package is looked for: name the whole extra
        export.export_onnx(model_dir or resolve_model(model), folder)
    try:
        from paperfeed.search.embedding.onnx import OnnxEmbedder

        onnx = OnnxEmbedder(folder, name=name, quantized=backend != "onnx-fp32", max_tokens=max_tokens,
                            threads=threads, sort_by_length=sort_by_length)
        if backend != "openvino":
            return onnx
        from paperfeed.search.embedding.openvino import OpenVinoEmbedder

        # Queries through onnxruntime's fp32 graph, as the onnx backend embeds them (see openvino.py).
        return OpenVinoEmbedder(folder, name=name, max_tokens=max_tokens, queries=onnx, threads=threads,
                                sort_by_length=sort_by_length)
    except ImportError as exc:  # both are paperfeed's own dependencies: a broken install
        raise InvalidInput(f"embedding needs onnxruntime and tokenizers ({exc.name} is missing); "
                           "reinstall paperfeed") from exc
