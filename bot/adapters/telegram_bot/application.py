"""Builds the PTB Application from settings and the BotContext, and runs it on the shared asyncio loop.

Never `run_polling()` (it owns the loop): `start()` initializes, starts and begins long polling (or the
webhook server); `stop()` undoes each step. The Bot API URL holds the token, so the `httpx` logger is kept
at WARNING and nothing here logs a URL; PTB's own DEBUG lines (the token in the URL, the webhook secret in
setWebhook's parameters) are redacted.

`connected` tells the truth: besides PTB running, the last exchange with the Bot API must have got an
answer below 500 (bot.adapters.lifecycle.ApiHealth: a 502 from Telegram's front end is an outage too; getMe
asks again every few seconds meanwhile). A Bot API unreachable at start is a PlatformUnavailableError (the
caller retries); while polling, PTB retries by itself, and each failure is one WARNING line.

A webhook needs a secret, or anyone who finds the URL can post forged updates: without
BANBOT_TELEGRAM_WEBHOOK_SECRET a random one is made at each start and given to Telegram with setWebhook.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.adapters.lifecycle import ApiHealth, PlatformUnavailableError, one_line
from bot.adapters.telegram_bot.callbacks import CallbackCodec
from bot.adapters.telegram_bot.handlers import TelegramHandlers
from bot.adapters.telegram_bot.sender import TelegramSender
from bot.context import BotContext
from bot.core.models import LANGS, Lang
from bot.logging_setup import RedactSecrets, redact_everywhere
from bot.settings import Settings

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
        ("subscribe", "Countdown posts and news: /subscribe [HH:MM] [time zone] [daily|milestones|updates]"),
        ("unsubscribe", "Stop a subscription in this chat"),
        ("subscriptions", "Show this chat's subscriptions"),
        ("help", "What I can do"),
        ("start", "Start"),
    ],
    "zh": [
        ("ask", "提问：TikTok禁令或小红书"),
        ("countdown", "距离/自TikTok法律截止日的天数"),
        ("timeline", "关键日期时间线"),
        ("sources", "答案的来源"),
        ("subscribe", "订阅倒计时和新动态：/subscribe [时:分] [时区] [daily|milestones|updates]"),
        ("unsubscribe", "取消本聊天的订阅"),
        ("subscriptions", "查看本聊天的订阅"),
        ("help", "我能做什么"),
        ("start", "开始"),
    ],
}


REDACTED_LOGGERS = ("telegram.ext.ExtBot", "telegram.Bot", "telegram.ext.Updater", "httpx", "httpcore")
"""Loggers that see Bot API URLs and parameters: PTB's bot logs its API URL (token included) when built and
every call's parameters (setWebhook's secret_token included) at DEBUG."""
CONNECTION_POOL = 256  # PTB's default for everything but getUpdates


def quiet_http_loggers() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token: keep it at WARNING."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def redact_secrets(*values: str) -> None:
    """Redact these from the loggers that print Bot API URLs and parameters, and from every log handler."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        existing = next((f for f in logger.filters if isinstance(f, RedactSecrets)), None)
        if existing is None:
            logger.addFilter(RedactSecrets(values, min_length=1))
        else:
            existing.add(*values)
    redact_everywhere(*values)


class TrackedRequest(HTTPXRequest):
    """PTB's HTTP transport, reporting to an ApiHealth how each request was answered (status), or that it
    was not."""

    def __init__(self, health: ApiHealth, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._health = health

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            status, payload = await super().do_request(*args, **kwargs)
        except NetworkError as exc:  # PTB's transport failures (TimedOut too): no answer came
            self._health.unanswered(one_line(exc))
            raise
        self._health.answered(status)
        return status, payload


def unreachable(exc: TelegramError) -> bool:
    """A failure another try may fix: no answer, or "retry after". A BadRequest is a NetworkError too in
    PTB, but an answer; an invalid token is final."""
    return isinstance(exc, RetryAfter) or (isinstance(exc, NetworkError) and not isinstance(exc, BadRequest))


def webhook_secret(settings: Settings) -> str | None:
    """The configured webhook secret; a random one when a webhook URL is set without one; else None."""
    if not settings.telegram_webhook_url:
        return None
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    return secrets.token_urlsafe(32)


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
        self._webhook_secret = webhook_secret(settings)
        quiet_http_loggers()
        redact_secrets(token, *filter(None, [self._webhook_secret]))
        self._ctx = ctx
        self._poll_timeout = poll_timeout
        self._health = ApiHealth("telegram Bot API", self._recheck)
        self._requests = (
            TrackedRequest(self._health, connection_pool_size=CONNECTION_POOL),
            TrackedRequest(self._health, connection_pool_size=1, read_timeout=poll_timeout + 10.0),
        )
        base_url = settings.telegram_api_base_url
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .base_file_url(file_url_for(base_url))
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            .concurrent_updates(concurrent_updates)
            .job_queue(None)
            .build()
        )
        self.handlers = TelegramHandlers(ctx, CallbackCodec())
        self.handlers.register(self.app)
        self.sender = TelegramSender(self.app.bot)

    @property
    def connected(self) -> bool:
        """True while the application runs, receives updates, and the Bot API answers (below 500)."""
        updater = self.app.updater
        return self.app.running and updater is not None and updater.running and self._health.ok

    async def _recheck(self) -> None:
        """Ask the Bot API whether it answers again (only while running: a failed start is retried whole)."""
        if self.app.running:
            await self.app.bot.get_me()

    async def start(self) -> None:
        """Initialize (getMe), register the command menu, start handlers, then poll or serve the webhook.

        Raises PlatformUnavailableError when the Bot API cannot be reached (after undoing what this try
        started, so that the caller can try again), and anything else (InvalidToken, a webhook URL
        Telegram refuses) as it is.
        """
        quiet_http_loggers()
        try:
            await self._start()
        except TelegramError as exc:
            await self._release()
            if not unreachable(exc):
                raise
            base = self._ctx.settings.telegram_api_base_url
            raise PlatformUnavailableError(f"cannot reach the Telegram Bot API at {base}: {one_line(exc)}") from exc
        except BaseException:
            await self._release()
            raise

    async def _start(self) -> None:
        settings = self._ctx.settings
        await self.app.initialize()
        await self._set_commands()
        await self.app.start()
        updater = self.app.updater
        assert updater is not None
        if settings.telegram_webhook_url:
            if settings.telegram_webhook_secret is None:
                log.warning("telegram webhook without BANBOT_TELEGRAM_WEBHOOK_SECRET: using a random secret")
            await updater.start_webhook(
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
                url_path=urlparse(settings.telegram_webhook_url).path.lstrip("/"),
                webhook_url=settings.telegram_webhook_url,
                secret_token=self._webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("telegram started: mode=webhook bot=@%s", self.app.bot.username)
        else:
            await updater.start_polling(
                poll_interval=0.0,
                timeout=int(self._poll_timeout) or 1,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=self._polling_failed,
            )
            log.info("telegram started: mode=polling bot=@%s", self.app.bot.username)

    @staticmethod
    def _polling_failed(exc: TelegramError) -> None:
        """PTB retries failed polls by itself (backing off up to 30 s); one line each, without a traceback."""
        log.warning("telegram polling failed (%s): retrying", one_line(exc))

    async def stop(self) -> None:
        """Stop receiving, finish the handlers, close the HTTP client. Safe to call more than once."""
        await self._release()
        await self._health.close()  # last: closing the clients may still report a failed request
        log.info("telegram stopped")

    async def _release(self) -> None:
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.app.bot.shutdown()  # the HTTP clients a failed getMe left open (the app was not initialized)

    async def _set_commands(self) -> None:
        for lang in LANGS:
            commands = [BotCommand(name, text) for name, text in COMMANDS[lang]]
            try:
                await self.app.bot.set_my_commands(commands, language_code=None if lang == "en" else lang)
            except TelegramError as exc:
                log.warning("telegram setMyCommands failed: lang=%s error=%s", lang, exc)
