"""The MCP server as an assistant meets it, through the SDK's own client: `paperfeed mcp` as a subprocess
over stdio, and the streamable HTTP endpoint of a real `serve`-style server on loopback. The store holds
a few papers with daily listings and a keyword-only index (no embedding model needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from factories import make_record
from paperfeed.config import Settings
from paperfeed.db import migrate
from paperfeed.db.api_tokens import create_token
from paperfeed.db.engine import make_engine
from paperfeed.db.listings import upsert_listings
from paperfeed.db.papers import upsert_papers
from paperfeed.db.users import create_user
from paperfeed.mcp_server import MCP_PATH
from paperfeed.models import Listing
from paperfeed.search import SearchService, update_index
from web_client import build_app, serve

CONSOLE_SCRIPT = Path(sys.executable).parent / "paperfeed"
SITE = "http://127.0.0.1:8000"  # Settings' default base_url: the links the tools give
TOOLS = {"search", "paper", "similar", "daily_papers", "trending", "for_you"}
MONDAY, TUESDAY = date(2024, 5, 6), date(2024, 5, 7)

PAPERS = [  # (record fields, listing day, upvotes, submitted by)
    (dict(arxiv_id="1706.03762", title="Attention Is All You Need", published_on=date(2017, 6, 12),
          authors=("Ashish Vaswani", "Noam Shazeer"), categories=("cs.CL", "cs.LG"),
          pdf_url="https://arxiv.org/pdf/1706.03762"), MONDAY, 10, "ak"),
    (dict(arxiv_id="1810.04805", title="BERT: Pre-training of Deep Bidirectional Transformers",
          abstract="We introduce BERT, a language representation model built on transformers.",
          published_on=date(2018, 10, 11), authors=("Jacob Devlin", "Ming-Wei Chang"), categories=("cs.CL",)),
     MONDAY, 25, None),
    (dict(arxiv_id="2006.11239", title="Denoising Diffusion Probabilistic Models",
          abstract="High quality image synthesis with diffusion probabilistic models.",
          published_on=date(2020, 6, 19), authors=("Jonathan Ho", "Ajay Jain", "Pieter Abbeel"),
          categories=("cs.LG", "stat.ML")), TUESDAY, 3, None),
    (dict(arxiv_id="2010.11929", title="An Image is Worth 16x16 Words: Transformers for Image Recognition",
          abstract="Transformers applied directly to sequences of image patches.", published_on=date(2020, 10, 22),
          authors=("Alexey Dosovitskiy",), categories=("cs.CV",)), None, 0, None),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Settings and engine of a store with PAPERS, their listings and a keyword index."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("mcp") / "data")
    settings.data_dir.mkdir()
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        ids = upsert_papers(conn, [make_record(**fields) for fields, *_ in PAPERS]).paper_ids
        upsert_listings(conn, [Listing(paper_id, day, "hf-daily", submitted_by=by, upvotes=upvotes)
                               for paper_id, (_, day, upvotes, by) in zip(ids, PAPERS, strict=True) if day])
    update_index(settings, engine, semantic=False)
    yield settings, engine
    engine.dispose()


async def call(session: ClientSession, tool: str, **arguments):
    """A tool's structured result, after checking its text block says the same (clients that read
    only text get the same data)."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def ids(result) -> list[str]:
    return [paper["id"] for paper in result["papers"]]


def test_stdio_server_lists_its_tools_and_answers_them(store, tmp_path):
    settings, _ = store
    server = StdioServerParameters(command=str(CONSOLE_SCRIPT), args=["mcp"], cwd=tmp_path,
                                   env={"PAPERFEED_DATA_DIR": str(settings.data_dir)})

    async def conversation():
        with (tmp_path / "stderr.log").open("w") as errlog, anyio.fail_after(60):
            async with stdio_client(server, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                tools = {tool.name: tool for tool in (await session.list_tools()).tools}
                assert set(tools) == TOOLS
                assert all(tool.output_schema and tool.annotations.read_only_hint for tool in tools.values())

                # search: the web search's filters, its order, pages that say where the next one starts
                found = await call(session, "search", query="transformers", categories=["cs.CL"],
                                   since="2018-01-01")
                assert ids(found) == ["1810.04805"]  # Attention (2017) is before `since`, ViT is cs.CV
                assert found["papers"][0]["url"] == f"{SITE}/papers/1810.04805"
                assert "abstract" not in found["papers"][0]  # lists are compact unless asked
                assert ids(await call(session, "search", authors=["jonathan  HO"])) == ["2006.11239"]
                first = await call(session, "search", query="transformers", limit=1, abstracts=True)
                assert first["next_offset"] == 1 and first["papers"][0]["abstract"]
                second = await call(session, "search", query="transformers", limit=1, offset=1)
                assert ids(second) != ids(first)

                # paper: any form of its id, everything a reader needs to cite and open it
                paper = await call(session, "paper", id="1706.03762v5")
                assert paper["title"] == "Attention Is All You Need"
                assert paper["authors"] == ["Ashish Vaswani", "Noam Shazeer"]
                assert paper["upvotes"] == 10 and paper["categories"] == ["cs.CL", "cs.LG"]
                assert paper["url"] == f"{SITE}/papers/1706.03762"
                assert paper["pdf_url"] == "https://arxiv.org/pdf/1706.03762"
                assert paper["published"] == "2017-06-12" and paper["abstract"]

                # daily papers of a day (most upvotes first) and of its week
                monday = await call(session, "daily_papers", date=MONDAY.isoformat())
                assert (monday["period"], monday["total"]) == ("2024-05-06", 2)
                assert ids(monday) == ["1810.04805", "1706.03762"]
                assert monday["papers"][1]["featured_by"] == "ak"
                week = await call(session, "daily_papers", week="2024-W19", limit=2)
                assert week["total"] == 3 and week["next_offset"] == 2
                latest = await call(session, "daily_papers")  # by default the latest day with papers
                assert latest["period"] == "2024-05-07" and ids(latest) == ["2006.11239"]

                # trending: ranked by upvotes as of the store's last activity
                hot = await call(session, "trending", window="month")
                assert ids(hot)[:2] == ["1810.04805", "1706.03762"] and hot["papers"][0]["score"] > 0

                similar = await call(session, "similar", id="2010.11929")
                assert similar["papers"] and "2010.11929" not in ids(similar)

                # errors a model can act on: one message, marked as an error
                for tool, arguments, message in [
                    ("paper", {"id": "9999.99999"}, "no paper"),
                    ("daily_papers", {"date": "2024-05-06", "week": "2024-W19"}, "give one of date, week or month"),
                    ("search", {"since": "2024-02-01", "until": "2024-01-01"}, "is after until"),
                ]:
                    result = await session.call_tool(tool, arguments)
                    assert result.is_error and message in result.content[0].text, (tool, result.content)

    anyio.run(conversation)


def test_http_endpoint_of_the_web_app_answers_without_csrf_and_accepts_a_bearer_token(store):
    settings, engine = store
    app = build_app(engine, settings.data_dir, search=SearchService.open(settings, engine))

    with engine.begin() as conn:  # a script's API token (accepted, not required)
        _, secret = create_token(conn, create_user(conn, "mcp@example.org", "mcp"), "assistant")

    async def conversation(url: str):
        headers = {"Authorization": f"Bearer {secret}"}
        async with (httpx2.AsyncClient(headers=headers) as client,
                    streamable_http_client(url + MCP_PATH, http_client=client) as (read, write),
                    ClientSession(read, write) as session):
            await session.initialize()
            assert {tool.name for tool in (await session.list_tools()).tools} == TOOLS
            assert (await call(session, "paper", id="2006.11239"))["upvotes"] == 3
            assert ids(await call(session, "search", query="diffusion")) == ["2006.11239"]

    with serve(app) as url:
        anyio.run(conversation, url)
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        accept = {"Accept": "application/json, text/event-stream"}
        # Not a browser form: no cookie, no CSRF token, and still answered.
        assert httpx.post(url + MCP_PATH, json=message, headers=accept).status_code == 200
        # Another site's page (DNS rebinding, or a browser's cross-site POST) is refused.
        assert httpx.post(url + MCP_PATH, json=message, headers={**accept, "Host": "evil.example"}).status_code == 421
        assert httpx.post(url + MCP_PATH, json=message,
                          headers={**accept, "Origin": "http://evil.example"}).status_code == 403
        # Stateless: no stream to open (a GET would otherwise hold a worker's concurrency slot).
        assert httpx.get(url + MCP_PATH, headers={"Accept": "text/event-stream"}).status_code == 405


def test_the_cli_refuses_an_unmigrated_store_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    result = subprocess.run([str(CONSOLE_SCRIPT), "mcp"], env={**env, "PAPERFEED_DATA_DIR": str(tmp_path)},
                            cwd=tmp_path, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1 and "paperfeed db upgrade" in result.stderr and not result.stdout
