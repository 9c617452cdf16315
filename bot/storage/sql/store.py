"""The SQL store: SQLAlchemy 2 async over SQLite (aiosqlite, the default) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage.sql import migrations
from bot.storage.sql.curation import SqlCuration
from bot.storage.sql.outbox import SqlOutbox
from bot.storage.sql.subscriptions import SqlSubscriptions


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


async def open_store(url: str, *, schema: str | None = None, migrate: bool = True) -> SqlStore:
    """Connect (creating the SQLite file's directory if needed) and migrate the schema to the latest version.

    `schema` (PostgreSQL only) sets the search_path, so several installations or test runs can share a
    database without colliding.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    elif schema:
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    if migrate:
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

    async def close(self) -> None:
        await self.engine.dispose()
