"""Logs: one line per event, plain or JSON, with configured secrets redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import log_file
from bot.logging_setup import NOISY_LOGGERS, RedactSecrets, redact_everywhere, setup_logging
from bot.settings import CHAT_LOG_FILE, PROJECT_ROOT
from tests.delivery.support import make_settings

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
        for handler in root.handlers:
            handler.close()
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


def test_a_secret_known_after_setup_is_redacted_by_every_handler(stream: io.StringIO) -> None:
    setup_logging("DEBUG", secrets=[TOKEN], stream=stream)
    generated = "Zq9-generated-webhook-secret"  # e.g. made at start for a Telegram webhook
    redact_everywhere(generated)
    logging.getLogger("telegram.ext.ExtBot").debug("setWebhook with %s", {"secret_token": generated})
    logging.getLogger("bot.test").debug("token %s", TOKEN)
    assert generated not in stream.getvalue() and TOKEN not in stream.getvalue()
    assert stream.getvalue().count("[redacted]") == 2


def test_with_a_file_every_event_goes_there_and_only_errors_to_the_terminal(
    stream: io.StringIO, tmp_path: Path
) -> None:
    log_file = tmp_path / "logs" / "banbot.log"
    setup_logging("INFO", secrets=[TOKEN], stream=stream, file=log_file)
    log_events()
    logged = log_file.read_text(encoding="utf-8").splitlines()
    assert len(logged) == 3 and logged[0].endswith("INFO bot.test: plain event 1")
    (shown,) = stream.getvalue().splitlines()
    assert " ERROR bot.test: send failed for token [redacted]" in shown
    assert TOKEN not in log_file.read_text(encoding="utf-8") + stream.getvalue()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_logs_leave_the_terminal_only_while_the_console_chat_owns_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    console, with_token = make_settings(), make_settings(telegram_token="123:abc")
    assert log_file(console, console_only=False) is None  # piped: the conversation is on stdout, logs on stderr
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("sys.stdout", _Terminal())
    assert log_file(console, console_only=False) == CHAT_LOG_FILE == PROJECT_ROOT / "data" / "banbot.log"
    assert log_file(with_token, console_only=True) == CHAT_LOG_FILE  # `banbot chat`
    assert log_file(with_token, console_only=False) is None  # adapters run; no chat on the terminal
    chosen = make_settings(log_file=tmp_path / "bot.log")
    assert log_file(chosen, console_only=False) == tmp_path / "bot.log"


def test_discord_voice_warnings_are_not_logged() -> None:
    setup_logging("INFO")
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    discord_client = logging.getLogger("discord.client")
    discord_client.addHandler(handler)
    try:
        discord_client.warning("PyNaCl is not installed, voice will NOT be supported")
        discord_client.warning("something else")
    finally:
        discord_client.removeHandler(handler)
    assert seen == ["something else"]
