"""Query parameters shared by the pages and the API, each typed and bounded so that a wrong type
or size is a 422 with a clear message before any handler runs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import BeforeValidator, StringConstraints

MAX_PAGE = 1000
MAX_QUERY = 10_000


def _blank_is_none(value):
    """A form's empty date field (`since=`, as a browser sends it) means no date, not a bad one."""
    return None if isinstance(value, str) and not value.strip() else value


OptionalDate = Annotated[date | None, BeforeValidator(_blank_is_none)]

Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
ApiPage = Annotated[int, Query(ge=0, le=10_000, description="Page number, from 0 (as the Hugging Face API).")]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page, 1-100.")]
Day = Annotated[OptionalDate, Query(alias="date", description="A day, YYYY-MM-DD.")]
Week = Annotated[str | None, Query(pattern=r"^\d{4}-W\d{2}$", max_length=8, description="An ISO week, e.g. 2026-W47.")]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", max_length=7, description="A month, e.g. 2026-11.")]
Window = Annotated[Literal["day", "week", "month"], Query(description="Votes of the last day, week or month.")]
Text = Annotated[str, Query(max_length=MAX_QUERY, description="Search words, \"phrases\", ti:/au:/abs:/cat: terms.")]
Since = Annotated[OptionalDate, Query(description="Only papers announced (else published) on or after this day.")]
Until = Annotated[OptionalDate, Query(description="Only papers announced (else published) on or before this day.")]
Name = Annotated[str, StringConstraints(max_length=300)]
Categories = Annotated[list[Name], Query(
    alias="category", max_length=20, description="arXiv category or archive (cs.CL, cs); repeat for any of several.")]
Authors = Annotated[list[Name], Query(
    alias="author", max_length=20, description="Exact author name, any case; repeat for any of several.")]
PaperId = Annotated[str, Path(max_length=300, description="arXiv id (2410.17243, with or without version), "
                                                          "DOI, or paperfeed key.")]
CategoryName = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9.\-]+$", description="e.g. cs.CL")]
SearchSort = Annotated[Literal["relevance", "date"], Query(description="relevance, or date (newest first).")]
