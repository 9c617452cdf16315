"""Parse what admins type for /subscribe: a local time and a time zone, with helpful refusals in en/zh."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import zoneinfo

from rapidfuzz import fuzz, process

from bot.errors import SubscriptionError
from bot.types import Lang

_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.hH点時]\s*(\d{1,2})?\s*分?)?\s*(am|pm|a\.m\.|p\.m\.)?$", re.IGNORECASE)
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_NOT_ZONES = {"Factory", "localtime", "posixrules", "posix", "right"}
_REGION_PREFERENCE = ("America/", "Europe/", "Asia/", "Africa/", "Australia/", "Pacific/", "Atlantic/", "Indian/")
MAX_ZONE_CHARS = 64
"""Longer than any zone name or alias: such input is refused without echoing it whole."""

ALIASES: dict[str, str] = {
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
    "zulu": "UTC",
    "universal": "UTC",
    "协调世界时": "UTC",
    "beijing": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "prc": "Asia/Shanghai",
    "北京": "Asia/Shanghai",
    "上海": "Asia/Shanghai",
    "中国": "Asia/Shanghai",
    "北京时间": "Asia/Shanghai",
    "香港": "Asia/Hong_Kong",
    "台北": "Asia/Taipei",
    "新加坡": "Asia/Singapore",
    "东京": "Asia/Tokyo",
    "纽约": "America/New_York",
    "华盛顿": "America/New_York",
    "洛杉矶": "America/Los_Angeles",
    "旧金山": "America/Los_Angeles",
    "芝加哥": "America/Chicago",
    "伦敦": "Europe/London",
    "巴黎": "Europe/Paris",
    "柏林": "Europe/Berlin",
    "悉尼": "Australia/Sydney",
    "温哥华": "America/Vancouver",
    "多伦多": "America/Toronto",
    "eastern": "America/New_York",
    "us eastern": "America/New_York",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central": "America/Chicago",
    "us central": "America/Chicago",
    "ct": "America/Chicago",
    "cdt": "America/Chicago",
    "mountain": "America/Denver",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pacific": "America/Los_Angeles",
    "us pacific": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "washington dc": "America/New_York",
    "dc": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "sf": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "nyc": "America/New_York",
    "uk": "Europe/London",
    "bst": "Europe/London",
    "cet": "Europe/Paris",
    "cest": "Europe/Paris",
    "jst": "Asia/Tokyo",
    "hkt": "Asia/Hong_Kong",
    "sgt": "Asia/Singapore",
    "ist": "Asia/Kolkata",
    "india": "Asia/Kolkata",
    "aest": "Australia/Sydney",
}


def _msg(lang: Lang, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).strip().split())


def parse_time(text: str, lang: Lang) -> dt.time:
    """'09:00', '9:30', '21h', '9am', '9:30 pm', '９点' -> a time; anything else: SubscriptionError."""
    cleaned = _clean(text)
    match = _TIME.match(cleaned)
    hour = minute = -1
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        suffix = (match.group(3) or "").lower().replace(".", "")
        if suffix:
            hour = -1 if not 1 <= hour <= 12 else hour % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise SubscriptionError(
            _msg(
                lang,
                f"“{cleaned}” is not a time of day. Expected HH:MM in 24-hour time, e.g. 09:00 or 21:30.",
                f"“{cleaned}”不是有效的时间。请使用24小时制 HH:MM，例如 09:00 或 21:30。",
            )
        )
    return dt.time(hour, minute)


@functools.cache
def _zone_index() -> tuple[dict[str, str], dict[str, str]]:
    """(lowercase full name -> zone, lowercase city with spaces -> zone)."""
    names = sorted(
        z for z in zoneinfo.available_timezones() if z not in _NOT_ZONES and not z.startswith(("posix/", "right/"))
    )
    full = {z.lower(): z for z in names}
    city: dict[str, str] = {}
    cities = [n for n in names if not n.startswith("Etc/")]  # Etc/GMT-5 means UTC+5: never match it by "city"
    for z in sorted(cities, key=lambda n: (not n.startswith(_REGION_PREFERENCE), n)):
        key = z.rsplit("/", 1)[-1].replace("_", " ").lower()
        city.setdefault(key, z)
    return full, city


def _offset_zone(sign: str, hours: int, minutes: int, lang: Lang, cleaned: str) -> str:
    if minutes == 0 and hours == 0:
        return "UTC"
    if minutes == 0 and ((sign == "+" and hours <= 14) or (sign == "-" and hours <= 12)):
        # POSIX-style Etc zones have the sign inverted: UTC+8 is Etc/GMT-8.
        return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"
    offset = dt.timedelta(hours=hours, minutes=minutes) * (1 if sign == "+" else -1)
    now = dt.datetime.now(dt.UTC)
    full, _ = _zone_index()
    same = [
        z
        for z in full.values()
        if z.startswith(_REGION_PREFERENCE) and now.astimezone(zoneinfo.ZoneInfo(z)).utcoffset() == offset
    ]
    examples = ", ".join(same[:3]) or "Asia/Kolkata"
    raise SubscriptionError(
        _msg(
            lang,
            f"“{cleaned}” is not a whole-hour offset. Use a city time zone instead, e.g. {examples}.",
            f"“{cleaned}”不是整小时的时差。请改用城市时区名，例如 {examples}。",
        )
    )


def suggest_timezones(text: str, limit: int = 3) -> list[str]:
    """Closest zone names (by full name or city), best first."""
    full, city = _zone_index()
    query = _clean(text).lower()
    found: list[str] = []
    for choices in (full, city):
        for key, _score, _ in process.extract(query, list(choices), scorer=fuzz.ratio, limit=limit, score_cutoff=70):
            if choices[key] not in found:
                found.append(choices[key])
    return found[:limit]


def _refuse_long(cleaned: str, lang: Lang) -> None:
    if len(cleaned) > MAX_ZONE_CHARS:
        raise SubscriptionError(
            _msg(
                lang,
                f"“{cleaned[:30]}…” is too long for a time zone. Use an IANA name such as Europe/London, "
                "a city such as “new york”, or an offset such as UTC+8.",
                f"“{cleaned[:30]}…”太长，不是时区。请使用 IANA 时区名（如 Asia/Shanghai）、城市名或时差（如 UTC+8）。",
            )
        )


def _refuse_region(cleaned: str, lang: Lang) -> None:
    """A region such as 'Europe' without a city: say so, with cities of that region."""
    region = cleaned.rstrip("/").lower()
    zones = [z for z in _zone_index()[0].values() if z.lower().startswith(region + "/")]
    if region and zones:
        known = sorted({z for z in ALIASES.values() if z in zones})
        examples = ", ".join((known or zones)[:3])
        raise SubscriptionError(
            _msg(
                lang,
                f"“{cleaned}” is a region, not a time zone: add a city, e.g. {examples}.",
                f"“{cleaned}”是地区而不是时区，请加上城市，例如 {examples}。",
            )
        )


def parse_timezone(text: str, lang: Lang) -> str:
    """An IANA zone name from 'America/New_York', 'new york', 'UTC+8', 'Beijing', '北京'…"""
    cleaned = _clean(text)
    lowered = cleaned.lower()
    _refuse_long(cleaned, lang)
    full, city = _zone_index()
    if lowered in full:
        return full[lowered]
    if lowered in ALIASES:
        return ALIASES[lowered]
    underscored = lowered.replace(" ", "_")
    if underscored in full:
        return full[underscored]
    if lowered.replace("_", " ") in city:
        return city[lowered.replace("_", " ")]
    match = _OFFSET.match(lowered.replace(" ", ""))
    if match:
        return _offset_zone(match.group(1), int(match.group(2)), int(match.group(3) or 0), lang, cleaned)
    _refuse_region(cleaned, lang)
    suggestions = suggest_timezones(cleaned)
    if suggestions:
        hint_en = f" Did you mean {' or '.join(suggestions)}?"
        hint_zh = f"您是不是想输入 {' 或 '.join(suggestions)}？"
    else:
        hint_en = hint_zh = ""
    raise SubscriptionError(
        _msg(
            lang,
            f"Unknown time zone “{cleaned}”.{hint_en} Use an IANA name such as America/New_York, "
            "Europe/London or Asia/Shanghai, a city such as “new york”, or an offset such as UTC+8.",
            f"未知的时区“{cleaned}”。{hint_zh}请使用 IANA 时区名（如 Asia/Shanghai、America/New_York），"
            "城市名（如 new york），或时差（如 UTC+8）。",
        )
    )


def parse_deadline(text: str | None, valid: list[str], primary: str, lang: Lang) -> str:
    """A known deadline id (the primary one when none is given)."""
    if text is None or not text.strip():
        return primary
    wanted = _clean(text).lower()
    if wanted in valid:
        return wanted
    raise SubscriptionError(
        _msg(
            lang,
            f"Unknown deadline “{_clean(text)}”. Valid deadlines: {', '.join(valid)}.",
            f"未知的截止日期“{_clean(text)}”。可用的有：{'、'.join(valid)}。",
        )
    )
