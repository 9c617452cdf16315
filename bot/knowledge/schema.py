"""Pydantic models of the knowledge files. Unknown fields are rejected everywhere.

Layout of the knowledge directory (see knowledge/README.md):
  sources/*.yaml   {"sources": [Source, ...]}
  entries/*.yaml   {"entries": [Entry, ...]}
  deadlines.yaml   {"primary": id, "deadlines": [Deadline, ...], "announcements": [Announcement, ...]}
  synonyms.yaml    {"synonyms": [SynonymGroup, ...]}
  out_of_scope.yaml {"groups": [ScopeGroup, ...]}  (optional)
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from bot.types import CJK, AnswerKind

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"

Id = Annotated[str, Field(pattern=ID_PATTERN)]


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


Text = Annotated[str, AfterValidator(_non_blank)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Localized(Strict):
    """The same text in English and Simplified Chinese."""

    en: Text
    zh: Text

    @field_validator("zh")
    @classmethod
    def _zh_is_chinese(cls, value: str) -> str:
        if not CJK.search(value):
            raise ValueError("Chinese text must contain Chinese characters")
        return value

    def get(self, lang: str) -> str:
        """The text in `lang` ("zh" for Chinese, English otherwise)."""
        return self.zh if lang == "zh" else self.en


SHORT_ANSWER_MAX = 320
"""The direct first sentence(s) of an answer: short enough to read at a glance in a chat."""


class ShortAnswer(Localized):
    """One or two sentences that answer the entry's questions without a leading Yes/No."""

    @field_validator("en", "zh")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > SHORT_ANSWER_MAX:
            raise ValueError(f"at most {SHORT_ANSWER_MAX} characters (has {len(value)})")
        if re.match(r"(?i)^(yes|no)\b|^(是的|不是|没有|不会|会的|对|不)[。，,.!！]", value):
            raise ValueError("must not open with Yes/No: the engine adds it when the question's polarity fits")
        return value


class LocalizedList(Strict):
    """Lists of phrases in English and Simplified Chinese (each may be empty for keywords)."""

    en: list[Text] = Field(default_factory=list)
    zh: list[Text] = Field(default_factory=list)

    def get(self, lang: str) -> list[str]:
        """The phrases in `lang` ("zh" for Chinese, English otherwise)."""
        return self.zh if lang == "zh" else self.en


Tier = Literal["primary", "major", "other", "mirror"]
"""How far a source can be trusted, best first: a primary document (Federal Register, court opinion, bill,
company terms or newsroom), a major outlet's own page, any other page, a copy of another outlet's story."""

TIER_RANK: dict[str, int] = {"primary": 0, "major": 1, "other": 2, "mirror": 3}


class Source(Strict):
    id: Id
    title: Text
    """The article's headline, without the publisher's name."""
    publisher: Text
    """The original publisher (Reuters, not the site that copied Reuters' story)."""
    url: HttpUrl
    date: dt.date | None = None
    tier: Tier = "other"
    via: Text | None = None
    """For a mirror: the site the URL points at (shown as "Reuters (via example.com)")."""

    @model_validator(mode="after")
    def _mirror_names_host(self) -> Source:
        if self.tier == "mirror" and not self.via:
            raise ValueError("a mirror names the site it is on in `via`")
        if self.tier != "mirror" and self.via:
            raise ValueError("`via` is only for tier: mirror")
        return self


class Entry(Strict):
    """One answerable topic."""

    id: Id
    topic: Id
    title: Localized
    questions: LocalizedList
    keywords: LocalizedList = Field(default_factory=LocalizedList)
    short: ShortAnswer | None = None
    """The direct answer shown first; the full `answer` is one tap away."""
    answers: list[AnswerKind] = Field(default_factory=list)
    """The kinds of answer the entry gives (a date, a reason, a person ...): a question asking for a kind the
    entry does not give is a poor match for it (bot.core.qtype). `kb check` flags an entry without any."""
    polarity: Literal["yes", "no"] | None = None
    """For an entry that answers a yes/no question: the answer to its first question. "Yes."/"No." is added
    only when a question is phrased as yes/no the same way round."""
    answer: Localized
    sources: list[Id] = Field(min_length=1)
    as_of: dt.date
    """The date the facts in the answer refer to (the newest fact)."""
    checked: dt.date | None = None
    """When a curator last verified the entry against its sources."""
    review_by: dt.date | None = None
    related: list[Id] = Field(default_factory=list, max_length=6)
    basic: bool = False
    """One of the newcomer's basic questions (is it banned, when was the deadline, who owns it ...): asked far
    more often than its neighbours, so it wins a near tie with one of them."""
    countdown: Id | None = None
    """When set, the reply starts with a live countdown to/since this deadline, computed from `now`."""

    @field_validator("questions")
    @classmethod
    def _questions_in_both_languages(cls, value: LocalizedList) -> LocalizedList:
        if not value.en or not value.zh:
            raise ValueError("needs at least one English and one Chinese question")
        return value


HEADING_MAX = 90
"""A post's title: one short line."""


def _sentence_case(value: str) -> str:
    """A heading starts like a sentence: with a capital letter, a digit or a non-Latin character."""
    if value[:1].islower():
        raise ValueError("a heading starts with a capital letter (sentence case), e.g. “TikTok divest-or-ban deadline”")
    if len(value) > HEADING_MAX:
        raise ValueError(f"at most {HEADING_MAX} characters (has {len(value)})")
    return value


class Heading(Localized):
    """A post's title in sentence case: "TikTok divest-or-ban deadline", not "the TikTok divest-or-ban deadline"."""

    @field_validator("en", "zh")
    @classmethod
    def _heading(cls, value: str) -> str:
        return _sentence_case(value)


class PostText(Localized):
    """A short post text, one to three sentences, in each language."""

    @field_validator("en", "zh")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > SHORT_ANSWER_MAX:
            raise ValueError(f"at most {SHORT_ANSWER_MAX} characters (has {len(value)})")
        return value


class Deadline(Strict):
    """A dated moment the bot counts down to or since."""

    id: Id
    title: Localized
    """How the deadline reads inside a sentence: "the TikTok divest-or-ban deadline"."""
    heading: Heading | None = None
    """A post's title for it, in sentence case; without one, the title with a capital and no leading "the"."""
    at: dt.datetime
    status: Localized
    """What became of this deadline (shown once it has passed)."""
    short: PostText | None = None
    """The status in one or two sentences, for posts (the full `status` is one tap away); without one, the
    status's first sentence."""
    sources: list[Id] = Field(min_length=1)
    checked: dt.date | None = None
    """When a curator last verified the status."""

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must include a UTC offset, e.g. 2025-01-19T00:00:00-05:00")
        return value


class Announcement(Strict):
    """A new development, posted once to every subscription in `updates` mode (knowledge/README.md)."""

    id: Id
    date: dt.date
    """When it happened or was announced. Posted on subscriptions' post days from this date to a few days
    later, and only to subscriptions that existed by then."""
    heading: Heading
    text: PostText
    """The post: what happened, in one to three sentences."""
    details: Localized | None = None
    """More for the "More" button (optional)."""
    deadline: Id | None = None
    """A deadline it sets or concerns (a new court date, say): the post counts down to or since it."""
    sources: list[Id] = Field(min_length=1)


class SynonymGroup(Strict):
    """Phrases that mean the same thing; every variant is read as `canonical` before matching."""

    canonical: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    variants: list[Text] = Field(min_length=1)
    anchor: bool = False
    """True for terms that mark a question as on-topic (TikTok, RedNote, ByteDance, the ban ...). The bot only
    answers questions that mention at least one anchor; generic terms (users, data, people) are not anchors."""
    part_of: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")] | None = None
    """An anchor whose subject is also another's (`bytedance` is `part_of: tiktok`, its owner): a question naming
    it is not about another subject than entries about that one."""


class ScopeGroup(Strict):
    """Questions the bot must decline, by kind (platform how-tos, other countries, markets ...), with the
    short reply given to them. Examples are what such questions look like, in both languages."""

    id: Id
    reply: Localized
    examples: LocalizedList
    names: LocalizedList = Field(default_factory=LocalizedList)
    """Names (places, apps) that make a question about them: such a question is declined unless the entry
    that would answer it mentions the name ("is TikTok banned in India" is not about the US law)."""
    names_are_subjects: bool = False
    """True for products, apps and people: an entry is about one only if its questions, keywords or title name
    it (an answer's passing comparison, "like Instagram", does not count). Places count wherever named."""

    @field_validator("examples")
    @classmethod
    def _examples_in_both_languages(cls, value: LocalizedList) -> LocalizedList:
        if not value.en or not value.zh:
            raise ValueError("needs at least one English and one Chinese example")
        return value


class OutOfScopeFile(Strict):
    starters: list[Id] = Field(default_factory=list, max_length=5)
    """Entries whose first questions are offered when the bot cannot help: broad openings of the main topics."""
    groups: list[ScopeGroup]


class SourcesFile(Strict):
    sources: list[Source]


class EntriesFile(Strict):
    entries: list[Entry]


class DeadlinesFile(Strict):
    primary: Id
    deadlines: list[Deadline] = Field(min_length=1)
    announcements: list[Announcement] = Field(default_factory=list)


class Spelling(Strict):
    """Chat spellings and nicknames (`wen`, `bannd`, `小红薯`) rewritten to `write` before a question is matched,
    by the lexical engine and the sentence encoder alike."""

    write: Text
    variants: list[Text] = Field(min_length=1)


class SynonymsFile(Strict):
    synonyms: list[SynonymGroup]
    spellings: list[Spelling] = Field(default_factory=list)
