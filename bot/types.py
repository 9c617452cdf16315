"""The shared vocabulary of every layer: languages, platforms, where a post goes, and time.

This module imports nothing from banbot, so anything may import it (the core included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

Lang = Literal["en", "zh"]
LANGS: Final[tuple[Lang, ...]] = ("en", "zh")

UTC: Final = dt.UTC

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware. Injected everywhere so tests never sleep."""

Sleep = Callable[[float], Awaitable[None]]
"""`asyncio.sleep`, or a test's fake that moves a fake clock instead of waiting."""


class Platform(StrEnum):
    DISCORD = "discord"
    TELEGRAM = "telegram"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where a post goes: a Discord channel (thread optional) or a Telegram chat (topic optional)."""

    platform: Platform
    chat_id: str
    thread_id: str | None = None
    is_group: bool = True
    """Telegram: groups are paced at 20 posts a minute, private chats are not."""
