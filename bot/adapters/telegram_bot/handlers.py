"""Telegram update handlers: translate updates into context calls and send the rendered replies.

Private chats: any text is a question. Groups (privacy mode on): commands, replies to the bot and
@mentions; other chatter is never answered. Inline mode (inline.py), buttons (buttons.py), subscription
commands and membership changes (manage.py) are parts of the same handler object.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
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

from bot.adapters._helpers import COMMANDS, split_command, unknown_command_text
from bot.adapters.telegram_bot._helpers import chat_ref, question_for_bot, user_lang
from bot.adapters.telegram_bot.buttons import Buttons
from bot.adapters.telegram_bot.inline import InlineMode
from bot.adapters.telegram_bot.manage import SubscriptionCommands, command_args
from bot.context import Usage
from bot.core import messages as m
from bot.core.models import Lang, Reply
from bot.errors import SubscriptionError
from bot.types import Platform

log = logging.getLogger(__name__)

Ctx = ContextTypes.DEFAULT_TYPE
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
"""New messages and channel posts; edits are never answered a second time."""
TELEGRAM_COMMANDS = (*COMMANDS, "start")


def _quote(message: Message) -> bool:
    """Quote the question in groups, where several conversations interleave."""
    return message.chat.type != ChatType.PRIVATE


class TelegramHandlers(Buttons, InlineMode, SubscriptionCommands):
    """Every handler of the Telegram adapter, over one BotContext."""

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
        app.add_handler(MessageHandler(filters.COMMAND & UPDATES, self.on_unknown_command))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
        app.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, self.on_private_text))
        app.add_handler(MessageHandler(text & filters.ChatType.GROUPS, self.on_group_text))
        app.add_handler(InlineQueryHandler(self.on_inline_query))
        app.add_handler(CallbackQueryHandler(self.on_callback))
        app.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.on_error)

    # --- questions ---------------------------------------------------------------------------

    async def _question(self, update: Update, message: Message, question: str) -> None:
        if not await self.admit(update, Usage.QUESTION):
            return
        reply = await self.ctx.ask(question, platform=Platform.TELEGRAM)
        log.info("telegram question: chat_type=%s kind=%s entry=%s", message.chat.type, reply.kind, reply.entry_id)
        await self.send_reply(message, reply, quote=_quote(message))

    async def on_private_text(self, update: Update, context: Ctx) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await self._question(update, message, message.text)

    async def on_group_text(self, update: Update, context: Ctx) -> None:
        """Answer a group message only when it mentions the bot or replies to one of its messages."""
        message = update.effective_message
        if message is None or not message.text:
            return
        question = question_for_bot(message, context.bot.bot)
        if question is not None:
            await self._question(update, message, question)

    async def on_ask(self, update: Update, context: Ctx) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        question = command_args(message)
        if not question.strip():
            await self.say(message, m.ASK_USAGE.get(user_lang(update)))
            return
        await self._question(update, message, question)

    # --- fixed replies -----------------------------------------------------------------------

    async def on_help(self, update: Update, context: Ctx) -> None:
        await self._fixed(update, lambda lang, _: self.ctx.help(platform=Platform.TELEGRAM, lang=lang))

    async def on_timeline(self, update: Update, context: Ctx) -> None:
        await self._fixed(update, lambda lang, _: self.ctx.timeline(platform=Platform.TELEGRAM, lang=lang))

    async def on_sources(self, update: Update, context: Ctx) -> None:
        await self._fixed(
            update, lambda lang, topic: self.ctx.sources(topic or None, platform=Platform.TELEGRAM, lang=lang)
        )

    async def on_countdown(self, update: Update, context: Ctx) -> None:
        chat = update.effective_chat
        where = chat_ref(chat, update.effective_message) if chat is not None else None
        await self._fixed(
            update,
            lambda lang, arg: self.ctx.countdown(platform=Platform.TELEGRAM, lang=lang, chat=where, arg=arg),
        )

    async def _fixed(self, update: Update, make: Callable[[Lang, str], Awaitable[Reply]]) -> None:
        """A command answered with a reply of its own (not a question), given the text after the command."""
        message = update.effective_message
        if message is None or not await self.admit(update, Usage.COMMAND):
            return
        try:
            reply = await make(user_lang(update), command_args(message).strip())
        except SubscriptionError as exc:  # an argument the shared parser explains (a bad time zone)
            await self.say(message, str(exc))
            return
        await self.send_reply(message, reply, quote=_quote(message))

    async def on_unknown_command(self, update: Update, context: Ctx) -> None:
        """A command that is not ours: "did you mean …" in private chats and when addressed to this bot."""
        message = update.effective_message
        command = split_command(message.text or "") if message is not None else None
        if message is None or command is None:
            return
        me = (context.bot.username or "").lower()
        if command.addressee is not None and command.addressee.lower() != me:
            return  # meant for another bot
        if command.addressee is None and message.chat.type != ChatType.PRIVATE:
            return  # in a group, a bare unknown command may belong to another bot
        if not await self.admit(update, Usage.COMMAND):
            return
        await self.say(message, unknown_command_text(command.name, user_lang(update), TELEGRAM_COMMANDS))

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
                await update.callback_query.answer(m.ERROR.get(lang), show_alert=True)
            elif update.inline_query is not None:
                return
            elif update.effective_message is not None:
                await self.say(update.effective_message, m.ERROR.get(lang))
        except TelegramError as exc:
            log.warning("telegram error reply failed: update=%s error=%s", update_id, type(exc).__name__)
