"""Parse what users type for /subscribe, /unsubscribe and /countdown, with helpful refusals in en/zh.

One parser for every surface: the console, Telegram and Discord (whose options, modes and deadline included,
are joined into the same text) accept and refuse exactly the same input, and quote at most a few dozen
characters of it back.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final, Literal

from rapidfuzz import fuzz, process

from bot.core import messages as m
from bot.core.messages import echo
from bot.delivery.modes import Mode, extract_modes
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
        raise SubscriptionError(m.NOT_A_TIME.get(lang, text=echo(cleaned)))
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
    raise SubscriptionError(m.NOT_WHOLE_HOURS.get(lang, text=echo(cleaned), examples=examples))


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
        raise SubscriptionError(m.ZONE_TOO_LONG.get(lang, text=echo(cleaned, 31)))


def _refuse_region(cleaned: str, lang: Lang) -> None:
    """A region such as 'Europe' without a city: say so, with cities of that region."""
    region = cleaned.rstrip("/").lower()
    zones = [z for z in _zone_index()[0].values() if z.lower().startswith(region + "/")]
    if region and zones:
        known = sorted({z for z in ALIASES.values() if z in zones})
        examples = ", ".join((known or zones)[:3])
        raise SubscriptionError(m.ZONE_IS_REGION.get(lang, text=echo(cleaned), examples=examples))


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
    hint = m.ZONE_HINT.get(lang, zones=m.OR.get(lang).join(suggestions)) if suggestions else ""
    raise SubscriptionError(m.UNKNOWN_ZONE.get(lang, text=echo(cleaned), hint=hint))


def parse_deadline(text: str | None, valid: list[str], primary: str, lang: Lang) -> str:
    """A known deadline id (the primary one when none is given)."""
    if text is None or not text.strip():
        return primary
    wanted = _clean(text).lower()
    if wanted in valid:
        return wanted
    raise SubscriptionError(
        m.UNKNOWN_DEADLINE.get(lang, text=echo(_clean(text)), valid=m.LIST_SEPARATOR.get(lang).join(valid))
    )


@dataclass(frozen=True, slots=True)
class SubscribeArgs:
    """What `/subscribe [HH:MM] [time zone] [modes] [deadline id]` was given; None for what was left out."""

    time_text: str | None
    tz_text: str | None
    modes: frozenset[Mode] | None = None
    deadline_id: str | None = None


_MERIDIEM = {"am", "pm", "a.m.", "p.m."}


def _looks_like_time(word: str) -> bool:
    """A word that starts with a digit is meant as a time ("9", "09:00", "21h", "９点"); offsets start with +/-."""
    return word[:1].isdigit()


def parse_subscribe_args(text: str, deadlines: Collection[str] = ()) -> SubscribeArgs:
    """Split `/subscribe` arguments into a time, a zone, modes and a deadline: "09:00 Europe/Paris",
    "Europe/Paris 9am milestones+updates", "daily jv-close 9 pm new york". Modes and a deadline id (one of
    `deadlines`) may stand anywhere among the words. Nothing else is judged here: parse_time and
    parse_timezone explain."""
    modes, rest = extract_modes(_clean(text)) if text.strip() else (None, "")
    known = {d.lower() for d in deadlines}
    words: list[str] = []
    deadline: str | None = None
    for word in rest.split(" ") if rest else []:
        if deadline is None and word.lower() in known:
            deadline = word.lower()
        else:
            words.append(word)
    time_words: list[str] = []
    if words and _looks_like_time(words[0]):
        take = 2 if len(words) > 1 and words[1].lower() in _MERIDIEM else 1
        time_words, words = words[:take], words[take:]
    elif len(words) > 1 and _looks_like_time(words[-1]):
        time_words, words = words[-1:], words[:-1]
    elif len(words) > 2 and _looks_like_time(words[-2]) and words[-1].lower() in _MERIDIEM:
        time_words, words = words[-2:], words[:-2]
    return SubscribeArgs(" ".join(time_words) or None, " ".join(words) or None, modes, deadline)


UNSUBSCRIBE_ALL: Final = "all"
_ALL_WORDS = frozenset({"all", "*", "everything", "全部", "所有", "全部取消"})
_SUBSCRIPTION_NUMBER = re.compile(r"#?(\d{1,9})")


def parse_unsubscribe_arg(text: str, lang: Lang) -> int | Literal["all"] | None:
    """`/unsubscribe` with nothing (None), a subscription number ("3", "#3") or "all"; anything else is
    refused with the usage."""
    cleaned = _clean(text)
    if not cleaned:
        return None
    if cleaned.lower() in _ALL_WORDS:
        return UNSUBSCRIBE_ALL
    number = _SUBSCRIPTION_NUMBER.fullmatch(cleaned)
    if number is None:
        raise SubscriptionError(m.UNSUBSCRIBE_USAGE.get(lang, arg=echo(cleaned)))
    return int(number.group(1))
