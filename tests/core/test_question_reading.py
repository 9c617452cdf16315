"""Reading what a question asks: its kind of answer, the dates it names, chat spelling, and asking back."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.core.answering import Answerer
from bot.core.decision import Thresholds, Verdict, decide
from bot.core.named_dates import mentions, named_dates
from bot.core.polarity import yes_no_prefix
from bot.core.qtype import QType, mismatch, question_types
from bot.core.ranking import Candidate, Ranking
from bot.core.requests import request_group
from bot.core.spelling import ChatSpelling
from bot.engine import AnswererFactory
from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Spelling
from bot.settings import PROJECT_ROOT, Settings

NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("question", "lang", "kind"),
    [
        ("wen is tiktok getting banned", "en", QType.DATE),
        ("so when did the ban kick in", "en", QType.DATE),
        ("why does the US want to ban tiktok", "en", QType.REASON),
        ("who signed the law", "en", QType.PERSON),
        ("how many days did bytedance get", "en", QType.NUMBER),
        ("what happened on jan 19", "en", QType.EVENT),
        ("is tiktok banned", "en", QType.STATUS),
        ("TikTok哪天被禁", "zh", QType.DATE),
        ("为啥要禁TikTok", "zh", QType.REASON),
        ("这个法是谁签的", "zh", QType.PERSON),
        ("字节还占多少股", "zh", QType.NUMBER),
        ("TikTok被禁了吗", "zh", QType.STATUS),
    ],
)
def test_the_kind_of_answer_is_read_in_both_languages(question: str, lang: str, kind: QType) -> None:
    assert kind in question_types(question, lang)  # type: ignore[arg-type]


def test_a_relative_clause_is_not_a_question_word() -> None:
    assert QType.DATE not in question_types("what did bytedance say when the law passed", "en")
    assert QType.PERSON not in question_types("what did the guy who runs tiktok say", "en")


def test_only_a_precise_kind_the_entry_does_not_give_is_a_mismatch() -> None:
    assert mismatch(frozenset({QType.REASON}), frozenset({QType.DATE, QType.STATUS}))
    assert not mismatch(frozenset({QType.REASON, QType.DATE}), frozenset({QType.DATE}))
    assert not mismatch(frozenset({QType.STATUS}), frozenset({QType.DATE}))


def test_dates_named_in_both_languages_and_relative_months() -> None:
    today = dt.date(2026, 12, 6)
    assert named_dates("what happened on jan 19").days == {(1, 19, 0)}
    assert named_dates("January 19, 2025").days == {(1, 19, 2025)}
    assert named_dates("2025年1月19日发生了什么").days == {(1, 19, 2025)}
    assert named_dates("1/19/2025").days == {(1, 19, 2025)}
    assert named_dates("last june", today).months == {(6, 2026)}
    assert named_dates("26年3月起诉的").months == {(3, 2026)}
    assert not named_dates("how many days are left")
    text = named_dates("TikTok went dark on January 18, 2025 and came back on January 19, 2025.")
    assert mentions(named_dates("jan 19"), text) is True
    assert mentions(named_dates("feb 2 2025"), text) is False
    assert mentions(named_dates("no date here"), text) is None


def test_chat_spellings_are_rewritten_and_typos_corrected() -> None:
    spelling = ChatSpelling(
        [
            Spelling(write="when", variants=["wen"]),
            Spelling(write="banned", variants=["bannd"]),
            Spelling(write="小红书", variants=["小红薯", "红书"]),
            Spelling(write="字节跳动", variants=["字节"]),
            Spelling(write="you", variants=["u"]),
        ],
        {"deadlne": "deadline"}.get,
    )
    assert spelling.rewrite("wen is tiktok getting bannd??") == "when is tiktok getting banned??"
    assert spelling.rewrite("小红薯和红书") == "小红书和小红书"
    assert spelling.rewrite("字节跳动和字节") == "字节跳动和字节跳动"  # the written form is left alone
    assert spelling.rewrite("is tiktok banned in the u.s.") == "is tiktok banned in the u.s."
    assert spelling.correct("the deadlne for Deadlne") == "the deadline for Deadlne"  # names are left alone


@pytest.mark.parametrize(
    ("question", "canonical", "polarity", "lang", "expected"),
    [
        ("is tiktok gone from the app store", "Is TikTok gone from app stores?", "no", "en", "No."),
        ("was tiktok gone from the app store for a while??", "Is TikTok gone from app stores?", "no", "en", None),
        ("is tiktok still available", "Is TikTok banned right now?", "no", "en", "Yes."),
        ("TikTok之前被下架过吗", "TikTok现在被下架了吗？", "no", "zh", None),
    ],
)
def test_yes_no_follows_the_question_both_ways_round_and_in_its_tense(
    question: str, canonical: str, polarity: str, lang: str, expected: str | None
) -> None:
    assert yes_no_prefix(question, canonical, polarity, lang) == expected  # type: ignore[arg-type]


def _candidate(hybrid: Answerer, entry_id: str, fused: float) -> Candidate:
    entry = hybrid.kb.entries[entry_id]
    return Candidate(entry, fused, 1.0, 8.0, 0.6, fused, entry.questions.en[0], True, lexical_rank=5)


def test_two_close_weak_candidates_get_a_question_back(hybrid: Answerer) -> None:
    ids = list(hybrid.kb.entries)[:3]
    close = Ranking([_candidate(hybrid, ids[0], 0.35), _candidate(hybrid, ids[1], 0.34)], False, True, 3, semantic=True)
    apart = Ranking([_candidate(hybrid, ids[0], 0.35), _candidate(hybrid, ids[1], 0.2)], False, True, 3, semantic=True)
    strong = Ranking([_candidate(hybrid, ids[0], 0.6), _candidate(hybrid, ids[1], 0.59)], False, True, 3, semantic=True)
    assert decide(close, Thresholds()).verdict is Verdict.SUGGEST
    assert decide(apart, Thresholds()).verdict is Verdict.ANSWER
    assert decide(strong, Thresholds()).verdict is Verdict.ANSWER


@pytest.fixture(scope="module")
def hybrid() -> Answerer:
    settings = Settings(_env_file=None, semantic=True, cache_dir=PROJECT_ROOT / "data" / "cache")  # type: ignore[call-arg]
    return AnswererFactory.from_settings(settings)(load_knowledge(PROJECT_ROOT / "knowledge"))


@pytest.mark.parametrize(
    ("question", "entries"),
    [
        ("wen is tiktok getting bannd??", {"law-deadline"}),
        ("what happened on jan 19 2025", {"dark-shutdown", "dark-restored"}),
        ("when was the supreme court ruling on tiktok", {"court-supreme-court"}),
    ],
)
def test_member_spellings_dates_and_near_exact_questions_find_their_entry(
    hybrid: Answerer, question: str, entries: set[str]
) -> None:
    assert hybrid.answer(question, NOW).entry_id in entries


@pytest.mark.parametrize("question", ["Who is the CEO of Instagram?", "When does the next iPhone come out?"])
def test_a_subject_the_knowledge_does_not_cover_is_declined(hybrid: Answerer, question: str) -> None:
    reply = hybrid.answer(question, NOW)
    assert not reply.answered and reply.outcome == "decline"


@pytest.mark.parametrize(
    ("request_text", "group"),
    [
        ("write me a poem about red note", "instructions"),
        ("pls translate this tiktok caption", "instructions"),
        ("tell me a joke about tiktok", "chit-chat"),
        ("讲个关于小红书的笑话", "chit-chat"),
        ("帮我写一篇关于TikTok禁令的作文", "instructions"),
        ("tell me about the tiktok ban", None),
        ("what did trump write about tiktok", None),
    ],
)
def test_requests_that_are_not_questions_are_read_from_their_verb(request_text: str, group: str | None) -> None:
    assert request_group(request_text) == group


def test_a_request_about_the_topic_is_declined_not_answered(hybrid: Answerer) -> None:
    reply = hybrid.answer("write me a poem about red note", NOW)
    instructions = next(g for g in hybrid.kb.out_of_scope if g.id == "instructions")
    assert reply.outcome == "decline" and reply.text == instructions.reply.en


def test_a_covered_subject_is_asked_back_not_declined(hybrid: Answerer) -> None:
    ids = list(hybrid.kb.entries)
    covered = dataclasses.replace(_candidate(hybrid, ids[0], 0.3), lexical_rank=0, coverage=1.0)
    ranking = Ranking([covered, _candidate(hybrid, ids[1], 0.2)], False, True, 2, "markets", 0.7, semantic=True)
    decision = decide(ranking, Thresholds())
    assert decision.verdict is Verdict.SUGGEST and decision.candidate is covered
    uncovered = dataclasses.replace(covered, coverage=0.4)
    ranking = dataclasses.replace(ranking, candidates=[uncovered, ranking.candidates[1]])
    assert decide(ranking, Thresholds()).verdict is Verdict.OUT_OF_SCOPE


def test_naming_bytedance_names_tiktok_s_subject(hybrid: Answerer) -> None:
    search = hybrid.index.search("by what date did bytedance need to divest")
    assert "tiktok" in search.subjects and "tiktok" not in search.anchors
    assert "tiktok" in hybrid.index.subjects["law-deadline"]
    assert hybrid.answer("by what date did bytedance need to divest", NOW).entry_id == "law-deadline"


def test_an_encoder_only_answer_rivalled_by_a_declined_kind_gets_a_question_back(hybrid: Answerer) -> None:
    ids = list(hybrid.kb.entries)
    weak = dataclasses.replace(_candidate(hybrid, ids[0], 0.45), coverage=0.2, semantic=0.66)
    ranking = Ranking([weak, _candidate(hybrid, ids[1], 0.2)], False, True, 2, "app-howto", 0.6, semantic=True)
    assert decide(ranking, Thresholds()).verdict is Verdict.SUGGEST
    covered = dataclasses.replace(weak, coverage=0.6)
    assert decide(dataclasses.replace(ranking, candidates=[covered, ranking.candidates[1]]), Thresholds()).verdict is (
        Verdict.ANSWER
    )
    far = dataclasses.replace(ranking, scope=0.5)  # the declined kind is clearly less similar
    assert decide(far, Thresholds()).verdict is Verdict.ANSWER


def test_the_lexical_first_entry_is_trusted_only_when_it_leads_on_the_words(hybrid: Answerer) -> None:
    ids = list(hybrid.kb.entries)
    first = dataclasses.replace(_candidate(hybrid, ids[0], 0.5), lexical=0.74, lexical_rank=0, coverage=0.74)
    fused_top = dataclasses.replace(_candidate(hybrid, ids[1], 0.67), lexical=0.77, lexical_rank=1, coverage=0.77)
    tied = Ranking([fused_top, first], False, True, 4, semantic=True)
    assert decide(tied, Thresholds()).candidate is fused_top
    behind = dataclasses.replace(fused_top, lexical=0.5, coverage=0.5)
    leading = Ranking([behind, first], False, True, 4, semantic=True)
    assert decide(leading, Thresholds()).candidate is first


@pytest.mark.parametrize("question", ["what was the original tiktok deadline", "TikTok那个deadline是哪天"])
def test_the_basic_deadline_question_finds_the_law_s_deadline(hybrid: Answerer, question: str) -> None:
    assert hybrid.kb.entries["law-deadline"].basic
    assert hybrid.answer(question, NOW).entry_id == "law-deadline"


@pytest.mark.parametrize(
    ("question", "entries"),
    [
        ("tiktok dec 6 2024 what happened", {"court-dc-circuit"}),
        ("2025年1月19号发生了啥", {"dark-shutdown", "dark-restored"}),  # it went dark and came back that day
    ],
)
def test_what_happened_on_a_day_answers_with_that_day_s_events(
    hybrid: Answerer, question: str, entries: set[str]
) -> None:
    reply = hybrid.answer(question, NOW)
    assert reply.entry_id in entries


def test_a_passing_comparison_does_not_make_an_entry_about_another_app(hybrid: Answerer) -> None:
    ranker = hybrid.ranker
    assert "instagram" in hybrid.kb.entries["rednote-what-is"].answer.en.lower()
    assert ranker.qualifier("who is instagram's ceo", "deal-leadership") == ("other-apps", "instagram")
    assert ranker.qualifier("is rednote the chinese instagram", "rednote-what-is") is None


@pytest.mark.parametrize(
    ("question", "entry"),
    [("when did the second tiktok extension end", "eo-14258"), ("第四次延期到几号", "eo-14350")],
)
def test_the_place_in_the_series_of_extensions_picks_the_order(hybrid: Answerer, question: str, entry: str) -> None:
    assert hybrid.answer(question, NOW).entry_id == entry
