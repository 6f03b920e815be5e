"""A consistent copy of a SQLite store while it is in use (SQLite's online backup API), for
`paperfeed backup PATH` and the nightly job. PostgreSQL stores are backed up with pg_dump."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from paperfeed.errors import InvalidInput

PG_DUMP_ADVICE = "a PostgreSQL store is backed up with pg_dump (e.g. pg_dump -Fc -f paperfeed.dump DATABASE_URL)"


def backup_sqlite(engine: sa.Engine, target: Path) -> Path:
    """Copy the store into `target` (a file; written beside and renamed, so a reader never sees half)."""
    if engine.dialect.name != "sqlite":
        raise InvalidInput(PG_DUMP_ADVICE)
    database = engine.url.database
    if not database or database == ":memory:":
        raise InvalidInput("an in-memory store has nothing on disk to back up")
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.resolve() == Path(database).resolve():
        raise InvalidInput("the backup must go to another file than the store itself")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        with copy:
            source.backup(copy, pages=4096)  # in steps: writers are not held up for the whole copy
    finally:
        copy.close()
        source.close()
    partial.replace(target)
    return target


def nightly_backup(engine: sa.Engine, folder: Path, today: date, keep: int) -> Path:
    """Today's backup in `folder` (paperfeed-YYYY-MM-DD.db), keeping the newest `keep`."""
    path = backup_sqlite(engine, folder / f"paperfeed-{today.isoformat()}.db")
    for old in sorted(folder.glob("paperfeed-*.db"))[:-keep]:
        old.unlink()
    return path
