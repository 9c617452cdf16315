"""The store's contract, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage import Store, migrations, open_store
from bot.storage.records import Advance, Claim, DeliveryState, NewSubscription, Outcome
from bot.storage.sql import DuplicateSubscriptionError
from bot.storage.tables import metadata
from bot.types import ChatRef, Platform
from tests.conftest import Database

T0 = dt.datetime(2025, 1, 10, 9, 0, tzinfo=dt.UTC)
CHAT = ChatRef(Platform.TELEGRAM, "-100", None, True)


def new_sub(chat: ChatRef = CHAT, at: str = "09:00", tz: str = "UTC", due: dt.datetime | None = T0) -> NewSubscription:
    hour, minute = map(int, at.split(":"))
    return NewSubscription(
        chat=chat,
        deadline_id="law-effective",
        local_time=dt.time(hour, minute),
        timezone=tz,
        lang="en",
        created_by="admin",
        created_at=T0 - dt.timedelta(days=1),
        next_due_at=due,
    )


async def test_fresh_database_is_at_latest_version_and_matches_the_tables(store: Store) -> None:
    async with store.engine.connect() as conn:
        assert await migrations.current_version(conn) == migrations.LATEST_VERSION

        def columns(sync_conn: object) -> dict[str, set[str]]:
            insp = inspect(sync_conn)
            return {t: {c["name"] for c in insp.get_columns(t)} for t in metadata.tables}

        found = await conn.run_sync(columns)
    for name, table in metadata.tables.items():
        assert found[name] == {c.name for c in table.columns}, name


async def test_migrate_is_idempotent(store: Store) -> None:
    assert await migrations.migrate(store.engine) == migrations.LATEST_VERSION
    async with store.engine.connect() as conn:
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


async def test_subscriptions_roundtrip_duplicates_and_reactivation(store: Store) -> None:
    thread_chat = ChatRef(Platform.DISCORD, "c1", "t1", True)
    rec = await store.add_subscription(new_sub(thread_chat))
    assert rec.chat == thread_chat and rec.active and not rec.paused
    other = await store.add_subscription(new_sub(thread_chat, at="10:00"))
    assert other.id != rec.id
    with pytest.raises(DuplicateSubscriptionError) as err:
        await store.add_subscription(new_sub(thread_chat))
    assert err.value.existing.id == rec.id
    # the same chat without the thread is a different place
    assert (await store.add_subscription(new_sub(ChatRef(Platform.DISCORD, "c1")))).chat.thread_id is None
    assert [s.id for s in await store.list_subscriptions(thread_chat)] == [rec.id, other.id]

    assert await store.deactivate_chat(Platform.DISCORD, "c1", "403 Missing Access") == 3
    assert await store.list_subscriptions(thread_chat) == []
    [gone, _] = await store.list_subscriptions(thread_chat, include_inactive=True)
    assert gone.inactive_reason == "403 Missing Access" and gone.next_due_at is None
    again = await store.add_subscription(new_sub(thread_chat))  # subscribing again revives it
    assert again.id == rec.id and again.active


async def test_migrate_chat_moves_and_drops_clashes(store: Store) -> None:
    a = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "-1"), at="09:00"))
    b = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "-1"), at="10:00"))
    await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "-1002"), at="10:00"))
    assert await store.migrate_chat(Platform.TELEGRAM, "-1", "-1002") == 1
    moved = await store.list_subscriptions(ChatRef(Platform.TELEGRAM, "-1002"))
    assert a.id in {s.id for s in moved} and b.id not in {s.id for s in moved}
    assert await store.list_subscriptions(ChatRef(Platform.TELEGRAM, "-1")) == []


async def test_due_subscriptions_filters(store: Store) -> None:
    due = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "1")))
    await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "2"), due=T0 + dt.timedelta(minutes=1)))
    await store.add_subscription(new_sub(ChatRef(Platform.DISCORD, "3")))
    paused = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "4")))
    await store.set_schedule([(paused.id, True, None)])
    assert [s.id for s in await store.due_subscriptions(T0, [Platform.TELEGRAM], 100)] == [due.id]
    assert len(await store.due_subscriptions(T0, [Platform.TELEGRAM, Platform.DISCORD], 100)) == 2
    assert len(await store.due_subscriptions(T0, [Platform.TELEGRAM, Platform.DISCORD], 1)) == 1


async def test_claim_is_won_once_and_advances(store: Store) -> None:
    sub = await store.add_subscription(new_sub())
    claim = Claim(sub.id, T0.date(), T0)
    nxt = T0 + dt.timedelta(days=1)
    won = await store.claim(
        [claim], [Advance(sub.id, T0, nxt)], owner="a", lease_until=T0 + dt.timedelta(minutes=5), now=T0
    )
    assert list(won) == [sub.id]
    again = await store.claim(
        [claim], [Advance(sub.id, T0, nxt)], owner="b", lease_until=T0 + dt.timedelta(minutes=5), now=T0
    )
    assert again == {}
    rec = await store.get_subscription(sub.id)
    assert rec is not None and rec.next_due_at == nxt


async def test_concurrent_claimers_split_without_overlap(database: Database) -> None:
    stores = [await open_store(database.url, schema=database.schema) for _ in range(2)]
    try:
        subs = [await stores[0].add_subscription(new_sub(ChatRef(Platform.TELEGRAM, str(i)))) for i in range(40)]
        claims = [Claim(s.id, T0.date(), T0) for s in subs]
        lease = T0 + dt.timedelta(minutes=5)
        results = await asyncio.gather(
            *(st.claim(claims, [], owner=f"o{i}", lease_until=lease, now=T0) for i, st in enumerate(stores))
        )
        assert sorted([*results[0], *results[1]]) == sorted(s.id for s in subs)
    finally:
        for st in stores:
            await st.close()


async def test_lease_expiry_reclaim_and_sent_is_final(store: Store) -> None:
    sub = await store.add_subscription(new_sub())
    lease = T0 + dt.timedelta(minutes=5)
    won = await store.claim([Claim(sub.id, T0.date(), T0)], [], owner="dead", lease_until=lease, now=T0)
    d_id = won[sub.id]
    assert (
        await store.reclaim_expired(
            T0 + dt.timedelta(minutes=1), owner="b", lease_until=lease, platforms=[Platform.TELEGRAM], limit=10
        )
        == []
    )
    later = T0 + dt.timedelta(minutes=6)
    [taken] = await store.reclaim_expired(
        later, owner="b", lease_until=later + dt.timedelta(minutes=5), platforms=[Platform.TELEGRAM], limit=10
    )
    assert taken.id == d_id and taken.subscription.id == sub.id and taken.local_date == T0.date()
    assert taken.key == f"cd{sub.id}-20250110"
    assert (
        await store.reclaim_expired(later, owner="c", lease_until=later, platforms=[Platform.TELEGRAM], limit=10) == []
    )
    await store.record_outcomes([Outcome(d_id, DeliveryState.SENT, 1, later)])
    await store.record_outcomes([Outcome(d_id, DeliveryState.FAILED, 2, later, "late failure")])
    [row] = await store.deliveries_of(sub.id)
    assert row["state"] == "sent" and row["attempts"] == 1
    far = later + dt.timedelta(days=1)
    assert await store.reclaim_expired(far, owner="c", lease_until=far, platforms=[Platform.TELEGRAM], limit=10) == []
    assert await store.delivery_states() == {"sent": 1}


async def test_renew_and_release_leases(store: Store) -> None:
    sub = await store.add_subscription(new_sub())
    lease = T0 + dt.timedelta(minutes=5)
    won = await store.claim([Claim(sub.id, T0.date(), T0)], [], owner="me", lease_until=lease, now=T0)
    assert await store.renew_leases("me", list(won.values()), T0 + dt.timedelta(hours=1)) == 1
    assert await store.renew_leases("other", list(won.values()), T0 + dt.timedelta(hours=1)) == 0
    at = T0 + dt.timedelta(minutes=30)
    assert await store.reclaim_expired(at, owner="x", lease_until=at, platforms=[Platform.TELEGRAM], limit=5) == []
    assert await store.release_leases("me", list(won.values()), T0) == 1
    assert len(await store.reclaim_expired(at, owner="x", lease_until=at, platforms=[Platform.TELEGRAM], limit=5)) == 1


async def test_prune_keeps_recent_and_claimed(store: Store) -> None:
    sub = await store.add_subscription(new_sub())
    old = T0 - dt.timedelta(days=40)
    ids = []
    for when in (old, T0):
        won = await store.claim([Claim(sub.id, when.date(), when)], [], owner="o", lease_until=T0, now=T0)
        ids.extend(won.values())
    await store.record_outcomes([Outcome(d, DeliveryState.SENT, 1, T0) for d in ids])
    assert await store.prune_deliveries((T0 - dt.timedelta(days=30)).date()) == 1
    assert [r["local_date"] for r in await store.deliveries_of(sub.id)] == ["2025-01-10"]


async def test_feedback_counts(store: Store) -> None:
    for helpful in (True, True, False):
        await store.add_feedback(Platform.TELEGRAM, "court-ruling", helpful, T0)
    await store.add_feedback(Platform.DISCORD, "rednote-what", False, T0)
    counts = await store.feedback_counts()
    assert [(c.entry_id, c.helpful, c.unhelpful) for c in counts] == [("court-ruling", 2, 1), ("rednote-what", 0, 1)]


async def test_gaps_grouped_and_bounded(store: Store) -> None:
    async def add(text_: str, at: dt.datetime, max_rows: int = 100) -> None:
        await store.add_gap(
            text=text_,
            norm=text_.lower(),
            lang="en",
            confidence=0.2,
            at=at,
            keep_after=at - dt.timedelta(days=90),
            max_rows=max_rows,
        )

    await add("Is Lemon8 banned?", T0 - dt.timedelta(days=100))
    await add("What about CapCut?", T0)
    await add("what about capcut?", T0 + dt.timedelta(minutes=1))
    await add("Is YouTube next?", T0 + dt.timedelta(minutes=2))
    gaps = await store.top_gaps(10)
    assert [(g.count, g.text) for g in gaps] == [(2, "what about capcut?"), (1, "Is YouTube next?")]  # latest wording
    assert gaps[0].last_seen == T0 + dt.timedelta(minutes=1)
    await add("newest", T0 + dt.timedelta(minutes=3), max_rows=2)
    assert sorted(g.text for g in await store.top_gaps(10)) == ["Is YouTube next?", "newest"]


async def test_ping_and_subscription_counts(store: Store) -> None:
    await store.ping()
    a = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "1")))
    await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "2")))
    await store.add_subscription(new_sub(ChatRef(Platform.DISCORD, "3")))
    await store.set_schedule([(a.id, True, None)])
    await store.deactivate_chat(Platform.DISCORD, "3", "gone")
    assert await store.subscription_counts() == {"active": 1, "paused": 1, "inactive": 1}
