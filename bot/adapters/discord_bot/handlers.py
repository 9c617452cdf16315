"""Event handlers: turn Discord interactions and messages into context calls and send the rendered Replies.

No answering logic lives here: everything goes through the `BotContext` facade. Countdown subscriptions are
in manage.py; sending and the 3-second acknowledgement in respond.py.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.adapters._display import chat_view, full_view, offers_more, post_full
from bot.adapters._helpers import interface_lang, split_command, suggest_command, unknown_command_text
from bot.adapters.discord_bot._helpers import AUTOCOMPLETE_LIMIT, chat_of, lang_of_locale
from bot.adapters.discord_bot.manage import SubscriptionCommands
from bot.adapters.discord_bot.render import CHOICE_LIMIT, discord_time, render_reply
from bot.adapters.discord_bot.respond import NO_MENTIONS
from bot.adapters.discord_bot.views import answer_view
from bot.context import Admission, Usage, Vote
from bot.core import messages as m
from bot.core.models import Lang, Reply, ReplyKind
from bot.core.text import clean_question, shorten
from bot.errors import SubscriptionError
from bot.types import Platform

log = logging.getLogger(__name__)

EPHEMERAL_KINDS = (ReplyKind.SUGGEST, ReplyKind.UNKNOWN, ReplyKind.DECLINE)
"""'Did you mean' and 'I don't know' replies to slash commands are shown only to the asker."""


class DiscordHandlers(SubscriptionCommands):
    """The adapter's behaviour; commands, buttons and the message listener all call into it."""

    # --- questions -------------------------------------------------------------------------------

    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        """/ask and the "Ask banbot about this" message command."""
        question = clean_question(question)
        if not question:
            await self.notice(interaction, m.ASK_USAGE.get(lang_of_locale(interaction.locale)))
            return
        if not await self.admit(interaction, Usage.QUESTION):
            return
        reply = await self.compute(interaction, self.ctx.ask(question, platform=Platform.DISCORD))
        log.info(
            "discord ask: kind=%s entry=%s lang=%s confidence=%.2f",
            reply.kind,
            reply.entry_id,
            reply.lang,
            reply.confidence,
        )
        await self.respond(interaction, reply, ephemeral=reply.kind in EPHEMERAL_KINDS)

    async def ask_autocomplete(self, current: str) -> list[app_commands.Choice[str]]:
        """At most 25 known questions matching what the user typed so far."""
        suggestions = await self.ctx.autocomplete(clean_question(current), limit=AUTOCOMPLETE_LIMIT)
        choices: list[app_commands.Choice[str]] = []
        seen: set[str] = set()
        for suggestion in suggestions[:AUTOCOMPLETE_LIMIT]:
            name = shorten(suggestion.question, CHOICE_LIMIT)
            if name and name not in seen:
                seen.add(name)
                choices.append(app_commands.Choice(name=name, value=name))
        return choices

    async def ask_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The message context menu: ask about the message's text."""
        text = message.content or " ".join(filter(None, (e.description for e in message.embeds)))
        if not clean_question(text):
            await self.notice(interaction, m.NO_TEXT.get(lang_of_locale(interaction.locale)))
            return
        await self.ask(interaction, text)

    async def on_message(self, message: discord.Message, me: discord.ClientUser) -> None:
        """Answer DMs and messages that @mention the bot (their content arrives without the intent)."""
        if message.author.bot or message.author.id == me.id or message.webhook_id is not None:
            return
        if message.guild is not None and not any(user.id == me.id for user in message.mentions):
            return
        question = clean_question(message.content)
        lang = interface_lang(None, question)
        admission = self.ctx.allow(Platform.DISCORD, message.author.id, Usage.QUESTION)
        if admission is Admission.QUIET:
            return
        command = split_command(question)
        if admission is Admission.NOTIFY:
            reply = Reply(kind=ReplyKind.HELP, text=m.RATE_LIMITED.get(lang), lang=lang)
        elif command is not None:
            reply = Reply(kind=ReplyKind.HELP, text=_slash_hint(command.name, lang), lang=lang)
        else:
            reply = await self.ctx.ask(question, platform=Platform.DISCORD)
        log.info(
            "discord message answered: dm=%s kind=%s entry=%s lang=%s",
            message.guild is None,
            reply.kind,
            reply.entry_id,
            reply.lang,
        )
        shown = chat_view(reply)
        messages = render_reply(shown)
        view = answer_view(shown, more=offers_more(reply))
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
        if not await self.admit(interaction, Usage.QUESTION):
            return
        reply = await self.compute(interaction, self.ctx.entry(entry_id, platform=Platform.DISCORD, lang=lang))
        if reply is None:
            await self.notice(interaction, m.TOPIC_GONE.get(lang))
            return
        await self.respond(interaction, reply)

    async def on_more(self, interaction: discord.Interaction, entry_id: str, lang: Lang) -> None:
        """Show the answer in full, with all its sources, in place of the short one."""
        if not await self.admit(interaction, Usage.QUESTION):
            return
        await interaction.response.defer()  # acknowledged: the message itself changes
        reply = await self.ctx.entry(entry_id, platform=Platform.DISCORD, lang=lang)
        if reply is None:
            await interaction.followup.send(
                embed=discord.Embed(description=m.TOPIC_GONE.get(lang)), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        full = full_view(reply)
        await self._edit_in_place(interaction, render_reply(full), answer_view(full))

    async def _edit_in_place(
        self, interaction: discord.Interaction, messages: list[list[discord.Embed]], view: discord.ui.View | None
    ) -> None:
        """The message the button was on becomes the first message (its buttons replaced by `view`); the
        rest follow."""
        for index, embeds in enumerate(messages):
            kwargs: dict[str, Any] = {"embeds": embeds, "allowed_mentions": NO_MENTIONS}
            if index == len(messages) - 1:
                kwargs["view"] = view
            if index == 0:
                await interaction.edit_original_response(**kwargs)
            else:
                await interaction.followup.send(**kwargs)

    async def on_post_more(self, interaction: discord.Interaction, key: str, lang: Lang) -> None:
        """Show a subscription post in full, with all its sources, in place of its lead."""
        if not await self.admit(interaction, Usage.QUESTION):
            return
        await interaction.response.defer()  # acknowledged: the message itself changes
        chat = chat_of(interaction) if interaction.channel_id is not None else None
        reply = await self.ctx.post_more(key, platform=Platform.DISCORD, lang=lang, chat=chat)
        if reply is None:
            await interaction.followup.send(
                embed=discord.Embed(description=m.POST_GONE.get(lang)), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        await self._edit_in_place(interaction, render_reply(post_full(reply)), None)

    async def on_feedback(self, interaction: discord.Interaction, entry_id: str, helpful: bool, lang: Lang) -> None:
        if not await self.admit(interaction, Usage.VOTE):
            return
        await self.defer(interaction, ephemeral=True)  # acknowledged before the database is touched
        vote = await self.ctx.vote(Platform.DISCORD, interaction.user.id, entry_id, helpful)
        notices = {Vote.RECORDED: m.FEEDBACK_THANKS, Vote.UNKNOWN_ENTRY: m.TOPIC_GONE}
        await self.notice(interaction, notices[vote].get(lang))

    # --- simple commands -------------------------------------------------------------------------

    async def countdown(self, interaction: discord.Interaction, timezone: str | None) -> None:
        """Counts in the given zone, else in the zone of the channel's countdown subscription, else the default;
        the deadline's moment is a Discord timestamp, beside that zone's name."""
        if not await self.admit(interaction, Usage.COMMAND):
            return
        lang = lang_of_locale(interaction.locale)
        chat = chat_of(interaction) if interaction.channel_id is not None else None
        work = self.ctx.countdown(
            platform=Platform.DISCORD, lang=lang, chat=chat, arg=timezone or "", when=discord_time
        )
        try:
            if timezone:  # nothing to look up: the zone is read at once (and explained at once if it is bad)
                reply = await self.compute(interaction, work)
            else:
                await self.defer(interaction)  # acknowledged before the database is asked for the channel's zone
                reply = await work
        except SubscriptionError as exc:  # the shared parser's explanation, as on every surface
            await self.notice(interaction, str(exc))
            return
        await self.respond(interaction, reply)

    async def timeline(self, interaction: discord.Interaction) -> None:
        if not await self.admit(interaction, Usage.COMMAND):
            return
        lang = lang_of_locale(interaction.locale)
        await self.respond(
            interaction, await self.compute(interaction, self.ctx.timeline(platform=Platform.DISCORD, lang=lang))
        )

    async def sources(self, interaction: discord.Interaction, topic: str | None) -> None:
        if not await self.admit(interaction, Usage.COMMAND):
            return
        lang = lang_of_locale(interaction.locale)
        work = self.ctx.sources(clean_question(topic or "") or None, platform=Platform.DISCORD, lang=lang)
        await self.respond(interaction, await self.compute(interaction, work))

    async def help(self, interaction: discord.Interaction) -> None:
        if not await self.admit(interaction, Usage.COMMAND):
            return
        lang = lang_of_locale(interaction.locale)
        await self.respond(interaction, await self.ctx.help(platform=Platform.DISCORD, lang=lang), ephemeral=True)


def _slash_hint(typed: str, lang: Lang) -> str:
    """A mention such as "@banbot /countdown": commands live in the / menu; name the one meant, if any."""
    suggestion = suggest_command(typed)
    if suggestion is None:
        return unknown_command_text(typed, lang)
    return m.SLASH_MENU.get(lang, command="/" + suggestion)
