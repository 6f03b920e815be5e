"""The install's files agree with each other: the lock files pin what pyproject.toml asks for, the
serve-only lock holds nothing of the index extra, no lock pulls torch (the Makefile installs its CPU
build first) or CUDA wheels, the three locks agree on versions, and the LICENSE is the one declared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
INDEX_EXTRA_PACKAGES = {"torch", "openvino", "nncf", "sentence-transformers", "transformers", "onnx"}
CUDA = re.compile(r"^(torch|triton|nvidia-.*|cuda-.*)$")


def pins(lock: str) -> dict[str, str]:
    text = (REPO / "requirements" / lock).read_text()
    return {canonicalize_name(name): version
            for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.MULTILINE)}


def wanted(*extras: str) -> set[str]:
    requirements = [*PROJECT["dependencies"], *(r for extra in extras for r in PROJECT["optional-dependencies"][extra])]
    return {canonicalize_name(Requirement(r).name) for r in requirements} - {"paperfeed", "torch"}


@pytest.mark.parametrize(("lock", "extras"), [
    ("serve.lock", ()), ("index.lock", ("index",)), ("dev.lock", ("index", "dev")),
])
def test_each_lock_pins_what_pyproject_asks_for_and_no_torch_or_cuda(lock, extras):
    locked = pins(lock)
    assert wanted(*extras) <= set(locked), wanted(*extras) - set(locked)
    assert not [name for name in locked if CUDA.match(name)]
    assert all(version[0].isdigit() for version in locked.values())  # exact versions


def test_a_serve_only_install_holds_nothing_of_the_index_extra():
    assert not INDEX_EXTRA_PACKAGES & set(pins("serve.lock"))
    assert {"onnxruntime", "tokenizers"} <= set(pins("serve.lock"))  # query embedding from an existing export
    assert INDEX_EXTRA_PACKAGES - {"torch"} <= set(pins("index.lock"))


def test_the_locks_agree_on_every_version():
    dev = pins("dev.lock")
    for lock in ("serve.lock", "index.lock"):
        assert {name: version for name, version in pins(lock).items() if dev.get(name) != version} == {}


def test_every_locked_file_is_hashed():
    for lock in ("serve.lock", "index.lock", "dev.lock"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (REPO / "requirements" / lock).read_text().split("\n", 3)[-1])
        assert all("--hash=sha256:" in entry for entry in entries if "==" in entry.split("\n")[0])


def test_the_license_file_is_the_one_pyproject_declares():
    assert PROJECT["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")
