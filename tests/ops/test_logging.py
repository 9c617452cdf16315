"""Logs: one line per event, plain or JSON, with configured secrets redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import NOISY_LOGGERS, RedactSecrets, setup_logging

TOKEN = "123456:ABC-secret-token-value"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A buffer to log to; the root logger is restored afterwards."""
    buffer = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, was in noisy.items():
            logging.getLogger(name).setLevel(was)


def log_events() -> None:
    log = logging.getLogger("bot.test")
    log.info("plain event %d", 1)
    log.warning("two\nlines")
    try:
        raise ValueError(f"request to https://api.telegram.org/bot{TOKEN}/getMe failed")
    except ValueError:
        log.exception("send failed for token %s", TOKEN)


def test_json_lines_one_object_per_event(stream: io.StringIO) -> None:
    setup_logging("INFO", json_lines=True, secrets=[TOKEN], stream=stream)
    log_events()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    events = [json.loads(line) for line in lines]
    assert [e["message"] for e in events[:2]] == ["plain event 1", "two\nlines"]
    assert {"time", "level", "logger", "message"} <= set(events[0])
    assert events[2]["level"] == "ERROR" and events[2]["logger"] == "bot.test"
    assert "Traceback" in events[2]["exc"] and "ValueError" in events[2]["exc"]
    assert TOKEN not in stream.getvalue()
    assert "[redacted]" in events[2]["message"] and "[redacted]" in events[2]["exc"]


def test_plain_lines_keep_multiline_messages_and_tracebacks_on_one_line(stream: io.StringIO) -> None:
    setup_logging("INFO", secrets=[TOKEN], stream=stream)
    log_events()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("INFO bot.test: plain event 1")
    assert lines[1].endswith("WARNING bot.test: two\\nlines")
    assert "Traceback (most recent call last):\\n" in lines[2]
    assert TOKEN not in stream.getvalue()


def test_level_and_noisy_loggers(stream: io.StringIO) -> None:
    setup_logging("warning", stream=stream)
    logging.getLogger("bot.test").info("hidden")
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
    logging.getLogger("bot.test").warning("shown")
    assert stream.getvalue().count("\n") == 1 and "shown" in stream.getvalue()
    assert logging.getLogger("httpx").level == logging.WARNING


def test_redact_secrets_filter_rewrites_the_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", (TOKEN,), None)
    assert RedactSecrets([TOKEN, "short"]).filter(record)  # never drops a record
    assert record.getMessage() == "token=[redacted]"
    untouched = logging.LogRecord("x", logging.INFO, __file__, 1, "short text", None, None)
    RedactSecrets(["short"]).filter(untouched)  # too short to be a secret: not matched everywhere
    assert untouched.getMessage() == "short text"
