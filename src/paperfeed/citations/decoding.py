"""An import file's bytes as text: refused over the size limit, decoded whatever the exporter's encoding,
line ends made "\\n" so that every reader counts lines alike."""

from __future__ import annotations

import codecs
import math

from paperfeed.errors import InvalidInput

MAX_IMPORT_BYTES = 5 * 1024 * 1024
_MB = 1024 * 1024


def check_import_size(size: int) -> None:
    """InvalidInput naming the limit for a file of `size` bytes over it: for a caller that knows the size
    of an upload before reading it all (parse_citations checks what it is given)."""
    if size > MAX_IMPORT_BYTES:
        raise InvalidInput(f"import files are limited to {MAX_IMPORT_BYTES // _MB} MB; "
                           f"this one is {math.ceil(size / _MB * 10) / 10:.1f} MB")  # rounded up: never "5.0"


def decode_import(data: bytes) -> str:
    """UTF-8 (a BOM dropped), UTF-16 with its BOM, else Windows-1252 and finally Latin-1, which reads any
    bytes: an old export in a legacy encoding is read with a wrong letter or two rather than refused."""
    check_import_size(len(data))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _first_decoding(data, "utf-16")
    else:
        text = _first_decoding(data, "utf-8-sig", "cp1252")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _first_decoding(data: bytes, *encodings: str) -> str:
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # never fails: every byte is a character
