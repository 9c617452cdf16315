"""`banbot kb links` against a real HTTP server on 127.0.0.1: ok, dead, moved, HEAD refused, slow, refused."""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.freshness.http import make_client, user_agent
from bot.freshness.links import LinkChecker, LinkResult, Verdict, check_knowledge_links, kb_links, source_urls
from bot.knowledge.loader import load_knowledge
from tests.freshness.support import LocalServer, closed_port, write_knowledge


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="fine")


async def check(url: str, *, request_seconds: float = 5.0) -> LinkResult:
    async with make_client("linkcheck", timeout=request_seconds, allow_private=True) as client:
        return await LinkChecker(client).check(url, ("src-x",))


async def test_ok_link_is_checked_with_head_and_our_user_agent(server: LocalServer) -> None:
    url = server.route("/ok", ok)
    result = await check(url)
    assert result.verdict is Verdict.OK and result.status == 200 and result.method == "HEAD"
    [request] = server.seen("/ok")
    assert request.method == "HEAD"
    assert request.headers["User-Agent"] == user_agent("linkcheck")
    assert request.headers["User-Agent"].startswith("banbot-linkcheck/")


async def test_404_is_dead_after_get_confirms_it(server: LocalServer) -> None:
    url = server.url("/missing")  # no route: 404 to HEAD and GET alike
    result = await check(url)
    assert result.verdict is Verdict.DEAD and result.status == 404
    assert [r.method for r in server.seen("/missing")] == ["HEAD", "GET"]


async def test_permanent_redirect_is_moved_with_the_final_url(server: LocalServer) -> None:
    new = server.route("/new", ok)

    async def old(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(location="/new")

    url = server.route("/old", old)
    result = await check(url)
    assert result.verdict is Verdict.MOVED and result.status == 200
    assert result.final_url == new
    assert f"{url} -> {new}" in result.line()


async def test_temporary_redirect_is_followed_and_ok(server: LocalServer) -> None:
    server.route("/landing", ok)

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound(location="/landing")

    result = await check(server.route("/hop", hop))
    assert result.verdict is Verdict.OK
    assert result.final_url == server.url("/landing")


@pytest.mark.parametrize("refusal", [405, 403, 501])
async def test_head_refused_falls_back_to_get(server: LocalServer, refusal: int) -> None:
    async def get_only(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=refusal)
        return web.Response(text="here with GET")

    result = await check(server.route("/get-only", get_only))
    assert result.verdict is Verdict.OK and result.method == "GET" and result.status == 200
    assert [r.method for r in server.seen("/get-only")] == ["HEAD", "GET"]


async def test_refused_to_get_as_well_is_blocked_not_dead(server: LocalServer) -> None:
    async def forbidden(request: web.Request) -> web.Response:
        return web.Response(status=403)

    result = await check(server.route("/bot-wall", forbidden))
    assert result.verdict is Verdict.BLOCKED and result.status == 403


async def test_server_error_is_dead(server: LocalServer) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=503)

    result = await check(server.route("/broken", broken))
    assert result.verdict is Verdict.DEAD and result.status == 503


async def test_a_response_that_does_not_come_in_time_is_slow_with_a_reason(server: LocalServer) -> None:
    async def stalls(request: web.Request) -> web.Response:
        await server.wait_released()
        return web.Response(text="too late")

    result = await check(server.route("/stalls", stalls), request_seconds=0.2)
    assert result.verdict is Verdict.SLOW and result.status is None
    assert result.detail == "slow: cut at the 0.2 s deadline"


async def test_refused_connection_is_dead_with_a_reason() -> None:
    result = await check(f"http://127.0.0.1:{closed_port()}/anything")
    assert result.verdict is Verdict.DEAD and result.status is None
    assert result.detail.startswith("connection error")


async def test_answer_slower_than_the_threshold_is_slow(server: LocalServer) -> None:
    ticks = itertools.count(0.0, 3.0)  # a fake timer: every reading is 3 s after the last

    async with make_client("linkcheck", timeout=5.0, allow_private=True) as client:
        checker = LinkChecker(client, slow_seconds=2.0, timer=lambda: next(ticks))
        result = await checker.check(server.route("/ok", ok))
    assert result.verdict is Verdict.SLOW and result.status == 200


async def test_concurrency_is_bounded(server: LocalServer, tmp_path: Path) -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    urls = {server.route(f"/p{i}", busy): (f"s{i}",) for i in range(6)}
    async with make_client("linkcheck", timeout=5.0, allow_private=True) as client:
        results = await LinkChecker(client, concurrency=1).check_all(urls, within=10.0)
    assert {r.verdict for r in results} == {Verdict.OK}
    assert server.max_in_flight == 1


async def test_transport_is_injectable(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404 if request.url.path == "/x" else 200)

    kb = load_knowledge(write_knowledge(tmp_path / "kb", []))
    results = await check_knowledge_links(
        kb,
        concurrency=2,
        request_seconds=1.0,
        slow_seconds=5.0,
        run_seconds=5.0,
        allow_private=True,
        transport=httpx.MockTransport(handler),
    )
    assert [(r.url, r.verdict, r.sources) for r in results] == [("https://a.example/x", Verdict.DEAD, ("src-a",))]


def test_kb_links_reports_one_line_per_problem_and_fails_only_when_strict(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def old(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(location="/ok")

    sources = [
        {"id": "src-a", "title": "A", "publisher": "Pub A", "url": server.route("/ok", ok)},
        {"id": "src-moved", "title": "M", "publisher": "Pub M", "url": server.route("/old", old)},
        {"id": "src-dead", "title": "D", "publisher": "Pub D", "url": server.url("/gone")},
        {"id": "src-refused", "title": "R", "publisher": "Pub R", "url": f"http://127.0.0.1:{closed_port()}/x"},
    ]
    root = write_knowledge(tmp_path / "kb", sources)
    assert set(source_urls(load_knowledge(root))) == {s["url"] for s in sources}

    assert kb_links(root, timeout=5.0, allow_private=True) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[:-1]] == ["dead", "dead", "moved"]  # worst first, ok links not shown
    assert any("[src-dead]" in line and " 404 " in line for line in out)
    assert any("[src-refused]" in line and "connection error" in line for line in out)
    assert out[-1] == "kb links: 4 URL(s) checked: 1 ok, 0 slow, 1 moved, 0 blocked, 2 dead"

    assert kb_links(root, strict=True, timeout=5.0, allow_private=True) == 1
    capsys.readouterr()
    healthy = write_knowledge(tmp_path / "kb2", [sources[0], sources[1]])
    assert kb_links(healthy, strict=True, timeout=5.0, allow_private=True) == 0  # moved links do not fail --strict


def test_kb_links_with_broken_knowledge_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kb_links(tmp_path / "missing") == 1
    err = capsys.readouterr().err
    assert "knowledge directory not found" in err and "see `banbot kb check`" in err
