"""The network harvests: each ties one source adapter to ingest.harvest under a resumable name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.http import HttpClient
from paperfeed.ingest import OnBatch, harvest, noop
from paperfeed.models import IngestSummary
from paperfeed.sources import arxiv_api, arxiv_oai, hf_daily

# arXiv's OAI-PMH sets: physics archives sit under "physics:", the others are their own set.
_PHYSICS_ARCHIVES = {
    "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
    "nucl-ex", "nucl-th", "physics", "quant-ph",
}


def oai_set_for(category: str) -> str:
    """'cs.LG' -> 'cs', 'astro-ph.GA' -> 'physics:astro-ph', 'quant-ph' -> 'physics:quant-ph'."""
    archive = category.split(".")[0]
    if archive == "physics":
        return "physics"
    return f"physics:{archive}" if archive in _PHYSICS_ARCHIVES else archive


def oai_sets_for(categories: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(oai_set_for(c) for c in categories))


def harvest_arxiv_oai(
    engine: sa.Engine, client: HttpClient, settings: Settings, *, set_spec: str | None,
    from_date: date | None, until_date: date | None, max_pages: int | None = None, on_batch: OnBatch = noop,
) -> IngestSummary:
    name = f"arxiv-oai:set={set_spec}:from={from_date}:until={until_date}"
    return harvest(
        engine, client, name,
        lambda cursor: arxiv_oai.build_request(
            settings.arxiv_oai_url, set_spec=set_spec, from_date=from_date, until_date=until_date, cursor=cursor
        ),
        lambda body, _cursor: arxiv_oai.parse(body),
        max_pages=max_pages, on_batch=on_batch,
    )


def harvest_arxiv_api(
    engine: sa.Engine, client: HttpClient, settings: Settings, *, id_list: Sequence[str] = (),
    query: str | None = None, page_size: int = 100, max_pages: int | None = None, on_batch: OnBatch = noop,
) -> IngestSummary:
    name = f"arxiv-api:ids={','.join(id_list)}:query={query}"

    def request_for(cursor: str | None):
        return arxiv_api.build_request(
            settings.arxiv_api_url, id_list=id_list, query=query, start=int(cursor or 0), max_results=page_size
        )

    return harvest(
        engine, client, name, request_for,
        lambda body, cursor: arxiv_api.parse(body, start=int(cursor or 0)),
        accept_status=(400,),  # the API explains a bad query in an Atom error feed with HTTP 400
        stop_when_stale=query is not None, max_pages=max_pages, on_batch=on_batch,
    )


def harvest_hf_daily(
    engine: sa.Engine, client: HttpClient, settings: Settings, *, day: date | None = None,
    week: str | None = None, month: str | None = None, limit: int = 50, sort: str | None = None,
    max_pages: int | None = None, on_batch: OnBatch = noop,
) -> IngestSummary:
    name = f"hf-daily:date={day}:week={week}:month={month}:sort={sort}"
    return harvest(
        engine, client, name,
        lambda cursor: hf_daily.build_request(
            settings.hf_api_url, day=day, week=week, month=month, page=int(cursor or 0), limit=limit, sort=sort
        ),
        lambda body, cursor: hf_daily.parse(body, page=int(cursor or 0), limit=limit),
        max_pages=max_pages, on_batch=on_batch,
    )
