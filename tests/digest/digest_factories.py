"""Factories for the digest tests: settings pointing at a test mailbox, and subscribers (papers and their
votes come from tests/factories.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from paperfeed.config import Settings
from paperfeed.db import subscriptions as subscriber_store
from paperfeed.digest.subscriptions import parse_request
from paperfeed.models import ACTIVE

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


def add_subscriber(engine, email: str, *, status: str = ACTIVE, frequency: str = "daily", timezone: str = "UTC",
                   categories=(), queries=(), authors=(), now: datetime | None = None) -> int:
    request = parse_request(email, frequency=frequency, timezone=timezone, categories=categories, queries=queries,
                            authors=authors)
    with engine.begin() as conn:
        return subscriber_store.create_subscriber(conn, request, status, now or datetime(2026, 11, 1, tzinfo=UTC))
