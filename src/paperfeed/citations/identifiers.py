"""arXiv ids and DOIs wherever exporters put them: an id field (BibTeX eprint, CSL number), a URL, a note
or a journal line ("arXiv preprint arXiv:2104.12255"). Free text only counts with arXiv named next to the
id, so a page range or report number that merely looks like an id is not taken for one."""

from __future__ import annotations

import re
from collections.abc import Iterable

from paperfeed.identity import arxiv_id_from_doi, is_arxiv_id, normalize_doi, split_arxiv_id

# "arXiv:2104.12255v2", "arXiv preprint arXiv:2104.12255", "arxiv.org/abs/2104.12255", ".../pdf/2104.12255v1.pdf",
# "arXiv e-print hep-th/9901001". The id itself is then read by identity.split_arxiv_id. Blanks are bounded:
# optional runs of unbounded ones next to each other would take polynomial time on a file of spaces.
_ARXIV_MENTION = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf|html)/|(?:\s{1,3}(?:preprint|e-?prints?))?(?:\s{1,3}arxiv)?\s{0,3}:?\s{0,3})"
    r"(?=[a-z\d])([a-z][a-z\-]{0,15}(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?|\d{4}\.\d{4,5}(?:v\d+)?)(?!\d)",
    re.IGNORECASE,
)
_DOI_URL = re.compile(r"(?:doi\.org/|\bdoi:\s*)(10\.\d{4,9}/[^\s\"<>{}]+)", re.IGNORECASE)


def arxiv_id_of(value: str | None) -> str | None:
    """The arXiv id of a field that holds an id and nothing else ('2104.12255v2', 'arXiv:2104.12255',
    'hep-th/9901001'), or of a text that names arXiv next to it; None otherwise."""
    if not value or not (value := value.strip()):
        return None
    if is_arxiv_id(value):
        return split_arxiv_id(value)[0]
    return arxiv_id_in_text(value)


def arxiv_id_in_text(text: str | None) -> str | None:
    """The first arXiv id that a text names as one (see _ARXIV_MENTION), or an arXiv DOI's id."""
    if not text:
        return None
    if match := _ARXIV_MENTION.search(text):
        return split_arxiv_id(match.group(1))[0]
    if (doi := doi_in_text(text)) and (from_doi := arxiv_id_from_doi(doi)):
        return from_doi[0]
    return None


def doi_in_text(text: str | None) -> str | None:
    """A DOI that a URL or note names as one (doi.org/..., 'doi:10...'); a publisher's URL is not read."""
    if text and (match := _DOI_URL.search(text)):
        return normalize_doi(match.group(1))
    return None


def first_arxiv_id(id_fields: Iterable[str | None], texts: Iterable[str | None]) -> str | None:
    """The arXiv id of the first id field that holds one, else of the first text that names one."""
    for value in id_fields:
        if found := arxiv_id_of(value):
            return found
    for text in texts:
        if found := arxiv_id_in_text(text):
            return found
    return None


def first_doi(doi_fields: Iterable[str | None], texts: Iterable[str | None]) -> str | None:
    """The first DOI field's DOI, else the first DOI a URL or note names."""
    for value in doi_fields:
        if found := normalize_doi(value):
            return found
    for text in texts:
        if found := doi_in_text(text):
            return found
    return None
