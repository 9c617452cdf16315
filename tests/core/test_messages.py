"""The interface string catalogue: both languages, the same fields, and bounded quotes of user input."""

from __future__ import annotations

import re
import string

from bot.core import messages as m
from bot.core.text import shorten

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _catalogue() -> dict[str, m.Message]:
    return {name: value for name, value in vars(m).items() if isinstance(value, m.Message)}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_string_has_both_languages_with_the_same_fields() -> None:
    catalogue = _catalogue()
    assert len(catalogue) > 40
    for name, message in catalogue.items():
        assert _fields(message.en) == _fields(message.zh), name
        assert CHINESE.search(message.zh) or name == "LIST_SEPARATOR", name


def test_get_fills_in_the_fields_in_the_language_asked() -> None:
    assert m.UNSUBSCRIBED_ALL.get("en", count=2) == "Unsubscribed: 2 subscription(s) removed."
    assert m.UNSUBSCRIBED_ALL.get("zh", count=2) == "已取消订阅：删除了 2 个订阅。"


def test_echo_and_shorten_bound_what_they_return() -> None:
    assert m.echo("  a\n\nb  ") == "a b"
    assert m.echo("x" * 500) == "x" * (m.ECHO_LIMIT - 1) + "…"
    assert shorten("  keep\n\nparagraphs  ", 100) == "keep\n\nparagraphs"
    assert shorten("word " * 10, 12) == "word word w…"
    assert shorten("two\nlines", 100, one_line=True) == "two lines"
