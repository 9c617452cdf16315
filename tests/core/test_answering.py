"""The answering engine on a small synthetic knowledge base: outcomes, languages, typos, hostile input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.core.answering import Answerer
from bot.core.models import ReplyKind
from bot.knowledge.loader import KnowledgeBase, load_knowledge

from .conftest import SAMPLE_ENTRIES, utc, write_kb

NOW = utc(2025, 1, 16, 10)


@pytest.fixture
def answerer(sample_kb: KnowledgeBase) -> Answerer:
    return Answerer(sample_kb)


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("did scotus uphold the tiktok law", "court-ruling"),
        ("What did the justices rule on tt?", "court-ruling"),
        ("what did the suprme court decid about tiktok", "court-ruling"),  # typos
        ("xhs what is it", "rednote-what"),
        ("red note app?", "rednote-what"),
        ("how many days until the ban", "ban-countdown"),
    ],
)
def test_paraphrases_slang_and_typos_find_the_entry(answerer: Answerer, question: str, entry_id: str) -> None:
    reply = answerer.answer(question, NOW)
    assert reply.kind is ReplyKind.ANSWER, reply.text
    assert reply.entry_id == entry_id
    assert reply.sources and reply.as_of == dt.date(2025, 1, 17)
    assert 0 < reply.confidence <= 1


def test_chinese_question_gets_chinese_answer(answerer: Answerer) -> None:
    reply = answerer.answer("小红书到底是什么", NOW)
    assert reply.entry_id == "rednote-what"
    assert reply.lang == "zh" and "3亿" in reply.text


def test_language_can_be_forced(answerer: Answerer) -> None:
    reply = answerer.answer("小红书是什么？", NOW, lang="en")
    assert reply.lang == "en" and "300 million" in reply.text


@pytest.mark.parametrize(
    "question",
    [
        "What's the best pizza topping?",
        "lorem ipsum dolor sit amet",
        "给我讲个笑话",
        "how do I bake bread at home",
    ],
)
def test_off_topic_is_an_honest_unknown_with_suggestions(answerer: Answerer, question: str) -> None:
    reply = answerer.answer(question, NOW)
    assert reply.kind is ReplyKind.UNKNOWN and not reply.answered
    assert reply.suggestions and not reply.sources


@pytest.mark.parametrize("question", ["", "   ", "hello", "Hi!", "help", "你好", "帮助"])
def test_greetings_and_empty_input_get_help(answerer: Answerer, question: str) -> None:
    reply = answerer.answer(question, NOW)
    assert reply.kind is ReplyKind.HELP
    assert "/countdown" in reply.text


def test_countdown_entry_is_computed_from_now(answerer: Answerer) -> None:
    before = answerer.answer("how many days until the tiktok ban", utc(2025, 1, 16, 10))
    assert before.text.startswith("3 days until")
    after = answerer.answer("how many days until the tiktok ban", utc(2025, 6, 1, 10))
    assert after.text.startswith("133 days since")
    assert "until" not in after.text.split("\n")[0]


def test_answer_suggests_related_entries(answerer: Answerer) -> None:
    reply = answerer.answer("did the supreme court uphold the tiktok law", NOW)
    assert [s.entry_id for s in reply.suggestions] == ["rednote-what"]


@pytest.mark.parametrize(
    "hostile",
    [
        "tiktok " * 3000,
        "x" * 20_000,
        "@everyone @here <@123> <@&456> what is rednote",
        "\x00\x01\x02\x03binary\xff\xfe" * 200,
        "**bold** __under__ `code` [link](http://evil.example) > quote",
        "\u202e\u200bsupreme\u200b court",
    ],
)
def test_hostile_input_never_crashes_or_echoes_mentions(answerer: Answerer, hostile: str) -> None:
    reply = answerer.answer(hostile, NOW)
    assert "@everyone" not in reply.text and "@here" not in reply.text and "<@" not in reply.text
    assert reply.kind in set(ReplyKind)


def test_entry_reply_and_unknown_id(answerer: Answerer) -> None:
    assert answerer.entry_reply("rednote-what", NOW, "zh").text.startswith("小红书")
    with pytest.raises(KeyError):
        answerer.entry_reply("no-such-entry", NOW, "en")


def test_autocomplete_offers_matching_questions(answerer: Answerer) -> None:
    found = answerer.autocomplete("suprem court", "en")
    assert found and found[0].entry_id == "court-ruling"
    assert len(answerer.autocomplete("", "en", limit=2)) == 2
    assert all(len(s.question) <= 100 for s in answerer.autocomplete("tiktok", "en"))


def test_timeline_sources_and_help_in_both_languages(answerer: Answerer) -> None:
    timeline = answerer.timeline(utc(2025, 6, 1), "en")
    assert "January 19, 2025" in timeline.text and "not enforced" in timeline.text
    assert "尚未到来" in answerer.timeline(utc(2025, 1, 1), "zh").text
    sources = answerer.sources("en")
    assert sources.sources and "1 public sources" in sources.text
    topic = answerer.sources("en", "what is rednote")
    assert "All sources for" in topic.text and "Pub A: A" in topic.text
    assert "倒计时" in answerer.help("zh").text


@pytest.mark.parametrize("question", ["what did the judges decide about the capital", "what kind of app is best"])
def test_questions_without_an_anchor_term_are_not_answered(answerer: Answerer, question: str) -> None:
    reply = answerer.answer(question, NOW)
    assert not reply.answered


def test_no_anchor_terms_in_the_knowledge_means_no_anchor_rule(tmp_path: Path) -> None:
    write_kb(tmp_path, SAMPLE_ENTRIES)
    (tmp_path / "synonyms.yaml").write_text("synonyms: []\n")
    reply = Answerer(load_knowledge(tmp_path)).answer("what kind of app is rednote", NOW)
    assert reply.entry_id == "rednote-what"


def test_an_entry_covering_the_whole_question_outranks_one_rare_word(answerer: Answerer) -> None:
    found = answerer.index.search("what kind of app is xiaohongshu")
    assert found.hits[0].entry.id == "rednote-what"
    assert found.hits[0].coverage == pytest.approx(1.0)


def test_autocomplete_matches_half_typed_words(answerer: Answerer) -> None:
    assert [s.entry_id for s in answerer.autocomplete("supr", "en")][:1] == ["court-ruling"]
    assert answerer.autocomplete("小红", "zh")[0].question.startswith("小红书")


@pytest.mark.parametrize("small_talk", ["hey, how's your day going", "hello there, what's up", "你好呀，最近怎么样"])
def test_small_talk_gets_help_not_an_answer(answerer: Answerer, small_talk: str) -> None:
    assert answerer.answer(small_talk, NOW).kind is ReplyKind.HELP


def test_a_greeting_before_a_real_question_is_answered(answerer: Answerer) -> None:
    assert answerer.answer("hi! what is rednote", NOW).entry_id == "rednote-what"


def test_one_generic_word_does_not_reach_an_answer(tmp_path: Path) -> None:
    write_kb(tmp_path, SAMPLE_ENTRIES)
    reply = Answerer(load_knowledge(tmp_path)).answer("what a day", NOW)
    assert not reply.answered


def test_sources_of_a_topic_named_in_a_word_or_none(answerer: Answerer) -> None:
    assert answerer.sources("en", "xiaohongshu").text.startswith("All sources for “Title rednote-what”")
    unmatched = answerer.sources("en", "pizza " * 50)
    assert unmatched.text.startswith("No topic matches “pizza pizza")
    assert len(unmatched.text.splitlines()[0]) < 120  # the echo of what was typed is bounded
