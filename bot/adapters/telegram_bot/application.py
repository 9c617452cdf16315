"""Builds the PTB Application from settings and the BotContext, and runs it on the shared asyncio loop.

Never `run_polling()` (it owns the loop): `start()` initializes, starts and begins long polling (or the
webhook server); `stop()` undoes each step. The Bot API URL holds the token, so the `httpx` logger is kept
at WARNING and nothing here logs a URL.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.adapters.telegram_bot.callbacks import CallbackCodec
from bot.adapters.telegram_bot.handlers import TelegramHandlers
from bot.adapters.telegram_bot.sender import TelegramSender
from bot.context import BotContext
from bot.core.models import LANGS, Lang
from bot.logging_setup import RedactSecrets

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CHANNEL_POST,
    Update.INLINE_QUERY,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
DEFAULT_POLL_TIMEOUT = 30.0
CONCURRENT_UPDATES = 32

COMMANDS: dict[Lang, list[tuple[str, str]]] = {
    "en": [
        ("ask", "Ask a question about the TikTok ban or RedNote"),
        ("countdown", "Days until or since the TikTok law's deadline"),
        ("timeline", "Key dates, in order"),
        ("sources", "Where the answers come from"),
        ("subscribe", "Daily countdown here: /subscribe [HH:MM] [time zone]"),
        ("unsubscribe", "Stop the daily countdown in this chat"),
        ("subscriptions", "Show this chat's countdown subscriptions"),
        ("help", "What I can do"),
        ("start", "Start"),
    ],
    "zh": [
        ("ask", "提问：TikTok禁令或小红书"),
        ("countdown", "距离/自TikTok法律截止日的天数"),
        ("timeline", "关键日期时间线"),
        ("sources", "答案的来源"),
        ("subscribe", "在此订阅每日倒计时：/subscribe [时:分] [时区]"),
        ("unsubscribe", "取消本聊天的每日倒计时"),
        ("subscriptions", "查看本聊天的倒计时订阅"),
        ("help", "我能做什么"),
        ("start", "开始"),
    ],
}


REDACTED_LOGGERS = ("telegram.ext.ExtBot", "telegram.Bot", "telegram.ext.Updater", "httpx", "httpcore")
"""Loggers that see Bot API URLs: PTB's bot logs its API URL (token included) at DEBUG when built."""


def quiet_http_loggers(token: str | None = None) -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token: keep it at WARNING,
    and redact the token from the few loggers that could still print a URL."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    if token:
        for name in REDACTED_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactSecrets) and f.redact(token) != token for f in logger.filters):
                logger.addFilter(RedactSecrets([token]))


def file_url_for(base_url: str) -> str:
    """The file download base matching an API base: https://host/bot -> https://host/file/bot."""
    trimmed = base_url.rstrip("/")
    if trimmed.endswith("/bot"):
        return trimmed[: -len("/bot")] + "/file/bot"
    return trimmed + "/file/bot"


class TelegramAdapter:
    """The Telegram side of banbot. Build it once; `await start()` on the shared loop; `await stop()`."""

    def __init__(
        self,
        ctx: BotContext,
        *,
        poll_timeout: float = DEFAULT_POLL_TIMEOUT,
        concurrent_updates: int = CONCURRENT_UPDATES,
    ) -> None:
        settings = ctx.settings
        if settings.telegram_token is None:
            raise ValueError("BANBOT_TELEGRAM_TOKEN is not set")
        token = settings.telegram_token.get_secret_value()
        quiet_http_loggers(token)
        self._ctx = ctx
        self._poll_timeout = poll_timeout
        base_url = settings.telegram_api_base_url
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .base_file_url(file_url_for(base_url))
            .get_updates_read_timeout(poll_timeout + 10.0)
            .concurrent_updates(concurrent_updates)
            .job_queue(None)
            .build()
        )
        self.handlers = TelegramHandlers(ctx, CallbackCodec())
        self.handlers.register(self.app)
        self.sender = TelegramSender(self.app.bot)

    @property
    def connected(self) -> bool:
        """True while the application runs and is receiving updates."""
        updater = self.app.updater
        return self.app.running and updater is not None and updater.running

    async def start(self) -> None:
        """Initialize (getMe), register the command menu, start handlers, then poll or serve the webhook."""
        quiet_http_loggers()
        settings = self._ctx.settings
        await self.app.initialize()
        await self._set_commands()
        await self.app.start()
        updater = self.app.updater
        assert updater is not None
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            await updater.start_webhook(
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
                url_path=urlparse(settings.telegram_webhook_url).path.lstrip("/"),
                webhook_url=settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("telegram started: mode=webhook bot=@%s", self.app.bot.username)
        else:
            await updater.start_polling(
                poll_interval=0.0, timeout=int(self._poll_timeout) or 1, allowed_updates=ALLOWED_UPDATES
            )
            log.info("telegram started: mode=polling bot=@%s", self.app.bot.username)

    async def stop(self) -> None:
        """Stop receiving, finish the handlers, close the HTTP client. Safe to call more than once."""
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        log.info("telegram stopped")

    async def _set_commands(self) -> None:
        for lang in LANGS:
            commands = [BotCommand(name, text) for name, text in COMMANDS[lang]]
            try:
                await self.app.bot.set_my_commands(commands, language_code=None if lang == "en" else lang)
            except TelegramError as exc:
                log.warning("telegram setMyCommands failed: lang=%s error=%s", lang, exc)
