"""Opening the configured database, with one clear line when it cannot be reached or read.

Every command that opens the database goes through here, so an unreachable server or a corrupt SQLite
file is reported the same way: `BANBOT_DATABASE_URL=<url, password redacted>: cannot use the database
<file or host>: <reason>`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.errors import BanbotError
from bot.settings import Settings, redact_url
from bot.storage.sql import SqlStore, open_store

DATABASE_FAILURES = (SQLAlchemyError, OSError, TimeoutError)
"""What a database that is down, unreachable, corrupt or not writable raises (drivers' errors included)."""


class DatabaseUnavailableError(BanbotError):
    """The configured database could not be opened or used; the message is one line for the operator."""


def database_location(url: str) -> str:
    """Where the data lives: the SQLite file's path, or host:port/database for a server."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(unreadable URL)"
    if parsed.get_backend_name() == "sqlite":
        return f"file {Path(parsed.database).resolve()}" if parsed.database else "in memory"
    port = f":{parsed.port}" if parsed.port else ""
    return f"server {parsed.host or 'localhost'}{port}/{parsed.database or ''}"


def _reason(exc: BaseException) -> str:
    """The driver's own words, on one line, without SQLAlchemy's wrapping and links."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).split("\n(Background on this error", 1)[0].strip()
    text, name = " ".join(text.split()), type(cause).__name__
    if isinstance(cause, OSError | TimeoutError) or not text:  # their text alone can be terse or empty
        return f"{name}: {text}" if text else name
    return text


def describe_failure(settings: Settings, exc: BaseException) -> str:
    url = settings.database_url
    reason = _reason(exc)
    password = _password(url)
    if password and len(password) >= 4:  # drivers do not echo it; if one ever did, it would not show
        reason = reason.replace(password, "***")
    return f"BANBOT_DATABASE_URL={redact_url(url)}: cannot use the database ({database_location(url)}): {reason}"


def _password(url: str) -> str | None:
    try:
        return make_url(url).password
    except ArgumentError:
        return None


async def open_database(settings: Settings) -> SqlStore:
    """`open_store` for the configured database; DatabaseUnavailableError when it cannot be opened."""
    try:
        return await open_store(settings.database_url, schema=settings.database_schema)
    except DATABASE_FAILURES as exc:
        raise DatabaseUnavailableError(describe_failure(settings, exc)) from exc


@asynccontextmanager
async def using_database(settings: Settings) -> AsyncIterator[SqlStore]:
    """The configured database for one command: opened, used, closed; failures as DatabaseUnavailableError."""
    store = await open_database(settings)
    try:
        yield store
    except DATABASE_FAILURES as exc:
        raise DatabaseUnavailableError(describe_failure(settings, exc)) from exc
    finally:
        await store.close()
