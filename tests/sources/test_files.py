"""Local paper files: small files under tests/data/files (one per format), gzip handling,
resuming by position, and the first records of the real ../shared/data/arxiv/papers.jsonl.gz."""

from __future__ import annotations

import gzip
import hashlib
import itertools
from datetime import date
from pathlib import Path

import orjson
import pytest

from conftest import TEST_DATA, shared_path
from paperfeed.errors import InvalidInput, SourceError
from paperfeed.models import PaperRecord, Rejected
from paperfeed.sources.files import detect_format, read_records

FILES = TEST_DATA / "files"
KAGGLE = FILES / "kaggle_snapshot.json"
JSONL = FILES / "papers.jsonl"
CSV = FILES / "papers.csv"
BIB = FILES / "refs.bib"


def read_all(path: Path, fmt: str | None = None, skip: int = 0) -> list[tuple[int, object]]:
    return list(read_records(path, fmt, skip=skip))


def records_by_ref(path: Path) -> dict[str, PaperRecord | Rejected]:
    return {item.ref: item for _, item in read_records(path)}


def summary(path: Path) -> list[tuple[int, str]]:
    """(position, arXiv id / DOI / title of a record, or 'rejected: <reason>') for each record."""
    return [
        (
            position,
            f"rejected: {item.reason}"
            if isinstance(item, Rejected)
            else item.arxiv_id or item.doi or item.title,
        )
        for position, item in read_records(path)
    ]


def write_gzip_lines(path: Path, count: int) -> bytes:
    """A gzipped JSON-lines file of `count` good records that compress poorly; returns its bytes."""
    lines = [
        orjson.dumps({"id": f"2401.{i:05d}", "title": hashlib.sha256(b"%d" % i).hexdigest()})
        for i in range(count)
    ]
    data = gzip.compress(b"\n".join(lines) + b"\n")
    path.write_bytes(data)
    return data


# detect_format


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("kaggle_snapshot.json", "kaggle"),
        ("kaggle_snapshot.json.gz", "kaggle"),
        ("papers.jsonl", "jsonl"),
        ("papers.csv", "csv"),
        ("refs.bib", "bibtex"),
    ],
)
def test_detect_format(name, fmt):
    assert detect_format(FILES / name) == fmt


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("refs.BIB", b"@misc{a, title={A}}", "bibtex"),
        ("export.csv.gz", gzip.compress(b"id,title\n", mtime=0), "csv"),
        ("empty.jsonl", b"", "jsonl"),
        ("garbage.json", b"\n\nnot json at all\n", "jsonl"),
        ("one_kaggle_key.json", b'{"title": "T", "versions": []}\n', "jsonl"),
        ("blank_first.ndjson", b'\n{"submitter": "A", "update_date": "2020-01-01"}\n', "kaggle"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",  # the file name names a case, never its bytes
)
def test_detect_format_of_other_files(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == fmt


def test_detect_format_refuses_unknown_extensions(tmp_path):
    path = tmp_path / "papers.txt"
    path.write_text("hello")
    with pytest.raises(InvalidInput, match="cannot tell the format"):
        detect_format(path)


def test_missing_file_is_invalid_input_before_any_reading(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(InvalidInput, match="no such file"):
        detect_format(missing)
    with pytest.raises(InvalidInput, match="no such file"):
        read_records(missing)  # raised by the call itself, not on the first next()


def test_unknown_format_name_is_invalid_input():
    with pytest.raises(InvalidInput, match="unknown file format"):
        read_records(JSONL, "yaml")


def test_format_can_be_forced():
    # A Kaggle file read as generic JSON lines: same titles, but no versions or dates.
    records = [item for _, item in read_records(KAGGLE, "jsonl")]
    assert {r.source for r in records} == {"jsonl"}
    assert records[0].title.startswith("Calculation of prompt diphoton")
    assert records[0].version is None


# Kaggle snapshot


def test_kaggle_record():
    (position, first), *_ = read_all(KAGGLE)

    assert position == 0
    assert first == PaperRecord(
        source="kaggle",
        title="Calculation of prompt diphoton production cross sections at Tevatron and\n"
        "  LHC energies",
        abstract=first.abstract,
        authors=("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"),
        categories=("hep-ph",),
        arxiv_id="0704.0001",
        version=2,
        doi="10.1103/physrevd.76.013009",
        published_on=date(2007, 4, 2),
        updated_on=date(2007, 7, 24),
        abs_url="https://arxiv.org/abs/0704.0001",
        pdf_url="https://arxiv.org/pdf/0704.0001",
        ref="line 1",
    )
    assert first.abstract.startswith("A fully differential calculation")  # stripped, still wrapped
    assert first.abstract.endswith("logarithmic accuracy.")


@pytest.mark.parametrize(
    ("arxiv_id", "version", "published_on", "updated_on", "categories"),
    [
        ("0704.0002", 2, date(2007, 3, 31), date(2008, 12, 13), ("math.CO", "cs.CG")),
        ("hep-th/9711200", 3, date(1997, 11, 27), date(1998, 1, 22), ("hep-th",)),
        ("1512.03385", 1, date(2015, 12, 10), date(2015, 12, 10), ("cs.CV",)),
        ("1706.03762", 7, date(2017, 6, 12), date(2023, 8, 2), ("cs.CL", "cs.LG")),
        # versions lists v1 and v5 only: the version is the last entry's number, not a count
        ("2104.09864", 5, date(2021, 4, 20), date(2023, 11, 8), ("cs.CL", "cs.AI", "cs.LG")),
    ],
)
def test_kaggle_versions_and_dates(arxiv_id, version, published_on, updated_on, categories):
    record = {item.arxiv_id: item for _, item in read_records(KAGGLE)}[arxiv_id]
    assert (record.version, record.published_on, record.updated_on) == (
        version,
        published_on,
        updated_on,
    )
    assert record.categories == categories


@pytest.mark.parametrize(
    ("arxiv_id", "authors"),
    [
        # authors_parsed [[last, first, suffix], ...]
        ("0704.0002", ("Ileana Streinu", "Louis Theran")),
        # no authors_parsed: the authors string, split on ", "
        ("1512.03385", ("Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun")),
        # empty authors_parsed: the string, wrapped across lines and ending in " and "
        (
            "1706.03762",
            (
                "Ashish Vaswani",
                "Noam Shazeer",
                "Niki Parmar",
                "Jakob Uszkoreit",
                "Llion Jones",
                "Aidan N. Gomez",
                "Lukasz Kaiser",
                "Illia Polosukhin",
            ),
        ),
    ],
)
def test_kaggle_authors(arxiv_id, authors):
    record = {item.arxiv_id: item for _, item in read_records(KAGGLE)}[arxiv_id]
    assert record.authors == authors


def test_gzipped_file_reads_like_the_plain_one():
    assert read_all(FILES / "kaggle_snapshot.json.gz") == read_all(KAGGLE)
    assert len(read_all(KAGGLE)) == 6


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            b'{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": "?"}]}',
            "bad date in versions",
        ),
        (b'{"id": "not an id", "title": "T"}', "not an arXiv id"),
        (b'{"id": "0704.0001", "title": null}', "missing title"),
        (b'{"id": "0704.0001", "title": "T", "update_date": "13/11/2008"}', "bad date"),
    ],
)
def test_kaggle_rejects(tmp_path, line, reason):
    path = tmp_path / "snapshot.json"
    path.write_bytes(KAGGLE.read_bytes() + line + b"\n")

    *good, (position, rejected) = read_all(path, "kaggle")
    assert len(good) == 6 and all(isinstance(item, PaperRecord) for _, item in good)
    assert position == 6
    assert rejected.ref == "line 7"
    assert reason in rejected.reason


# generic JSON lines


def test_jsonl_keeps_good_lines_and_rejects_bad_ones():
    seen = summary(JSONL)
    position, invalid = seen[2]
    assert invalid.startswith("rejected: invalid JSON: ")  # then orjson's own words
    seen[2] = (position, "rejected: invalid JSON")

    assert seen == [
        (0, "2305.10601"),
        (1, "10.1038/s41586-021-03819-2"),
        # line 3 is blank: not a record, so positions go on from 2
        (2, "rejected: invalid JSON"),
        (3, "rejected: missing title"),
        (4, "rejected: bad date in published: '2021-13-45'"),
        (5, "rejected: not a JSON object but list"),
        (6, "10.48550/arxiv.2106.09685"),
        (7, "rejected: id is neither an arXiv id nor a DOI: 'not-a-paper-id'"),
        (8, "math/0211159"),
    ]
    refs = [item.ref for _, item in read_records(JSONL)]
    assert refs == [f"line {n}" for n in (1, 2, 4, 5, 6, 7, 8, 9, 10)]


def test_jsonl_record_with_arxiv_id():
    record = records_by_ref(JSONL)["line 1"]

    assert record.source == "jsonl"
    assert record.title == "Tree of Thoughts: Deliberate Problem Solving with Large Language Models"
    assert (record.arxiv_id, record.version, record.doi) == ("2305.10601", 2, None)
    assert record.authors[0] == "Shunyu Yao" and len(record.authors) == 7
    assert record.categories == ("cs.CL", "cs.AI", "cs.LG")
    assert record.published_on == date(2023, 5, 17)
    assert record.updated_on == date(2023, 12, 3)  # from an ISO datetime
    assert record.announced_on == date(2023, 5, 18)  # "listed"
    assert record.abs_url == "https://arxiv.org/abs/2305.10601"
    assert record.code_url == "https://github.com/princeton-nlp/tree-of-thought-llm"


def test_jsonl_record_with_doi_id_summary_and_author_string():
    record = records_by_ref(JSONL)["line 2"]

    assert (record.arxiv_id, record.doi) == (None, "10.1038/s41586-021-03819-2")
    assert record.abstract.startswith("Proteins are essential to life")  # "summary" alias
    assert record.authors == ("John Jumper", "Richard Evans", "Alexander Pritzel")
    assert record.categories == ()
    assert record.abs_url == "https://www.nature.com/articles/s41586-021-03819-2"
    assert record.pdf_url is None


def test_jsonl_record_with_empty_id():
    record = records_by_ref(JSONL)["line 8"]

    assert (record.arxiv_id, record.doi) == (None, "10.48550/arxiv.2106.09685")
    assert record.categories == ("cs.CL", "cs.AI", "cs.LG")  # space-separated string
    assert record.published_on is None
    assert (record.code_url, record.project_url) == ("https://github.com/microsoft/LoRA", None)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"id": 1706.03762, "title": "T"}, "id must be a string"),
        ({"title": 42}, "missing title"),
        ({"title": "T", "listed": 20240101}, "bad date in listed"),
        ({"title": "T", "updated": "yesterday"}, "bad date in updated"),
        ("just a string", "not a JSON object"),
        (None, "not a JSON object"),
    ],
)
def test_jsonl_rejects(tmp_path, row, reason):
    path = tmp_path / "papers.jsonl"
    good = orjson.dumps({"id": "2104.12255v3", "title": "Good"})
    path.write_bytes(b"\n".join([good, orjson.dumps(row), good]))

    items = [item for _, item in read_records(path)]
    assert [type(item) for item in items] == [PaperRecord, Rejected, PaperRecord]
    assert items[1].ref == "line 2"
    assert reason in items[1].reason


# CSV


def test_csv_records_and_rejects():
    assert summary(CSV) == [
        (0, "1810.04805"),
        (1, "1406.2661"),
        (2, "rejected: missing title"),
        (3, "rejected: bad date in published: '22/12/2014'"),
        (4, "Dropout: A Simple Way to Prevent Neural Networks from Overfitting"),
    ]
    # The GAN row's abstract spans two lines, so later rows start a line further down.
    assert [item.ref for _, item in read_records(CSV)] == [f"line {n}" for n in (2, 3, 5, 6, 7)]


def test_csv_quoted_commas_and_semicolon_authors():
    record = records_by_ref(CSV)["line 3"]

    assert record.source == "csv"
    assert record.authors == ("Goodfellow, Ian J.", "Pouget-Abadie, Jean", "Mirza, Mehdi")
    assert "adversarial process, in which" in record.abstract
    assert "\na generative model G" in record.abstract
    assert record.categories == ("stat.ML", "cs.LG")
    assert record.pdf_url == "https://arxiv.org/pdf/1406.2661v1"


def test_csv_empty_cells_are_missing_values():
    bert = records_by_ref(CSV)["line 2"]
    assert (bert.arxiv_id, bert.version) == ("1810.04805", 2)
    assert (bert.published_on, bert.updated_on, bert.announced_on) == (
        date(2018, 10, 11),
        date(2019, 5, 24),
        date(2018, 10, 12),
    )
    assert (bert.doi, bert.project_url) == (None, None)
    assert bert.code_url == "https://github.com/google-research/bert"

    dropout = records_by_ref(CSV)["line 7"]
    assert (dropout.arxiv_id, dropout.doi, dropout.categories) == (None, None, ())
    assert dropout.abs_url == "https://jmlr.org/papers/v15/srivastava14a.html"


def test_csv_with_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid,title\n2104.12255,A title\n".encode())
    ((_, record),) = read_all(path)
    assert (record.arxiv_id, record.title) == ("2104.12255", "A title")


# BibTeX


def test_bibtex_records_and_rejects():
    assert summary(BIB) == [
        (0, "1706.03762"),
        (1, "10.1038/s41586-021-03819-2"),
        (
            2,
            '{\\"U}ber formal unentscheidbare S{\\"a}tze der {P}rincipia {M}athematica und '
            "verwandter {S}ysteme {I}",
        ),
        (
            3,
            "rejected: unparsable BibTeX: Unexpected block start: `@online`. "
            "Was still looking for field-value closing `}`",
        ),
        (4, "2006.11239"),
        (5, "rejected: missing title"),
    ]


def test_bibtex_arxiv_eprint_entry():
    record = read_all(BIB)[0][1]

    assert record.source == "bibtex"
    assert record.ref == "line 4 (vaswani2017attention)"
    assert record.title == "Attention Is All You Need"
    assert record.authors[:2] == ("Vaswani, Ashish", "Shazeer, Noam")
    assert record.authors[-1] == "Polosukhin, Illia"
    assert len(record.authors) == 8  # " and " across a line break too
    assert (record.arxiv_id, record.version) == ("1706.03762", 7)
    assert record.categories == ("cs.CL",)
    assert record.published_on == date(2017, 6, 1)  # month = jun (a bare macro)
    assert record.abs_url == "https://arxiv.org/abs/1706.03762"


def test_bibtex_doi_article():
    record = read_all(BIB)[1][1]

    assert record.title == "Highly accurate protein structure prediction with {AlphaFold}"
    assert (record.arxiv_id, record.doi) == (None, "10.1038/s41586-021-03819-2")
    assert record.published_on == date(2021, 8, 1)  # month = {8}
    assert record.abstract.startswith("Proteins are essential to life")


def test_bibtex_latex_stays_for_normalize():
    record = read_all(BIB)[2][1]

    assert record.authors == ('G{\\"o}del, Kurt',)
    assert record.published_on == date(1931, 1, 1)  # a year without a month
    assert record.arxiv_id is None and record.doi is None


def test_bibtex_biblatex_eprinttype():
    record = read_all(BIB)[4][1]
    assert (record.arxiv_id, record.categories) == ("2006.11239", ("cs.LG",))
    assert record.published_on == date(2020, 12, 1)  # month = {December}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("eprint = {2006.11239}", "2006.11239"),  # no prefix, but clearly an arXiv id
        ("eprint = {hep-th/9711200v3}, archiveprefix = {arXiv}", "hep-th/9711200"),
        ("eprint = {12345}, eprinttype = {pubmed}", None),
        ("eprint = {2006.11239}, archivePrefix = {HAL}", None),
    ],
)
def test_bibtex_eprint_prefixes(tmp_path, fields, expected):
    path = tmp_path / "one.bib"
    path.write_text(f"@misc{{one, title = {{T}}, {fields}}}\n")
    assert read_all(path)[0][1].arxiv_id == expected


def test_bibtex_bad_month_is_rejected(tmp_path):
    path = tmp_path / "one.bib"
    path.write_text("@misc{a, title={A}, year={2020}, month={spring}}\n@misc{b, title={B}}\n")
    (_, bad), (_, good) = read_all(path)
    assert "bad date" in bad.reason and bad.ref == "line 1 (a)"
    assert good.title == "B"


# resuming


@pytest.mark.parametrize("path", [KAGGLE, FILES / "kaggle_snapshot.json.gz", JSONL, CSV, BIB])
def test_skip_resumes_after_a_checkpoint(path):
    everything = read_all(path)
    for skip in range(len(everything) + 2):
        assert read_all(path, skip=skip) == everything[skip:]


def test_negative_skip_is_invalid():
    with pytest.raises(InvalidInput, match="skip"):
        read_records(JSONL, skip=-1)


# broken gzip


def test_truncated_gzip_yields_the_good_records_then_raises(tmp_path):
    path = tmp_path / "papers.jsonl.gz"
    data = write_gzip_lines(path, 3000)
    path.write_bytes(data[: len(data) // 2])

    seen = []
    with pytest.raises(SourceError, match="cannot read further"):
        for position, item in read_records(path):
            seen.append((position, item))

    # Every complete line before the cut came through, none of them damaged.
    assert 1000 < len(seen) < 2000
    assert [position for position, _ in seen] == list(range(len(seen)))
    assert all(isinstance(item, PaperRecord) for _, item in seen)
    assert seen[-1][1].arxiv_id == f"2401.{len(seen) - 1:05d}"


def test_corrupt_gzip_raises_source_error(tmp_path):
    path = tmp_path / "papers.jsonl.gz"
    data = bytearray(write_gzip_lines(path, 3000))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))

    with pytest.raises(SourceError):
        for _ in read_records(path):
            pass


def test_intact_generated_gzip_reads_fully(tmp_path):
    path = tmp_path / "papers.jsonl.gz"
    write_gzip_lines(path, 3000)
    items = [item for _, item in read_records(path)]
    assert len(items) == 3000 and all(isinstance(item, PaperRecord) for item in items)


# the real file


@pytest.mark.shared_data
def test_first_thousand_records_of_the_real_papers_file():
    path = shared_path("arxiv", "papers.jsonl.gz")
    assert detect_format(path) == "jsonl"

    first = list(itertools.islice(read_records(path), 1000))

    assert [position for position, _ in first] == list(range(1000))
    for _, record in first:
        assert isinstance(record, PaperRecord), record
        assert record.title and record.authors and record.abstract
        assert record.arxiv_id and record.version is None
        assert record.published_on is None  # the file carries no first-version date
    assert sum(record.announced_on is not None for _, record in first) > 900
