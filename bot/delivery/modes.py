"""Subscription modes for every surface: their names, the choices Discord offers, the parser and the defaults
(the texts that show them are in bot.delivery.texts).

A subscription posts at its local time, in one or more modes:
- `daily`: every day;
- `milestones`: on milestone days only (bot.core.countdown.is_milestone: the day itself, every 100 days,
  every 365 days, and 30, 7 and 1 day(s) before);
- `updates`: when the knowledge records a new announcement (that day's post is the announcement).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core import messages as m
from bot.errors import SubscriptionError
from bot.storage.records import Mode
from bot.types import Lang

__all__ = [
    "MODE_CHOICES",
    "MODE_NAMES",
    "Mode",
    "ModeChoice",
    "default_modes",
    "extract_modes",
    "parse_modes",
]

MODE_NAMES: tuple[str, ...] = tuple(mode.value for mode in Mode)
"""'daily', 'milestones', 'updates': what users type and what Discord choices send."""

_WORDS: dict[str, Mode] = {
    "daily": Mode.DAILY,
    "day": Mode.DAILY,
    "everyday": Mode.DAILY,
    "每日": Mode.DAILY,
    "每天": Mode.DAILY,
    "milestones": Mode.MILESTONES,
    "milestone": Mode.MILESTONES,
    "里程碑": Mode.MILESTONES,
    "updates": Mode.UPDATES,
    "update": Mode.UPDATES,
    "news": Mode.UPDATES,
    "新动态": Mode.UPDATES,
    "动态": Mode.UPDATES,
    "更新": Mode.UPDATES,
    "新闻": Mode.UPDATES,
}
_JOINERS = re.compile(r"[+,/&、，]+")
_CONNECTIVES = frozenset({"and", "和", "与", "及", "+", "&"})
_ECHO_MAX = 30


@dataclass(frozen=True, slots=True)
class ModeChoice:
    """One choice of a /subscribe mode option (Discord app_commands.Choice: name per language, value)."""

    value: str
    """What `parse_modes` reads."""
    en: str
    zh: str


MODE_CHOICES: tuple[ModeChoice, ...] = (
    ModeChoice("daily", "Daily", "每日"),
    ModeChoice("milestones", "Milestones (the day, every 100 days, each 365)", "里程碑（当天、每满100天、每满365天）"),
    ModeChoice("updates", "Updates (new developments)", "新动态"),
    ModeChoice("milestones+updates", "Milestones and updates", "里程碑和新动态"),
    ModeChoice("daily+updates", "Daily, and updates", "每日和新动态"),
)
"""The choices a Discord option offers; the default (no choice) is `default_modes`."""


def default_modes(passed: bool) -> frozenset[Mode]:
    """`daily` for a deadline still ahead; `milestones` + `updates` once its day has come."""
    return frozenset({Mode.MILESTONES, Mode.UPDATES}) if passed else frozenset({Mode.DAILY})


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).strip().split()).casefold()


def _word_modes(word: str) -> frozenset[Mode] | None:
    """The modes one word names ('milestones+updates'), or None when any part of it is not a mode."""
    parts = [p for p in _JOINERS.split(word) if p]
    if not parts or any(p not in _WORDS for p in parts):
        return None
    return frozenset(_WORDS[p] for p in parts)


def _refuse(text: str, lang: Lang) -> SubscriptionError:
    return SubscriptionError(m.UNKNOWN_MODE.get(lang, text=m.echo(text, _ECHO_MAX)))


def parse_modes(text: str | None, lang: Lang) -> frozenset[Mode] | None:
    """'daily', 'milestones+updates', 'milestones, updates', 'milestones and updates', '里程碑、新动态' -> modes;
    None for nothing (the default); anything else: SubscriptionError naming the modes."""
    if text is None or not text.strip():
        return None
    cleaned = _clean(text)
    found: set[Mode] = set()
    for word in cleaned.split(" "):
        if word in _CONNECTIVES:
            continue
        modes = _word_modes(word)
        if modes is None:
            raise _refuse(cleaned, lang)
        found |= modes
    if not found:
        raise _refuse(cleaned, lang)
    return frozenset(found)


def extract_modes(text: str) -> tuple[frozenset[Mode] | None, str]:
    """Take the mode words out of free-form /subscribe arguments: '09:00 Europe/Paris milestones+updates' ->
    ({milestones, updates}, '09:00 Europe/Paris'). Modes None when there are none; the rest is returned as
    typed (minus 'and'/'和' between mode words) for the time and zone parsers."""
    words = text.split()
    found: set[Mode] = set()
    rest: list[str] = []
    for word in words:
        modes = _word_modes(_clean(word))
        if modes is None:
            rest.append(word)
        else:
            found |= modes
    if found:
        rest = [w for w in rest if _clean(w) not in _CONNECTIVES]
    return (frozenset(found) if found else None), " ".join(rest)
