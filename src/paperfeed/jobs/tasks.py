"""What each scheduled job does: the same library calls as the CLI commands, with a small summary
(a dict of numbers) for the job's stored result. Each runs in its own process (runner.py) and makes its
own engine and clients from the settings."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime

import sqlalchemy as sa

from paperfeed.config import Settings


def _summary(summary) -> dict:
    return {key: value for key, value in asdict(summary).items() if isinstance(value, int | float)}


def _keyword_index(settings: Settings, engine: sa.Engine) -> int:
    """Bring the keyword index in step with the store at once (searchable in seconds); embeddings are
    the index job's, in the background."""
    from paperfeed.search import update_index

    return update_index(settings, engine, semantic=False)["keyword_indexed"]


def harvest_arxiv(settings: Settings, engine: sa.Engine) -> dict:
    """The followed categories' last two days over OAI-PMH (after arXiv's announcement), then keyword-indexed."""
    from paperfeed.http import HttpClient
    from paperfeed.recent import harvest_days

    with HttpClient.from_settings(settings) as client:
        summary = harvest_days(engine, client, settings, days=2, today=date.today(), hf=False)
    return {**_summary(summary), "keyword_indexed": _keyword_index(settings, engine)}


def import_hf_daily(settings: Settings, engine: sa.Engine) -> dict:
    """Today's Hugging Face daily papers (listings, upvotes), then keyword-indexed."""
    from paperfeed.harvests import harvest_hf_daily
    from paperfeed.http import HttpClient

    with HttpClient.from_settings(settings) as client:
        summary = harvest_hf_daily(engine, client, settings, day=datetime.now(UTC).date())
    return {**_summary(summary), "keyword_indexed": _keyword_index(settings, engine)}


def keyword_index(settings: Settings, engine: sa.Engine) -> dict:
    """Papers added by any path (ingest, harvest, submit) into this node's keyword index."""
    return {"keyword_indexed": _keyword_index(settings, engine)}


def embed_and_rank(settings: Settings, engine: sa.Engine) -> dict:
    """Embed what is pending (this node's semantic index), then rank the readers' new days ("For you")."""
    from paperfeed.foryou.job import rank_everyone
    from paperfeed.search import update_index

    report = update_index(settings, engine, keyword=True, semantic=True)
    ranked = rank_everyone(engine, settings)
    return {"embedded": report["embedded"], "vectors": report["vectors"], "for_you_rankings": ranked.rankings,
            "for_you_refitted": ranked.refitted}


def send_digests(settings: Settings, engine: sa.Engine) -> dict:
    """The digests due now (each subscriber's hour in their time zone); exactly once (digest/sender.py)."""
    from paperfeed.digest.mailer import Mailer
    from paperfeed.digest.sender import send_digests as send
    from paperfeed.digest.tokens import LinkSigner
    from paperfeed.search import SearchService

    report = send(engine, settings, datetime.now(UTC), mailer_factory=lambda: Mailer(settings),
                  signer=LinkSigner.from_settings(settings), open_search=lambda: SearchService.open(settings, engine))
    if report.stopped:
        raise RuntimeError(report.stopped)  # recorded as the run's error; what was sent stays sent
    return {key: value for key, value in asdict(report).items() if isinstance(value, int)}


def send_mentions(settings: Settings, engine: sa.Engine) -> dict:
    """Mail the readers named in comments (once each); skipped while no SMTP server is configured."""
    if not settings.smtp_host:
        return {"skipped": 1, "reason": "no SMTP server configured (PAPERFEED_SMTP_HOST)"}
    from paperfeed.digest.mailer import Mailer
    from paperfeed.discussion import send_owed_mentions

    with Mailer(settings) as mailer:
        return {"sent": send_owed_mentions(engine, settings, mailer)}


def backup(settings: Settings, engine: sa.Engine) -> dict:
    """Tonight's SQLite backup under <data_dir>/backups (the newest settings.backup_keep kept)."""
    from paperfeed.db.backup import PG_DUMP_ADVICE, nightly_backup

    if engine.dialect.name != "sqlite":
        return {"skipped": 1, "advice": PG_DUMP_ADVICE}
    path = nightly_backup(engine, settings.data_dir / "backups", date.today(), settings.backup_keep)
    return {"bytes": path.stat().st_size, "path": str(path)}
