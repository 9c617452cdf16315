"""Test support for the freshness loop: a real HTTP server on 127.0.0.1, a knowledge directory whose sources
and feeds point at it, feed documents, and a sender that records posts.

The server runs its own event loop in a thread, so both async tests and the synchronous CLI functions (which
call asyncio.run) can talk to it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from bot.delivery.ports import Post, SendResult
from bot.types import Platform
from tests.core.conftest import SAMPLE_ENTRIES, write_kb

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class LocalServer:
    """An aiohttp server on a free loopback port; tests add routes with `route()` before or after start."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.release = threading.Event()
        """Slow handlers wait for this (set at shutdown) instead of sleeping for a fixed time."""
        self._routes: dict[str, Handler] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def route(self, path: str, handler: Handler) -> str:
        self._routes[path] = handler
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Seen(request.method, request.path_qs, dict(request.headers)))
        handler = self._routes.get(request.path_qs) or self._routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no such page")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def wait_released(self, seconds: float = 30.0) -> None:
        """For slow handlers: returns when the test ends (or after `seconds`, a safety net)."""
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, seconds)


def serve() -> Iterator[LocalServer]:
    server = LocalServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_knowledge(root: Path, sources: list[dict[str, Any]], feeds: list[dict[str, str]] | None = None) -> Path:
    """The core tests' sample entries, with `sources` (src-a, which they cite, is added if missing)."""
    write_kb(root, SAMPLE_ENTRIES)
    if not any(s["id"] == "src-a" for s in sources):
        sources = [{"id": "src-a", "title": "A", "publisher": "Pub A", "url": "https://a.example/x"}, *sources]
    (root / "sources" / "s.yaml").write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True))
    if feeds is not None:
        (root / "feeds.yaml").write_text(yaml.safe_dump({"feeds": feeds}, allow_unicode=True))
    return root


def rss(*items: dict[str, str]) -> bytes:
    """An RSS 2.0 document; each item may have title, link, guid, pubDate, description, source, source_url."""
    parts = []
    for item in items:
        source = ""
        if "source" in item:
            source = f'<source url="{item.get("source_url", "")}">{item["source"]}</source>'
        fields = "".join(
            f"<{k}>{item[k]}</{k}>" for k in ("title", "link", "guid", "pubDate", "description") if k in item
        )
        parts.append(f"<item>{fields}{source}</item>")
    body = "".join(parts)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title>'
        f"<link>https://news.example/</link><description>test</description>{body}</channel></rss>"
    ).encode()


def atom(*entries: dict[str, str]) -> bytes:
    """An Atom 1.0 document; each entry has title, href (may be relative), id, updated and maybe summary."""
    body = "".join(
        f'<entry><title>{e["title"]}</title><link href="{e["href"]}"/><id>{e["id"]}</id>'
        f"<updated>{e['updated']}</updated><summary>{e.get('summary', '')}</summary></entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom news</title>'
        f"<id>urn:feed</id><updated>2026-11-25T00:00:00Z</updated>{body}</feed>"
    ).encode()


@dataclass
class RecordingSender:
    """A real `Sender`: answers with the scripted results in order (then SENT) and keeps what it was given."""

    platform: Platform
    script: list[SendResult] = field(default_factory=list)
    attempts: list[Post] = field(default_factory=list)
    delivered: list[Post] = field(default_factory=list)

    async def send(self, post: Post) -> SendResult:
        self.attempts.append(post)
        result = self.script.pop(0) if self.script else SendResult.sent()
        if result.status == "sent":
            self.delivered.append(post)
        return result
