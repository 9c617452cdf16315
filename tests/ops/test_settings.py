""".env.example documents every setting, and nothing else; copied to .env it gives a working console setup."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings

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
