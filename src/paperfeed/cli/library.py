"""`paperfeed library add|import|export|list`: a reader's library from scripts, thin wrappers around
paperfeed.library_files and db/library.py. Readers are named by the email of their account."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import sqlalchemy as sa
import typer

from paperfeed.cli.app import JsonOption, app, out
from paperfeed.db.collections import collection_by_name, list_collections
from paperfeed.db.library import library_page
from paperfeed.db.papers import papers_by_ids
from paperfeed.db.users import User, find_login
from paperfeed.errors import InvalidInput, NotFound, PaperfeedError

if TYPE_CHECKING:
    from paperfeed.library_files import ImportOutcome

# paperfeed.library_files (citations, the arXiv client, the ingest's writer) loads in the commands that use
# it, not at every command's start.

library_app = typer.Typer(help="A reader's library: save, import, export and list papers.", no_args_is_help=True)
app.add_typer(library_app, name="library")

Email = Annotated[str, typer.Argument(help="The reader's account email.")]
CollectionOption = Annotated[str | None, typer.Option("--collection", "-c", help="A collection, by name.")]
PAGE = 500  # saved papers read at a time by `list`


def reader_by_email(engine: sa.Engine, email: str) -> User:
    """The account of this email; NotFound (a clear error, exit 1) when there is none."""
    with engine.connect() as conn:
        login = find_login(conn, email)
    if login is None:
        raise NotFound(f"no account with email {email!r}")
    return login.user


def _outcome_json(outcome: ImportOutcome) -> dict:
    from paperfeed.library_files import named_work

    return {"collection": outcome.collection.name if outcome.collection else None, "saved": outcome.saved,
            "already_saved": outcome.already_saved, "fetched": outcome.fetched,
            "not_found": [named_work(work) for work in outcome.not_found],
            "problems": [{"line": p.line, "message": p.message} for p in outcome.problems],
            "unfetched": outcome.unfetched}


def _say(text: str) -> None:
    """One line of the reader's own text (titles, names, notes): never read as rich markup."""
    out.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)


def _print_outcome(outcome: ImportOutcome, *, lines: bool) -> None:
    from paperfeed.library_files import named_work

    where = f" into {outcome.collection.name!r}" if outcome.collection else ""
    _say(f"{outcome.saved} saved{where}, {outcome.already_saved} already in the library, "
         f"{outcome.fetched} fetched from arXiv")
    for work in outcome.not_found:
        _say(f"not found: {named_work(work, line=lines)}")
    for problem in outcome.problems:
        _say(f"unreadable: {f'line {problem.line}: ' if problem.line else ''}{problem.message}")
    if outcome.unfetched:
        _say(outcome.unfetched)


@library_app.command("add")
def add_command(ctx: typer.Context, email: Email,
                ids: Annotated[list[str], typer.Argument(help="arXiv ids (any version) or DOIs.", show_default=False)],
                collection: CollectionOption = None,
                as_json: JsonOption = False) -> None:
    """Save papers to a reader's library (into a collection, made if new). Papers not in the store are
    fetched from arXiv; any found nowhere is an error (exit code 1), the others are saved.

    Examples: paperfeed library add ada@example.org 1706.03762 2410.17243v2 --collection "To read"
              paperfeed library add ada@example.org 10.48550/arXiv.1706.03762 --json
    """
    from paperfeed.library_files import import_citations, named_work

    context = ctx.obj
    engine = context.migrated_engine()
    reader = reader_by_email(engine, email)
    listed = "\n".join(" ".join(item.split()) for item in ids).encode()
    outcome = import_citations(engine, context.settings, reader.id, listed, format="ids", new_collection=collection)
    if as_json:
        out.print_json(orjson.dumps(_outcome_json(outcome)).decode())
    else:
        _print_outcome(outcome, lines=False)
    if outcome.not_found or outcome.problems:
        missing = [named_work(work, line=False) for work in outcome.not_found]
        raise PaperfeedError("not found in the store or on arXiv: " + ", ".join(missing) if missing else
                             "some ids could not be read")


@library_app.command("import")
def import_command(ctx: typer.Context, email: Email,
                   file: Annotated[Path, typer.Argument(help="BibTeX, RIS, CSL-JSON, or a list of ids and DOIs.",
                                                        exists=True, dir_okay=False, readable=True)],
                   collection: CollectionOption = None, as_json: JsonOption = False) -> None:
    """Import a citation file (Zotero exports BibTeX, RIS and CSL-JSON; up to 5 MB) into a reader's library,
    into a collection (made if new). Papers not in the store are fetched from arXiv; bad entries and papers
    found nowhere are reported, and the rest is kept.

    Examples: paperfeed library import ada@example.org zotero.bib --collection "Thesis"
              paperfeed library import ada@example.org reading-list.txt --json
    """
    from paperfeed.citations import MAX_IMPORT_BYTES
    from paperfeed.library_files import import_citations

    context = ctx.obj
    engine = context.migrated_engine()
    reader = reader_by_email(engine, email)
    if file.stat().st_size > MAX_IMPORT_BYTES:  # refused before reading it in
        raise InvalidInput(f"import files are limited to {MAX_IMPORT_BYTES // (1024 * 1024)} MB; {file} is larger")
    outcome = import_citations(engine, context.settings, reader.id, file.read_bytes(), filename=file.name,
                               new_collection=collection)
    if as_json:
        out.print_json(orjson.dumps(_outcome_json(outcome)).decode())
    else:
        _print_outcome(outcome, lines=True)


@library_app.command("export")
def export_command(ctx: typer.Context, email: Email, collection: CollectionOption = None,
                   export_format: Annotated[str, typer.Option("--format", "-f", help="bibtex, ris or csl-json.")]
                   = "bibtex",
                   output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.",
                                                               dir_okay=False)] = None) -> None:
    """Export a reader's library, or one collection, as BibTeX, RIS or CSL-JSON, newest saved first.

    Examples: paperfeed library export ada@example.org > library.bib
              paperfeed library export ada@example.org --collection Thesis --format ris -o thesis.ris
    """
    from paperfeed.library_files import export_library

    engine = ctx.obj.migrated_engine()
    reader = reader_by_email(engine, email)
    with engine.connect() as conn:
        collection_id = collection_by_name(conn, reader.id, collection).id if collection else None
        text = export_library(conn, reader.id, export_format, collection_id)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")


@library_app.command("list")
def list_command(ctx: typer.Context, email: Email, collection: CollectionOption = None,
                 as_json: JsonOption = False) -> None:
    """A reader's saved papers (or one collection's), newest saved first, with collections and notes.

    Examples: paperfeed library list ada@example.org
              paperfeed library list ada@example.org --collection Thesis --json | jq '.[].id'
    """
    engine = ctx.obj.migrated_engine()
    reader = reader_by_email(engine, email)
    rows = []
    with engine.connect() as conn:
        names = {c.id: c.name for c in list_collections(conn, reader.id)}
        collection_id = collection_by_name(conn, reader.id, collection).id if collection else None
        offset = 0
        while page := library_page(conn, reader.id, collection_id=collection_id, offset=offset, limit=PAGE).items:
            found = papers_by_ids(conn, [item.paper_id for item in page])
            rows += [(found[item.paper_id], item) for item in page if item.paper_id in found]
            offset += PAGE
    if as_json:
        out.print_json(orjson.dumps([
            {"id": paper.arxiv_id or paper.key, "key": paper.key, "title": paper.title,
             "saved_at": item.saved_at.isoformat(), "collections": [names[i] for i in item.collection_ids],
             "note": item.note} for paper, item in rows]).decode())
        return
    if not rows:
        _say("nothing saved" + (f" in {collection!r}" if collection else ""))
    for paper, item in rows:
        tags = "".join(f" [{names[i]}]" for i in item.collection_ids)
        _say(f"{item.saved_at:%Y-%m-%d} {paper.key} {paper.title}{tags}")
        if item.note:
            _say(f"    note: {item.note}")
