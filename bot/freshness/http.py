"""The one way freshness tools build an HTTP client: our user agent, timeouts, redirects followed.

The transport is injectable so tests can hand in `httpx.MockTransport`; the default is httpx's own.
"""

from __future__ import annotations

import httpx

from bot import __version__

PROJECT_HINT = "+banbot, a TikTok-law Q&A bot; see its knowledge/README.md"
"""Tells a site operator reading their logs what is calling and why."""


def user_agent(tool: str) -> str:
    """For example "banbot-linkcheck/0.1.0 (+…)": names the tool, its version and where to learn more."""
    return f"banbot-{tool}/{__version__} ({PROJECT_HINT})"


def make_client(
    tool: str,
    *,
    timeout: float,
    max_connections: int = 10,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient that follows redirects (each response keeps its `history`) and times out per request."""
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent(tool)},
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=10,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        transport=transport,
    )
