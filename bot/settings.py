"""Settings from the environment (prefix BANBOT_), built once in __main__ and passed down.

Every field is documented in .env.example; a test checks that the two agree.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANBOT_", env_file=".env", extra="ignore")

    # --- core ---
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    log_level: str = "INFO"
    log_json: bool = False

    # --- storage and delivery ---
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'data' / 'banbot.sqlite3'}"
    tick_seconds: float = Field(default=60.0, gt=0)
    grace_hours: float = Field(default=6.0, ge=0)
    default_post_time: dt.time = dt.time(9, 0)
    default_timezone: str = "UTC"
    send_max_attempts: int = Field(default=5, ge=1)
    telegram_rate_global: float = Field(default=25.0, gt=0)
    telegram_rate_per_chat: float = Field(default=1.0, gt=0)
    telegram_rate_per_group_minute: int = Field(default=20, gt=0)
    discord_rate_global: float = Field(default=40.0, gt=0)
    discord_rate_per_channel_5s: int = Field(default=5, gt=0)

    # --- per-user rate limit on questions (both platforms) ---
    user_rate_limit: int = Field(default=8, ge=1)
    user_rate_window_seconds: float = Field(default=60.0, gt=0)

    # --- Telegram ---
    telegram_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook must accept outside connections
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = None

    # --- Discord ---
    discord_token: SecretStr | None = None
    discord_shard_count: int | None = None
    discord_shard_ids: list[int] | None = None

    # --- operations ---
    health_port: int | None = None
    health_host: str = "127.0.0.1"


def load_settings() -> Settings:
    """Read the environment (and a .env file in the working directory, if any)."""
    return Settings()
