"""Normalizing what sources report: whitespace, text-mode LaTeX, math kept verbatim, authors."""

from __future__ import annotations

import unicodedata

import pytest

from factories import make_record
from paperfeed import normalize
from paperfeed.errors import InvalidRecord
from paperfeed.normalize import (
    MAX_ABSTRACT_CHARS,
    MAX_TITLE_CHARS,
    clean_text,
    normalize_author,
    normalize_record,
)

CLEAN_TEXT_CASES = [
    # whitespace: HF and arXiv titles carry hard line breaks and indentation
    ("Scaling for\n  Contrastive Loss", "Scaling for Contrastive Loss"),
    ("  a\t\tb\r\nc  ", "a b c"),
    ("Fast\u00a0Transformers", "Fast Transformers"),  # no-break space, as HTML &nbsp; decodes
    ("line\u2028separator", "line separator"),
    ("page\x0cbreak", "page break"),  # form feed from PDF text: a break, not nothing
    ("", ""),
    (None, ""),
    ("   \n\t ", ""),
    # text-mode LaTeX accents and letters
    (r"G{\"o}del", "Gödel"),
    (r"G\"{o}del", "Gödel"),
    (r"G\"odel", "Gödel"),
    (r"caf\'e", "café"),
    (r"{\'E}cole", "École"),
    (r"\v{S}koda", "Škoda"),
    (r"\v S", "Š"),
    (r"na\"{\i}ve", "naïve"),
    (r"\c{c}a", "ça"),
    (r"Erd\H{o}s", "Erdős"),
    (r"Stra\ss e", "Straße"),
    (r"Stra{\ss}e", "Straße"),
    (r"\AA{}ngstr\"om", "Ångström"),
    (r"\o{}resund", "øresund"),
    # style commands keep their text
    (r"\emph{very} good", "very good"),
    (r"\textbf{bold} and \textit{italic}", "bold and italic"),
    (r"\emph{\textbf{nested}}", "nested"),
    (r"\emph{{BERT} rocks}", "BERT rocks"),  # a protected word inside a style command
    (r"\href{https://x.org}{our code}", "our code"),
    (r"as shown~\cite{vaswani2017} here", "as shown here"),
    # escapes, quotes, ties, dashes, line breaks
    (r"A \& B", "A & B"),
    (r"50\% off", "50% off"),
    (r"snake\_case", "snake_case"),
    (r"``quoted''", "\u201cquoted\u201d"),
    (r"Fig.~3", "Fig. 3"),
    (r"pages 1--2", "pages 1\u20132"),
    (r"yes---no", "yes\u2014no"),
    (r"pages 1--2 of \emph{it}", "pages 1\u20132 of it"),
    (r"affine Kac--Moody algebras $A^{(1)}_1$", r"affine Kac–Moody algebras $A^{(1)}_1$"),
    (r"first\\second", "first second"),
    # math is kept verbatim for KaTeX, text-mode rules do not reach inside it
    (r"in $O(n^2)$ time", r"in $O(n^2)$ time"),
    (r"$$\sum_i x_i$$ total", r"$$\sum_i x_i$$ total"),
    (r"inline \(a+b\) here", r"inline \(a+b\) here"),
    (r"display \[x^2\] here", r"display \[x^2\] here"),
    (r"$a~b$ and c~d", r"$a~b$ and c d"),
    (r"$\{x\}$ and {BERT}", r"$\{x\}$ and BERT"),
    (r"{BERT} and $\mathcal{O}(\{n\})$", r"BERT and $\mathcal{O}(\{n\})$"),
    (r"$x$ \% $y$", r"$x$ % $y$"),
    (r"\[x\] \emph{y} \[z\]", r"\[x\] y \[z\]"),
    # an escaped dollar is not math: LaTeX around it is still converted
    (r"costs \$5 and \emph{more} \$6", "costs $5 and more $6"),
    (r"\$5 and $x^2$ and \emph{y}", r"$5 and $x^2$ and y"),
    # protective braces go outside math
    (r"{BERT} model", "BERT model"),
    (r"{T}ransformers for {NLP}", "Transformers for NLP"),
    # control characters dropped (PostgreSQL refuses NUL in text)
    ("ctrl\x00\x07char\x1b", "ctrlchar"),
    ("a\x7fb", "ab"),
    ("C1\x80\x9bcontrols", "C1controls"),
    # kept as they are
    ("<b>bold</b> &amp; <script>x</script>", "<b>bold</b> &amp; <script>x</script>"),
    ("مرحبا بالعالم", "مرحبا بالعالم"),
    ("emoji 🚀 and 👩\u200d👩\u200d👧 family", "emoji 🚀 and 👩\u200d👩\u200d👧 family"),
    ("深度学习 𝔘nicode", "深度学习 𝔘nicode"),
    ("It's fine", "It's fine"),
    ("see https://www.cs.toronto.edu/~kriz/cifar.html", "see https://www.cs.toronto.edu/~kriz/cifar.html"),
    # NFC
    ("Go\u0308del", "G\u00f6del"),
    ("cafe\u0301 {x}", "caf\u00e9 x"),
    # found in the sample: dashes without other LaTeX, URLs with ~, old-style and spacing commands
    ("pages 1--2 and yes---no", "pages 1\u20132 and yes\u2014no"),
    (r"affine Kac--Moody algebras $A^{(1)}_1$", "affine Kac\u2013Moody algebras $A^{(1)}_1$"),
    ("see https://x.org/~kriz/c.html and Fig.~2", "see https://x.org/~kriz/c.html and Fig. 2"),
    (r"\emph{{BERT} rocks}", "BERT rocks"),
    (r"{\em emphasised} and {\bf bold}", "emphasised and bold"),
    (r"e.g.\ this, 5\,km", "e.g. this, 5 km"),
    ("C1\x85control\x9fchars", "C1 controlchars"),  # NEL is a line break; others go
    # issue 10: macros the fast path left raw (\hrefhttps://..., \textsuperscript1, \textquotedblleft)
    (r"see \href{https://github.com/x/y} for code", "see https://github.com/x/y for code"),
    (r"A\textsuperscript{3}T and \textsuperscript{1}Univ", "A3T and 1Univ"),
    (r"BLEU\textsubscript{3.1} and ROUGE", "BLEU3.1 and ROUGE"),
    (r"\textquotedblleft hi\textquotedblright{} there", "\u201chi\u201d there"),
    (r"code at \textcolor{blue}{https://github.com/x/y}.", "code at https://github.com/x/y."),
    (r"Project page: \hyperlink{https://x.github.io/}{this https URL}.", "Project page: this https URL."),
    (r"promoting \{beta}-arrestin", "promoting {beta}-arrestin"),  # an escaped brace is not stripped into \beta
    # found in the sample: read by pylatexenc, macro by macro, math still verbatim
    (r"the \textit{AI-\textbf{$45^{\circ}$} Law} as", r"the AI-$45^{\circ}$ Law as"),  # a macro around math
    (r"\mbox{$\mathcal{NP}$-hard}", r"$\mathcal{NP}$-hard"),
    (r"here: \href{this https URL}{\small \textcolor{blue}{Code}}", "here: Code"),
    (r"360{\deg} rotation, copies/{\mu}L", "360° rotation, copies/μL"),
    (r"SOTOPIA-{\Omega} and {\delta}-Unlearning", "SOTOPIA-Ω and δ-Unlearning"),
    (r"GL(l,F)\times Sp(2n-2l,F) is", "GL(l,F)×Sp(2n-2l,F) is"),  # a bare symbol takes the space, as in LaTeX
    (r"(0.05\textdegree{} $\times$ 0.05\textdegree{})", r"(0.05° $\times$ 0.05°)"),
    (r"up to \SI{89}{\times} faster, \SI{86.71}{\percent} and \num{36000} tiles",
     "up to 89 × faster, 86.71 % and 36000 tiles"),
    (r"methods (\eg, generating), \ie unbalanced \etal", "methods (e.g., generating), i.e. unbalanced et al."),
    (r"a \begin{equation}x=1\end{equation} b", "a x=1 b"),
    (r"{\it \textbf{first}} large-scale", "first large-scale"),
    # the authors' own macros: one without an argument keeps its name, one with an argument its text
    (r"our model \ours outperforms", "our model ours outperforms"),
    (r"we propose \name{} for, termed \textit{\textbf{\ourmethod{}}} which",
     "we propose name for, termed ourmethod which"),
    (r"\hl{key} words", "key words"),
    # the rest of such a field reads as the fast path reads it: escapes, math, ties, URLs, citations
    (r"\ours costs \$5, 50\% of $x\$y$ and 50% \& more", r"ours costs $5, 50% of $x\$y$ and 50% & more"),
    (r"\hl{50% of a & b #1} the", "50% of a & b #1 the"),  # a literal % is no comment here
    (r"\hl{see https://x.org/~u/}", "see https://x.org/~u/"),
    (r"\ours~\cite{x} and Fig.~2", "ours and Fig. 2"),
    (r"Stra\ss e \ours", "Straße ours"),
    (r"\v S and \ours", "Š and ours"),
    # malformed LaTeX: never raises, nothing pylatexenc-shaped ('%s/%s') left behind, no file read
    (r"(R_{o} = \frac{L}π), the", "(R_o = Lπ), the"),
    (r"\textbf{unclosed and \ours", "{unclosed and ours"),
    (r"}}} \ours {{{", "}}} ours {{{"),
    (r"\input{/etc/passwd} x", "x"),
    (r"\href{", "{"),
]


@pytest.mark.parametrize(("raw", "expected"), CLEAN_TEXT_CASES)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [case for case in CLEAN_TEXT_CASES if case[1]])
def test_a_field_read_macro_by_macro_reads_the_rest_as_the_fast_path(raw, expected):
    # \ours is a macro the fast path leaves, so the whole field takes the slow road: it must agree.
    assert clean_text(raw + r" \ours") == expected + " ours"


def test_fields_the_fast_path_reads_never_reach_pylatexenc(monkeypatch):
    def refuse(latex):
        raise AssertionError(f"pylatexenc asked for {latex!r}")

    monkeypatch.setattr(normalize, "macro_to_text", refuse)
    assert clean_text(r"G{\"o}del \emph{very} \href{https://x.org}{our code} $\mathcal{O}(n)$ 50\% ``q''") == (
        "Gödel very our code $\\mathcal{O}(n)$ 50% \u201cq\u201d"
    )
    assert clean_text(r"see \href{https://x.org} and A\textsuperscript{3}T \textquotedblleft x") == (
        "see https://x.org and A3T \u201cx"
    )


@pytest.mark.parametrize(
    "raw",
    [r"\frac{L}π", r"\href{a}{", r"\begin{x", r"\item[", r"\verb|x|", r"\def\a#1{#1} \a{b}",
     r"\newenvironment{x}{y}{z}", r"\csname x\endcsname", r"\left( \right.", r"\^{}", "\\",
     "{" * 500 + r"\ours" + "}" * 500, r"\textbf{" * 300, r"\ours " * 7_000],
    ids=["frac", "href", "begin", "item", "verb", "def", "newenvironment", "csname", "left", "caret", "backslash",
         "deep-braces", "unclosed-many", "more-macros-than-slots"],
)
def test_clean_text_never_raises_on_malformed_latex(raw):
    text = clean_text(raw)
    assert "%s" not in text and "%(" not in text
    assert clean_text(text) is not None


def test_clean_text_output_is_nfc_and_idempotent():
    raw = r"Schr\"odinger's $\psi$ and {\'E}cole -- ``quoted'' e\u0301"
    once = clean_text(raw)
    assert unicodedata.is_normalized("NFC", once)
    assert clean_text(once) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ashish Vaswani", "Ashish Vaswani"),
        ("Smith, John", "John Smith"),
        ("Hickernell, Fred J.", "Fred J. Hickernell"),
        ("Ng, A. Y.", "A. Y. Ng"),
        ("O'Neil, Cathy", "Cathy O'Neil"),
        ("de la Cruz, Maria", "Maria de la Cruz"),
        ("Müller, Hans", "Hans Müller"),
        ("Smith, Jr.", "Smith, Jr."),  # a suffix is not a first name
        ("Smith, III", "Smith, III"),
        ("John Smith (1)", "John Smith"),
        ("John Smith (1, 2)", "John Smith"),
        ("Smith, J. (1)", "J. Smith"),
        ("Jane Doe (Stanford University)", "Jane Doe"),
        (r"G{\"o}del, Kurt", "Kurt Gödel"),
        (r"Erd\H{o}s, Paul", "Paul Erdős"),
        ("  Spaced \n  Name ", "Spaced Name"),
        ("李 伟", "李 伟"),
        ("", ""),
    ],
)
def test_normalize_author(raw, expected):
    assert normalize_author(raw) == expected


def test_normalize_record_cleans_every_text_field():
    record = normalize_record(make_record(
        title="Scaling for\n  {Contrastive} Loss",
        abstract=r"We study $O(n^2)$ \emph{things}.",
        authors=(r"G{\"o}del, Kurt", "  ", "Smith, John (1)"),
        categories=(" cs.LG", "cs.CL", "cs.LG", "", "stat.ML", "cs.CL"),
    ))
    assert record.title == "Scaling for Contrastive Loss"
    assert record.abstract == r"We study $O(n^2)$ things."
    assert record.authors == ("Kurt Gödel", "John Smith")  # the blank name is dropped
    assert record.categories == ("cs.LG", "cs.CL", "stat.ML")  # duplicates gone, order kept
    assert (record.arxiv_id, record.source) == ("1706.03762", "jsonl")  # identity untouched


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"title": ""}, "empty title"),
        ({"title": "  \n\t "}, "empty title"),
        ({"title": "\x00\x01"}, "empty title"),
        ({"title": "x" * (MAX_TITLE_CHARS + 1)}, "title longer"),
        ({"abstract": "x" * (MAX_ABSTRACT_CHARS + 1)}, "abstract longer"),
        ({"abstract": "word " * 200_000}, "abstract longer"),  # 1 MB
    ],
)
def test_normalize_record_rejects(overrides, reason):
    with pytest.raises(InvalidRecord, match=reason):
        normalize_record(make_record(**overrides))


def test_normalize_record_accepts_the_limits():
    record = normalize_record(
        make_record(title="t" * MAX_TITLE_CHARS, abstract="a" * MAX_ABSTRACT_CHARS)
    )
    assert (len(record.title), len(record.abstract)) == (MAX_TITLE_CHARS, MAX_ABSTRACT_CHARS)
