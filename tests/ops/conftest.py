"""Operations fixtures: a small knowledge directory, settings on a temporary SQLite file, and a running App."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import PROJECT_ROOT, Settings
from tests.core.conftest import SAMPLE_ENTRIES, write_kb
from tests.delivery.support import FakeClock, make_settings, utc

NOW = utc(2025, 1, 15, 8, 59, 30)
"""A fixed time just before a 09:00 UTC countdown post."""


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    write_kb(root, SAMPLE_ENTRIES)
    return root


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'banbot.sqlite3'}"


@pytest.fixture
def settings(kb_dir: Path, db_url: str) -> Settings:
    return make_settings(knowledge_dir=kb_dir, database_url=db_url, health_port=0, tick_seconds=3600)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    """The whole bot in-process: console only (not reading), health server on a free port, a fake clock."""
    running = App(settings, clock=clock, console_only=True, stdin=io.StringIO(""), stdout=io.StringIO())
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**banbot: str) -> dict[str, str]:
    """The current environment without any BANBOT_ setting, plus `banbot`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANBOT_")}
    env.update(banbot)
    return env


def banbot(
    *args: str, env: dict[str, str], stdin: str = "", cwd: Path = PROJECT_ROOT
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll `condition()` until true (subprocess tests only; in-process tests use fake clocks)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def no_banbot_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("BANBOT_"):
            monkeypatch.delenv(key)
