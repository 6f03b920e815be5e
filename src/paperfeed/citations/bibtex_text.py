"""Stored text as a BibTeX field value that parses back to the same text (normalize.clean_text reads it):
characters special to BibTeX and LaTeX escaped outside math, math kept as written so that it still
compiles, and, in titles, words with inner capitals braced so that a style's lower-casing keeps them."""

from __future__ import annotations

import itertools
import re

from paperfeed.normalize import split_math

_SPECIAL = re.compile(r"[\\{}&%#_$~]")
_ESCAPES = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}"}  # the others take a backslash
_WORD = re.compile(r"\S+")
# A word a style must not lower-case has a capital right after a letter or digit ("LIEREx", "h-BN", "3D";
# not "Single-Atom"); braced only when made of characters that need no escape, so the group stays plain.
_PLAIN_WORD = re.compile(r"(?:[^\W_]|[.:;,'’()+/\-])+")


def bibtex_text(text: str, *, protect_case: bool = False) -> str:
    pieces = split_math(text)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:  # math: as written, unless its braces do not balance (then it could end the field)
            out.append(piece if balanced(piece) else _escape(piece))
        else:
            out.append(_WORD.sub(_cased_word, piece) if protect_case else _escape(piece))
    return "".join(out)


def _cased_word(match: re.Match[str]) -> str:
    word = match.group()
    if _PLAIN_WORD.fullmatch(word) and any(b.isupper() and a.isalnum() for a, b in itertools.pairwise(word)):
        return "{" + word + "}"
    return _escape(word)


def _escape(text: str) -> str:
    return _SPECIAL.sub(lambda m: _ESCAPES.get(m.group(), "\\" + m.group()), text)


def balanced(text: str) -> bool:
    """Whether a value can stand in braces as written: every brace closed, none closed first."""
    depth = 0
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
