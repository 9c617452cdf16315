"""Text helpers shared by the core and the adapters: cleaning user input and splitting long replies."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 500
"""Questions are cut to this length before matching: enough for any real question, bounded work."""

_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b|@\w{3,32}", re.IGNORECASE)
_MARKUP = re.compile(r"[*_`~|>#\[\]()]+")
_SPACE = re.compile(r"\s+")


def clean_question(raw: str) -> str:
    """Make user input safe to match: normalized, no control characters, mentions or markup, bounded length."""
    text = unicodedata.normalize("NFKC", raw[: MAX_QUESTION_CHARS * 4])
    text = _CONTROL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return _SPACE.sub(" ", text).strip()[:MAX_QUESTION_CHARS]


def split_message(text: str, limit: int) -> list[str]:
    """Split `text` into parts of at most `limit` characters, on paragraph, then line, then word boundaries."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def shorten(text: str, limit: int, *, one_line: bool = False) -> str:
    """`text` without surrounding space, cut to at most `limit` characters, ending with "…" when cut.

    The one way labels, titles and quotes of user input are trimmed; `one_line` also folds every run of
    whitespace (newlines included) into one space, for button labels and quotes.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = " ".join(text.split()) if one_line else text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
