"""Shared test fixtures: real SQLite in tmp_path, PostgreSQL when PAPERFEED_TEST_POSTGRES_URL is set,
and the path to ../shared/data (tests that need it skip with a reason when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import onnxruntime  # noqa: F401  (before anything loads usearch: the other order segfaults; see search/vectors.py)
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


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    """Where exported ONNX models are cached: the export is made once per test process."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA


# --- databases -----------------------------------------------------------------------------

POSTGRES_URL = os.environ.get("PAPERFEED_TEST_POSTGRES_URL")


def _admin_sql(base_url: str, *statements: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    url = make_url(base_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    admin.dispose()


def _fresh_postgres_url(base_url: str, name: str) -> str:
    """Create an empty database `name` on the test server and return its URL."""
    from sqlalchemy.engine import make_url

    _admin_sql(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def _drop_postgres_database(base_url: str, name: str) -> None:
    _admin_sql(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """An empty database: a SQLite file in tmp_path, and the same test on PostgreSQL when
    PAPERFEED_TEST_POSTGRES_URL points at a server (CI starts one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paperfeed.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need PAPERFEED_TEST_POSTGRES_URL (set by .ci/run)")
    # One database per test process, so parallel runs never drop each other's.
    name = f"paperfeed_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    yield _fresh_postgres_url(POSTGRES_URL, name)
    _drop_postgres_database(POSTGRES_URL, name)


@pytest.fixture
def engine(database_url):
    """A migrated engine on an empty database (SQLite and PostgreSQL)."""
    from paperfeed.db import migrate
    from paperfeed.db.engine import make_engine

    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()

