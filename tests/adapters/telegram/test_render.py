"""Rendering and button payloads without a server: limits, escaping, aliases."""

from __future__ import annotations

from bot.adapters.telegram_bot.callbacks import CALLBACK_LIMIT, CallbackCodec, FeedbackTap, QuestionTap
from bot.adapters.telegram_bot.render import render_keyboard, render_parts, visible_length
from bot.core.models import Reply, ReplyKind, Suggestion
from tests.fakes.telegram_api import parse_html


def test_callback_data_fits_and_round_trips_even_for_long_ids() -> None:
    codec = CallbackCodec()
    long_id = "x" * 63
    for data, expected in (
        (codec.question("law-name", "zh"), QuestionTap("law-name", "zh")),
        (codec.feedback("law-name", False, "en"), FeedbackTap("law-name", False, "en")),
        (codec.question(long_id, "en"), QuestionTap(long_id, "en")),
        (codec.feedback(long_id, True, "zh"), FeedbackTap(long_id, True, "zh")),
    ):
        assert len(data.encode()) <= CALLBACK_LIMIT
        assert codec.decode(data) == expected
    assert codec.decode("garbage") is None
    assert codec.decode("q:en:~999") is None  # a forgotten alias


def test_emoji_heavy_text_is_split_by_utf16_length() -> None:
    reply = Reply(kind=ReplyKind.ANSWER, text="🙂" * 5000, lang="en", entry_id="e")
    parts = render_parts(reply)
    assert len(parts) >= 3
    for part in parts:
        visible, error = parse_html(part)
        assert error is None
        assert visible_length(visible) <= 4096


def test_keyboard_has_three_suggestions_then_feedback() -> None:
    suggestions = tuple(Suggestion(f"e{i}", f"Question {i}") for i in range(5))
    reply = Reply(kind=ReplyKind.ANSWER, text="x", lang="en", entry_id="e", suggestions=suggestions)
    markup = render_keyboard(reply, CallbackCodec())
    assert markup is not None
    rows = markup.inline_keyboard
    assert len(rows) == 4
    assert [b.text for b in rows[-1]] == ["👍 Helpful", "👎 Not helpful"]
    unknown = Reply(kind=ReplyKind.UNKNOWN, text="?", lang="en", suggestions=suggestions[:1])
    unknown_markup = render_keyboard(unknown, CallbackCodec())
    assert unknown_markup is not None and len(unknown_markup.inline_keyboard) == 1  # no feedback on a non-answer
