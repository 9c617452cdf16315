"""`banbot kb news` against feeds served on 127.0.0.1: conditional GET, Atom and RSS, malformed XML, huge bodies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from aiohttp import web

from bot.freshness.feeds import MAX_FEED_BYTES, Feed, FetchStatus, load_feeds
from bot.freshness.http import make_client
from bot.freshness.news import FeedOutcome, kb_news, poll_feeds
from bot.storage.sql.news import NewsStore
from tests.delivery.support import make_settings
from tests.freshness.support import LocalServer, atom, closed_port, rss, write_knowledge

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)

STORY_1 = {
    "title": "RedNote adds a new feature for creators",
    "link": "https://news.example/rednote-creators",
    "guid": "story-1",
    "pubDate": "Tue, 24 Nov 2026 10:00:00 GMT",
    "description": "&lt;b&gt;RedNote&lt;/b&gt; creators get tools",
    "source": "News Example",
    "source_url": "https://news.example",
}
STORY_2 = {
    "title": "TikTok ban debate returns in Congress",
    "link": "https://other.example/tiktok-congress",
    "guid": "story-2",
    "pubDate": "Wed, 25 Nov 2026 08:00:00 GMT",
}


def feed(feed_id: str, url: str) -> Feed:
    return Feed(id=feed_id, title=feed_id, url=url)  # type: ignore[arg-type]


async def poll(news: NewsStore, *feeds: Feed, max_bytes: int = MAX_FEED_BYTES) -> tuple[list[FeedOutcome], set[str]]:
    async with make_client("news", timeout=5.0, allow_private=True) as client:
        outcomes, new = await poll_feeds(client, news, feeds, NOW, within=10.0, max_bytes=max_bytes)
    return list(outcomes), new


async def test_etag_is_sent_back_and_a_304_costs_nothing(server: LocalServer, news: NewsStore) -> None:
    body = rss(STORY_1, STORY_2)

    async def with_etag(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    f = feed("etag-feed", server.route("/etag.xml", with_etag))
    [first], new = await poll(news, f)
    assert first.status is FetchStatus.FETCHED and first.items == 2 and first.new == 2
    assert len(new) == 2
    assert "If-None-Match" not in server.seen("/etag.xml")[0].headers

    [second], new = await poll(news, f)
    assert second.status is FetchStatus.NOT_MODIFIED and not new
    assert server.seen("/etag.xml")[1].headers["If-None-Match"] == '"v1"'
    state = await news.feed_state("etag-feed")
    assert state is not None and state.etag == '"v1"'
    assert len(await news.items_seen_since(NOW - dt.timedelta(days=1))) == 2


async def test_last_modified_is_sent_back_and_changes_bring_only_new_items(
    server: LocalServer, news: NewsStore
) -> None:
    versions = [
        ("Tue, 24 Nov 2026 12:00:00 GMT", rss(STORY_1)),
        ("Wed, 25 Nov 2026 08:00:00 GMT", rss(STORY_1, STORY_2)),
    ]
    current = [0]

    async def dated(request: web.Request) -> web.Response:
        stamp, body = versions[current[0]]
        if request.headers.get("If-Modified-Since") == stamp:
            return web.Response(status=304)
        return web.Response(body=body, content_type="application/rss+xml", headers={"Last-Modified": stamp})

    f = feed("dated", server.route("/dated.xml", dated))
    [first], _ = await poll(news, f)
    assert first.new == 1
    current[0] = 1  # the feed changes
    [second], _ = await poll(news, f)
    assert second.status is FetchStatus.FETCHED and second.items == 2 and second.new == 1
    [third], _ = await poll(news, f)
    assert third.status is FetchStatus.NOT_MODIFIED
    sent = [r.headers.get("If-Modified-Since") for r in server.seen("/dated.xml")]
    assert sent == [None, versions[0][0], versions[1][0]]


async def test_atom_and_rss_both_parse(server: LocalServer, news: NewsStore) -> None:
    entry = {"title": "Xiaohongshu &amp; regulators", "href": "/n/1", "id": "urn:n1", "updated": "2026-11-24T08:00:00Z"}

    async def atom_feed(request: web.Request) -> web.Response:
        return web.Response(body=atom(entry), content_type="application/atom+xml")

    async def rss_feed(request: web.Request) -> web.Response:
        return web.Response(body=rss(STORY_2), content_type="application/rss+xml")

    outcomes, _ = await poll(
        news, feed("atom", server.route("/atom.xml", atom_feed)), feed("rss", server.route("/rss.xml", rss_feed))
    )
    assert [(o.status, o.items) for o in outcomes] == [(FetchStatus.FETCHED, 1), (FetchStatus.FETCHED, 1)]
    items = {s.item.feed_id: s.item for s in await news.items_seen_since(NOW - dt.timedelta(days=1))}
    assert items["atom"].title == "Xiaohongshu & regulators"
    assert items["atom"].url == server.url("/n/1")  # relative link resolved against the feed's URL
    assert items["atom"].published_at == dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    assert items["rss"].url == STORY_2["link"]


async def test_malformed_xml_is_one_clear_line_and_other_feeds_continue(server: LocalServer, news: NewsStore) -> None:
    async def garbage(request: web.Request) -> web.Response:
        return web.Response(body=b"<rss><channel><<<< oops", content_type="application/rss+xml", headers={"ETag": "x"})

    async def good(request: web.Request) -> web.Response:
        return web.Response(body=rss(STORY_1), content_type="application/rss+xml")

    async def html_page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Sign in</body></html>", content_type="text/html")

    outcomes, new = await poll(
        news,
        feed("broken", server.route("/broken.xml", garbage)),
        feed("good", server.route("/good.xml", good)),
        feed("html", server.route("/page", html_page)),
    )
    broken, good_outcome, html_outcome = outcomes
    assert broken.line().startswith("feed broken: failed: malformed XML:")
    assert "\n" not in broken.line()
    assert html_outcome.line() == "feed html: failed: not an RSS or Atom feed"
    assert good_outcome.status is FetchStatus.FETCHED and len(new) == 1
    state = await news.feed_state("broken")
    assert state is not None and state.etag is None  # a bad body's validators are not kept: refetch next time


async def test_a_recoverable_feed_keeps_its_items_and_says_what_was_wrong(server: LocalServer, news: NewsStore) -> None:
    body = rss(STORY_1).replace(b"</channel></rss>", b"<item><title>bad & unescaped</title></item></channel></rss>")

    async def sloppy(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    [outcome], new = await poll(news, feed("sloppy", server.route("/sloppy.xml", sloppy)))
    assert outcome.status is FetchStatus.FETCHED and len(new) == 1
    assert "malformed XML" in outcome.line()


async def test_huge_bodies_are_refused_declared_or_streamed(server: LocalServer, news: NewsStore) -> None:
    async def declared(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (MAX_FEED_BYTES + 1), content_type="application/rss+xml")

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"y" * 10_000)
        await response.write_eof()
        return response

    outcomes, _ = await poll(news, feed("declared", server.route("/declared.xml", declared)))
    assert outcomes[0].line() == "feed declared: failed: body of 2.0 MB refused (limit 2.0 MB)"
    outcomes, _ = await poll(news, feed("streamed", server.route("/streamed.xml", streamed)), max_bytes=50_000)
    assert outcomes[0].line() == "feed streamed: failed: body over 0.0 MB refused"


async def test_http_errors_and_refused_connections_are_one_line_each(server: LocalServer, news: NewsStore) -> None:
    async def down(request: web.Request) -> web.Response:
        return web.Response(status=500)

    refused = feed("refused", f"http://127.0.0.1:{closed_port()}/rss")
    outcomes, _ = await poll(news, feed("down", server.route("/down.xml", down)), refused)
    assert outcomes[0].line() == "feed down: failed: HTTP 500 Internal Server Error"
    assert outcomes[1].line().startswith("feed refused: failed: connection error:")


async def test_the_same_story_from_two_feeds_is_stored_once(server: LocalServer, news: NewsStore) -> None:
    async def one(request: web.Request) -> web.Response:
        return web.Response(body=rss(STORY_2), content_type="application/rss+xml")

    outcomes, new = await poll(news, feed("fa", server.route("/a.xml", one)), feed("fb", server.route("/b.xml", one)))
    assert sum(o.new for o in outcomes) == 1 and len(new) == 1


def test_kb_news_lists_uncovered_items_and_remembers_them(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    covered_url = "https://news.example/covered-story"
    body = rss(
        STORY_1,
        STORY_2,
        {"title": "Old news about the Supreme Court and TikTok", "link": covered_url, "guid": "c"},
        {"title": "Best pizza in Naples", "link": "https://food.example/pizza", "guid": "p"},
    )

    async def feed_with_etag(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == "e1":
            return web.Response(status=304)
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": "e1"})

    sources = [{"id": "src-covered", "title": "C", "publisher": "Pub C", "url": covered_url}]
    root = write_knowledge(
        tmp_path / "kb", sources, feeds=[{"id": "news", "title": "News", "url": server.route("/f", feed_with_etag)}]
    )
    settings = make_settings(
        knowledge_dir=root, database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", fetch_allow_private=True
    )

    assert kb_news(settings, now=NOW) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3, out
    assert out[0].startswith("2026-11-25  new") and "TikTok ban debate returns in Congress" in out[0]
    assert out[1].startswith("2026-11-24  new") and "RedNote adds a new feature for creators — News Example" in out[1]
    assert "<https://news.example/rednote-creators>" in out[1] and "(closest entry rednote-what" in out[1]
    assert out[2] == (
        "kb news: 1 feed(s) polled (0 not modified, 0 failed); 4 item(s) considered, 4 new; "
        "2 not covered, 1 covered, 1 off topic"
    )

    assert kb_news(settings, now=NOW + dt.timedelta(hours=1)) == 0  # 304: the same items, no longer new
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2026-11-25     ") and out[-1].startswith("kb news: 1 feed(s) polled (1 not modified")


def test_kb_news_with_every_feed_failing_exits_1(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_knowledge(tmp_path / "kb", [], feeds=[{"id": "gone", "title": "Gone", "url": server.url("/nothing")}])
    settings = make_settings(
        knowledge_dir=root, database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", fetch_allow_private=True
    )
    assert kb_news(settings, now=NOW) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == "warning: feed gone: failed: HTTP 404 Not Found"


def test_feeds_file_problems_name_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_knowledge(
        tmp_path / "kb",
        [],
        feeds=[
            {"id": "Bad Id", "title": "x", "url": "https://news.example/a"},
            {"id": "dup", "title": "x", "url": "not a url"},
        ],
    )
    settings = make_settings(knowledge_dir=root, database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    assert kb_news(settings, now=NOW) == 1
    err = capsys.readouterr().err
    assert "feeds.yaml: feeds.0.id: String should match pattern" in err
    assert "feeds.yaml: feeds.1.url: Input should be a valid URL" in err
    (root / "feeds.yaml").unlink()
    with pytest.raises(Exception, match="missing"):
        load_feeds(root)


def test_shipped_feeds_file_is_valid() -> None:
    from bot.settings import PROJECT_ROOT

    feeds = load_feeds(PROJECT_ROOT / "knowledge")
    assert {"tiktok-ban", "tiktok-usds", "rednote", "xiaohongshu"} <= {f.id for f in feeds}
