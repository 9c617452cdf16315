"""What every group of Telegram handlers shares: the context, the button codec, sending and the rate limit."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode

from bot.adapters._display import chat_view, offers_more
from bot.adapters.telegram_bot._helpers import sender_key, user_lang
from bot.adapters.telegram_bot.callbacks import CallbackCodec
from bot.adapters.telegram_bot.render import MESSAGE_LIMIT, render_keyboard, render_parts
from bot.context import Admission, BotContext, Usage
from bot.core import messages as m
from bot.core.models import Reply
from bot.core.text import shorten
from bot.types import Platform

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
NOTICE_LIMIT = MESSAGE_LIMIT - 96
"""A notice never comes near Telegram's limit, whatever it quotes."""


class HandlerBase:
    def __init__(self, ctx: BotContext, codec: CallbackCodec) -> None:
        self.ctx = ctx
        self.codec = codec

    async def send_reply(self, message: Message, reply: Reply, *, quote: bool) -> None:
        """Send a reply in the message's chat (and topic); an answer as its chat view with a "More" button."""
        shown = chat_view(reply)
        keyboard = render_keyboard(shown, self.codec, more=offers_more(reply))
        await self.send_parts(message, render_parts(shown), keyboard, quote=quote)

    async def send_parts(
        self, message: Message, parts: Sequence[str], keyboard: InlineKeyboardMarkup | None, *, quote: bool
    ) -> None:
        """HTML parts as replies to `message`, the keyboard on the last one."""
        for index, part in enumerate(parts):
            await message.reply_text(
                part,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard if index == len(parts) - 1 else None,
                do_quote=quote and index == 0,
            )

    async def say(self, message: Message, text: str) -> None:
        """A short interface message (plain text made safe for HTML, never near the length limit)."""
        await message.reply_text(
            html.escape(shorten(text, NOTICE_LIMIT), quote=False), parse_mode=ParseMode.HTML, do_quote=True
        )

    async def admit(self, update: Update, usage: Usage) -> bool:
        """The per-user rate limit: the first refusal in a window gets a polite answer, later ones none."""
        admission = self.ctx.allow(Platform.TELEGRAM, sender_key(update), usage)
        if admission is Admission.ALLOW:
            return True
        if admission is Admission.NOTIFY:
            text = m.RATE_LIMITED.get(user_lang(update))
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            elif update.effective_message is not None:
                await self.say(update.effective_message, text)
        return False
