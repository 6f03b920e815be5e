"""Alembic environment: the engine comes from paperfeed.db.migrate (built from Settings), never from an ini file."""

from alembic import context

from paperfeed.db.schema import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    )
    context.run_migrations()
