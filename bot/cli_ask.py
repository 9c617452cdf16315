"""`banbot ask`: one question as text, or the JSON-lines contract the scorer and curators rely on.

The JSON-lines stream never ends early: every input line gets exactly one output line, in order. A line
that cannot be answered (blank, not UTF-8, not a JSON object, no question, a bad `now`…) gets the usual
object with `answered` false, an empty answer and an `error` field saying why.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Iterable
from typing import Any, BinaryIO

from bot.core.answering import Answerer
from bot.core.models import Lang, Reply
from bot.core.render_text import answer_text, render_plain

log = logging.getLogger(__name__)

EARLIEST_NOW = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST_NOW = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
"""`now` must fall in [EARLIEST_NOW, LATEST_NOW): date arithmetic in any time zone stays in range."""
ECHO_CHARS = 60
"""Longest piece of the input quoted back in an error message."""


class BadLineError(ValueError):
    """An input line that cannot be answered; the message says why, `item_id` is echoed when known."""

    def __init__(self, reason: str, item_id: object = None) -> None:
        super().__init__(reason)
        self.item_id = item_id


def _echo(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = _valid_unicode(text)
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "…"


def _has_surrogate(text: str) -> bool:
    """True when `text` holds a lone surrogate, which UTF-8 cannot encode (JSON allows "\\ud800")."""
    return any("\ud800" <= c <= "\udfff" for c in text)


def _valid_unicode(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD."""
    if not _has_surrogate(text):
        return text
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


def json_id(item_id: object) -> object:
    """The id as valid JSON: non-finite numbers as strings ("NaN", "Infinity"), invalid Unicode replaced."""
    if isinstance(item_id, float) and not math.isfinite(item_id):
        return "NaN" if math.isnan(item_id) else ("Infinity" if item_id > 0 else "-Infinity")
    if isinstance(item_id, str):
        return _valid_unicode(item_id)
    return item_id


def reply_to_json(item_id: Any, reply: Reply) -> dict[str, Any]:
    """The `banbot ask --jsonl` output object (DESIGN.md §3)."""
    return {
        "id": json_id(item_id),
        "answered": reply.answered,
        "outcome": reply.outcome,
        "answer": answer_text(reply),
        "entry": reply.entry_id,
        "confidence": reply.confidence,
        "sources": [s.url for s in reply.sources],
        "lang": reply.lang,
        "suggestions": [s.question for s in reply.suggestions],
    }


def error_to_json(item_id: object, reason: str, lang: Lang | None) -> dict[str, Any]:
    """The output object for a line that could not be answered: the same keys, plus `error`."""
    return {
        "id": json_id(item_id),
        "answered": False,
        "outcome": "decline",
        "answer": "",
        "entry": None,
        "confidence": 0.0,
        "sources": [],
        "lang": lang or "en",
        "suggestions": [],
        "error": reason,
    }


def parse_now(value: object, fallback: dt.datetime) -> dt.datetime:
    """An ISO-8601 time ('Z' allowed; naive means UTC), in UTC; `fallback` when absent (None).

    Anything else that is not such a time, or one outside 1900–2999, raises BadLineError.
    """
    if value is None:
        return fallback
    expected = "expected an ISO-8601 time such as 2025-01-10T12:00:00Z"
    if not isinstance(value, str):
        raise BadLineError(f"bad now {_echo(value)}: {expected}")
    out_of_range = f"bad now “{_echo(value)}”: out of range (years 1900 to 2999 in UTC)"
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadLineError(f"bad now “{_echo(value)}”: {expected}") from None
    try:
        utc = (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before the first representable UTC time
        raise BadLineError(out_of_range) from None
    if not EARLIEST_NOW <= utc < LATEST_NOW:
        raise BadLineError(out_of_range)
    return utc


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise BadLineError("not accepted: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise BadLineError(f"not JSON: {exc}") from None
    except ValueError:  # an integer with more digits than Python converts (sys.get_int_max_str_digits)
        raise BadLineError("not accepted: a number with too many digits") from None


def _decode(raw: bytes) -> Any:
    """The JSON value of one line. Invalid UTF-8 is an error, reported with the line's id when it has one."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8 (byte {exc.start + 1} of the line)"
        try:
            readable = _json(raw.decode("utf-8-sig", errors="replace"))
        except BadLineError:
            readable = None
        item_id = readable.get("id") if isinstance(readable, dict) else None
        raise BadLineError(reason, item_id if isinstance(item_id, str | int | float) else None) from None
    return _json(text)


def parse_line(raw: bytes, now: dt.datetime) -> tuple[object, str, dt.datetime]:
    """(id, question, now) from one input line; BadLineError (with the id, when known) when it is unusable."""
    if not raw.strip():
        raise BadLineError("blank line: expected a JSON object")
    item = _decode(raw)
    if not isinstance(item, dict):
        raise BadLineError(f"expected a JSON object, got {type(item).__name__}")
    item_id = item.get("id")
    if not (item_id is None or isinstance(item_id, str | int | float)):
        raise BadLineError(f"id must be a string or a number, not {type(item_id).__name__}")
    question = item.get("question")
    if not isinstance(question, str) or not question.strip():
        raise BadLineError("missing question: expected a non-empty string", item_id)
    if _has_surrogate(question) or (isinstance(item_id, str) and _has_surrogate(item_id)):
        raise BadLineError("not valid Unicode: a lone surrogate (\\ud800-\\udfff)", item_id)
    try:
        return item_id, question, parse_now(item.get("now"), now)
    except BadLineError as exc:
        raise BadLineError(str(exc), item_id) from None


def ask_jsonl(answerer: Answerer, lines: Iterable[bytes], out: BinaryIO, lang: Lang | None = None) -> int:
    """Answer one JSON object per input line, writing one UTF-8 JSON line per input line (a blank one too),
    in order. Returns the number of lines written.
    """
    count = 0
    for raw in lines:
        try:
            item_id, question, now = parse_line(raw, dt.datetime.now(dt.UTC))
        except BadLineError as exc:
            result = error_to_json(exc.item_id, str(exc), lang)
        else:
            try:
                result = reply_to_json(item_id, answerer.answer(question, now, lang))
            except Exception as exc:  # one unanswerable line must not end the stream
                log.warning("ask --jsonl: could not answer line %d", count + 1, exc_info=True)
                result = error_to_json(item_id, f"could not answer: {type(exc).__name__}", lang)
        out.write(json.dumps(result, ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n")
        out.flush()
        count += 1
    return count


def ask_text(answerer: Answerer, question: str, now: dt.datetime, lang: Lang | None = None) -> str:
    return render_plain(answerer.answer(question, now, lang))
