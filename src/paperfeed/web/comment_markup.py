"""Reader comments as safe HTML: CommonMark with math, then sanitized; and the @mentions in them. Pure.

The order is parse -> render -> sanitize. markdown-it parses the comment (raw HTML off, so any tag
written in it is text) into tokens, and the tokens are where the structure is decided: headings are
moved down two levels (h1 becomes h3) so a comment cannot out-shout the page's h1 and h2, images
become their alt text, strikethrough is <del>, and math becomes the span the rest of the site gives
KaTeX (`<span class="math" data-tex="TEX">$TEX$</span>`, see web/markup.py). The rendered HTML then
goes through nh3 (ammonia) with a short allowlist. The sanitizer comes last and is the guarantee:
whatever the parser or a render rule gets wrong, only the allowed tags and attributes, and links
to http, https and mailto URLs, reach the page. No escaping rule is written here by hand.

Mentions come from the same tokens, so `@name` in code or math is not a mention.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup
from mdit_py_plugins.dollarmath import dollarmath_plugin

_HEADING_SHIFT = 2  # h1 -> h3, h2 -> h4, ...; h5 and h6 -> h6
_TAGS = {
    "p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "span",
}
_ATTRIBUTES = {"a": {"href", "title"}, "span": {"data-tex"}}
_ATTRIBUTE_VALUES = {"span": {"class": {"math"}, "data-display": {"true"}}}  # only these values
_URL_SCHEMES = {"http", "https", "mailto"}
_LINK_REL = "nofollow ugc noopener"

# A name after `@`, taken greedily; a trailing `.` or `-` ends the sentence, not the name.
_MENTION = re.compile(r"(?<![\w/])@([A-Za-z0-9_][A-Za-z0-9_.-]*)(?![A-Za-z0-9_.@-])")
_MAX_NAME = 64


def _math_span(tex: str, display: bool) -> str:
    if display:
        return str(Markup('<span class="math" data-tex="%s" data-display="true">$$%s$$</span>') % (tex, tex))
    return str(Markup('<span class="math" data-tex="%s">$%s$</span>') % (tex, tex))


def _render_math_inline(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _math_span(tokens[idx].content.strip(), display=False)


def _render_math_display(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _math_span(tokens[idx].content.strip(), display=True)


def _render_math_block(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _math_span(tokens[idx].content.strip(), display=True) + "\n"


def _render_image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """An image shows as its alt text: comments do not load pictures from elsewhere."""
    return escapeHtml(self.renderInlineAsText(tokens[idx].children or [], options, env))


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])
    # Dollars as mathtext.py reads them: no space inside the delimiters and no digit outside, so
    # "costs $5 and $6" stays text; `$$...$$` inside a paragraph is display math, as in abstracts.
    # No labels: `$$x$$ (1)` stays math followed by the text "(1)".
    dollarmath_plugin(md, allow_labels=False, allow_space=False, allow_digits=False, double_inline=True)
    md.add_render_rule("math_inline", _render_math_inline)
    md.add_render_rule("math_inline_double", _render_math_display)
    md.add_render_rule("math_block", _render_math_block)
    md.add_render_rule("image", _render_image)
    return md


def _restyle(tokens: list[Token]) -> list[Token]:
    """Headings moved down, strikethrough as <del> (markdown-it-py writes <s>)."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1:]) + _HEADING_SHIFT)}"
        for child in token.children or ():
            if child.type in ("s_open", "s_close"):
                child.tag = "del"
    return tokens


def render_comment(text: str) -> Markup:
    """The comment's Markdown as sanitized HTML, ready for a template."""
    md = _parser()
    html = md.renderer.render(_restyle(md.parse(text)), md.options, {})
    return Markup(nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        url_schemes=_URL_SCHEMES,
        link_rel=_LINK_REL,
    ))


def mentioned_usernames(text: str) -> list[str]:
    """The `@name`s in the comment's prose, case-folded, in order of first appearance, each once.

    Not a mention: `@` after a word character or a slash (an email address, a URL's path), a name
    followed by another `@` (someone on another server), a name longer than 64 characters, and
    anything in code, math or an autolink.
    """
    names: dict[str, None] = {}
    for block in _parser().parse(text):
        in_autolink = False
        for token in block.children or ():
            if token.type == "link_open" and token.markup == "autolink":
                in_autolink = True
            elif token.type == "link_close":
                in_autolink = False
            elif token.type == "text" and not in_autolink:
                for match in _MENTION.finditer(token.content):
                    name = match.group(1).rstrip(".-")
                    if len(name) <= _MAX_NAME:
                        names.setdefault(name.casefold())
    return list(names)
