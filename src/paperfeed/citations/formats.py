"""Which citation format a file is in: as the caller says, else by the file name's extension, else by
what the text looks like."""

from __future__ import annotations

import re
from pathlib import PurePath

from paperfeed.errors import InvalidInput

IMPORT_FORMATS = ("bibtex", "ris", "csl-json", "ids")
EXPORT_FORMATS = ("bibtex", "ris", "csl-json")

_EXTENSIONS = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "csl-json", ".csljson": "csl-json"}
_RIS_START = re.compile(r"^TY  -", re.MULTILINE)
_BIBTEX_START = re.compile(r"^[ \t]*@[A-Za-z]+[ \t]*[{(]", re.MULTILINE)


def import_format(text: str, *, filename: str | None = None, format: str | None = None) -> str:
    """One of IMPORT_FORMATS. A .txt or unknown extension is no hint: the content decides."""
    if format:
        return checked_format(format, IMPORT_FORMATS)
    if filename and (by_name := _EXTENSIONS.get(PurePath(filename.lower()).suffix)):
        return by_name
    return sniff_format(text)


def sniff_format(text: str) -> str:
    if text.lstrip()[:1] in ("[", "{"):
        return "csl-json"
    if _RIS_START.search(text):
        return "ris"
    if _BIBTEX_START.search(text):
        return "bibtex"
    return "ids"


def checked_format(format: str, known: tuple[str, ...]) -> str:
    name = format.strip().lower()
    if name not in known:
        raise InvalidInput(f"unknown citation format {format!r}; expected one of {', '.join(known)}")
    return name
