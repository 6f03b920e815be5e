"""paperfeed as an MCP server for research assistants (the official `mcp` SDK's MCPServer).

Two transports, one server: `paperfeed mcp` speaks stdio (cli/mcp.py), and `paperfeed serve` answers
streamable HTTP at /mcp (endpoint.py, routed by web/app.py). The tools (tools.py) are search,
paper, similar, daily_papers, trending and for_you, over the same library calls as the web pages; their
results (results.py) are typed, so clients get structured content with an output schema.

    from paperfeed.mcp_server.tools import build_server
    build_server(settings, engine, LazySearch(settings, engine)).run("stdio")

A reader's own tools (for_you: their ranking) need their API token: over HTTP the web app's session
middleware has already checked `Authorization: Bearer pf_...` (an unknown one is a 401) and put the
reader on the request's state, where the tool reads it; a session cookie is never taken as a reader
here (no CSRF protects this endpoint). Without a token, as over stdio, the tool says what it needs;
the public tools work without one.
"""

from paperfeed.mcp_server.endpoint import MCP_PATH, McpEndpoint

__all__ = ["MCP_PATH", "McpEndpoint"]
