"""A paper page's Highwire Press meta tags (citation_title, citation_author, ...): what the Zotero
connector, Google Scholar and other reference managers read off a page to save the paper. Pure; the
template escapes each value."""

from __future__ import annotations

from datetime import date

from paperfeed.citations.names import split_name
from paperfeed.models import Paper
from paperfeed.web.markup import http_url


def citation_meta(paper: Paper, page_url: str) -> list[tuple[str, str]]:
    """(name, content) pairs in the order Google Scholar's inclusion guidelines list them; a tag with
    nothing to say is left out."""
    tags = [("citation_title", paper.title)]
    tags += [("citation_author", _author(name)) for name in paper.authors]
    if paper.day:
        tags.append(("citation_publication_date", _day(paper.day)))  # the year the BibTeX export gives too
        tags.append(("citation_online_date", _day(paper.published_on or paper.day)))  # first posted online
    if paper.arxiv_id:
        tags.append(("citation_arxiv_id", paper.arxiv_id))
    if pdf_url := http_url(paper.pdf_url):
        tags.append(("citation_pdf_url", pdf_url))
    if paper.doi:
        tags.append(("citation_doi", paper.doi))
    tags.append(("citation_abstract_html_url", page_url))
    return [(name, content) for name, content in tags if content]


def _author(name: str) -> str:
    """'Family, Given', as arXiv's own pages write it, so a reader splits the name where paperfeed does."""
    parts = split_name(name)
    if parts.literal or not parts.given:
        return parts.family
    return f"{parts.family}, {parts.given}" + (f", {parts.suffix}" if parts.suffix else "")


def _day(day: date) -> str:
    return day.strftime("%Y/%m/%d")
