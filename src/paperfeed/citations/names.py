"""Author names in parts: the one rule for splitting "Given Family" (how paperfeed stores a name) into
family, given and suffix for the writers, and for joining the parts an import names back into one."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that start a family name when they follow a given name: "Michel Van den Bergh", "Felipe dos Santos".
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "del", "della", "di", "da", "das", "dos", "du", "la",
                        "le", "ter", "ten", "zu", "vom", "bin", "ibn"})
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# A collaboration or institution is one name: never "Collaboration, ATLAS".
_ORGANISATION = re.compile(
    r"\b(?:collaboration|consortium|team|group|project|initiative|committee|society|association|institute|"
    r"laboratory|university|council|foundation|inc|ltd)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class NameParts:
    family: str
    given: str = ""
    suffix: str = ""
    literal: bool = False  # an organisation: `family` is the whole name, not to be split or reordered


def split_name(name: str) -> NameParts:
    """'Michel Van den Bergh' -> family 'Van den Bergh', given 'Michel'; 'Martin Luther King Jr.' ->
    'King', 'Martin Luther', 'Jr.'; 'ATLAS Collaboration' -> one literal name."""
    words = name.split()
    if len(words) < 2 or _ORGANISATION.search(name):
        return NameParts(" ".join(words), literal=len(words) > 1)
    suffix = ""
    if len(words) > 2 and words[-1].lower() in _SUFFIXES:
        suffix = words.pop()
        words[-1] = words[-1].rstrip(",")  # "King, Jr."
    start = next((i for i in range(1, len(words) - 1) if words[i].lower() in _PARTICLES), len(words) - 1)
    return NameParts(" ".join(words[start:]), " ".join(words[:start]), suffix)


def join_name(family: str, given: str = "", suffix: str = "") -> str:
    """The parts as one "Given Family Suffix" name, as paperfeed stores names."""
    return " ".join(part.strip() for part in (given, family, suffix) if part and part.strip())
