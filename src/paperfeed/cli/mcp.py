"""`paperfeed mcp`: the MCP server over stdio, for an assistant that starts it as a subprocess."""

from __future__ import annotations

import typer

from paperfeed.cli.app import app


@app.command("mcp")
def mcp_command(ctx: typer.Context) -> None:
    """Serve paperfeed's tools (search, paper, similar, daily_papers, trending) to an MCP client over stdio.

    The client starts it and talks on stdin/stdout; logs go to stderr. `paperfeed serve` offers the
    same tools over HTTP at /mcp. Example, in an MCP client's configuration:
              {"command": "paperfeed", "args": ["mcp"], "env": {"PAPERFEED_DATA_DIR": "/srv/paperfeed/data"}}
    """
    from paperfeed.mcp_server.tools import build_server
    from paperfeed.web.searcher import LazySearch

    context = ctx.obj
    engine = context.migrated_engine()
    build_server(context.settings, engine, LazySearch(context.settings, engine)).run("stdio")
