"""Normalization of what sources report: whitespace, text-mode LaTeX, author names. Pure and fast.

Math ($...$, $$...$$, \\(...\\), \\[...\\]) is kept verbatim so the web app can render it with KaTeX;
only text-mode LaTeX (accents, \\emph{}, escapes, quotes) is turned into Unicode. That is a targeted
rewrite rather than a full LaTeX parser because it runs on every ingested abstract (pylatexenc takes
~0.8 ms a call, which alone would cap ingest well below 5,000 papers/s). The few fields (~0.6%) that
still hold a macro after it are read again with every macro converted on its own, by the fast path
where it can and by pylatexenc (latex_macros.py) where it cannot.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from paperfeed.errors import InvalidRecord
from paperfeed.identity import arxiv_id_from_doi
from paperfeed.latex_macros import macro_to_text
from paperfeed.models import PaperRecord

MAX_TITLE_CHARS = 1_000
MAX_ABSTRACT_CHARS = 20_000
MAX_AUTHORS = 2_000

# Combining marks for LaTeX accent commands.
_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
_LETTER_MACROS = {
    "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "o": "ø", "O": "Ø",
    "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dag": "†", "S": "§", "P": "¶", "copyright": "©",
    "ldots": "…", "dots": "…", "textendash": "–", "textemdash": "—", "LaTeX": "LaTeX", "TeX": "TeX",
    "textquotedblleft": "\u201c", "textquotedblright": "\u201d", "textquoteleft": "\u2018", "textquoteright": "\u2019",
}
# Patterns start with a literal backslash or dollar, so the regex engine can skip ahead quickly.
_DOLLAR_MATH = re.compile(r"(\$\$[^$]+\$\$|\$[^$]+\$)")
_ANY_MATH = re.compile(r"(\$\$[^$]+\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)
_ESCAPED_DOLLAR = "\x00"  # stands in for \$ while splitting; control characters are gone by then
_ACCENT_CMD = re.compile(
    r"\\([\"'`^~=.])\s*(?:\{([A-Za-z]|\\[ij])\}|([A-Za-z]|\\[ij]))"
    r"|\\([uvHckrdb])(?:\{([A-Za-z])\}|\s+([A-Za-z]))"
)
_LETTER_CMD = re.compile(r"\\(" + "|".join(sorted(_LETTER_MACROS, key=len, reverse=True)) + r")(?![A-Za-z])\s?")
_STYLE_CMD = re.compile(
    r"\\(?:emph|textbf|textit|texttt|textsc|textrm|textsf|textup|textnormal|underline|mbox|text|url"
    r"|textsuperscript|textsubscript)\s*\{([^{}]*)\}"
)
_HREF = re.compile(r"\\(?:href|hyperlink|textcolor)\s*\{[^{}]*\}\s*\{([^{}]*)\}")  # the second argument is the text
_BARE_HREF = re.compile(r"\\href\s*\{([^{}]*)\}(?!\s*\{)")  # \href{url} alone: the address is the text
_DROP_CMD = re.compile(r"\\(?:cite[tp]?|citep|citet|ref|label|footnote)\s*\{[^{}]*\}")
_ESCAPES = {"\\&": "&", "\\%": "%", "\\_": "_", "\\#": "#", "\\$": "$", "\\{": "{", "\\}": "}"}
_ESCAPE = re.compile(r"\\[&%_#${}]")
_LINEBREAK = re.compile(r"\\\\|\\newline\b|\\par\b")
_BRACED_WORD = re.compile(r"(?<!\\)\{([^{}\\$]*)\}")  # not \{beta}: stripping it would make a macro
_LEFTOVER_MACRO = re.compile(r"\\[A-Za-z]")
# A macro name, or a \\ line break to step over; a one-letter macro without braces (\v S, \"{\i}, \o)
# stays for the fast path, which reads it with the letter after it.
_MACRO_TOKEN = re.compile(r"\\(?:\\|[A-Za-z]{2,}|[A-Za-z](?=\{))")
_BRACKETS = {"{": "}", "[": "]"}
# Private-use characters stand in for math and for converted macros while the text around them is rewritten.
_FIRST_SLOT, _LAST_SLOT = 0xE000, 0xF8FF
_SLOT = re.compile("[\ue000-\uf8ff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ODD_BLANK = re.compile(r"[^\S ]")  # any blank but a plain space
_OLD_STYLE = re.compile(r"\{\\(?:em|bf|it|sc|tt|rm|sf)\s+([^{}]*)\}")
_SPACING_CMD = re.compile(r"\\[,;: !]")
_TIE = re.compile(r"(?<!/)~")  # a LaTeX tie, but not the ~ of a URL like /~user/
_AFFILIATION = re.compile(r"\s*\((?:\d+(?:,\s*\d+)*|[^()]*(?:Univ|Inst|Lab|Dept|College)[^()]*)\)\s*$")
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z.'\-]*(?: [A-Za-z][A-Za-z.'\-]*)*")
_NAME_SUFFIX = re.compile(r"^(?:jr\.?|sr\.?|ii|iii|iv)$", re.IGNORECASE)


def _accent(match: re.Match[str]) -> str:
    groups = match.groups()
    command = groups[0] or groups[3]
    letter = next(g for g in groups[1:3] + groups[4:] if g)
    base = {"\\i": "i", "\\j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", base + _ACCENTS[command])


def _strip_style_commands(text: str) -> str:
    for _ in range(3):  # nested \emph{\textbf{x}}
        text, count = _STYLE_CMD.subn(r"\1", text)
        if not count:
            break
    return text


def _text_latex_to_unicode(text: str) -> str:
    # Each rewrite runs only when its trigger character is present: most text needs none.
    if "\\" in text:
        text = _ACCENT_CMD.sub(_accent, text)
        text = _LETTER_CMD.sub(lambda m: _LETTER_MACROS[m.group(1)], text)
        text = _HREF.sub(r"\1", text)
        text = _BARE_HREF.sub(r"\1", text)
        text = _DROP_CMD.sub("", text)
        text = _OLD_STYLE.sub(r"\1", text)
        text = _strip_style_commands(text)
        if "{" in text:  # \emph{{BERT} rocks}: protective braces first, then the command
            text = _strip_style_commands(_BRACED_WORD.sub(r"\1", text))
        text = _LINEBREAK.sub(" ", text)
        text = _SPACING_CMD.sub(" ", text)
    if "`" in text or "''" in text:
        text = text.replace("``", "\u201c").replace("''", "\u201d")
    if "--" in text:
        text = text.replace("---", "\u2014").replace("--", "\u2013")
    if "~" in text:
        text = _TIE.sub(" ", text)
    for _ in range(3):  # {BERT} -> BERT: protective braces, doubled by biblatex exporters ({{BERT}})
        if "{" not in text:
            break
        text, count = _BRACED_WORD.subn(r"\1", text)
        if not count:
            break
    if "\\" in text:
        text = _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text)
    return text


def _needs_latex(text: str) -> bool:
    # Plain substring tests (memchr) are several times faster than one regex search here.
    return "\\" in text or "{" in text or "~" in text or "`" in text or "''" in text or "--" in text


def _collapse_whitespace(text: str) -> str:
    # Two blanks in a row are two spaces or include another blank: a substring test and a one-class
    # regex, about three times faster than one regex with both branches.
    if "  " in text or _ODD_BLANK.search(text) or text[:1].isspace() or text[-1:].isspace():
        return " ".join(text.split())
    return text


def _split_math(text: str) -> list[str]:
    """[text, math, text, math, ..., text]: math segments sit at odd indexes, kept verbatim.

    Plain regexes without look-behind: an escaped dollar is swapped out first instead, which
    keeps this about ten times faster on abstracts full of math.
    """
    if "\\$" in text:
        text = text.replace("\\$", _ESCAPED_DOLLAR)
    if "\\(" in text or "\\[" in text:
        return _ANY_MATH.split(text)
    return _DOLLAR_MATH.split(text) if "$" in text else [text]


def split_math(text: str) -> list[str]:
    """[text, math, text, ...] as clean_text tells them apart (math at odd indexes), each piece as written:
    for a writer that escapes the text around math and must leave the math alone (citations/bibtex_text.py)."""
    return [part.replace(_ESCAPED_DOLLAR, "\\$") for part in _split_math(text)]


def _join(texts: list[str], maths: list[str]) -> str:
    """Text and math segments interleaved again, each escaped dollar back as its side writes it."""
    pieces = [texts[0].replace(_ESCAPED_DOLLAR, "$")]
    for math, text in zip(maths, texts[1:], strict=True):
        pieces += [math.replace(_ESCAPED_DOLLAR, "\\$"), text.replace(_ESCAPED_DOLLAR, "$")]
    return "".join(pieces)


def _arguments_end(text: str, start: int) -> int:
    """Where the brace and bracket groups written right after a macro name (ending at start) end."""
    end = start
    while end < len(text) and text[end] in _BRACKETS:
        opening, closing, depth, index = text[end], _BRACKETS[text[end]], 0, end
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 1  # \{ and \} are characters, not groups
            elif char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if not depth:
                    break
            index += 1
        else:
            return end  # unbalanced: the macro alone
        end = index + 1
    return end


def _ends_a_word(text: str) -> bool:
    return text[-1:].isalnum() or text.endswith(".")


def _read_each_macro(parts: list[str]) -> str | None:
    """The field with each macro and its arguments converted on its own, math kept; None if it cannot be masked.

    Reading each macro alone (by the fast path when that leaves no macro, else by pylatexenc) keeps its
    arguments together: the fast path, rewriting the whole text, would strip the braces after a macro it
    does not know (\\textsuperscript{1} -> \\textsuperscript1). Math is swapped for placeholders first, so a
    macro around math (\\textbf{$x$}) is read whole and the math comes back verbatim.
    """
    texts, maths = parts[::2], parts[1::2]
    if any(_SLOT.search(part) for part in parts) or len(maths) > _LAST_SLOT - _FIRST_SLOT:
        return None
    masked = "".join(text + chr(_FIRST_SLOT + index) for index, text in enumerate(texts[:-1])) + texts[-1]
    pieces, macros, position = [], {}, 0
    while token := _MACRO_TOKEN.search(masked, position):
        slot = _FIRST_SLOT + len(maths) + len(macros)
        if token.group() == "\\\\" or slot > _LAST_SLOT:
            pieces.append(masked[position:token.end()])
            position = token.end()
            continue
        end = _arguments_end(masked, token.end())
        # A bare macro comes with the space after it, which the fast path eats (\ss e -> ße) and
        # pylatexenc's text keeps only after a word (\ours is, \eg the; but \times Sp -> ×Sp, as in LaTeX).
        space = int(end == token.end() and masked.startswith(" ", end))
        converted = _text_latex_to_unicode(masked[token.start():end + space])
        if _LEFTOVER_MACRO.search(converted):
            converted = macro_to_text(masked[token.start():end])
            converted += " " if space and _ends_a_word(converted) else ""
        macros[slot] = converted
        pieces += [masked[position:token.start()], chr(slot)]
        position = end + space
    pieces.append(masked[position:])
    text = "".join(pieces)
    if _needs_latex(text):
        text = _text_latex_to_unicode(text)
    # A regex finds the few slots in C; str.translate would look up every character in a dict.
    text = _SLOT.sub(lambda slot: macros.get(ord(slot.group()), slot.group()), text).replace(_ESCAPED_DOLLAR, "$")
    verbatim = {_FIRST_SLOT + index: math.replace(_ESCAPED_DOLLAR, "\\$") for index, math in enumerate(maths)}
    return _SLOT.sub(lambda slot: verbatim.get(ord(slot.group()), ""), text)


def clean_text(text: str | None) -> str:
    """Collapse whitespace, drop control characters, turn text-mode LaTeX into Unicode, keep math."""
    if not text:
        return ""
    text = _collapse_whitespace(text)
    if _CONTROL.search(text):
        text = " ".join(_CONTROL.sub("", text).split())
    if _needs_latex(text):
        parts = _split_math(text)
        texts = [_text_latex_to_unicode(part) if _needs_latex(part) else part for part in parts[::2]]
        leftover = any("\\" in part and _LEFTOVER_MACRO.search(part) for part in texts)
        reread = _read_each_macro(parts) if leftover else None
        text = _collapse_whitespace(_join(texts, parts[1::2]) if reread is None else reread)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def normalize_author(name: str) -> str:
    """'Hickernell, Fred J.' -> 'Fred J. Hickernell'; LaTeX accents and affiliations removed."""
    if _PLAIN_NAME.fullmatch(name):  # most names need nothing: skip the general path
        return name
    name = _AFFILIATION.sub("", clean_text(name)).strip(" ,;")
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if first and last and not _NAME_SUFFIX.match(first):
            name = f"{first} {last}"
    return name


def normalize_record(record: PaperRecord) -> PaperRecord:
    """Clean a record's text fields; raise InvalidRecord when it cannot become a paper."""
    title = clean_text(record.title)
    if not title:
        raise InvalidRecord("empty title")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidRecord(f"title longer than {MAX_TITLE_CHARS} characters")
    abstract = clean_text(record.abstract)
    if len(abstract) > MAX_ABSTRACT_CHARS:
        raise InvalidRecord(f"abstract longer than {MAX_ABSTRACT_CHARS} characters")
    authors = tuple(a for a in (normalize_author(n) for n in record.authors) if a)
    if len(authors) > MAX_AUTHORS:
        authors = authors[:MAX_AUTHORS]
    categories = tuple(dict.fromkeys(c.strip() for c in record.categories if c and c.strip()))
    arxiv_id, version = record.arxiv_id, record.version
    if arxiv_id is None and record.doi:
        arxiv_id, version = arxiv_id_from_doi(record.doi) or (None, version)
    return replace(record, title=title, abstract=abstract, authors=authors, categories=categories,
                   arxiv_id=arxiv_id, version=version)
