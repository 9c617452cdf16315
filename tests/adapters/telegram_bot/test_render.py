"""Rendering and button payloads without a server: limits, escaping, aliases."""

from __future__ import annotations

import datetime as dt

from bot.adapters.telegram_bot.callbacks import CALLBACK_LIMIT, CallbackCodec, FeedbackTap, MoreTap, QuestionTap
from bot.adapters.telegram_bot.render import MESSAGE_LIMIT, render_keyboard, render_parts, visible_length
from bot.core.models import LANGS, Reply, ReplyKind, SourceRef, Suggestion
from bot.engine.holder import KnowledgeHolder
from bot.settings import PROJECT_ROOT
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


def test_the_shipped_timeline_stays_well_under_one_message() -> None:
    answerer = KnowledgeHolder(PROJECT_ROOT / "knowledge").answerer
    for lang in LANGS:
        [part] = render_parts(answerer.timeline(dt.datetime(2026, 11, 26, tzinfo=dt.UTC), lang))
        visible, error = parse_html(part)
        assert error is None
        assert visible_length(visible) < MESSAGE_LIMIT * 3 // 4, (lang, visible_length(visible))


def test_sources_are_named_once_by_their_label() -> None:
    mirror = SourceRef("r", "TikTok seals deal", "Reuters", "https://www.zawya.com/x", tier="mirror", via="zawya.com")
    reply = Reply(kind=ReplyKind.ANSWER, text="x", lang="en", entry_id="e", sources=(mirror,))
    visible, _ = parse_html(render_parts(reply)[0])
    assert "• TikTok seals deal — Reuters (via zawya.com)" in visible
    assert visible.count("Reuters") == 1


def test_more_comes_first_only_when_asked_for() -> None:
    reply = Reply(kind=ReplyKind.ANSWER, text="x", lang="zh", entry_id="law-name", suggestions=(Suggestion("a", "Q"),))
    codec = CallbackCodec()
    with_more = render_keyboard(reply, codec, more=True)
    assert with_more is not None
    assert [(b.text, b.callback_data) for b in with_more.inline_keyboard[0]] == [("详细", "m:zh:law-name")]
    assert codec.decode("m:zh:law-name") == MoreTap("law-name", "zh")
    without = render_keyboard(reply, codec)
    assert without is not None and all(
        b.callback_data != "m:zh:law-name" for row in without.inline_keyboard for b in row
    )
