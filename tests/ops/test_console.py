"""The console chat: questions and commands through `banbot chat`, and countdown posts arriving in its output."""

from __future__ import annotations

import io
import logging
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.adapters.console import console_text, picked_choice
from bot.app import App, serve
from bot.core.models import Reply, ReplyKind, Suggestion
from bot.curation import CurationService
from bot.delivery.parsing import parse_timezone
from bot.errors import SubscriptionError
from bot.settings import PROJECT_ROOT, Settings
from tests.adapters.scripted import ScriptedKnowledge, clarify_reply
from tests.delivery.support import FakeClock, utc
from tests.ops.conftest import banbot, clean_env


def in_order(text: str, *snippets: str) -> None:
    """Every snippet occurs in `text`, each after the one before."""
    at = 0
    for snippet in snippets:
        found = text.find(snippet, at)
        assert found >= 0, f"{snippet!r} not found after position {at} in:\n{text}"
        at = found + len(snippet)


def test_chat_answers_questions_and_manages_subscriptions(kb_dir: Path, db_url: str) -> None:
    lines = [
        "What is RedNote?",
        "/countdown",
        "/subscribe 25:99",
        "/subscribe 09:00 America/New_Yrok",
        "/subscribe 09:00 Asia/Shanghai",
        "/subscriptions",
        "/unsubscribe",
        "/subscriptions",
        "小红书是什么？",
        "/quit",
        "What is RedNote?",  # never read: the chat ended
    ]
    env = clean_env(BANBOT_KNOWLEDGE_DIR=str(kb_dir), BANBOT_DATABASE_URL=db_url)
    result = banbot("chat", env=env, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    in_order(
        out,
        "banbot console chat.",
        "Shanghai-based lifestyle app",
        "Sources:",
        "since the law taking effect (January 19, 2025)",
        "“25:99” is not a time of day. Expected HH:MM",
        "Unknown time zone “America/New_Yrok”. Did you mean America/New_York",
        # the deadline has passed: milestones and news by default, and never "a countdown to" it
        "Subscribed (#1): posts about the law taking effect on milestone days, and news when there is some, "
        "at 09:00 (Asia/Shanghai).",
        "#1 posts about the law taking effect on milestone days, and news when there is some, at 09:00 "
        "(Asia/Shanghai) [milestones, updates]",
        "Unsubscribed #1: posts about the law taking effect on milestone days, and news when there is some, "
        "at 09:00 (Asia/Shanghai). Nothing more will be posted for it here.",
        "No subscriptions here.",
        "总部位于上海",
    )
    assert out.count("Shanghai-based lifestyle app") == 1  # nothing after /quit
    assert "banbot stopped" in result.stderr
    assert "Traceback" not in result.stderr


async def test_subscribe_and_unsubscribe_read_what_every_surface_reads(app: App) -> None:
    """One parser and one set of texts: a zone alone subscribes; /unsubscribe removes only what it is told."""
    assert app.console is not None
    handle = app.console.handle
    assert (await handle("/subscribe Europe/Paris")).startswith(
        "Subscribed (#1): a daily countdown to the law taking effect, at 09:00 (Europe/Paris)."
    )
    assert (await handle("/subscribe 18:00 Asia/Tokyo")).startswith("Subscribed (#2)")
    assert "Say which one to stop: /unsubscribe <number>" in await handle("/unsubscribe")
    assert (await handle("/unsubscribe first")).startswith("“first” is not a subscription number.")
    assert (await handle("/unsubscribe 2")).startswith("Unsubscribed #2:")
    listing = await handle("/subscriptions")
    assert "#1 a daily countdown to the law taking effect" in listing and "#2" not in listing
    assert (await handle("/unsubscribe all")).startswith("Unsubscribed #1:")
    assert len(await handle("/subscribe 9" + "x" * 4000)) < 200  # an echo of what was typed stays short


async def test_unknown_commands_and_topics(app: App) -> None:
    assert app.console is not None
    handle = app.console.handle
    assert await handle("/coutndown") == "I don't know the command /coutndown. Did you mean /countdown?"
    assert (await handle("/zzz")).startswith("I don't know the command /zzz. Commands: /ask, /countdown")
    assert "All sources for “" in await handle("/sources what is RedNote")


def test_chat_ends_at_end_of_input(kb_dir: Path, db_url: str) -> None:
    env = clean_env(BANBOT_KNOWLEDGE_DIR=str(kb_dir), BANBOT_DATABASE_URL=db_url)
    result = banbot("chat", env=env, stdin="/countdown")  # no final newline either
    assert result.returncode == 0, result.stderr
    assert "since the law taking effect" in result.stdout


async def test_countdown_post_arrives_in_the_console(settings: Settings, clock: FakeClock) -> None:
    out = io.StringIO()
    app = App(settings, clock=clock, console_only=True, stdin=io.StringIO(""), stdout=out)
    await app.start()
    try:
        assert app.console is not None and app.engine is not None
        reply = await app.console.handle("/subscribe 09:00 UTC")
        assert "Subscribed (#1)" in reply
        await app.engine.run_once()
        assert "⏳" not in out.getvalue()  # 08:59:30: not due yet
        clock.advance(60)
        await app.engine.run_once()
        posted = out.getvalue()
        assert posted.count("⏳") == 1
        assert "until the law taking effect" in posted
        clock.advance(3600)
        await app.engine.run_once()
        assert out.getvalue().count("⏳") == 1  # once a day
    finally:
        await app.stop()


async def test_subscribe_takes_modes_and_a_deadline_anywhere(app: App, clock: FakeClock) -> None:
    assert app.console is not None
    handle = app.console.handle
    clock.set(utc(2025, 6, 1, 12))  # after the law's day
    assert (await handle("/subscribe 10:00 UTC daily")).startswith(
        "Subscribed (#1): daily posts about the law taking effect, at 10:00 (UTC). First post: Mon Jun 2 10:00."
    )
    assert (await handle("/subscribe milestones and updates law-effective 11:00")).startswith(
        "Subscribed (#2): posts about the law taking effect on milestone days, and news when there is some"
    )
    assert "Unknown time zone “sometimes”" in await handle("/subscribe 12:00 sometimes")
    assert (await handle("/subscribe 10:00 UTC updates")).startswith("Changed (#1): now news posts")
    assert "[updates]" in await handle("/subscriptions")


async def test_serve_ends_with_the_chat(settings: Settings, clock: FakeClock) -> None:
    out = io.StringIO()
    app = App(settings, clock=clock, console_only=True, stdin=io.StringIO("What is RedNote?\n/quit\n"), stdout=out)
    await serve(app)
    assert "Shanghai-based lifestyle app" in out.getvalue()
    assert app.engine is not None and not app.engine.running


async def test_countdown_takes_a_time_zone_and_explains_a_bad_one(app: App, clock: FakeClock) -> None:
    """The console's /countdown reads its zone with the shared parser, as Discord does; bad zones are explained."""
    assert app.console is not None
    handle = app.console.handle
    clock.set(utc(2025, 1, 15, 16))  # still January 15 in UTC, already January 16 in Tokyo and Kiritimati
    assert "4 days until the law taking effect" in await handle("/countdown")
    assert "3 days until the law taking effect" in await handle("/countdown Pacific/Kiritimati")
    assert "3 days until the law taking effect" in await handle("/countdown UTC+14")
    assert "4 days until the law taking effect" in await handle("/countdown law-effective")  # a deadline id
    assert (await handle("/countdown Europe")) == (
        "“Europe” is a region, not a time zone: add a city, e.g. Europe/Berlin, Europe/London, Europe/Paris."
    )
    too_long = await handle("/countdown " + "x" * 300)
    assert too_long.startswith("“" + "x" * 30 + "…” is too long for a time zone.") and len(too_long) < 200
    assert (await handle("/countdown foo")).startswith("Unknown time zone “foo”.")
    with pytest.raises(SubscriptionError, match="是地区而不是时区"):  # the shared parser, in Chinese too
        parse_timezone("Asia", "zh")
    await handle("/subscribe 09:00 Asia/Tokyo")
    assert "3 days until the law taking effect" in await handle("/countdown")  # the chat's subscription zone


def test_countdown_with_a_bad_zone_in_the_chat_is_a_message_not_a_traceback(kb_dir: Path, db_url: str) -> None:
    env = clean_env(BANBOT_KNOWLEDGE_DIR=str(kb_dir), BANBOT_DATABASE_URL=db_url)
    result = banbot("chat", env=env, stdin="/countdown foo\n/countdown Europe\n")
    assert result.returncode == 0
    assert "Unknown time zone “foo”." in result.stdout and "“Europe” is a region" in result.stdout
    assert "Traceback" not in result.stderr and "went wrong" not in result.stdout


def _chat_on_a_terminal(env: dict[str, str], typed: bytes) -> str:
    """Run `banbot chat` with stdin, stdout and stderr all on one pseudo-terminal, as in a real terminal."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"], stdin=child, stdout=child, stderr=child, cwd=PROJECT_ROOT, env=env
    )
    os.close(child)
    os.write(main, typed)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the chat exited and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        process.wait(timeout=30)
        os.close(main)
    assert process.returncode == 0, seen
    return seen.decode("utf-8", errors="replace")


def test_on_a_terminal_log_lines_never_interleave_with_the_chat(kb_dir: Path, db_url: str, tmp_path: Path) -> None:
    log = tmp_path / "chat.log"
    env = clean_env(BANBOT_KNOWLEDGE_DIR=str(kb_dir), BANBOT_DATABASE_URL=db_url, BANBOT_LOG_FILE=str(log))
    screen = _chat_on_a_terminal(env | {"TERM": "dumb"}, b"What is RedNote?\n/quit\n")
    assert "banbot console chat." in screen and "Shanghai-based lifestyle app" in screen
    assert " INFO " not in screen and "banbot running" not in screen and "banbot stopped" not in screen
    logged = log.read_text(encoding="utf-8")
    assert "INFO bot.app: banbot" in logged and "banbot stopped" in logged


def test_run_and_chat_help_describe_the_commands() -> None:
    run_help = banbot("run", "--help", env=clean_env()).stdout
    assert "every adapter whose token is set" in run_help and "console chat" in run_help
    chat_help = banbot("chat", "--help", env=clean_env()).stdout
    assert "/countdown [time zone]" in chat_help and "data/banbot.log" in chat_help


def test_a_decline_lists_where_to_start() -> None:
    reply = Reply(
        kind=ReplyKind.DECLINE,
        text="I only know about the US TikTok ban, the deal and RedNote.",
        lang="en",
        suggestions=(Suggestion("status-now", "Is TikTok banned right now?"),),
    )
    assert console_text(reply) == (
        "I only know about the US TikTok ban, the deal and RedNote.\n\nYou could try:\n• Is TikTok banned right now?"
    )


COURT = ("court-ruling", "Did the Supreme Court uphold the TikTok law?")
REDNOTE = ("rednote-what", "What is RedNote?")


def _script(app: App, replies: dict[str, Reply]) -> None:
    """The engine's reply to some questions, fixed: these tests are about the console, not about when it is unsure."""
    assert app.ctx is not None
    app.ctx.knowledge = ScriptedKnowledge(app.ctx.knowledge, replies)  # type: ignore[arg-type,assignment]


async def test_a_clarify_numbers_its_choices_and_the_next_line_may_pick_one(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    assert app.console is not None
    handle = app.console.handle
    _script(app, {"tiktok stuff": clarify_reply("en", COURT, REDNOTE)})
    with caplog.at_level(logging.INFO, logger="bot.context"):
        asked_back = await handle("tiktok stuff")
    assert asked_back == (
        "I'm not sure what you're asking. Did you mean:\n"
        "1. Did the Supreme Court uphold the TikTok law?\n"
        "2. What is RedNote?\n\n"
        "Type a number to get that answer, or ask something else."
    )
    (logged,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("clarify:")]
    assert logged == "clarify: platform=console lang=en question='tiktok stuff' offered=court-ruling,rednote-what"

    picked = await handle(" 2 ")
    assert picked.startswith("In short: rednote-what.") and "Shanghai-based lifestyle app" in picked
    assert "Sources:" in picked  # the entry's answer in full, as the console shows every answer
    assert "Shanghai-based" not in await handle("2")  # the choice was used: "2" is now just a question

    await handle("tiktok stuff")
    assert "Shanghai-based" not in await handle("3")  # not one of the choices: a new question
    assert "unanimously upheld" not in await handle("1")  # and that question was no clarify: nothing to pick

    await handle("tiktok stuff")
    assert "until the law taking effect" in await handle("/countdown")  # a command in between ...
    assert "unanimously upheld" not in await handle("1")  # ... and the choices are gone

    await handle("/ask tiktok stuff")  # /ask asks back the same way
    assert "unanimously upheld" in await handle("1.")


async def test_a_clarify_in_chinese_is_answered_in_chinese_by_number(app: App) -> None:
    assert app.console is not None
    handle = app.console.handle
    choices = (("court-ruling", "最高法院支持TikTok法律吗？"), ("rednote-what", "小红书是什么？"))
    _script(app, {"TikTok怎么了": clarify_reply("zh", *choices)})
    asked_back = await handle("TikTok怎么了")
    assert asked_back.startswith(
        "我不太确定你想问什么。你是不是想问：\n1. 最高法院支持TikTok法律吗？\n2. 小红书是什么？"
    )
    assert asked_back.endswith("输入编号查看对应的回答，或者直接问别的问题。")
    assert "最高法院一致维持了该法律" in await handle("１")  # a full-width digit, as a Chinese keyboard types it


async def test_a_clarify_is_one_log_line_for_curators_naming_no_one(app: App, caplog: pytest.LogCaptureFixture) -> None:
    """One INFO line per question asked back: the question scrubbed as a gap is and cut to 100 characters, the
    entries offered; the question is still kept for `banbot kb gaps` too."""
    assert app.console is not None and app.ctx is not None
    _script(app, {"tiktok stuff": clarify_reply("en", COURT, REDNOTE)})
    question = "tiktok stuff, ask @alice or bob@example.com, call +1 555 123 4567 " + "and more\n" * 60
    with caplog.at_level(logging.INFO, logger="bot.context"):
        await app.console.handle(question)
        await app.console.handle("What is RedNote?")  # an answer: no clarify line
    (record,) = [r for r in caplog.records if r.getMessage().startswith("clarify:")]
    assert record.levelno == logging.INFO
    logged = record.args[2]  # type: ignore[index]
    assert logged.startswith("tiktok stuff, ask @user or <email>, call <number> and more and more")
    assert len(logged) <= 100 and logged.endswith("…") and "\n" not in logged
    line = record.getMessage()
    assert line.endswith("offered=court-ruling,rednote-what")
    assert not any(secret in line for secret in ("alice", "example.com", "555"))
    await app.ctx.drain()
    assert isinstance(app.ctx.gaps, CurationService)
    gaps = [gap.text for gap in await app.ctx.gaps.top_gaps()]
    assert [gap for gap in gaps if gap.startswith("tiktok stuff, ask @user or <email>")]


def test_a_clarify_shows_each_choice_once_numbered() -> None:
    reply = clarify_reply("en", COURT, REDNOTE)
    assert "•" not in console_text(reply) and console_text(reply).count("What is RedNote?") == 1
    choices = reply.suggestions
    assert [picked_choice(line, choices) for line in ("1", "2.", " 2 ", "２")] == [*choices, choices[1], choices[1]]
    for line in ("0", "3", "-1", "1.5", "one", "1 2", "", "²", "9" * 5000):
        assert picked_choice(line, choices) is None, line
