"""Event handlers: turn Discord interactions and messages into core calls and send the rendered Replies.

No answering logic lives here: questions go to `BotContext.ask`, buttons to the answerer's `entry_reply`,
subscriptions to the `Subscriptions` port. Every send passes `allowed_mentions=AllowedMentions.none()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import discord
from discord import app_commands

from bot.adapters.discord_bot.render import CHOICE_LIMIT, lang_of_locale, plain_embed, render_reply, trim
from bot.adapters.discord_bot.views import answer_view
from bot.context import BotContext
from bot.core.language import detect_language
from bot.core.messages import msg
from bot.core.models import Lang, Reply, ReplyKind
from bot.core.ratelimit import UserRateLimiter
from bot.core.text import clean_question
from bot.delivery.parsing import parse_timezone
from bot.delivery.ports import SubscriptionView
from bot.errors import SubscriptionError
from bot.types import ChatRef, Platform

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
AUTOCOMPLETE_LIMIT = 25
EPHEMERAL_KINDS = (ReplyKind.SUGGEST, ReplyKind.UNKNOWN, ReplyKind.DECLINE)
"""'Did you mean' and 'I don't know' replies to slash commands are shown only to the asker."""

POST_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)
THREAD_POST_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("embed_links", "Embed Links"),
)


@lru_cache(maxsize=1)
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(tz for tz in available_timezones() if "/" in tz or tz == "UTC"))


def timezone_choices(current: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
    """IANA zones matching `current`: prefix matches of any path part first, then substring matches."""
    needle = current.strip().replace(" ", "_").lower()
    if not needle:
        return ["UTC", "America/New_York", "America/Los_Angeles", "Asia/Shanghai", "Europe/London"][:limit]
    first: list[str] = []
    rest: list[str] = []
    for tz in _timezones():
        low = tz.lower()
        if low.startswith(needle) or any(part.startswith(needle) for part in low.split("/")):
            first.append(tz)
        elif needle in low:
            rest.append(tz)
        if len(first) >= limit:
            break
    return (first + rest)[:limit]


def missing_post_permissions(perms: discord.Permissions, *, thread: bool) -> list[str]:
    """Human names of the permissions the bot lacks to post countdowns in a channel."""
    needed = THREAD_POST_PERMISSIONS if thread else POST_PERMISSIONS
    return [label for name, label in needed if not getattr(perms, name)]


def chat_of(interaction: discord.Interaction) -> ChatRef:
    """Where the interaction happened, as a delivery ChatRef (threads keep their parent channel)."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return ChatRef(Platform.DISCORD, str(channel.parent_id), thread_id=str(channel.id))
    return ChatRef(Platform.DISCORD, str(interaction.channel_id))


class DiscordHandlers:
    """The adapter's behaviour; commands, buttons and the message listener all call into it."""

    def __init__(self, ctx: BotContext, *, defer_after: float = 1.0) -> None:
        self.ctx = ctx
        self.defer_after = defer_after
        settings = ctx.settings
        self.limiter = UserRateLimiter(settings.user_rate_limit, settings.user_rate_window_seconds)
        self._deferred: dict[int, bool] = {}
        """Interaction id -> whether its deferral was ephemeral, until the reply is sent."""

    # --- sending ---------------------------------------------------------------------------------

    async def respond(
        self, interaction: discord.Interaction, reply: Reply, *, ephemeral: bool = False, feedback: bool = True
    ) -> None:
        """Send a Reply as the interaction's response (or its deferred response) and follow-ups."""
        messages = render_reply(reply)
        view = answer_view(reply, feedback=feedback)
        await self._respond_embeds(interaction, messages, view, ephemeral=ephemeral)

    async def notice(self, interaction: discord.Interaction, text: str, *, ephemeral: bool = True) -> None:
        """A short text notice (errors, confirmations), ephemeral by default."""
        await self._respond_embeds(interaction, [[plain_embed(text)]], None, ephemeral=ephemeral)

    async def _respond_embeds(
        self,
        interaction: discord.Interaction,
        messages: Sequence[list[discord.Embed]],
        view: discord.ui.View | None,
        *,
        ephemeral: bool,
    ) -> None:
        response = interaction.response
        deferred_ephemeral = self._deferred.pop(interaction.id, None)
        edit_original = False
        if deferred_ephemeral is not None:
            if deferred_ephemeral:
                ephemeral = edit_original = True  # the deferral fixed the visibility already
            elif ephemeral:
                # The public "thinking…" placeholder would show this reply to everyone: remove it.
                await interaction.delete_original_response()
            else:
                edit_original = True
        for index, embeds in enumerate(messages):
            kwargs: dict[str, Any] = {"embeds": embeds, "allowed_mentions": NO_MENTIONS}
            if view is not None and index == len(messages) - 1:
                kwargs["view"] = view
            if not response.is_done():
                await response.send_message(ephemeral=ephemeral, **kwargs)
            elif edit_original and index == 0:
                await interaction.edit_original_response(**kwargs)
            else:
                await interaction.followup.send(ephemeral=ephemeral, **kwargs)

    async def defer(self, interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
        """Acknowledge now (Discord allows 3 s); the reply follows within 15 minutes."""
        if interaction.response.is_done():
            return
        if len(self._deferred) > 1000:  # entries are popped on reply; drop leftovers of failed handlers
            self._deferred.clear()
        self._deferred[interaction.id] = ephemeral
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)

    async def compute(
        self, interaction: discord.Interaction, fn: Callable[[], Reply], *, ephemeral: bool = False
    ) -> Reply:
        """Run `fn` off the loop; defer the interaction first if it takes longer than `defer_after`."""
        task = asyncio.ensure_future(asyncio.to_thread(fn))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            await self.defer(interaction, ephemeral=ephemeral)
        return await task

    # --- questions -------------------------------------------------------------------------------

    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        """/ask and the "Ask banbot about this" message command."""
        question = clean_question(question)
        lang = detect_language(question) if question else lang_of_locale(interaction.locale)
        if not question:
            await self.notice(interaction, msg("ask_usage", lang))
            return
        if not self.limiter.allow(f"discord:{interaction.user.id}"):
            await self.notice(interaction, msg("rate_limited", lang))
            return
        reply = await self.compute(interaction, lambda: self.ctx.ask(question, platform=Platform.DISCORD))
        log.info(
            "discord ask: kind=%s entry=%s lang=%s confidence=%.2f",
            reply.kind,
            reply.entry_id,
            reply.lang,
            reply.confidence,
        )
        await self.respond(interaction, reply, ephemeral=reply.kind in EPHEMERAL_KINDS)

    def ask_autocomplete(self, current: str) -> list[app_commands.Choice[str]]:
        """At most 25 known questions matching what the user typed so far."""
        text = clean_question(current)
        suggestions = self.ctx.knowledge.answerer.autocomplete(text, limit=AUTOCOMPLETE_LIMIT)
        choices: list[app_commands.Choice[str]] = []
        seen: set[str] = set()
        for suggestion in suggestions[:AUTOCOMPLETE_LIMIT]:
            name = trim(suggestion.question, CHOICE_LIMIT)
            if name and name not in seen:
                seen.add(name)
                choices.append(app_commands.Choice(name=name, value=name))
        return choices

    async def ask_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The message context menu: ask about the message's text."""
        text = message.content or " ".join(filter(None, (e.description for e in message.embeds)))
        if not clean_question(text):
            await self.notice(interaction, msg("discord_no_text", lang_of_locale(interaction.locale)))
            return
        await self.ask(interaction, text)

    async def on_message(self, message: discord.Message, me: discord.ClientUser) -> None:
        """Answer DMs and messages that @mention the bot (their content arrives without the intent)."""
        if message.author.bot or message.author.id == me.id or message.webhook_id is not None:
            return
        if message.guild is not None and not any(user.id == me.id for user in message.mentions):
            return
        question = clean_question(message.content)
        lang = detect_language(question)
        if not self.limiter.allow(f"discord:{message.author.id}"):
            reply = Reply(kind=ReplyKind.HELP, text=msg("rate_limited", lang), lang=lang)
        else:
            reply = await asyncio.to_thread(self.ctx.ask, question, platform=Platform.DISCORD)
        log.info(
            "discord message answered: dm=%s kind=%s entry=%s lang=%s",
            message.guild is None,
            reply.kind,
            reply.entry_id,
            reply.lang,
        )
        messages = render_reply(reply)
        view = answer_view(reply)
        for index, embeds in enumerate(messages):
            kwargs: dict[str, Any] = {"embeds": embeds, "allowed_mentions": NO_MENTIONS}
            if index == 0:
                kwargs["reference"] = message.to_reference(fail_if_not_exists=False)
                kwargs["mention_author"] = False
            if view is not None and index == len(messages) - 1:
                kwargs["view"] = view
            await message.channel.send(**kwargs)

    # --- buttons ---------------------------------------------------------------------------------

    async def on_suggestion(self, interaction: discord.Interaction, entry_id: str, lang: Lang) -> None:
        answerer = self.ctx.knowledge.answerer
        try:
            reply = await self.compute(interaction, lambda: answerer.entry_reply(entry_id, self.ctx.clock(), lang))
        except KeyError:
            log.info("discord suggestion for unknown entry: %s", entry_id)
            reply = answerer.help(lang)
        await self.respond(interaction, reply)

    async def on_feedback(self, interaction: discord.Interaction, entry_id: str, helpful: bool, lang: Lang) -> None:
        await self.ctx.feedback.record_feedback(Platform.DISCORD, entry_id, helpful, voter=str(interaction.user.id))
        log.info("discord feedback: entry=%s helpful=%s", entry_id, helpful)
        await self.notice(interaction, msg("feedback_thanks", lang))

    # --- simple commands -------------------------------------------------------------------------

    async def countdown(self, interaction: discord.Interaction, timezone: str | None) -> None:
        """Counts in the given zone, else in the zone of the channel's countdown subscription, else UTC."""
        lang = lang_of_locale(interaction.locale)
        name = (timezone or "").strip()
        if not name and interaction.channel_id is not None:
            views = await self.ctx.subscriptions.list(chat_of(interaction))
            name = views[0].timezone if views else ""
        try:
            tz = ZoneInfo(parse_timezone(name, lang) if name else "UTC")
        except SubscriptionError as exc:  # the shared parser's explanation, as on every surface
            await self.notice(interaction, str(exc))
            return
        answerer = self.ctx.knowledge.answerer
        reply = await self.compute(interaction, lambda: answerer.countdown(self.ctx.clock(), lang, tz=tz))
        await self.respond(interaction, reply)

    async def timeline(self, interaction: discord.Interaction) -> None:
        lang = lang_of_locale(interaction.locale)
        answerer = self.ctx.knowledge.answerer
        await self.respond(
            interaction, await self.compute(interaction, lambda: answerer.timeline(self.ctx.clock(), lang))
        )

    async def sources(self, interaction: discord.Interaction) -> None:
        lang = lang_of_locale(interaction.locale)
        answerer = self.ctx.knowledge.answerer
        await self.respond(interaction, await self.compute(interaction, lambda: answerer.sources(lang)))

    async def help(self, interaction: discord.Interaction) -> None:
        lang = lang_of_locale(interaction.locale)
        await self.respond(interaction, self.ctx.knowledge.answerer.help(lang), ephemeral=True)

    # --- subscriptions ---------------------------------------------------------------------------

    async def _may_manage(self, interaction: discord.Interaction, lang: Lang) -> bool:
        """Run-time check behind default_permissions: a server channel and Manage Server."""
        if interaction.guild_id is None:
            await self.notice(interaction, msg("discord_server_only", lang))
            return False
        if not interaction.permissions.manage_guild:
            log.info("discord subscription refused: user lacks manage_guild")
            await self.notice(interaction, msg("manage_server_only", lang))
            return False
        return True

    async def subscribe(self, interaction: discord.Interaction, time: str | None, timezone: str | None) -> None:
        lang = lang_of_locale(interaction.locale)
        if not await self._may_manage(interaction, lang):
            return
        chat = chat_of(interaction)
        missing = missing_post_permissions(interaction.app_permissions, thread=chat.thread_id is not None)
        if missing:
            log.info("discord subscription refused: bot lacks %s", ",".join(missing))
            await self.notice(interaction, msg("discord_missing_perms", lang, perms=", ".join(missing)))
            return
        await self.defer(interaction)
        try:
            view = await self.ctx.subscriptions.subscribe(
                chat, created_by=str(interaction.user.id), lang=lang, time_text=time, tz_text=timezone
            )
        except SubscriptionError as exc:
            await self.notice(interaction, str(exc))
            return
        log.info("discord subscribed: id=%s time=%s tz=%s", view.id, view.local_time, view.timezone)
        next_posts = ", ".join(discord.utils.format_dt(moment, "f") for moment in view.next_posts[:3]) or "-"
        text = msg(
            "discord_subscribed", lang, time=view.local_time.strftime("%H:%M"), tz=view.timezone, next=next_posts
        )
        await self.notice(interaction, text, ephemeral=False)

    async def unsubscribe(self, interaction: discord.Interaction, subscription_id: int | None) -> None:
        lang = lang_of_locale(interaction.locale)
        if not await self._may_manage(interaction, lang):
            return
        await self.defer(interaction)
        try:
            count = await self.ctx.subscriptions.unsubscribe(
                chat_of(interaction), lang=lang, subscription_id=subscription_id
            )
        except SubscriptionError as exc:
            await self.notice(interaction, str(exc))
            return
        log.info("discord unsubscribed: count=%d", count)
        if count == 0:
            await self.notice(interaction, msg("nothing_to_unsubscribe", lang))
        else:
            await self.notice(interaction, msg("unsubscribed", lang, count=count), ephemeral=False)

    async def subscriptions(self, interaction: discord.Interaction) -> None:
        lang = lang_of_locale(interaction.locale)
        if interaction.guild_id is None:
            await self.notice(interaction, msg("discord_server_only", lang))
            return
        await self.defer(interaction, ephemeral=True)
        views = await self.ctx.subscriptions.list(chat_of(interaction))
        if not views:
            await self.notice(interaction, msg("no_subscriptions", lang))
            return
        lines = [self._subscription_line(view, lang) for view in views]
        embed = plain_embed("\n".join(lines), title=msg("discord_subscriptions_title", lang))
        await self._respond_embeds(interaction, [[embed]], None, ephemeral=True)

    def _subscription_line(self, view: SubscriptionView, lang: Lang) -> str:
        deadline = self.ctx.knowledge.kb.deadlines.get(view.deadline_id)
        name = (deadline.title.zh if lang == "zh" else deadline.title.en) if deadline else view.deadline_id
        state = msg("discord_paused", lang) if view.paused else ""
        line = msg(
            "discord_subscription_line",
            lang,
            id=view.id,
            deadline=name,
            time=view.local_time.strftime("%H:%M"),
            tz=view.timezone,
            state=state,
        )
        if view.next_posts and not view.paused:
            line += " → " + discord.utils.format_dt(view.next_posts[0], "f")
        return line
