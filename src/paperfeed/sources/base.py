"""The shapes every source adapter shares: a request to make and a parsed page of records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paperfeed.errors import InvalidRecord
from paperfeed.identity import split_arxiv_id
from paperfeed.models import PaperRecord, Rejected


def record_arxiv_id(raw: str | None) -> tuple[str, int | None]:
    """The arXiv id and version in an id field arXiv itself wrote (a bare id, an abs URL, an OAI identifier),
    or InvalidRecord saying what is wrong. Files and Hugging Face items are held to a bare id instead."""
    if not raw:
        raise InvalidRecord("missing id")
    try:
        return split_arxiv_id(raw)
    except ValueError as exc:
        raise InvalidRecord(f"bad arXiv id {raw!r}") from exc


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP GET to make; built by a pure function, performed by paperfeed.http."""

    url: str
    params: tuple[tuple[str, str], ...] = ()

    def with_params(self, **extra: Any) -> Request:
        return Request(self.url, self.params + tuple((k, str(v)) for k, v in extra.items()))


@dataclass(slots=True)
class Page:
    """One parsed response: its records, rejects, and the cursor for the next page (None: done)."""

    records: list[PaperRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    next_cursor: str | None = None
    total: int | None = None
