from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.language import detect_language
from bot.core.text import MAX_QUESTION_CHARS, clean_question, split_message


def test_clean_question_strips_mentions_markup_and_control_characters() -> None:
    raw = "@everyone **When** is <@123456789> the `ban`?\x00\x07 <@&42> @here ||spoiler||"
    cleaned = clean_question(raw)
    assert "@" not in cleaned and "<" not in cleaned and "\x00" not in cleaned and "*" not in cleaned
    assert cleaned.startswith("When is the ban ?")


def test_clean_question_bounds_huge_input() -> None:
    assert len(clean_question("tiktok " * 20_000)) <= MAX_QUESTION_CHARS


@given(st.text(max_size=3000), st.integers(min_value=1, max_value=400))
def test_split_message_respects_limit_and_keeps_words(text: str, limit: int) -> None:
    parts = split_message(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert "".join(parts).split() == text.split() or "".join("".join(parts).split()) == "".join(text.split())


def test_split_prefers_paragraph_boundaries() -> None:
    paragraphs = ["a" * 30, "b" * 30, "c" * 30]
    assert split_message("\n\n".join(paragraphs), 70) == ["a" * 30 + "\n\n" + "b" * 30, "c" * 30]


def test_language_detection() -> None:
    assert detect_language("TikTok什么时候被禁？") == "zh"
    assert detect_language("小红书是什么") == "zh"
    assert detect_language("what is 小红书") == "en"
    assert detect_language("When is the ban?") == "en"
    assert detect_language("") == "en"
