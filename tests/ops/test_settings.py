""".env.example documents every setting, and nothing else; copied to .env it gives a working console setup.

Bad values stop every command at start with one line per variable, `BANBOT_X=value: reason`, secrets redacted.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings, SettingsError, load_settings, redact_url
from tests.ops.conftest import banbot, clean_env

EXAMPLE = PROJECT_ROOT / ".env.example"
SETTING_LINE = re.compile(r"^#?\s*(BANBOT_[A-Z0-9_]+)=")


def documented() -> list[str]:
    """BANBOT_ names set (or shown commented out) in .env.example, in file order."""
    return [m[1] for line in EXAMPLE.read_text().splitlines() if (m := SETTING_LINE.match(line))]


def active() -> list[str]:
    return [line.split("=", 1)[0] for line in EXAMPLE.read_text().splitlines() if line.startswith("BANBOT_")]


def fields() -> set[str]:
    return {f"BANBOT_{name.upper()}" for name in Settings.model_fields}


def test_every_setting_is_documented() -> None:
    missing = sorted(fields() - set(active()))
    assert not missing, f"Settings fields without a line in .env.example: {missing}"


def test_every_documented_variable_is_a_setting() -> None:
    unknown = sorted(set(documented()) - fields())
    assert not unknown, f".env.example names variables Settings does not read: {unknown}"
    duplicated = sorted({name for name in active() if active().count(name) > 1})
    assert not duplicated, f"set twice in .env.example: {duplicated}"


def test_every_setting_has_a_comment(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("BANBOT_"):
            above = lines[:i]
            while above and above[-1].startswith("BANBOT_"):
                above.pop()  # a group of related settings shares one comment
            assert above and above[-1].startswith("#"), f"{line.split('=')[0]} has no comment above it"


@pytest.mark.usefixtures("no_banbot_env")
def test_env_example_as_dotenv_builds_console_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EXAMPLE, tmp_path / ".env")
    (tmp_path / "knowledge").symlink_to(PROJECT_ROOT / "knowledge")  # BANBOT_KNOWLEDGE_DIR=./knowledge
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.telegram_token is None and settings.discord_token is None  # console chat
    assert settings.health_port is None  # no health server unless asked
    assert settings.database_schema is None and settings.discord_shard_ids is None  # empty means unset
    assert settings.knowledge_dir.resolve() == (PROJECT_ROOT / "knowledge").resolve()
    assert settings.database_url == "sqlite+aiosqlite:///./data/banbot.sqlite3"
    defaults = Settings(_env_file=None)
    for name in Settings.model_fields:
        if name not in ("knowledge_dir", "database_url", "cache_dir"):  # relative to the working directory there
            assert getattr(settings, name) == getattr(defaults, name), f"{name}: .env.example differs from the default"


BAD_SETTINGS = [
    # (variable, value, as shown in the error line, part of the reason)
    ("BANBOT_DEFAULT_POST_TIME", "25:00", "25:00", "not a time of day: expected HH:MM"),
    ("BANBOT_HEALTH_PORT", "abc", "abc", "valid integer"),
    ("BANBOT_HEALTH_PORT", "70000", "70000", "less than or equal to 65535"),
    ("BANBOT_DEFAULT_TIMEZONE", "Mars/Olympus", "Mars/Olympus", "not an IANA time zone"),
    ("BANBOT_DEFAULT_TIMEZONE", "../../etc/passwd", "../../etc/passwd", "not an IANA time zone"),
    ("BANBOT_LOG_LEVEL", "LOUD", "LOUD", "not a log level: use one of DEBUG, INFO, WARNING, ERROR"),
    ("BANBOT_DATABASE_URL", "sqlite:///data/b.sqlite3", "sqlite:///data/b.sqlite3", "use sqlite+aiosqlite:///"),
    ("BANBOT_DATABASE_URL", "postgresql://bb:hunter22@db/bb", "postgresql://bb:***@db/bb", "postgresql+asyncpg://"),
    ("BANBOT_DISCORD_SHARD_IDS", '[0, "x"]', '[0, "x"]', "valid integer"),
    ("BANBOT_TICK_SECONDS", "0", "0", "greater than 0"),
    ("BANBOT_TELEGRAM_WEBHOOK_URL", "example.org/hook", "example.org/hook", "https://"),
    ("BANBOT_TELEGRAM_TOKEN", "bot123456:AAF-secret token", "<redacted>", "not a Telegram bot token"),
    ("BANBOT_TELEGRAM_WEBHOOK_SECRET", "s3cret with spaces", "<redacted>", "letters, digits, _ and -"),
    ("BANBOT_DISCORD_TOKEN", "Bot ZmFrZQ.s3cret.token", "<redacted>", "not a Discord bot token"),
    ("BANBOT_DISCORD_API_BASE_URL", "127.0.0.1:8080/api/v10", "127.0.0.1:8080/api/v10", "not a URL"),
    ("BANBOT_DISCORD_GATEWAY_URL", "http://127.0.0.1:7878", "http://127.0.0.1:7878", "not a websocket URL"),
]


@pytest.mark.usefixtures("no_banbot_env")
@pytest.mark.parametrize("case", BAD_SETTINGS, ids=lambda case: f"{case[0]}={case[1]}"[:40])
def test_a_bad_setting_is_one_line_naming_the_variable(
    case: tuple[str, str, str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    name, value, shown, reason = case
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{name}={shown}: "), line
    assert reason in line
    if shown in ("<redacted>", "postgresql://bb:***@db/bb"):
        assert "s3cret" not in line and "hunter22" not in line


@pytest.mark.usefixtures("no_banbot_env")
def test_every_bad_variable_is_reported_and_good_spellings_are_normalised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BANBOT_HEALTH_PORT", "abc")
    monkeypatch.setenv("BANBOT_LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert [line.split("=")[0] for line in str(caught.value).splitlines()] == ["BANBOT_LOG_LEVEL", "BANBOT_HEALTH_PORT"]
    monkeypatch.setenv("BANBOT_HEALTH_PORT", "8080")
    monkeypatch.setenv("BANBOT_LOG_LEVEL", "debug")
    monkeypatch.setenv("BANBOT_DEFAULT_TIMEZONE", "europe/berlin")
    monkeypatch.setenv("BANBOT_DEFAULT_POST_TIME", "7:30")
    settings = load_settings()
    assert (settings.log_level, settings.default_timezone) == ("DEBUG", "Europe/Berlin")
    assert settings.default_post_time == dt.time(7, 30)


@pytest.mark.parametrize("command", [["ask", "What is RedNote?"], ["kb", "gaps"], ["chat"], ["run"]])
def test_every_command_stops_on_a_bad_setting_with_exit_status_2(command: list[str], tmp_path: Path) -> None:
    env = clean_env(BANBOT_DEFAULT_POST_TIME="25:00", BANBOT_TELEGRAM_TOKEN="123:s3cret-token")
    result = banbot(*command, env=env | {"PYTHONPATH": str(PROJECT_ROOT)}, cwd=tmp_path)  # tmp_path: no .env
    assert result.returncode == 2
    assert result.stderr == (
        "BANBOT_DEFAULT_POST_TIME=25:00: not a time of day: expected HH:MM in 24-hour time, e.g. 09:00\n"
    )
    assert result.stdout == ""


def test_redact_url() -> None:
    assert redact_url("postgresql+asyncpg://u:p%40ss@h:5432/db") == "postgresql+asyncpg://u:***@h:5432/db"
    assert (
        redact_url("postgresql+asyncpg://u@h/db?password=x&ssl=1") == "postgresql+asyncpg://u@h/db?password=***&ssl=1"
    )
    assert redact_url("sqlite+aiosqlite:///./data/a:b@c.sqlite3") == "sqlite+aiosqlite:///./data/a:b@c.sqlite3"
