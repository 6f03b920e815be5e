"""`paperfeed status` (the instance at a glance, for the person who runs it; /admin/status shows the
same) and `paperfeed admin add EMAIL` (who may see that page besides the first account)."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.table import Table

from paperfeed.cli.app import JsonOption, app, out

admin_app = typer.Typer(help="Admins: who may see /admin/status (the first account created is one).",
                        no_args_is_help=True)
app.add_typer(admin_app, name="admin")


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"


def _bytes(count: int | None) -> str:
    if count is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return f"{count} B"


@app.command("status")
def status_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every job's last and next run and last error; papers per source per day (14 days); the indexes'
    coverage and lag; the embedding queue; digests; database and index sizes on disk.

    Example: paperfeed status --json | jq .index
    """
    from paperfeed.status import instance_status

    context = ctx.obj
    report = instance_status(context.migrated_engine(), context.settings)
    if as_json:
        out.print_json(orjson.dumps(report).decode())
        return
    jobs = Table(title="Jobs", title_justify="left")
    for column in ("job", "last run", "status", "took", "next run", "last error"):
        jobs.add_column(column, overflow="fold")
    for row in report["jobs"]:
        took = f"{row['duration_s']:.1f} s" if row["duration_s"] is not None else "—"
        jobs.add_row(row["name"], _when(row["last_started"]), row["status"] or "never run", took,
                     _when(row["next_run"]), row["last_error"] or "")
    out.print(jobs)
    days = Table(title=f"Papers reaching the store per day ({report['papers']['total']:,} in all)",
                 title_justify="left")
    days.add_column("day")
    days.add_column("by source", overflow="fold")
    for day, sources in report["papers"]["by_day"].items():
        days.add_row(day, ", ".join(f"{source} {count:,}" for source, count in sources.items()) or "—")
    out.print(days)
    index, digests, database = report["index"], report["digests"], report["database"]
    keyword, semantic = index["keyword"], index["semantic"]
    lag = f"{keyword['lag_s']:.0f} s behind the store" if keyword["lag_s"] is not None else "not built"
    out.print(f"keyword index: {keyword['papers']:,} papers ({keyword['coverage']:.1%}), {lag}", highlight=False)
    out.print(f"semantic index ({semantic['model']}): {semantic['papers']:,} papers ({semantic['coverage']:.1%}), "
              f"{semantic['queue']:,} waiting to be embedded", highlight=False, markup=False)
    out.print(f"digests: {digests['sent']:,} sent, {digests['failed']:,} failed, {digests['pending']:,} pending",
              highlight=False)
    out.print(f"on disk: database ({database['dialect']}) {_bytes(database['bytes'])}, "
              f"index {_bytes(index['bytes']['all'])} (keyword {_bytes(index['bytes']['keyword'])}, "
              f"embeddings {_bytes(index['bytes']['embeddings'])}, vectors {_bytes(index['bytes']['vectors'])})",
              highlight=False)


@admin_app.command("add")
def admin_add(ctx: typer.Context, email: Annotated[str, typer.Argument(help="The account's email address.")]) -> None:
    """Let this account see /admin/status (it must have signed up).

    Example: paperfeed admin add ada@example.org
    """
    from paperfeed.db.users import make_admin

    with ctx.obj.migrated_engine().begin() as conn:
        make_admin(conn, email)
    out.print(f"{email} is an admin: /admin/status", highlight=False, markup=False)
