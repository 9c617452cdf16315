"""Inline-keyboard taps: a related question, "More" (the full answer, or a subscription post in full), 👍/👎.

Every tap spends the user's allowance like a message does, and callback data is never trusted: an entry id
the knowledge does not hold gets a friendly notice, whatever the button claimed.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.adapters._display import chat_view, full_view, offers_more, post_full
from bot.adapters.telegram_bot._helpers import chat_ref
from bot.adapters.telegram_bot.base import NO_PREVIEW, HandlerBase
from bot.adapters.telegram_bot.callbacks import FeedbackTap, MoreTap, PostMoreTap, QuestionTap
from bot.adapters.telegram_bot.render import render_keyboard, render_parts, without_feedback
from bot.context import Usage, Vote
from bot.core import messages as m
from bot.core.models import Reply
from bot.types import Platform

log = logging.getLogger(__name__)

Ctx = ContextTypes.DEFAULT_TYPE


class Buttons(HandlerBase):
    async def on_callback(self, update: Update, context: Ctx) -> None:
        query = update.callback_query
        if query is None:
            return
        tap = self.codec.decode(query.data or "")
        if tap is None:
            await query.answer()
            return
        usage = Usage.VOTE if isinstance(tap, FeedbackTap) else Usage.QUESTION
        if not await self.admit(update, usage):
            return
        if isinstance(tap, FeedbackTap):
            await self._vote(query, tap)
            return
        if isinstance(tap, PostMoreTap):
            await self._post_in_full(update, query, tap)
            return
        reply = await self.ctx.entry(tap.entry_id, platform=Platform.TELEGRAM, lang=tap.lang)
        if reply is None:
            await query.answer(m.TOPIC_GONE.get(tap.lang), show_alert=True)
            return
        await query.answer()
        if isinstance(tap, MoreTap):
            full = full_view(reply)
            await self._show_in_full(query, full, render_keyboard(full, self.codec))
        elif isinstance(tap, QuestionTap):
            await self._send_answer(query, reply, context)

    async def _vote(self, query: CallbackQuery, tap: FeedbackTap) -> None:
        vote = await self.ctx.vote(Platform.TELEGRAM, query.from_user.id, tap.entry_id, tap.helpful)
        notices: dict[Vote, m.Message] = {
            Vote.RECORDED: m.FEEDBACK_THANKS,
            Vote.UNKNOWN_ENTRY: m.TOPIC_GONE,
        }
        await query.answer(notices[vote].get(tap.lang), show_alert=vote is Vote.UNKNOWN_ENTRY)
        if vote is Vote.RECORDED and isinstance(query.message, Message):
            try:
                await query.edit_message_reply_markup(without_feedback(query.message.reply_markup, self.codec))
            except BadRequest as exc:
                log.info("telegram feedback buttons not removed: %s", exc)

    async def _post_in_full(self, update: Update, query: CallbackQuery, tap: PostMoreTap) -> None:
        """Replace a subscription post's lead with the whole post as of now, with every source."""
        chat = update.effective_chat
        where = chat_ref(chat, query.message if isinstance(query.message, Message) else None) if chat else None
        reply = await self.ctx.post_more(tap.key, platform=Platform.TELEGRAM, lang=tap.lang, chat=where)
        if reply is None:
            await query.answer(m.POST_GONE.get(tap.lang), show_alert=True)
            return
        await query.answer()
        await self._show_in_full(query, post_full(reply), None)

    async def _show_in_full(self, query: CallbackQuery, full: Reply, keyboard: InlineKeyboardMarkup | None) -> None:
        """Replace the short message with `full` (and its keyboard); what does not fit follows."""
        parts = render_parts(full)
        first = keyboard if len(parts) == 1 else None
        try:
            await query.edit_message_text(
                parts[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=first
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return  # already showing it in full
            log.info("telegram answer not expanded in place: %s", exc)  # too old to edit: send it instead
        else:
            parts = parts[1:]
        if parts and isinstance(query.message, Message):  # an inline message's chat may be closed to the bot
            await self.send_parts(query.message, parts, keyboard, quote=False)

    async def _send_answer(self, query: CallbackQuery, reply: Reply, context: Ctx) -> None:
        if isinstance(query.message, Message):
            await self.send_reply(query.message, reply, quote=False)
            return
        shown = chat_view(reply)
        text = render_parts(shown)[0]
        keyboard = render_keyboard(shown, self.codec, more=offers_more(reply))
        if query.inline_message_id is not None:
            # A message sent through inline mode: the bot may not be in that chat, so edit the message.
            await query.edit_message_text(
                text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=keyboard
            )
        elif query.message is not None:  # a message too old for the bot to see: answer in its chat
            await context.bot.send_message(
                query.message.chat.id,
                text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard,
            )
