"""Answering Discord interactions within their 3-second window, with `allowed_mentions` none on every send.

`respond` sends a Reply (as its chat view with "More"), `notice` a short text; both use the interaction's
response when it is free, else fill in the deferred response, else follow up. `defer` acknowledges first;
`compute` runs work and defers when it takes longer than `defer_after`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import discord

from bot.adapters._display import chat_view, offers_more
from bot.adapters.discord_bot._helpers import lang_of_locale
from bot.adapters.discord_bot.render import plain_embed, render_reply
from bot.adapters.discord_bot.views import answer_view
from bot.context import Admission, BotContext, Usage
from bot.core import messages as m
from bot.core.models import Reply
from bot.types import Platform

NO_MENTIONS = discord.AllowedMentions.none()
MAX_PENDING_DEFERRALS = 1000

T = TypeVar("T")


class Responder:
    def __init__(self, ctx: BotContext, *, defer_after: float = 1.0) -> None:
        self.ctx = ctx
        self.defer_after = defer_after
        self._deferred: dict[int, bool] = {}
        """Interaction id -> whether its deferral was ephemeral, until the reply is sent."""

    async def admit(self, interaction: discord.Interaction, usage: Usage) -> bool:
        """The per-user rate limit. The first refusal in a window is told so; later ones are acknowledged
        without a word (an interaction must be answered, but need not say anything)."""
        admission = self.ctx.allow(Platform.DISCORD, interaction.user.id, usage)
        if admission is Admission.ALLOW:
            return True
        if admission is Admission.NOTIFY:
            await self.notice(interaction, m.RATE_LIMITED.get(lang_of_locale(interaction.locale)))
        elif interaction.type is discord.InteractionType.component:
            await interaction.response.defer()  # acknowledged; the message stays as it is
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.delete_original_response()
        return False

    async def respond(self, interaction: discord.Interaction, reply: Reply, *, ephemeral: bool = False) -> None:
        """Send a Reply as the interaction's response (or its deferred response) and follow-ups."""
        shown = chat_view(reply)
        view = answer_view(shown, more=offers_more(reply))
        await self.respond_embeds(interaction, render_reply(shown), view, ephemeral=ephemeral)

    async def notice(self, interaction: discord.Interaction, text: str, *, ephemeral: bool = True) -> None:
        """A short text notice (errors, confirmations), ephemeral by default."""
        await self.respond_embeds(interaction, [[plain_embed(text)]], None, ephemeral=ephemeral)

    async def respond_embeds(
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
        if len(self._deferred) > MAX_PENDING_DEFERRALS:  # entries are popped on reply; drop leftovers
            self._deferred.clear()
        self._deferred[interaction.id] = ephemeral
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)

    async def compute(self, interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool = False) -> T:
        """Await `work`; defer the interaction first if it takes longer than `defer_after`."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            await self.defer(interaction, ephemeral=ephemeral)
        return await task
