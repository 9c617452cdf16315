"""The SQL store: SQLAlchemy 2 async over SQLite (aiosqlite, the default) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage.sql import migrations
from bot.storage.sql.curation import SqlCuration
from bot.storage.sql.outbox import SqlOutbox
from bot.storage.sql.subscriptions import SqlSubscriptions
from bot.storage.sql.tables import health_probe


def _sqlite_setup(engine: AsyncEngine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE so two writers never deadlock on upgrade."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


PG_CONNECT_TIMEOUT = 5.0
PG_STATEMENT_TIMEOUT = 10.0
_CLIENT_GRACE = 5.0
"""The client gives up this much after the server's statement timeout: for a network that drops packets."""


def make_engine(
    url: str,
    *,
    schema: str | None = None,
    connect_timeout: float = PG_CONNECT_TIMEOUT,
    statement_timeout: float | None = PG_STATEMENT_TIMEOUT,
) -> AsyncEngine:
    """An engine set up for banbot, so a dead or black-holed database fails a call instead of hanging it.

    PostgreSQL: `connect_timeout`; `statement_timeout` enforced by the server (None: none, for migrations)
    and, a little later, by the client, which also covers packets that never come back; a pre-ping that
    replaces pooled connections the server or the network closed. `schema` sets the search_path, so several
    installations or test runs can share a database. SQLite: see _sqlite_setup.
    """
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _sqlite_setup(engine)
        return engine
    server_settings = {"search_path": schema} if schema else {}
    connect_args: dict[str, Any] = {"timeout": connect_timeout, "server_settings": server_settings}
    if statement_timeout is not None:
        server_settings["statement_timeout"] = str(round(statement_timeout * 1000))
        connect_args["command_timeout"] = statement_timeout + _CLIENT_GRACE
    return create_async_engine(url, connect_args=connect_args, pool_pre_ping=True)


async def open_store(
    url: str,
    *,
    schema: str | None = None,
    migrate: bool = True,
    connect_timeout: float = PG_CONNECT_TIMEOUT,
    statement_timeout: float = PG_STATEMENT_TIMEOUT,
) -> SqlStore:
    """Connect (creating the SQLite file's directory if needed) and migrate the schema to the latest version.

    On PostgreSQL, migrations run on a connection without the statement timeout: an upgrade may take longer,
    and may wait for another process's upgrade to finish.
    """
    parsed = make_url(url)
    sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    if sqlite_file and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url, schema=schema, connect_timeout=connect_timeout, statement_timeout=statement_timeout)
    if migrate and engine.dialect.name == "postgresql":
        upgrader = make_engine(url, schema=schema, connect_timeout=connect_timeout, statement_timeout=None)
        try:
            await migrations.migrate(upgrader)
        finally:
            await upgrader.dispose()
    elif migrate:
        await migrations.migrate(engine)
    return SqlStore(engine)


class SqlStore(SqlSubscriptions, SqlOutbox, SqlCuration):
    """bot.storage.base.Store over SQLAlchemy; each port's queries live in their own module."""

    @property
    def shared(self) -> bool:
        """SQLite is for one process (DESIGN.md §5); PostgreSQL is how several share the work."""
        return self.dialect == "postgresql"

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    async def check_writable(self, now: dt.datetime) -> None:
        """Upsert the one row of the probe table: fails on a full disk or a read-only database."""
        stmt = self.insert(health_probe).values(name="readyz", checked_at=now)
        async with self.engine.begin() as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"checked_at": now}))

    async def close(self) -> None:
        await self.engine.dispose()
