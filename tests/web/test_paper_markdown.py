"""A paper as Markdown (/papers/{id}.md): whatever the stored text holds, a CommonMark parser
(markdown-it-py) reads one title heading, one list of facts and the abstract's paragraphs, with the
text as written and no HTML, link or image made from it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import lxml.html
import pytest
from markdown_it import MarkdownIt

from factories import make_paper
from paperfeed.web.cards import Card
from paperfeed.web.paper_markdown import paper_markdown

PAGE = "https://papers.example.org/papers/2405.00001"
HOSTILE_TITLES = [
    "A plain title",
    "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for\n  Contrastive Loss",
    "Title\n# Not a second heading\n\n- nor a list",
    "Ends with its own closing sequence ##",
    "<script>alert(1)</script> <img src=x onerror=alert(1)> <!-- comment -->",
    "[click](javascript:alert(1)) ![pixel](https://evil.example/p.png) <https://evil.example>",
    "An escape written in the text: \\<b>bold\\</b> and \\[x\\](y)",
    "1. Starts like a list",
    "> starts like a quote",
    "```fenced",
    "---",
    "",
]
HOSTILE_ABSTRACT = "\n\n".join([
    "First paragraph, hard-wrapped\n  with indentation\n    four spaces deep.",
    "- not a list item",
    "2024. A year, not item 2024 of a list",
    "> not a quote",
    "```\nnot code\n```",
    "    not an indented code block",
    "<div>not an HTML block</div>",
    "===",
    "| not | a table |\n|---|---|",
    "# not a heading either",
    "[a link](https://evil.example) that is only text",
])


def card_for(title: str, abstract: str, **fields) -> Card:
    paper = make_paper(1, title=title, abstract=abstract, **fields)
    return Card(paper, upvotes=3, submitted_by="ada", submitted_at=datetime(2024, 10, 23, 8, tzinfo=UTC))


def parsed(markdown: str):
    parser = MarkdownIt("commonmark")
    return parser.parse(markdown), lxml.html.fromstring(f"<div>{parser.render(markdown)}</div>")


def folded(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_the_title_is_one_heading_and_the_abstract_its_paragraphs_as_written(title):
    markdown = paper_markdown(card_for(title, HOSTILE_ABSTRACT), PAGE)
    tokens, html = parsed(markdown)

    kinds = {token.type for token in tokens} | {child.type for token in tokens for child in token.children or ()}
    assert not kinds & {"html_block", "html_inline", "link_open", "image", "code_block", "fence", "hr",
                        "blockquote_open", "ordered_list_open"}
    assert [el.text_content() for el in html.xpath("//h1")] == [folded(title)]
    assert [el.text_content() for el in html.xpath("//h2")] == ["Abstract"]
    assert len(html.xpath("//ul")) == 1  # the facts, and no list made of the text
    abstract = [el.text_content() for el in html.xpath("//h2/following-sibling::p")]
    assert abstract == [folded(part) for part in HOSTILE_ABSTRACT.split("\n\n")]


def test_the_facts_name_the_paper_its_links_and_who_featured_it():
    card = card_for("Title", "Abstract.", version=2, code_url="https://github.com/org/repo",
                    project_url="javascript:alert(1)", pdf_url="https://arxiv.org/pdf/2405.00001v2")
    _, html = parsed(paper_markdown(card, PAGE))

    facts = dict(re.match(r"(.+?): (.*)", item.text_content()).groups() for item in html.xpath("//ul/li"))
    assert facts["arXiv"] == "2405.00001 (version 2)"
    assert facts["Authors"] == "Ashish Vaswani, Noam Shazeer"
    assert facts["Upvotes"] == "3"
    assert facts["Featured on the daily feed"] == "2024-10-23, submitted by ada"
    assert facts["Code"] == "https://github.com/org/repo"
    assert facts["PDF"] == "https://arxiv.org/pdf/2405.00001v2"
    assert facts["On this site"] == PAGE
    assert "Project page" not in facts  # only http(s) links are given


def test_math_keeps_its_form_and_a_url_cannot_be_bent():
    card = card_for("Bounds on $x_i^*$", r"We show $a_{ij} < b_{ij}$ and \[x\]. A sum $\sum_i x_i$.",
                    code_url="https://github.com/org/repo?q=<b>[x]")
    markdown = paper_markdown(card, PAGE)

    assert "# Bounds on $x_i^*$" in markdown
    assert r"We show $a_{ij} \< b_{ij}$ and \\\[x\\\]. A sum $\sum_i x_i$." in markdown
    assert "https://github.com/org/repo?q=%3Cb%3E%5Bx%5D" in markdown
