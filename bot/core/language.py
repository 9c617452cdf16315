"""Language detection: Simplified Chinese when the text is mostly CJK, else English."""

from __future__ import annotations

import re

from bot.core.models import Lang
from bot.types import CJK

_LATIN_WORD = re.compile(r"[A-Za-z]+")


def detect_language(text: str) -> Lang:
    """'zh' when the Chinese part of the text outweighs the Latin part, else 'en'.

    Two Chinese characters count as about one English word: "TikTok什么时候被禁" is Chinese,
    "what is 小红书" is English (a Chinese name inside an English question).
    """
    cjk = len(CJK.findall(text))
    if cjk == 0:
        return "en"
    latin_words = len(_LATIN_WORD.findall(text))
    return "zh" if cjk / 2 > latin_words else "en"
