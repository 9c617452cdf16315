"""Buttons on answers: "More" (the full answer), related questions and 👍/👎 feedback.

They are DynamicItems: everything they need is in their custom_id (`bb:m:<lang>:<entry>`,
`bb:q:<lang>:<entry>`, `bb:fb:<u|d>:<lang>:<entry>`, and on subscription posts `bb:p:<lang>:<post key>`),
so buttons on old messages keep working after a restart without any stored view. The client registers them
at setup (`client.add_dynamic_items(*DYNAMIC_ITEMS)`).
A custom_id comes from the user's client and is never trusted: the context refuses entry ids it does not know.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, cast

import discord

from bot.core import messages as m
from bot.core.models import Lang, Reply, ReplyKind
from bot.core.text import shorten

BUTTON_LABEL_LIMIT = 80
MAX_SUGGESTIONS = 3
_ENTRY = r"(?P<entry>[A-Za-z0-9_.\-]{1,80})"
_LANG = r"(?P<lang>en|zh)"


class ButtonHandler(Protocol):
    """What the buttons call; the adapter's handlers implement it."""

    async def on_suggestion(self, interaction: discord.Interaction, entry_id: str, lang: Lang) -> None: ...

    async def on_more(self, interaction: discord.Interaction, entry_id: str, lang: Lang) -> None: ...

    async def on_feedback(self, interaction: discord.Interaction, entry_id: str, helpful: bool, lang: Lang) -> None: ...

    async def on_post_more(self, interaction: discord.Interaction, key: str, lang: Lang) -> None: ...


def _handler(interaction: discord.Interaction) -> ButtonHandler:
    handler = getattr(interaction.client, "banbot_handlers", None)
    if handler is None:
        raise RuntimeError("client has no banbot_handlers")
    return cast(ButtonHandler, handler)


def _lang(value: str) -> Lang:
    return "zh" if value == "zh" else "en"


class SuggestionButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=rf"bb:q:{_LANG}:{_ENTRY}"):
    """Opens a related entry."""

    def __init__(self, entry_id: str, lang: Lang, label: str = "?") -> None:
        super().__init__(
            discord.ui.Button(
                label=shorten(label, BUTTON_LABEL_LIMIT, one_line=True) or "?",
                style=discord.ButtonStyle.secondary,
                custom_id=f"bb:q:{lang}:{entry_id}",
                row=0,
            )
        )
        self.entry_id = entry_id
        self.lang: Lang = lang

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        label = getattr(item, "label", None) or "?"
        return cls(match["entry"], _lang(match["lang"]), label)

    async def callback(self, interaction: discord.Interaction) -> None:
        await _handler(interaction).on_suggestion(interaction, self.entry_id, self.lang)


class MoreButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=rf"bb:m:{_LANG}:{_ENTRY}"):
    """Shows the answer in full, with all its sources."""

    def __init__(self, entry_id: str, lang: Lang) -> None:
        super().__init__(
            discord.ui.Button(
                label=m.MORE.get(lang),
                style=discord.ButtonStyle.primary,
                custom_id=f"bb:m:{lang}:{entry_id}",
                row=0,
            )
        )
        self.entry_id = entry_id
        self.lang: Lang = lang

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["entry"], _lang(match["lang"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _handler(interaction).on_more(interaction, self.entry_id, self.lang)


class PostMoreButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=rf"bb:p:{_LANG}:(?P<key>[0-9a-f]{{1,16}})"
):
    """Shows a subscription post in full; its key (bot.context.post_key) names the post."""

    def __init__(self, key: str, lang: Lang) -> None:
        super().__init__(
            discord.ui.Button(label=m.MORE.get(lang), style=discord.ButtonStyle.primary, custom_id=f"bb:p:{lang}:{key}")
        )
        self.key = key
        self.lang: Lang = lang

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["key"], _lang(match["lang"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _handler(interaction).on_post_more(interaction, self.key, self.lang)


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=rf"bb:fb:(?P<vote>[ud]):{_LANG}:{_ENTRY}",
):
    """👍 or 👎 on an answer; stored as (entry, vote) only."""

    def __init__(self, entry_id: str, lang: Lang, helpful: bool) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if helpful else "👎",
                label=(m.HELPFUL if helpful else m.NOT_HELPFUL).get(lang),
                style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.danger,
                custom_id=f"bb:fb:{'u' if helpful else 'd'}:{lang}:{entry_id}",
                row=1,
            )
        )
        self.entry_id = entry_id
        self.lang: Lang = lang
        self.helpful = helpful

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["entry"], _lang(match["lang"]), match["vote"] == "u")

    async def callback(self, interaction: discord.Interaction) -> None:
        await _handler(interaction).on_feedback(interaction, self.entry_id, self.helpful, self.lang)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    SuggestionButton,
    MoreButton,
    PostMoreButton,
    FeedbackButton,
)


def post_view(key: str, lang: Lang) -> discord.ui.View:
    """The "More" button under a subscription post."""
    view = discord.ui.View(timeout=None)
    view.add_item(PostMoreButton(key, lang))
    return view


def answer_view(reply: Reply, *, more: bool = False, feedback: bool = True) -> discord.ui.View | None:
    """ "More" (when `more`), up to three related questions and, on answers from an entry, feedback; None if
    there are no buttons."""
    view = discord.ui.View(timeout=None)
    if more and reply.entry_id and re.fullmatch(_ENTRY, reply.entry_id):
        view.add_item(MoreButton(reply.entry_id, reply.lang))
    seen: set[str] = set()
    for suggestion in reply.suggestions:
        if len(seen) >= MAX_SUGGESTIONS:
            break
        if suggestion.entry_id in seen or not re.fullmatch(_ENTRY, suggestion.entry_id):
            continue
        seen.add(suggestion.entry_id)
        view.add_item(SuggestionButton(suggestion.entry_id, reply.lang, suggestion.question))
    if feedback and reply.kind is ReplyKind.ANSWER and reply.entry_id and re.fullmatch(_ENTRY, reply.entry_id):
        view.add_item(FeedbackButton(reply.entry_id, reply.lang, helpful=True))
        view.add_item(FeedbackButton(reply.entry_id, reply.lang, helpful=False))
    return view if view.children else None
