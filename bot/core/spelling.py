"""Chat spelling: the question as the knowledge would spell it, before either engine reads it.

Two steps. Curated spellings and nicknames (knowledge/synonyms.yaml `spellings`: `wen`, `bannd`, `tik tok`,
`小红薯`, `抖音国际版`) are rewritten first; they are phonetic, slang or too short for an edit distance to find.
Then each remaining English word the knowledge never uses is replaced by the closest word it does use
(`Index.correct`, rapidfuzz's edit ratio over the knowledge's own vocabulary, first letter kept). The
sentence encoder gets the result too: it never saw `bannd` or 小红薯 and would read them as noise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.core.tokens import phrase_alternation
from bot.knowledge.schema import Spelling
from bot.types import CJK_RUN

_LATIN_EDGE = r"(?<![\w.&'’])(?:{})(?![\w&]|\.\w)"
"""A whole word or phrase: not part of a longer word, nor of an abbreviation such as "u.s."."""
_WORD = re.compile(r"[A-Za-z][a-z]*")


class ChatSpelling:
    """Rewrites curated chat spellings, then lets `correct` fix each unknown English word."""

    def __init__(self, spellings: Iterable[Spelling], correct: Callable[[str], str | None] | None = None) -> None:
        latin: dict[str, str] = {}
        cjk: dict[str, str] = {}
        for spelling in spellings:
            for variant in spelling.variants:
                key = variant.lower()
                (cjk if CJK_RUN.search(key) else latin).setdefault(key, spelling.write)
        self._latin, self._cjk = latin, cjk
        self._latin_re = phrase_alternation(latin, _LATIN_EDGE, spacing=r"[\s\-]+", flags=re.IGNORECASE)
        self._cjk_re = phrase_alternation(cjk, "(?:{})")
        self._correct = correct

    def rewrite(self, question: str) -> str:
        """The question with the curated spellings rewritten (the lexical engine corrects typos itself, and
        counts a corrected word for less)."""
        text = question
        if self._cjk_re is not None:
            text = self._cjk_re.sub(self._cjk_replacement, text)
        if self._latin_re is not None:
            text = self._latin_re.sub(lambda m: self._latin[m.group(0).lower()], text)
        return text

    def correct(self, question: str) -> str:
        """`rewrite`, then every unknown lowercase English word replaced by the closest known one."""
        return _WORD.sub(self._corrected, self.rewrite(question))

    def _cjk_replacement(self, match: re.Match[str]) -> str:
        write = self._cjk[match.group(0)]
        # 字节 inside 字节跳动 is already the name: a variant that starts the written form stays
        return match.group(0) if match.string.startswith(write, match.start()) else write

    def _corrected(self, match: re.Match[str]) -> str:
        word = match.group(0)
        if self._correct is None or not word.islower():  # names and acronyms are left alone
            return word
        return self._correct(word) or word
