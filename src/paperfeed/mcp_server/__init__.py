"""paperfeed as an MCP server for research assistants (the official `mcp` SDK's MCPServer).

Two transports, one server: `paperfeed mcp` speaks stdio (cli/mcp.py), and `paperfeed serve` answers
streamable HTTP at /mcp (endpoint.py, routed by web/app.py). The tools (tools.py) are search,
paper, similar, daily_papers and trending, over the same library calls as the web pages; their
results (results.py) are typed, so clients get structured content with an output schema.

    from paperfeed.mcp_server.tools import build_server
    build_server(settings, engine, LazySearch(settings, engine)).run("stdio")

Extension point, for a reader authenticated by an API token: a reader's library and "For you" list
do not exist yet. Over HTTP the web app's session middleware has already checked the
`Authorization: Bearer pf_...` token (an unknown one is a 401) and put the reader on the request's
state; tools such as `library` and `for_you` will read it from `ctx.request_context.request` and answer
"needs an API token" when there is none. Public tools work without a token. Over stdio there are no
headers: the process already holds the store, so a reader would be named on the command line.
"""

from paperfeed.mcp_server.endpoint import MCP_PATH, McpEndpoint

__all__ = ["MCP_PATH", "McpEndpoint"]
