"""Creating the database engine: SQLite (one WAL-mode file) by default, PostgreSQL via psycopg 3."""

from __future__ import annotations

from pathlib import Path

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from paperfeed.errors import InvalidInput


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MB page cache
    cursor.close()


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; creates the SQLite file's folder. Raises InvalidInput for a bad URL."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidInput(f"bad database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, json_serializer=_json_dumps, json_deserializer=orjson.loads)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(
            parsed, json_serializer=_json_dumps, json_deserializer=orjson.loads, pool_pre_ping=True
        )
    raise InvalidInput(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


def ping(engine: sa.Engine) -> None:
    """One round trip to the database; raises what the driver raises when it cannot be reached."""
    with engine.connect() as conn:
        conn.execute(sa.select(1))
