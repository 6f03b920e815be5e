"""Merging what sources say about one paper: which text wins, what accumulates, the key it gets."""

from __future__ import annotations

from datetime import date

import pytest

from factories import make_record
from paperfeed.identity import paper_key, title_key
from paperfeed.merge import merge_record, paper_from_record
from paperfeed.models import SOURCE_RANK


def merged(*records):
    """The paper the records make, merged in order."""
    paper = paper_from_record(records[0])
    for record in records[1:]:
        paper = merge_record(paper, record)
    return paper


ARXIV_V1 = make_record(
    source="arxiv-oai", version=1, title="Attention Is All You Need", abstract="Version one.",
    published_on=date(2017, 6, 12), updated_on=date(2017, 6, 12), announced_on=date(2017, 6, 13),
    abs_url="https://arxiv.org/abs/1706.03762v1", pdf_url="https://arxiv.org/pdf/1706.03762v1",
)
ARXIV_V5 = make_record(
    source="arxiv-api", version=5, title="Attention Is All You Need (v5)", abstract="Version five.",
    authors=("Ashish Vaswani", "Noam Shazeer", "Niki Parmar"), categories=("cs.CL",),
    published_on=date(2017, 6, 12), updated_on=date(2023, 8, 2),
    abs_url="https://arxiv.org/abs/1706.03762v5",
)
HF = make_record(
    source="hf-daily", title="Attention is all you need", abstract="HF summary.",
    announced_on=date(2017, 6, 14), code_url="https://github.com/tensorflow/tensor2tensor",
    project_url="https://tensor2tensor.example",
)
JSONL = make_record(
    source="jsonl", title="attention is all you need", abstract="From a dump.",
    authors=("A. Vaswani",), doi="10.48550/arxiv.1706.03762", pdf_url="https://mirror.example/1706.03762.pdf",
)
DOI_ONLY = make_record(
    source="bibtex", arxiv_id=None, doi="10.5555/3295222.3295349", authors=("Ashish Vaswani",)
)
HASH_ONLY = make_record(source="csv", arxiv_id=None, title="Attention Is All You Need", abstract="")


@pytest.mark.parametrize(
    ("record", "key"),
    [
        (ARXIV_V1, "1706.03762"),
        (JSONL, "1706.03762"),  # an arXiv id beats the DOI it also has
        (DOI_ONLY, "doi:10.5555/3295222.3295349"),
        (HASH_ONLY, paper_key(None, None, "Attention Is All You Need", "Ashish Vaswani")),
    ],
)
def test_paper_from_record_key(record, key):
    paper = paper_from_record(record)
    assert paper.key == key
    assert paper.sources == [record.source]
    assert paper.text_rank == SOURCE_RANK[record.source]
    assert paper.title_key == title_key(record.title)


def test_paper_from_record_updated_on_is_at_least_published_on():
    paper = paper_from_record(make_record(published_on=date(2020, 1, 2), updated_on=None))
    assert (paper.published_on, paper.updated_on) == (date(2020, 1, 2), date(2020, 1, 2))


def test_newer_version_replaces_the_text():
    paper = merged(ARXIV_V1, ARXIV_V5)
    assert (paper.version, paper.title, paper.abstract) == (5, ARXIV_V5.title, "Version five.")
    assert paper.authors == list(ARXIV_V5.authors)
    assert paper.categories == ["cs.CL"]
    assert paper.abs_url == ARXIV_V5.abs_url
    assert paper.pdf_url == ARXIV_V1.pdf_url  # v5 had none: the gap is not emptied


def test_older_version_does_not_replace_the_text():
    paper = merged(ARXIV_V5, ARXIV_V1)
    assert (paper.version, paper.title, paper.abstract) == (5, ARXIV_V5.title, "Version five.")
    assert paper.authors == list(ARXIV_V5.authors)
    assert paper.abs_url == ARXIV_V5.abs_url
    assert paper.pdf_url == ARXIV_V1.pdf_url  # but it fills gaps


def test_lower_ranked_source_only_fills_gaps():
    arxiv = make_record(source="arxiv-oai", version=1, abstract="", doi=None, pdf_url=None)
    paper = merged(arxiv, JSONL)
    assert paper.title == arxiv.title and paper.authors == list(arxiv.authors)
    assert paper.abstract == "From a dump."  # arXiv had none
    assert paper.doi == JSONL.doi
    assert paper.pdf_url == JSONL.pdf_url
    assert paper.text_rank == SOURCE_RANK["arxiv-oai"]


def test_arxiv_record_overwrites_lower_ranked_text():
    paper = merged(JSONL, ARXIV_V1)
    assert (paper.title, paper.abstract) == (ARXIV_V1.title, "Version one.")
    assert paper.authors == list(ARXIV_V1.authors)
    assert paper.doi == JSONL.doi  # kept: the arXiv record had none
    assert paper.text_rank == SOURCE_RANK["arxiv-oai"]
    # and once arXiv's text is in, the dump cannot take it back
    assert merge_record(paper, JSONL).abstract == "Version one."


def test_sources_accumulate_sorted_without_repeats():
    paper = merged(JSONL, HF, ARXIV_V1, JSONL, ARXIV_V5)
    assert paper.sources == ["arxiv-api", "arxiv-oai", "hf-daily", "jsonl"]


def test_dates_keep_earliest_published_latest_updated_earliest_announced():
    early = make_record(source="arxiv-oai", published_on=date(2017, 6, 12),
                        updated_on=date(2017, 6, 12), announced_on=date(2017, 6, 14))
    late = make_record(source="hf-daily", published_on=date(2017, 7, 1),
                       updated_on=date(2023, 8, 2), announced_on=date(2017, 6, 13))
    for paper in (merged(early, late), merged(late, early)):
        assert paper.published_on == date(2017, 6, 12)
        assert paper.updated_on == date(2023, 8, 2)
        assert paper.announced_on == date(2017, 6, 13)


def test_a_later_published_on_counts_as_an_update():
    paper = merged(
        make_record(published_on=date(2017, 6, 12)), make_record(published_on=date(2018, 1, 1))
    )
    assert (paper.published_on, paper.updated_on) == (date(2017, 6, 12), date(2018, 1, 1))


def test_code_and_project_urls_survive_a_record_without_them():
    paper = merged(HF, ARXIV_V5)
    assert paper.code_url == HF.code_url and paper.project_url == HF.project_url
    newer = make_record(source="hf-daily", code_url="https://github.com/new/home")
    # the latest report that has a link wins
    assert merge_record(paper, newer).code_url == "https://github.com/new/home"


@pytest.mark.parametrize(
    "records",
    [
        (ARXIV_V1,),
        (ARXIV_V5, ARXIV_V1),
        (ARXIV_V1, ARXIV_V5),
        (HF,),
        (ARXIV_V1, HF),
        (JSONL,),
        (JSONL, ARXIV_V1),
        (ARXIV_V1, JSONL),
        (DOI_ONLY,),
        (HASH_ONLY,),
        (HASH_ONLY, DOI_ONLY),
        (HASH_ONLY, ARXIV_V5, HF, JSONL),
    ],
    ids=lambda records: "+".join(r.source for r in records),
)
def test_merging_the_same_record_twice_equals_merging_it_once(records):
    paper = merged(*records)
    for record in (*records, ARXIV_V1, ARXIV_V5, HF, JSONL, DOI_ONLY, HASH_ONLY):
        once = merge_record(paper, record)
        assert merge_record(once, record) == once


def test_merging_leaves_the_input_paper_alone():
    paper = paper_from_record(JSONL)
    before = (paper.title, list(paper.sources), paper.key)
    merge_record(paper, ARXIV_V5)
    assert (paper.title, paper.sources, paper.key) == before


def test_doi_keyed_paper_takes_the_arxiv_id_as_key():
    paper = paper_from_record(DOI_ONLY)
    assert paper.key == "doi:10.5555/3295222.3295349"
    paper = merge_record(paper, make_record(source="arxiv-oai", doi=None))
    assert (paper.key, paper.arxiv_id, paper.doi) == ("1706.03762", "1706.03762", DOI_ONLY.doi)


def test_hash_keyed_paper_takes_a_doi_then_an_arxiv_id_as_key():
    paper = paper_from_record(HASH_ONLY)
    paper = merge_record(paper, make_record(source="bibtex", arxiv_id=None, doi="10.1000/x"))
    assert paper.key == "doi:10.1000/x"
    assert merge_record(paper, ARXIV_V1).key == "1706.03762"


def test_hash_key_never_drifts_with_the_text():
    paper = paper_from_record(HASH_ONLY)
    key = paper.key
    for record in (
        make_record(source="hf-daily", arxiv_id=None, title="Attention Is All You Need!",
                    authors=()),
        make_record(source="arxiv-oai", arxiv_id=None, title="A Different Title Now",
                    authors=("X Y",)),
    ):
        paper = merge_record(paper, record)
        assert paper.key == key
    # the text did change (each source outranks the last), the key did not
    assert (paper.title, paper.authors) == ("A Different Title Now", ["X Y"])
    assert paper.title_key == title_key("A Different Title Now")
