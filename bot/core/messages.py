"""User-facing interface strings in both languages. Adapters use `msg(key, lang, **params)`."""

from __future__ import annotations

from bot.core.models import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    "rate_limited": {
        "en": "You're asking faster than I can keep up. Please wait a minute and try again.",
        "zh": "你提问太快了，请稍等一分钟再试。",
    },
    "error": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "zh": "抱歉，我这边出了点问题，请稍后再试。",
    },
    "admins_only": {
        "en": "Only admins of this chat can manage countdown subscriptions.",
        "zh": "只有本群管理员才能管理倒计时订阅。",
    },
    "manage_server_only": {
        "en": "Only members who can manage this server can manage countdown subscriptions.",
        "zh": "只有拥有“管理服务器”权限的成员才能管理倒计时订阅。",
    },
    "unsubscribed": {
        "en": "Unsubscribed: {count} countdown subscription(s) removed.",
        "zh": "已取消订阅：删除了 {count} 个倒计时订阅。",
    },
    "nothing_to_unsubscribe": {
        "en": "This chat has no countdown subscriptions.",
        "zh": "本聊天没有倒计时订阅。",
    },
    "no_subscriptions": {
        "en": "This chat has no countdown subscriptions. Use /subscribe to add one.",
        "zh": "本聊天没有倒计时订阅。使用 /subscribe 添加。",
    },
    "feedback_thanks": {
        "en": "Thanks for the feedback!",
        "zh": "感谢反馈！",
    },
    "ask_usage": {
        "en": "Ask me something after the command, e.g. /ask When was the TikTok deadline?",
        "zh": "请在命令后面写上问题，例如：/ask TikTok的截止日期是哪天？",
    },
    "console_welcome": {
        "en": (
            "banbot console chat. Ask about the TikTok ban or RedNote, in English or Chinese. Commands: /countdown, "
            "/timeline, /sources, /subscribe [HH:MM] [time zone], /subscriptions, /unsubscribe, /help, /quit."
        ),
        "zh": "banbot 控制台聊天。",
    },
    "sources_label": {"en": "Sources", "zh": "来源"},
    "as_of_label": {"en": "As of {date}", "zh": "截至{date}"},
    "checked_label": {"en": "checked {date}", "zh": "核实于{date}"},
    "helpful": {"en": "Helpful", "zh": "有帮助"},
    "not_helpful": {"en": "Not helpful", "zh": "没帮助"},
    # --- Discord adapter ---
    "discord_missing_perms": {
        "en": "I can't post countdowns in this channel. Missing permission(s): {perms}.",
        "zh": "我无法在此频道发布倒计时。缺少权限：{perms}。",
    },
    "discord_server_only": {
        "en": "Countdown subscriptions work in server channels only.",
        "zh": "倒计时订阅只能在服务器频道中使用。",
    },
    "discord_subscribed": {
        "en": "Subscribed: a daily countdown at {time} ({tz}) in this channel. Next posts: {next}.",
        "zh": "订阅成功：本频道每天 {time}（{tz}）发布倒计时。接下来的发布时间：{next}。",
    },
    "discord_subscription_line": {
        "en": "#{id}: {deadline}, daily at {time} ({tz}){state}",
        "zh": "#{id}：{deadline}，每天 {time}（{tz}）{state}",
    },
    "discord_paused": {"en": " (paused)", "zh": "（已暂停）"},
    "discord_subscriptions_title": {"en": "Countdown subscriptions", "zh": "倒计时订阅"},
    "discord_no_text": {
        "en": "I can't read any text in that message.",
        "zh": "我读不到那条消息中的文字。",
    },
    "telegram_subscribed": {
        "en": "Subscribed: a daily countdown to {deadline} at {time} ({tz}). Next posts: {next}.",
        "zh": "已订阅：每天{time}（{tz}）发布{deadline}的倒计时。接下来的发布时间：{next}。",
    },
    "telegram_subscriptions_title": {
        "en": "Countdown subscriptions in this chat:",
        "zh": "本聊天的倒计时订阅：",
    },
    "telegram_subscription_line": {
        "en": "#{id}: {deadline}, daily at {time} ({tz}){paused}. Next: {next}",
        "zh": "#{id}：{deadline}，每天{time}（{tz}）{paused}。下次：{next}",
    },
    "telegram_paused": {"en": " (paused)", "zh": "（已暂停）"},
    "telegram_topic_gone": {
        "en": "That topic is no longer available. Please ask your question again.",
        "zh": "这个话题已不可用，请重新提问。",
    },
}


def msg(key: str, lang: Lang, **params: object) -> str:
    """The interface string `key` in `lang`, with `{params}` filled in."""
    text = MESSAGES[key][lang]
    return text.format(**params) if params else text
