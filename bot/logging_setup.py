"""Logging: one line per event on stderr (or a file while the console chat owns the terminal), plain or JSON,
with secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

NOISY_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.ext.Updater",
    "discord.gateway",
    "discord.http",
    "apscheduler",
)
"""httpx logs every request URL at INFO, and Telegram URLs contain the token: these stay at WARNING."""


_TRACEBACKS = logging.Formatter()


class DropVoiceWarnings(logging.Filter):
    """discord.py warns at every start that voice needs PyNaCl and davey; banbot never joins voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


class RedactSecrets(logging.Filter):
    """Replaces any configured secret in a record's message, traceback and stack with '[redacted]'.

    Defence in depth: an exception's text (e.g. a request URL) can carry a token as easily as a message.
    Secrets shorter than `min_length` are left alone (a short one would mangle ordinary words), except on
    the library loggers known to print secrets, which use min_length=1.
    """

    def __init__(self, secrets: Iterable[str] = (), *, min_length: int = 8) -> None:
        super().__init__()
        self._min_length = min_length
        self._secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Redact these too (e.g. a secret generated after logging was set up)."""
        fresh = [s for s in secrets if len(s) >= self._min_length and s not in self._secrets]
        # longest first, so that a secret containing another is replaced whole
        self._secrets = sorted([*self._secrets, *fresh], key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class OneLineFormatter(logging.Formatter):
    """Keeps each event on one line: newlines in messages and tracebacks are escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and exc/stack when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["exc"] = record.exc_text
        if record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        return json.dumps(event, ensure_ascii=False)


def redact_everywhere(*secrets: str) -> None:
    """Add secrets to the redaction of every handler `setup_logging` installed."""
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, RedactSecrets):
                f.add(*secrets)


def setup_logging(
    level: str = "INFO",
    *,
    json_lines: bool = False,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    file: Path | None = None,
) -> None:
    """Configure the root logger once for the process: one line per event on `stream` (default stderr).

    With `file`, every event goes to that file instead and only errors still reach `stream`: the console
    chat owns the terminal, and log lines must not interleave with the conversation. Raises OSError when
    the file cannot be opened.
    """
    handlers: list[logging.Handler] = []
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    terminal = logging.StreamHandler(stream if stream is not None else sys.stderr)
    if file is not None:
        terminal.setLevel(logging.ERROR)
    handlers.append(terminal)
    formatter = JsonFormatter() if json_lines else OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactSecrets(secrets)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(redact)
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, logging.FileHandler):
            old.close()
    root.handlers[:] = handlers
    root.setLevel(level.upper())
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    voice = logging.getLogger("discord.client")
    if not any(isinstance(f, DropVoiceWarnings) for f in voice.filters):
        voice.addFilter(DropVoiceWarnings())
