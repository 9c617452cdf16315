"""The subscription texts every surface shows, in plain text (each adapter escapes or styles them).

A subscription is always named by its deadline's title and its number, never by an internal id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from bot.core import messages as m
from bot.delivery.ports import SubscriptionView
from bot.types import Lang

_WEEKDAYS_ZH = "一二三四五六日"


def format_post_time(moment: dt.datetime, lang: Lang) -> str:
    """'Mon Jan 6 09:00' / '1月6日（周一）09:00', in the moment's own zone."""
    if lang == "zh":
        return f"{moment.month}月{moment.day}日（周{_WEEKDAYS_ZH[moment.weekday()]}）{moment:%H:%M}"
    return f"{moment:%a %b} {moment.day} {moment:%H:%M}"


def _deadline(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None) -> str:
    return (titles or {}).get(view.deadline_id) or m.REMOVED_DEADLINE.get(lang)


def _fields(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None) -> dict[str, object]:
    return {
        "id": view.id,
        "deadline": _deadline(view, lang, titles),
        "time": view.local_time.strftime("%H:%M"),
        "tz": view.timezone,
    }


def render_line(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """One subscription with its next post times: '#3 countdown to …, daily at 09:00 (UTC)'."""
    line = m.SUBSCRIPTION_LINE.get(lang, **_fields(view, lang, titles))
    if view.paused:
        return line + m.SUBSCRIPTION_PAUSED.get(lang)
    nexts = m.LIST_SEPARATOR.get(lang).join(format_post_time(t, lang) for t in view.next_posts)
    return line + (m.NEXT_POSTS.get(lang, when=nexts) if nexts else "")


def render_subscriptions(views: Sequence[SubscriptionView], lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """The /subscriptions listing, with the next three post times of each; `titles` names the deadlines."""
    if not views:
        return m.NO_SUBSCRIPTIONS.get(lang)
    return "\n".join([m.SUBSCRIPTIONS_TITLE.get(lang), *(render_line(v, lang, titles) for v in views)])


def render_subscribed(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """A short confirmation after /subscribe; `titles` maps deadline ids to their titles in `lang`."""
    text = m.SUBSCRIBED.get(lang, **_fields(view, lang, titles))
    if view.next_posts:
        text += m.FIRST_POST.get(lang, when=format_post_time(view.next_posts[0], lang))
    return text + m.TO_STOP.get(lang, id=view.id)


def render_unsubscribed(
    removed: Sequence[SubscriptionView], lang: Lang, titles: Mapping[str, str] | None = None
) -> str:
    """What /unsubscribe did: the one subscription stopped, or how many."""
    if len(removed) == 1:
        return m.UNSUBSCRIBED_ONE.get(lang, **_fields(removed[0], lang, titles))
    return m.UNSUBSCRIBED_ALL.get(lang, count=len(removed))


def render_which(views: Sequence[SubscriptionView], lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """A bare /unsubscribe in a chat with several subscriptions: which one?"""
    listing = "\n".join(render_line(v, lang, titles) for v in views)
    return m.WHICH_SUBSCRIPTION.get(lang, count=len(views), listing=listing)
