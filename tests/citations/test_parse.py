"""Reading citation files: small exports written the way Zotero, Google Scholar, arXiv, Better BibTeX and a
reader's notes write them (tests/data/citations, papers of the arXiv sample), broken entries reported with
their lines while the good ones are kept, odd encodings, and the size limit."""

from __future__ import annotations

import codecs
import json

import pytest

from paperfeed.citations import (
    MAX_IMPORT_BYTES,
    CitationProblem,
    CitedWork,
    check_import_size,
    parse_citations,
    work_keys,
)
from paperfeed.errors import InvalidInput

CITATIONS = "citations"


def parse_file(test_data, name: str, **kwargs):
    return parse_citations((test_data / CITATIONS / name).read_bytes(), filename=name, **kwargs)


def ids(result) -> list[tuple[str | None, str | None]]:
    return [(work.arxiv_id, work.doi) for work in result.works]


def problems(result) -> list[tuple[int | None, str | None]]:
    return [(problem.line, problem.key) for problem in result.problems]


# --- BibTeX -------------------------------------------------------------------------------------------------

def test_a_zotero_bibtex_library_names_every_paper_wherever_its_exporter_put_the_id(test_data):
    result = parse_file(test_data, "zotero.bib")

    assert result.format == "bibtex" and result.problems == []
    assert ids(result) == [
        ("1906.00306", "10.48550/arxiv.1906.00306"),  # Zotero: arXiv's DOI, the URL and "arXiv:..." in note
        ("1912.01689", None),  # Zotero's older style: journal = {arXiv:1912.01689 [math]}
        ("2204.01212", None),  # Google Scholar: journal = {arXiv preprint arXiv:2204.01212}
        ("2211.03354", None),  # arXiv's own: eprint with its version, archivePrefix, primaryClass
        ("2010.00849", None),  # Better BibTeX / biblatex: eprinttype = {arXiv}
        (None, "10.1038/s41586-021-03819-2"),  # a journal article, known by its DOI alone
    ]
    assert [work.line for work in result.works] == [2, 16, 27, 34, 44, 54]
    assert [work.year for work in result.works] == [2019, 2019, 2022, 2022, 2020, 2021]


def test_bibtex_latex_and_name_forms_become_the_text_paperfeed_stores(test_data):
    works = {work.arxiv_id or work.doi: work for work in parse_file(test_data, "zotero.bib").works}

    soft_robots = works["1906.00306"]
    assert soft_robots.title == "Programming Soft Robots with Flexible Mechanical Metamaterials"  # {Soft} unbraced
    assert soft_robots.authors == ("Ahmad Rafsanjani", "Katia Bertoldi", "André R. Studart")  # Andr{\'e}
    assert works["1912.01689"].authors == ("Špela Špenko", "Michel Van den Bergh")  # {\v S}, a particle
    assert works["2010.00849"].authors == ("Gerald Höhn", "Sven Möller")
    # Better BibTeX doubles the protective braces; math stays verbatim for KaTeX.
    assert works["2010.00849"].title == ("Systematic Orbifold Constructions of Schellekens' Vertex Operator "
                                         "Algebras from Niemeier Lattices")
    assert works["2204.01212"].title == r"The local Gross-Prasad conjecture over $\mathbb{R}$: Epsilon dichotomy"
    assert works["2211.03354"].authors == ("Severin Barmeier", "Zhengfang Wang")  # "First Last and ..."


def test_broken_bibtex_entries_are_reported_at_their_lines_and_the_good_ones_kept(test_data):
    result = parse_file(test_data, "broken.bib")

    assert ids(result) == [("2602.01930", None), ("2604.02585", None), ("2507.10349", None)]
    assert [work.line for work in result.works] == [3, 18, 47]
    assert problems(result) == [
        (12, "unclosed2026"), (26, "nocomma2026"), (30, "twotitles2026"), (36, "onlyauthor2026"),
        (41, "badeprint2026"),
    ]
    messages = [problem.message for problem in result.problems]
    assert messages[0].startswith("unparsable BibTeX: Unexpected block start")
    assert "Expected comma after entry key" in messages[1]
    assert messages[2] == "the field title appears twice"
    assert messages[3] == "no arXiv id, DOI or title"
    assert "'hal-01234567' is not an arXiv id" in messages[4]


@pytest.mark.parametrize(("fields", "arxiv_id", "doi"), [
    ("eprint = {2006.11239}", "2006.11239", None),  # a bare eprint that is plainly arXiv's
    ("eprint = {arXiv:hep-th/9711200v3}", "hep-th/9711200", None),
    ("eprint = {2006.11239}, archivePrefix = {HAL}", None, None),  # another archive's number
    ("arxivid = {2006.11239}", "2006.11239", None),  # Mendeley
    ("journal = {arXiv e-prints}, eprint = {2006.11239}", "2006.11239", None),  # ADS
    ("howpublished = {\\url{https://arxiv.org/abs/2006.11239v2}}", "2006.11239", None),
    ("url = {https://arxiv.org/pdf/2006.11239v1.pdf}", "2006.11239", None),
    ("number = {arXiv:2006.11239}, publisher = {arXiv}", "2006.11239", None),  # Zotero 7
    ("doi = {10.48550/ARXIV.2006.11239}", "2006.11239", "10.48550/arxiv.2006.11239"),  # arXiv's own DOI
    ("url = {https://doi.org/10.1145/3442188.3445922}", None, "10.1145/3442188.3445922"),
    ("pages = {2006.1123--2006.1130}, volume = {2006.11239}", None, None),  # numbers, not ids
    ("url = {https://link.example/10.1145/3442188.3445922}", None, None),  # a publisher's URL is not read
])
def test_bibtex_ids_are_found_where_exporters_put_them_and_nowhere_else(fields, arxiv_id, doi):
    result = parse_citations(f"@misc{{one, title = {{A title}}, {fields}}}".encode(), format="bibtex")
    assert ids(result) == [(arxiv_id, doi)]


# --- RIS ----------------------------------------------------------------------------------------------------

def test_a_zotero_ris_export_names_its_papers_by_do_ur_t2_and_n1_lines(test_data):
    result = parse_file(test_data, "zotero.ris")

    assert result.format == "ris" and result.problems == []
    assert ids(result) == [
        ("2602.01930", "10.48550/arxiv.2602.01930"),  # DO holds arXiv's DOI
        ("2602.23493", None),  # UR alone, with a version
        (None, "10.1038/s41586-021-03819-2"),  # a journal article: DO
        ("2507.10349", None),  # N1 - arXiv:2507.10349 [cs]
    ]
    assert [work.line for work in result.works] == [1, 21, 34, 52]
    lierex = result.works[0]
    assert lierex.title == "LIEREx: Language-Image Embeddings for Robotic Exploration"
    assert lierex.authors == ("Felix Igelbrink", "Lennart Niecksch", "Marian Renz", "Martin Günther",
                              "Martin Atzmueller")
    assert [work.year for work in result.works] == [2026, 2026, 2021, 2025]


def test_broken_ris_records_are_reported_at_their_lines_and_the_good_ones_kept(test_data):
    result = parse_file(test_data, "broken.ris")

    # The last record is cut off before its ER: what it has is still read.
    assert ids(result) == [("2604.02585", None), ("1906.00306", "10.48550/arxiv.1906.00306")]
    assert [work.line for work in result.works] == [2, 19]
    assert problems(result) == [(1, None), (10, None), (15, None)]
    assert "outside any record" in result.problems[0].message
    assert result.problems[1].message == "no arXiv id, DOI or title"
    assert "'TI  - A record whose TY line was lost'" in result.problems[2].message


# --- CSL-JSON -----------------------------------------------------------------------------------------------

def test_a_zotero_csl_json_export_names_its_papers_by_doi_number_url_and_archive(test_data):
    result = parse_file(test_data, "zotero.json")

    assert result.format == "csl-json" and result.problems == []
    assert ids(result) == [
        ("2604.02585", "10.48550/arxiv.2604.02585"),
        ("1912.01689", None),  # container-title "arXiv:1912.01689 [math]" and the URL
        ("2507.10349", None),  # archive "arXiv", archive_location "2507.10349"
        (None, "10.1038/s41586-021-03819-2"),
    ]
    assert [work.line for work in result.works] == [2, 42, 69, 95]
    assert result.works[1].authors == ("Špela Špenko", "Michel Van den Bergh")  # non-dropping-particle
    assert [work.year for work in result.works] == [2026, 2019, 2025, 2021]  # "2026" in date-parts


def test_broken_csl_json_items_are_reported_with_index_and_line_and_the_good_ones_kept(test_data):
    result = parse_file(test_data, "broken.json")

    assert ids(result) == [("2604.02585", None), ("2204.01212", None), ("2211.03354", "10.48550/arxiv.2211.03354")]
    assert [work.line for work in result.works] == [2, 15, 43]
    assert problems(result) == [(9, "missing-comma"), (27, None), (28, "empty"), (38, "unclosed")]
    messages = [problem.message for problem in result.problems]
    assert messages[0] == "item 2: invalid JSON at line 13, column 3: Expecting ',' delimiter"
    assert messages[1] == "item 4: not a CSL item but a JSON str"
    assert messages[2] == "item 5: no arXiv id, DOI or title"
    assert messages[3].startswith("item 6: invalid JSON at line 43")


def test_csl_json_on_one_line_keeps_the_items_before_a_syntax_error():
    items = [{"id": "a", "type": "article", "title": "T", "URL": "https://arxiv.org/abs/2604.02585"},
             {"id": "b", "type": "article", "title": "U", "URL": "https://arxiv.org/abs/2602.01930"}]
    text = json.dumps(items)[:-3]  # cut off inside the last item

    result = parse_citations(text.encode(), filename="export.json")

    assert ids(result) == [("2604.02585", None)]
    assert [(p.line, p.key) for p in result.problems] == [(1, "b")]


def test_a_lone_csl_item_as_doi_org_answers_is_read_too():
    item = {"type": "article-journal", "title": "Highly accurate protein structure prediction with AlphaFold",
            "DOI": "10.1038/S41586-021-03819-2", "author": [{"family": "Jumper", "given": "John"}],
            "issued": {"date-parts": [[2021, 7, 15]]}}
    result = parse_citations(json.dumps(item).encode())
    assert result.format == "csl-json"
    assert result.works == [CitedWork(None, "10.1038/s41586-021-03819-2", item["title"], ("John Jumper",), 2021, 1)]


# --- id lists -----------------------------------------------------------------------------------------------

def test_a_plain_list_of_ids_dois_and_links(test_data):
    result = parse_file(test_data, "ids.txt")

    assert result.format == "ids"
    assert [(work.line, work.arxiv_id, work.doi) for work in result.works] == [
        (2, "1906.00306", None),
        (3, "1912.01689", None),
        (4, "2010.00849", None),
        (5, "2204.01212", None),
        (7, "2211.03354", "10.48550/arxiv.2211.03354"),
        (8, None, "10.1038/s41586-021-03819-2"),
        (9, None, "10.1038/s41586-021-03819-2"),
        (11, "hep-th/9901001", None),
        (12, "2602.01930", None),
    ]
    assert result.problems == [CitationProblem(10, None, "not an arXiv id or DOI: 'Attention is all you need'")]


# --- formats, encodings, size -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "filename", "expected"), [
    ("zotero.bib", "library.txt", "bibtex"),  # a .txt name is no hint: the content decides
    ("zotero.ris", None, "ris"),
    ("zotero.json", "export", "csl-json"),
    ("ids.txt", None, "ids"),
    ("zotero.ris", "library.RIS", "ris"),
])
def test_the_format_comes_from_the_name_or_else_the_content(test_data, name, filename, expected):
    data = (test_data / CITATIONS / name).read_bytes()
    assert parse_citations(data, filename=filename).format == expected


def test_an_explicit_format_wins_and_an_unknown_one_is_refused(test_data):
    data = (test_data / CITATIONS / "ids.txt").read_bytes()
    assert parse_citations(data, filename="refs.bib", format="ids").format == "ids"
    with pytest.raises(InvalidInput, match="unknown citation format 'endnote'; expected one of bibtex, ris"):
        parse_citations(data, format="endnote")


def test_a_file_over_the_limit_is_refused_naming_the_limit():
    line = b"2104.12255\n"
    big = line * (int(7.2 * 1024 * 1024) // len(line))
    with pytest.raises(InvalidInput) as refused:
        parse_citations(big, filename="ids.txt")
    assert str(refused.value) == "import files are limited to 5 MB; this one is 7.2 MB"
    # One byte over is refused too, and not shown as "5.0 MB".
    with pytest.raises(InvalidInput, match="this one is 5.1 MB"):
        parse_citations(b" " * (MAX_IMPORT_BYTES + 1))


def test_an_upload_known_to_be_too_big_is_refused_before_it_is_read():
    check_import_size(MAX_IMPORT_BYTES)
    with pytest.raises(InvalidInput, match="limited to 5 MB; this one is 7.2 MB"):
        check_import_size(int(7.2 * 1024 * 1024))


def test_a_file_at_the_limit_is_read():
    line = b"2104.12255\n"
    data = line * (MAX_IMPORT_BYTES // len(line))
    assert len(parse_citations(data).works) == MAX_IMPORT_BYTES // len(line)


def test_latin1_bibtex_from_an_old_exporter_is_read_not_refused():
    bib = ("@article{hohn2020,\n  title = {Systematic Orbifold Constructions of Schellekens' Vertex Operator Algebras "
           "from Niemeier Lattices},\n  author = {Höhn, Gerald and Möller, Sven},\n  eprint = {2010.00849},\n}\n")
    result = parse_citations(bib.encode("latin-1"), filename="old.bib")

    assert result.problems == []
    assert result.works[0].authors == ("Gerald Höhn", "Sven Möller")


@pytest.mark.parametrize("encode", [
    lambda text: codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8"),  # Windows: BOM and CRLF
    lambda text: text.encode("utf-16"),  # EndNote on Windows: UTF-16 with its BOM
])
def test_ris_with_a_byte_order_mark_reads_as_the_same_records(test_data, encode):
    text = (test_data / CITATIONS / "zotero.ris").read_text(encoding="utf-8")
    plain = parse_citations(text.encode(), filename="zotero.ris")

    marked = parse_citations(encode(text), filename="zotero.ris")

    assert marked.works == plain.works and marked.problems == []
    assert marked.works[0].title.startswith("LIEREx")  # no BOM left in front of the first tag


def test_latex_in_titles_and_names_is_turned_into_text_and_math_kept():
    bib = (r"@misc{x, title = {{\"U}ber die {G}r{\"o}{\ss}e: \emph{fast} proofs of $\mathcal{O}(n^2)$ bounds}, "
           r"author = {Schr{\"o}dinger, Erwin and {\L}ukasiewicz, Jan and {ATLAS Collaboration} and others}, "
           r"eprint = {2104.12255}}")
    (work,) = parse_citations(bib.encode(), format="bibtex").works

    assert work.title == r"Über die Größe: fast proofs of $\mathcal{O}(n^2)$ bounds"
    assert work.authors == ("Erwin Schrödinger", "Jan Łukasiewicz", "ATLAS Collaboration")  # "others" is et al.


def test_work_keys_are_what_get_paper_finds_a_paper_by():
    assert work_keys(CitedWork("2104.12255", "10.1000/x", "T", (), None, 1)) == ["2104.12255", "10.1000/x"]
    assert work_keys(CitedWork(None, "10.1000/x", None, (), None, 1)) == ["10.1000/x"]
    assert work_keys(CitedWork(None, None, "Title only", (), None, 1)) == []
