"""Plain-text renderings of subscriptions for adapters (each escapes or styles them as its platform needs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from bot.delivery.ports import SubscriptionView
from bot.types import Lang

_WEEKDAYS_ZH = "一二三四五六日"


def format_post_time(moment: dt.datetime, lang: Lang) -> str:
    """'Mon Jan 6 09:00' / '1月6日（周一）09:00', in the moment's own zone."""
    if lang == "zh":
        return f"{moment.month}月{moment.day}日（周{_WEEKDAYS_ZH[moment.weekday()]}）{moment:%H:%M}"
    return f"{moment:%a %b} {moment.day} {moment:%H:%M}"


def _line(view: SubscriptionView, lang: Lang, titles: Mapping[str, str]) -> str:
    at = view.local_time.strftime("%H:%M")
    deadline = titles.get(view.deadline_id, view.deadline_id)
    if lang == "zh":
        head = f"#{view.id} {deadline}倒计时，每天 {at}（{view.timezone}）"
        if view.paused:
            return head + "，已暂停"
        nexts = "、".join(format_post_time(t, lang) for t in view.next_posts)
        return head + (f"\n   接下来：{nexts}" if nexts else "")
    head = f"#{view.id} countdown to {deadline}, daily at {at} ({view.timezone})"
    if view.paused:
        return head + ", paused"
    nexts = ", ".join(format_post_time(t, lang) for t in view.next_posts)
    return head + (f"\n   next: {nexts}" if nexts else "")


def render_subscriptions(views: Sequence[SubscriptionView], lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """The /subscriptions listing, with the next three post times of each; `titles` names the deadlines."""
    if not views:
        if lang == "zh":
            return "这里还没有倒计时订阅。使用 /subscribe 每天接收倒计时。"
        return "No countdown subscriptions here. Use /subscribe to get a daily countdown post."
    title = "本聊天的倒计时订阅：" if lang == "zh" else "Countdown subscriptions here:"
    return "\n".join([title, *(_line(v, lang, titles or {}) for v in views)])


def render_subscribed(view: SubscriptionView, lang: Lang, titles: Mapping[str, str] | None = None) -> str:
    """A short confirmation after /subscribe; `titles` maps deadline ids to their titles in `lang`."""
    at = view.local_time.strftime("%H:%M")
    deadline = (titles or {}).get(view.deadline_id, view.deadline_id)
    first = format_post_time(view.next_posts[0], lang) if view.next_posts else ""
    if lang == "zh":
        return (
            f"已订阅（#{view.id}）：每天 {at}（{view.timezone}）发布{deadline}倒计时。"
            + (f"第一条：{first}。" if first else "")
            + f"取消请用 /unsubscribe {view.id}。"
        )
    return (
        f"Subscribed (#{view.id}): a daily countdown to {deadline} at {at} ({view.timezone})."
        + (f" First post: {first}." if first else "")
        + f" To stop: /unsubscribe {view.id}."
    )
