"""The few statements SQLite and PostgreSQL spell differently."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert_or_ignore(conn: sa.Connection, table: sa.Table):
    """INSERT ... ON CONFLICT DO NOTHING for the connection's database."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()
