"""Render core Replies as Discord embeds, within Discord's limits.

Limits: title 256, description 4096, field name 256 / value 1024, footer 2048, 25 fields per embed,
6000 characters across all embeds of one message, 10 embeds per message.
"""

from __future__ import annotations

import datetime as dt

import discord

from bot.core import messages as m
from bot.core.models import Lang, Reply, ReplyKind
from bot.core.render_text import footer
from bot.core.text import shorten, split_message

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
MESSAGE_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
MAX_MESSAGES = 4
"""A reply never takes more than this many messages; anything longer is trimmed with an ellipsis."""
MAX_SOURCE_FIELDS = 3
CHOICE_LIMIT = 100
"""Autocomplete choice names and values are at most 100 characters."""


def discord_time(moment: dt.datetime, lang: Lang) -> str:
    """A moment as Discord timestamps, absolute and relative, which each reader sees in their own zone and
    language: "<t:1736928000:F> (<t:1736928000:R>)" (a `bot.delivery.texts.TimeFormat`)."""
    absolute, relative = discord.utils.format_dt(moment, "F"), discord.utils.format_dt(moment, "R")
    return f"{absolute}（{relative}）" if lang == "zh" else f"{absolute} ({relative})"


_COLOURS: dict[ReplyKind, discord.Colour] = {
    ReplyKind.ANSWER: discord.Colour.blurple(),
    ReplyKind.COUNTDOWN: discord.Colour.red(),
    ReplyKind.TIMELINE: discord.Colour.dark_teal(),
    ReplyKind.SOURCES: discord.Colour.dark_grey(),
    ReplyKind.HELP: discord.Colour.green(),
    ReplyKind.SUGGEST: discord.Colour.gold(),
    ReplyKind.UNKNOWN: discord.Colour.light_grey(),
    ReplyKind.DECLINE: discord.Colour.light_grey(),
}


def embed_size(embed: discord.Embed) -> int:
    """The characters Discord counts towards the 6000 total."""
    return len(embed)


def _source_fields(reply: Reply) -> list[tuple[str, str]]:
    """Sources as markdown links, packed into at most a few fields of at most 1024 characters."""
    lines = []
    for src in reply.sources:
        title = shorten(src.title.replace("[", "(").replace("]", ")"), 200)
        url = src.url.replace(")", "%29").replace(" ", "%20")
        link = f"[{title}]({url})" if url.startswith(("https://", "http://")) else title
        lines.append(f"• {link} — {shorten(src.label, 120)}")
    fields: list[tuple[str, str]] = []
    current: list[str] = []
    name = m.SOURCES_LABEL.get(reply.lang)
    for raw in lines:
        line = shorten(raw, FIELD_VALUE_LIMIT)
        if current and len("\n".join([*current, line])) > FIELD_VALUE_LIMIT:
            fields.append((name, "\n".join(current)))
            current = []
        current.append(line)
    if current:
        fields.append((name, "\n".join(current)))
    return fields[:MAX_SOURCE_FIELDS]


def render_reply(reply: Reply) -> list[list[discord.Embed]]:
    """The reply as messages, each a list of embeds within Discord's limits (at most MAX_MESSAGES)."""
    colour = _COLOURS.get(reply.kind, discord.Colour.blurple())
    title = shorten(reply.title, TITLE_LIMIT) if reply.title else None
    # Leave room for the title, source fields and footer in the 6000 total of the first/last message.
    chunks = split_message(reply.text, DESCRIPTION_LIMIT) or [""]
    embeds = [discord.Embed(description=chunk, colour=colour) for chunk in chunks]
    embeds[0].title = title
    last = embeds[-1]
    for name, value in _source_fields(reply):
        last.add_field(name=name, value=value, inline=False)
    note = footer(reply)
    if note:
        last.set_footer(text=shorten(note, FOOTER_LIMIT))
    if embed_size(last) > MESSAGE_TOTAL_LIMIT:
        _move_fields_out(embeds, colour)
    return _pack(embeds, reply.lang)


def _move_fields_out(embeds: list[discord.Embed], colour: discord.Colour) -> None:
    """Move the last embed's fields and footer to an embed of their own (its description is near 4096)."""
    last = embeds[-1]
    extra = discord.Embed(colour=colour)
    for field in last.fields:
        extra.add_field(name=field.name or "", value=field.value or "", inline=False)
    if last.footer.text:
        extra.set_footer(text=last.footer.text)
    last.clear_fields()
    last.remove_footer()
    embeds.append(extra)


def _pack(embeds: list[discord.Embed], lang: Lang) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6000 characters; cap the number of messages."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        n = embed_size(embed)
        if current and (size + n > MESSAGE_TOTAL_LIMIT or len(current) >= EMBEDS_PER_MESSAGE):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += n
    if current:
        messages.append(current)
    if len(messages) > MAX_MESSAGES:
        kept = messages[:MAX_MESSAGES]
        tail = kept[-1][-1]
        tail.description = shorten((tail.description or "") + "\n…", DESCRIPTION_LIMIT)
        # keep sources and footer: they live on the last embed of the original list
        final = embeds[-1]
        room = sum(embed_size(e) for e in kept[-1]) + embed_size(final) <= MESSAGE_TOTAL_LIMIT
        if final is not tail and final.fields and len(kept[-1]) < EMBEDS_PER_MESSAGE and room:
            kept[-1].append(final)
        return kept
    return messages


def plain_embed(text: str, *, title: str | None = None, colour: discord.Colour | None = None) -> discord.Embed:
    """A one-embed message for short notices (errors, confirmations), trimmed to the limits."""
    embed = discord.Embed(description=shorten(text, DESCRIPTION_LIMIT), colour=colour or discord.Colour.blurple())
    if title:
        embed.title = shorten(title, TITLE_LIMIT)
    return embed
