"""The `paperfeed` app: shared context and options, `db` and `stats`, and `run()`, the one place errors
become a single line. Commands of other steps live beside it (ingest.py, search.py)."""

from __future__ import annotations

import logging
import sys
from dataclasses import asdict
from typing import Annotated

import orjson
import pydantic
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.logging import RichHandler

from paperfeed import __version__
from paperfeed.cli.render import render_stats
from paperfeed.config import Settings, describe_invalid_settings
from paperfeed.db import migrate
from paperfeed.db.engine import make_engine
from paperfeed.db.stats import store_stats
from paperfeed.errors import PaperfeedError
from paperfeed.http import HttpClient
from paperfeed.logs import configure_logging, hold_records

app = typer.Typer(
    help="paperfeed: a self-hosted research-paper discovery engine.", no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON for scripts.")]
OnlyOption = Annotated[list[str] | None, typer.Option("--only", help="Only this scheduled job (repeatable).")]


class Context:
    """What every command needs, built once from Settings by the entry point."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.resolved_database_url)
        return self._engine

    def migrated_engine(self) -> sa.Engine:
        """The engine, after checking the schema is current (migrations are an explicit step)."""
        if migrate.current_revision(self.engine) != migrate.head_revision():
            raise PaperfeedError("the database schema is not up to date: run `paperfeed db upgrade` first")
        return self.engine

    def http_client(self) -> HttpClient:
        return HttpClient.from_settings(self.settings)


class _NoInterruptTracebacks(logging.Filter):
    """Drops log records carrying a KeyboardInterrupt (SQLAlchemy logs one when Ctrl-C lands while it
    returns a connection to its pool): the user gets the one "interrupted" line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt))


def _settings_and_logging(verbose: bool) -> Settings:
    """Settings, and the CLI's logs in their format: a terminal's lines (rich) or JSON, WARNING and up
    unless --verbose. What reading the settings logged is written in that format too."""
    level = logging.INFO if verbose else logging.WARNING
    held = hold_records(level)
    log_format = "text"  # if the settings are refused, their error is shown in text
    try:
        settings = Settings()
        log_format = settings.log_format
    finally:
        handler = configure_logging(log_format, level=level, held=held,
                                    text_handler=RichHandler(console=err, show_path=False, show_time=False))
        handler.addFilter(_NoInterruptTracebacks())
    return settings


def _show_version(wanted: bool) -> None:
    if wanted:
        out.print(f"paperfeed {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.")] = False,
    _version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                           help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = Context(_settings_and_logging(verbose))


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the database schema to the latest version.

    Example: paperfeed db upgrade
    """
    context = ctx.obj
    migrate.upgrade(context.engine)
    out.print(f"database at revision {migrate.current_revision(context.engine)} "
              f"({context.engine.url.render_as_string(hide_password=True)})")


@app.command("stats")
def stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """What the store holds: papers by source, category and day.

    Examples: paperfeed stats
              paperfeed stats --json | jq .by_source
    """
    engine = ctx.obj.migrated_engine()
    with engine.connect() as conn:
        result = store_stats(conn)
    if as_json:
        out.print_json(orjson.dumps(asdict(result)).decode())
    else:
        render_stats(out, result)


INTERRUPTED = 130  # the shell's exit code for a Ctrl-C


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; the one place errors become a single line."""
    try:
        result = app(args=argv, prog_name="paperfeed", standalone_mode=False)
    except typer.TyperException as exc:
        if hasattr(exc, "show"):
            exc.show()
        else:
            err.print(f"error: {exc.format_message()}",
                      highlight=False, markup=False, soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        return _interrupted()
    except PaperfeedError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        return 1
    except pydantic.ValidationError as exc:  # Settings() refused the environment
        err.print(f"error: {describe_invalid_settings(exc.errors())}", highlight=False, markup=False, soft_wrap=True)
        return 1
    except sa.exc.OperationalError as exc:
        err.print(f"database error: {str(exc.orig).splitlines()[0]}",
                  highlight=False, markup=False, soft_wrap=True)
        return 1
    if result == INTERRUPTED:  # typer catches Ctrl-C itself and returns 130 without a word
        return _interrupted()
    return result if isinstance(result, int) else 0


def _interrupted() -> int:
    err.print("interrupted: finished batches are saved; run the same command again to resume")
    return INTERRUPTED


def main() -> None:
    sys.exit(run())
