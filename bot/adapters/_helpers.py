"""Platform-pure helpers every adapter shares: the interface language, reading commands, and what to say
about a command that does not exist. Plain functions, unit-tested without any platform."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core import messages as m
from bot.core.language import detect_language
from bot.core.messages import echo
from bot.core.models import Lang

COMMANDS: tuple[str, ...] = (
    "ask",
    "countdown",
    "timeline",
    "sources",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "help",
)
"""The commands of every surface (Telegram adds /start, the console /quit)."""
COMMAND_MATCH_CUTOFF = 70.0
"""How closely a mistyped command must resemble a real one to be suggested."""


def interface_lang(app_language: str | None, typed: str = "") -> Lang:
    """The language of interface text: the user's app language when the platform tells it (Telegram's
    language_code, Discord's locale), else the language of what they typed."""
    if app_language:
        return "zh" if app_language.lower().startswith("zh") else "en"
    return detect_language(typed)


@dataclass(frozen=True, slots=True)
class Command:
    """A line such as "/countdown@banbot Asia/Tokyo": name "countdown", addressee "banbot", args "Asia/Tokyo"."""

    name: str
    addressee: str | None
    args: str


def split_command(text: str) -> Command | None:
    """The command a line starts with, or None when it is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, args = stripped[1:].partition(" ")
    name, _, addressee = head.partition("@")
    return Command(name.lower(), addressee or None, args.strip())


def suggest_command(name: str, known: Sequence[str] = COMMANDS) -> str | None:
    """The known command `name` was probably meant to be ("coutndown" -> "countdown"), if any is close."""
    if not name:
        return None
    found = process.extractOne(name.lower()[:40], known, scorer=fuzz.WRatio, score_cutoff=COMMAND_MATCH_CUTOFF)
    return None if found is None else str(found[0])


def unknown_command_text(name: str, lang: Lang, known: Sequence[str] = COMMANDS) -> str:
    """'I don't know the command /coutndown. Did you mean /countdown?' (or the list of commands)."""
    text = m.UNKNOWN_COMMAND.get(lang, command="/" + echo(name, 30))
    suggestion = suggest_command(name, known)
    if suggestion is not None:
        return text + m.DID_YOU_MEAN_COMMAND.get(lang, suggestion="/" + suggestion)
    return text + m.COMMAND_LIST.get(lang, commands=m.LIST_SEPARATOR.get(lang).join("/" + c for c in known))
