"""The `paperfeed` command: one thin command per pipeline step (see app.py for the shared parts)."""

from paperfeed.cli import admin, digest, for_you, ingest, jobs, library, mcp, search, serve  # noqa: F401  (registers their commands on the app)
from paperfeed.cli.app import app, main, run

__all__ = ["app", "main", "run"]
