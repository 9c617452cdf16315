"""The help text and what counts as a greeting."""

from __future__ import annotations

import re

from bot.core.models import Lang

GREETING = re.compile(
    r"(hi|hello|hey|hiya|yo|howdy|good (morning|afternoon|evening)|help|start|menu|commands|"
    r"what can you do|who are you|你好|您好|嗨|哈喽|帮助|帮忙|开始|菜单|你能做什么|你是谁)"
    r"( there| bot| banbot)?(?![a-z0-9])"
)

_HELP = {
    "en": (
        "I'm banbot. I answer questions about the US TikTok divest-or-ban law (its January 19, 2025 deadline "
        "and everything since), ByteDance's stance, and RedNote (Xiaohongshu), with sources, in English and "
        "Chinese.\n\n"
        'Ask me anything, for example: "Did the Supreme Court uphold the law?", "Who owns TikTok now?", '
        '"What is RedNote?"\n\n'
        "Commands: /ask <question>, /countdown, /timeline, /sources, /subscribe [HH:MM] [time zone] "
        "[daily|milestones|updates] for countdown posts and news (admins), /unsubscribe, /subscriptions, /help."
    ),
    "zh": (
        "我是 banbot，用中文或英文回答有关美国TikTok“不剥离就禁用”法律（2025年1月19日的截止日期及之后的进展）、"
        "字节跳动的立场以及小红书（RedNote）的问题，并附上来源。\n\n"
        "直接提问即可，例如：“最高法院维持了这项法律吗？”“TikTok现在归谁所有？”“小红书是什么？”\n\n"
        "命令：/ask <问题>、/countdown 倒计时、/timeline 时间线、/sources 来源、"
        "/subscribe [HH:MM] [时区] [daily|milestones|updates] 订阅倒计时和新动态（管理员）、/unsubscribe、"
        "/subscriptions、/help。"
    ),
}


def help_text(lang: Lang) -> str:
    return _HELP[lang]
