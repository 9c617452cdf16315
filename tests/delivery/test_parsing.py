from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery.parsing import parse_deadline, parse_time, parse_timezone
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
