"""The subscription texts every surface shows, in plain text (each adapter escapes or styles them), from the
catalogue (bot.core.messages).

A subscription is always named by its deadline's title and its number, never by an internal id, and what it
posts is described past-aware: "a daily countdown to X" before X's day, "daily posts about X" from then on.
Its modes (bot.delivery.modes parses them) are listed with it. Post times are written by a `TimeFormat`:
`format_post_time` in the subscription's zone by default; Discord passes one that writes its own timestamps
(each reader sees them in their own zone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from bot.core import messages as m
from bot.delivery.ports import SubscriptionView
from bot.storage.records import Mode
from bot.types import Lang

_WEEKDAYS_ZH = "一二三四五六日"
_LABELS: dict[Mode, m.Message] = {
    Mode.DAILY: m.MODE_DAILY,
    Mode.MILESTONES: m.MODE_MILESTONES,
    Mode.UPDATES: m.MODE_UPDATES,
}


TimeFormat = Callable[[dt.datetime, Lang], str]
"""How a post time is written: `format_post_time`, or a platform's own (Discord's timestamps)."""


def format_post_time(moment: dt.datetime, lang: Lang) -> str:
    """'Mon Jan 6 09:00' / '1月6日（周一）09:00', in the moment's own zone."""
    if lang == "zh":
        return f"{moment.month}月{moment.day}日（周{_WEEKDAYS_ZH[moment.weekday()]}）{moment:%H:%M}"
    return f"{moment:%a %b} {moment.day} {moment:%H:%M}"


def mode_label(mode: Mode, lang: Lang) -> str:
    """The mode's name as shown in `lang`: 'milestones' / '里程碑'."""
    return _LABELS[mode].get(lang)


def describe(view: SubscriptionView, lang: Lang, title: str) -> str:
    """What the subscription posts, past-aware: 'a daily countdown to X' before X's day, 'daily posts about X'
    from then on; 'posts about X on milestone days, and news when there is some' …"""
    modes, ahead = view.modes, not view.passed
    if Mode.DAILY in modes:
        core = (m.POSTS_DAILY_AHEAD if ahead else m.POSTS_DAILY_PASSED).get(lang, deadline=title)
    elif Mode.MILESTONES in modes:
        core = (m.POSTS_MILESTONES_AHEAD if ahead else m.POSTS_MILESTONES_PASSED).get(lang, deadline=title)
    else:
        return m.POSTS_UPDATES_ONLY.get(lang, deadline=title)
    return core + (m.AND_UPDATES.get(lang) if Mode.UPDATES in modes else "")


def _title(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None) -> str:
    return (titles or {}).get(view.deadline_id) or m.REMOVED_DEADLINE.get(lang)


def _fields(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None) -> dict[str, object]:
    return {
        "id": view.id,
        "what": describe(view, lang, _title(view, lang, titles)),
        "time": view.local_time.strftime("%H:%M"),
        "tz": view.timezone,
    }


def _milestones_only(view: SubscriptionView) -> bool:
    return Mode.MILESTONES in view.modes and Mode.DAILY not in view.modes


def render_subscription_line(
    view: SubscriptionView,
    lang: Lang,
    titles: Mapping[str, str] | None = None,
    *,
    when: TimeFormat = format_post_time,
) -> str:
    """One line of /subscriptions, with its modes and next post times: '#3 daily posts about X, at 09:00 (UTC)
    [daily]'."""
    sep = m.LIST_SEPARATOR.get(lang)
    modes = sep.join(mode_label(mode, lang) for mode in Mode if mode in view.modes)
    line = m.SUBSCRIPTION_LINE.get(lang, modes=modes, **_fields(view, lang, titles))
    if view.paused:
        return line + m.SUBSCRIPTION_PAUSED.get(lang)
    nexts = sep.join(when(t, lang) for t in view.next_posts)
    if not nexts:
        return line
    return line + (m.NEXT_MILESTONES if _milestones_only(view) else m.NEXT_POSTS).get(lang, when=nexts)


def render_subscriptions(
    views: Sequence[SubscriptionView],
    lang: Lang,
    titles: Mapping[str, str] | None = None,
    *,
    when: TimeFormat = format_post_time,
) -> str:
    """The /subscriptions listing, with the modes and next three post times of each; `titles` names the
    deadlines."""
    if not views:
        return m.NO_SUBSCRIPTIONS.get(lang)
    lines = (render_subscription_line(v, lang, titles, when=when) for v in views)
    return "\n".join([m.SUBSCRIPTIONS_TITLE.get(lang), *lines])


def render_subscribed(
    view: SubscriptionView,
    lang: Lang,
    titles: Mapping[str, str] | None = None,
    *,
    changed: bool = False,
    when: TimeFormat = format_post_time,
) -> str:
    """The confirmation after /subscribe (`changed`: an existing subscription got other modes); `titles` maps
    deadline ids to their titles in `lang`."""
    text = (m.MODES_CHANGED if changed else m.SUBSCRIBED).get(lang, **_fields(view, lang, titles))
    if view.next_posts:
        first = when(view.next_posts[0], lang)
        text += (m.FIRST_POST if Mode.DAILY in view.modes else m.NEXT_MILESTONE).get(lang, when=first)
    if _milestones_only(view):
        text += m.MILESTONES_NOTE.get(lang)
    return text + m.TO_STOP.get(lang, id=view.id)


def render_unsubscribed(
    removed: Sequence[SubscriptionView], lang: Lang, titles: Mapping[str, str] | None = None
) -> str:
    """What /unsubscribe did: the one subscription stopped, or how many."""
    if len(removed) == 1:
        return m.UNSUBSCRIBED_ONE.get(lang, **_fields(removed[0], lang, titles))
    return m.UNSUBSCRIBED_ALL.get(lang, count=len(removed))


def render_which(
    views: Sequence[SubscriptionView],
    lang: Lang,
    titles: Mapping[str, str] | None = None,
    *,
    when: TimeFormat = format_post_time,
) -> str:
    """A bare /unsubscribe in a chat with several subscriptions: which one?"""
    listing = "\n".join(render_subscription_line(v, lang, titles, when=when) for v in views)
    return m.WHICH_SUBSCRIPTION.get(lang, count=len(views), listing=listing)
