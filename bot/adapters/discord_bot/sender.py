"""The Discord `Sender`: posts countdowns and announcements and classifies every failure into a SendResult.

A post shows its lead (heading, count, short status with its check date, at most three sources) with a
"More" button when there is more; the button names the post by a short key (bot.context.post_key).

A deterministic nonce (derived from Post.key) with enforce_nonce makes a repeated send return the
first message instead of posting twice. Short 429s are waited out by discord.py (it reads retry_after,
given a `Via` header); 429s longer than `max_ratelimit_timeout` come back as RATE_LIMITED.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import aiohttp
import discord

from bot.adapters._display import post_lead, post_offers_more
from bot.adapters.discord_bot.render import render_reply
from bot.adapters.discord_bot.views import post_view
from bot.context import post_key
from bot.delivery.ports import Post, SendResult, SendStatus
from bot.types import Platform

log = logging.getLogger(__name__)

NONCE_LENGTH = 25
"""Discord accepts nonces of at most 25 characters."""
GONE_CODES = frozenset({10003, 50001, 50013, 50007})
"""Unknown Channel, Missing Access, Missing Permissions, Cannot send messages to this user."""
DEFAULT_RETRY_AFTER = 60.0


def nonce_for(key: str) -> str:
    """A deterministic nonce for a post key: the same post always carries the same nonce."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:NONCE_LENGTH]


def classify(exc: BaseException) -> SendResult:
    """Map a send failure to a SendResult (never raises)."""
    if isinstance(exc, discord.RateLimited):
        return SendResult(SendStatus.RATE_LIMITED, retry_after=exc.retry_after, detail="429")
    if isinstance(exc, discord.HTTPException):
        status, code = exc.status, exc.code
        detail = f"{status} code={code}"
        if status == 429:  # no Via header (Cloudflare) or an unparsed body: trust Retry-After
            header = exc.response.headers.get("Retry-After") if exc.response is not None else None
            try:
                retry_after = float(header) if header else DEFAULT_RETRY_AFTER
            except ValueError:
                retry_after = DEFAULT_RETRY_AFTER
            return SendResult(SendStatus.RATE_LIMITED, retry_after=retry_after, detail=detail)
        if status == 403 or code in GONE_CODES:
            return SendResult(SendStatus.GONE, detail=detail)
        if status == 404:
            return SendResult(SendStatus.GONE if code in GONE_CODES else SendStatus.TRANSIENT, detail=detail)
        if 400 <= status < 500:  # a malformed request: retrying cannot fix it, the channel is fine
            return SendResult(SendStatus.FAILED, detail=detail)
        return SendResult(SendStatus.TRANSIENT, detail=detail)
    if isinstance(exc, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return SendResult(SendStatus.TRANSIENT, detail=f"network: {exc!r}")
    return SendResult(SendStatus.TRANSIENT, detail=f"unexpected: {exc!r}")


class DiscordSender:
    """Implements ports.Sender over a logged-in discord.py client (REST only: no gateway needed)."""

    platform = Platform.DISCORD

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send(self, post: Post) -> SendResult:
        if self._client.user is None or self._client.is_closed():
            return SendResult(SendStatus.TRANSIENT, detail="discord client not logged in")
        target = post.chat.thread_id or post.chat.chat_id
        try:
            channel = self._client.get_partial_messageable(int(target))
        except ValueError:
            return SendResult(SendStatus.GONE, detail=f"bad channel id {target!r}")
        reply = post.reply
        more = post.more_ref is not None and post_offers_more(reply)
        messages = render_reply(post_lead(reply) if more else reply)
        try:
            for index, embeds in enumerate(messages):
                key = post.key if index == 0 else f"{post.key}#{index}"
                last = index == len(messages) - 1
                nonce, mentions = nonce_for(key), discord.AllowedMentions.none()
                if more and last and post.more_ref:
                    view = post_view(post_key(post.more_ref), reply.lang)
                    await channel.send(embeds=embeds, nonce=nonce, allowed_mentions=mentions, view=view)
                else:
                    await channel.send(embeds=embeds, nonce=nonce, allowed_mentions=mentions)
        except Exception as exc:  # the Sender contract: classify, never raise
            result = classify(exc)
            log.warning("discord send failed: channel=%s status=%s detail=%s", target, result.status, result.detail)
            return result
        log.info("discord post sent: channel=%s key=%s", target, post.key)
        return SendResult.sent()
