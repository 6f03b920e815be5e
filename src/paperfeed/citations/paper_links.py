"""The link an export gives for a paper: its arXiv abstract page, else the abstract page its source named."""

from __future__ import annotations

from paperfeed.models import Paper


def paper_url(paper: Paper) -> str | None:
    """arXiv's page for an arXiv paper (what a reader's library expects to open); otherwise the stored
    http(s) link, never another scheme."""
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.abs_url and paper.abs_url.strip().lower().startswith(("https://", "http://")):
        return paper.abs_url.strip()
    return None
