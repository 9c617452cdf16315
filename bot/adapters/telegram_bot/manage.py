"""Countdown subscriptions on Telegram: /subscribe, /unsubscribe, /subscriptions (admins only in groups),
and following a chat that the bot leaves or that becomes a supergroup."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from bot.adapters.telegram_bot._helpers import chat_ref, user_lang
from bot.adapters.telegram_bot.base import HandlerBase
from bot.context import Usage
from bot.core import messages as m
from bot.errors import SubscriptionError
from bot.types import ChatRef, Platform

log = logging.getLogger(__name__)

Ctx = ContextTypes.DEFAULT_TYPE


def command_args(message: Message) -> str:
    """Everything after the command word."""
    return (message.text or "").partition(" ")[2]


class SubscriptionCommands(HandlerBase):
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

    async def _managing(self, update: Update, context: Ctx) -> tuple[Message, ChatRef] | None:
        """The message and chat of a subscription command, or None after telling a non-admin why."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not await self.admit(update, Usage.COMMAND):
            return None
        if not await self._may_manage(update, context):
            await self.say(message, m.ADMINS_ONLY.get(user_lang(update)))
            return None
        return message, chat_ref(chat, message)

    async def on_subscribe(self, update: Update, context: Ctx) -> None:
        managing = await self._managing(update, context)
        if managing is None:
            return
        message, chat = managing
        user = update.effective_user
        who = f"telegram:{user.id}" if user else f"telegram:chat:{chat.chat_id}"
        try:
            outcome = await self.ctx.subscribe(chat, command_args(message), created_by=who, lang=user_lang(update))
        except SubscriptionError as exc:
            await self.say(message, str(exc))
            return
        await self.say(message, outcome.text)

    async def on_unsubscribe(self, update: Update, context: Ctx) -> None:
        managing = await self._managing(update, context)
        if managing is None:
            return
        message, chat = managing
        try:
            outcome = await self.ctx.unsubscribe(chat, command_args(message), lang=user_lang(update))
        except SubscriptionError as exc:
            await self.say(message, str(exc))
            return
        await self.say(message, outcome.text)

    async def on_subscriptions(self, update: Update, context: Ctx) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not await self.admit(update, Usage.COMMAND):
            return
        await self.say(message, await self.ctx.subscriptions_text(chat_ref(chat, message), lang=user_lang(update)))

    # --- membership --------------------------------------------------------------------------

    async def on_my_chat_member(self, update: Update, context: Ctx) -> None:
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            chat = ChatRef(Platform.TELEGRAM, str(change.chat.id), is_group=change.chat.type != ChatType.PRIVATE)
            count = await self.ctx.chat_gone(chat, reason=f"bot {status}")
            log.info("telegram bot removed: chat=%s status=%s subscriptions_stopped=%d", change.chat.id, status, count)

    async def on_migrate(self, update: Update, context: Ctx) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return  # the matching migrate_from message in the new supergroup needs nothing
        old = ChatRef(Platform.TELEGRAM, str(message.chat.id))
        count = await self.ctx.chat_migrated(old, str(message.migrate_to_chat_id))
        log.info("telegram chat migrated: old=%s new=%s moved=%d", message.chat.id, message.migrate_to_chat_id, count)
