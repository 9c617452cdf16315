"""Knowledge hot reload: valid edits take effect without a restart; invalid ones keep the last good knowledge."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.app import App
from bot.engine.holder import MAX_LOGGED_PROBLEMS, KnowledgeHolder
from bot.engine.watch import watch_knowledge
from bot.knowledge.loader import MAX_FILE_BYTES, KnowledgeBase, load_knowledge
from bot.settings import Settings
from bot.types import Platform
from tests.core.conftest import SAMPLE_ENTRIES, entry
from tests.delivery.support import FakeClock, utc

NOW = utc(2025, 1, 20, 12)
QUESTION = "What is RedNote?"
OLD = "more than 300 million monthly users"
NEW = "more than 350 million monthly users, and many new American ones"


def answer(holder: KnowledgeHolder) -> str:
    return holder.answerer.answer(QUESTION, NOW).text


def write_entries(root: Path, entries: list[dict[str, object]]) -> None:
    (root / "entries" / "e.yaml").write_text(yaml.safe_dump({"entries": entries}, allow_unicode=True))


def edited(text: str) -> list[dict[str, object]]:
    """The sample entries with RedNote's English answer replaced."""
    out: list[dict[str, object]] = []
    for e in SAMPLE_ENTRIES:
        answer = e["answer"]
        assert isinstance(answer, dict)
        out.append({**e, "answer": {**answer, "en": text}} if e["id"] == "rednote-what" else e)
    return out


NEW_ANSWER = "RedNote (Xiaohongshu) is a Shanghai-based lifestyle app with " + NEW + "."
INVALID = [
    *SAMPLE_ENTRIES,
    {**entry("broken", ["q"], ["问题"], "a", "答案"), "colour": "red"},  # unknown field
]
INVALID_CROSS_REF = [{**e, "sources": ["no-such-source"]} if e["id"] == "rednote-what" else e for e in SAMPLE_ENTRIES]


async def eventually(condition: Callable[[], bool]) -> None:
    """Poll in small steps until `condition()` holds (the watcher polls every 0.05 s here); at most 5 s."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - the watcher offers no event to wait on
            await asyncio.sleep(0.01)


def test_valid_edit_changes_answers_after_reload(kb_dir: Path) -> None:
    holder = KnowledgeHolder(kb_dir)
    before = holder.kb.version
    assert OLD in answer(holder)
    assert holder.reload() is False  # nothing changed
    write_entries(kb_dir, edited(NEW_ANSWER))
    assert holder.reload() is True
    assert holder.kb.version != before
    assert NEW in answer(holder)


def test_invalid_edit_keeps_last_good_knowledge_and_logs_every_problem(
    kb_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = KnowledgeHolder(kb_dir)
    good = holder.kb.version
    write_entries(kb_dir, INVALID)
    (kb_dir / "deadlines.yaml").write_text("primary: [unclosed\n")  # a YAML syntax error in another file
    with caplog.at_level(logging.ERROR, logger="bot.engine.holder"):
        assert holder.reload() is False
    assert holder.kb.version == good
    assert OLD in answer(holder)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("entries/e.yaml" in m and "(id=broken).colour" in m for m in errors), errors
    assert any("deadlines.yaml" in m and "cannot read" in m for m in errors), errors
    assert any("keeping version " + good in m for m in errors), errors


def test_a_flood_of_problems_logs_the_first_ones_and_a_count(kb_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    holder = KnowledgeHolder(kb_dir)
    good = holder.kb.version
    broken = [{**entry(f"broken-{i}", [f"q{i}"], [f"问题{i}"], "a", "答案"), "colour": "red"} for i in range(500)]
    write_entries(kb_dir, [*SAMPLE_ENTRIES, *broken])
    with caplog.at_level(logging.ERROR, logger="bot.engine.holder"):
        assert holder.reload() is False
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == MAX_LOGGED_PROBLEMS + 1
    assert "(id=broken-0).colour" in errors[0] and "(id=broken-19).colour" in errors[MAX_LOGGED_PROBLEMS - 1]
    assert errors[-1] == (
        "knowledge reload rejected: 500 problem(s) (480 more not logged: run `banbot kb check`); "
        f"keeping version {good}"
    )


def test_an_oversized_file_is_refused_and_the_last_good_knowledge_stays(
    kb_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = KnowledgeHolder(kb_dir)
    good = holder.kb.version
    (kb_dir / "entries" / "huge.yaml").write_bytes(b"entries:\n" + b"  - {id: x}\n" * (MAX_FILE_BYTES // 10))
    with caplog.at_level(logging.ERROR, logger="bot.engine.holder"):
        assert holder.reload() is False
    assert holder.kb.version == good and OLD in answer(holder)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        "knowledge reload rejected: entries/huge.yaml: (file): larger than 2 MB: split it into several files",
        f"knowledge reload rejected: 1 problem(s); keeping version {good}",
    ]


async def test_answers_go_on_while_a_reload_is_being_validated(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = KnowledgeHolder(kb_dir)
    started, release = threading.Event(), threading.Event()

    def slow_load(root: Path) -> KnowledgeBase:
        started.set()
        release.wait()
        return load_knowledge(root)

    monkeypatch.setattr("bot.engine.holder.load_knowledge", slow_load)
    write_entries(kb_dir, edited(NEW_ANSWER))
    reload = asyncio.create_task(holder.reload_async())
    await asyncio.to_thread(started.wait)  # validation has begun, in another thread
    assert OLD in answer(holder)  # the loop answers meanwhile, from the current knowledge
    release.set()
    assert await reload is True
    assert NEW in answer(holder)


async def test_reload_async_swaps_on_the_loop(kb_dir: Path) -> None:
    holder = KnowledgeHolder(kb_dir)
    write_entries(kb_dir, edited(NEW_ANSWER))
    assert await holder.reload_async() is True
    assert NEW in answer(holder)


async def test_watcher_picks_up_valid_invalid_and_fixed_edits(kb_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    holder = KnowledgeHolder(kb_dir)
    first = holder.kb.version
    watcher = asyncio.create_task(watch_knowledge(holder, interval=0.05))
    try:
        await asyncio.sleep(0.06)  # the watcher has taken its first snapshot
        write_entries(kb_dir, edited(NEW_ANSWER))
        await eventually(lambda: holder.kb.version != first)
        assert NEW in answer(holder)
        second = holder.kb.version

        with caplog.at_level(logging.ERROR, logger="bot.engine.holder"):
            write_entries(kb_dir, INVALID_CROSS_REF)
            await eventually(lambda: any("no-such-source" in r.getMessage() for r in caplog.records))
        assert holder.kb.version == second
        assert NEW in answer(holder)  # still the last good answer

        (kb_dir / "entries" / "more.yaml").write_text(  # the fix, in a new file alongside
            yaml.safe_dump({"entries": [entry("extra", ["What is extra?"], ["额外是什么？"], "Extra.", "额外。")]})
        )
        write_entries(kb_dir, edited(NEW_ANSWER + " Edited again."))
        await eventually(lambda: "extra" in holder.kb.entries)
        assert "Edited again." in answer(holder)
        assert not watcher.done()  # the invalid edit did not kill the watcher
    finally:
        watcher.cancel()
        with pytest.raises(asyncio.CancelledError):
            await watcher


async def test_running_app_serves_the_edited_knowledge(settings: Settings, clock: FakeClock, kb_dir: Path) -> None:
    app = App(settings, clock=clock, console_only=True, stdout=io.StringIO(), knowledge_poll_seconds=0.05)
    await app.start()
    try:
        assert app.ctx is not None and app.health is not None
        first = app.ctx.knowledge.kb.version
        await asyncio.sleep(0.06)  # the watcher has taken its first snapshot
        write_entries(kb_dir, edited(NEW_ANSWER))
        await eventually(lambda: app.ctx is not None and app.ctx.knowledge.kb.version != first)
        assert NEW in (await app.ctx.ask(QUESTION, platform=Platform.CONSOLE)).text
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{app.health.port}/readyz") as resp,
        ):
            body = await resp.json()
        assert body["knowledge_version"] == app.ctx.knowledge.kb.version != first
    finally:
        await app.stop()
