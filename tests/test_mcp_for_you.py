"""The MCP `for_you` tool through the SDK's own client, against the streamable HTTP endpoint of a real
server on loopback over the four-topic store (real embeddings): a reader's API token gets their own
ranking with reasons; no token gets an error that says what is needed; another
reader's collection is the error of one that never was."""

from __future__ import annotations

import json

import anyio
import httpx2
import pytest
from mcp.client import ClientSession
from mcp.client.streamable_http import streamable_http_client

from for_you_world import NEW_DAYS, build_world
from paperfeed.config import Settings
from paperfeed.db.api_tokens import create_token
from paperfeed.db.collections import create_collection
from paperfeed.db.library import add_to_collection, save_paper
from paperfeed.db.papers import papers_by_ids
from paperfeed.db.users import create_user
from paperfeed.mcp_server import MCP_PATH
from paperfeed.search.maintenance import update_index
from web_client import build_app, serve, sqlite_engine

WEEK = NEW_DAYS[0].strftime("%G-W%V")


@pytest.fixture
def world(tmp_path, models_dir):
    """(app, ada's token, bob's token, ada's collection id, key -> topic)."""
    with sqlite_engine(tmp_path) as engine:
        ids = build_world(engine)
        update_index(Settings(_env_file=None, data_dir=tmp_path, models_dir=models_dir,
                              database_url=str(engine.url)), engine)
        with engine.begin() as conn:
            ada, bob = create_user(conn, "ada@example.org"), create_user(conn, "bob@example.org")
            proteins = create_collection(conn, ada, "Proteins").id
            for paper_id in ids["galaxies"]["library"][:4]:
                save_paper(conn, ada, paper_id)
            for paper_id in ids["protein"]["library"][:3]:
                save_paper(conn, ada, paper_id)
                add_to_collection(conn, ada, paper_id, proteins)
            for paper_id in ids["economics"]["library"][:4]:
                save_paper(conn, bob, paper_id)
            _, ada_token = create_token(conn, ada, "assistant")
            _, bob_token = create_token(conn, bob, "assistant")
            found = papers_by_ids(conn, [i for parts in ids.values() for i in parts["library"] + parts["new"]])
        topic_of = {found[i].key: topic for topic, parts in ids.items() for i in parts["library"] + parts["new"]}
        yield build_app(engine, tmp_path, models_dir=models_dir), ada_token, bob_token, proteins, topic_of


def conversation(url: str, token: str | None, calls: list[tuple[str, dict]]) -> list:
    """Each call's result (structured content, or the error text) in one session."""
    results = []

    async def talk():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with anyio.fail_after(120):
            await session_calls(headers)

    async def session_calls(headers):
        async with (httpx2.AsyncClient(headers=headers) as client,
                    streamable_http_client(url + MCP_PATH, http_client=client) as (read, write),
                    ClientSession(read, write) as session):
            await session.initialize()
            for tool, arguments in calls:
                result = await session.call_tool(tool, arguments)
                if result.is_error:
                    results.append(("error", result.content[0].text))
                else:
                    assert json.loads(result.content[0].text) == result.structured_content
                    results.append(result.structured_content)

    anyio.run(talk)
    return results


def test_a_readers_token_gets_their_own_ranking_with_reasons(world):
    app, ada_token, bob_token, proteins, topic_of = world
    with serve(app) as url:
        library, collection, page_two = conversation(url, ada_token, [
            ("for_you", {"week": WEEK, "limit": 5}),
            ("for_you", {"week": WEEK, "collection": proteins, "limit": 5}),
            ("for_you", {"week": WEEK, "limit": 5, "offset": 5}),
        ])
        bobs, guessed = conversation(url, bob_token, [
            ("for_you", {"week": WEEK, "limit": 5}),
            ("for_you", {"week": WEEK, "collection": proteins}),
        ])
        (anonymous,) = conversation(url, None, [("for_you", {"week": WEEK})])

    assert (library["state"], library["start"], library["next_offset"]) == ("ready", NEW_DAYS[0].isoformat(), 5)
    assert {topic_of[p["id"]] for p in library["papers"]} <= {"galaxies", "protein"}
    top = library["papers"][0]
    assert top["match"] in ("strong match", "weak match") and "Close to “" in top["reasons"]
    assert top["closest"] and all(topic_of[key] == topic_of[top["id"]] for key in top["closest"])
    assert not {p["id"] for p in page_two["papers"]} & {p["id"] for p in library["papers"]}
    assert collection["collection"] == "Proteins" and {topic_of[p["id"]] for p in collection["papers"]} == {"protein"}
    assert {topic_of[p["id"]] for p in bobs["papers"]} == {"economics"}
    assert guessed[0] == "error" and guessed[1].endswith(f"you have no collection with id {proteins}")
    assert anonymous[0] == "error" and "API token" in anonymous[1]
