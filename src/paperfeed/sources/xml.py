"""What the XML sources (the arXiv API's Atom, OAI-PMH) share: a parse that is safe on hostile bodies
and the text of an element. One home, so a hardening of the parser reaches every source."""

from __future__ import annotations

from lxml import etree

from paperfeed.errors import SourceError


def parse_untrusted_xml(body: bytes, *, root_tag: str, source: str, kind: str) -> etree._Element:
    """The document's root, or SourceError naming `source` when the body is malformed or not `kind`
    (its root is not `root_tag`, in Clark notation: "{namespace}name")."""
    # No entity expansion and no network: the body comes from outside and could be hostile.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{source}: malformed XML: {exc}") from exc
    if root.tag != root_tag:
        raise SourceError(f"{source}: not {kind} (root element {root.tag!r})")
    return root


def element_text(element: etree._Element | None) -> str | None:
    """All the text inside `element` (markup in it dropped), stripped; None for a missing element."""
    if element is None:
        return None
    return "".join(element.itertext()).strip()
