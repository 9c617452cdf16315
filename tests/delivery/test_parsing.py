from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery.parsing import (
    parse_deadline,
    parse_subscribe_args,
    parse_time,
    parse_timezone,
    parse_unsubscribe_arg,
)
from bot.errors import SubscriptionError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", (9, 0)),
        ("9", (9, 0)),
        ("21:30", (21, 30)),
        ("7.15", (7, 15)),
        ("9am", (9, 0)),
        ("9:30 pm", (21, 30)),
        ("12am", (0, 0)),
        ("０９：００", (9, 0)),
        ("9点", (9, 0)),
        ("23:59", (23, 59)),
    ],
)
def test_times(text: str, expected: tuple[int, int]) -> None:
    assert parse_time(text, "en") == dt.time(*expected)


@pytest.mark.parametrize("text", ["25:99", "24:00", "9:60", "noon", "13pm", ""])
def test_bad_times_explain_the_format(text: str) -> None:
    with pytest.raises(SubscriptionError, match="HH:MM"):
        parse_time(text, "en")
    with pytest.raises(SubscriptionError, match="24小时制"):
        parse_time(text, "zh")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("America/New_York", "America/New_York"),
        ("america/new_york", "America/New_York"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("utc", "UTC"),
        ("UTC+8", "Etc/GMT-8"),
        ("GMT-5", "Etc/GMT+5"),
        ("+0", "UTC"),
        ("北京", "Asia/Shanghai"),
        ("beijing", "Asia/Shanghai"),
        ("kathmandu", "Asia/Kathmandu"),
        ("pst", "America/Los_Angeles"),
        ("Europe/berlin", "Europe/Berlin"),
    ],
)
def test_timezones(text: str, expected: str) -> None:
    assert parse_timezone(text, "en") == expected


def test_typo_gets_did_you_mean() -> None:
    with pytest.raises(SubscriptionError) as err:
        parse_timezone("America/New_Yrok", "en")
    assert "Did you mean America/New_York" in str(err.value)
    with pytest.raises(SubscriptionError) as err_zh:
        parse_timezone("Europe/Lodnon", "zh")
    assert "Europe/London" in str(err_zh.value) and "未知的时区" in str(err_zh.value)


def test_fractional_offset_suggests_city_zones() -> None:
    with pytest.raises(SubscriptionError, match=r"Asia/(Kolkata|Calcutta|Colombo)"):
        parse_timezone("UTC+5:30", "en")


def test_nonsense_zone_still_explains() -> None:
    with pytest.raises(SubscriptionError, match="IANA"):
        parse_timezone("qqqqqqqq", "en")


def test_deadline() -> None:
    valid = ["law-effective", "jv-close"]
    assert parse_deadline(None, valid, "law-effective", "en") == "law-effective"
    assert parse_deadline(" JV-Close ", valid, "law-effective", "en") == "jv-close"
    with pytest.raises(SubscriptionError, match="law-effective, jv-close"):
        parse_deadline("nope", valid, "law-effective", "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (None, None)),
        ("09:00", ("09:00", None)),
        ("09:00 Europe/Paris", ("09:00", "Europe/Paris")),
        ("Europe/Paris", (None, "Europe/Paris")),  # a zone alone: the default time
        ("Europe/Paris 9am", ("9am", "Europe/Paris")),
        ("9 pm new york", ("9 pm", "new york")),
        ("new york 9 pm", ("9 pm", "new york")),
        ("UTC+8", (None, "UTC+8")),
        ("7:30 +8", ("7:30", "+8")),
        ("25:99 UTC", ("25:99", "UTC")),  # judged (and refused) by parse_time
    ],
)
def test_subscribe_args(text: str, expected: tuple[str | None, str | None]) -> None:
    args = parse_subscribe_args(text)
    assert (args.time_text, args.tz_text) == expected


def test_unsubscribe_arg() -> None:
    assert parse_unsubscribe_arg("", "en") is None
    assert parse_unsubscribe_arg(" 3 ", "en") == 3
    assert parse_unsubscribe_arg("#12", "en") == 12
    assert parse_unsubscribe_arg("ALL", "en") == "all"
    assert parse_unsubscribe_arg("全部", "zh") == "all"
    for bad in ("later", "1 2", "9" * 30, "-1"):
        with pytest.raises(SubscriptionError, match="is not a subscription number") as err:
            parse_unsubscribe_arg(bad, "en")
        assert len(str(err.value)) < 200
    with pytest.raises(SubscriptionError, match="不是订阅编号"):
        parse_unsubscribe_arg("later", "zh")


def test_refusals_quote_at_most_a_few_words() -> None:
    for call in (
        lambda: parse_time("9" + "x" * 4000, "en"),
        lambda: parse_timezone("y" * 4000, "en"),
        lambda: parse_deadline("z" * 4000, ["law-effective"], "law-effective", "en"),
    ):
        with pytest.raises(SubscriptionError) as err:
            call()
        assert len(str(err.value)) < 250
