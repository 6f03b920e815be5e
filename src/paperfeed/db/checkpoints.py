"""Checkpoints of unfinished harvests, written in the same transaction as the papers they cover."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.schema import checkpoints


def load_checkpoint(conn: sa.Connection, name: str) -> dict | None:
    return conn.execute(sa.select(checkpoints.c.state).where(checkpoints.c.name == name)).scalar_one_or_none()


def save_checkpoint(conn: sa.Connection, name: str, state: dict) -> None:
    now = datetime.now(UTC)
    updated = conn.execute(
        checkpoints.update().where(checkpoints.c.name == name).values(state=state, updated_at=now)
    )
    if updated.rowcount == 0:
        conn.execute(checkpoints.insert().values(name=name, state=state, updated_at=now))


def clear_checkpoint(conn: sa.Connection, name: str) -> None:
    conn.execute(checkpoints.delete().where(checkpoints.c.name == name))


def list_checkpoints(conn: sa.Connection) -> list[tuple[str, dict, datetime]]:
    rows = conn.execute(sa.select(checkpoints.c.name, checkpoints.c.state, checkpoints.c.updated_at))
    return [tuple(row) for row in rows]
