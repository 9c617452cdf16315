"""What kind of answer a question asks for: a date, a reason, a person, a number, a yes/no status ...

Read in both languages from the question words at the start of a clause ("when is ...", "so who owns it",
"TikTok哪天被禁"), so that "what did ByteDance say when the law passed" is not a question about a date and
"the guy who runs TikTok" is not one about a person. Entries declare the kinds they answer (`answers`);
an entry that answers none of the kinds a question asks for is a poor match however similar its words.
"""

from __future__ import annotations

import re

from bot.core.models import Lang
from bot.core.polarity import is_yes_no
from bot.types import AnswerKind

QType = AnswerKind

DISCRIMINATING = frozenset({QType.DATE, QType.REASON, QType.PERSON, QType.NUMBER})
"""Kinds precise enough that an entry answering none of them is the wrong entry."""

_START = r"(?:^|[,.;:?!？！。，]\s*|\b(?:and|so|but|then|also|ok|okay|wait|hey|lol|btw|like|um|question|q)\s+)"
_AUX = r"(?:is|was|are|were|did|does|do|will|would|can|could|has|had|have|should|s|'s|’s|tf|the hell)\b"

_EN: tuple[tuple[QType, re.Pattern[str]], ...] = (
    (
        QType.DATE,
        re.compile(
            rf"{_START}(?:when|wen|whens|when's)\s+{_AUX}|\b(?:since|until|till|by) when\b|"
            r"\bwhat (?:day|date|year|month|time)\b|\bwhich (?:day|date|year|month)\b|\bhow long ago\b|"
            r"\bwhat(?:'s| is| was)? the (?:deadline|date)\b|^(?:when|wen)\b|\b(?:was|is|be|it|that) when\s*[?!.]*$",
            re.IGNORECASE,
        ),
    ),
    (
        QType.REASON,
        re.compile(
            r"\b(?:why|y is|y did|y does|how come|what for|for what reason|whats? the reason|what(?:'s| is| was)"
            r" the reason|reasons? (?:for|why|behind)|what made|what caused|the point of)\b",
            re.IGNORECASE,
        ),
    ),
    (
        QType.PERSON,
        re.compile(
            rf"{_START}(?:who|whom|whose|who's|whos)\b|\bwhich (?:president|judge|justice|court|company|companies|"
            r"firm|firms|investor|investors|person|people|officials?|lawmakers?|senators?|group|organi[sz]ation)\b|"
            r"\bwhat (?:company|companies|firm|firms|organi[sz]ation|group)\b",
            re.IGNORECASE,
        ),
    ),
    (
        QType.NUMBER,
        re.compile(
            r"\bhow (?:many|much|long|big|large|old|far)\b|\bwhat (?:percent|percentage|share|stake|number|"
            r"amount|price|valuation|fine|vote|count)\b|\bhow many days\b|\bby how much\b",
            re.IGNORECASE,
        ),
    ),
    (
        QType.EVENT,
        re.compile(
            r"\bwhat (?:happened|happens|happend|went down|is happening|is going on|changed|did \w+(?: \w+)? do)\b|"
            r"\bwhat(?:'s| is|s) (?:new|the latest|up with|going on)\b|\bany (?:news|updates?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        QType.PROCESS,
        re.compile(rf"{_START}how\s+(?:{_AUX}|to|do|does|did|can|could|would|will)", re.IGNORECASE),
    ),
    (
        QType.DEFINITION,
        re.compile(
            r"^(?:what|whats|what's)\s+(?:is|are|was|were|s)?\s*(?:a |an |the )?\w[\w\s-]{0,40}$|"
            r"\bwhat does .{1,40} mean\b|\bmeaning of\b|\bstand for\b",
            re.IGNORECASE,
        ),
    ),
)

_ZH: tuple[tuple[QType, re.Pattern[str]], ...] = (
    (QType.DATE, re.compile("什么时候|啥时候|啥时|哪天|哪一天|几号|几月|哪年|哪一年|何时|哪个月|多久以前|日期是")),
    (QType.REASON, re.compile("为什么|为啥|为何|原因|凭什么|干嘛要|干嘛|咋要|怎么会")),
    (QType.PERSON, re.compile("谁|哪位|哪个人|哪些人|哪家|哪个公司|哪些公司|哪个组织|哪个总统|哪个机构|哪个法官")),
    (QType.NUMBER, re.compile("多少|几个|几天|几成|百分之几|多大|多久|几家|几名|几席|几人|几票")),
    (
        QType.EVENT,
        re.compile(
            "发生了什么|发生什么|发生了啥|发生啥|怎么回事|出什么事|出啥事|什么情况|啥情况|咋回事|怎么了|咋了|有什么新|最新"
        ),
    ),
    (QType.PROCESS, re.compile("怎么|如何|怎样|咋")),
    (QType.DEFINITION, re.compile("是什么|是啥|是干什么|什么意思|啥意思|指什么")),
)

_ZH_NOT_PROCESS = re.compile("怎么回事|怎么了|咋了|咋回事|怎么会")


def question_types(question: str, lang: Lang) -> frozenset[QType]:
    """Every kind of answer the question asks for (two questions in one message ask for two)."""
    found: set[QType] = set()
    if lang == "zh":
        for kind, pattern in _ZH:
            text = _ZH_NOT_PROCESS.sub("", question) if kind is QType.PROCESS else question
            if pattern.search(text):
                found.add(kind)
    else:
        text = question.strip()
        for kind, pattern in _EN:
            if pattern.search(text):
                found.add(kind)
    if is_yes_no(question, lang):
        found.add(QType.STATUS)
    return frozenset(found)


def mismatch(asked: frozenset[QType], answers: frozenset[QType]) -> bool:
    """True when the question asks for a precise kind of answer and the entry gives none of those asked."""
    precise = asked & DISCRIMINATING
    return bool(precise) and not precise & answers
