"""Factories for the digest tests: settings pointing at a test mailbox, papers, subscribers, votes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from conftest import make_record
from paperfeed.config import Settings
from paperfeed.db import subscriptions as subscriber_store
from paperfeed.db.listings import upsert_listings
from paperfeed.db.papers import upsert_papers
from paperfeed.digest.subscriptions import parse_request
from paperfeed.models import ACTIVE, Listing
from paperfeed.normalize import normalize_record

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_settings(tmp_path, database_url: str, mailbox=None, **overrides) -> Settings:
    values = {
        "data_dir": tmp_path / "data", "database_url": database_url, "secret_key": SECRET,
        "base_url": "https://papers.example.org", "mail_from": "paperfeed <digest@papers.example.org>",
        "digest_retry_delay_s": 0.0, "digest_trending_papers": 2,
    }
    if mailbox is not None:
        values.update(smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_security="none")
    values.update(overrides)
    return Settings(_env_file=None, **values)


def paper(n: int, day: date, *, categories=("cs.CL",), authors=("Ada Lovelace",), title: str | None = None,
          abstract: str = "We study a problem and report results.", **fields):
    return normalize_record(make_record(
        arxiv_id=f"2611.{n:05d}", title=title or f"Paper number {n}", abstract=abstract, authors=tuple(authors),
        categories=tuple(categories), announced_on=day, source="arxiv-oai", **fields,
    ))


def store_papers(engine, *records) -> list[int]:
    with engine.begin() as conn:
        return upsert_papers(conn, list(records)).paper_ids


def add_votes(engine, paper_id: int, day: date, upvotes: int) -> None:
    with engine.begin() as conn:
        upsert_listings(conn, [Listing(paper_id=paper_id, day=day, source="hf-daily", upvotes=upvotes)])


def add_subscriber(engine, email: str, *, status: str = ACTIVE, frequency: str = "daily", timezone: str = "UTC",
                   categories=(), queries=(), authors=(), now: datetime | None = None) -> int:
    request = parse_request(email, frequency=frequency, timezone=timezone, categories=categories, queries=queries,
                            authors=authors)
    with engine.begin() as conn:
        return subscriber_store.create_subscriber(conn, request, status, now or datetime(2026, 11, 1, tzinfo=UTC))
