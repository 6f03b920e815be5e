"""`paperfeed index`, `search` and `similar` as a user runs them: the console script in a subprocess,
stderr a file (as in make run's background log), results as JSON, errors as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TEST_DATA

CONSOLE_SCRIPT = Path(sys.executable).parent / "paperfeed"


@pytest.fixture(scope="module")
def env(tmp_path_factory, models_dir):
    data = tmp_path_factory.mktemp("cli-search")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env.update(PAPERFEED_DATA_DIR=str(data / "data"), PAPERFEED_MODELS_DIR=str(models_dir))
    for args in (["db", "upgrade"], ["ingest", "file", str(TEST_DATA / "files" / "papers.jsonl")]):
        assert paperfeed(env, *args).returncode == 0
    return env


def paperfeed(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(CONSOLE_SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300)


def test_index_logs_progress_lines_to_a_file_then_search_and_similar_answer(env):
    indexed = paperfeed(env, "index")
    assert indexed.returncode == 0, indexed.stderr
    # Not a terminal: no live bar, but a plain line when each stage completes.
    lines = [line for line in indexed.stderr.splitlines() if " of " in line]
    assert any(line.startswith("keyword index: ") and "papers (" in line for line in lines), indexed.stderr
    assert any(line.startswith("embeddings: ") for line in lines), indexed.stderr

    found = paperfeed(env, "search", "protein folding structure", "--json")
    assert found.returncode == 0, found.stderr
    keys = [hit["key"] for hit in json.loads(found.stdout)["hits"]]
    assert keys[0] == "doi:10.1038/s41586-021-03819-2"

    similar = paperfeed(env, "similar", "2106.09685", "--json")
    assert similar.returncode == 0, similar.stderr
    assert "2106.09685" not in [hit["key"] for hit in json.loads(similar.stdout)["hits"]]


@pytest.mark.parametrize(("args", "message"), [
    (["search", ""], "empty query"),
    (["similar", "9999.99999"], "no paper"),
])
def test_bad_requests_are_one_line_errors(env, args, message):
    result = paperfeed(env, *args)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
