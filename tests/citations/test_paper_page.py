"""A paper page as reference managers read it, through the real app: its BibTeX at /papers/{id}.bib (parsed
back with bibtexparser) and the Highwire citation_* meta tags in its head (parsed with lxml), escaped."""

from __future__ import annotations

from datetime import date

import bibtexparser
import lxml.html
import pytest

from factories import store_paper
from web_client import build_app, visit

BASE_URL = "https://papers.example.org"
LIEREX = {
    "arxiv_id": "2602.01930", "version": 2,
    "title": "LIEREx: Language-Image Embeddings for Robotic Exploration",
    "authors": ("Felix Igelbrink", "Lennart Niecksch", "Martin Günther", "Michel Van den Bergh"),
    "categories": ("cs.RO", "cs.CV"), "published_on": date(2026, 2, 2), "announced_on": date(2026, 2, 4),
    "updated_on": date(2026, 3, 1), "doi": "10.48550/arxiv.2602.01930",
    "abs_url": "https://arxiv.org/abs/2602.01930", "pdf_url": "https://arxiv.org/pdf/2602.01930v2",
}


@pytest.fixture
def visitor(engine, tmp_path):
    with visit(build_app(engine, tmp_path, base_url=BASE_URL)) as visitor:
        yield visitor


def meta_tags(html: str) -> list[tuple[str, str]]:
    head = lxml.html.fromstring(html).find("head")
    return [(meta.get("name"), meta.get("content")) for meta in head.iter("meta") if meta.get("name", "")
            .startswith("citation_")]


def test_the_bib_route_serves_the_papers_bibtex(engine, visitor):
    store_paper(engine, **LIEREX)

    response = visitor.client.get("/papers/2602.01930.bib")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    library = bibtexparser.parse_string(response.text)
    assert library.failed_blocks == []
    (entry,) = library.entries
    assert (entry.entry_type, entry.key) == ("misc", "igelbrink2026lierex")
    assert {name: entry[name] for name in ("eprint", "archivePrefix", "primaryClass", "doi", "year", "month")} == {
        "eprint": "2602.01930", "archivePrefix": "arXiv", "primaryClass": "cs.RO",
        "doi": "10.48550/arxiv.2602.01930", "year": "2026", "month": "feb"}
    assert entry["author"] == "Igelbrink, Felix and Niecksch, Lennart and Günther, Martin and Van den Bergh, Michel"


def test_the_bib_route_finds_a_paper_by_versioned_id_or_doi_key_and_refuses_an_unknown_one(engine, visitor):
    store_paper(engine, **LIEREX)
    store_paper(engine, arxiv_id=None, doi="10.1038/s41586-021-03819-2", authors=("John Jumper",),
                title="Highly accurate protein structure prediction with AlphaFold", published_on=date(2021, 7, 15))

    versioned = visitor.client.get("/papers/2602.01930v2.bib")
    by_doi = visitor.client.get("/papers/doi:10.1038/s41586-021-03819-2.bib")
    unknown = visitor.client.get("/papers/2602.99999.bib")

    assert bibtexparser.parse_string(versioned.text).entries[0]["eprint"] == "2602.01930"
    (entry,) = bibtexparser.parse_string(by_doi.text).entries
    assert (entry.key, entry["doi"]) == ("jumper2021highly", "10.1038/s41586-021-03819-2")
    assert unknown.status_code == 404


def test_the_paper_page_carries_highwire_tags_and_links_its_bibtex(engine, visitor):
    store_paper(engine, **LIEREX)

    page = visitor.client.get("/papers/2602.01930")

    assert page.status_code == 200
    assert meta_tags(page.text) == [
        ("citation_title", "LIEREx: Language-Image Embeddings for Robotic Exploration"),
        ("citation_author", "Igelbrink, Felix"),
        ("citation_author", "Niecksch, Lennart"),
        ("citation_author", "Günther, Martin"),
        ("citation_author", "Van den Bergh, Michel"),
        ("citation_publication_date", "2026/02/04"),  # the paper's day: when arXiv announced it
        ("citation_online_date", "2026/02/02"),  # when its first version went online
        ("citation_arxiv_id", "2602.01930"),
        ("citation_pdf_url", "https://arxiv.org/pdf/2602.01930v2"),
        ("citation_doi", "10.48550/arxiv.2602.01930"),
        ("citation_abstract_html_url", f"{BASE_URL}/papers/2602.01930"),
    ]
    document = lxml.html.fromstring(page.text)
    (link,) = document.xpath('//*[@class="paper-cite"]/a[text()="BibTeX"]')
    assert link.get("href") == "/papers/2602.01930.bib"
    assert document.xpath('//link[@type="application/x-bibtex"]/@href') == ["/papers/2602.01930.bib"]
    assert visitor.client.get(link.get("href")).status_code == 200


def test_meta_tags_escape_what_the_stored_text_holds(engine, visitor):
    title = '"><script>alert(1)</script> Tags & "quotes" <b>stay</b> text'
    author = 'Eve "><img src=x onerror=alert(1)> <b>Smith</b>'
    store_paper(engine, arxiv_id="2604.02585", title=title, authors=(author,), pdf_url="javascript:alert(1)",
                announced_on=date(2026, 4, 6))

    page = visitor.client.get("/papers/2604.02585")

    tags = dict(meta_tags(page.text))
    assert tags["citation_title"] == title
    assert tags["citation_author"] == '<b>Smith</b>, Eve "><img src=x onerror=alert(1)>'
    assert "citation_pdf_url" not in tags  # only an http(s) link is named
    head = lxml.html.fromstring(page.text).find("head")
    assert head.findall(".//script") == [] and head.findall(".//img") == []


def test_a_paper_without_a_day_or_arxiv_id_has_only_the_tags_it_can_fill(engine, visitor):
    store_paper(engine, arxiv_id=None, doi="10.1038/s41586-021-03819-2", authors=("ATLAS Collaboration",),
                title="Highly accurate protein structure prediction with AlphaFold", pdf_url=None)

    page = visitor.client.get("/papers/doi:10.1038/s41586-021-03819-2")

    assert meta_tags(page.text) == [
        ("citation_title", "Highly accurate protein structure prediction with AlphaFold"),
        ("citation_author", "ATLAS Collaboration"),
        ("citation_doi", "10.1038/s41586-021-03819-2"),
        ("citation_abstract_html_url", f"{BASE_URL}/papers/doi:10.1038/s41586-021-03819-2"),
    ]
