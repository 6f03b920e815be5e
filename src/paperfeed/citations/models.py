"""Plain data of a citation import: the works a file names, the entries it could not read, and both."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CitedWork:
    """One work an import file names, as far as the file tells: ids normalized (arXiv id without its
    version, DOI lower-cased), title and authors cleaned of LaTeX. At least one of arxiv_id, doi and
    title is set."""

    arxiv_id: str | None
    doi: str | None
    title: str | None
    authors: tuple[str, ...]
    year: int | None
    line: int  # 1-based line of the file where the entry starts


@dataclass(frozen=True, slots=True)
class CitationProblem:
    """An entry that could not be read, where it starts and why; the rest of the file is still read."""

    line: int | None  # 1-based; None when the file tells no line (a CSL-JSON item on a line shared with others)
    key: str | None  # the entry's citation key or id, when it has one
    message: str


@dataclass(slots=True)
class ParsedCitations:
    works: list[CitedWork] = field(default_factory=list)
    problems: list[CitationProblem] = field(default_factory=list)
    format: str = ""  # the format the file was read as: one of formats.IMPORT_FORMATS
