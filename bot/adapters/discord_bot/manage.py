"""Countdown subscriptions on Discord: /subscribe, /unsubscribe, /subscriptions in server channels, for
members who can manage the server. The texts and the argument parser are the ones every surface uses; post
times are Discord timestamps, which each reader sees in their own zone, beside the subscription's zone."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.adapters.discord_bot._helpers import (
    AUTOCOMPLETE_LIMIT,
    chat_of,
    lang_of_locale,
    missing_post_permissions,
)
from bot.adapters.discord_bot.render import CHOICE_LIMIT, discord_time
from bot.adapters.discord_bot.respond import Responder
from bot.context import Usage
from bot.core import messages as m
from bot.core.models import Lang
from bot.core.text import shorten
from bot.delivery.parsing import UNSUBSCRIBE_ALL
from bot.delivery.texts import render_subscription_line
from bot.errors import SubscriptionError

log = logging.getLogger(__name__)


class SubscriptionCommands(Responder):
    async def _may_manage(self, interaction: discord.Interaction, lang: Lang) -> bool:
        """Run-time check behind default_permissions: a server channel and Manage Server."""
        if interaction.guild_id is None:
            await self.notice(interaction, m.SERVER_ONLY.get(lang))
            return False
        if not interaction.permissions.manage_guild:
            log.info("discord subscription refused: user lacks manage_guild")
            await self.notice(interaction, m.MANAGE_SERVER_ONLY.get(lang))
            return False
        return True

    async def subscribe(
        self,
        interaction: discord.Interaction,
        time: str | None,
        timezone: str | None,
        mode: str | None = None,
        deadline: str | None = None,
    ) -> None:
        """The options are joined into the text every surface's /subscribe reads; the deadline (picked by its
        heading, or typed) becomes its id first."""
        lang = lang_of_locale(interaction.locale)
        if not await self.admit(interaction, Usage.COMMAND) or not await self._may_manage(interaction, lang):
            return
        chat = chat_of(interaction)
        missing = missing_post_permissions(interaction.app_permissions, thread=chat.thread_id is not None)
        if missing:
            log.info("discord subscription refused: bot lacks %s", ",".join(missing))
            await self.notice(interaction, m.MISSING_PERMISSIONS.get(lang, perms=", ".join(missing)))
            return
        await self.defer(interaction)
        try:
            deadline_id = self.ctx.deadline_id(deadline, lang) if deadline else None
            args = " ".join(part for part in (time, timezone, mode, deadline_id) if part)
            outcome = await self.ctx.subscribe(
                chat, args, created_by=str(interaction.user.id), lang=lang, when=discord_time
            )
        except SubscriptionError as exc:
            await self.notice(interaction, str(exc))
            return
        await self.notice(interaction, outcome.text, ephemeral=False)

    async def unsubscribe(self, interaction: discord.Interaction, which: str | None) -> None:
        lang = lang_of_locale(interaction.locale)
        if not await self.admit(interaction, Usage.COMMAND) or not await self._may_manage(interaction, lang):
            return
        await self.defer(interaction)
        try:
            outcome = await self.ctx.unsubscribe(chat_of(interaction), which or "", lang=lang, when=discord_time)
        except SubscriptionError as exc:
            await self.notice(interaction, str(exc))
            return
        await self.notice(interaction, outcome.text, ephemeral=not outcome.changed)

    async def unsubscribe_choices(self, interaction: discord.Interaction) -> list[app_commands.Choice[str]]:
        """The channel's subscriptions to pick from, then "all"."""
        lang = lang_of_locale(interaction.locale)
        if interaction.guild_id is None:
            return []
        views = await self.ctx.subscriptions_of(chat_of(interaction))
        titles = self.ctx.deadline_titles(lang)
        choices = [
            app_commands.Choice(
                name=shorten(render_subscription_line(v, lang, titles), CHOICE_LIMIT, one_line=True), value=str(v.id)
            )
            for v in views[: AUTOCOMPLETE_LIMIT - 1]
        ]
        return [*choices, app_commands.Choice(name=UNSUBSCRIBE_ALL, value=UNSUBSCRIBE_ALL)] if choices else []

    def deadline_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """The knowledge's deadlines by heading (never by id), matching what was typed."""
        lang = lang_of_locale(interaction.locale)
        return [
            app_commands.Choice(name=shorten(shown, CHOICE_LIMIT, one_line=True), value=deadline_id)
            for deadline_id, shown in self.ctx.deadline_choices(current, lang, AUTOCOMPLETE_LIMIT)
        ]

    async def subscriptions(self, interaction: discord.Interaction) -> None:
        lang = lang_of_locale(interaction.locale)
        if not await self.admit(interaction, Usage.COMMAND):
            return
        if interaction.guild_id is None:
            await self.notice(interaction, m.SERVER_ONLY.get(lang))
            return
        await self.defer(interaction, ephemeral=True)
        text = await self.ctx.subscriptions_text(chat_of(interaction), lang=lang, when=discord_time)
        await self.notice(interaction, text)
