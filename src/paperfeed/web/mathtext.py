"""Splitting a title or abstract into plain text and TeX math, so the page can render only the math.

arXiv text keeps math verbatim: `$x^2$`, `$$...$$`, `\\(...\\)`, `\\[...\\]`. Ingest already turned
`\\$` into a literal `$`, so a lone dollar is often a price ("costs $5 and $6") and KaTeX's
auto-render over the whole text would make math of it. The rules here follow pandoc's for `$`:
an opening `$` is not followed by a space, a closing `$` is not preceded by a space nor followed
by a digit, and the content must look like TeX (a TeX character, or no spaces at all). Pure and
linear in the text's length, so a megabyte-long abstract is split as fast as a short one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPENER = re.compile(r"\$\$|\$|\\\(|\\\[")
_CLOSER = {"$$": "$$", "\\(": "\\)", "\\[": "\\]"}
_TEX_CHARS = frozenset("\\^_{}=<>|+*/()[]")
MAX_MATH = 2000  # longer "math" is almost surely two prices far apart, or broken markup


@dataclass(frozen=True, slots=True)
class Segment:
    text: str  # as written; for math the delimiters included, which is what shows without JavaScript
    tex: str | None = None  # math only: the TeX between the delimiters
    display: bool = False  # $$...$$ and \[...\] are set on their own line

    @property
    def is_math(self) -> bool:
        return self.tex is not None


def looks_like_tex(content: str) -> bool:
    if not content.strip():
        return False
    return any(ch in _TEX_CHARS for ch in content) or " " not in content.strip()


def _dollar_closer(text: str, start: int) -> int:
    """Where the `$` opened at start-1 closes, or -1 when it is a literal dollar."""
    if start >= len(text) or text[start].isspace():
        return -1
    end = text.find("$", start)
    if end < 0 or end - start > MAX_MATH or text[end - 1].isspace() or text[end - 1] == "\\":
        return -1
    if end + 1 < len(text) and (text[end + 1].isdigit() or text[end + 1] == "$"):
        return -1
    return end if looks_like_tex(text[start:end]) else -1


def split_math(text: str) -> list[Segment]:
    """The text as alternating plain and math segments; joining their `.text` gives `text` back."""
    segments: list[Segment] = []
    plain_from = 0
    position = 0
    found: dict[str, int] = {}  # closer -> the next place it occurs (-1: nowhere), so scans stay linear

    def next_closer(closer: str, start: int) -> int:
        cached = found.get(closer)
        if cached is None or (cached != -1 and cached < start):
            cached = text.find(closer, start)
            found[closer] = cached
        return cached

    while True:
        match = _OPENER.search(text, position)
        if match is None:
            break
        opener, start = match.group(), match.end()
        if match.start() > 0 and text[match.start() - 1] == "\\" and opener.startswith("$"):
            position = match.start() + 1  # an escaped dollar inside math markup
            continue
        if opener == "$":
            end = _dollar_closer(text, start)
            close_len = 1
        else:
            end = next_closer(_CLOSER[opener], start)
            close_len = 2
            if end >= 0 and (end == start or end - start > MAX_MATH or not text[start:end].strip()):
                end = -1
        if end < 0:
            position = match.start() + 1
            continue
        if match.start() > plain_from:
            segments.append(Segment(text[plain_from:match.start()]))
        stop = end + close_len
        segments.append(Segment(text[match.start():stop], text[start:end].strip(), opener in ("$$", "\\[")))
        plain_from = position = stop
    if plain_from < len(text):
        segments.append(Segment(text[plain_from:]))
    return segments
