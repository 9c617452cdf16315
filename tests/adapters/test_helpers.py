"""The platform-pure helpers every adapter shares, without any platform."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.adapters._display import chat_view, full_view, offers_more
from bot.adapters._helpers import (
    COMMANDS,
    Command,
    interface_lang,
    split_command,
    suggest_command,
    unknown_command_text,
)
from bot.core.models import Reply, ReplyKind, SourceRef, Suggestion
from bot.core.render_text import footer


@pytest.mark.parametrize(
    ("app_language", "typed", "expected"),
    [
        ("zh-hans", "/help", "zh"),
        ("zh-TW", "", "zh"),
        ("en-US", "小红书是什么", "en"),  # the app's language wins for interface text
        ("de", "", "en"),
        (None, "小红书是什么", "zh"),  # no app language: what they typed
        (None, "/countdown", "en"),
        ("", "", "en"),
    ],
)
def test_interface_language(app_language: str | None, typed: str, expected: str) -> None:
    assert interface_lang(app_language, typed) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/countdown", Command("countdown", None, "")),
        ("  /Countdown@BanBot   Asia/Tokyo ", Command("countdown", "BanBot", "Asia/Tokyo")),
        ("/subscribe 09:00 new york", Command("subscribe", None, "09:00 new york")),
        ("what is /countdown", None),
        ("/", None),
        ("", None),
    ],
)
def test_split_command(line: str, expected: Command | None) -> None:
    assert split_command(line) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("coutndown", "countdown"),
        ("count", "countdown"),
        ("subscirbe", "subscribe"),
        ("subscription", "subscriptions"),
        ("hlep", "help"),
        ("zzz", None),
        ("x" * 500, None),
        ("", None),
    ],
)
def test_suggest_command(typed: str, expected: str | None) -> None:
    assert suggest_command(typed) == expected


def test_unknown_command_text_is_short_and_in_the_language() -> None:
    assert unknown_command_text("coutndown", "en") == "I don't know the command /coutndown. Did you mean /countdown?"
    assert unknown_command_text("coutndown", "zh") == "我不认识命令 /coutndown。你是不是想用 /countdown？"
    listing = unknown_command_text("q" * 5000, "en")
    assert len(listing) < 250 and listing.endswith(", ".join("/" + c for c in COMMANDS) + ".")


SOURCES = tuple(SourceRef(f"s{i}", f"Title {i}", f"Pub {i}", f"https://example.org/{i}") for i in range(4))


def _answer(**extra: object) -> Reply:
    values: dict[str, object] = {
        "kind": ReplyKind.ANSWER,
        "text": "The full answer, with every detail.",
        "lang": "en",
        "title": "T",
        "entry_id": "e",
        "short": "The short answer.",
        "sources": SOURCES[:3],
        "more_sources": SOURCES[3:],
        "as_of": dt.date(2026, 1, 22),
        "checked": dt.date(2026, 11, 26),
        "suggestions": (Suggestion("f", "Next?"),),
    }
    values.update(extra)
    return Reply(**values)  # type: ignore[arg-type]


def test_a_chat_shows_the_short_answer_and_its_best_source_first() -> None:
    reply = _answer()
    assert offers_more(reply)
    shown = chat_view(reply)
    assert (shown.text, shown.sources, shown.more_sources) == ("The short answer.", SOURCES[:1], ())
    assert (shown.title, shown.entry_id, shown.suggestions, shown.checked) == (
        "T",
        "e",
        reply.suggestions,
        reply.checked,
    )
    full = full_view(reply)
    assert full.text == "The short answer.\n\nThe full answer, with every detail."
    assert full.sources == SOURCES and full.more_sources == ()


def test_replies_without_more_to_show_are_shown_as_they_are() -> None:
    single = _answer(short=None, sources=SOURCES[:1], more_sources=())
    assert not offers_more(single) and chat_view(single) == single
    decline = Reply(
        kind=ReplyKind.DECLINE, text="I only know about the ban.", lang="en", suggestions=(Suggestion("a", "Q?"),)
    )
    assert not offers_more(decline) and chat_view(decline) == decline
    countdown = Reply(kind=ReplyKind.COUNTDOWN, text="9 days.", lang="en", sources=SOURCES[:3])
    assert chat_view(countdown).sources == SOURCES[:3]


def test_the_footer_says_how_old_the_knowledge_is() -> None:
    assert footer(_answer()) == "As of January 22, 2026 · checked November 26, 2026"
    assert footer(_answer(lang="zh")) == "截至2026年1月22日 · 核实于2026年11月26日"
    assert footer(_answer(as_of=None)) == "checked November 26, 2026"
    assert footer(_answer(as_of=None, checked=None)) is None
    unknown = Reply(kind=ReplyKind.UNKNOWN, text="?", lang="en", as_of=dt.date(2025, 1, 1))
    assert footer(unknown) is None
