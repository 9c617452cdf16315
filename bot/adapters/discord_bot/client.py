"""The Discord adapter: builds a small discord.py client and runs it on the shared asyncio loop.

Minimal intents (guilds, guild and DM messages; never the privileged message-content intent: Discord
delivers content for messages that mention the bot and for DMs anyway), no member cache, no message
cache, `AllowedMentions.none()` on the client. `start()` logs in and runs `connect()` in a task; it
never calls `client.run()`, which would own the loop.

discord.py resumes after ordinary network drops by itself. What it does not survive, the adapter does: an
event it cannot parse ends its gateway loop (the connection then looks alive but receives nothing), and a
sharded client closes itself on one. The adapter then reports "not connected" and reconnects (a fresh
login and IDENTIFY) after a backoff, one WARNING line a try; only a session Discord refuses for good (bad
token, bad sharding or intents) stops it, with one ERROR line.

The gateway alone does not make it ready: every HTTP exchange with Discord is watched (discord.py's
`http_trace`), and while the last one got a 5xx or no answer the adapter is not connected either
(bot.adapters.lifecycle.ApiHealth; it asks again every few seconds meanwhile).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import discord.utils
import yarl
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.adapters.discord_bot.commands import BanbotTree, build_tree, sync_if_changed
from bot.adapters.discord_bot.handlers import DiscordHandlers
from bot.adapters.discord_bot.sender import DiscordSender
from bot.adapters.discord_bot.views import DYNAMIC_ITEMS
from bot.adapters.lifecycle import ApiHealth, Backoff, PlatformUnavailableError, one_line
from bot.context import BotContext
from bot.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

HASH_FILE_NAME = "discord_commands.sha256"
UNREACHABLE = (OSError, TimeoutError, aiohttp.ClientError, discord.GatewayNotFound, discord.DiscordServerError)
"""What a Discord that cannot be reached raises: worth another try later."""
FATAL_CLOSE_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})
"""Gateway close codes no retry fixes: authentication failed, invalid shard, sharding required, invalid API
version, invalid intents, disallowed intents."""
LIBRARY_RETRIES = ("Attempting a reconnect", "Failed to connect for shard_id")
"""discord.py's own reconnect tries, which it logs with a traceback at ERROR."""


def use_endpoints(settings: Settings) -> None:
    """Point discord.py at BANBOT_DISCORD_API_BASE_URL and BANBOT_DISCORD_GATEWAY_URL.

    discord.py has no per-client option for either: it reads `Route.BASE` whenever it builds a request
    (interaction callbacks and follow-ups included) and `DiscordWebSocket.DEFAULT_GATEWAY` whenever it
    connects, and sets `Route.BASE` itself the same way (`_set_api_version`). A banbot process runs one
    Discord client, so setting them when that client is built sets them for it.
    """
    discord.http.Route.BASE = settings.discord_api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class OneLineRetries(logging.Filter):
    """discord.py logs each of its own reconnect tries at ERROR with a traceback: one WARNING line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.msg, str) and record.msg.startswith(LIBRARY_RETRIES):
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} after {one_line(error) if error else 'an error'}"
            record.args = None
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_library_retries() -> None:
    for name in ("discord.client", "discord.shard"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLineRetries) for f in logger.filters):
            logger.addFilter(OneLineRetries())


def intents() -> discord.Intents:
    """guilds, guild_messages, dm_messages: nothing privileged."""
    value = discord.Intents.none()
    value.guilds = True
    value.guild_messages = True
    value.dm_messages = True
    return value


def commands_hash_path(settings: Settings) -> Path:
    """Where the synced command set's hash lives: the setting, else next to the SQLite file, else data/."""
    if settings.discord_commands_hash_file is not None:
        return settings.discord_commands_hash_file
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        url = None
    if url is not None and url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / HASH_FILE_NAME
    return PROJECT_ROOT / "data" / HASH_FILE_NAME


def application_id_from_token(token: str) -> int | None:
    """A bot token's first part is the base64 of the bot's user id (the application id for bots)."""
    head = token.split(".", 1)[0]
    try:
        return int(base64.b64decode(head + "=" * (-len(head) % 4), validate=False).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None


def http_trace(health: ApiHealth) -> aiohttp.TraceConfig:
    """Reports every HTTP exchange of discord.py (REST and the gateway's upgrade) to `health`."""
    trace = aiohttp.TraceConfig()

    async def ended(_session: object, _ctx: object, params: aiohttp.TraceRequestEndParams) -> None:
        health.answered(params.response.status)

    async def failed(_session: object, _ctx: object, params: aiohttp.TraceRequestExceptionParams) -> None:
        if not isinstance(params.exception, asyncio.CancelledError):  # given up by us, not failed by Discord
            health.unanswered(one_line(params.exception))

    trace.on_request_end.append(ended)
    trace.on_request_exception.append(failed)
    return trace


def client_options(settings: Settings) -> dict[str, Any]:
    return {
        "intents": intents(),
        "allowed_mentions": discord.AllowedMentions.none(),
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "max_messages": None,
        "chunk_guilds_at_startup": False,
        "max_ratelimit_timeout": settings.discord_max_ratelimit_timeout,
        "guild_ready_timeout": settings.discord_guild_ready_timeout,
    }


class _AdapterHooks:
    """Routes the client's hooks and events to the adapter (mixed into both client classes)."""

    banbot_adapter: DiscordAdapter
    banbot_handlers: DiscordHandlers

    async def setup_hook(self) -> None:
        await self.banbot_adapter.setup()

    async def on_message(self, message: discord.Message) -> None:
        await self.banbot_adapter.on_message(message)

    async def on_ready(self) -> None:
        self.banbot_adapter.on_ready()

    async def on_resumed(self) -> None:
        self.banbot_adapter.on_resumed()

    async def on_disconnect(self) -> None:
        self.banbot_adapter.on_disconnect()


class BanbotClient(_AdapterHooks, discord.Client):
    pass


class ShardedBanbotClient(_AdapterHooks, discord.AutoShardedClient):
    pass


class DiscordAdapter:
    """Owns the discord.py client, its command tree and the countdown `sender`."""

    def __init__(self, settings: Settings, ctx: BotContext, *, backoff: Backoff | None = None) -> None:
        self.settings = settings
        self.ctx = ctx
        use_endpoints(settings)
        quiet_library_retries()
        self.handlers = DiscordHandlers(ctx, defer_after=settings.discord_defer_after_seconds)
        self._health = ApiHealth("discord API", self._recheck)
        options = {**client_options(settings), "http_trace": http_trace(self._health)}
        client: BanbotClient | ShardedBanbotClient
        if settings.discord_shard_count is not None or settings.discord_shard_ids is not None:
            if settings.discord_shard_ids is not None and settings.discord_shard_count is None:
                raise ValueError("BANBOT_DISCORD_SHARD_IDS needs BANBOT_DISCORD_SHARD_COUNT")
            if settings.discord_shard_ids is not None:
                options["shard_ids"] = settings.discord_shard_ids
            client = ShardedBanbotClient(shard_count=settings.discord_shard_count, **options)
        else:
            client = BanbotClient(**options)
        client.banbot_adapter = self
        client.banbot_handlers = self.handlers
        self.client: discord.Client = client
        self.tree: BanbotTree = build_tree(client, settings)
        self.sender = DiscordSender(client)
        self._backoff = backoff or Backoff()
        self._task: asyncio.Task[None] | None = None
        self._session: contextlib.AsyncExitStack | None = None
        self._ready = asyncio.Event()

    @property
    def connected(self) -> bool:
        """READY (or RESUMED) received, the gateway task still running (a finished task is not connected), and
        Discord's last HTTP answer below 500."""
        task = self._task
        return (
            task is not None
            and not task.done()
            and self._ready.is_set()
            and self.client.is_ready()
            and not self.client.is_closed()
            and self._health.ok
        )

    async def _recheck(self) -> None:
        """Ask Discord whether it answers again (only while logged in: a lost session reconnects by itself)."""
        if self._session is not None:
            await self.client.application_info()

    async def start(self) -> None:
        """Log in (REST), then keep the gateway connected in a background task.

        Raises PlatformUnavailableError when Discord cannot be reached (the caller tries again later; nothing is
        left open), and discord.LoginFailure when Discord refuses the token.
        """
        await self._login()
        self._task = asyncio.create_task(self._keep_connected(), name="discord-gateway")
        log.info("discord adapter started: sharded=%s", isinstance(self.client, discord.AutoShardedClient))

    async def _login(self) -> None:
        """Open a client session (`async with client`, which binds discord.py to this loop) and log in."""
        if self.settings.discord_token is None:
            raise RuntimeError("BANBOT_DISCORD_TOKEN is not set")
        self._session = contextlib.AsyncExitStack()
        await self._session.enter_async_context(self.client)
        try:
            await self.client.login(self.settings.discord_token.get_secret_value())
        except UNREACHABLE as exc:
            await self._close()
            raise PlatformUnavailableError(
                f"cannot reach Discord at {self.settings.discord_api_base_url}: {one_line(exc)}"
            ) from exc
        except BaseException:
            await self._close()
            raise

    async def _close(self) -> None:
        """Close the session (gateway, HTTP) and leave the client able to log in again.

        `Client.clear()` re-opens a closed discord.py client, but its HTTP client keeps the connector that
        closing closed, and the next login would fail with "Session is closed": unset, a new one is made.
        """
        session, self._session = self._session, None
        if session is None:
            return
        await session.aclose()
        self.client.http.connector = discord.utils.MISSING
        self.client.clear()

    async def _keep_connected(self) -> None:
        try:
            while True:
                reason = await self._run_gateway()
                await self._reconnect(reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Discord refused the token or the session: another try cannot help
            self._ready.clear()
            log.error("discord gateway stopped for good: %s", one_line(exc))

    async def _run_gateway(self) -> str:
        """Run discord.py's gateway loop until it ends; say why it ended. Raises what no retry fixes."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            await self.client.connect(reconnect=True)
            reason = "the connection closed"
        except discord.ConnectionClosed as exc:
            if exc.code in FATAL_CLOSE_CODES:
                raise
            reason = one_line(exc)
        except discord.PrivilegedIntentsRequired:
            raise
        except Exception as exc:  # e.g. an event discord.py cannot parse: its loop is over, the socket not
            reason = one_line(exc)
        self._ready.clear()
        if loop.time() - began > self._backoff.maximum:  # it had been up a while: start again from short delays
            self._backoff.reset()
        return reason

    async def _reconnect(self, reason: str) -> None:
        """Close what is left, wait, then log in afresh (the gateway task connects next); one WARNING line a try."""
        tries = 0
        while True:
            await self._close()  # a socket whose reader is gone would keep heartbeating while we wait
            tries += 1
            delay = self._backoff.next()
            log.warning("discord gateway lost (%s): reconnecting in %.1f s (try %d)", reason, delay, tries)
            await asyncio.sleep(delay)
            try:
                await self._login()
            except PlatformUnavailableError as exc:
                reason = str(exc)
            else:
                return

    async def wait_until_ready(self) -> None:
        """Wait for READY (wrap in asyncio.timeout to bound it)."""
        await self._ready.wait()

    async def stop(self) -> None:
        """Stop reconnecting, close the gateway and the HTTP session; idempotent."""
        if self._task is not None:
            if not self._task.done():
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close()
        self._ready.clear()
        await self._health.close()  # last: closing the session may still report a failed request
        log.info("discord adapter stopped")

    # --- hooks -----------------------------------------------------------------------------------

    async def setup(self) -> None:
        """Called by discord.py after login: register persistent buttons; sync commands if they changed."""
        self.client.add_dynamic_items(*DYNAMIC_ITEMS)
        if self.settings.discord_sync_on_start:
            try:
                await sync_if_changed(self.tree, self.client.application_id, commands_hash_path(self.settings))
            except discord.HTTPException as exc:
                log.error("discord command sync failed: %r", exc)

    def on_ready(self) -> None:
        log.info("discord ready: guilds=%d", len(self.client.guilds))
        self._ready.set()

    def on_resumed(self) -> None:
        log.info("discord session resumed")
        self._ready.set()

    def on_disconnect(self) -> None:
        """discord.py lost the gateway and is reconnecting by itself: not connected until READY or RESUMED."""
        self._ready.clear()

    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if me is None:
            return
        try:
            await self.handlers.on_message(message, me)
        except discord.HTTPException as exc:
            log.warning("discord message reply failed: %r", exc)
        except Exception as exc:
            log.error("discord message handler failed: %r", exc)
            log.debug("discord message handler traceback", exc_info=exc)
