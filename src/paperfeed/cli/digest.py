"""`paperfeed subscribe`, `paperfeed unsubscribe`, `paperfeed digest send` and `paperfeed digest status`:
thin wrappers around paperfeed.digest."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import orjson
import typer

from paperfeed.cli.app import JsonOption, app, out
from paperfeed.digest.subscriptions import parse_request, subscriber_email

digest_app = typer.Typer(help="Email digests: send what is due, see where things stand.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


def _print_json(value) -> None:
    out.print_json(orjson.dumps(value, default=str).decode())


@app.command("subscribe")
def subscribe_command(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The reader's address.")],
    weekly: Annotated[bool, typer.Option("--weekly", help="One digest a week instead of one a day.")] = False,
    category: Annotated[list[str] | None, typer.Option(help="arXiv category (cs.CL) or archive (cs); repeatable.")]
    = None,
    query: Annotated[list[str] | None, typer.Option(help="Saved search query; repeatable.")] = None,
    author: Annotated[list[str] | None, typer.Option(help="Followed author, full name; repeatable.")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone; default PAPERFEED_DIGEST_TIMEZONE.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Subscribe an address to the digest. Nothing is sent until the confirmation link is followed (double
    opt-in): the link is mailed when PAPERFEED_SMTP_HOST is set, and printed either way.

    Examples: paperfeed subscribe ada@example.org --category cs.CL --query "diffusion distillation"
              paperfeed subscribe bob@example.org --weekly --author "Yoshua Bengio" --timezone Europe/Paris
    """
    from paperfeed.digest.mailer import Mailer
    from paperfeed.digest.signup import subscribe
    from paperfeed.digest.tokens import LinkSigner

    context = ctx.obj
    settings = context.settings
    request = parse_request(email, frequency="weekly" if weekly else "daily",
                            timezone=timezone or settings.digest_timezone, categories=category or (),
                            queries=query or (), authors=author or ())
    engine = context.migrated_engine()
    signer = LinkSigner.from_settings(settings)
    mailer = Mailer(settings) if settings.smtp_host else None
    with mailer or contextlib.nullcontext():
        outcome = subscribe(engine, settings, signer, request, datetime.now(UTC), mailer)
    if as_json:
        _print_json(asdict(outcome))
        return
    what = "confirmation link" if outcome.needs_confirmation else "already subscribed; preferences link"
    if outcome.mailed:
        how = f"mailed to {outcome.email}"
    elif mailer is None:
        how = "not mailed: PAPERFEED_SMTP_HOST is not set"
    else:
        how = "not mailed again: one went out minutes ago"
    out.print(f"{what} ({how}):", highlight=False)
    out.print(outcome.link, highlight=False, soft_wrap=True)


@app.command("unsubscribe")
def unsubscribe_command(ctx: typer.Context, email: Annotated[str, typer.Argument(help="The address.")]) -> None:
    """Unsubscribe an address (for requests that reach the List-Unsubscribe mailbox; readers use the link).

    Example: paperfeed unsubscribe ada@example.org
    """
    from paperfeed.digest.signup import unsubscribe_address

    subscriber = unsubscribe_address(ctx.obj.migrated_engine(), subscriber_email(email), datetime.now(UTC))
    out.print(f"{subscriber.email} unsubscribed", highlight=False)


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        message = f"{value!r} is not a time like 2026-11-23T07:00:00+01:00"
        raise typer.BadParameter(message, param_hint="--now") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _plan_json(plan) -> dict:
    return {"email": plan.subscriber.email, "period": plan.period.key,
            "papers": [{"key": p.paper.key, "title": p.paper.title, "section": p.section, "reason": p.reason}
                       for p in plan.picks]}


@digest_app.command("send")
def send_command(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compose and show; write and send nothing.")] = False,
    to: Annotated[str | None, typer.Option("--to", help="Only this subscriber (still only when due).")] = None,
    now: Annotated[str | None, typer.Option("--now", help="Act as if it were this time (ISO 8601; naive = UTC).")]
    = None,
    as_json: JsonOption = False,
) -> None:
    """Compose and send the digests that are due: each subscriber's, from PAPERFEED_DIGEST_HOUR in their own
    time zone. Run it from cron every hour (or more often); a crashed or interrupted run is simply run again
    and neither skips nor repeats a digest.

    Examples: paperfeed digest send
              paperfeed digest send --dry-run --to ada@example.org --now 2026-11-23T08:00:00+01:00
              crontab: 5 * * * *  cd /srv/paperfeed && .venv/bin/paperfeed digest send
    """
    from paperfeed.digest.sender import plan_digests, send_digests

    context = ctx.obj
    settings = context.settings
    moment = _parse_now(now)
    only = subscriber_email(to) if to else None
    engine = context.migrated_engine()

    def open_search():
        from paperfeed.search import SearchService

        return SearchService.open(settings, engine)

    if dry_run:
        report = plan_digests(engine, settings, moment, only_email=only, open_search=open_search, write=False)
        if as_json:
            _print_json({"due": report.due, "digests": [_plan_json(plan) for plan in report.plans if plan.picks],
                         "empty": report.empty})
            return
        for plan in report.plans:
            out.print(f"{plan.subscriber.email}  {plan.period.key}  {len(plan.picks)} papers", highlight=False)
            for pick in plan.picks if only else ():
                out.print(f"  - {pick.paper.title}  [{pick.reason}]", highlight=False, markup=False)
        out.print(f"dry run: {report.planned} digests would be sent, {report.empty} due subscribers have nothing new",
                  highlight=False)
        return

    from paperfeed.digest.mailer import Mailer
    from paperfeed.digest.tokens import LinkSigner

    report = send_digests(engine, settings, moment, mailer_factory=lambda: Mailer(settings),
                          signer=LinkSigner.from_settings(settings), open_search=open_search, only_email=only)
    summary = {key: value for key, value in asdict(report).items() if key != "plans"}
    if as_json:
        _print_json(summary)
    else:
        out.print(f"planned {report.planned} digests ({report.empty} with nothing new); sent {report.sent}, "
                  f"bounced {report.bounced}, deferred {report.deferred}, cancelled {report.cancelled}, "
                  f"expired {report.expired}", highlight=False)
    if report.stopped:
        from paperfeed.errors import SourceError

        raise SourceError(report.stopped)


@digest_app.command("status")
def status_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Subscribers by status (pending, active, unsubscribed, bouncing) and digests by status.

    Example: paperfeed digest status --json
    """
    from paperfeed.db import digests, subscriptions

    with ctx.obj.migrated_engine().connect() as conn:
        result = {"subscribers": subscriptions.count_by_status(conn), "digests": digests.count_by_status(conn)}
    if as_json:
        _print_json(result)
        return
    for title, counts in result.items():
        line = ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "none"
        out.print(f"{title}: {line}", highlight=False)
