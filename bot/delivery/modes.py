"""Subscription modes for every surface: their names and labels, the parser, the defaults, and the
confirmation and listing texts (plain text; each adapter escapes or styles it).

A subscription posts at its local time, in one or more modes:
- `daily`: every day;
- `milestones`: on milestone days only (bot.core.countdown.is_milestone: the day itself, every 100 days,
  every 365 days, and 30, 7 and 1 day(s) before);
- `updates`: when the knowledge records a new announcement (that day's post is the announcement).
Texts never call a past deadline's posts a countdown "to" it: they are posts "about" it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.delivery.ports import SubscriptionView
from bot.delivery.texts import format_post_time
from bot.errors import SubscriptionError
from bot.storage.records import Mode
from bot.types import Lang

__all__ = [
    "MODE_CHOICES",
    "MODE_NAMES",
    "Mode",
    "ModeChoice",
    "default_modes",
    "describe",
    "extract_modes",
    "mode_label",
    "parse_modes",
    "render_subscribed",
    "render_subscription_line",
    "render_subscriptions",
]

MODE_NAMES: tuple[str, ...] = tuple(m.value for m in Mode)
"""'daily', 'milestones', 'updates': what users type and what Discord choices send."""

_LABELS: dict[Mode, tuple[str, str]] = {
    Mode.DAILY: ("daily", "每日"),
    Mode.MILESTONES: ("milestones", "里程碑"),
    Mode.UPDATES: ("updates", "新动态"),
}

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


def mode_label(mode: Mode, lang: Lang) -> str:
    """The mode's name as shown in `lang`: 'milestones' / '里程碑'."""
    en, zh = _LABELS[mode]
    return zh if lang == "zh" else en


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
    shown = text if len(text) <= _ECHO_MAX else text[: _ECHO_MAX - 1] + "…"
    if lang == "zh":
        return SubscriptionError(
            f"未知的模式“{shown}”。可用：daily（每日）、milestones（里程碑：当天、每满100天、每满365天）、"
            "updates（新动态），可用 + 组合，例如 milestones+updates。"
        )
    return SubscriptionError(
        f"Unknown mode “{shown}”. Modes: daily, milestones (the day itself, every 100 days, every 365 days) and "
        "updates (new developments); combine them with +, e.g. milestones+updates."
    )


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


def describe(view: SubscriptionView, lang: Lang, title: str) -> str:
    """What the subscription posts, past-aware: 'a daily countdown to X' before X's day, 'daily posts about X'
    from then on; 'posts about X on milestone days, and news when there is some' …"""
    modes, ahead = view.modes, not view.passed
    if lang == "zh":
        if Mode.DAILY in modes:
            core = f"每天发布{title}倒计时" if ahead else f"每天发布关于{title}的消息"
        elif Mode.MILESTONES in modes:
            core = f"在里程碑日发布{title}倒计时" if ahead else f"在里程碑日发布关于{title}的消息"
        else:
            return f"有新动态时发布消息（附{title}的天数）"
        return core + ("，并在有新动态时发布消息" if Mode.UPDATES in modes else "")
    if Mode.DAILY in modes:
        core = f"a daily countdown to {title}" if ahead else f"daily posts about {title}"
    elif Mode.MILESTONES in modes:
        core = f"a countdown to {title} on milestone days" if ahead else f"posts about {title} on milestone days"
    else:
        return f"news posts when there is a new development (with the count for {title})"
    return core + (", and news when there is some" if Mode.UPDATES in modes else "")


def _title(view: SubscriptionView, titles: Mapping[str, str] | None) -> str:
    return (titles or {}).get(view.deadline_id, view.deadline_id)


def _next_label(view: SubscriptionView, lang: Lang) -> str:
    milestones = Mode.DAILY not in view.modes
    if lang == "zh":
        return "接下来的里程碑" if milestones else "接下来"
    return "next milestones" if milestones else "next"


def render_subscribed(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """The confirmation after /subscribe; `titles` maps deadline ids to their inline titles in `lang`."""
    at = view.local_time.strftime("%H:%M")
    what = describe(view, lang, _title(view, titles))
    first = format_post_time(view.next_posts[0], lang) if view.next_posts else ""
    daily = Mode.DAILY in view.modes
    milestones = Mode.MILESTONES in view.modes and not daily
    if lang == "zh":
        when = f"{'第一条' if daily else '下一个里程碑'}：{first}。" if first else ""
        note = "里程碑日：当天、每满100天、每满365天。" if milestones else ""
        head = f"已订阅（#{view.id}）：{what}，时间为 {at}（{view.timezone}）。"
        return f"{head}{when}{note}取消请用 /unsubscribe {view.id}。"
    when = (f" First post: {first}." if daily else f" Next milestone: {first}.") if first else ""
    note = " Milestones: the day itself, every 100 days and every 365 days." if milestones else ""
    return f"Subscribed (#{view.id}): {what}, at {at} ({view.timezone}).{when}{note} To stop: /unsubscribe {view.id}."


def render_subscription_line(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """One line of /subscriptions, with its modes and next post times: '#3 daily posts about X, at 09:00 (UTC)'."""
    at = view.local_time.strftime("%H:%M")
    what = describe(view, lang, _title(view, titles))
    sep = "、" if lang == "zh" else ", "
    modes = sep.join(mode_label(m, lang) for m in Mode if m in view.modes)
    head = (
        f"#{view.id} {what}，{at}（{view.timezone}）［{modes}］"
        if lang == "zh"
        else f"#{view.id} {what}, at {at} ({view.timezone}) [{modes}]"
    )
    if view.paused:
        return head + ("，已暂停" if lang == "zh" else ", paused")
    nexts = sep.join(format_post_time(t, lang) for t in view.next_posts)
    if not nexts:
        return head
    return head + (
        f"\n   {_next_label(view, lang)}：{nexts}" if lang == "zh" else f"\n   {_next_label(view, lang)}: {nexts}"
    )


def render_subscriptions(views: Sequence[SubscriptionView], lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """The /subscriptions listing."""
    if not views:
        if lang == "zh":
            return "这里还没有订阅。使用 /subscribe 接收倒计时和新动态。"
        return "No subscriptions here. Use /subscribe to get countdown posts and news."
    header = "本聊天的订阅：" if lang == "zh" else "Subscriptions here:"
    return "\n".join([header, *(render_subscription_line(v, lang, titles) for v in views)])
