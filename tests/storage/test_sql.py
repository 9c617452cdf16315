"""What only the SQL store has: versioned migrations, checked on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.sql import SqlStore, migrations, open_store
from bot.storage.sql.tables import metadata
from bot.types import ChatRef, Platform
from tests.conftest import Database

T0 = dt.datetime(2025, 1, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def sql_store(database: Database) -> AsyncIterator[SqlStore]:
    st = await open_store(database.url, schema=database.schema)
    try:
        yield st
    finally:
        await st.close()


async def test_fresh_database_is_at_latest_version_and_matches_the_tables(sql_store: SqlStore) -> None:
    async with sql_store.engine.connect() as conn:
        assert await migrations.current_version(conn) == migrations.LATEST_VERSION

        def columns(sync_conn: object) -> dict[str, set[str]]:
            insp = inspect(sync_conn)
            return {t: {c["name"] for c in insp.get_columns(t)} for t in metadata.tables}

        found = await conn.run_sync(columns)
    for name, table in metadata.tables.items():
        assert found[name] == {c.name for c in table.columns}, name


async def test_migrate_is_idempotent(sql_store: SqlStore) -> None:
    assert await migrations.migrate(sql_store.engine) == migrations.LATEST_VERSION
    async with sql_store.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT version FROM schema_version"))).all()
    assert rows == [(migrations.LATEST_VERSION,)]


async def test_upgrade_from_v1_keeps_data(database: Database) -> None:
    kwargs = {"connect_args": {"server_settings": {"search_path": database.schema}}} if database.schema else {}
    engine = create_async_engine(database.url, **kwargs)
    assert await migrations.migrate(engine, target=1) == 1
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO subscriptions (platform, chat_id, thread_id, is_group, deadline_id, local_time, timezone,"
                " lang, created_by, created_at, active, paused, next_due_at) VALUES ('discord', '42', '', :t,"
                " 'law-effective', '08:30', 'Europe/Berlin', 'zh', 'old-admin', :c, :t, :f, :d)"
            ),
            {"t": True, "f": False, "c": dt.datetime(2024, 12, 1), "d": dt.datetime(2025, 1, 10, 7, 30)},
        )
    await engine.dispose()

    store = await open_store(database.url, schema=database.schema)  # upgrades in place
    try:
        async with store.engine.connect() as conn:
            assert await migrations.current_version(conn) == migrations.LATEST_VERSION
        [rec] = await store.list_subscriptions(ChatRef(Platform.DISCORD, "42"))
        assert (rec.local_time, rec.timezone, rec.lang, rec.created_by) == (
            dt.time(8, 30),
            "Europe/Berlin",
            "zh",
            "old-admin",
        )
        assert rec.inactive_reason is None
        assert rec.next_due_at == dt.datetime(2025, 1, 10, 7, 30, tzinfo=dt.UTC)
        await store.add_gap(
            text="q", norm="q", lang="en", confidence=0.1, at=T0, keep_after=T0 - dt.timedelta(days=1), max_rows=10
        )
        assert [g.text for g in await store.top_gaps(5)] == ["q"]
    finally:
        await store.close()
