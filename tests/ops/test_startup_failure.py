"""A bot that cannot reach its platform at start keeps running: it retries with backoff, one WARNING line a
try and no traceback, answers /readyz with 503 meanwhile, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.ops.conftest import clean_env, free_port, wait_for

TOKEN = "987654:SECRET-TOKEN-never-in-logs"


def readyz(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None  # not listening yet


def test_unreachable_telegram_api_is_retried_and_not_ready(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(
        BANBOT_TELEGRAM_TOKEN=TOKEN,
        BANBOT_TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",  # the discard port: nothing listens
        BANBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        BANBOT_HEALTH_PORT=str(port),
        BANBOT_SEMANTIC="off",
        BANBOT_LOG_LEVEL="DEBUG",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    log = tmp_path / "bot.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, stderr=err, cwd=tmp_path, env=env
        )

    def tries() -> list[str]:
        return [line for line in log.read_text().splitlines() if "adapter telegram cannot start" in line]

    def retried() -> bool:
        assert process.poll() is None, log.read_text()  # still running
        return len(tries()) >= 2

    try:
        wait_for(retried, timeout=30, what="two tries")
        assert readyz(port) == 503
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log.read_text()
    for number, line in enumerate(tries(), start=1):
        assert " WARNING bot.app: adapter telegram cannot start " in line
        assert f"(try {number}): cannot reach the Telegram Bot API at http://127.0.0.1:9/bot: NetworkError" in line
    assert "Traceback" not in text
    assert " ERROR " not in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "banbot stopped" in text
