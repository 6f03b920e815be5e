"""Citation keys for an export: first author's family name, year and first word of the title
("vaswani2017attention"), unique within the export by a, b, ... suffixes. The same papers get the same keys
whatever order they come in: colliding papers take their suffixes in the order of their store keys."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import count

from paperfeed.citations.names import split_name
from paperfeed.identity import name_key
from paperfeed.models import Paper

_NOT_KEY = re.compile(r"[^a-z0-9]+")
_MATH = re.compile(r"\$[^$]*\$")
# Words a title may start with that say nothing about it.
_STOP_WORDS = frozenset({"a", "an", "the", "on", "of", "for", "in", "to", "with", "and", "from", "via", "is", "are",
                         "at", "by", "towards", "toward", "how", "what", "why", "when", "do", "does", "can", "we"})


def citation_keys(papers: Sequence[Paper]) -> list[str]:
    """One key per paper, aligned with `papers`."""
    bases = [_base_key(paper) for paper in papers]
    keys: list[str] = [""] * len(papers)
    taken = set(bases)  # a suffixed key must not take another paper's bare key
    by_base: dict[str, list[int]] = {}
    for index, base in enumerate(bases):
        by_base.setdefault(base, []).append(index)
    for base, indexes in by_base.items():
        first, *others = sorted(indexes, key=lambda i: (papers[i].key, i))
        keys[first] = base
        suffixes = (suffix for n in count(1) if (suffix := base + _letters(n)) not in taken)
        for index in others:
            keys[index] = next(suffixes)
            taken.add(keys[index])
    return keys


def _base_key(paper: Paper) -> str:
    family = split_name(paper.authors[0]).family if paper.authors else ""
    year = str(paper.day.year) if paper.day else ""
    return (_ascii(family) or "anon") + year + _first_word(paper.title)


def _first_word(title: str) -> str:
    words = (_ascii(word) for word in _MATH.sub(" ", title).split())
    return next((word for word in words if word and word not in _STOP_WORDS), "")


def _ascii(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Špenko' -> 'spenko', "Stroppel's" -> 'stroppels'."""
    return _NOT_KEY.sub("", name_key(text))


def _letters(n: int) -> str:
    """1 -> 'a', 26 -> 'z', 27 -> 'aa': spreadsheet-column letters."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters
