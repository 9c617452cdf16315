"""A leading Yes/No only where the question is a yes/no question asked comparably to the entry's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.answering import Answerer
from bot.core.polarity import is_yes_no, yes_no_prefix
from bot.knowledge.loader import load_knowledge

from .conftest import entry, utc, write_kb

BANNED = "Is TikTok banned in the US right now?"
BANNED_ZH = "TikTok现在在美国被禁了吗？"


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("is tiktok banned", "en", "No."),
        ("so is tiktok banned or not", "en", "No."),
        ("is tiktok still available in the us", "en", "Yes."),
        ("can i still use tiktok", "en", "Yes."),
        ("what is the status of tiktok", "en", None),  # not a yes/no question
        ("isn't tiktok banned?", "en", None),  # negated: people answer it both ways
        ("TikTok被禁了吗", "zh", "不是。"),
        ("TikTok是不是被禁了", "zh", "不是。"),
        ("TikTok还能用吗", "zh", "是的。"),
        ("TikTok现在什么情况", "zh", None),
        ("TikTok没被禁吗", "zh", None),
    ],
)
def test_prefix_follows_the_question(question: str, lang: str, expected: str | None) -> None:
    canonical = BANNED_ZH if lang == "zh" else BANNED
    assert yes_no_prefix(question, canonical, "no", lang) == expected  # type: ignore[arg-type]


def test_a_question_naming_neither_side_needs_the_same_wording() -> None:
    canonical = "Did the Supreme Court uphold the TikTok law?"
    assert yes_no_prefix("did the supreme court uphold the tiktok law", canonical, "yes", "en") == "Yes."
    assert yes_no_prefix("did the supreme court strike down the law", canonical, "yes", "en") is None


def test_no_polarity_no_prefix() -> None:
    assert yes_no_prefix("is tiktok banned", BANNED, None, "en") is None
    assert is_yes_no("ok so can i still download it", "en")
    assert not is_yes_no("when was it banned", "en")


def test_answers_lead_with_the_short_answer_and_the_fitting_prefix(tmp_path: Path) -> None:
    write_kb(
        tmp_path,
        [
            entry(
                "status-now",
                [BANNED, "current status of tiktok", "can i still use tiktok in america"],
                [BANNED_ZH],
                "The law took effect on January 19, 2025 but was never enforced against TikTok.",
                "该法于2025年1月19日生效，但从未对TikTok执行。",
                short={"en": "TikTok is available in the US.", "zh": "TikTok在美国仍可使用。"},
                polarity="no",
            )
        ],
    )
    answerer = Answerer(load_knowledge(tmp_path))
    now = utc(2026, 11, 26)
    assert answerer.answer("Is TikTok banned in the US right now?", now).short == "No. TikTok is available in the US."
    asked_other_way = answerer.answer("can i still use tiktok in america", now)
    assert asked_other_way.short == "Yes. TikTok is available in the US."
    status = answerer.answer("current status of tiktok", now)
    assert status.short == "TikTok is available in the US."
    assert status.text.startswith("The law took effect")
    assert answerer.answer(BANNED_ZH, now).short == "不是。TikTok在美国仍可使用。"
