"""The interface strings, in both languages, keyed by what they mean (never by the platform showing them).

Every surface shows the same words: adapters only style them (HTML, an embed, plain text). A string that
quotes what a user typed passes it through `echo` first, so no reply can grow with its input.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import Lang
from bot.core.text import shorten

ECHO_LIMIT = 40
"""At most this many characters of what a user typed are quoted back in a reply."""


@dataclass(frozen=True, slots=True)
class Message:
    """One interface string in English and Simplified Chinese; `{name}` fields are filled in by `get`."""

    en: str
    zh: str

    def get(self, lang: Lang, **params: object) -> str:
        text = self.zh if lang == "zh" else self.en
        return text.format(**params) if params else text


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """What a user typed, fit to quote in a reply: one line, at most `limit` characters."""
    return shorten(text, limit, one_line=True)


# --- the core's own replies --------------------------------------------------------------------------

TIMELINE_TITLE = Message("Timeline", "时间线")
UPCOMING = Message("upcoming", "尚未到来")
SOURCES_TITLE = Message("Sources", "来源")
SOURCES_OF_ENTRY = Message("All sources for “{title}”:", "“{title}”的全部来源：")
SOURCES_MOST_CITED = Message(
    "My answers come from {count} public sources. The most cited:", "我的回答来自 {count} 个公开来源。最常引用的是："
)
NO_SUCH_TOPIC = Message("No topic matches “{topic}”. ", "没有找到与“{topic}”相关的主题。")
DID_YOU_MEAN = Message("I'm not sure what you're asking. Did you mean:", "我不太确定你想问什么。你是不是想问：")
UNKNOWN_QUESTION = Message(
    "I don't know that one. I answer questions about the US TikTok divest-or-ban law, ByteDance and RedNote. "
    "You could try:",
    "这个问题我不知道。我只回答有关美国TikTok“不剥离就禁用”法律、字节跳动和小红书（RedNote）的问题。你可以试试：",
)

# --- every surface ---------------------------------------------------------------------------------

ERROR = Message(
    "Sorry, something went wrong on my side. Please try again in a moment.",
    "抱歉，我这边出了点问题，请稍后再试。",
)
RATE_LIMITED = Message(
    "You're asking faster than I can keep up. Please wait a minute and try again.",
    "你提问太快了，请稍等一分钟再试。",
)
ASK_USAGE = Message(
    "Ask me something after the command, e.g. /ask When was the TikTok deadline?",
    "请在命令后面写上问题，例如：/ask TikTok的截止日期是哪天？",
)
NO_TEXT = Message("I can't read any text in that message.", "我读不到那条消息中的文字。")
TOPIC_GONE = Message(
    "That topic is no longer available. Please ask your question again.",
    "这个话题已不可用，请重新提问。",
)
CONSOLE_WELCOME = Message(
    "banbot console chat. Ask about the TikTok ban or RedNote, in English or Chinese. Commands: /countdown, "
    "/timeline, /sources [topic], /subscribe [HH:MM] [time zone] [daily|milestones|updates] [deadline], "
    "/subscriptions, /unsubscribe [number|all], /help, /quit.",
    "banbot 控制台聊天。可用中文或英文询问TikTok禁令或小红书。命令：/countdown、/timeline、/sources [话题]、"
    "/subscribe [HH:MM] [时区] [daily|milestones|updates] [截止日期]、/subscriptions、/unsubscribe [编号|all]、"
    "/help、/quit。",
)

# --- commands --------------------------------------------------------------------------------------

UNKNOWN_COMMAND = Message("I don't know the command {command}.", "我不认识命令 {command}。")
DID_YOU_MEAN_COMMAND = Message(" Did you mean {suggestion}?", "你是不是想用 {suggestion}？")
COMMAND_LIST = Message(" Commands: {commands}.", "可用命令：{commands}。")
SLASH_MENU = Message(
    "Commands work from the / menu here: type {command} and pick it from the list.",
    "在这里请从 / 菜单使用命令：输入 {command} 并在列表中选择。",
)

# --- answers ---------------------------------------------------------------------------------------

SOURCES_LABEL = Message("Sources", "来源")
AS_OF = Message("As of {date}", "截至{date}")
CHECKED = Message("checked {date}", "核实于{date}")
MORE = Message("More", "详细")
HELPFUL = Message("Helpful", "有帮助")
NOT_HELPFUL = Message("Not helpful", "没帮助")
TRY_THESE = Message("You could try:", "你可以试试：")
PICK_BY_NUMBER = Message(
    "Type a number to get that answer, or ask something else.", "输入编号查看对应的回答，或者直接问别的问题。"
)
FEEDBACK_THANKS = Message("Thanks for the feedback!", "感谢反馈！")

# --- who may manage subscriptions -----------------------------------------------------------------

ADMINS_ONLY = Message(
    "Only admins of this chat can manage countdown subscriptions.",
    "只有本群管理员才能管理倒计时订阅。",
)
MANAGE_SERVER_ONLY = Message(
    "Only members who can manage this server can manage countdown subscriptions.",
    "只有拥有“管理服务器”权限的成员才能管理倒计时订阅。",
)
SERVER_ONLY = Message(
    "Countdown subscriptions work in server channels only.",
    "倒计时订阅只能在服务器频道中使用。",
)
MISSING_PERMISSIONS = Message(
    "I can't post countdowns in this channel. Missing permission(s): {perms}.",
    "我无法在此频道发布倒计时。缺少权限：{perms}。",
)

# --- subscriptions ---------------------------------------------------------------------------------
# What a subscription posts, past-aware: never "a countdown to" a date that has come, but posts "about" it.

POSTS_DAILY_AHEAD = Message("a daily countdown to {deadline}", "每天发布{deadline}倒计时")
POSTS_DAILY_PASSED = Message("daily posts about {deadline}", "每天发布关于{deadline}的消息")
POSTS_MILESTONES_AHEAD = Message("a countdown to {deadline} on milestone days", "在里程碑日发布{deadline}倒计时")
POSTS_MILESTONES_PASSED = Message("posts about {deadline} on milestone days", "在里程碑日发布关于{deadline}的消息")
POSTS_UPDATES_ONLY = Message(
    "news posts when there is a new development (with the count for {deadline})",
    "有新动态时发布消息（附{deadline}的天数）",
)
AND_UPDATES = Message(", and news when there is some", "，并在有新动态时发布消息")
MODE_DAILY = Message("daily", "每日")
MODE_MILESTONES = Message("milestones", "里程碑")
MODE_UPDATES = Message("updates", "新动态")

SUBSCRIBED = Message(
    "Subscribed (#{id}): {what}, at {time} ({tz}).", "已订阅（#{id}）：{what}，时间为 {time}（{tz}）。"
)
MODES_CHANGED = Message(
    "Changed (#{id}): now {what}, at {time} ({tz}).", "已更改（#{id}）：现在{what}，时间为 {time}（{tz}）。"
)
FIRST_POST = Message(" First post: {when}.", "第一条：{when}。")
NEXT_MILESTONE = Message(" Next milestone: {when}.", "下一个里程碑：{when}。")
MILESTONES_NOTE = Message(
    " Milestones: the day itself, every 100 days and every 365 days.", "里程碑日：当天、每满100天、每满365天。"
)
TO_STOP = Message(" To stop: /unsubscribe {id}.", "取消请用 /unsubscribe {id}。")
SUBSCRIPTIONS_TITLE = Message("Subscriptions here:", "本聊天的订阅：")
SUBSCRIPTION_LINE = Message("#{id} {what}, at {time} ({tz}) [{modes}]", "#{id} {what}，时间 {time}（{tz}）［{modes}］")
SUBSCRIPTION_PAUSED = Message(", paused", "，已暂停")
NEXT_POSTS = Message("\n   next: {when}", "\n   接下来：{when}")
NEXT_MILESTONES = Message("\n   next milestones: {when}", "\n   接下来的里程碑：{when}")
NO_SUBSCRIPTIONS = Message(
    "No subscriptions here. Use /subscribe to get countdown posts and news.",
    "这里还没有订阅。使用 /subscribe 接收倒计时和新动态。",
)
UNSUBSCRIBED_ONE = Message(
    "Unsubscribed #{id}: {what}, at {time} ({tz}). Nothing more will be posted for it here.",
    "已取消 #{id}：{what}，时间为 {time}（{tz}）。这里不会再为它发布消息。",
)
UNSUBSCRIBED_ALL = Message("Unsubscribed: {count} subscription(s) removed.", "已取消订阅：删除了 {count} 个订阅。")
WHICH_SUBSCRIPTION = Message(
    "This chat has {count} subscriptions. Say which one to stop: /unsubscribe <number>, "
    "or /unsubscribe all to stop every one.\n{listing}",
    "本聊天有 {count} 个订阅。请指明要取消哪一个：/unsubscribe <编号>；或用 /unsubscribe all 全部取消。\n{listing}",
)
UNSUBSCRIBE_USAGE = Message(
    "“{arg}” is not a subscription number. Use /unsubscribe <number> (see /subscriptions), "
    "or /unsubscribe all to stop every subscription here.",
    "“{arg}”不是订阅编号。请用 /unsubscribe <编号>（见 /subscriptions），或用 /unsubscribe all 取消这里的全部订阅。",
)
REMOVED_DEADLINE = Message("a deadline no longer tracked", "已不再跟踪的截止日期")
ALREADY_SUBSCRIBED = Message(
    "This chat already gets posts about {deadline} at {time} ({tz}): subscription #{id}. Nothing changed. "
    "To change what it posts, name the modes (daily, milestones, updates).",
    "本聊天已订阅 {time}（{tz}）关于{deadline}的消息（#{id}），无需重复订阅。"
    "如需更改发布内容，请指定模式（daily、milestones、updates）。",
)
TOO_MANY_SUBSCRIPTIONS = Message(
    "This chat already has {count} subscriptions, the most allowed. Remove one with /unsubscribe <number> first.",
    "本聊天已有 {count} 个订阅，已达上限。请先用 /unsubscribe <编号> 取消一个。",
)
NO_SUCH_SUBSCRIPTION = Message(
    "There is no subscription #{id} in this chat. Use /subscriptions to see the numbers.",
    "本聊天没有编号为 #{id} 的订阅。用 /subscriptions 查看编号。",
)
UNKNOWN_MODE = Message(
    "Unknown mode “{text}”. Modes: daily, milestones (the day itself, every 100 days, every 365 days) and "
    "updates (new developments); combine them with +, e.g. milestones+updates.",
    "未知的模式“{text}”。可用：daily（每日）、milestones（里程碑：当天、每满100天、每满365天）、"
    "updates（新动态），可用 + 组合，例如 milestones+updates。",
)

# --- posts -------------------------------------------------------------------------------------------

POST_GONE = Message(
    "That post is no longer available: its topic was removed from what I know. Try /countdown or ask me.",
    "这条消息已不可用：相关内容已被移除。请试试 /countdown 或直接提问。",
)

COUNTDOWN_MOMENT = Message("{when} · days counted in {tz}", "{when} · 天数按 {tz} 计算")
"""Under a countdown where the platform shows times in each reader's own zone (Discord timestamps)."""

# --- what admins type for /subscribe and /countdown -------------------------------------------------

NOT_A_TIME = Message(
    "“{text}” is not a time of day. Expected HH:MM in 24-hour time, e.g. 09:00 or 21:30.",
    "“{text}”不是有效的时间。请使用24小时制 HH:MM，例如 09:00 或 21:30。",
)
NOT_WHOLE_HOURS = Message(
    "“{text}” is not a whole-hour offset. Use a city time zone instead, e.g. {examples}.",
    "“{text}”不是整小时的时差。请改用城市时区名，例如 {examples}。",
)
ZONE_TOO_LONG = Message(
    "“{text}” is too long for a time zone. Use an IANA name such as Europe/London, "
    "a city such as “new york”, or an offset such as UTC+8.",
    "“{text}”太长，不是时区。请使用 IANA 时区名（如 Asia/Shanghai）、城市名或时差（如 UTC+8）。",
)
ZONE_IS_REGION = Message(
    "“{text}” is a region, not a time zone: add a city, e.g. {examples}.",
    "“{text}”是地区而不是时区，请加上城市，例如 {examples}。",
)
UNKNOWN_ZONE = Message(
    "Unknown time zone “{text}”.{hint} Use an IANA name such as America/New_York, Europe/London or "
    "Asia/Shanghai, a city such as “new york”, or an offset such as UTC+8.",
    "未知的时区“{text}”。{hint}请使用 IANA 时区名（如 Asia/Shanghai、America/New_York），"
    "城市名（如 new york），或时差（如 UTC+8）。",
)
ZONE_HINT = Message(" Did you mean {zones}?", "您是不是想输入 {zones}？")
OR = Message(" or ", " 或 ")
UNKNOWN_DEADLINE = Message(
    "Unknown deadline “{text}”. Valid deadlines: {valid}.",
    "未知的截止日期“{text}”。可用的有：{valid}。",
)
LIST_SEPARATOR = Message(", ", "、")
