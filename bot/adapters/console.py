"""The local console chat: questions and commands on stdin, replies and countdown posts on stdout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.context import BotContext
from bot.core.language import detect_language
from bot.core.messages import msg
from bot.core.models import Lang, Reply
from bot.core.render_text import render_plain
from bot.delivery.ports import ChatRef, Platform
from bot.errors import SubscriptionError

log = logging.getLogger(__name__)

CONSOLE_CHAT = ChatRef(Platform.CONSOLE, "console", is_group=False)
PROMPT = "you> "
QUIT = frozenset({"/quit", "/exit", "quit", "exit", "退出"})


class ConsoleChat:
    """Reads lines until end of input or /quit. With a terminal, line editing and history come from readline."""

    def __init__(self, ctx: BotContext, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        self._ctx = ctx
        self._in = stdin
        self._out = stdout
        self._interactive = stdin.isatty() and stdout.isatty()
        self._history: Path | None = None

    def write(self, text: str) -> None:
        """Print a block of text (replies and countdown posts both come through here)."""
        self._out.write(text.rstrip() + "\n\n")
        self._out.flush()

    async def run(self) -> None:
        self._setup_history()
        self.write(msg("console_welcome", "en"))
        loop = asyncio.get_running_loop()
        try:
            while True:
                line = await loop.run_in_executor(None, self._read_line)
                if line is None or line.strip().lower() in QUIT:
                    break
                if line.strip():
                    self.write(await self._handle_safely(line))
        finally:
            self._save_history()

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
                return render_plain(answerer.countdown(now, lang, deadline_id=rest.strip() or None))
            if command == "/timeline":
                return render_plain(answerer.timeline(now, lang))
            if command == "/sources":
                return render_plain(answerer.sources(lang))
            if command in ("/help", "/start"):
                return render_plain(answerer.help(lang))
            if command in ("/subscribe", "/unsubscribe", "/subscriptions"):
                return await self._subscriptions(command, rest.split(), lang)
            question = rest if command == "/ask" else text
            return self._render(self._ctx.ask(question, platform=Platform.CONSOLE))
        except SubscriptionError as exc:
            return str(exc)

    async def _subscriptions(self, command: str, args: list[str], lang: Lang) -> str:
        from bot.delivery.texts import render_subscribed, render_subscriptions

        subs = self._ctx.subscriptions
        if command == "/subscribe":
            time_text = args[0] if args else None
            tz_text = " ".join(args[1:]) or None
            view = await subs.subscribe(
                CONSOLE_CHAT, created_by="console", lang=lang, time_text=time_text, tz_text=tz_text
            )
            return render_subscribed(view, lang)
        if command == "/unsubscribe":
            count = await subs.unsubscribe(CONSOLE_CHAT, lang=lang)
            return msg("unsubscribed", lang, count=count) if count else msg("nothing_to_unsubscribe", lang)
        views = await subs.list(CONSOLE_CHAT)
        return render_subscriptions(views, lang) if views else msg("no_subscriptions", lang)

    @staticmethod
    def _render(reply: Reply) -> str:
        return render_plain(reply)

    def _read_line(self) -> str | None:
        if self._interactive:
            try:
                return input(PROMPT)
            except EOFError:
                return None
        line = self._in.readline()
        return line or None

    def _setup_history(self) -> None:
        if not self._interactive:
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
