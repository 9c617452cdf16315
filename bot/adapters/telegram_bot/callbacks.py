"""Callback data for inline buttons, kept within Telegram's 64-byte limit.

Formats: ``q:<lang>:<entry>`` opens a related question; ``m:<lang>:<entry>`` shows an answer in full
("More"); ``f:<lang>:<+|->:<entry>`` records a vote; ``p:<lang>:<post key>`` shows a subscription post in
full (the key is bot.context.post_key of the post's reference: stable, so old posts' buttons keep working).
Callback data comes from the user's client and can be forged: decoding only checks the shape, and the context
refuses entry ids (and post keys) it does not know.
An entry id too long to fit is replaced by a short alias remembered in a bounded map (``~<n>``);
after a restart such an old button simply answers that the topic could not be found.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from bot.core.models import LANGS, Lang

CALLBACK_LIMIT = 64
"""Telegram's limit for callback data, in bytes."""


@dataclass(frozen=True, slots=True)
class QuestionTap:
    entry_id: str
    lang: Lang


@dataclass(frozen=True, slots=True)
class MoreTap:
    entry_id: str
    lang: Lang


@dataclass(frozen=True, slots=True)
class PostMoreTap:
    key: str
    lang: Lang


_POST_KEY = re.compile(r"[0-9a-f]{1,16}")


def post_more_data(key: str, lang: Lang) -> str:
    """The callback data of a subscription post's "More" button."""
    return f"p:{lang}:{key}"


@dataclass(frozen=True, slots=True)
class FeedbackTap:
    entry_id: str
    helpful: bool
    lang: Lang


class CallbackCodec:
    """Encodes and decodes button payloads."""

    def __init__(self, max_aliases: int = 5000) -> None:
        self._aliases: OrderedDict[str, str] = OrderedDict()
        self._by_entry: dict[str, str] = {}
        self._next = 0
        self._max = max_aliases

    def question(self, entry_id: str, lang: Lang) -> str:
        return self._fit(f"q:{lang}:", entry_id)

    def more(self, entry_id: str, lang: Lang) -> str:
        return self._fit(f"m:{lang}:", entry_id)

    def feedback(self, entry_id: str, helpful: bool, lang: Lang) -> str:
        return self._fit(f"f:{lang}:{'+' if helpful else '-'}:", entry_id)

    @staticmethod
    def is_feedback(data: str) -> bool:
        return data.startswith("f:")

    def decode(self, data: str) -> QuestionTap | MoreTap | FeedbackTap | PostMoreTap | None:
        """The tap a payload stands for; None when it is malformed or names a forgotten alias."""
        kind, _, rest = data.partition(":")
        lang_text, _, rest = rest.partition(":")
        if lang_text not in LANGS:
            return None
        lang: Lang = "zh" if lang_text == "zh" else "en"
        if kind in ("q", "m"):
            entry = self._resolve(rest)
            if not entry:
                return None
            return QuestionTap(entry, lang) if kind == "q" else MoreTap(entry, lang)
        if kind == "p":
            return PostMoreTap(rest, lang) if _POST_KEY.fullmatch(rest) else None
        if kind == "f":
            vote, _, ref = rest.partition(":")
            entry = self._resolve(ref)
            if vote not in ("+", "-") or not entry:
                return None
            return FeedbackTap(entry, vote == "+", lang)
        return None

    def _fit(self, prefix: str, entry_id: str) -> str:
        data = prefix + entry_id
        if len(data.encode()) <= CALLBACK_LIMIT and not entry_id.startswith("~"):
            return data
        return prefix + self._alias(entry_id)

    def _alias(self, entry_id: str) -> str:
        alias = self._by_entry.get(entry_id)
        if alias is None:
            alias = f"~{self._next:x}"
            self._next += 1
            self._aliases[alias] = entry_id
            self._by_entry[entry_id] = alias
            while len(self._aliases) > self._max:
                _, old = self._aliases.popitem(last=False)
                self._by_entry.pop(old, None)
        return alias

    def _resolve(self, ref: str) -> str | None:
        if ref.startswith("~"):
            return self._aliases.get(ref)
        return ref or None
