"""Pure functions over Telegram updates: who is asking, in which language, where, and what they asked."""

from __future__ import annotations

from telegram import Chat, Message, MessageEntity, Update, User
from telegram.constants import ChatType

from bot.adapters._helpers import interface_lang
from bot.core.models import Lang
from bot.types import ChatRef, Platform


def user_lang(update: Update) -> Lang:
    """The interface language: the user's Telegram app language, else the language of what they typed."""
    user = update.effective_user
    message = update.effective_message
    typed = (message.text or "") if message is not None else ""
    return interface_lang(user.language_code if user else None, typed)


def chat_ref(chat: Chat, message: Message | None) -> ChatRef:
    """Where a message was written, with its forum topic."""
    thread = str(message.message_thread_id) if message and message.is_topic_message else None
    return ChatRef(Platform.TELEGRAM, str(chat.id), thread_id=thread, is_group=chat.type != ChatType.PRIVATE)


def sender_key(update: Update) -> str:
    """Whom the rate limit counts: the user, else (a channel post) the chat."""
    user, chat = update.effective_user, update.effective_chat
    return str(user.id) if user else f"chat{chat.id if chat else 0}"


def question_for_bot(message: Message, bot: User) -> str | None:
    """In a group: the question when the message @mentions the bot or replies to it (mentions removed),
    else None (other chatter is never answered)."""
    question = message.text or ""
    mentioned = False
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
    return question if mentioned or to_bot else None
