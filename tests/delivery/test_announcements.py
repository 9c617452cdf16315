"""Modes and announcements end to end, over every store, with a fake clock: milestone days, news posted once
per subscription, never two posts a day, no backlog for new subscribers, nothing stale broadcast."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Collection
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.local_times import occurrence
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Announcement, Heading, Localized, PostText
from bot.storage.base import Store
from bot.storage.records import DeliveryState, Mode
from bot.types import ChatRef, Platform
from tests.delivery.support import FakeClock, Rig, utc

M, U, D = Mode.MILESTONES, Mode.UPDATES, Mode.DAILY
NINE = dt.time(9, 0)


def news(ann_id: str, date: dt.date, deadline: str | None = None) -> Announcement:
    return Announcement(
        id=ann_id,
        date=date,
        heading=Heading(en=f"News {ann_id}", zh=f"新动态{ann_id}"),
        text=PostText(en=f"Something happened ({ann_id}).", zh=f"发生了一件事（{ann_id}）。"),
        deadline=deadline,
        sources=["src-a"],
    )


def with_news(kb: KnowledgeBase, *items: Announcement) -> KnowledgeBase:
    return dataclasses.replace(kb, announcements={a.id: a for a in sorted(items, key=lambda a: (a.date, a.id))})


def at_nine(day: dt.date, zone: str = "UTC") -> dt.datetime:
    """Half a minute after a 09:00 post time on `day` in `zone`."""
    return occurrence(day, NINE, ZoneInfo(zone)).at + dt.timedelta(seconds=30)


def posts(rig: Rig, chat_id: str) -> list[tuple[str, str]]:
    """(local date of the post, what it was: 'a:<announcement>' or 'd:<deadline>') for one chat, in order."""
    return [(s.post.key.rsplit("-", 1)[1], s.post.more_ref or "") for s in rig.tg.delivered_to(chat_id)]


def once_a_day(rig: Rig) -> None:
    per_day = Counter((s.post.chat.chat_id, s.post.key) for s in rig.tg.delivered)
    assert set(per_day.values()) <= {1}, per_day


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2026, 11, 20, 12, 0))


@pytest.fixture
def rig(store: Store, kb: KnowledgeBase, clock: FakeClock) -> Rig:
    return Rig(store, kb, clock)


async def subscribe(rig: Rig, chat_id: str, modes: Collection[Mode], **kwargs: str) -> int:
    return await rig.sub(chat_id, modes=modes, **kwargs)


async def test_milestones_mode_posts_on_day_700_and_730_not_701(rig: Rig, clock: FakeClock) -> None:
    zone = "America/New_York"  # days are counted in the chat's zone
    clock.set(utc(2026, 12, 18, 12))  # day 698 since January 19, 2025
    await subscribe(rig, "m", [M], tz=zone)
    quiet_on: list[dt.date] = []
    day = dt.date(2026, 12, 19)
    while day <= dt.date(2027, 1, 21):
        clock.set(at_nine(day, zone))
        report = await rig.engine.run_once()
        if report.quiet:
            quiet_on.append(day)
        day += dt.timedelta(days=1)
    assert posts(rig, "m") == [("20261220", "d:law-effective"), ("20270119", "d:law-effective")]
    first, second = (s.post.reply for s in rig.tg.delivered)
    assert first.text.startswith("700 days since the law taking effect (January 19, 2025).")
    assert second.text.startswith("730 days since the law taking effect (January 19, 2025): 2 years.")
    assert first.title == "Law taking effect" and first.short is not None and "checked" in first.short
    assert dt.date(2026, 12, 21) in quiet_on  # day 701: the tick saw it and posted nothing
    assert len(quiet_on) == 34 - 2


async def test_an_announcement_reaches_every_updates_subscriber_once(rig: Rig, clock: FakeClock) -> None:
    for chat, modes in {"u": [U], "mu": [M, U], "du": [D, U], "d": [D], "m": [M]}.items():
        await subscribe(rig, chat, modes)
    clock.set(at_nine(dt.date(2026, 11, 26)))
    await rig.engine.run_once()  # before any news: only the daily ones post
    assert {s.post.chat.chat_id for s in rig.tg.delivered} == {"du", "d"}

    rig.kb = with_news(rig.kb, news("ruling", dt.date(2026, 11, 26)))  # a curator adds it; the bot reloads
    clock.advance(minutes=10)
    assert (await rig.engine.run_once()).claimed == 0  # today's post time has passed: it goes out next time
    for day in (27, 28, 29):
        clock.set(at_nine(dt.date(2026, 11, day)))
        await rig.engine.run_once()

    assert posts(rig, "u") == [("20261127", "a:ruling")]
    assert posts(rig, "mu") == [("20261127", "a:ruling")]
    # the daily subscriber gets the news instead of that day's countdown: never two posts in one day
    assert posts(rig, "du") == [
        ("20261126", "d:law-effective"),
        ("20261127", "a:ruling"),
        ("20261128", "d:law-effective"),
        ("20261129", "d:law-effective"),
    ]
    assert [kind for _, kind in posts(rig, "d")] == ["d:law-effective"] * 4  # no news without `updates`
    assert posts(rig, "m") == []
    once_a_day(rig)
    announcement = rig.tg.delivered_to("u")[0].post.reply
    assert announcement.title == "News ruling"
    assert announcement.text.startswith("November 26, 2026: Something happened (ruling).\n\n677 days since")

    rig.kb = with_news(rig.kb, news("ruling", dt.date(2026, 11, 26)), news("hearing", dt.date(2026, 11, 30)))
    clock.set(at_nine(dt.date(2026, 11, 30)) - dt.timedelta(hours=1))  # added before the day's post time
    await rig.engine.run_once()
    clock.set(at_nine(dt.date(2026, 11, 30)))
    await rig.engine.run_once()
    assert [kind for _, kind in posts(rig, "mu")] == ["a:ruling", "a:hearing"]  # the same day
    once_a_day(rig)


async def test_no_backlog_for_new_subscribers_and_nothing_stale(rig: Rig, clock: FakeClock) -> None:
    await subscribe(rig, "early", [U])  # created November 20
    clock.set(utc(2026, 11, 26, 12))
    await subscribe(rig, "late", [U])  # created November 26, after "before" was dated
    rig.kb = with_news(
        rig.kb,
        news("before", dt.date(2026, 11, 25)),  # before "late" existed
        news("stale", dt.date(2026, 11, 22)),  # added only now, four days after its date
    )
    for day in (27, 28, 29):
        clock.set(at_nine(dt.date(2026, 11, day)))
        await rig.engine.run_once()
    assert posts(rig, "early") == [("20261127", "a:before")]  # "stale" is past the grace days: never
    assert posts(rig, "late") == []


async def test_two_pending_go_out_oldest_first_one_a_day(rig: Rig, clock: FakeClock) -> None:
    await subscribe(rig, "u", [U])
    rig.kb = with_news(rig.kb, news("second", dt.date(2026, 11, 26)), news("first", dt.date(2026, 11, 25)))
    for day in (26, 27, 28):
        clock.set(at_nine(dt.date(2026, 11, day)))
        await rig.engine.run_once()
    assert posts(rig, "u") == [("20261126", "a:first"), ("20261127", "a:second")]


async def test_a_withdrawn_announcement_is_skipped_not_sent(rig: Rig, clock: FakeClock) -> None:
    sub_id = await subscribe(rig, "u", [U])
    listed = with_news(rig.kb, news("oops", dt.date(2026, 11, 26)))
    withdrawn = rig.kb
    calls = 0

    def knowledge() -> KnowledgeBase:  # the curator removes it between the claim and the send
        nonlocal calls
        calls += 1
        return listed if calls == 1 else withdrawn

    engine = rig.make_engine()
    engine._knowledge = knowledge
    engine._deliverer._knowledge = knowledge
    clock.set(at_nine(dt.date(2026, 11, 26)))
    assert (await engine.run_once()).claimed == 1
    [row] = await rig.store.deliveries_of(sub_id)
    assert (row.state, row.detail, row.announcement_id) == (DeliveryState.SKIPPED, "announcement withdrawn", "oops")
    assert rig.tg.delivered == []


async def test_two_engines_then_a_restart_post_each_announcement_once(rig: Rig, clock: FakeClock) -> None:
    for i in range(20):
        await subscribe(rig, f"c{i}", [M, U])
    rig.kb = with_news(rig.kb, news("ruling", dt.date(2026, 11, 26)))
    clock.set(at_nine(dt.date(2026, 11, 26)))
    reports = await asyncio.gather(rig.engine.run_once(), rig.make_engine().run_once())
    assert sum(r.claimed for r in reports) == 20
    for day in (27, 28):  # a restarted process the next days: nothing again
        clock.set(at_nine(dt.date(2026, 11, day)))
        assert (await rig.make_engine().run_once()).claimed == 0
    assert Counter(s.post.chat.chat_id for s in rig.tg.delivered) == {f"c{i}": 1 for i in range(20)}
    assert {s.post.more_ref for s in rig.tg.delivered} == {"a:ruling"}


async def test_a_new_court_date_can_be_counted_down_to(rig: Rig, clock: FakeClock) -> None:
    await subscribe(rig, "u", [U])
    court = rig.kb.deadlines["law-effective"].model_copy(
        update={
            "id": "court-hearing",
            "title": Localized(en="the D.C. Circuit hearing", zh="上诉法院听证"),
            "at": dt.datetime(2027, 3, 3, tzinfo=dt.UTC),
        }
    )
    rig.kb = with_news(
        dataclasses.replace(rig.kb, deadlines={**rig.kb.deadlines, court.id: court}),
        news("hearing-set", dt.date(2026, 11, 26), deadline="court-hearing"),
    )
    clock.set(at_nine(dt.date(2026, 11, 26)))
    await rig.engine.run_once()
    [post] = rig.tg.delivered
    assert "97 days until the D.C. Circuit hearing (March 3, 2027)." in post.post.reply.text
    view = await rig.service.subscribe(
        ChatRef(Platform.TELEGRAM, "u"), created_by="admin", lang="en", deadline_id="court-hearing"
    )
    assert view.modes == {D} and not view.passed  # a date ahead: a daily countdown by default
    clock.set(at_nine(dt.date(2026, 11, 27)))
    await rig.engine.run_once()
    assert rig.tg.delivered[-1].post.reply.text.startswith("96 days until the D.C. Circuit hearing")


async def test_announcement_broadcasts_are_paced(rig: Rig, clock: FakeClock) -> None:
    for i in range(60):
        await subscribe(rig, f"t{i}", [U])
    rig.kb = with_news(rig.kb, news("ruling", dt.date(2026, 11, 26)))
    clock.set(at_nine(dt.date(2026, 11, 26)))
    await rig.engine.run_once()
    times = sorted(s.at for s in rig.tg.attempts)
    assert len(times) == 60
    assert max(sum(1 for t in times if start <= t < start + dt.timedelta(seconds=1)) for start in times) <= 25


async def test_a_chat_with_two_updates_subscriptions_receives_one_announcement(rig: Rig, clock: FakeClock) -> None:
    await subscribe(rig, "two", [U])  # 09:00
    await subscribe(rig, "two", [D, U], at="18:00")
    await subscribe(rig, "same-time", [U])
    await subscribe(rig, "same-time", [D, U], tz="Europe/London")  # 09:00 in London is 09:00 UTC in November
    rig.kb = with_news(rig.kb, news("ruling", dt.date(2026, 11, 26)))
    for day in (26, 27):
        for moment in (at_nine(dt.date(2026, 11, day)), at_nine(dt.date(2026, 11, day)) + dt.timedelta(hours=9)):
            clock.set(moment)
            await rig.engine.run_once()
    assert [kind for _, kind in posts(rig, "two")].count("a:ruling") == 1
    assert posts(rig, "two") == [
        ("20261126", "a:ruling"),  # the 09:00 subscription, first to post that day
        ("20261126", "d:law-effective"),  # the 18:00 one posts its countdown instead
        ("20261127", "d:law-effective"),
    ]
    assert posts(rig, "same-time") == [
        ("20261126", "a:ruling"),  # both due in one tick: one of them takes it, the other counts down
        ("20261126", "d:law-effective"),
        ("20261127", "d:law-effective"),
    ]


async def test_the_announcement_window_is_a_setting(store: Store, kb: KnowledgeBase, clock: FakeClock) -> None:
    for window, expected in ((0, []), (3, []), (5, [("20261127", "a:old")])):
        rig = Rig(store, kb, clock, announcement_window_days=window)
        clock.set(utc(2026, 11, 20, 12, 0))
        await subscribe(rig, f"w{window}", [U])  # created before the news: no backlog rule in the way
        rig.kb = with_news(rig.kb, news("old", dt.date(2026, 11, 23)))  # four days before the 27th
        clock.set(at_nine(dt.date(2026, 11, 27)))
        await rig.engine.run_once()
        assert posts(rig, f"w{window}") == expected, window
