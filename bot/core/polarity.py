"""Yes/no questions: whether a question is one, and which way round it is asked.

An entry marked `polarity: no` answers its first question ("Is TikTok banned now?") with no. The same entry
also answers "Is TikTok still available?" (the other way round: yes) and "What is TikTok's status?" (not a
yes/no question at all). A leading "Yes."/"No." is added only when the question's orientation can be read
and compared with the entry's first question; otherwise the short answer stands alone.
"""

from __future__ import annotations

import re
from typing import Literal

from rapidfuzz import fuzz

from bot.core.models import Lang

Polarity = Literal["yes", "no"]

SAME_QUESTION = 80.0
"""A question that names neither side gets a prefix only when it reads this much like the entry's own."""

_EN_YES_NO = re.compile(
    r"^(is|are|was|were|am|do|does|did|can|could|will|would|should|shall|has|have|had|may|might|must|"
    r"isn'?t|aren'?t|wasn'?t|weren'?t|don'?t|doesn'?t|didn'?t|can'?t|couldn'?t|won'?t|wouldn'?t|"
    r"shouldn'?t|hasn'?t|haven'?t)\b",
    re.IGNORECASE,
)
_EN_LEAD = re.compile(r"^(so|and|but|ok|okay|wait|hey|um|uh|like|yo|also|then|sorry|quick question)[,:]?\s+", re.I)
_ZH_YES_NO = re.compile(
    r"(吗|么|嘛)[？?！!。.\s]*$|是否|是不是|有没有|能不能|会不会|可不可以|可以不|还能.+不|算不算|让不让"
)

_EN_NEGATION = re.compile(r"\b(not|never|no longer|no more)\b|n't\b", re.IGNORECASE)
_EN_OR_NOT = re.compile(r"\b(or not|or no)\b", re.IGNORECASE)
_ZH_A_NOT_A = re.compile(r"(.)[不没]\1|有没有|还是不|还是没")
_ZH_NEGATION = re.compile("[不没未别非]")

_EN_RESTRICT = re.compile(
    r"\b(ban|bans|banned|banning|blocked|block|illegal|removed|shut ?down|gone|going away|go away|dead|"
    r"forced|must sell|have to sell)\b",
    re.IGNORECASE,
)
_EN_ALLOW = re.compile(
    r"\b(available|legal|allowed|still (use|work|download|open|around|here)|working|works|usable|back|safe)\b",
    re.IGNORECASE,
)
_ZH_RESTRICT = re.compile("被禁|禁用|禁止|封禁|封杀|下架|关停|关闭|消失|完蛋|凉了|非法|强制|必须出售")
_ZH_ALLOW = re.compile("能用|可以用|还能|可用|合法|允许|恢复|回来|上架|安全|正常")


def _without_lead(text: str) -> str:
    """An English question without the words that open chat messages ("so", "ok", "wait" ...)."""
    while (stripped := _EN_LEAD.sub("", text)) != text:
        text = stripped
    return text


def is_yes_no(question: str, lang: Lang) -> bool:
    """True for a closed question ("Is TikTok banned?", "TikTok被禁了吗？"), not for "what/when/why" ones."""
    text = question.strip()
    if lang == "zh":
        return bool(_ZH_YES_NO.search(text)) and not re.search("什么|啥|哪|怎么|为什么|为啥|多少|几|谁|何时", text)
    return bool(_EN_YES_NO.match(_without_lead(text)))


def orientation(question: str, lang: Lang) -> tuple[int, int] | None:
    """(direction, negations % 2): direction +1 when the question asks whether something is restricted
    ("banned?"), -1 when it asks whether it is allowed ("still available?"), 0 when it names neither ("Did
    the court uphold it?"); None when it names both sides and cannot be read."""
    if lang == "zh":
        text = _ZH_A_NOT_A.sub("", question)
        restrict, allow = bool(_ZH_RESTRICT.search(text)), bool(_ZH_ALLOW.search(text))
        negations = len(_ZH_NEGATION.findall(_ZH_ALLOW.sub("", _ZH_RESTRICT.sub("", text))))
    else:
        text = _EN_OR_NOT.sub("", question)
        restrict, allow = bool(_EN_RESTRICT.search(text)), bool(_EN_ALLOW.search(text))
        negations = len(_EN_NEGATION.findall(text))
    if restrict and allow:
        return None
    return (-1 if allow else 1 if restrict else 0), negations % 2


_EN_PAST = re.compile(r"^(was|were|did|had|wasn'?t|weren'?t|didn'?t|hadn'?t)\b", re.IGNORECASE)
_ZH_PAST = re.compile("过[吗么没]|当时|那时|那会|那阵|之前|曾经|以前")


def _past(question: str, lang: Lang) -> bool:
    """Whether a yes/no question asks about the past ("was it gone for a while?") rather than now."""
    if lang == "zh":
        return bool(_ZH_PAST.search(question))
    return bool(_EN_PAST.match(_without_lead(question.strip())))


def yes_no_prefix(question: str, canonical: str, polarity: Polarity | None, lang: Lang) -> str | None:
    """ "Yes."/"No." (是的。/不是。) for `question`, given the entry's answer `polarity` to its `canonical`
    question; None unless both are yes/no questions asked in comparable ways (a negated question such as
    "Isn't it banned?" is answered differently by different people, so it gets no prefix)."""
    if polarity is None or not is_yes_no(question, lang) or not is_yes_no(canonical, lang):
        return None
    if _past(question, lang) != _past(canonical, lang):
        return None  # "Was it gone from the stores for a while?" is not "Is it gone from the stores?"
    asked, reference = orientation(question, lang), orientation(canonical, lang)
    if asked is None or reference is None or asked[1] != reference[1]:
        return None
    if (asked[0] == 0 or reference[0] == 0) and (
        asked[0] != reference[0] or fuzz.token_set_ratio(question.lower(), canonical.lower()) < SAME_QUESTION
    ):
        return None  # "Did the court strike it down?" must not get the answer to "Did the court uphold it?"
    yes = (polarity == "yes") == (asked[0] == reference[0])
    if lang == "zh":
        return "是的。" if yes else "不是。"
    return "Yes." if yes else "No."
