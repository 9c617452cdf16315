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
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TextIO

from bot.adapters._helpers import COMMANDS, Command, interface_lang, split_command, unknown_command_text
from bot.context import BotContext
from bot.core import messages as m
from bot.core.models import Lang, Reply, ReplyKind, Suggestion
from bot.core.render_text import render_plain
from bot.errors import SubscriptionError
from bot.types import ChatRef, Platform

log = logging.getLogger(__name__)

CONSOLE_CHAT = ChatRef(Platform.CONSOLE, "console", is_group=False)
PROMPT = "you> "
QUIT = frozenset({"/quit", "/exit", "quit", "exit", "退出"})
CONSOLE_COMMANDS = (*COMMANDS, "quit")

ChatEnd = Literal["quit", "eof"]
"""How a chat ended: the user asked to leave (/quit, or end of input on a terminal), or piped input ran out."""


def owns_terminal(stdin: TextIO, stdout: TextIO) -> bool:
    """True when the chat runs on a terminal: the user reads its output there, so logs must go elsewhere."""
    return stdin.isatty() and stdout.isatty()


def console_text(reply: Reply) -> str:
    """A reply in full, as a terminal shows it (there are no buttons): a question asked back numbers its choices,
    to be picked by typing the number; a decline lists the starter questions."""
    if reply.outcome == "clarify":
        return _choices_text(reply)
    text = render_plain(reply)
    if reply.kind is ReplyKind.DECLINE and reply.suggestions:
        text += "\n\n" + "\n".join([m.TRY_THESE.get(reply.lang), *(f"• {s.question}" for s in reply.suggestions)])
    return text


def _choices_text(reply: Reply) -> str:
    """The question asked back, its choices numbered ("1. …") in place of its bullet lines, and how to pick one."""
    offered = {s.question for s in reply.suggestions}
    asked = [line for line in reply.text.splitlines() if line.lstrip("•*- ").strip() not in offered]
    numbered = [f"{number}. {s.question}" for number, s in enumerate(reply.suggestions, start=1)]
    return "\n".join([*asked, *numbered]).strip() + "\n\n" + m.PICK_BY_NUMBER.get(reply.lang)


def picked_choice(line: str, choices: Sequence[Suggestion]) -> Suggestion | None:
    """The choice a line picks when it is just the number of one ("2", "2." or "２"); None for anything else."""
    number = line.strip().removesuffix(".")
    if not number.isdecimal() or len(number) > 3:
        return None
    index = int(number)
    return choices[index - 1] if 1 <= index <= len(choices) else None


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
        self._asked_back: Reply | None = None
        """The last reply when it asked back with numbered choices: the next line may pick one by its number."""

    def write(self, text: str) -> None:
        """Print a block of text (replies and countdown posts both come through here)."""
        self._out.write(text.rstrip() + "\n\n")
        self._out.flush()

    async def run(self) -> ChatEnd:
        """Chat until /quit ("quit") or the end of input ("eof"; "quit" on a terminal, where it is Ctrl-D)."""
        self._setup_history()
        self.write(m.CONSOLE_WELCOME.get("en"))
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
            return m.ERROR.get(interface_lang(None, line))

    async def handle(self, line: str) -> str:
        """The reply text for one input line: the number of a choice just offered, a command or a question."""
        text = line.strip()
        asked_back, self._asked_back = self._asked_back, None
        choice = picked_choice(text, asked_back.suggestions) if asked_back is not None else None
        if asked_back is not None and choice is not None:
            return await self._entry(choice.entry_id, asked_back.lang)
        lang = interface_lang(None, text)
        command = split_command(text)
        try:
            if command is None:
                return await self._ask(text)
            return await self._command(command, lang)
        except SubscriptionError as exc:
            return str(exc)

    async def _ask(self, question: str) -> str:
        reply = await self._ctx.ask(question, platform=Platform.CONSOLE)
        if reply.outcome == "clarify":
            self._asked_back = reply
        return console_text(reply)

    async def _entry(self, entry_id: str, lang: Lang) -> str:
        """The answer of the entry a numbered choice names."""
        reply = await self._ctx.entry(entry_id, platform=Platform.CONSOLE, lang=lang)
        return m.TOPIC_GONE.get(lang) if reply is None else console_text(reply)

    async def _command(self, command: Command, lang: Lang) -> str:
        ctx, args = self._ctx, command.args
        match command.name:
            case "ask":
                return await self._ask(args) if args else m.ASK_USAGE.get(lang)
            case "countdown":
                return console_text(
                    await ctx.countdown(platform=Platform.CONSOLE, lang=lang, chat=CONSOLE_CHAT, arg=args)
                )
            case "timeline":
                return console_text(await ctx.timeline(platform=Platform.CONSOLE, lang=lang))
            case "sources":
                return console_text(await ctx.sources(args or None, platform=Platform.CONSOLE, lang=lang))
            case "help" | "start":
                return console_text(await ctx.help(platform=Platform.CONSOLE, lang=lang))
            case "subscribe":
                return (await ctx.subscribe(CONSOLE_CHAT, args, created_by="console", lang=lang)).text
            case "unsubscribe":
                return (await ctx.unsubscribe(CONSOLE_CHAT, args, lang=lang)).text
            case "subscriptions":
                return await ctx.subscriptions_text(CONSOLE_CHAT, lang=lang)
        return unknown_command_text(command.name, lang, CONSOLE_COMMANDS)

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
