"""The application commands, their zh-CN localizations (names too), the tree's error handler and the
command-set hash.

Commands find the adapter's handlers on `interaction.client.banbot_handlers`, so the same definitions
serve the running bot and `banbot discord sync` (which only needs their payloads).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, cast

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.adapters._helpers import unknown_command_text
from bot.adapters.discord_bot._helpers import lang_of_locale, timezone_choices
from bot.adapters.discord_bot.handlers import DiscordHandlers
from bot.adapters.discord_bot.render import CHOICE_LIMIT
from bot.core import messages as m
from bot.delivery.modes import MODE_CHOICES
from bot.settings import Settings

log = logging.getLogger(__name__)

ASK_CONTEXT_MENU = "Ask banbot about this"

ZH_CN: dict[str, str] = {
    "Ask banbot a question about the TikTok ban or RedNote": "向 banbot 提问：TikTok 禁令或小红书",
    "Your question, in English or Chinese": "你的问题（中文或英文）",
    "Days until (or since) the TikTok deadline": "距离（或已过）TikTok 截止日的天数",
    "Time zone for counting days, e.g. America/New_York": "计算天数所用的时区，例如 Asia/Shanghai",
    "Post countdowns and news in this channel (Manage Server)": "在本频道发布倒计时和新动态（需管理服务器权限）",
    "What to post (default: daily before the date, milestones and updates after it)": (
        "发布什么（默认：日期之前每日，之后里程碑和新动态）"
    ),
    "Which date to follow (default: the TikTok law)": "关注哪个日期（默认：TikTok 法律）",
    "Stop countdown posts in this channel (Manage Server)": "停止本频道的倒计时发布（需管理服务器权限）",
    "A number from /subscriptions, or all": "/subscriptions 中的编号，或 all（全部）",
    "A topic, e.g. the deal": "话题，例如：协议",
    "List this channel's countdown subscriptions": "列出本频道的倒计时订阅",
    **{choice.en: choice.zh for choice in MODE_CHOICES},
    "Key dates of the TikTok ban, in order": "TikTok 禁令的关键日期",
    "Where the answers come from (all sources of a topic)": "答案的来源（某个话题的全部来源）",
    "What banbot can do": "banbot 能做什么",
    ASK_CONTEXT_MENU: "向 banbot 询问此消息",
}
ZH_CN_NAMES: dict[str, str] = {
    "ask": "提问",
    "countdown": "倒计时",
    "subscribe": "订阅",
    "unsubscribe": "取消订阅",
    "subscriptions": "订阅列表",
    "timeline": "时间线",
    "sources": "来源",
    "help": "帮助",
}
"""Slash command names as Chinese users see them in the / menu. Discord allows letters of any script, digits,
- and _ (1 to 32, lowercase where letters have case); it still sends the English name with each use."""
ZH_CN_TEMPLATES: dict[str, str] = {
    "subscribe.time": "当地时间 HH:MM（默认 {time}）",
    "subscribe.timezone": "时区，例如 Asia/Shanghai（默认 {zone}）",
}
"""Descriptions that name a configured default: their locale_str carries a `key` and the values."""


class BanbotTranslator(app_commands.Translator):
    """zh-CN (and zh-TW) localizations of slash command names, command and option descriptions and the menu
    name."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if locale in (discord.Locale.chinese, discord.Locale.taiwan_chinese):
            # Option names stay English; command names, descriptions and the menu name are translated.
            if context.location is app_commands.TranslationContextLocation.command_name:
                name = ZH_CN_NAMES.get(string.message)
                if name is not None:
                    return name
            template = ZH_CN_TEMPLATES.get(str(string.extras.get("key")))
            if template is not None:
                return template.format(**string.extras)
            return ZH_CN.get(string.message)
        return None


def _handlers(interaction: discord.Interaction) -> DiscordHandlers:
    handlers = getattr(interaction.client, "banbot_handlers", None)
    if handlers is None:
        raise RuntimeError("client has no banbot_handlers")
    return cast(DiscordHandlers, handlers)


def make_commands(settings: Settings) -> list[app_commands.Command[Any, ..., Any] | app_commands.ContextMenu]:
    """Fresh command objects (a tree owns its commands, so each client gets its own); descriptions name the
    configured default time and zone."""
    default_time = settings.default_post_time.strftime("%H:%M")
    default_zone = settings.default_timezone

    @app_commands.command(name="ask", description="Ask banbot a question about the TikTok ban or RedNote")
    @app_commands.describe(question="Your question, in English or Chinese")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 500]) -> None:
        await _handlers(interaction).ask(interaction, question)

    @ask.autocomplete("question")
    async def ask_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await _handlers(interaction).ask_autocomplete(current)

    @app_commands.context_menu(name=ASK_CONTEXT_MENU)
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def ask_message(interaction: discord.Interaction, message: discord.Message) -> None:
        await _handlers(interaction).ask_message(interaction, message)

    @app_commands.command(name="countdown", description="Days until (or since) the TikTok deadline")
    @app_commands.describe(timezone="Time zone for counting days, e.g. America/New_York")
    async def countdown(interaction: discord.Interaction, timezone: str | None = None) -> None:
        await _handlers(interaction).countdown(interaction, timezone)

    @app_commands.command(name="subscribe", description="Post countdowns and news in this channel (Manage Server)")
    @app_commands.describe(
        time=locale_str(f"Local time HH:MM (default {default_time})", key="subscribe.time", time=default_time),
        timezone=locale_str(
            f"Time zone, e.g. America/New_York (default {default_zone})", key="subscribe.timezone", zone=default_zone
        ),
        mode="What to post (default: daily before the date, milestones and updates after it)",
        deadline="Which date to follow (default: the TikTok law)",
    )
    @app_commands.choices(mode=[app_commands.Choice(name=locale_str(c.en), value=c.value) for c in MODE_CHOICES])
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_install()
    @app_commands.guild_only()
    async def subscribe(
        interaction: discord.Interaction,
        time: app_commands.Range[str, 1, 16] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        mode: app_commands.Choice[str] | None = None,
        deadline: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await _handlers(interaction).subscribe(interaction, time, timezone, mode.value if mode else None, deadline)

    @subscribe.autocomplete("deadline")
    async def deadline_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _handlers(interaction).deadline_choices(interaction, current)

    @app_commands.command(name="unsubscribe", description="Stop countdown posts in this channel (Manage Server)")
    @app_commands.describe(subscription="A number from /subscriptions, or all")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_install()
    @app_commands.guild_only()
    async def unsubscribe(
        interaction: discord.Interaction, subscription: app_commands.Range[str, 1, 40] | None = None
    ) -> None:
        await _handlers(interaction).unsubscribe(interaction, subscription)

    @unsubscribe.autocomplete("subscription")
    async def unsubscribe_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _handlers(interaction).unsubscribe_choices(interaction)

    @app_commands.command(name="subscriptions", description="List this channel's countdown subscriptions")
    @app_commands.guild_install()
    @app_commands.guild_only()
    async def subscriptions(interaction: discord.Interaction) -> None:
        await _handlers(interaction).subscriptions(interaction)

    async def tz_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=tz[:CHOICE_LIMIT], value=tz) for tz in timezone_choices(current)]

    subscribe.autocomplete("timezone")(tz_autocomplete)
    countdown.autocomplete("timezone")(tz_autocomplete)

    @app_commands.command(name="timeline", description="Key dates of the TikTok ban, in order")
    async def timeline(interaction: discord.Interaction) -> None:
        await _handlers(interaction).timeline(interaction)

    @app_commands.command(name="sources", description="Where the answers come from (all sources of a topic)")
    @app_commands.describe(topic="A topic, e.g. the deal")
    async def sources(interaction: discord.Interaction, topic: app_commands.Range[str, 1, 100] | None = None) -> None:
        await _handlers(interaction).sources(interaction, topic)

    @app_commands.command(name="help", description="What banbot can do")
    async def help_(interaction: discord.Interaction) -> None:
        await _handlers(interaction).help(interaction)

    return [ask, ask_message, countdown, subscribe, unsubscribe, subscriptions, timeline, sources, help_]


class BanbotTree(app_commands.CommandTree[discord.Client]):
    """The command tree with a brief, logged error reply."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CommandNotFound):  # a command Discord still shows, no longer ours
            log.info("discord unknown command: %.40r", error.name)
            text = unknown_command_text(error.name, lang_of_locale(interaction.locale))
            await reply_error(interaction, text)
            return
        original = getattr(error, "original", error)
        name = interaction.command.qualified_name if interaction.command else "?"
        log.error("discord command failed: command=%s error=%r", name, original)
        log.debug("discord command traceback", exc_info=original)
        await reply_error(interaction)


async def reply_error(interaction: discord.Interaction, text: str | None = None) -> None:
    """Tell the user briefly that something went wrong (or `text`); never raise."""
    if interaction.type is discord.InteractionType.autocomplete:
        return
    text = text or m.ERROR.get(lang_of_locale(interaction.locale))
    embed = discord.Embed(description=text, colour=discord.Colour.dark_red())
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException as exc:
        log.warning("discord error reply failed: %r", exc)


def build_tree(client: discord.Client, settings: Settings) -> BanbotTree:
    """A tree holding banbot's commands, with the zh-CN translator set (set it before syncing)."""
    tree = BanbotTree(client)
    for command in make_commands(settings):
        tree.add_command(command)
    return tree


async def command_payload(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """The global commands as Discord sees them (translated), in a stable order."""
    translator = BanbotTranslator()
    payload = [await command.get_translated_payload(tree, translator) for command in tree.get_commands()]
    return sorted(payload, key=lambda item: (int(item.get("type", 1)), str(item["name"])))


async def command_hash(tree: app_commands.CommandTree[Any], application_id: int | None) -> str:
    """A digest of the command set (and the application it belongs to): changes when a sync is needed."""
    material = {"application_id": application_id, "commands": await command_payload(tree)}
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def read_hash(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def write_hash(path: Path, digest: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(digest + "\n", encoding="utf-8")
    tmp.replace(path)


async def sync_if_changed(tree: BanbotTree, application_id: int | None, path: Path) -> bool:
    """Sync global commands only when their hash differs from the stored one; returns True if synced."""
    digest = await command_hash(tree, application_id)
    if read_hash(path) == digest:
        log.info("discord commands unchanged: no sync")
        return False
    await tree.set_translator(BanbotTranslator())
    synced = await tree.sync()
    write_hash(path, digest)
    log.info("discord commands synced: count=%d", len(synced))
    return True
