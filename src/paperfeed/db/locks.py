"""Named locks that keep two runs of a job from overlapping (two `paperfeed digest send` from cron).

PostgreSQL: a session advisory lock, held by a connection kept for the run. SQLite: an flock on a file
beside the database. Both are released by the operating system or the server when the holder dies,
even by SIGKILL, so a crashed run never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from paperfeed.errors import PaperfeedError


class Busy(PaperfeedError):
    status_code = 409


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def exclusive(engine: sa.Engine, name: str) -> Iterator[None]:
    """Hold the lock `name` for the block, or raise Busy at once if another process holds it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = _advisory_key(name)
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one():
                raise Busy(f"another {name} is running (PostgreSQL advisory lock held)")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield  # one process only
        return
    path = Path(f"{database}.{name.replace(' ', '-')}.lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another {name} is running (lock file {path})") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
