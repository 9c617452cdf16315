"""The storage ports' contract, run on the in-memory store, SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from bot.errors import DuplicateSubscriptionError
from bot.storage.base import Store
from bot.storage.records import Advance, Claim, DeliveryState, Mode, NewSubscription, Outcome
from bot.types import ChatRef, Platform
from tests.conftest import Backend

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


async def test_subscriptions_roundtrip_duplicates_and_reactivation(store: Store) -> None:
    thread_chat = ChatRef(Platform.DISCORD, "c1", "t1", True)
    rec = await store.add_subscription(new_sub(thread_chat))
    assert rec.chat == thread_chat and rec.active and not rec.paused
    other = await store.add_subscription(new_sub(thread_chat, at="10:00"))
    assert other.id != rec.id
    with pytest.raises(DuplicateSubscriptionError) as err:
        await store.add_subscription(new_sub(thread_chat))
    assert err.value.existing_id == rec.id
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
    gone = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "4")))
    await store.deactivate_chat(Platform.TELEGRAM, gone.chat.chat_id, "kicked")
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


async def test_concurrent_claimers_split_without_overlap(backend: Backend) -> None:
    stores = [await backend.open() for _ in range(2)]
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
    assert row.state is DeliveryState.SENT and row.attempts == 1
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
    assert [r.local_date for r in await store.deliveries_of(sub.id)] == [T0.date()]


async def test_one_vote_per_voter_and_entry(store: Store) -> None:
    for helpful in (True, True, False):  # one user tapping again and again, changing their mind last
        await store.add_feedback(Platform.TELEGRAM, "court-ruling", "v1", helpful, T0)
    await store.add_feedback(Platform.TELEGRAM, "court-ruling", "v2", True, T0)
    await store.add_feedback(Platform.DISCORD, "court-ruling", "v1", True, T0)  # another platform's user v1
    await store.add_feedback(Platform.DISCORD, "rednote-what", "v1", False, T0)
    counts = await store.feedback_counts()
    assert [(c.entry_id, c.helpful, c.unhelpful) for c in counts] == [("court-ruling", 2, 1), ("rednote-what", 0, 1)]


async def test_prune_feedback_keeps_recent_votes(store: Store) -> None:
    await store.add_feedback(Platform.TELEGRAM, "old", "v1", True, T0 - dt.timedelta(days=400))
    await store.add_feedback(Platform.TELEGRAM, "new", "v1", True, T0)
    assert await store.prune_feedback(T0 - dt.timedelta(days=365)) == 1
    assert [c.entry_id for c in await store.feedback_counts()] == ["new"]
    # a vote changed later counts from its last change
    await store.add_feedback(Platform.TELEGRAM, "new", "v1", False, T0 + dt.timedelta(days=400))
    assert await store.prune_feedback(T0 + dt.timedelta(days=35)) == 0


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


async def test_ping_write_probe_and_subscription_counts(store: Store) -> None:
    await store.ping()
    await store.check_writable(T0)
    await store.check_writable(T0 + dt.timedelta(seconds=5))
    await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "1")))
    await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "2")))
    await store.add_subscription(new_sub(ChatRef(Platform.DISCORD, "3")))
    await store.deactivate_chat(Platform.DISCORD, "3", "gone")
    assert await store.subscription_counts() == {"active": 2, "paused": 0, "inactive": 1}


async def test_bulk_add_is_all_or_nothing(store: Store) -> None:
    chats = [ChatRef(Platform.TELEGRAM, str(i), None, False) for i in range(3)]
    assert await store.bulk_add_subscriptions([new_sub(chat) for chat in chats]) == 3
    assert [len(await store.list_subscriptions(chat)) for chat in chats] == [1, 1, 1]
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError in SQL, ValueError in memory
        await store.bulk_add_subscriptions([new_sub(ChatRef(Platform.TELEGRAM, "new")), new_sub(chats[0])])
    assert await store.list_subscriptions(ChatRef(Platform.TELEGRAM, "new")) == []


async def test_expire_leases_hands_every_claim_over(store: Store) -> None:
    a = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "a")))
    b = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "b")))
    lease = T0 + dt.timedelta(minutes=5)
    won = await store.claim([Claim(s.id, T0.date(), T0) for s in (a, b)], [], owner="gone", lease_until=lease, now=T0)
    await store.record_outcomes([Outcome(won[b.id], DeliveryState.SENT, 1, T0)])
    assert await store.expire_leases(T0) == 1  # the claimed one; the sent one has no lease
    [taken] = await store.reclaim_expired(T0, owner="me", lease_until=lease, platforms=[Platform.TELEGRAM], limit=5)
    assert taken.id == won[a.id]


async def test_modes_roundtrip_and_change(store: Store) -> None:
    plain = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "1")))
    assert plain.modes == {Mode.DAILY}  # what every subscription had before modes existed
    news = await store.add_subscription(
        dataclasses.replace(new_sub(ChatRef(Platform.TELEGRAM, "2")), modes=frozenset({Mode.MILESTONES, Mode.UPDATES}))
    )
    assert news.modes == {Mode.MILESTONES, Mode.UPDATES}
    [listed] = await store.list_subscriptions(ChatRef(Platform.TELEGRAM, "2"))
    assert listed.modes == {Mode.MILESTONES, Mode.UPDATES}
    changed = await store.set_modes(plain.id, frozenset({Mode.UPDATES}))
    assert changed is not None and changed.modes == {Mode.UPDATES}
    [due] = await store.due_subscriptions(T0, [Platform.TELEGRAM], 1)
    assert due.id == plain.id and due.modes == {Mode.UPDATES}
    assert await store.set_modes(9999, frozenset({Mode.DAILY})) is None


async def test_an_announcement_is_claimed_once_per_subscription(store: Store) -> None:
    a = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "a")))
    b = await store.add_subscription(new_sub(ChatRef(Platform.TELEGRAM, "b")))
    lease = T0 + dt.timedelta(minutes=5)
    won = await store.claim(
        [Claim(a.id, T0.date(), T0, "court-date"), Claim(b.id, T0.date(), T0)], [], owner="o", lease_until=lease, now=T0
    )
    assert set(won) == {a.id, b.id}
    # the next day: the same announcement again is not won, another one is, and so is a countdown
    day2 = T0 + dt.timedelta(days=1)
    again = await store.claim(
        [Claim(a.id, day2.date(), day2, "court-date"), Claim(b.id, day2.date(), day2, "court-date")],
        [],
        owner="p",
        lease_until=lease,
        now=day2,
    )
    assert list(again) == [b.id]
    assert await store.announced([a.id, b.id, 999], ["court-date", "other"]) == {
        (a.id, "court-date"),
        (b.id, "court-date"),
    }
    assert await store.announced([a.id], []) == set()
    [row_a] = await store.deliveries_of(a.id)
    assert row_a.announcement_id == "court-date"
    [reclaimed] = await store.reclaim_expired(
        lease + dt.timedelta(seconds=1),
        owner="q",
        lease_until=lease + dt.timedelta(minutes=5),
        platforms=[Platform.TELEGRAM],
        limit=1,
    )
    assert reclaimed.id == won[a.id] and reclaimed.announcement_id == "court-date"
    # once pruned (long after any announcement window), its key goes with the row
    await store.record_outcomes([Outcome(d, DeliveryState.SENT, 1, day2) for d in (*won.values(), *again.values())])
    assert await store.prune_deliveries(T0.date() + dt.timedelta(days=5)) == 3
    assert await store.announced([a.id, b.id], ["court-date"]) == set()


async def test_an_announcement_is_claimed_once_per_chat(store: Store) -> None:
    """However many subscriptions a chat has (a thread is a place of its own), one announcement row wins there,
    within one claim and across claims; countdowns of the others are unaffected."""
    chat, thread = ChatRef(Platform.DISCORD, "c1"), ChatRef(Platform.DISCORD, "c1", "t1")
    first = await store.add_subscription(new_sub(chat, at="09:00"))
    second = await store.add_subscription(new_sub(chat, at="18:00"))
    third = await store.add_subscription(new_sub(chat, at="21:00"))
    in_thread = await store.add_subscription(new_sub(thread))
    elsewhere = await store.add_subscription(new_sub(ChatRef(Platform.DISCORD, "c2")))
    lease = T0 + dt.timedelta(minutes=5)
    claims = [Claim(s.id, T0.date(), T0, "ruling") for s in (second, first, in_thread, elsewhere)]
    won = await store.claim(claims, [], owner="o", lease_until=lease, now=T0)
    assert set(won) == {first.id, in_thread.id, elsewhere.id}  # the chat's first subscription takes it
    assert await store.announced([second.id, third.id], ["ruling", "other"]) == {
        (second.id, "ruling"),
        (third.id, "ruling"),
    }
    later = await store.claim(
        [Claim(third.id, T0.date(), T0 + dt.timedelta(hours=12), "ruling"), Claim(second.id, T0.date(), T0)],
        [],
        owner="p",
        lease_until=lease,
        now=T0,
    )
    assert list(later) == [second.id]  # its countdown that day, not the announcement again
    await store.record_outcomes([Outcome(d, DeliveryState.SENT, 1, T0) for d in (*won.values(), *later.values())])
    assert await store.prune_deliveries(T0.date() + dt.timedelta(days=1)) == 4
    assert await store.announced([second.id, third.id], ["ruling"]) == set()
