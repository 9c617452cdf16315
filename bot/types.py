"""The shared vocabulary of every layer: languages, platforms, where a post goes, and time.

This module imports nothing from banbot, so anything may import it (the core included).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

Lang = Literal["en", "zh"]
LANGS: Final[tuple[Lang, ...]] = ("en", "zh")

UTC: Final = dt.UTC

CJK_CHARS: Final = "\u3400-\u9fff\uf900-\ufaff"
"""Chinese characters: the unified ideographs, extension A and the compatibility block."""
CJK: Final = re.compile(f"[{CJK_CHARS}]")
CJK_RUN: Final = re.compile(f"[{CJK_CHARS}]+")


class AnswerKind(StrEnum):
    """What kind of answer a question asks for, and what kinds an entry gives (bot.core.qtype reads them)."""

    DATE = "date"
    REASON = "reason"
    PERSON = "person"
    """A person or an organisation: who signed, which company bought."""
    NUMBER = "number"
    STATUS = "status"
    """A yes/no question about how things stand or went."""
    DEFINITION = "definition"
    EVENT = "event"
    """What happened (on a day, after something)."""
    PROCESS = "process"
    """How something works or is done."""


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
