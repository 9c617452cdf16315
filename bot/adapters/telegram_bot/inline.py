"""Inline mode: `@bot question` from any chat offers the answer and up to three related answers."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.adapters._display import chat_view, offers_more
from bot.adapters.telegram_bot._helpers import user_lang
from bot.adapters.telegram_bot.base import NO_PREVIEW, HandlerBase
from bot.adapters.telegram_bot.render import render_keyboard, render_parts
from bot.context import Admission, Usage
from bot.core.models import Reply, Suggestion
from bot.core.text import shorten
from bot.types import Platform

Ctx = ContextTypes.DEFAULT_TYPE

INLINE_RESULTS = 4
"""The answer plus up to three suggestions."""
INLINE_CACHE_SECONDS = 60


class InlineMode(HandlerBase):
    async def on_inline_query(self, update: Update, context: Ctx) -> None:
        query = update.inline_query
        if query is None:
            return
        if self.ctx.allow(Platform.TELEGRAM, query.from_user.id, Usage.INLINE) is not Admission.ALLOW:
            await query.answer([], cache_time=5, is_personal=True)
            return
        text = query.query.strip()
        replies: list[Reply] = []
        suggestions: list[Suggestion]
        if text:
            reply = await self.ctx.ask(text, platform=Platform.TELEGRAM)
            if reply.answered or not reply.suggestions:
                replies.append(reply)
            suggestions = list(reply.suggestions)
            lang = reply.lang
        else:
            lang = user_lang(update)
            suggestions = await self.ctx.autocomplete("", lang=lang, limit=INLINE_RESULTS - 1)
        seen = {r.entry_id for r in replies if r.entry_id}
        for suggestion in suggestions:
            if len(replies) >= INLINE_RESULTS:
                break
            if suggestion.entry_id in seen:
                continue
            related = await self.ctx.entry(suggestion.entry_id, platform=Platform.TELEGRAM, lang=lang)
            if related is not None:
                replies.append(related)
                seen.add(suggestion.entry_id)
        results = [self._article(str(i), reply) for i, reply in enumerate(replies)]
        await query.answer(results, cache_time=INLINE_CACHE_SECONDS)

    def _article(self, result_id: str, reply: Reply) -> InlineQueryResultArticle:
        shown = chat_view(reply)
        body = " ".join(shown.text.split())
        return InlineQueryResultArticle(
            id=result_id,
            title=shorten(reply.title or body, 100, one_line=True),
            description=shorten(body, 200),
            input_message_content=InputTextMessageContent(
                render_parts(shown)[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            ),
            reply_markup=render_keyboard(shown, self.codec, more=offers_more(reply)),
        )
