"""The Telegram `Sender` for subscription posts: sends, and classifies every failure instead of raising.

A post shows its lead (heading, count, short status with its check date, at most three sources) with a
"More" button when there is more; the button's callback data names the post by a short, stable key.

Order matters when classifying: PTB's `BadRequest` and `TimedOut` subclass `NetworkError`, so the
specific classes are checked first and a bad request is never reported as transient (never retried).
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.adapters._display import post_lead, post_offers_more
from bot.adapters.telegram_bot.callbacks import post_more_data
from bot.adapters.telegram_bot.render import render_parts
from bot.context import post_key
from bot.core import messages as m
from bot.delivery.ports import Post, SendResult, SendStatus
from bot.types import Platform

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

GONE_BAD_REQUESTS = (
    "chat not found",
    "message thread not found",
    "topic_closed",
    "topic_deleted",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "chat_restricted",
    "group chat was deactivated",
    "peer_id_invalid",
    "user is deactivated",
)
"""Bad requests that mean this chat can no longer receive posts: the subscription should stop."""


def classify(error: TelegramError) -> SendResult:
    """Map a PTB error to a delivery outcome."""
    detail = str(error)
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        return SendResult(SendStatus.RATE_LIMITED, retry_after=seconds, detail=detail)
    if isinstance(error, ChatMigrated):
        return SendResult(SendStatus.MIGRATED, new_chat_id=str(error.new_chat_id), detail=detail)
    if isinstance(error, Forbidden):
        return SendResult(SendStatus.GONE, detail=detail)
    if isinstance(error, BadRequest):
        # Never retried: either the chat is unusable (stop the subscription) or the request itself is
        # wrong, which a retry cannot fix. Both are permanent for this post.
        lowered = detail.lower()
        if any(marker in lowered for marker in GONE_BAD_REQUESTS):
            return SendResult(SendStatus.GONE, detail=detail)
        return SendResult(SendStatus.FAILED, detail=f"bad request: {detail}")
    if isinstance(error, NetworkError):  # includes TimedOut and 5xx responses
        return SendResult(SendStatus.TRANSIENT, detail=detail)
    return SendResult(SendStatus.TRANSIENT, detail=detail)


class TelegramSender:
    """Sends `Post`s through a PTB `Bot`. Implements `bot.delivery.ports.Sender`."""

    platform = Platform.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, post: Post) -> SendResult:
        chat_id = post.chat.chat_id
        thread_id = int(post.chat.thread_id) if post.chat.thread_id else None
        reply, keyboard = post.reply, None
        if post.more_ref is not None and post_offers_more(reply):
            data = post_more_data(post_key(post.more_ref), reply.lang)
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(m.MORE.get(reply.lang), callback_data=data)]])
            reply = post_lead(reply)
        parts = render_parts(reply)
        for index, part in enumerate(parts):
            try:
                await self._bot.send_message(
                    chat_id=int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
                    text=part,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread_id,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=keyboard if index == len(parts) - 1 else None,
                )
            except TelegramError as exc:
                result = classify(exc)
                log.warning(
                    "telegram post failed: key=%s chat=%s part=%d/%d status=%s detail=%s",
                    post.key,
                    chat_id,
                    index + 1,
                    len(parts),
                    result.status,
                    result.detail,
                )
                return result
        log.info("telegram post sent: key=%s chat=%s parts=%d", post.key, chat_id, len(parts))
        return SendResult.sent()
