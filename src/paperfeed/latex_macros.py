"""Text for the LaTeX macros that normalize's fast path cannot read, by pylatexenc; never raises.

`macro_to_text()` gets one macro with the brace groups written right after it (`\\textcolor{blue}{code}`),
taken from a title or abstract whose math has already been swapped for placeholder characters. pylatexenc
knows a few thousand macros; for the rest, which in abstracts are mostly the authors' own names for their
method (`\\ours`, `\\sysname{}`), a macro with an argument keeps the argument's text and a macro without one
keeps its name without the backslash, so no word goes missing.
"""

from __future__ import annotations

import logging
import re
from functools import cache, lru_cache

logger = logging.getLogger(__name__)

# name: (argument spec as pylatexenc's walker reads it, replacement text with %s / %(n)s for arguments).
# Citations, references and footnotes go, as in the fast path; the rest are what abstracts use that
# pylatexenc does not know (font switches, CVPR's \eg and \ie, siunitx) or renders for documents
# (<cit.>, <url>) rather than for one line of text.
_TEXT_MACROS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("cite", "citep", "citet", "citealp", "citeauthor", "citeyear"), ("*[[{", "")),
    **dict.fromkeys(("ref", "eqref", "autoref", "cref", "Cref", "label"), ("*{", "")),
    "footnote": ("[{", ""),
    "url": ("{", "%(1)s"),
    "href": ("[{{", ""),  # replaced by _link_text
    "hyperlink": ("{{", ""),
    "textsuperscript": ("{", "%(1)s"),
    "textsubscript": ("{", "%(1)s"),
    **dict.fromkeys(
        ("small", "footnotesize", "scriptsize", "tiny", "normalsize", "large", "Large", "LARGE", "huge", "Huge",
         "em", "it", "bf", "sc", "tt", "rm", "sf", "sl", "bfseries", "itshape", "ttfamily", "rmfamily", "sffamily",
         "scshape", "mdseries", "upshape", "normalfont", "centering", "noindent", "xspace", "relax", "quad",
         "qquad", "hfill", "medskip", "smallskip", "bigskip", "ignorespaces"),
        ("", ""),
    ),
    **dict.fromkeys(("vspace", "hspace", "color", "fontsize"), ("*[{", "")),
    **dict.fromkeys(("newcommand", "renewcommand"), ("*{[[{", "")),
    "eg": ("", "e.g."), "ie": ("", "i.e."), "etal": ("", "et al."), "wrt": ("", "w.r.t."), "vs": ("", "vs."),
    "cf": ("", "cf."), "etc": ("", "etc."),
    "SI": ("[{{", "%(2)s %(3)s"), "si": ("[{", "%(2)s"), "num": ("[{", "%(2)s"),
    "percent": ("", "%"), "degree": ("", "°"), "deg": ("", "°"), "celsius": ("", "°C"),
}
_POSITIONAL = re.compile(r"(?:^|[^%])(?:%%)*%s")  # '%s' rather than '%(1)s' placeholders, as pylatexenc tells them
_LINKS = frozenset({"href", "hyperlink"})
_NAME = re.compile(r"\\(?:(\\)|([A-Za-z]+)(\{\})?)")
_SPECIAL = re.compile(r"(?<!\\)[%&#]|(?<=/)~")  # literal here, but a comment, alignment or parameter to LaTeX
_MACRO = re.compile(r"\\[A-Za-z]+")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}")  # the fast path reads one macro at a time: keep the body


def _link_text(node, l2tobj) -> str:
    """\\href{url}{text} -> text, and a one-argument \\href{url} -> url (pylatexenc's own raises on it)."""
    given = [arg for arg in (node.nodeargd.argnlist if node.nodeargd else []) if arg is not None]
    return l2tobj.nodelist_to_text([given[-1]]) if given else ""


@cache
def _reader():
    """pylatexenc's walker and converter with paperfeed's macros first, and every macro name they know.

    Built on first use (not at import): most runs never meet a macro the fast path leaves.
    """
    from pylatexenc import latexwalker, macrospec
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
    from pylatexenc.latexwalker import LatexMacroNode, LatexWalker

    parse_db = latexwalker.get_default_latex_context_db()
    parse_db.add_context_category(
        "paperfeed", prepend=True, macros=[macrospec.MacroSpec(name, spec) for name, (spec, _) in _TEXT_MACROS.items()]
    )
    text_db = get_default_latex_context_db()
    text_names = {spec.macroname for spec in text_db.iter_macro_specs()}
    # A macro the walker reads arguments for but the converter does not know would vanish with them.
    keep_arguments = [
        MacroTextSpec(spec.macroname, discard=False)
        for spec in parse_db.iter_macro_specs()
        if spec.macroname not in text_names and spec.macroname not in _TEXT_MACROS
    ]
    text_db.add_context_category(
        "paperfeed", prepend=True,
        macros=[MacroTextSpec(name, _link_text if name in _LINKS else text) for name, (_, text) in _TEXT_MACROS.items()]
        + keep_arguments,
    )
    known = text_names | {spec.macroname for spec in parse_db.iter_macro_specs()} | set(_TEXT_MACROS)
    # Spaces as written: LaTeX's rule eats the one after a bare macro ("\ie the" -> "i.e.the").
    class Converter(LatexNodes2Text):
        def apply_simplify_repl(self, node, simplify_repl, what):
            # pylatexenc logs a warning and returns the template ('%s/%s') when its arguments do not fit it;
            # raise instead, so macro_to_text falls back to the arguments' text.
            if not isinstance(simplify_repl, str) or "%" not in simplify_repl or len(simplify_repl) == 1 \
                    or not node.isNodeType(LatexMacroNode):
                return super().apply_simplify_repl(node, simplify_repl, what)
            args = [self._groupnodecontents_to_text(arg) for arg in (node.nodeargd.argnlist if node.nodeargd else [])]
            if _POSITIONAL.search(simplify_repl):
                return simplify_repl % tuple(args)
            return simplify_repl % {str(number): arg for number, arg in enumerate(args, start=1)}

    converter = Converter(text_db, math_mode="verbatim", strict_latex_spaces="based-on-source")

    def to_text(latex: str) -> str:
        nodes = LatexWalker(latex, latex_context=parse_db, tolerant_parsing=True).get_latex_nodes()[0]
        return converter.nodelist_to_text(nodes)

    return to_text, frozenset(known)


def _unknown_macro(match: re.Match[str], known: frozenset[str]) -> str:
    linebreak, name, empty_group = match.groups()
    if linebreak or name in known:
        return match.group(0)
    if not empty_group and match.string.startswith("{", match.end()):
        return ""  # \hl{text}: keep the argument's text
    return name  # \ours, \sysname{}: the authors' name for their method


def _escape_special(match: re.Match[str]) -> str:
    return r"\textasciitilde{}" if match.group(0) == "~" else "\\" + match.group(0)


@lru_cache(maxsize=4096)  # the same few macros recur across abstracts, and pylatexenc takes ~0.3 ms a call
def macro_to_text(latex: str) -> str:
    """`\\textsuperscript{1}` -> '1', `\\ours{}` -> 'ours'; characters that are not LaTeX pass through."""
    to_text, known = _reader()
    latex = _NAME.sub(lambda match: _unknown_macro(match, known), _ENVIRONMENT.sub("", latex))
    if not _MACRO.search(latex) and "{" not in latex:
        return latex
    try:
        return to_text(_SPECIAL.sub(_escape_special, latex))
    except Exception:  # pylatexenc raises on input it cannot read (IndexError, ValueError, ...)
        logger.debug("pylatexenc could not read %r", latex, exc_info=True)
        return _MACRO.sub("", latex).replace("{", "").replace("}", "")
