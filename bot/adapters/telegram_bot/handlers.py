"""Telegram update handlers: translate updates into core calls and send the rendered replies.

Private chats: any text is a question. Groups (privacy mode on): commands, replies to the bot and
@mentions; other chatter is never answered. Inline mode, suggestion and feedback buttons, subscription
commands (admins only in groups and channels), and the bot's own membership changes.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import (
    Chat,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.adapters.telegram_bot.callbacks import CallbackCodec, FeedbackTap, QuestionTap
from bot.adapters.telegram_bot.render import render_keyboard, render_parts, without_feedback
from bot.context import BotContext
from bot.core.messages import msg
from bot.core.models import Lang, Reply
from bot.core.ratelimit import UserRateLimiter
from bot.delivery.ports import SubscriptionView
from bot.errors import SubscriptionError
from bot.types import UTC, ChatRef, Platform

log = logging.getLogger(__name__)

Ctx = ContextTypes.DEFAULT_TYPE
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
INLINE_RESULTS = 4
"""The answer plus up to three suggestions."""
INLINE_CACHE_SECONDS = 60
INLINE_LIMIT_FACTOR = 4
"""Inline queries arrive as the user types, so their per-user allowance is this many times larger."""

UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
"""New messages and channel posts; edits are never answered a second time."""


def user_lang(update: Update) -> Lang:
    """The language for interface text: Chinese when the user's Telegram app is set to Chinese."""
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "zh" if code.lower().startswith("zh") else "en"


def chat_ref(chat: Chat, message: Message | None) -> ChatRef:
    thread = str(message.message_thread_id) if message and message.is_topic_message else None
    return ChatRef(Platform.TELEGRAM, str(chat.id), thread_id=thread, is_group=chat.type != ChatType.PRIVATE)


class TelegramHandlers:
    """Holds what the handlers share: the core context, button codec and rate limiters."""

    def __init__(self, ctx: BotContext, codec: CallbackCodec, limiter: UserRateLimiter | None = None) -> None:
        self.ctx = ctx
        self.codec = codec
        settings = ctx.settings
        window = settings.user_rate_window_seconds
        self._limiter = limiter or UserRateLimiter(settings.user_rate_limit, window)
        self._warned = UserRateLimiter(1, window)
        self._inline_limiter = UserRateLimiter(settings.user_rate_limit * INLINE_LIMIT_FACTOR, window)

    def register(self, app: AnyApplication) -> None:
        commands = {
            "start": self.on_help,
            "help": self.on_help,
            "ask": self.on_ask,
            "countdown": self.on_countdown,
            "timeline": self.on_timeline,
            "sources": self.on_sources,
            "subscribe": self.on_subscribe,
            "unsubscribe": self.on_unsubscribe,
            "subscriptions": self.on_subscriptions,
        }
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=UPDATES))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
        app.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, self.on_private_text))
        app.add_handler(MessageHandler(text & filters.ChatType.GROUPS, self.on_group_text))
        app.add_handler(InlineQueryHandler(self.on_inline_query))
        app.add_handler(CallbackQueryHandler(self.on_callback))
        app.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.on_error)

    # --- sending -----------------------------------------------------------------------------

    async def send_reply(self, message: Message, reply: Reply, *, quote: bool) -> None:
        """Send a reply in the message's chat (and topic): HTML parts, the keyboard on the last one."""
        parts = render_parts(reply)
        keyboard = render_keyboard(reply, self.codec)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await message.reply_text(
                part,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard if last else None,
                do_quote=quote and index == 0,
            )

    async def _say(self, message: Message, text: str) -> None:
        """A short interface message (plain text made safe for HTML)."""
        await message.reply_text(html.escape(text, quote=False), parse_mode=ParseMode.HTML, do_quote=True)

    async def _allowed(self, update: Update) -> bool:
        """The per-user rate limit; the first refusal in a window gets a polite answer, later ones none."""
        user = update.effective_user
        chat = update.effective_chat
        key = f"u{user.id}" if user else f"c{chat.id if chat else 0}"
        if self._limiter.allow(key):
            return True
        log.info("telegram rate limited: key=%s", key)
        message = update.effective_message
        if self._warned.allow(key):
            if update.callback_query is not None:
                await update.callback_query.answer(msg("rate_limited", user_lang(update)), show_alert=True)
            elif message is not None:
                await self._say(message, msg("rate_limited", user_lang(update)))
        elif update.callback_query is not None:
            await update.callback_query.answer()
        return False

    def _now(self) -> dt.datetime:
        return self.ctx.clock()

    async def _question(self, update: Update, message: Message, question: str, *, quote: bool) -> None:
        if not await self._allowed(update):
            return
        reply = self.ctx.ask(question, platform=Platform.TELEGRAM)
        log.info("telegram question: chat_type=%s kind=%s entry=%s", message.chat.type, reply.kind, reply.entry_id)
        await self.send_reply(message, reply, quote=quote)

    # --- questions ---------------------------------------------------------------------------

    async def on_private_text(self, update: Update, context: Ctx) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        await self._question(update, message, message.text, quote=False)

    async def on_group_text(self, update: Update, context: Ctx) -> None:
        """Answer a group message only when it mentions the bot or replies to one of its messages."""
        message = update.effective_message
        if message is None or not message.text:
            return
        bot = context.bot
        mentioned = False
        question = message.text
        for entity, text in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
            if (entity.type == MessageEntity.MENTION and text[1:].lower() == (bot.username or "").lower()) or (
                entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id
            ):
                mentioned = True
                question = question.replace(text, " ")
        replied = message.reply_to_message
        # In a forum topic every message "replies" to the topic's creation message: that is not a reply.
        to_bot = (
            replied is not None
            and replied.forum_topic_created is None
            and replied.from_user is not None
            and replied.from_user.id == bot.id
        )
        if not (mentioned or to_bot):
            return
        await self._question(update, message, question, quote=True)

    async def on_ask(self, update: Update, context: Ctx) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        _, _, question = message.text.partition(" ")
        if not question.strip():
            await self._say(message, msg("ask_usage", user_lang(update)))
            return
        await self._question(update, message, question, quote=message.chat.type != ChatType.PRIVATE)

    async def on_help(self, update: Update, context: Ctx) -> None:
        await self._fixed(update, self.ctx.knowledge.answerer.help)

    async def on_timeline(self, update: Update, context: Ctx) -> None:
        await self._fixed(update, lambda lang: self.ctx.knowledge.answerer.timeline(self._now(), lang))

    async def on_sources(self, update: Update, context: Ctx) -> None:
        await self._fixed(update, self.ctx.knowledge.answerer.sources)

    async def on_countdown(self, update: Update, context: Ctx) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        tz: dt.tzinfo = UTC
        views = await self.ctx.subscriptions.list(chat_ref(chat, message))
        if views:
            try:
                tz = ZoneInfo(views[0].timezone)
            except (ZoneInfoNotFoundError, ValueError):
                tz = UTC
        chosen = tz
        await self._fixed(update, lambda lang: self.ctx.knowledge.answerer.countdown(self._now(), lang, chosen))

    async def _fixed(self, update: Update, make: Callable[[Lang], Reply]) -> None:
        message = update.effective_message
        if message is None or not await self._allowed(update):
            return
        reply = make(user_lang(update))
        await self.send_reply(message, reply, quote=message.chat.type != ChatType.PRIVATE)

    # --- subscriptions -----------------------------------------------------------------------

    async def _may_manage(self, update: Update, context: Ctx) -> bool:
        """Private chats and channels: yes. Groups: only the chat's administrators (asked of Telegram)."""
        chat, message, user = update.effective_chat, update.effective_message, update.effective_user
        if chat is None or message is None:
            return False
        if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
            return True  # only a channel's admins can post in it
        if message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # an anonymous administrator
        if user is None:
            return False
        member = await context.bot.get_chat_member(chat.id, user.id)
        return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)

    async def _managing(self, update: Update, context: Ctx) -> tuple[Message, Chat, Lang] | None:
        """The message, chat and language of a subscription command, or None after telling a non-admin why."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not await self._allowed(update):
            return None
        lang = user_lang(update)
        if not await self._may_manage(update, context):
            await self._say(message, msg("admins_only", lang))
            return None
        return message, chat, lang

    async def on_subscribe(self, update: Update, context: Ctx) -> None:
        managing = await self._managing(update, context)
        if managing is None:
            return
        message, chat, lang = managing
        user = update.effective_user
        args = list(context.args or [])
        time_text = args.pop(0) if args and any(c.isdigit() for c in args[0]) else None
        tz_text = " ".join(args) or None
        who = f"telegram:{user.id}" if user else f"telegram:chat:{chat.id}"
        try:
            view = await self.ctx.subscriptions.subscribe(
                chat_ref(chat, message), created_by=who, lang=lang, time_text=time_text, tz_text=tz_text
            )
        except SubscriptionError as exc:
            await self._say(message, str(exc))
            return
        log.info("telegram subscribed: chat=%s subscription=%s", chat.id, view.id)
        await self._say(
            message,
            msg(
                "telegram_subscribed",
                lang,
                deadline=self._deadline_title(view.deadline_id, lang),
                time=f"{view.local_time:%H:%M}",
                tz=view.timezone,
                next=", ".join(f"{t:%Y-%m-%d %H:%M}" for t in view.next_posts[:3]),
            ),
        )

    async def on_unsubscribe(self, update: Update, context: Ctx) -> None:
        managing = await self._managing(update, context)
        if managing is None:
            return
        message, chat, lang = managing
        args = context.args or []
        sub_id = int(args[0].lstrip("#")) if args and args[0].lstrip("#").isdigit() else None
        try:
            count = await self.ctx.subscriptions.unsubscribe(chat_ref(chat, message), lang=lang, subscription_id=sub_id)
        except SubscriptionError as exc:
            await self._say(message, str(exc))
            return
        await self._say(
            message, msg("unsubscribed", lang, count=count) if count else msg("nothing_to_unsubscribe", lang)
        )

    async def on_subscriptions(self, update: Update, context: Ctx) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not await self._allowed(update):
            return
        lang = user_lang(update)
        views = [v for v in await self.ctx.subscriptions.list(chat_ref(chat, message)) if v.active]
        if not views:
            await self._say(message, msg("no_subscriptions", lang))
            return
        lines = [msg("telegram_subscriptions_title", lang)] + [self._line(v, lang) for v in views]
        await self._say(message, "\n".join(lines))

    def _line(self, view: SubscriptionView, lang: Lang) -> str:
        return msg(
            "telegram_subscription_line",
            lang,
            id=view.id,
            deadline=self._deadline_title(view.deadline_id, lang),
            time=f"{view.local_time:%H:%M}",
            tz=view.timezone,
            paused=msg("telegram_paused", lang) if view.paused else "",
            next=f"{view.next_posts[0]:%Y-%m-%d %H:%M}" if view.next_posts else "-",
        )

    def _deadline_title(self, deadline_id: str, lang: Lang) -> str:
        deadline = self.ctx.knowledge.kb.deadlines.get(deadline_id)
        if deadline is None:
            return deadline_id
        return deadline.title.zh if lang == "zh" else deadline.title.en

    # --- membership --------------------------------------------------------------------------

    async def on_my_chat_member(self, update: Update, context: Ctx) -> None:
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            chat = ChatRef(Platform.TELEGRAM, str(change.chat.id), is_group=change.chat.type != ChatType.PRIVATE)
            count = await self.ctx.subscriptions.chat_gone(chat, reason=f"bot {status}")
            log.info("telegram bot removed: chat=%s status=%s subscriptions_stopped=%d", change.chat.id, status, count)

    async def on_migrate(self, update: Update, context: Ctx) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return  # the matching migrate_from message in the new supergroup needs nothing
        old = ChatRef(Platform.TELEGRAM, str(message.chat.id))
        count = await self.ctx.subscriptions.chat_migrated(old, str(message.migrate_to_chat_id))
        log.info("telegram chat migrated: old=%s new=%s moved=%d", message.chat.id, message.migrate_to_chat_id, count)

    # --- inline mode -------------------------------------------------------------------------

    async def on_inline_query(self, update: Update, context: Ctx) -> None:
        query = update.inline_query
        if query is None:
            return
        if not self._inline_limiter.allow(f"u{query.from_user.id}"):
            await query.answer([], cache_time=5, is_personal=True)
            return
        answerer = self.ctx.knowledge.answerer
        text = query.query.strip()
        now = self._now()
        replies: list[Reply] = []
        if text:
            reply = self.ctx.ask(text, platform=Platform.TELEGRAM)
            if reply.answered or not reply.suggestions:
                replies.append(reply)
            suggestions = list(reply.suggestions)
            lang = reply.lang
        else:
            lang = user_lang(update)
            suggestions = answerer.autocomplete("", lang, limit=INLINE_RESULTS - 1)
        seen = {r.entry_id for r in replies if r.entry_id}
        for suggestion in suggestions:
            if len(replies) >= INLINE_RESULTS:
                break
            if suggestion.entry_id in seen:
                continue
            try:
                replies.append(answerer.entry_reply(suggestion.entry_id, now, lang))
            except KeyError:
                continue
            seen.add(suggestion.entry_id)
        results = [self._article(str(i), reply) for i, reply in enumerate(replies)]
        await query.answer(results, cache_time=INLINE_CACHE_SECONDS)

    def _article(self, result_id: str, reply: Reply) -> InlineQueryResultArticle:
        body = " ".join(reply.text.split())
        return InlineQueryResultArticle(
            id=result_id,
            title=(reply.title or body)[:100],
            description=body[:200],
            input_message_content=InputTextMessageContent(
                render_parts(reply)[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            ),
            reply_markup=render_keyboard(reply, self.codec),
        )

    # --- buttons -----------------------------------------------------------------------------

    async def on_callback(self, update: Update, context: Ctx) -> None:
        query = update.callback_query
        if query is None:
            return
        tap = self.codec.decode(query.data or "")
        if isinstance(tap, FeedbackTap):
            voter = str(query.from_user.id)
            await self.ctx.feedback.record_feedback(Platform.TELEGRAM, tap.entry_id, tap.helpful, voter=voter)
            log.info("telegram feedback: entry=%s helpful=%s", tap.entry_id, tap.helpful)
            await query.answer(msg("feedback_thanks", tap.lang))
            if isinstance(query.message, Message):
                try:
                    await query.edit_message_reply_markup(without_feedback(query.message.reply_markup, self.codec))
                except BadRequest as exc:
                    log.info("telegram feedback buttons not removed: %s", exc)
            return
        if not isinstance(tap, QuestionTap):
            await query.answer()
            return
        if not await self._allowed(update):
            return
        try:
            reply = self.ctx.knowledge.answerer.entry_reply(tap.entry_id, self._now(), tap.lang)
        except KeyError:
            await query.answer(msg("telegram_topic_gone", tap.lang), show_alert=True)
            return
        await query.answer()
        if isinstance(query.message, Message):
            await self.send_reply(query.message, reply, quote=False)
        elif query.inline_message_id is not None:
            # A message sent through inline mode: the bot may not be in that chat, so edit the message.
            await query.edit_message_text(
                render_parts(reply)[0],
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=render_keyboard(reply, self.codec),
            )
        elif query.message is not None:
            await context.bot.send_message(
                query.message.chat.id,
                render_parts(reply)[0],
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=render_keyboard(reply, self.codec),
            )

    # --- errors ------------------------------------------------------------------------------

    async def on_error(self, update: object, context: Ctx) -> None:
        """Log the failure and, when there is someone to tell, answer briefly."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram handler failed: update=%s error=%s", update_id, type(error).__name__, exc_info=error)
        if not isinstance(update, Update):
            return
        lang = user_lang(update)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(msg("error", lang), show_alert=True)
            elif update.inline_query is not None:
                return
            elif update.effective_message is not None:
                await self._say(update.effective_message, msg("error", lang))
        except TelegramError as exc:
            log.warning("telegram error reply failed: update=%s error=%s", update_id, type(exc).__name__)
