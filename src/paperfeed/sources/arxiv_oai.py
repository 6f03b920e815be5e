"""arXiv's OAI-PMH interface (metadataPrefix=arXiv): the request for one page of ListRecords,
and the parse of that page into raw PaperRecords. Both halves are pure; paperfeed.http does the I/O.

Text is kept as arXiv sent it (only stripped): the normalize step cleans whitespace and LaTeX later.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from paperfeed.errors import InvalidInput, InvalidRecord, SourceError
from paperfeed.identity import normalize_doi
from paperfeed.models import PaperRecord, Rejected
from paperfeed.sources.base import Page, Request, record_arxiv_id
from paperfeed.sources.xml import element_text, parse_untrusted_xml

SOURCE = "arxiv-oai"

_OAI = "http://www.openarchives.org/OAI/2.0/"
_NS = {"oai": _OAI, "arxiv": "http://arxiv.org/OAI/arXiv/"}


def build_request(
    base_url: str,
    *,
    set_spec: str | None = None,
    from_date: date | None = None,
    until_date: date | None = None,
    cursor: str | None = None,
) -> Request:
    """One ListRecords page: the first from the filters, the next ones from a resumptionToken."""
    if cursor:
        # OAI-PMH: resumptionToken is an exclusive argument; the token already encodes the filters.
        return Request(base_url, (("verb", "ListRecords"), ("resumptionToken", cursor)))
    if from_date and until_date and from_date > until_date:
        raise InvalidInput(f"arXiv OAI-PMH: from {from_date} is after until {until_date}")
    params = [("verb", "ListRecords"), ("metadataPrefix", "arXiv")]
    if set_spec:
        params.append(("set", set_spec))
    if from_date:
        params.append(("from", f"{from_date:%Y-%m-%d}"))  # day granularity, even for a datetime
    if until_date:
        params.append(("until", f"{until_date:%Y-%m-%d}"))
    return Request(base_url, tuple(params))


def parse(body: bytes) -> Page:
    """A ListRecords (or GetRecord) response -> its papers, its rejects and the next cursor.

    Raises SourceError for malformed XML and for OAI errors other than noRecordsMatch,
    which OAI-PMH uses to say "an empty result", not "something went wrong".
    """
    root = parse_untrusted_xml(body, root_tag=f"{{{_OAI}}}OAI-PMH", source="arXiv OAI-PMH", kind="an OAI-PMH response")
    errors = root.findall("oai:error", _NS)
    if errors:
        _raise_unless_no_records(errors)
        return Page(total=0)

    page = Page()
    for record in root.iter(f"{{{_OAI}}}record"):
        ref = element_text(record.find("oai:header/oai:identifier", _NS)) or "?"
        try:
            page.records.append(_paper_from(record, ref))
        except InvalidRecord as exc:
            page.rejected.append(Rejected(ref, str(exc)))

    token = root.find(".//oai:resumptionToken", _NS)
    if token is not None:
        # The last page carries an empty token: that, not a missing one, is how OAI-PMH says "done".
        page.next_cursor = element_text(token) or None
        size = token.get("completeListSize", "")
        page.total = int(size) if size.isdigit() else None
    return page


def _raise_unless_no_records(errors: list[etree._Element]) -> None:
    for error in errors:
        code = error.get("code", "unknown")
        if code != "noRecordsMatch":
            raise SourceError(f"arXiv OAI-PMH error {code}: {element_text(error) or 'no message'}")


def _paper_from(record: etree._Element, ref: str) -> PaperRecord:
    """One <record> -> PaperRecord; raises InvalidRecord saying why it cannot be one."""
    header = record.find("oai:header", _NS)
    if header is not None and header.get("status") == "deleted":
        raise InvalidRecord("deleted record")
    meta = record.find("oai:metadata/arxiv:arXiv", _NS)
    if meta is None:
        raise InvalidRecord("no arXiv metadata (another metadataPrefix?)")

    arxiv_id, _ = record_arxiv_id(_field(meta, "id"))
    title = _field(meta, "title")
    if not title:
        raise InvalidRecord("missing title")

    created = _date(_field(meta, "created"))
    return PaperRecord(
        source=SOURCE,
        title=title,
        abstract=_field(meta, "abstract") or "",
        authors=_authors(meta),
        categories=tuple(dict.fromkeys((_field(meta, "categories") or "").split())),
        arxiv_id=arxiv_id,
        version=None,  # the arXiv metadata format does not say which version is current
        # The field may list several DOIs separated by spaces; normalize_doi keeps the first.
        doi=normalize_doi(_field(meta, "doi")),
        published_on=created,
        updated_on=_date(_field(meta, "updated")) or created,
        announced_on=None,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        ref=ref,
    )


def _authors(meta: etree._Element) -> tuple[str, ...]:
    """'Forenames Keyname Suffix' per author; collaborations have only a keyname."""
    names = []
    for author in meta.iterfind("arxiv:authors/arxiv:author", _NS):
        parts = (_field(author, "forenames"), _field(author, "keyname"), _field(author, "suffix"))
        name = " ".join(part for part in parts if part)
        if name:
            names.append(name)
    return tuple(names)


def _field(parent: etree._Element, name: str) -> str | None:
    return element_text(parent.find(f"arxiv:{name}", _NS))


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRecord(f"bad date {text!r}") from exc
