"""Turning a sentence-transformers model folder into fast ONNX files, once, kept in a cache folder.

The export runs torch once (attention implemented "eager" so onnxruntime can fuse it into one
operator), fuses the BERT graph, and writes it twice: as is (fp32, for queries) and with weights
quantized to int8 per output channel (for documents). Per-channel matters: per-tensor int8 moved
MiniLM's embeddings to a mean cosine of 0.93 with the original, per-channel keeps it at 0.99+ at
no cost in speed. Everything is written to a temporary name and renamed, the int8 model last, so
its presence means the export is complete (the folder's layout is in base.py). It needs the index
extra (torch, transformers, onnx) and runs in a fresh interpreter:
`python -m paperfeed.search.embedding.export MODEL_DIR FOLDER`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

from paperfeed.errors import InvalidInput
from paperfeed.search.embedding.base import (
    EXPORT_FORMAT,
    INDEX_EXTRA,
    META_FILE,
    TOKENIZER_FILE,
    model_file,
    require_index_extra,
)

log = logging.getLogger(__name__)

EXPORT_MODULE = "paperfeed.search.embedding.export"
NEEDS = ("torch", "transformers", "onnx")  # the index extra's modules the export imports
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def pooling_mode(model_dir: Path) -> str:
    """'mean' or 'cls', read from the sentence-transformers module list (plain HF folders: mean)."""
    modules_path = model_dir / "modules.json"
    if not modules_path.exists():
        return "mean"
    for module in json.loads(modules_path.read_text()):
        if module.get("type", "").endswith("Pooling"):
            config = json.loads((model_dir / module["path"] / "config.json").read_text())
            if config.get("pooling_mode_mean_tokens"):
                return "mean"
            if config.get("pooling_mode_cls_token"):
                return "cls"
            raise InvalidInput(f"{model_dir}: only mean or CLS pooling is supported by the onnx backend")
    return "mean"


def model_max_tokens(model_dir: Path) -> int:
    """The sequence length the model was published with (sentence-transformers' max_seq_length)."""
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("config.json", "max_position_embeddings")):
        path = model_dir / name
        if path.exists() and key in (config := json.loads(path.read_text())):
            return int(config[key])
    return 512


def _write_atomically(target: Path, write) -> None:
    """Call write(temporary_path), then rename over target: readers never see half a file."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a server running as another user reads it
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


@contextmanager
def _quiet():
    """onnxruntime's optimizer and quantizer log a line per tensor at INFO on the root logger."""
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _export_fp32(model_dir: Path, target: Path) -> tuple[int, dict]:
    """torch -> ONNX (opset 17, dynamic batch and length); returns (dimension, HF config)."""
    import torch
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    takes_types = getattr(config, "type_vocab_size", 0) > 0

    class Encoder(torch.nn.Module):  # keyword arguments: transformers' positional order changes between versions
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"token_type_ids": token_type_ids} if takes_types else {}
            return self.model(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state

    names = list(INPUTS if takes_types else INPUTS[:2])
    sample = torch.ones(2, 16, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(), tuple(sample for _ in names), str(target), input_names=names,
            output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )
    return int(config.hidden_size), config.to_dict()


def _fuse(source: Path, target: Path, config: dict) -> None:
    """onnxruntime's transformer fusions (attention, layer norm, GELU) for BERT-family graphs."""
    if config.get("model_type") != "bert":
        shutil.copyfile(source, target)  # other families run unfused (onnxruntime still optimizes basics)
        return
    from onnxruntime.transformers.optimizer import optimize_model

    with _quiet():
        fused = optimize_model(
            str(source), model_type="bert", num_heads=config["num_attention_heads"],
            hidden_size=config["hidden_size"], opt_level=1,
        )
        fused.save_model_to_file(str(target))


def _quantize(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(
            source, target, weight_type=QuantType.QInt8, per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused ops hide types from inference
        )


def _save_tokenizer(model_dir: Path, target: Path) -> None:
    if (model_dir / TOKENIZER_FILE).exists():
        shutil.copyfile(model_dir / TOKENIZER_FILE, target)
        return
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(model_dir).backend_tokenizer.save(str(target))


def require_installed() -> None:
    """Refuse in one line, before any model is looked for, when the export could not run here."""
    require_index_extra("computing embeddings (the model's one-time ONNX export)", *NEEDS)


def export_onnx(model_dir: Path, folder: Path) -> None:
    """Export the model in model_dir into folder: tokenizer, settings, fp32 and int8 models.

    The export runs in a fresh interpreter: torch's tracer hangs (seen with torch 2.13) once usearch
    is loaded in the same process, and a one-time step this heavy is better kept apart anyway.
    """
    require_installed()
    command = [sys.executable, "-m", EXPORT_MODULE, str(model_dir), str(folder)]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        raise InvalidInput(f"exporting {model_dir} to ONNX failed: {lines[-1] if lines else 'no message'}")


def _export_here(model_dir: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    log.info("exporting %s to ONNX, once; later runs reuse %s", model_dir, folder)
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as scratch:
            raw, fused = Path(scratch) / "raw.onnx", Path(scratch) / "fused.onnx"
            dim, config = _export_fp32(model_dir, raw)
            _fuse(raw, fused, config)
            _write_atomically(folder / TOKENIZER_FILE, lambda path: _save_tokenizer(model_dir, path))
            meta = {
                "format": EXPORT_FORMAT, "source": str(model_dir), "dim": dim, "pooling": pooling_mode(model_dir),
                "max_tokens": model_max_tokens(model_dir),
            }
            _write_atomically(folder / META_FILE, lambda path: path.write_text(json.dumps(meta, indent=2)))
            _write_atomically(model_file(folder, False), lambda path: shutil.copyfile(fused, path))
            _write_atomically(model_file(folder, True), lambda path: _quantize(fused, path))
    except ImportError as exc:  # one of NEEDS half installed: the parent checked they can be found
        raise InvalidInput(f"exporting to ONNX could not import {exc.name}; reinstall the index extra: {INDEX_EXTRA}"
                           ) from exc


if __name__ == "__main__":  # python -m paperfeed.search.embedding.export MODEL_DIR FOLDER
    try:
        _export_here(Path(sys.argv[1]), Path(sys.argv[2]))
    except InvalidInput as exc:
        sys.exit(str(exc))
