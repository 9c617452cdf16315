"""Pure functions over Discord objects: where an interaction happened, its language, what the bot may post,
and time zone choices for autocomplete."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

import discord

from bot.adapters._helpers import interface_lang
from bot.core.models import Lang
from bot.types import ChatRef, Platform

AUTOCOMPLETE_LIMIT = 25
"""Discord shows at most 25 autocomplete choices."""

POST_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)
THREAD_POST_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("embed_links", "Embed Links"),
)


def lang_of_locale(locale: discord.Locale | str | None) -> Lang:
    """The interface language of a Discord locale: 'zh' for its Chinese locales, else 'en'."""
    value = locale.value if isinstance(locale, discord.Locale) else (locale or "")
    return interface_lang(value or "en")


@lru_cache(maxsize=1)
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(tz for tz in available_timezones() if "/" in tz or tz == "UTC"))


def timezone_choices(current: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
    """IANA zones matching `current`: prefix matches of any path part first, then substring matches."""
    needle = current.strip().replace(" ", "_").lower()
    if not needle:
        return ["UTC", "America/New_York", "America/Los_Angeles", "Asia/Shanghai", "Europe/London"][:limit]
    first: list[str] = []
    rest: list[str] = []
    for tz in _timezones():
        low = tz.lower()
        if low.startswith(needle) or any(part.startswith(needle) for part in low.split("/")):
            first.append(tz)
        elif needle in low:
            rest.append(tz)
        if len(first) >= limit:
            break
    return (first + rest)[:limit]


def missing_post_permissions(perms: discord.Permissions, *, thread: bool) -> list[str]:
    """Human names of the permissions the bot lacks to post countdowns in a channel."""
    needed = THREAD_POST_PERMISSIONS if thread else POST_PERMISSIONS
    return [label for name, label in needed if not getattr(perms, name)]


def chat_of(interaction: discord.Interaction) -> ChatRef:
    """Where the interaction happened, as a delivery ChatRef (threads keep their parent channel)."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return ChatRef(Platform.DISCORD, str(channel.parent_id), thread_id=str(channel.id))
    return ChatRef(Platform.DISCORD, str(interaction.channel_id))
