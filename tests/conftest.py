"""Shared test fixtures: real SQLite in tmp_path, PostgreSQL when PAPERFEED_TEST_POSTGRES_URL is set,
and the path to ../shared/data (tests that need it skip with a reason when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("PAPERFEED_SHARED_DATA", REPO.parent / "shared" / "data"))
TEST_DATA = Path(__file__).resolve().parent / "data"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the shared data folder beside the repo); not present here")
    return path


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA
