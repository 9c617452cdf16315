"""Render a core `Reply` as Telegram HTML parts plus an inline keyboard.

Every string that comes from a user or from data (titles, answers, source names, URLs) goes through
`html.escape`; the only tags are the ones written here. Parts are split on paragraph boundaries so that
each part stays within Telegram's limit, measured on the text as shown (after entity parsing) in UTF-16
code units, which is how Telegram counts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.telegram_bot.callbacks import CallbackCodec
from bot.core import messages as m
from bot.core.models import Reply, ReplyKind
from bot.core.render_text import footer
from bot.core.text import shorten, split_message

MESSAGE_LIMIT = 4096
"""Telegram's limit for one message, in characters after entity parsing."""

MAX_SUGGESTIONS = 3
BUTTON_TEXT_LIMIT = 60
"""Button labels are shortened to this many characters so a keyboard stays readable."""


def visible_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class _Block:
    html: str
    length: int  # visible length once Telegram has parsed the HTML


def _text_blocks(text: str, limit: int) -> list[_Block]:
    """Plain text as escaped blocks, one per paragraph; an over-long paragraph is split on lines or words."""
    blocks: list[_Block] = []
    for raw in text.split("\n\n"):
        paragraph = raw.strip()
        if not paragraph:
            continue
        cut = limit
        pieces = split_message(paragraph, cut)
        while any(visible_length(p) > limit for p in pieces) and cut > 1:
            cut = max(1, cut * 3 // 4)
            pieces = split_message(paragraph, cut)
        blocks.extend(_Block(html.escape(p, quote=False), visible_length(p)) for p in pieces)
    return blocks


def _styled(tag: str, text: str, limit: int) -> list[_Block]:
    """Text wrapped in a tag (for example <b>), split like any other text when too long."""
    return [_Block(f"<{tag}>{b.html}</{tag}>", b.length) for b in _text_blocks(text, limit)]


def _sources_blocks(reply: Reply, limit: int) -> list[_Block]:
    if not reply.sources:
        return []
    label = m.SOURCES_LABEL.get(reply.lang)
    lines: list[_Block] = [_Block(f"<b>{html.escape(label, quote=False)}</b>", visible_length(label))]
    for src in reply.sources:
        title = shorten(src.title, limit // 2)
        publisher = " — " + shorten(src.label, limit // 2 - 4)
        url = src.url.strip()
        if url.lower().startswith(("https://", "http://")):
            link = f'<a href="{html.escape(url, quote=True)}">{html.escape(title, quote=False)}</a>'
        else:
            link = html.escape(title, quote=False)
        line = f"• {link}{html.escape(publisher, quote=False)}"
        lines.append(_Block(line, visible_length(f"• {title}{publisher}")))
    # Keep the list together in one block when it fits, so it is never spread over two messages needlessly.
    total = sum(b.length for b in lines) + len(lines) - 1
    if total <= limit:
        return [_Block("\n".join(b.html for b in lines), total)]
    return lines


def _pack(blocks: list[_Block], limit: int) -> list[str]:
    """Greedily join blocks with blank lines into parts of at most `limit` visible characters."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for block in blocks:
        extra = block.length + (2 if current else 0)
        if current and size + extra > limit:
            parts.append("\n\n".join(current))
            current, size = [], 0
            extra = block.length
        current.append(block.html)
        size += extra
    if current:
        parts.append("\n\n".join(current))
    return parts


def render_parts(reply: Reply, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The reply as one or more HTML messages, each within `limit` visible characters."""
    blocks: list[_Block] = []
    if reply.title and reply.kind in (ReplyKind.ANSWER, ReplyKind.COUNTDOWN, ReplyKind.TIMELINE):
        blocks += _styled("b", reply.title, limit)
    blocks += _text_blocks(reply.text, limit)
    blocks += _sources_blocks(reply, limit)
    note = footer(reply)
    if note:
        blocks += _styled("i", note, limit)
    return _pack(blocks, limit) or [html.escape(reply.text or "…", quote=False)[:limit]]


def render_keyboard(reply: Reply, codec: CallbackCodec, *, more: bool = False) -> InlineKeyboardMarkup | None:
    """ "More" (when `more`), up to three related-question buttons, then 👍/👎 when the reply answers from an
    entry."""
    rows: list[list[InlineKeyboardButton]] = []
    if more and reply.entry_id:
        rows.append(
            [InlineKeyboardButton(m.MORE.get(reply.lang), callback_data=codec.more(reply.entry_id, reply.lang))]
        )
    rows += [
        [
            InlineKeyboardButton(
                shorten(s.question, BUTTON_TEXT_LIMIT, one_line=True),
                callback_data=codec.question(s.entry_id, reply.lang),
            )
        ]
        for s in reply.suggestions[:MAX_SUGGESTIONS]
    ]
    if reply.entry_id and reply.kind == ReplyKind.ANSWER:
        rows.append(feedback_row(reply.entry_id, reply, codec))
    return InlineKeyboardMarkup(rows) if rows else None


def feedback_row(entry_id: str, reply: Reply, codec: CallbackCodec) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            "👍 " + m.HELPFUL.get(reply.lang), callback_data=codec.feedback(entry_id, True, reply.lang)
        ),
        InlineKeyboardButton(
            "👎 " + m.NOT_HELPFUL.get(reply.lang), callback_data=codec.feedback(entry_id, False, reply.lang)
        ),
    ]


def without_feedback(markup: InlineKeyboardMarkup | None, codec: CallbackCodec) -> InlineKeyboardMarkup | None:
    """The same keyboard minus the 👍/👎 row, once a vote is in."""
    if markup is None:
        return None
    rows = [
        list(row)
        for row in markup.inline_keyboard
        if not any(isinstance(b.callback_data, str) and codec.is_feedback(b.callback_data) for b in row)
    ]
    return InlineKeyboardMarkup(rows) if rows else None
