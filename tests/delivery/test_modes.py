"""What adapters call for modes: the parser, the labels and choices, the defaults and the past-aware texts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.delivery.modes import MODE_CHOICES, MODE_NAMES, Mode, default_modes, extract_modes, parse_modes
from bot.delivery.ports import SubscriptionView
from bot.delivery.texts import (
    describe,
    mode_label,
    render_subscribed,
    render_subscription_line,
    render_subscriptions,
)
from bot.errors import SubscriptionError
from bot.types import ChatRef, Platform

M, U, D = Mode.MILESTONES, Mode.UPDATES, Mode.DAILY
TZ = dt.timezone(dt.timedelta(hours=8))


def view(modes: set[Mode], *, passed: bool, nexts: int = 3, paused: bool = False) -> SubscriptionView:
    first = dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ)
    return SubscriptionView(
        id=4,
        chat=ChatRef(Platform.TELEGRAM, "-1"),
        deadline_id="law",
        local_time=dt.time(9),
        timezone="Asia/Shanghai",
        lang="en",
        active=True,
        paused=paused,
        created_by="u",
        next_posts=tuple(first + dt.timedelta(days=30 * i) for i in range(nexts)),
        modes=frozenset(modes),
        passed=passed,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", {D}),
        ("Milestones", {M}),
        ("updates", {U}),
        ("news", {U}),
        ("milestones+updates", {M, U}),
        ("milestones, updates", {M, U}),
        ("milestones and updates", {M, U}),
        ("daily + news", {D, U}),
        ("里程碑、新动态", {M, U}),
        ("每天", {D}),
        ("  ", None),
        (None, None),
    ],
)
def test_parse_modes(text: str | None, expected: set[Mode] | None) -> None:
    assert parse_modes(text, "en") == (None if expected is None else frozenset(expected))


def test_unknown_modes_are_refused_with_the_choices() -> None:
    with pytest.raises(SubscriptionError, match=r"Unknown mode “weekly”\. Modes: daily, milestones .* updates"):
        parse_modes("weekly", "en")
    with pytest.raises(SubscriptionError, match=re.escape("未知的模式“milestones+sometimes”")):
        parse_modes("milestones+sometimes", "zh")
    with pytest.raises(SubscriptionError, match="…”"):  # long input is not echoed whole
        parse_modes("x" * 200, "en")
    with pytest.raises(SubscriptionError):
        parse_modes("and", "en")


def test_extract_modes_from_free_form_arguments() -> None:
    assert extract_modes("09:00 Europe/Paris milestones+updates") == (frozenset({M, U}), "09:00 Europe/Paris")
    assert extract_modes("updates and milestones 9am new york") == (frozenset({M, U}), "9am new york")
    assert extract_modes("09:00 UTC+8") == (None, "09:00 UTC+8")
    assert extract_modes("") == (None, "")


def test_names_labels_choices_and_defaults() -> None:
    assert MODE_NAMES == ("daily", "milestones", "updates")
    assert [mode_label(m, "zh") for m in Mode] == ["每日", "里程碑", "新动态"]
    assert [parse_modes(c.value, "en") for c in MODE_CHOICES] == [{D}, {M}, {U}, {M, U}, {D, U}]
    assert all(len(c.en) <= 100 and len(c.zh) <= 100 for c in MODE_CHOICES)  # Discord's limit for a choice
    assert default_modes(passed=False) == {D}
    assert default_modes(passed=True) == {M, U}


@pytest.mark.parametrize(
    ("modes", "passed", "en"),
    [
        ({D}, False, "a daily countdown to the law"),
        ({D}, True, "daily posts about the law"),
        ({M}, False, "a countdown to the law on milestone days"),
        ({M}, True, "posts about the law on milestone days"),
        ({M, U}, True, "posts about the law on milestone days, and news when there is some"),
        ({D, U}, True, "daily posts about the law, and news when there is some"),
        ({U}, True, "news posts when there is a new development (with the count for the law)"),
    ],
)
def test_describe_never_counts_down_to_a_past_date(modes: set[Mode], passed: bool, en: str) -> None:
    assert describe(view(modes, passed=passed), "en", "the law") == en
    zh = describe(view(modes, passed=passed), "zh", "法律生效")
    assert ("倒计时" in zh) == (not passed and bool(modes & {D, M}))


def test_confirmation_and_listing() -> None:
    titles = {"law": "the law"}
    milestones = view({M, U}, passed=True)
    assert render_subscribed(milestones, "en", titles) == (
        "Subscribed (#4): posts about the law on milestone days, and news when there is some, at 09:00 "
        "(Asia/Shanghai). Next milestone: Sun Dec 20 09:00. Milestones: the day itself, every 100 days and every "
        "365 days. To stop: /unsubscribe 4."
    )
    assert render_subscribed(milestones, "zh", {"law": "法律生效"}) == (
        "已订阅（#4）：在里程碑日发布关于法律生效的消息，并在有新动态时发布消息，时间为 09:00（Asia/Shanghai）。"
        "下一个里程碑：12月20日（周日）09:00。里程碑日：当天、每满100天、每满365天。取消请用 /unsubscribe 4。"
    )
    daily = view({D}, passed=False)
    assert "First post: Sun Dec 20 09:00." in render_subscribed(daily, "en", titles)
    assert render_subscription_line(milestones, "en", titles) == (
        "#4 posts about the law on milestone days, and news when there is some, at 09:00 (Asia/Shanghai) "
        "[milestones, updates]\n   next milestones: Sun Dec 20 09:00, Tue Jan 19 09:00, Thu Feb 18 09:00"
    )
    assert render_subscription_line(view({U}, passed=True, nexts=0), "en", titles).endswith("[updates]")
    assert render_subscription_line(view({D}, passed=True, paused=True), "zh", {"law": "法律"}).endswith("，已暂停")
    listing = render_subscriptions([daily, milestones], "en", titles)
    assert listing.startswith("Subscriptions here:\n#4 a daily countdown to the law, at 09:00")
    assert render_subscriptions([], "zh") == "这里还没有订阅。使用 /subscribe 接收倒计时和新动态。"
    gone = render_subscriptions([daily], "en", {})  # a deadline no longer in the knowledge: never its id
    assert "#4 a daily countdown to a deadline no longer tracked" in gone
