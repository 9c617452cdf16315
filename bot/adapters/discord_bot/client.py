"""The Discord adapter: builds a small discord.py client and runs it on the shared asyncio loop.

Minimal intents (guilds, guild and DM messages; never the privileged message-content intent: Discord
delivers content for messages that mention the bot and for DMs anyway), no member cache, no message
cache, `AllowedMentions.none()` on the client. `start()` logs in and runs `connect()` in a task; it
never calls `client.run()`, which would own the loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from pathlib import Path
from typing import Any

import discord
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.adapters.discord_bot.commands import BanbotTree, build_tree, sync_if_changed
from bot.adapters.discord_bot.handlers import DiscordHandlers
from bot.adapters.discord_bot.sender import DiscordSender
from bot.adapters.discord_bot.views import DYNAMIC_ITEMS
from bot.context import BotContext
from bot.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

HASH_FILE_NAME = "discord_commands.sha256"


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


class BanbotClient(_AdapterHooks, discord.Client):
    pass


class ShardedBanbotClient(_AdapterHooks, discord.AutoShardedClient):
    pass


class DiscordAdapter:
    """Owns the discord.py client, its command tree and the countdown `sender`."""

    def __init__(self, settings: Settings, ctx: BotContext) -> None:
        self.settings = settings
        self.ctx = ctx
        self.handlers = DiscordHandlers(ctx, defer_after=settings.discord_defer_after_seconds)
        options = client_options(settings)
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
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self._ready.is_set() and self.client.is_ready() and not self.client.is_closed()

    async def start(self) -> None:
        """Log in (REST), then run the gateway connection in a background task."""
        if self.settings.discord_token is None:
            raise RuntimeError("BANBOT_DISCORD_TOKEN is not set")
        await self.client.login(self.settings.discord_token.get_secret_value())
        self._task = asyncio.create_task(self._connect(), name="discord-gateway")
        log.info("discord adapter started: sharded=%s", isinstance(self.client, discord.AutoShardedClient))

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("discord gateway stopped: %r", exc)

    async def wait_until_ready(self) -> None:
        """Wait for READY (wrap in asyncio.timeout to bound it)."""
        await self._ready.wait()

    async def stop(self) -> None:
        """Close the gateway and the HTTP session; idempotent."""
        if not self.client.is_closed():
            await self.client.close()
        if self._task is not None:
            if not self._task.done():
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._ready.clear()
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
