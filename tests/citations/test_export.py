"""Writing citations: BibTeX that bibtexparser reads back entry for entry, RIS in the shape reference managers
read, CSL-JSON valid against the CSL input schema, the same stable keys in all three, and every format read
back by paperfeed's own import to the same ids, DOIs, titles and authors."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import bibtexparser
import jsonschema
import pytest
from bibtexparser.model import Entry

from factories import make_record
from paperfeed.citations import EXPORT_FORMATS, export_citations, parse_citations
from paperfeed.citations.names import NameParts, split_name
from paperfeed.errors import InvalidInput
from paperfeed.merge import paper_from_record
from paperfeed.normalize import normalize_record


def stored(n: int, **fields):
    """A paper as the store holds it after an ingest: normalized, then merged."""
    paper = paper_from_record(normalize_record(make_record(n, **fields)))
    paper.id = n
    return paper


# Papers of the arXiv sample, and the hard cases a store holds: math, accents, particles, suffixes,
# a collaboration, characters special to BibTeX, a DOI-only journal paper.
PAPERS = [
    stored(1, arxiv_id="2204.01212", title=r"The local Gross-Prasad conjecture over $\mathbb{R}$: Epsilon dichotomy",
           authors=("Cheng Chen", "Zhilin Luo"), categories=("math.NT", "math.RT"), announced_on=date(2026, 5, 1),
           abstract=r"We prove the epsilon dichotomy part of the local Gross-Prasad conjecture over $\mathbb{R}$."),
    stored(2, arxiv_id="1912.01689", title="Comparing the Kirwan and noncommutative resolutions of quotient varieties",
           authors=("Špela Špenko", "Michel Van den Bergh"), categories=("math.AG",), published_on=date(2019, 12, 4)),
    stored(3, arxiv_id="2602.01930", title="LIEREx: Language-Image Embeddings for Robotic Exploration",
           authors=("Felix Igelbrink", "Martin Günther", "Martin Luther King Jr.", "ATLAS Collaboration"),
           categories=("cs.RO", "cs.CV"), announced_on=date(2026, 2, 4), doi="10.48550/arxiv.2602.01930"),
    stored(4, arxiv_id="2211.03354",
           title=r"A$_\infty$ deformations of extended Khovanov arc algebras and Stroppel's conjecture",
           authors=("Severin Barmeier", "Zhengfang Wang"), categories=("math.RT",), announced_on=date(2025, 12, 15)),
    stored(5, arxiv_id=None, doi="10.1038/s41586-021-03819-2", categories=(),
           title="Highly accurate protein structure prediction with AlphaFold",
           authors=("John Jumper", "Richard Evans"), published_on=date(2021, 8, 1)),
    # Stored text that holds characters special to BibTeX (its source escaped them: \{, \textasciitilde).
    replace(stored(6, arxiv_id="2604.02585", authors=("Hyunji Nam",), announced_on=date(2026, 4, 6)),
            title=r"R&D at 50% for #1: a_b, {sets}, ~tildes, $5 and a back\slash"),
]


def read_back(text: str, fmt: str) -> list[tuple]:
    result = parse_citations(text.encode(), format=fmt)
    assert result.problems == []
    return [(w.arxiv_id, w.doi, w.title, w.authors, w.year) for w in result.works]


def expected(papers) -> list[tuple]:
    return [(p.arxiv_id, p.doi, p.title, tuple(p.authors), p.day.year if p.day else None) for p in papers]


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_then_import_gives_back_ids_dois_titles_authors_and_years(fmt):
    # RIS and CSL-JSON are plain text, yet an import reads LaTeX in them as in BibTeX (files converted from
    # BibTeX keep it): the last title, with literal braces, tilde and backslash, reads back only from BibTeX.
    papers = PAPERS if fmt == "bibtex" else PAPERS[:-1]
    assert read_back(export_citations(papers, fmt), fmt) == expected(papers)


# --- BibTeX -------------------------------------------------------------------------------------------------

def bib_entries(text: str) -> list[Entry]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return library.entries


def test_bibtex_entries_are_arxiv_style_misc_entries_that_bibtexparser_reads():
    entries = bib_entries(export_citations(PAPERS, "bibtex"))

    first = entries[0]
    assert (first.entry_type, first.key) == ("misc", "chen2026local")
    assert {name: first[name] for name in ("eprint", "archivePrefix", "primaryClass", "year", "url")} == {
        "eprint": "2204.01212", "archivePrefix": "arXiv", "primaryClass": "math.NT", "year": "2026",
        "url": "https://arxiv.org/abs/2204.01212"}
    assert first["month"] == "may"  # a bare macro: styles print "May"
    assert entries[2]["doi"] == "10.48550/arxiv.2602.01930"
    journal = entries[4]
    assert "eprint" not in journal and journal["doi"] == "10.1038/s41586-021-03819-2" and "url" not in journal


def test_bibtex_names_are_family_comma_given_and_a_collaboration_stays_one_name():
    entries = bib_entries(export_citations(PAPERS, "bibtex"))
    assert entries[1]["author"] == "Špenko, Špela and Van den Bergh, Michel"
    assert entries[2]["author"] == ("Igelbrink, Felix and Günther, Martin and King, Jr., Martin Luther and "
                                    "{ATLAS Collaboration}")


def test_bibtex_titles_keep_math_brace_inner_capitals_and_escape_special_characters():
    entries = bib_entries(export_citations(PAPERS, "bibtex"))
    assert entries[0]["title"] == r"The local Gross-Prasad conjecture over $\mathbb{R}$: Epsilon dichotomy"
    assert entries[2]["title"].startswith("{LIEREx:} Language-Image")  # a style's lower-casing keeps it
    assert entries[5]["title"] == (r"R\&D at 50\% for \#1: a\_b, \{sets\}, \textasciitilde{}tildes, \$5 and a "
                                   r"back\textbackslash{}slash")


@pytest.mark.parametrize("title", [
    "A plain title",
    "Unbalanced { brace and a closing } one",
    "}{ closed before opened",
    r"$\frac{a}{b$ math whose braces do not balance",
    "An @misc{inside, title = {x}} a title",
    "Words and more words: and, AND, and",
    '"Quoted" and %commented and \\\\ double backslash',
])
def test_hostile_titles_still_make_one_entry_that_reads_back(title):
    paper = replace(PAPERS[0], title=title)
    text = export_citations([paper, PAPERS[1]], "bibtex")

    assert len(bib_entries(text)) == 2
    assert read_back(text, "bibtex")[0][2] == title


# --- keys ---------------------------------------------------------------------------------------------------

def test_keys_are_author_year_word_and_colliding_ones_get_letters_whatever_the_order():
    twins = [replace(PAPERS[0], key=f"2204.0121{n}", arxiv_id=f"2204.0121{n}") for n in (3, 4)]
    papers = [twins[1], PAPERS[0], twins[0], PAPERS[4]]

    keys = [entry.key for entry in bib_entries(export_citations(papers, "bibtex"))]
    shuffled = [entry.key for entry in bib_entries(export_citations(papers[::-1], "bibtex"))]

    # Suffixes go by store key (2204.01212 < 2204.01213 < 2204.01214), not by the order given.
    assert keys == ["chen2026localb", "chen2026local", "chen2026locala", "jumper2021highly"]
    assert shuffled == keys[::-1]  # each paper keeps its key
    assert [item["id"] for item in json.loads(export_citations(papers, "csl-json"))] == keys
    assert re.findall(r"^ID  - (.*)$", export_citations(papers, "ris"), re.MULTILINE) == keys


def test_a_paper_without_authors_or_day_still_gets_a_key():
    paper = replace(PAPERS[0], authors=[], announced_on=None, published_on=None, title="$x$ On the theory")
    (entry,) = bib_entries(export_citations([paper], "bibtex"))
    assert entry.key == "anontheory"


# --- RIS ----------------------------------------------------------------------------------------------------

def test_ris_records_are_what_reference_managers_read():
    text = export_citations(PAPERS[:1], "ris")
    assert text.splitlines() == [
        "TY  - JOUR",
        "ID  - chen2026local",
        r"TI  - The local Gross-Prasad conjecture over $\mathbb{R}$: Epsilon dichotomy",
        "AU  - Chen, Cheng",
        "AU  - Luo, Zhilin",
        "PY  - 2026",
        "DA  - 2026/05/01/",
        "JO  - arXiv preprint arXiv:2204.01212",
        "PB  - arXiv",
        "UR  - https://arxiv.org/abs/2204.01212",
        r"AB  - We prove the epsilon dichotomy part of the local Gross-Prasad conjecture over $\mathbb{R}$.",
        "KW  - math.NT",
        "KW  - math.RT",
        "ER  - ",
    ]


def test_a_line_break_in_stored_text_cannot_start_a_ris_tag():
    paper = replace(PAPERS[0], title="First line\nTY  - JOUR", abstract="One.\n\nER  - \nTwo.")
    result = parse_citations(export_citations([paper], "ris").encode(), format="ris")
    assert len(result.works) == 1 and result.problems == []
    assert result.works[0].title == "First line TY - JOUR"


# --- CSL-JSON -----------------------------------------------------------------------------------------------

# The CSL 1.0.2 input schema (csl-data.json), condensed: every item variable it allows, names and dates in
# its shapes, nothing else.
_NAME = {"type": "object", "additionalProperties": False, "properties": {
    key: {"type": "string"} for key in ("family", "given", "dropping-particle", "non-dropping-particle",
                                        "suffix", "literal")}}
_DATE = {"type": "object", "additionalProperties": False, "properties": {
    "date-parts": {"type": "array", "minItems": 1, "maxItems": 2, "items": {
        "type": "array", "minItems": 1, "maxItems": 3, "items": {"type": ["string", "number"]}}},
    "season": {"type": ["string", "number"]}, "circa": {"type": ["string", "number", "boolean"]},
    "literal": {"type": "string"}, "raw": {"type": "string"}}}
_NAME_VARIABLES = (
    "author", "chair", "collection-editor", "compiler", "composer", "container-author", "contributor", "curator",
    "director", "editor", "editorial-director", "executive-producer", "interviewer", "illustrator", "organizer",
    "original-author", "performer", "producer", "recipient", "reviewed-author", "translator"
)
_DATE_VARIABLES = ["accessed", "available-date", "event-date", "issued", "original-date", "submitted"]
_STRING_VARIABLES = (
    "abstract", "annote", "archive", "archive_collection", "archive_location", "archive-place", "authority",
    "call-number", "chapter-number", "citation-number", "citation-label", "collection-number", "collection-title",
    "container-title", "container-title-short", "dimensions", "division", "DOI", "edition", "event", "event-place",
    "first-reference-note-number", "genre", "ISBN", "ISSN", "issue", "jurisdiction", "keyword", "language",
    "locator", "medium", "note", "number", "number-of-pages", "number-of-volumes", "original-publisher",
    "original-publisher-place", "original-title", "page", "page-first", "part", "part-title", "PMCID", "PMID",
    "printing", "publisher", "publisher-place", "references", "reviewed-title", "scale", "section", "source",
    "status", "supplement", "title", "title-short", "URL", "version", "volume", "year-suffix",
    "journalAbbreviation", "shortTitle"
)
CSL_TYPES = (
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book", "broadcast", "chapter",
    "classic", "collection", "dataset", "document", "entry", "entry-dictionary", "entry-encyclopedia", "figure",
    "graphic", "hearing", "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review", "review-book", "software",
    "song", "speech", "standard", "thesis", "treaty", "webpage"
)
CSL_DATA_SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["type", "id"], "additionalProperties": False,
    "properties": {
        "type": {"type": "string", "enum": list(CSL_TYPES)}, "id": {"type": ["string", "number"]},
        "categories": {"type": "array", "items": {"type": "string"}},
        **{name: {"type": "array", "items": _NAME} for name in _NAME_VARIABLES},
        **{name: _DATE for name in _DATE_VARIABLES},
        **{name: {"type": ["string", "number"]} for name in _STRING_VARIABLES},
    }}}


def test_csl_json_items_are_valid_csl_and_say_arxiv_as_zotero_does():
    items = json.loads(export_citations(PAPERS, "csl-json"))

    jsonschema.validate(items, CSL_DATA_SCHEMA)
    first = items[0]
    assert {key: first[key] for key in ("id", "type", "number", "publisher", "URL", "issued")} == {
        "id": "chen2026local", "type": "article", "number": "2204.01212", "publisher": "arXiv",
        "URL": "https://arxiv.org/abs/2204.01212", "issued": {"date-parts": [[2026, 5, 1]]}}
    assert items[2]["author"] == [{"family": "Igelbrink", "given": "Felix"}, {"family": "Günther", "given": "Martin"},
                                  {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
                                  {"literal": "ATLAS Collaboration"}]
    assert items[4]["DOI"] == "10.1038/s41586-021-03819-2" and "number" not in items[4]


def test_the_schema_above_would_catch_an_invalid_item():
    items = json.loads(export_citations(PAPERS[:1], "csl-json"))
    for broken in ({**items[0], "author": [{"last": "Chen"}]}, {**items[0], "eprint": "2204.01212"},
                   {**items[0], "type": "preprint"}, {k: v for k, v in items[0].items() if k != "id"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate([broken], CSL_DATA_SCHEMA)


# --- names and formats --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "parts"), [
    ("Cheng Chen", NameParts("Chen", "Cheng")),
    ("B. Aditya Prakash", NameParts("Prakash", "B. Aditya")),
    ("Michel Van den Bergh", NameParts("Van den Bergh", "Michel")),
    ("Felipe Albino dos Santos", NameParts("dos Santos", "Felipe Albino")),
    ("Ludwig van Beethoven", NameParts("van Beethoven", "Ludwig")),
    ("Quoc V. Le", NameParts("Le", "Quoc V.")),  # a particle as the last word is the family name
    ("Van Jacobson", NameParts("Jacobson", "Van")),  # and as the first, a given name
    ("Martin Luther King Jr.", NameParts("King", "Martin Luther", "Jr.")),
    ("Martin Luther King, Jr.", NameParts("King", "Martin Luther", "Jr.")),
    ("ATLAS Collaboration", NameParts("ATLAS Collaboration", literal=True)),
    ("Plato", NameParts("Plato")),
])
def test_names_split_into_family_given_and_suffix(name, parts):
    assert split_name(name) == parts


def test_an_unknown_export_format_is_refused():
    with pytest.raises(InvalidInput, match="unknown citation format 'endnote'"):
        export_citations(PAPERS, "endnote")  # type: ignore[arg-type]


def test_nothing_to_export_is_an_empty_document():
    assert export_citations([], "bibtex") == ""
    assert json.loads(export_citations([], "csl-json")) == []
