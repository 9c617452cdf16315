"""A bot that cannot reach its platform at start says so in one log line and exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT

TOKEN = "987654:SECRET-TOKEN-never-in-logs"


def test_unreachable_telegram_api_fails_with_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANBOT_")}
    env.update(
        BANBOT_TELEGRAM_TOKEN=TOKEN,
        BANBOT_TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",  # the discard port: nothing listens
        BANBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        BANBOT_LOG_LEVEL="DEBUG",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if " ERROR bot.app: " in line]
    assert len(errors) == 1
    assert "banbot stopped on an error: NetworkError" in errors[0]
    assert TOKEN not in result.stderr + result.stdout
    assert "banbot stopped" in result.stderr
