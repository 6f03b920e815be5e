"""Comment Markdown to safe HTML (web/comment_markup.py): the Markdown and math a reader writes, a
stored-XSS corpus that must come out inert (checked with an HTML parser, not substrings), and the
@mentions found in a comment."""

from __future__ import annotations

import re

import lxml.html
import pytest
from markupsafe import Markup

from paperfeed.web.comment_markup import mentioned_usernames, render_comment

ALLOWED_TAGS = {
    "div",  # the parser's wrapper below
    "p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}, "span": {"class", "data-tex", "data-display"}}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "srcset"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
INVISIBLE = re.compile(r"[\x00-\x20\x7f]")  # browsers drop these anywhere in a URL before reading its scheme


def tree(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html, create_parent="div")


def same_html(html: str, expected: str) -> bool:
    """The same elements, attributes and text: nh3 releases serialize a `<` in an attribute differently."""
    return lxml.html.tostring(tree(html.strip())) == lxml.html.tostring(tree(expected))


def assert_inert(html: str) -> None:
    """Only allowed tags and attributes, no event handler, no URL with a scheme other than http(s)/mailto."""
    for element in tree(html).iter():
        assert isinstance(element.tag, str), f"comment or processing instruction in {html!r}"
        assert element.tag in ALLOWED_TAGS, f"<{element.tag}> in {html!r}"
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{name} in {html!r}"
            assert name in ALLOWED_ATTRIBUTES.get(element.tag, set()), f"{element.tag}[{name}] in {html!r}"
            if name in URL_ATTRIBUTES:
                scheme = SCHEME.match(INVISIBLE.sub("", value).casefold())
                assert scheme is None or scheme.group(1) in {"http", "https", "mailto"}, f"{name}={value!r}"
        if element.tag == "span":
            assert element.get("class") == "math" and element.get("data-tex") is not None, html
        if element.tag == "a":
            assert element.get("rel") == "nofollow ugc noopener", html
            assert element.get("target") is None, html


# Markdown


def test_the_result_is_markup_a_template_does_not_escape_again():
    html = render_comment("*hi*")
    assert isinstance(html, Markup)
    assert str(html) == "<p><em>hi</em></p>\n"


def test_emphasis_strong_strikethrough_and_code():
    html = render_comment("*a* **b** ~~c~~ `d < e`")
    assert str(html) == "<p><em>a</em> <strong>b</strong> <del>c</del> <code>d &lt; e</code></p>\n"


def test_lists_quotes_rules_and_code_blocks():
    html = tree(render_comment("- one\n- two\n\n1. first\n\n> quoted\n\n---\n\n```python\nx = 1 < 2\n```"))
    assert [li.text for li in html.findall("ul/li")] == ["one", "two"]
    assert [li.text for li in html.findall("ol/li")] == ["first"]
    assert html.findtext("blockquote/p") == "quoted"
    assert html.find("hr") is not None
    code = html.find("pre/code")
    assert code.text == "x = 1 < 2\n"
    assert code.get("class") is None  # the fence's language class is not on the allowlist


def test_tables():
    html = tree(render_comment("| a | b |\n|:--|--:|\n| 1 | 2 |"))
    assert [th.text for th in html.findall("table/thead/tr/th")] == ["a", "b"]
    assert [td.text for td in html.findall("table/tbody/tr/td")] == ["1", "2"]
    assert all(cell.get("style") is None for cell in html.iter("th", "td"))


def test_links_are_nofollow_ugc_noopener_without_target():
    html = tree(render_comment('[the paper](https://arxiv.org/abs/2401.00001 "a title") and <mailto:ada@example.org>'))
    first, second = html.findall(".//a")
    assert first.attrib == {"href": "https://arxiv.org/abs/2401.00001", "title": "a title",
                            "rel": "nofollow ugc noopener"}
    assert first.text == "the paper"
    assert second.get("href") == "mailto:ada@example.org"
    assert second.get("rel") == "nofollow ugc noopener"


def test_links_within_the_site_stay():
    html = tree(render_comment("[see](/papers/12) and [above](#comment-3)"))
    assert [a.get("href") for a in html.iter("a")] == ["/papers/12", "#comment-3"]


def test_headings_move_down_two_levels_so_a_comment_never_makes_an_h1_or_h2():
    html = tree(render_comment("# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six"))
    assert [(h.tag, h.text) for h in html] == [("h3", "One"), ("h4", "Two"), ("h5", "Three"), ("h6", "Four"),
                                               ("h6", "Six")]


def test_an_image_shows_as_its_alt_text():
    html = tree(render_comment("before ![a *diagram*](https://example.org/x.png) after"))
    assert html.find(".//img") is None
    assert html.text_content().strip() == "before a diagram after"


def test_raw_html_is_shown_as_written():
    html = tree(render_comment("<b>bold?</b> & <i>"))
    assert html.find(".//b") is None
    assert html.text_content().strip() == "<b>bold?</b> & <i>"


# Math: the spans web/markup.py's rich_text makes for KaTeX


def test_inline_math_is_the_katex_span_with_the_tex_escaped():
    html = str(render_comment("$a<b$"))
    assert same_html(html, '<p><span class="math" data-tex="a&lt;b">$a&lt;b$</span></p>')
    assert not same_html(html, '<p><span class="math" data-tex="a&lt;b">$a&lt;b</span></p>')  # the check can fail


def test_display_math_on_its_own_lines():
    html = str(render_comment("$$\nx < y & z\n$$"))
    assert same_html(html, '<span class="math" data-tex="x &lt; y &amp; z" data-display="true">'
                           "$$x &lt; y &amp; z$$</span>")


def test_display_math_inside_a_paragraph():
    html = str(render_comment("so $$\\sum_i x_i$$ holds"))
    assert same_html(html, '<p>so <span class="math" data-tex="\\sum_i x_i" data-display="true">$$\\sum_i x_i$$</span>'
                           " holds</p>")


def test_math_is_not_markdown():
    span = tree(render_comment("$a_1 * b_2 * c$")).find(".//span")
    assert span.get("data-tex") == "a_1 * b_2 * c"
    assert span.find("em") is None


@pytest.mark.parametrize("text", ["costs $5 and $6", "$ a $", "between 3$ and 4$"])
def test_dollars_that_are_not_math_stay_text(text):
    html = tree(render_comment(text))
    assert html.find(".//span") is None
    assert html.text_content().strip() == text


def test_a_label_after_display_math_stays_text():
    html = tree(render_comment("$$E = mc^2$$ (1)"))
    assert html.find(".//span").get("data-tex") == "E = mc^2"
    assert html.text_content().strip().endswith(" (1)")
    assert html.find(".//a") is None


# Stored XSS: every one of these must render inert

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<iframe src=https://evil.example></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<!-- a comment --><p onclick=alert(1)>x</p>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    # schemes markdown-it lets through: only the sanitizer's url_schemes stop these
    "[x](ftp://files.example/x)",
    "[x](tel:+15551234)",
    "<ms-settings:privacy>",
    "[x](intent://evil#Intent;scheme=http;end)",
    "[x]: javascript:alert(1)\n\n[x]",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "[x](https://ok.example 'it''s \" onclick=alert(1)')",
    "$</span><script>alert(1)</script>$",
    '$" onmouseover="alert(1)$',
    "$$\n</span><img src=x onerror=alert(1)>\n$$",
    "$$</span><svg onload=alert(1)>$$",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "| <script>alert(1)</script> | [x](javascript:alert(1)) |\n|---|---|\n| $\"onmouseover=\"x$ | b |",
    "# <img src=x onerror=alert(1)>",
    "*<svg/onload=alert(1)>*",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<object data=javascript:alert(1)></object><embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button formaction=javascript:alert(1)>x</button></form>",
    "\x00<script>alert(1)</script>",
]


@pytest.mark.parametrize("text", XSS)
def test_hostile_comments_render_inert(text):
    html = str(render_comment(text))
    assert_inert(html)
    parsed = tree(html)
    for tag in ("script", "style", "iframe", "svg", "img", "object", "embed", "form", "math"):
        assert parsed.find(f".//{tag}") is None, (tag, html)


def test_the_inertness_check_itself_catches_what_it_should():
    for bad in ['<a href=" JavaScript:alert(1)" rel="nofollow ugc noopener">x</a>', "<img src=x>",
                '<p onclick="x">x</p>', '<span class="math evil" data-tex="x">x</span>']:
        with pytest.raises(AssertionError):
            assert_inert(bad)


def test_a_javascript_link_shows_as_its_text():
    html = tree(render_comment("[x](javascript:alert(1))"))
    assert html.find(".//a") is None
    assert html.text_content().strip() == "[x](javascript:alert(1))"


def test_math_that_smuggles_html_stays_one_span_holding_the_tex():
    spans = tree(render_comment("$</span><script>alert(1)</script>$")).findall(".//span")
    assert len(spans) == 1
    assert spans[0].get("data-tex") == "</span><script>alert(1)</script>"
    assert spans[0].text == "$</span><script>alert(1)</script>$"


def test_math_that_smuggles_an_attribute_stays_in_data_tex():
    span = tree(render_comment('$" onmouseover="alert(1)$')).find(".//span")
    assert span.attrib == {"class": "math", "data-tex": '" onmouseover="alert(1)'}


def test_a_title_with_quotes_stays_one_attribute():
    link = tree(render_comment('[x](https://ok.example "a\\" onmouseover=\\"alert(1)")')).find(".//a")
    assert link.attrib == {"href": "https://ok.example", "title": 'a" onmouseover="alert(1)',
                           "rel": "nofollow ugc noopener"}


# Mentions


@pytest.mark.parametrize(("text", "names"), [
    ("@ada and @Bob.", ["ada", "bob"]),
    ("@Ada, @ada and @ADA again", ["ada"]),
    ("@carol then @bob then @carol", ["carol", "bob"]),
    ("thanks @bob-smith- and @j.doe...", ["bob-smith", "j.doe"]),
    ("(@ada) **@bob** [@carol](https://example.org)", ["ada", "bob", "carol"]),
    ("mail ada@example.org or x@y", []),
    ("a fediverse @ada@mastodon.social", []),
    ("a path like https://mastodon.social/@ada", []),
    ("<https://mastodon.social/@ada>", []),
    ("`@ada` and ``x @bob``", []),
    ("```\n@ada\n```", []),
    ("    @ada in an indented code block", []),
    ("$@ada$ and $$@bob$$", []),
    ("$$\n@ada\n$$", []),
    ("@" + "a" * 64, ["a" * 64]),
    ("@" + "a" * 65, []),
    ("@ alone, @. and @-x", []),
    ("@_under_score9", ["_under_score9"]),
    ("- @ada\n\n> @bob\n\n# @carol", ["ada", "bob", "carol"]),
])
def test_mentioned_usernames(text, names):
    assert mentioned_usernames(text) == names


def test_a_mention_renders_as_plain_text():
    assert str(render_comment("hi @ada")) == "<p>hi @ada</p>\n"
