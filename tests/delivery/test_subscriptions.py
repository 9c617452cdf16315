"""The subscription service adapters call, over every store."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery.ports import Subscriptions
from bot.delivery.subscriptions import SubscriptionService
from bot.delivery.texts import render_subscribed, render_subscription_line, render_subscriptions
from bot.errors import SubscriptionError
from bot.knowledge.loader import KnowledgeBase
from bot.storage.base import Store
from bot.storage.records import Mode
from bot.types import ChatRef, Platform
from tests.delivery.support import FakeClock, make_settings, utc

CHAT = ChatRef(Platform.TELEGRAM, "-1001", None, True)
TITLES = {"law-effective": "the law taking effect", "jv-close": "the joint venture closing"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2025, 3, 8, 12, 0))


@pytest.fixture
def service(store: Store, kb: KnowledgeBase, clock: FakeClock) -> SubscriptionService:
    return SubscriptionService(store, lambda: kb, clock, make_settings(max_subscriptions_per_chat=3))


def test_implements_the_port(service: SubscriptionService) -> None:
    subs: Subscriptions = service
    assert subs is service


async def test_subscribe_with_defaults_to_a_past_deadline(service: SubscriptionService) -> None:
    view = await service.subscribe(CHAT, created_by="tg:1", lang="en")
    assert (view.deadline_id, view.local_time, view.timezone, view.lang) == ("law-effective", dt.time(9), "UTC", "en")
    assert view.modes == {Mode.MILESTONES, Mode.UPDATES} and view.passed
    # the next milestone days of January 19, 2025: 100, 200 and 300 days since
    assert [p.isoformat() for p in view.next_posts] == [
        "2025-04-29T09:00:00+00:00",
        "2025-08-07T09:00:00+00:00",
        "2025-11-15T09:00:00+00:00",
    ]
    text = render_subscribed(view, "en", TITLES)
    assert text.startswith(
        f"Subscribed (#{view.id}): posts about the law taking effect on milestone days, and news when there is "
        "some, at 09:00 (UTC). Next milestone: Tue Apr 29 09:00."
    )
    assert "countdown" not in text and "every 100 days" in text


async def test_subscribe_to_a_future_deadline_defaults_to_daily(service: SubscriptionService) -> None:
    view = await service.subscribe(CHAT, created_by="tg:1", lang="en", deadline_id="jv-close")
    assert view.modes == {Mode.DAILY} and not view.passed
    assert [p.isoformat() for p in view.next_posts] == [
        "2025-03-09T09:00:00+00:00",
        "2025-03-10T09:00:00+00:00",
        "2025-03-11T09:00:00+00:00",
    ]
    text = render_subscribed(view, "en", TITLES)
    assert f"#{view.id}" in text and "a daily countdown to the joint venture closing" in text
    assert "09:00 (UTC)" in text and "First post: Sun Mar 9 09:00" in text


async def test_past_deadline_in_daily_mode_is_worded_as_posts_about_it(service: SubscriptionService) -> None:
    view = await service.subscribe(CHAT, created_by="u", lang="en", modes=[Mode.DAILY])
    assert "daily posts about the law taking effect" in render_subscribed(view, "en", TITLES)
    listing = render_subscriptions(await service.list(CHAT), "en", TITLES)
    assert f"#{view.id} daily posts about the law taking effect, at 09:00 (UTC) [daily]" in listing
    assert "countdown" not in listing
    zh = render_subscribed(view, "zh", {"law-effective": "法律生效"})
    assert "每天发布关于法律生效的消息" in zh and "倒计时" not in zh


async def test_subscribing_again_with_other_modes_changes_them(service: SubscriptionService) -> None:
    first = await service.subscribe(CHAT, created_by="u", lang="en", modes=[Mode.DAILY])
    changed = await service.subscribe(CHAT, created_by="u", lang="en", modes=[Mode.UPDATES])
    assert changed.id == first.id and changed.modes == {Mode.UPDATES} and changed.next_posts == ()
    [listed] = await service.list(CHAT)
    assert listed.modes == {Mode.UPDATES}
    assert render_subscription_line(listed, "en", TITLES) == (
        f"#{first.id} news posts when there is a new development (with the count for the law taking effect), "
        "at 09:00 (UTC) [updates]"
    )
    with pytest.raises(SubscriptionError, match="Nothing changed"):  # the same modes, or none given
        await service.subscribe(CHAT, created_by="u", lang="en", modes=[Mode.UPDATES])
    with pytest.raises(SubscriptionError, match="Nothing changed"):
        await service.subscribe(CHAT, created_by="u", lang="en")


async def test_subscribe_in_a_zone_lists_the_next_three_local_times(service: SubscriptionService) -> None:
    view = await service.subscribe(
        CHAT, created_by="u", lang="zh", time_text="9:00", tz_text="new york", deadline_id="jv-close"
    )
    assert view.timezone == "America/New_York" and view.deadline_id == "jv-close"
    assert [p.strftime("%m-%d %H:%M %Z") for p in view.next_posts] == [
        "03-08 09:00 EST",
        "03-09 09:00 EDT",
        "03-10 09:00 EDT",
    ]
    listing = render_subscriptions(await service.list(CHAT), "zh")
    assert "America/New_York" in listing and "3月8日（周六）09:00" in listing


async def test_refusals_are_actionable(service: SubscriptionService) -> None:
    with pytest.raises(SubscriptionError, match="Did you mean America/New_York"):
        await service.subscribe(CHAT, created_by="u", lang="en", tz_text="America/New_Yrok")
    with pytest.raises(SubscriptionError, match="HH:MM"):
        await service.subscribe(CHAT, created_by="u", lang="en", time_text="25:99")
    with pytest.raises(SubscriptionError, match="law-effective, jv-close"):
        await service.subscribe(CHAT, created_by="u", lang="en", deadline_id="tomorrow")
    first = await service.subscribe(CHAT, created_by="u", lang="en")
    with pytest.raises(SubscriptionError, match=f"#{first.id}"):
        await service.subscribe(CHAT, created_by="u", lang="en", time_text="09:00", tz_text="utc")
    with pytest.raises(SubscriptionError, match="已订阅"):
        await service.subscribe(CHAT, created_by="u", lang="zh")


async def test_several_per_chat_up_to_the_limit(service: SubscriptionService) -> None:
    for at in ("08:00", "12:00", "18:00"):
        await service.subscribe(CHAT, created_by="u", lang="en", time_text=at)
    with pytest.raises(SubscriptionError, match="most allowed"):
        await service.subscribe(CHAT, created_by="u", lang="en", time_text="20:00")
    assert len(await service.list(CHAT)) == 3


async def test_unsubscribe_one_by_id_or_all(service: SubscriptionService) -> None:
    a = await service.subscribe(CHAT, created_by="u", lang="en", time_text="08:00")
    b = await service.subscribe(CHAT, created_by="u", lang="en", time_text="10:00")
    c = await service.subscribe(CHAT, created_by="u", lang="en", time_text="12:00")
    with pytest.raises(SubscriptionError, match="no subscription #999"):
        await service.unsubscribe(CHAT, lang="en", subscription_id=999)
    with pytest.raises(SubscriptionError, match=f"#{a.id}"):  # another chat's number is not this chat's
        await service.unsubscribe(ChatRef(Platform.TELEGRAM, "other"), lang="zh", subscription_id=a.id)
    assert await service.unsubscribe(CHAT, lang="en", subscription_id=b.id) == 1
    assert [v.id for v in await service.list(CHAT)] == [a.id, c.id]
    assert await service.unsubscribe(CHAT, lang="en") == 2
    assert await service.list(CHAT) == []


async def test_chat_gone_and_migrated(service: SubscriptionService) -> None:
    await service.subscribe(CHAT, created_by="u", lang="en")
    new_chat = ChatRef(Platform.TELEGRAM, "-100999", None, True)
    assert await service.chat_migrated(CHAT, new_chat.chat_id) == 1
    assert len(await service.list(new_chat)) == 1
    assert await service.chat_gone(new_chat, "bot was kicked") == 1
    assert await service.list(new_chat) == []
