"""Locks that keep two runs of a job from overlapping (two `paperfeed digest send` from cron, two
`paperfeed index` computing embeddings), and the one error, Busy, that says another run holds one.

`file_lock` is the one flock: on a file, released by the operating system when its holder dies, even by
SIGKILL, so a crashed run never blocks the next one. `exclusive` names a lock per database: on
PostgreSQL a session advisory lock, held by a connection kept for the run (released by the server when
the holder dies); on SQLite a `file_lock` on a file beside the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from paperfeed.errors import PaperfeedError


class Busy(PaperfeedError):
    """Another run holds the lock; the caller should wait for it rather than retry at once."""

    status_code = 409


@contextlib.contextmanager
def file_lock(path: Path, busy_message: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold an flock on `path` for the block, or raise Busy(busy_message) if another holds it: at once,
    or after waiting up to `wait_s` seconds for it to let go.

    The message is the caller's, as only it knows what the holder is doing and what to do about it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    with path.open("a") as handle:  # "a": never truncates a file another run holds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(busy_message) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    with file_lock(path, f"another {name} is running (lock file {path})"):
        yield
