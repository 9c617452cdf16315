"""Which of a series a question asks about ("the first extension", "第四次延期", "2nd tiktok delay"), so that
entries about the first of several look-alike events (five executive orders pausing enforcement) are told
apart from the fourth: the engines see the same words in all of them and mostly ignore the ordinal."""

from __future__ import annotations

import re
from collections.abc import Iterable

_EN = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5,
}  # fmt: skip
_ZH = {"第一": 1, "首次": 1, "头一": 1, "第二": 2, "第三": 3, "第四": 4, "第五": 5}
_SERIES_EN = (
    r"(?:tiktok\s+|trump\s+|ban\s+)*(?:extension|extend|delay|pause|postpone|executive order|eo\b|order|reprieve)"
)
_SERIES_ZH = "(?:次|道|个)?(?:TikTok|tiktok|tk)?(?:延期|暂缓|宽限|推迟|延长|行政令|延)"
_EN_ORDINAL = re.compile(rf"\b({'|'.join(_EN)})\s+(?:\w+\s+)?{_SERIES_EN}", re.IGNORECASE)
_ZH_ORDINAL = re.compile(f"({'|'.join(_ZH)}){_SERIES_ZH}")


def ordinals(text: str) -> frozenset[int]:
    """The places in a series of extensions or orders that `text` names (1 for "the first extension")."""
    found = {_EN[m.group(1).lower()] for m in _EN_ORDINAL.finditer(text)}
    found |= {_ZH[m.group(1)] for m in _ZH_ORDINAL.finditer(text)}
    return frozenset(found)


def entry_ordinals(questions: Iterable[str]) -> frozenset[int]:
    """The places an entry is about: those its own questions name."""
    return frozenset(n for q in questions for n in ordinals(q))
