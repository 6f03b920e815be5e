"""The shapes the search legs share: documents in, ranked paper ids out, and the filters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from paperfeed.errors import InvalidInput

# Paper ids with scores, best first. Every leg and the fusion speak this.
Ranked = list[tuple[int, float]]


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """What the search index knows of a paper."""

    paper_id: int
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    day: date | None = None  # the date filters and date sorting use: announced, else published


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions every result must satisfy. Empty tuples mean 'any'."""

    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()  # any of these (cs.CL, or a whole archive: cs)
    authors: tuple[str, ...] = ()  # any of these names, matched case-insensitively

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.categories or self.authors)

    @classmethod
    def from_input(cls, since: date | None = None, until: date | None = None, categories: Iterable[str] = (),
                   authors: Iterable[str] = ()) -> Filters:
        """Filters as a reader typed them (web form, API, MCP): blanks dropped, names' spaces collapsed."""
        if since and until and since > until:
            raise InvalidInput(f"since ({since}) is after until ({until})")
        return cls(since=since, until=until, categories=tuple(c.strip() for c in categories if c.strip()),
                   authors=tuple(" ".join(a.split()) for a in authors if a.strip()))


@dataclass(frozen=True, slots=True)
class FieldClause:
    """One `ti:`/`au:`/`abs:`/`cat:` restriction of a query, a word or a quoted phrase."""

    field: str  # "title", "authors", "abstract", "categories"
    text: str
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A user's query after parsing: free words and phrases, fielded clauses, and the plain text
    the semantic leg embeds. Parsing never fails on odd input; it only drops what it cannot use."""

    raw: str
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    fields: tuple[FieldClause, ...] = ()
    semantic_text: str = ""
    notes: tuple[str, ...] = ()  # what the parser changed, shown to the user ("query cut to 10,000 characters")

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.phrases or self.fields)
