"""Curators' reports on a seeded database: `banbot kb gaps`, `banbot kb feedback`, and review dates in `kb check`."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from bot.storage.sql import open_store
from bot.types import Platform
from tests.core.conftest import SAMPLE_ENTRIES, write_kb
from tests.delivery.support import FakeClock, utc
from tests.ops.conftest import banbot, clean_env, free_port

GAP_ROW = re.compile(r"^\s*(\d+)\s+(en|zh)\s+(\d\.\d\d)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\s+(.+)$")
FEEDBACK_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+%|-)\s+(\S+?)(?::\s+(.*))?$")

ASKED = [
    "Who owns Oracle now?",
    "who owns oracle now",
    "Who owns ORACLE now??",
    "Is CapCut banned too?",
    "is capcut banned too",
    "抖音和TikTok有什么区别？",
    "Ask @alice about the weather, call +1 415 555 0100",
    "What did the Supreme Court decide about TikTok?",  # answered: not a gap
]


@pytest.fixture
async def seeded(settings: Settings, clock: FakeClock, db_url: str) -> None:
    """Questions and votes go through a running app, as they would from a chat; one vote is for an old entry."""
    app = App(settings, clock=clock, console_only=True, stdout=io.StringIO())
    await app.start()
    try:
        assert app.ctx is not None
        for i, question in enumerate(ASKED):
            clock.set(utc(2025, 1, 15, 10, i))
            await app.ctx.ask(question, platform=Platform.TELEGRAM)
        for voter, helpful in enumerate((True, True, False, True)):
            await app.ctx.feedback.record_feedback(Platform.DISCORD, "rednote-what", helpful, voter=str(voter))
        for voter in range(2):
            await app.ctx.feedback.record_feedback(Platform.TELEGRAM, "court-ruling", False, voter=str(voter))
    finally:
        await app.stop()  # waits for the gap records written in the background
    store = await open_store(db_url)
    try:
        await store.add_feedback(Platform.TELEGRAM, "retired-entry", "someone", True, utc(2024, 12, 1))
    finally:
        await store.close()


def env_for(settings: Settings) -> dict[str, str]:
    return clean_env(BANBOT_DATABASE_URL=settings.database_url, BANBOT_KNOWLEDGE_DIR=str(settings.knowledge_dir))


def gap_rows(stdout: str) -> list[tuple[int, str, float, str, str]]:
    lines = stdout.strip().splitlines()
    assert lines[0].split() == ["times", "lang", "conf", "last", "seen", "question"]
    rows = []
    for line in lines[1:]:
        m = GAP_ROW.match(line)
        assert m, line
        rows.append((int(m[1]), m[2], float(m[3]), m[4], m[5]))
    return rows


@pytest.mark.usefixtures("seeded")
def test_kb_gaps_lists_the_most_frequent_unanswered_questions(settings: Settings) -> None:
    result = banbot("kb", "gaps", env=env_for(settings))
    assert result.returncode == 0, result.stderr
    rows = gap_rows(result.stdout)
    counts = [(n, text.lower().rstrip("?")) for n, _, _, _, text in rows]
    assert counts[:2] == [(3, "who owns oracle now"), (2, "is capcut banned too")]
    assert len(rows) == 4  # the answered question is not a gap
    assert rows[0][3] == "2025-01-15 10:02"  # last seen: the third asking
    zh = [r for r in rows if r[1] == "zh"]
    assert [r[4] for r in zh] == ["抖音和TikTok有什么区别？"]
    (private,) = [r[4] for r in rows if "weather" in r[4]]
    assert "@alice" not in private and "555" not in private  # text only: no mentions or phone numbers
    assert all(0.0 <= r[2] < 1.0 for r in rows)

    limited = banbot("kb", "gaps", "--limit", "1", env=env_for(settings))
    assert [r[0] for r in gap_rows(limited.stdout)] == [3]


@pytest.mark.usefixtures("seeded")
def test_kb_feedback_shows_votes_per_entry(settings: Settings) -> None:
    result = banbot("kb", "feedback", env=env_for(settings))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split() == ["👍", "👎", "helpful", "entry"]
    rows = []
    for line in lines[1:]:
        m = FEEDBACK_ROW.match(line)
        assert m, line
        rows.append((int(m[1]), int(m[2]), m[3], m[4], m[5]))
    assert rows == [
        (3, 1, "75%", "rednote-what", "Title rednote-what"),
        (0, 2, "0%", "court-ruling", "Title court-ruling"),
        (1, 0, "100%", "retired-entry", "(no longer in the knowledge)"),
    ]


@pytest.mark.usefixtures("seeded")
def test_kb_feedback_with_broken_knowledge_lists_ids_only(settings: Settings, tmp_path: Path) -> None:
    env = env_for(settings) | {"BANBOT_KNOWLEDGE_DIR": str(tmp_path / "missing")}
    result = banbot("kb", "feedback", env=env)
    assert result.returncode == 0
    assert "warning: knowledge not loaded" in result.stderr
    assert "no longer in the knowledge" not in result.stdout
    assert "retired-entry" in result.stdout


def test_reports_on_an_empty_database(settings: Settings) -> None:
    env = env_for(settings)
    assert banbot("kb", "gaps", env=env).stdout.strip() == "No unanswered questions recorded."
    assert banbot("kb", "feedback", env=env).stdout.strip() == "No feedback recorded."


def test_kb_check_warns_about_entries_past_their_review_date(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    entries = [dict(e) for e in SAMPLE_ENTRIES]
    entries[0]["review_by"] = "2020-01-01"
    entries[1]["review_by"] = "2999-01-01"
    write_kb(root, entries)
    result = banbot("kb", "check", env=clean_env(BANBOT_KNOWLEDGE_DIR=str(root)))
    assert result.returncode == 0, result.stderr
    assert "kb check: ok, 3 entries" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: entry {entries[0]['id']} was due for review on 2020-01-01"]


def test_a_corrupt_database_is_one_line_naming_the_variable_and_the_file(tmp_path: Path, kb_dir: Path) -> None:
    db = tmp_path / "corrupt.sqlite3"
    db.write_bytes(b"this is not an SQLite file\n" * 200)
    url = f"sqlite+aiosqlite:///{db}"
    env = clean_env(BANBOT_DATABASE_URL=url, BANBOT_KNOWLEDGE_DIR=str(kb_dir))
    expected = f"BANBOT_DATABASE_URL={url}: cannot use the database (file {db.resolve()}): file is not a database"
    for command in (["kb", "gaps"], ["kb", "feedback"]):
        result = banbot(*command, env=env)
        assert result.returncode == 1, result.stderr
        assert (result.stdout, result.stderr) == ("", expected + "\n")
    chat = banbot("chat", env=env, stdin="What is RedNote?\n")
    assert chat.returncode == 1
    errors = [line for line in chat.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and errors[0].endswith(f"ERROR bot.app: banbot stopped: {expected}"), chat.stderr
    assert "Traceback" not in chat.stderr


def test_an_unreachable_database_server_is_one_line_without_the_password(kb_dir: Path) -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql+asyncpg://banbot:hunter22@127.0.0.1:{port}/banbot"
    result = banbot("kb", "gaps", env=clean_env(BANBOT_DATABASE_URL=url, BANBOT_KNOWLEDGE_DIR=str(kb_dir)))
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"BANBOT_DATABASE_URL=postgresql+asyncpg://banbot:***@127.0.0.1:{port}/banbot: "
        f"cannot use the database (server 127.0.0.1:{port}/banbot): ConnectionRefusedError: "
    ), line
    assert "hunter22" not in result.stderr
