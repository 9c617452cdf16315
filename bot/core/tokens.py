"""Turning text into matching tokens: synonyms, English stems, Chinese character n-grams."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

from bot.knowledge.schema import SynonymGroup
from bot.types import CJK_RUN

_STEMMER = snowballstemmer.stemmer("english")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just let me more
    most my myself no nor not now of off on once only or other ought our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they this
    those through to too under up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves tell know please anyone explain wanna gonna gotta hey ok
    okay thing stuff really actually get got going go still also ever even much many yes yeah like say
    said vs versus lol pls plz isnt arent wasnt werent dont doesnt didnt cant couldnt wont wouldnt
    shouldnt hasnt havent hadnt im ive youre theyre thats whats whos idk rn ppl yo anymore tbh imo btw omg
    kinda sorta ngl bro guys someone somebody everyone everybody anybody literally basically""".split()  # noqa: SIM905 - a word list reads best as text
)
"""English words that carry no topic. Kept: 'us' (the country), 'ban', numbers, 'days', 'since', 'until'."""

_KEEP_EVEN_IF_STOP = frozenset({"us"})

ZH_COLLOQUIAL = (("啥", "什么"), ("咋", "怎么"), ("为毛", "为什么"), ("木有", "没有"), ("神马", "什么"))
"""Colloquial spellings read as the standard word before matching."""
ZH_FILLERS = re.compile("到底|究竟|请问|一下|知道|告诉我|真的假的|是不是|有没有|这个|那个|呢|吧|啊|呀|哈|嘛")
"""Chinese words that carry no topic; removed so they do not form character pairs with real words."""

ZH_STOPCHARS = frozenset("的了吗呢吧啊么是在和与及或也都就还我你他她它们这那个什怎为请问一有没不到把被让给对从会能要说")
"""Chinese characters too common to match on by themselves (they still count inside two-character pairs)."""

_LATIN_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")
_APOSTROPHE_S = re.compile(r"['’]s\b")
_SPACING = re.compile(r"[\s\-]+")
_WORD_JOINERS = re.compile(r"(?<=[a-z0-9])['’](?=[a-z])")


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """The English stem of a lowercase word; digits and short words are kept as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    return str(_STEMMER.stemWord(word))


def canonical_token(canonical: str) -> str:
    """The one token a synonym group becomes: 'app_store' -> 'appstore', never the two words 'app' and 'store'."""
    return canonical.replace("_", "")


class SynonymMap:
    """Rewrites every variant of a synonym group to its canonical token before tokenizing."""

    def __init__(self, groups: Iterable[SynonymGroup]) -> None:
        latin: dict[str, str] = {}
        cjk: dict[str, str] = {}
        for group in groups:
            token = canonical_token(group.canonical)
            for variant in [group.canonical.replace("_", " "), *group.variants]:
                key = variant.lower()
                target = cjk if CJK_RUN.search(key) else latin
                target.setdefault(key, token)
        self._cjk = cjk
        self._latin_by_shape: dict[str, str] = {}
        for key, token in latin.items():
            self._latin_by_shape.setdefault(_shape(key), token)
        self._latin_re = phrase_alternation(latin, r"(?<![a-z0-9])(?:{})(?![a-z0-9])")
        self._cjk_re = phrase_alternation(cjk, "(?:{})")

    def apply(self, text: str) -> str:
        """Lowercased `text` with every variant replaced by ' canonical '."""
        text = text.lower()
        if self._cjk_re is not None:
            text = self._cjk_re.sub(lambda m: f" {self._cjk[m.group(0)]} ", text)
        if self._latin_re is not None:
            text = self._latin_re.sub(lambda m: f" {self._latin_by_shape.get(_shape(m[0]), m[0])} ", text)
        return text


def phrase_alternation(
    phrases: Iterable[str], frame: str, *, spacing: str = r"[\s\-]*", flags: int = 0
) -> re.Pattern[str] | None:
    """One pattern matching any of `phrases`, longest first (so "抖音国际版" wins over "抖音"), a space inside a
    phrase matching `spacing`, the alternation put in `frame`'s {}; None for no phrases."""
    ordered = sorted(phrases, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile(frame.format("|".join(re.escape(p).replace(r"\ ", spacing) for p in ordered)), flags)


def _shape(phrase: str) -> str:
    """A phrase without its spaces and hyphens: 'tik-tok', 'tik tok' and 'tiktok' are one variant."""
    return _SPACING.sub("", phrase)


def tokenize(text: str, synonyms: SynonymMap) -> list[str]:
    """Tokens of `text`: English stems without stopwords, Chinese two-character pairs and single characters."""
    for colloquial, standard in ZH_COLLOQUIAL:
        text = text.replace(colloquial, standard)
    text = synonyms.apply(text)
    text = _APOSTROPHE_S.sub("", text)
    text = _WORD_JOINERS.sub("", text)
    tokens: list[str] = []
    for found in _LATIN_TOKEN.findall(text):
        word = found.replace(",", "")
        if word in STOPWORDS and word not in _KEEP_EVEN_IF_STOP:
            continue
        tokens.append(stem(word))
    text = ZH_FILLERS.sub(" ", text)
    for run in CJK_RUN.findall(text):
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        tokens.extend(ch for ch in run if ch not in ZH_STOPCHARS)
    return tokens
