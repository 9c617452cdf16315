"""The freshness loop inside the running bot and the CLI: digest task, overdue gauge, kb check/links/news."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.__main__ import main
from bot.app import App
from bot.delivery.ports import Sender
from bot.settings import Settings
from bot.types import Platform
from tests.core.conftest import SAMPLE_ENTRIES, write_kb
from tests.delivery.support import FakeClock, make_settings
from tests.freshness.support import LocalServer, RecordingSender, rss, write_knowledge

MORNING = dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.UTC)


@dataclass
class FakeAdapter:
    """An adapter whose sender records posts: enough for the App to hand the digest a Telegram sender."""

    recorder: RecordingSender = field(default_factory=lambda: RecordingSender(Platform.TELEGRAM))
    connected: bool = True

    @property
    def sender(self) -> Sender:
        return self.recorder

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def settings_for(root: Path, tmp_path: Path, **extra: object) -> Settings:
    db = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    return make_settings(knowledge_dir=root, database_url=db, tick_seconds=3600, **extra)


async def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def test_running_bot_posts_the_digest_to_the_curator_chat(server: LocalServer, tmp_path: Path) -> None:
    story = {"title": "RedNote opens an office", "link": "https://news.test/rn", "guid": "rn"}

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=rss(story), content_type="application/rss+xml")

    root = write_knowledge(tmp_path / "kb", [], feeds=[{"id": "news", "title": "N", "url": server.route("/f", feed)}])
    adapter = FakeAdapter()
    app = App(
        settings_for(root, tmp_path, curator_chat="telegram:-100777", fetch_allow_private=True),
        clock=FakeClock(MORNING),
        adapter_factories={"fake": lambda ctx: adapter},
    )
    await app.start()
    try:
        await wait_until(lambda: bool(adapter.recorder.delivered))
    finally:
        await app.stop()
    [post] = adapter.recorder.delivered
    assert post.chat.chat_id == "-100777" and "RedNote opens an office" in post.reply.text


async def test_digest_is_off_with_a_warning_when_its_platform_does_not_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = write_knowledge(tmp_path / "kb", [], feeds=[{"id": "news", "title": "N", "url": "https://x.test/f"}])
    app = App(
        settings_for(root, tmp_path, curator_chat="discord:123"),
        clock=FakeClock(MORNING),
        adapter_factories={"fake": lambda ctx: FakeAdapter()},
    )
    await app.start()
    await app.stop()
    assert "curator digest off: BANBOT_CURATOR_CHAT is on discord, which is not running" in caplog.text


async def test_metrics_export_how_many_entries_are_overdue(tmp_path: Path) -> None:
    entries = [dict(e) for e in SAMPLE_ENTRIES]
    entries[0]["review_by"] = "2026-11-25"
    entries[1]["review_by"] = "2026-11-26"  # due today: not overdue yet
    root = tmp_path / "kb"
    write_kb(root, entries)
    app = App(
        settings_for(root, tmp_path, health_port=0),
        clock=FakeClock(MORNING),
        adapter_factories={"fake": lambda ctx: FakeAdapter()},
    )
    await app.start()
    try:
        assert app.health is not None
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{app.health.port}/metrics") as response,
        ):
            text = await response.text()
    finally:
        await app.stop()
    values = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    assert values["banbot_knowledge_overdue_entries"] == 1


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[Path], None]:
    for key in list(os.environ):
        if key.startswith("BANBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no .env from the project directory

    def use(root: Path) -> None:
        monkeypatch.setenv("BANBOT_KNOWLEDGE_DIR", str(root))
        monkeypatch.setenv("BANBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")

    return use


def test_kb_check_counts_overdue_entries_and_validates_feeds(
    tmp_path: Path, cli_env: Callable[[Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.core.conftest import write_kb

    entries = [dict(e) for e in SAMPLE_ENTRIES]
    entries[0]["review_by"] = "2020-01-01"
    entries[1]["review_by"] = "2020-06-01"
    root = tmp_path / "kb"
    write_kb(root, entries)
    (root / "feeds.yaml").write_text("feeds:\n  - {id: news, title: News, url: https://news.test/rss}\n")
    cli_env(root)
    assert main(["kb", "check"]) == 0
    out, err = capsys.readouterr()
    assert "; 2 overdue for review" in out and "kb check: feeds.yaml ok, 1 feed(s)" in out
    assert err.splitlines() == [
        f"warning: entry {entries[0]['id']} was due for review on 2020-01-01",
        f"warning: entry {entries[1]['id']} was due for review on 2020-06-01",
    ]

    (root / "feeds.yaml").write_text("feeds:\n  - {id: news, title: News, url: not-a-url, extra: 1}\n")
    assert main(["kb", "check"]) == 1
    err = capsys.readouterr().err
    assert "feeds.yaml: feeds.0.url: Input should be a valid URL" in err
    assert "feeds.yaml: feeds.0.extra: Extra inputs are not permitted" in err


def test_kb_links_and_news_from_the_command_line(
    server: LocalServer,
    tmp_path: Path,
    cli_env: Callable[[Path], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=rss(), content_type="application/rss+xml")

    sources = [{"id": "src-a", "title": "A", "publisher": "A", "url": server.url("/missing")}]
    root = write_knowledge(
        tmp_path / "kb", sources, feeds=[{"id": "news", "title": "N", "url": server.route("/f", feed)}]
    )
    cli_env(root)
    assert main(["kb", "links"]) == 0  # the server is on 127.0.0.1: refused by default, and never asked
    assert "refused: private address" in capsys.readouterr().out
    assert main(["kb", "news"]) == 1
    assert capsys.readouterr().err.strip() == "warning: feed news: failed: refused: private address"
    assert server.requests == []

    monkeypatch.setenv("BANBOT_FETCH_ALLOW_PRIVATE", "true")
    assert main(["kb", "links", "--concurrency", "2", "--timeout", "3", "--max-time", "30"]) == 0
    assert main(["kb", "links", "--strict"]) == 1
    assert "1 dead" in capsys.readouterr().out
    assert main(["kb", "news", "--days", "2", "--limit", "5"]) == 0
    assert capsys.readouterr().out.startswith("kb news: 1 feed(s) polled (0 not modified, 0 failed); 0 item(s)")

    with pytest.raises(SystemExit):
        main(["kb", "links", "--concurrency", "0"])
    assert "must be at least 1" in capsys.readouterr().err
