"""A sender for the local console chat: writes the post as plain text through a callable."""

from __future__ import annotations

from collections.abc import Callable

from bot.delivery.ports import Post, SendResult
from bot.types import Platform


def format_post(post: Post) -> str:
    """Title, text and sources as plain text."""
    reply = post.reply
    lines: list[str] = []
    if reply.title:
        lines.append(f"⏳ {reply.title}")
    lines.append(reply.text)
    if reply.sources:
        lines.append(("来源：" if reply.lang == "zh" else "Sources: ") + "; ".join(s.url for s in reply.sources))
    return "\n\n".join(lines)


class ConsoleSender:
    """Prints countdown posts (e.g. `ConsoleSender(print)`, or a function that writes to the console chat)."""

    platform = Platform.CONSOLE

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write

    async def send(self, post: Post) -> SendResult:
        self._write(format_post(post))
        return SendResult.sent()
