"""What only the SQL store has: versioned migrations, the write probe, PostgreSQL timeouts and pre-ping."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.delivery.engine import DeliveryEngine
from bot.storage.records import Claim, DeliveryState, Mode
from bot.storage.sql import SqlStore, make_engine, migrations, open_store
from bot.storage.sql.tables import metadata
from bot.types import ChatRef, Platform
from tests.conftest import Database, _pg_execute
from tests.delivery.support import FakeClock, RecordingSender, make_settings, write_kb

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


async def test_upgrade_keeps_one_vote_per_burst_of_identical_legacy_votes(database: Database) -> None:
    """Votes from before v4 carry no voter: a burst of identical votes on one entry within a minute (one
    user tapping again and again) is kept once; anything else is kept as it was."""
    kwargs = {"connect_args": {"server_settings": {"search_path": database.schema}}} if database.schema else {}
    engine = create_async_engine(database.url, **kwargs)
    assert await migrations.migrate(engine, target=3) == 3
    flood = [("telegram", "law-name", True, T0 + dt.timedelta(seconds=s)) for s in range(0, 50, 1)]
    other = [
        ("telegram", "law-name", False, T0 + dt.timedelta(seconds=10)),  # another vote in that minute
        ("discord", "law-name", True, T0 + dt.timedelta(seconds=10)),  # another platform
        ("telegram", "law-name", True, T0 + dt.timedelta(minutes=5)),  # later: someone else
        ("telegram", "court-ruling", True, T0),
    ]
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO feedback (platform, entry_id, helpful, created_at) VALUES (:p, :e, :h, :c)"),
            [{"p": p, "e": e, "h": h, "c": c.replace(tzinfo=None)} for p, e, h, c in flood + other],
        )
    await engine.dispose()
    store = await open_store(database.url, schema=database.schema)
    try:
        counts = {c.entry_id: (c.helpful, c.unhelpful) for c in await store.feedback_counts()}
        assert counts == {"law-name": (3, 1), "court-ruling": (1, 0)}
        await store.add_feedback(Platform.TELEGRAM, "law-name", "someone", True, T0)  # new votes still land
        assert {c.entry_id: c.helpful for c in await store.feedback_counts()}["law-name"] == 4
    finally:
        await store.close()


async def read_only(database: Database) -> SqlStore:
    """The same database refusing writes while reads work, as a full disk or a read-only replica does."""
    await (await open_store(database.url, schema=database.schema)).close()  # migrated while writable
    if database.kind == "sqlite":
        path = make_url(database.url).database
        return SqlStore(make_engine(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"))
    settings = {"search_path": database.schema or "public", "default_transaction_read_only": "on"}
    return SqlStore(create_async_engine(database.url, connect_args={"server_settings": settings}))


async def test_the_write_probe_fails_where_reads_still_work(database: Database) -> None:
    writable = await open_store(database.url, schema=database.schema)
    try:
        await writable.check_writable(T0)
        await writable.check_writable(T0 + dt.timedelta(seconds=5))  # an upsert: one row, however often
    finally:
        await writable.close()
    store = await read_only(database)
    try:
        await store.ping()  # reads work: a ping alone would call this store healthy
        with pytest.raises(DBAPIError):
            await store.check_writable(T0)
    finally:
        await store.close()


async def test_an_unresponsive_postgresql_server_fails_the_connect_instead_of_hanging() -> None:
    """A server that accepts the TCP connection and never answers, as behind a network black hole."""
    accepted: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(TimeoutError):
            await open_store(f"postgresql+asyncpg://banbot@127.0.0.1:{port}/banbot", connect_timeout=0.2)
        assert accepted  # it did connect, then waited for an answer that never came
    finally:
        server.close()
        for writer in accepted:
            writer.close()
        await server.wait_closed()


@pytest.mark.parametrize("database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_postgresql_statements_time_out_and_dead_connections_are_replaced(database: Database) -> None:
    store = await open_store(database.url, schema=database.schema, statement_timeout=0.2)
    try:
        with pytest.raises(DBAPIError, match="statement timeout"):
            async with store.engine.connect() as conn:
                await conn.execute(text("SELECT pg_sleep(5)"))
        async with store.engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await _pg_execute(f"SELECT pg_terminate_backend({int(pid)})")  # the server drops the pooled connection
        await store.ping()  # the pre-ping notices and reconnects: no error reaches the caller
    finally:
        await store.close()


async def test_upgrade_to_modes_keeps_existing_subscriptions_daily(database: Database, tmp_path: Path) -> None:
    """Subscriptions from before v6 keep their daily post, after the deadline too (where a new one defaults to
    milestones and news); their delivery history stays, and announcements can be claimed for them."""
    kwargs = {"connect_args": {"server_settings": {"search_path": database.schema}}} if database.schema else {}
    engine = create_async_engine(database.url, **kwargs)
    assert await migrations.migrate(engine, target=5) == 5
    yesterday = dt.datetime(2026, 11, 25, 9, 0)
    async with engine.begin() as conn:
        for chat in ("old-1", "old-2"):
            await conn.execute(
                text(
                    "INSERT INTO subscriptions (platform, chat_id, thread_id, is_group, deadline_id, local_time,"
                    " timezone, lang, created_by, created_at, active, paused, next_due_at) VALUES ('telegram', :chat,"
                    " '', :t, 'law-effective', '09:00', 'UTC', 'en', 'admin', :c, :t, :f, :d)"
                ),
                {"chat": chat, "t": True, "f": False, "c": dt.datetime(2025, 1, 1), "d": yesterday},
            )
        await conn.execute(
            text(
                "INSERT INTO deliveries (subscription_id, local_date, due_at, state, attempts, claimed_at)"
                " VALUES (1, '2026-11-24', :d, 'sent', 1, :d)"
            ),
            {"d": yesterday - dt.timedelta(days=1)},
        )
    await engine.dispose()

    store = await open_store(database.url, schema=database.schema)
    try:
        async with store.engine.connect() as conn:
            assert await migrations.current_version(conn) == migrations.LATEST_VERSION
        subs = [
            s for chat in ("old-1", "old-2") for s in await store.list_subscriptions(ChatRef(Platform.TELEGRAM, chat))
        ]
        assert [s.modes for s in subs] == [{Mode.DAILY}, {Mode.DAILY}]
        [old_row] = await store.deliveries_of(subs[0].id)
        assert old_row.state is DeliveryState.SENT and old_row.announcement_id is None

        kb = write_kb(tmp_path / "kb")
        clock = FakeClock(dt.datetime(2026, 11, 26, 9, 0, 30, tzinfo=dt.UTC))
        sender = RecordingSender(Platform.TELEGRAM, clock)
        engine_ = DeliveryEngine(
            store, lambda: kb, {Platform.TELEGRAM: sender}, clock, make_settings(), sleep=clock.sleep
        )
        report = await engine_.run_once()  # yesterday's post is past the grace window: today's daily one goes
        assert report.claimed == 2 and report.quiet == 0
        assert all(s.post.reply.text.startswith("676 days since the law taking effect") for s in sender.delivered)
        won = await store.claim(
            [Claim(subs[1].id, dt.date(2026, 11, 27), clock() + dt.timedelta(days=1), "court-date")],
            [],
            owner="x",
            lease_until=clock() + dt.timedelta(minutes=5),
            now=clock(),
        )
        assert list(won) == [subs[1].id]
    finally:
        await store.close()


async def test_upgrade_to_one_announcement_per_chat_keeps_chats_that_got_one_twice(database: Database) -> None:
    """Before v7 a chat with two `updates` subscriptions got each announcement twice: both rows stay, the
    first carries the chat, and no third row can be claimed there."""
    kwargs = {"connect_args": {"server_settings": {"search_path": database.schema}}} if database.schema else {}
    engine = create_async_engine(database.url, **kwargs)
    assert await migrations.migrate(engine, target=6) == 6
    day = dt.datetime(2026, 11, 26, 9, 0)
    async with engine.begin() as conn:
        for n, (chat, at) in enumerate([("twice", "09:00"), ("twice", "18:00"), ("twice", "21:00"), ("once", "09:00")]):
            await conn.execute(
                text(
                    "INSERT INTO subscriptions (platform, chat_id, thread_id, is_group, deadline_id, local_time,"
                    " timezone, lang, created_by, created_at, active, paused, next_due_at, modes) VALUES"
                    " ('telegram', :chat, '', :t, 'law-effective', :at, 'UTC', 'en', 'admin', :c, :t, :f, :d,"
                    " 'updates')"
                ),
                {"chat": chat, "at": at, "t": True, "f": False, "c": dt.datetime(2025, 1, 1), "d": day},
            )
            if n != 2:  # subscriptions 1 and 2 of "twice", and "once", got the ruling
                await conn.execute(
                    text(
                        "INSERT INTO deliveries (subscription_id, local_date, due_at, state, attempts, claimed_at,"
                        " announcement_id) VALUES (:s, '2026-11-26', :d, 'sent', 1, :d, 'ruling')"
                    ),
                    {"s": n + 1, "d": day},
                )
    await engine.dispose()

    store = await open_store(database.url, schema=database.schema)
    try:
        async with store.engine.connect() as conn:
            assert await migrations.current_version(conn) == migrations.LATEST_VERSION
            rows = (await conn.execute(text("SELECT id, announcement_chat FROM deliveries ORDER BY id"))).all()
        assert rows == [(1, "telegram:twice:"), (2, None), (3, "telegram:once:")]
        assert await store.announced([1, 2, 3, 4], ["ruling"]) == {(sub, "ruling") for sub in (1, 2, 3, 4)}
        now = day.replace(tzinfo=dt.UTC) + dt.timedelta(days=1)
        won = await store.claim(
            [Claim(3, now.date(), now, "ruling")], [], owner="x", lease_until=now + dt.timedelta(minutes=5), now=now
        )
        assert won == {}
    finally:
        await store.close()
