"""The arXiv API (export.arxiv.org/api/query): the request for one page of a search or an id
lookup, and the parse of its Atom feed into raw PaperRecords. Both halves are pure;
paperfeed.http does the I/O.

Text is kept as arXiv sent it (only stripped): the normalize step cleans whitespace and LaTeX later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from lxml import etree

from paperfeed.errors import InvalidInput, InvalidRecord, SourceError
from paperfeed.identity import normalize_doi
from paperfeed.models import PaperRecord, Rejected
from paperfeed.sources.base import Page, Request, record_arxiv_id
from paperfeed.sources.xml import element_text, parse_untrusted_xml

SOURCE = "arxiv-api"
SORT_BY = frozenset({"relevance", "lastUpdatedDate", "submittedDate"})
SORT_ORDER = frozenset({"ascending", "descending"})

_ATOM = "http://www.w3.org/2005/Atom"
_NS = {
    "atom": _ATOM,
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


def build_request(
    base_url: str,
    *,
    id_list: Sequence[str] = (),
    query: str | None = None,
    start: int = 0,
    max_results: int = 100,
    sort_by: str = "submittedDate",
    sort_order: str = "descending",
) -> Request:
    """One page of results for a query, a list of ids, or both (the query filters the ids)."""
    # A lone string is a Sequence too; joining its characters with commas would be nonsense.
    ids = [id_list] if isinstance(id_list, str) else list(id_list)
    ids = [arxiv_id.strip() for arxiv_id in ids if arxiv_id.strip()]
    if not ids and not query:
        raise InvalidInput("arXiv API: give an id list or a search query")
    if sort_by not in SORT_BY:
        raise InvalidInput(f"arXiv API: sort_by must be one of {sorted(SORT_BY)}, not {sort_by!r}")
    if sort_order not in SORT_ORDER:
        raise InvalidInput(f"arXiv API: sort_order must be one of {sorted(SORT_ORDER)}")
    if start < 0 or max_results < 1:
        raise InvalidInput("arXiv API: start must be >= 0 and max_results >= 1")

    params = []
    if query:
        params.append(("search_query", query))
    if ids:
        params.append(("id_list", ",".join(ids)))
    params += [
        ("start", str(start)),
        ("max_results", str(max_results)),
        ("sortBy", sort_by),
        ("sortOrder", sort_order),
    ]
    return Request(base_url, tuple(params))


def parse(body: bytes, *, start: int = 0) -> Page:
    """A feed -> its papers, its rejects, and the next `start` as cursor (None: no more results).

    `start` is the offset the request asked for. Raises SourceError for malformed XML and
    for arXiv's error feed (sent with HTTP 400, e.g. for an id in the wrong format).
    """
    root = parse_untrusted_xml(body, root_tag=f"{{{_ATOM}}}feed", source="arXiv API", kind="an Atom feed")
    entries = root.findall("atom:entry", _NS)
    _raise_if_error_feed(entries)

    page = Page(total=_int(element_text(root.find("opensearch:totalResults", _NS))))
    for index, entry in enumerate(entries, start=start):
        entry_id = element_text(entry.find("atom:id", _NS))
        try:
            page.records.append(_paper_from(entry, entry_id))
        except InvalidRecord as exc:
            page.rejected.append(Rejected(entry_id or f"entry {index}", str(exc)))

    # Stop at an empty page even if totalResults promises more, so a count that runs ahead
    # of the results cannot make a harvest loop forever.
    end = start + len(entries)
    if entries and page.total is not None and page.total > end:
        page.next_cursor = str(end)
    return page


def _raise_if_error_feed(entries: list[etree._Element]) -> None:
    """arXiv reports a bad request as a feed whose one entry has an id under .../api/errors."""
    for entry in entries:
        if "api/errors" in (element_text(entry.find("atom:id", _NS)) or ""):
            message = element_text(entry.find("atom:summary", _NS)) or "no message"
            raise SourceError(f"arXiv API error: {message}")


def _paper_from(entry: etree._Element, entry_id: str | None) -> PaperRecord:
    """One <entry> -> PaperRecord; raises InvalidRecord saying why it cannot be one."""
    arxiv_id, version = record_arxiv_id(entry_id)
    title = element_text(entry.find("atom:title", _NS))
    if not title:
        raise InvalidRecord("missing title")

    return PaperRecord(
        source=SOURCE,
        title=title,
        abstract=element_text(entry.find("atom:summary", _NS)) or "",
        authors=tuple(
            name
            for author in entry.iterfind("atom:author", _NS)
            if (name := element_text(author.find("atom:name", _NS)))
        ),
        categories=_categories(entry),
        arxiv_id=arxiv_id,
        version=version,
        doi=normalize_doi(element_text(entry.find("arxiv:doi", _NS))),
        published_on=_date(element_text(entry.find("atom:published", _NS))),
        updated_on=_date(element_text(entry.find("atom:updated", _NS))),
        announced_on=None,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=_pdf_url(entry, arxiv_id, version),
        ref=entry_id,
    )


def _categories(entry: etree._Element) -> tuple[str, ...]:
    """The primary category first, then the others in feed order, each once."""
    primary = entry.find("arxiv:primary_category", _NS)
    terms = [primary.get("term") if primary is not None else None]
    terms += [category.get("term") for category in entry.iterfind("atom:category", _NS)]
    return tuple(dict.fromkeys(term.strip() for term in terms if term and term.strip()))


def _pdf_url(entry: etree._Element, arxiv_id: str, version: int | None) -> str:
    """The feed's own pdf link (it names the version); built the same way if it is missing."""
    link = entry.find("atom:link[@title='pdf']", _NS)
    if link is not None and link.get("href"):
        return link.get("href")
    suffix = f"v{version}" if version else ""
    return f"https://arxiv.org/pdf/{arxiv_id}{suffix}"


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _date(text: str | None) -> date | None:
    """'2021-04-20T16:07:14Z' -> date(2021, 4, 20): the day as arXiv wrote it, in UTC."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise InvalidRecord(f"bad date {text!r}") from exc
