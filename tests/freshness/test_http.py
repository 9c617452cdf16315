"""Every fetch of the freshness tools ends at its deadline however steadily a server trickles, every run ends at
its own, and no request goes to an address that is not public, not even after a redirect."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from bot.freshness.http import REFUSED, gather_within, is_public, make_client, resolve
from bot.freshness.links import LinkChecker, Verdict
from bot.freshness.news import poll_feeds
from bot.storage.sql.news import NewsStore
from tests.freshness.support import LocalServer, rss
from tests.freshness.test_news import feed

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
PUBLIC = "93.184.216.34"


@contextlib.asynccontextmanager
async def trickling_server(interval: float = 1.0) -> AsyncIterator[str]:
    """A raw HTTP server on 127.0.0.1 that sends its whole answer, status line first, one byte per `interval`."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\n" + b"x" * 40

    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(ConnectionError):
            for byte in answer:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(interval)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/page"
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


async def test_a_link_answered_one_byte_a_second_is_cut_at_the_deadline_and_slow() -> None:
    async with trickling_server() as url, make_client("linkcheck", timeout=2.0, allow_private=True) as client:
        start = time.monotonic()
        result = await LinkChecker(client).check(url, ("src-x",))
        elapsed = time.monotonic() - start
    assert result.verdict is Verdict.SLOW and result.status is None
    assert result.detail == "slow: cut at the 2 s deadline"
    assert 1.9 < elapsed < 4.0


async def test_a_feed_body_sent_one_byte_a_second_is_cut_at_the_deadline(server: LocalServer, news: NewsStore) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        for byte in rss():
            await response.write(bytes([byte]))
            await asyncio.sleep(1.0)
        return response

    trickling = feed("trickle", server.route("/trickle.xml", trickle))
    async with make_client("news", timeout=2.0, allow_private=True) as client:
        start = time.monotonic()
        [outcome], new = await poll_feeds(client, news, [trickling], NOW, within=60.0)
        elapsed = time.monotonic() - start
    assert outcome.line() == "feed trickle: failed: slow: cut at the 2 s deadline"
    assert not new and 1.9 < elapsed < 4.0


async def test_a_run_stops_at_its_own_limit_and_reports_what_was_unfinished_as_slow(
    server: LocalServer, news: NewsStore
) -> None:
    async def stalls(request: web.Request) -> web.Response:
        await server.wait_released()
        return web.Response(text="too late")

    async def good(request: web.Request) -> web.Response:
        return web.Response(body=rss(), content_type="application/rss+xml")

    stalled = server.route("/stalls", stalls)
    async with make_client("news", timeout=30.0, allow_private=True) as client:
        start = time.monotonic()
        results = await LinkChecker(client).check_all(
            {stalled: ("src-s",), server.url("/none"): ("src-n",)}, within=0.5
        )
        feeds = [feed("stalls", stalled), feed("good", server.route("/g", good))]
        outcomes, _ = await poll_feeds(client, news, feeds, NOW, within=0.5)
        elapsed = time.monotonic() - start
    assert [(r.verdict, r.detail) for r in results] == [
        (Verdict.DEAD, "Not Found"),
        (Verdict.SLOW, "unfinished after 0.5 s"),
    ]
    assert [o.line() for o in outcomes] == [
        "feed stalls: failed: slow: unfinished after 0.5 s",
        "feed good: 0 item(s), 0 new",
    ]
    assert elapsed < 3.0


async def test_gather_within_keeps_order_and_cancels_the_unfinished() -> None:
    cancelled = asyncio.Event()

    async def value(n: int, delay: float) -> int:
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return n

    assert await gather_within(0.2, [value(1, 0), value(2, 60), value(3, 0.01)]) == [1, None, 3]
    assert cancelled.is_set()
    assert await gather_within(0.2, []) == []


class Recorder(httpx.AsyncBaseTransport):
    """Stands for the network: records what reaches it; answers with a redirect to `location`."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(302, headers={"Location": self.location})


async def fake_resolve(host: str, port: int) -> list[str]:
    names = {"public.test": [PUBLIC], "split.test": [PUBLIC, "10.1.2.3"]}
    return names[host] if host in names else await resolve(host, port)


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
        "http://localhost:8080/admin",
        "http://10.0.0.5/",
        "https://split.test/",
    ],
)
async def test_a_redirect_to_a_private_address_is_refused_before_any_connection(target: str) -> None:
    network = Recorder(target)
    async with make_client("linkcheck", timeout=5.0, transport=network, resolver=fake_resolve) as client:
        result = await LinkChecker(client).check("https://public.test/story", ("src-x",))
    assert result.verdict is Verdict.DEAD and result.detail == REFUSED == "refused: private address"
    assert result.status is None and result.final_url == "https://public.test/story"  # the target is not shown
    [first] = network.requests  # the redirect's target was never contacted
    assert first.url == httpx.URL(f"https://{PUBLIC}/story")  # sent to the address that was checked
    assert first.headers["Host"] == "public.test" and first.extensions["sni_hostname"] == "public.test"


async def test_a_private_target_is_refused_before_any_request() -> None:
    network = Recorder("https://public.test/")
    async with make_client("linkcheck", timeout=5.0, transport=network, resolver=fake_resolve) as client:
        for url in ("http://127.0.0.1:9/", "http://[::1]/", "https://split.test/x"):
            result = await LinkChecker(client).check(url)
            assert (result.verdict, result.detail) == (Verdict.DEAD, REFUSED)
    assert network.requests == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC, True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("ff02::1", False),
        ("::ffff:a9fe:a9fe", False),
        ("::ffff:127.0.0.1", False),
        ("2002:a9fe:a9fe::1", False),  # 6to4 around 169.254.169.254
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 around 169.254.169.254
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(address) is public
