"""The local console chat: questions and commands on stdin, replies and countdown posts on stdout."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Literal, TextIO
from zoneinfo import ZoneInfo

from bot.context import BotContext
from bot.core.language import detect_language
from bot.core.messages import msg
from bot.core.models import Lang, Reply
from bot.core.render_text import render_plain
from bot.delivery.parsing import parse_timezone
from bot.errors import SubscriptionError
from bot.types import ChatRef, Platform

log = logging.getLogger(__name__)

CONSOLE_CHAT = ChatRef(Platform.CONSOLE, "console", is_group=False)
PROMPT = "you> "
QUIT = frozenset({"/quit", "/exit", "quit", "exit", "退出"})

ChatEnd = Literal["quit", "eof"]
"""How a chat ended: the user asked to leave (/quit, or end of input on a terminal), or piped input ran out."""


def owns_terminal(stdin: TextIO, stdout: TextIO) -> bool:
    """True when the chat runs on a terminal: the user reads its output there, so logs must go elsewhere."""
    return stdin.isatty() and stdout.isatty()


class _FdLines:
    """Lines read with os.read from a file descriptor.

    A thread blocked here holds no lock of Python's buffered stdin, so the process can exit while it waits
    (a thread blocked in sys.stdin.readline() makes shutdown hang or abort).
    """

    def __init__(self, fd: int, encoding: str) -> None:
        self._fd = fd
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = ""
        self._eof = False

    def readline(self) -> str | None:
        while "\n" not in self._pending and not self._eof:
            chunk = os.read(self._fd, 65536)
            self._eof = not chunk
            self._pending += self._decoder.decode(chunk, final=self._eof)
        line, newline, self._pending = self._pending.partition("\n")
        return (line + newline) or None


def _fd_lines(stream: TextIO) -> _FdLines | None:
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return _FdLines(fd, getattr(stream, "encoding", None) or "utf-8")


class ConsoleChat:
    """Reads lines until end of input or /quit. With a terminal, line editing and history come from readline."""

    def __init__(self, ctx: BotContext, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self._ctx = ctx
        self._in = stdin if stdin is not None else sys.stdin
        self._out = stdout if stdout is not None else sys.stdout
        self.interactive = owns_terminal(self._in, self._out)
        self._lines = None if self.interactive else _fd_lines(self._in)
        self._history: Path | None = None

    def write(self, text: str) -> None:
        """Print a block of text (replies and countdown posts both come through here)."""
        self._out.write(text.rstrip() + "\n\n")
        self._out.flush()

    async def run(self) -> ChatEnd:
        """Chat until /quit ("quit") or the end of input ("eof"; "quit" on a terminal, where it is Ctrl-D)."""
        self._setup_history()
        self.write(msg("console_welcome", "en"))
        try:
            while True:
                line = await self._next_line()
                if line is None:
                    return "quit" if self.interactive else "eof"
                if line.strip().lower() in QUIT:
                    return "quit"
                if line.strip():
                    self.write(await self._handle_safely(line))
        finally:
            self._save_history()

    async def _next_line(self) -> str | None:
        """The next input line, read in a daemon thread: a shutdown never waits for the user to type."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def deliver(line: str | None) -> None:
            if not future.done():
                future.set_result(line)

        def read() -> None:
            try:
                line = self._read_line()
            except Exception:  # an unreadable input ends the chat; it must not leave it waiting forever
                log.warning("console input failed; ending the chat", exc_info=True)
                line = None
            with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody is waiting
                loop.call_soon_threadsafe(deliver, line)

        threading.Thread(target=read, name="console-input", daemon=True).start()
        return await future

    async def _handle_safely(self, line: str) -> str:
        try:
            return await self.handle(line)
        except Exception:  # one bad line must not end the chat
            log.exception("console input failed")
            return msg("error", detect_language(line))

    async def handle(self, line: str) -> str:
        """The reply text for one input line: a command or a question."""
        text = line.strip()
        lang: Lang = detect_language(text)
        command, _, rest = text.partition(" ")
        command = command.lower()
        now = self._ctx.clock()
        answerer = self._ctx.knowledge.answerer
        try:
            if command == "/countdown":
                return render_plain(await self._countdown(rest.strip(), lang))
            if command == "/timeline":
                return render_plain(answerer.timeline(now, lang))
            if command == "/sources":
                return render_plain(answerer.sources(lang))
            if command in ("/help", "/start"):
                return render_plain(answerer.help(lang))
            if command in ("/subscribe", "/unsubscribe", "/subscriptions"):
                return await self._subscriptions(command, rest.split(), lang)
            question = rest if command == "/ask" else text
            return render_plain(self._ctx.ask(question, platform=Platform.CONSOLE))
        except SubscriptionError as exc:
            return str(exc)

    async def _countdown(self, arg: str, lang: Lang) -> Reply:
        """`/countdown [deadline id | time zone]`: in the zone given, else this chat's subscription zone, else UTC.

        A zone that cannot be read raises SubscriptionError with the shared parser's explanation.
        """
        answerer = self._ctx.knowledge.answerer
        now = self._ctx.clock()
        if arg.lower() in answerer.kb.deadlines:
            return answerer.countdown(now, lang, deadline_id=arg.lower())
        if arg:
            zone = parse_timezone(arg, lang)
        else:
            views = await self._ctx.subscriptions.list(CONSOLE_CHAT)
            zone = views[0].timezone if views else "UTC"
        return answerer.countdown(now, lang, tz=ZoneInfo(zone))

    async def _subscriptions(self, command: str, args: list[str], lang: Lang) -> str:
        """`/subscribe [deadline id] [HH:MM [time zone]] [modes]`, `/unsubscribe`, `/subscriptions`."""
        from bot.delivery.modes import extract_modes, render_subscribed, render_subscriptions

        subs = self._ctx.subscriptions
        deadlines = self._ctx.knowledge.kb.deadlines
        titles = {d.id: (d.title.zh if lang == "zh" else d.title.en) for d in deadlines.values()}
        if command == "/subscribe":
            modes, rest = extract_modes(" ".join(args))
            words = rest.split()
            deadline = next((w for w in words if w.lower() in deadlines), None)
            if deadline is not None:
                words.remove(deadline)
            view = await subs.subscribe(
                CONSOLE_CHAT,
                created_by="console",
                lang=lang,
                time_text=words[0] if words else None,
                tz_text=" ".join(words[1:]) or None,
                deadline_id=deadline,
                modes=modes,
            )
            return render_subscribed(view, lang, titles)
        if command == "/unsubscribe":
            count = await subs.unsubscribe(CONSOLE_CHAT, lang=lang)
            return msg("unsubscribed", lang, count=count) if count else msg("nothing_to_unsubscribe", lang)
        views = await subs.list(CONSOLE_CHAT)
        return render_subscriptions(views, lang, titles) if views else msg("no_subscriptions", lang)

    def _read_line(self) -> str | None:
        if self.interactive:
            try:
                return input(PROMPT)
            except EOFError:
                return None
        if self._lines is not None:
            return self._lines.readline()
        line = self._in.readline()
        return line or None

    def _setup_history(self) -> None:
        if not self.interactive:
            return
        with contextlib.suppress(ImportError, OSError):
            import readline

            self._history = Path.home() / ".banbot_history"
            if self._history.exists():
                readline.read_history_file(self._history)
            readline.set_history_length(500)

    def _save_history(self) -> None:
        if self._history is None:
            return
        with contextlib.suppress(ImportError, OSError):
            import readline

            readline.write_history_file(self._history)
