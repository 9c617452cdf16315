"""`banbot ask`: one question as text, or the JSON-lines contract the scorer and curators rely on."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, TextIO

from bot.core.answering import Answerer
from bot.core.models import Lang, Reply
from bot.core.render_text import answer_text, render_plain


def reply_to_json(item_id: Any, reply: Reply) -> dict[str, Any]:
    """The `banbot ask --jsonl` output object (DESIGN.md §3)."""
    return {
        "id": item_id,
        "answered": reply.answered,
        "answer": answer_text(reply),
        "entry": reply.entry_id,
        "confidence": reply.confidence,
        "sources": [s.url for s in reply.sources],
        "lang": reply.lang,
        "suggestions": [s.question for s in reply.suggestions],
    }


def parse_now(value: object, fallback: dt.datetime) -> dt.datetime:
    """An ISO-8601 time ('Z' allowed; naive means UTC); `fallback` when absent or unreadable."""
    if not isinstance(value, str):
        return fallback
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def ask_jsonl(answerer: Answerer, lines: Iterable[str], out: TextIO, lang: Lang | None = None) -> int:
    """Answer one JSON object per input line, writing one JSON object per line, in order. Returns the count."""
    count = 0
    for line in lines:
        if not line.strip():
            continue
        now = dt.datetime.now(dt.UTC)
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise TypeError("expected a JSON object")
        except (json.JSONDecodeError, TypeError) as exc:
            out.write(json.dumps({"id": None, "error": f"bad input line: {exc}"}) + "\n")
            count += 1
            continue
        question = item.get("question")
        reply = answerer.answer(question if isinstance(question, str) else "", parse_now(item.get("now"), now), lang)
        out.write(json.dumps(reply_to_json(item.get("id"), reply), ensure_ascii=False) + "\n")
        out.flush()
        count += 1
    return count


def ask_text(answerer: Answerer, question: str, now: dt.datetime, lang: Lang | None = None) -> str:
    return render_plain(answerer.answer(question, now, lang))
