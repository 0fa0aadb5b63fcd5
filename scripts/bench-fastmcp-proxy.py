"""FastMCP's proxy in front of an MCP server on stdio, served on stdio: the peer that
riskkernel-bench measures beside the RiskKernel gateway, on the same upstream.

Usage: python scripts/bench-fastmcp-proxy.py UPSTREAM_COMMAND [ARGS...]

Uses fastmcp's recommended constructor (`create_proxy`, or `FastMCP.as_proxy` on fastmcp 2.x)
over a stdio client transport whose subprocess is kept alive between requests.
"""
import sys

from fastmcp.client.transports import StdioTransport


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: bench-fastmcp-proxy.py UPSTREAM_COMMAND [ARGS...]")
    transport = StdioTransport(command=sys.argv[1], args=sys.argv[2:], keep_alive=True)
    try:
        from fastmcp.server import create_proxy

        proxy = create_proxy(transport, name="fastmcp-proxy")
    except ImportError:  # fastmcp 2.x
        from fastmcp import FastMCP

        proxy = FastMCP.as_proxy(transport, name="fastmcp-proxy")
    proxy.run(transport="stdio", show_banner=False)


if __name__ == "__main__":
    main()
