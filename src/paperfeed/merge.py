"""Merging what sources say about one paper into one record. Pure: data in, data out.

Rules, in short: a newer arXiv version, or an equally new report from a source at least as trusted
(models.SOURCE_RANK), replaces the text; anything else only fills gaps. Dates keep the earliest
first-publication and the latest update; sources accumulate. Merging the same record twice
changes nothing, which is what makes re-running an ingest a no-op.
"""

from __future__ import annotations

from dataclasses import replace

from paperfeed.identity import paper_key, title_key
from paperfeed.models import SOURCE_RANK, Paper, PaperRecord


def _earliest(a, b):
    return min(x for x in (a, b) if x is not None) if (a or b) else None


def _latest(a, b):
    return max(x for x in (a, b) if x is not None) if (a or b) else None


def paper_from_record(record: PaperRecord) -> Paper:
    first_author = record.authors[0] if record.authors else None
    return Paper(
        key=paper_key(record.arxiv_id, record.doi, record.title, first_author),
        title=record.title,
        abstract=record.abstract,
        authors=list(record.authors),
        categories=list(record.categories),
        sources=[record.source],
        arxiv_id=record.arxiv_id,
        doi=record.doi,
        version=record.version,
        published_on=record.published_on,
        updated_on=_latest(record.updated_on, record.published_on),
        announced_on=record.announced_on,
        abs_url=record.abs_url,
        pdf_url=record.pdf_url,
        code_url=record.code_url,
        project_url=record.project_url,
        title_key=title_key(record.title),
        text_rank=SOURCE_RANK.get(record.source, 0),
    )


def record_text_wins(paper: Paper, record: PaperRecord) -> bool:
    """Does the record's text (title, abstract, authors, categories) replace the stored one?"""
    if record.version is not None and paper.version is not None and record.version != paper.version:
        return record.version > paper.version
    return SOURCE_RANK.get(record.source, 0) >= paper.text_rank


def merge_record(paper: Paper, record: PaperRecord) -> Paper:
    """The paper after `record` is taken into account; `paper` itself is left unchanged."""
    wins = record_text_wins(paper, record)

    def pick(mine, theirs):
        if wins:
            return theirs or mine
        return mine or theirs

    arxiv_id = paper.arxiv_id or record.arxiv_id
    doi = paper.doi or record.doi
    title = pick(paper.title, record.title)
    authors = list(pick(paper.authors, list(record.authors)))
    # A better identifier (arXiv id over DOI over hash) upgrades the key; a hash key never drifts.
    key = paper_key(arxiv_id, doi, title, None) if (arxiv_id or doi) else paper.key
    return replace(
        paper,
        key=key,
        arxiv_id=arxiv_id,
        doi=doi,
        title=title,
        abstract=pick(paper.abstract, record.abstract),
        authors=authors,
        categories=list(pick(paper.categories, list(record.categories))),
        sources=sorted({*paper.sources, record.source}),
        version=_latest(paper.version, record.version),
        # A more trusted source's first-publication date wins (BibTeX often has only a month);
        # among equals the earliest.
        published_on=record.published_on
        if record.published_on and SOURCE_RANK.get(record.source, 0) > paper.text_rank
        else _earliest(paper.published_on, record.published_on),
        updated_on=_latest(_latest(paper.updated_on, record.updated_on), record.published_on),
        announced_on=_earliest(paper.announced_on, record.announced_on),
        abs_url=pick(paper.abs_url, record.abs_url),
        pdf_url=pick(paper.pdf_url, record.pdf_url),
        # Code and project links change over time; the latest report that has one is kept.
        code_url=record.code_url or paper.code_url,
        project_url=record.project_url or paper.project_url,
        title_key=title_key(title),
        text_rank=max(paper.text_rank, SOURCE_RANK.get(record.source, 0)) if wins else paper.text_rank,
    )
