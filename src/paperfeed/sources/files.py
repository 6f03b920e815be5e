"""Local paper files: the Kaggle arXiv snapshot, generic JSON lines and CSV, and BibTeX.

Files are streamed record by record (plain or gzipped) and each record is yielded with its
0-based position, so an ingest can checkpoint the last position it stored and resume with
skip=position + 1. One bad record becomes a Rejected; only a file that cannot be read any
further (a corrupt or truncated gzip) raises. The generic schema is documented in docs/formats.md.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import bibtexparser
import orjson
from bibtexparser.model import Entry, ParsingFailedBlock

from paperfeed.citations.bibtex_fields import (
    entry_fields,
    eprint_arxiv_id,
    failed_block_reason,
    month_number,
    split_authors,
)
from paperfeed.errors import InvalidInput, InvalidRecord, SourceError
from paperfeed.identity import is_arxiv_id, normalize_doi, split_arxiv_id
from paperfeed.models import PaperRecord, Rejected

FORMATS = ("kaggle", "jsonl", "csv", "bibtex")
Item = PaperRecord | Rejected

# Keys only a Kaggle arXiv snapshot record has; two of them are enough to tell.
_KAGGLE_KEYS = {"submitter", "versions", "update_date", "authors_parsed"}
_AUTHOR_LIST = re.compile(r",\s+(?:and\s+)?|\s+and\s+")  # "A, B, and C" / "A and B"
_CHUNK = 1 << 20  # bytes read at a time
# The file cannot be read any further (truncated or corrupt gzip, bad UTF-8).
_UNREADABLE = (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error)
# One record is unusable; the rest of the file is still read.
_BAD_RECORD = (InvalidRecord, ValueError, TypeError, KeyError, IndexError, AttributeError)


def detect_format(path: Path) -> str:
    """'kaggle', 'jsonl', 'csv' or 'bibtex', from the extension (and the first line for JSON)."""
    _require_file(path)
    suffix = Path(path.name.lower().removesuffix(".gz")).suffix
    if suffix == ".bib":
        return "bibtex"
    if suffix == ".csv":
        return "csv"
    if suffix in (".json", ".jsonl", ".ndjson"):
        return "kaggle" if _looks_like_kaggle(path) else "jsonl"
    raise InvalidInput(f"cannot tell the format of {path.name}: expected .jsonl, .csv or .bib")


def read_records(
    path: Path, fmt: str | None = None, *, skip: int = 0
) -> Iterator[tuple[int, PaperRecord | Rejected]]:
    """(position, record or reject) for every record of the file from position `skip` on."""
    _require_file(path)
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown file format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if skip < 0:
        raise InvalidInput(f"skip must be 0 or more, not {skip}")
    if fmt in ("kaggle", "jsonl"):
        return _read_json_lines(path, skip, _kaggle_record if fmt == "kaggle" else _jsonl_record)
    return _read_csv(path, skip) if fmt == "csv" else _read_bibtex(path, skip)


def _read_json_lines(
    path: Path, skip: int, to_record: Callable[[Any, str], PaperRecord]
) -> Iterator[tuple[int, Item]]:
    position = -1
    for number, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        position += 1
        if position < skip:  # resuming: count past done records without parsing them
            continue
        ref = f"line {number}"
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield position, Rejected(ref, f"invalid JSON: {exc}")
        else:
            yield position, _convert(to_record, row, ref)


def _read_csv(path: Path, skip: int) -> Iterator[tuple[int, Item]]:
    with _open_binary(path) as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
        try:
            rows = csv.DictReader(text)
            rows.fieldnames  # noqa: B018 (reads the header, so line_num counts past it)
            first = rows.line_num + 1  # the line the next row starts on
            for position, row in enumerate(rows):
                ref, first = f"line {first}", rows.line_num + 1
                if position >= skip:
                    yield position, _convert(_jsonl_record, row, ref, source="csv")
        except _UNREADABLE as exc:
            raise SourceError(f"{path}: cannot read further ({exc})") from exc


def _read_bibtex(path: Path, skip: int) -> Iterator[tuple[int, Item]]:
    # BibTeX files are small and entries span lines, so the whole file is parsed at once.
    with _open_binary(path) as raw:
        try:
            text = raw.read().decode("utf-8-sig")
        except _UNREADABLE as exc:
            raise SourceError(f"{path}: cannot read ({exc})") from exc
    blocks = [
        block
        for block in bibtexparser.parse_string(text).blocks
        if isinstance(block, Entry | ParsingFailedBlock)
    ]
    for position, block in enumerate(blocks[skip:], skip):
        ref = f"line {(block.start_line or 0) + 1}"
        if isinstance(block, ParsingFailedBlock):
            yield position, Rejected(ref, f"unparsable BibTeX: {failed_block_reason(block)}")
        else:
            yield position, _convert(_bibtex_record, block, f"{ref} ({block.key})")


def _convert(to_record: Callable[..., PaperRecord], raw: Any, ref: str, **kw: Any) -> Item:
    try:
        return to_record(raw, ref, **kw)
    except _BAD_RECORD as exc:
        return Rejected(ref, str(exc) or type(exc).__name__)


def _jsonl_record(row: Any, ref: str, source: str = "jsonl") -> PaperRecord:
    """One record of the generic schema (JSON lines or a CSV row); see docs/formats.md."""
    if type(row) is not dict:
        raise InvalidRecord(f"not a JSON object but {type(row).__name__}")
    get = row.get
    title = get("title")
    if not title or not isinstance(title, str) or not (title := title.strip()):
        raise InvalidRecord("missing title")
    arxiv_id = version = None
    doi = normalize_doi(get("doi"))
    if raw_id := get("id"):
        if not isinstance(raw_id, str):
            raise InvalidRecord(f"id must be a string, not {raw_id!r}")
        if is_arxiv_id(raw_id):
            arxiv_id, version = split_arxiv_id(raw_id)
        elif not (doi := normalize_doi(raw_id) or doi):
            raise InvalidRecord(f"id is neither an arXiv id nor a DOI: {raw_id!r}")
    authors = get("authors") or ()
    if isinstance(authors, str):
        authors = authors.split(";")
    categories = get("categories") or ()
    if isinstance(categories, str):
        categories = categories.split()
    return PaperRecord(
        source=source,
        title=title,
        abstract=(get("abstract") or get("summary") or "").strip(),
        authors=tuple(stripped for name in authors if (stripped := name.strip())),
        categories=tuple(categories),
        arxiv_id=arxiv_id,
        version=version,
        doi=doi,
        published_on=_day(get("published"), "published"),
        updated_on=_day(get("updated"), "updated"),
        announced_on=_day(get("listed"), "listed"),
        abs_url=get("url") or (arxiv_id and f"https://arxiv.org/abs/{arxiv_id}") or None,
        pdf_url=get("pdf_url") or (arxiv_id and f"https://arxiv.org/pdf/{arxiv_id}") or None,
        code_url=get("code_url") or None,
        project_url=get("project_url") or None,
        ref=ref,
    )


def _kaggle_record(row: Any, ref: str) -> PaperRecord:
    """One line of the Kaggle arXiv snapshot (arxiv-metadata-oai-snapshot.json)."""
    if type(row) is not dict:
        raise InvalidRecord(f"not a JSON object but {type(row).__name__}")
    title = (row.get("title") or "").strip()
    if not title:
        raise InvalidRecord("missing title")
    raw_id = row.get("id") or ""
    if not is_arxiv_id(raw_id):
        raise InvalidRecord(f"not an arXiv id: {raw_id!r}")
    arxiv_id, _ = split_arxiv_id(raw_id)
    versions = row.get("versions") or ()
    updated_on = _kaggle_day(versions[-1]["created"]) if versions else None
    if parsed := row.get("authors_parsed"):  # [[last, first, suffix], ...] -> "first last suffix"
        authors = [" ".join(filter(None, (p[1], p[0], *p[2:]))) for p in parsed]
    else:
        authors = _AUTHOR_LIST.split(row.get("authors") or "")
    return PaperRecord(
        source="kaggle",
        title=title,
        abstract=(row.get("abstract") or "").strip(),
        authors=tuple(name.strip() for name in authors if name.strip()),
        categories=tuple((row.get("categories") or "").split()),
        arxiv_id=arxiv_id,
        version=int(versions[-1]["version"].lstrip("v")) if versions else None,
        doi=normalize_doi(row.get("doi")),
        published_on=_kaggle_day(versions[0]["created"]) if versions else None,
        updated_on=updated_on or _day(row.get("update_date"), "update_date"),
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        ref=ref,
    )


def _bibtex_record(entry: Entry, ref: str) -> PaperRecord:
    fields = entry_fields(entry)
    title = fields.get("title")
    if not title:
        raise InvalidRecord("missing title")
    arxiv_id, version = eprint_arxiv_id(fields) or (None, None)
    return PaperRecord(
        source="bibtex",
        title=title,
        abstract=fields.get("abstract", ""),
        authors=tuple(split_authors(fields.get("author", ""))),
        categories=tuple(filter(None, [fields.get("primaryclass") or fields.get("eprintclass")])),
        arxiv_id=arxiv_id,
        version=version,
        doi=normalize_doi(fields.get("doi")),
        published_on=_bibtex_day(fields.get("year"), fields.get("month")),
        abs_url=fields.get("url") or (arxiv_id and f"https://arxiv.org/abs/{arxiv_id}") or None,
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}" if arxiv_id else None,
        ref=ref,
    )


def _day(value: Any, field: str) -> date | None:
    """'2024-10-22' or '2024-10-22T17:59:30Z' -> date; empty -> None."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        raise InvalidRecord(f"bad date in {field}: {value!r}") from None


def _kaggle_day(created: str) -> date:
    """'Mon, 2 Apr 2007 19:18:42 GMT' -> date(2007, 4, 2)."""
    try:
        _, day, month, year, *_ = created.split()
        return date(int(year), month_number(month), int(day))
    except (AttributeError, KeyError, ValueError):
        raise InvalidRecord(f"bad date in versions: {created!r}") from None


def _bibtex_day(year: str | None, month: str | None) -> date | None:
    """year 2017 and month 'jun', 'June' or '6' -> the first of that month; no year -> None."""
    if not year:
        return None
    try:
        return date(int(year), month_number(month) if month else 1, 1)
    except (KeyError, ValueError):
        raise InvalidRecord(f"bad date: year {year!r}, month {month!r}") from None


def _looks_like_kaggle(path: Path) -> bool:
    first_line = next((line for line in _lines(path) if line.strip()), b"")
    try:
        first = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(first, dict) and len(_KAGGLE_KEYS & first.keys()) >= 2


def _lines(path: Path) -> Iterator[bytes]:
    """The lines of a plain or gzipped file; raises SourceError where the file breaks off.

    Reads with read1 and splits the lines itself: a buffered readline would drop the complete
    lines it had already decompressed when a truncated gzip fails, and is slower too.
    """
    with _open_binary(path) as stream:
        tail = b""
        while True:
            try:
                chunk = stream.read1(_CHUNK)
            except _UNREADABLE as exc:
                raise SourceError(f"{path}: cannot read further ({exc})") from exc
            if not chunk:
                break
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            yield from lines
        if tail:
            yield tail


def _open_binary(path: Path) -> BinaryIO:
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"  # by content, so a misnamed file still works
    return gzip.open(path, "rb") if gzipped else open(path, "rb")  # noqa: SIM115


def _require_file(path: Path) -> None:
    if not Path(path).is_file():
        raise InvalidInput(f"no such file: {path}")
