"""Settings from the environment (prefix BANBOT_), built once in __main__ and passed down.

Every field is documented in .env.example; a test checks that the two agree. Everything is checked when
the settings are read: a bad value stops the process with one line naming the variable (`load_settings`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path
from typing import Any, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import BanbotError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CURATOR_CHAT = re.compile(r"^(telegram:(-?\d+|@\w{5,})|discord:\d+)$")
"""Where the curator digest goes: a Telegram chat (numeric id or @channel) or a Discord channel id."""
CHAT_LOG_FILE = PROJECT_ROOT / "data" / "banbot.log"
"""Where logs go while the console chat owns the terminal, unless BANBOT_LOG_FILE says otherwise."""
ENV_PREFIX = "BANBOT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
_HH_MM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_ECHO_CHARS = 80
_TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANBOT_", env_file=".env", extra="ignore", env_ignore_empty=True)

    # --- core ---
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    log_level: str = "INFO"
    log_json: bool = False
    semantic: bool = True  # the sentence encoder beside the lexical engine; off: lexical only (small machines)
    cache_dir: Path = PROJECT_ROOT / "data" / "cache"  # knowledge vectors, keyed by text and encoder
    log_file: Path | None = None  # unset: stderr, or CHAT_LOG_FILE while the console chat owns the terminal

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
    announcement_window_days: int = Field(default=3, ge=0)  # an announcement dated D is posted on days D…D+this
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
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
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
    discord_api_base_url: str = DISCORD_API_BASE_URL  # REST base: a shared rate-limit proxy in large deployments
    discord_gateway_url: str = DISCORD_GATEWAY_URL  # the websocket: a gateway proxy in large deployments

    # --- operations ---
    health_port: int | None = Field(default=None, ge=0, le=65535)
    health_host: str = "127.0.0.1"

    # --- keeping the knowledge current ---
    curator_chat: str | None = None  # "telegram:<chat_id>" or "discord:<channel_id>": daily news digest there
    curator_digest_time: dt.time = dt.time(8, 0)  # UTC; the day's digest goes out at the first check after it
    fetch_allow_private: bool = False  # kb links, kb news, the digest: also fetch loopback/private addresses

    @field_validator("curator_chat")
    @classmethod
    def _curator_chat_format(cls, value: str | None) -> str | None:
        if value is not None and not CURATOR_CHAT.match(value):
            raise ValueError('expected "telegram:<chat id>" (e.g. telegram:-1001234567890) or "discord:<channel id>"')
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"not a log level: use one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        scheme = value.partition("://")[0].lower()
        if scheme in DATABASE_SCHEMES and "://" in value:
            return value
        if scheme.startswith("sqlite"):
            raise ValueError("SQLite needs the async driver: use sqlite+aiosqlite:///path/to/banbot.sqlite3")
        if scheme.startswith("postgres"):
            raise ValueError("PostgreSQL needs the async driver: use postgresql+asyncpg://user:password@host/db")
        raise ValueError("use sqlite+aiosqlite:///path/to/banbot.sqlite3 or postgresql+asyncpg://user:password@host/db")

    @field_validator("default_post_time", mode="before")
    @classmethod
    def _post_time(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _HH_MM.match(value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError("not a time of day: expected HH:MM in 24-hour time, e.g. 09:00")
        return dt.time(int(match[1]), int(match[2]))

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        name = value.strip()
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            by_lower = {z.lower(): z for z in zoneinfo.available_timezones()}
            if name.lower() in by_lower:  # "utc", "europe/berlin"
                return by_lower[name.lower()]
            raise ValueError("not an IANA time zone: use a name such as UTC, Europe/Berlin or Asia/Shanghai") from None
        return name

    @field_validator("telegram_token")
    @classmethod
    def _telegram_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TELEGRAM_TOKEN.match(value.get_secret_value()):
            raise ValueError("not a Telegram bot token: expected digits, a colon and letters, as BotFather gives it")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.match(value.get_secret_value()):
            raise ValueError("Telegram accepts 1 to 256 characters: letters, digits, _ and -")
        return value

    @field_validator("discord_token")
    @classmethod
    def _discord_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and any(c.isspace() for c in value.get_secret_value()):
            raise ValueError("not a Discord bot token: it has spaces (paste the token alone, without 'Bot ')")
        return value

    @field_validator("telegram_api_base_url", "telegram_webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("not a URL: expected one starting with https:// (or http://)")
        return value

    @field_validator("discord_api_base_url")
    @classmethod
    def _discord_api_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("not a URL: expected one such as https://discord.com/api/v10 (or a proxy's, http://)")
        return value.rstrip("/")  # discord.py appends paths such as /users/@me

    @field_validator("discord_gateway_url")
    @classmethod
    def _discord_gateway_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("not a websocket URL: expected one such as wss://gateway.discord.gg/ (or ws://)")
        return value


class SettingsError(BanbotError):
    """The settings are invalid: one line per bad variable, `BANBOT_X=value: reason`, secrets redacted."""


def redact_url(url: str) -> str:
    """A database URL with its password (user:PASSWORD@host, or ?password=…) replaced by ***."""
    if url.lower().startswith("sqlite"):
        return url
    scheme, sep, rest = url.partition("://")
    head, query_sep, query = rest.partition("?")
    userinfo, at, host = head.rpartition("@")
    if at and ":" in userinfo:
        head = userinfo.split(":", 1)[0] + ":***@" + host
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", query)
    return scheme + sep + head + query_sep + query


def _shown(field: str, value: object) -> str:
    """How a variable's value appears in an error line: secrets redacted, one line, not too long."""
    annotation = Settings.model_fields[field].annotation if field in Settings.model_fields else None
    if annotation is SecretStr or SecretStr in get_args(annotation):
        return "<redacted>"
    text = value if isinstance(value, str) else str(value)
    if field == "database_url":
        text = redact_url(text)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= _ECHO_CHARS else text[:_ECHO_CHARS] + "…"


def _problem(error: dict[str, Any]) -> str:
    field = str(error["loc"][0])  # every check is on one field: the variable to name
    reason = str(error["msg"]).removeprefix("Value error, ")
    # The whole variable, not just the list item pydantic names (`input`), when it came from the environment
    value = os.environ.get(ENV_PREFIX + field.upper(), error.get("input", ""))
    return f"{ENV_PREFIX}{field.upper()}={_shown(field, value)}: {reason}"


def load_settings() -> Settings:
    """Read the environment (and a .env file in the working directory, if any).

    Raises SettingsError naming every bad variable, one line each.
    """
    try:
        return Settings()
    except ValidationError as exc:
        lines = dict.fromkeys(_problem(dict(error)) for error in exc.errors())
        raise SettingsError("\n".join(lines)) from None
