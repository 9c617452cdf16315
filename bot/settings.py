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
    model_config = SettingsConfigDict(env_prefix="BANBOT_", env_file=".env", extra="ignore", env_ignore_empty=True)

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
    database_schema: str | None = None  # PostgreSQL only: schema (search_path) holding banbot's tables
    delivery_lease_seconds: float = Field(default=30.0, gt=0)  # renewed every sixth of it; a dead process's expire
    delivery_claim_batch: int = Field(default=1000, ge=1)  # most deliveries one process holds in its queue
    send_backoff_seconds: float = Field(default=2.0, ge=0)  # first retry delay after a transient error
    send_backoff_max_seconds: float = Field(default=300.0, ge=0)
    delivery_retention_days: int = Field(default=30, ge=1)
    max_subscriptions_per_chat: int = Field(default=10, ge=1)
    gap_retention_days: int = Field(default=90, ge=1)  # unanswered questions are kept this long
    gap_max_rows: int = Field(default=10_000, ge=1)  # and at most this many
    feedback_retention_days: int = Field(default=365, ge=1)  # 👍/👎 votes are kept this long

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
    discord_application_id: int | None = None  # for `banbot discord invite-url` without a token
    discord_sync_on_start: bool = True  # sync global commands at start, only when the command set changed
    discord_commands_hash_file: Path | None = None  # default: next to the SQLite file, else data/
    discord_max_ratelimit_timeout: float = Field(default=30.0, ge=30.0)  # longer 429s fail the send instead
    discord_defer_after_seconds: float = Field(default=1.0, ge=0)  # answers slower than this are deferred
    discord_guild_ready_timeout: float = Field(default=2.0, gt=0)  # wait for GUILD_CREATEs before "ready"

    # --- operations ---
    health_port: int | None = None
    health_host: str = "127.0.0.1"


def load_settings() -> Settings:
    """Read the environment (and a .env file in the working directory, if any)."""
    return Settings()
