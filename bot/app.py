"""The composition root: builds knowledge, storage, delivery, adapters and the health server; runs them on
one asyncio loop; shuts them down in reverse order on SIGTERM, Ctrl-C or the end of the console chat."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from bot import __version__
from bot.adapters.lifecycle import Backoff, PlatformUnavailableError, one_line
from bot.context import BotContext
from bot.curation import CurationService
from bot.delivery.engine import DeliveryEngine
from bot.delivery.ports import Sender
from bot.delivery.subscriptions import SubscriptionService
from bot.engine import AnswererFactory
from bot.engine.holder import KnowledgeHolder
from bot.engine.watch import watch_knowledge
from bot.freshness.digest import start_curator_digest
from bot.knowledge.check import overdue_entries
from bot.logging_setup import setup_logging
from bot.ops.database import DatabaseUnavailableError, open_database
from bot.ops.health import HealthServer, Probe
from bot.ops.metrics import MeteredFeedback, MeteredSender, Metrics
from bot.settings import CHAT_LOG_FILE, Settings
from bot.storage.base import Store
from bot.types import Platform

if TYPE_CHECKING:
    from bot.adapters.console import ConsoleChat

log = logging.getLogger(__name__)

KNOWLEDGE_POLL_SECONDS = 2.0
DRAIN_SECONDS = 5.0
"""At shutdown, sends in progress get this long to finish; the rest are released for another process."""


class Adapter(Protocol):
    @property
    def sender(self) -> Sender: ...

    @property
    def connected(self) -> bool:
        """Whether it can serve users now: /readyz is 503 while any adapter is not connected."""
        ...

    async def start(self) -> None:
        """Connect; raise PlatformUnavailableError when the platform cannot be reached (retried later)."""
        ...

    async def stop(self) -> None: ...


AdapterFactory = Callable[[BotContext], Adapter]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class App:
    """Everything that runs, built from settings. `start()` then `stop()`; tests drive it the same way.

    Tests may hand in a `store`, extra adapters (`adapter_factories`, built with the context like the real
    ones), the console's streams and a clock; `stop()` closes whatever `start()` got to, even after a failure.
    """

    settings: Settings
    clock: Callable[[], dt.datetime] = utc_now
    console_only: bool = False
    store: Store | None = None
    adapter_factories: Mapping[str, AdapterFactory] = field(default_factory=dict)
    stdin: TextIO | None = None
    stdout: TextIO | None = None
    knowledge_poll_seconds: float = KNOWLEDGE_POLL_SECONDS
    drain_seconds: float = DRAIN_SECONDS
    start_backoff: Callable[[], Backoff] = Backoff
    """Delays between tries to start an adapter whose platform cannot be reached (one Backoff per adapter)."""
    ctx: BotContext | None = None
    engine: DeliveryEngine | None = None
    adapters: dict[str, Adapter] = field(default_factory=dict)
    health: HealthServer | None = None
    console: ConsoleChat | None = None
    metrics: Metrics = field(default_factory=Metrics)
    _watcher: asyncio.Task[None] | None = None
    _digest: asyncio.Task[None] | None = None
    _starting: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def start(self) -> None:
        settings = self.settings
        factory = AnswererFactory.from_settings(settings)
        # Loading the encoder and indexing take a second or two: off the loop, like every reload.
        holder = await asyncio.to_thread(KnowledgeHolder, settings.knowledge_dir, None, factory)
        metrics = self.metrics
        if self.store is None:
            self.store = await open_database(settings)
        service = SubscriptionService(self.store, lambda: holder.kb, self.clock, settings)
        curation = CurationService(self.store, self.clock, settings)
        feedback = MeteredFeedback(curation, metrics)
        self.ctx = BotContext(holder, service, feedback, self.clock, settings, metrics=metrics, gaps=curation)
        self.adapters = self._build_adapters(self.ctx)
        senders: dict[Platform, Sender] = {
            a.sender.platform: MeteredSender(a.sender, metrics) for a in self.adapters.values()
        }
        if not self.adapters:
            from bot.adapters.console import ConsoleChat
            from bot.delivery.console_sender import ConsoleSender

            self.console = ConsoleChat(self.ctx, self.stdin, self.stdout)
            senders[Platform.CONSOLE] = MeteredSender(ConsoleSender(self.console.write), metrics)
        if not self.adapters and not self.console_only:
            log.warning(
                "no adapter runs: BANBOT_TELEGRAM_TOKEN and BANBOT_DISCORD_TOKEN are unset; "
                "console chat only, and /readyz answers 503"
            )
        for name, adapter in self.adapters.items():
            await self._start_adapter(name, adapter)
        self.engine = DeliveryEngine(self.store, lambda: holder.kb, senders, self.clock, settings)
        await self.engine.start()
        self._watcher = asyncio.create_task(watch_knowledge(holder, self.knowledge_poll_seconds))
        self._digest = start_curator_digest(settings, self.store, lambda: holder.kb, senders, self.clock)
        if settings.health_port is not None:
            self.health = self._build_health(holder, metrics)
            await self.health.start()
        log.info(
            "banbot %s running: adapters=%s knowledge=%s entries=%d",
            __version__,
            ",".join(self.adapters) or "console",
            holder.kb.version,
            len(holder.kb.entries),
        )

    async def _start_adapter(self, name: str, adapter: Adapter) -> None:
        """The first try now. A platform that cannot be reached is tried again in the background with backoff
        (one WARNING line a try, no traceback; the adapter is not ready meanwhile) instead of ending the
        process; anything else (a token the platform refuses, a bad setting) is raised: the bot stops."""
        backoff = self.start_backoff()
        try:
            await adapter.start()
        except PlatformUnavailableError as exc:
            delay = backoff.next()
            log.warning("adapter %s cannot start (try 1): %s; retrying in %.1f s", name, exc, delay)
            self._starting[name] = asyncio.create_task(
                self._keep_starting(name, adapter, backoff, delay), name=f"start-{name}"
            )
            return
        log.info("adapter started: %s", name)

    async def _keep_starting(self, name: str, adapter: Adapter, backoff: Backoff, delay: float) -> None:
        tries = 1
        while True:
            await asyncio.sleep(delay)
            tries += 1
            try:
                await adapter.start()
            except PlatformUnavailableError as exc:
                delay = backoff.next()
                log.warning("adapter %s cannot start (try %d): %s; retrying in %.1f s", name, tries, exc, delay)
                continue
            except Exception as exc:  # e.g. the token was revoked meanwhile: no retry fixes that
                log.error("adapter %s cannot start: %s; not retrying (/readyz stays 503)", name, one_line(exc))
                return
            log.info("adapter started: %s (try %d)", name, tries)
            return

    def _build_adapters(self, ctx: BotContext) -> dict[str, Adapter]:
        adapters: dict[str, Adapter] = {}
        if self.console_only:
            return adapters
        for name, make in self.adapter_factories.items():
            adapters[name] = make(ctx)
        if self.settings.telegram_token is not None:
            from bot.adapters.telegram_bot import TelegramAdapter

            adapters["telegram"] = TelegramAdapter(ctx)
        if self.settings.discord_token is not None:
            from bot.adapters.discord_bot import DiscordAdapter

            adapters["discord"] = DiscordAdapter(self.settings, ctx)
        return adapters

    def _build_health(self, holder: KnowledgeHolder, metrics: Metrics) -> HealthServer:
        assert self.store is not None
        store = self.store

        async def database() -> bool:
            await store.check_writable(self.clock())  # a read alone passed through a full disk
            return True

        def adapter_probe(adapter: Adapter) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return adapter.connected

            return check

        async def scheduler() -> bool:
            return self.engine is not None and self.engine.running

        async def knowledge() -> bool:
            return bool(holder.kb.entries)

        async def no_adapter() -> bool:
            # Ready means serving Discord or Telegram users. With no token set (the console chat, `banbot
            # chat` included) nobody is served: 503, as issue 13 asks, so that a deployment that lost its
            # tokens does not look healthy to its load balancer or orchestrator.
            return False

        probes = [Probe("database", database), Probe("scheduler", scheduler), Probe("knowledge", knowledge)]
        probes += [Probe(f"adapter:{name}", adapter_probe(a)) for name, a in self.adapters.items()]
        if not self.adapters:
            probes.append(Probe("adapters", no_adapter))

        async def refresh_gauges() -> None:
            metrics.knowledge_entries.set(len(holder.kb.entries))
            metrics.knowledge_overdue.set(len(overdue_entries(holder.kb, self.clock().date())))
            if self.engine is not None:
                metrics.scheduler_lag.set(self.engine.lag_seconds)
            for state, count in (await store.subscription_counts()).items():
                metrics.subscriptions.labels(state=state).set(count)

        def info() -> dict[str, object]:
            return {"version": __version__, "knowledge_version": holder.kb.version}

        return HealthServer(
            self.settings.health_host,
            self.settings.health_port or 0,
            metrics,
            probes=probes,
            info=info,
            before_metrics=refresh_gauges,
        )

    async def stop(self) -> None:
        """Stop in reverse order: no new work, then in-flight sends finish or are released, then storage."""
        for task in (*self._starting.values(), self._watcher, self._digest):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.health is not None:
            await self.health.stop()
        if self.engine is not None:
            await self.engine.stop(self.drain_seconds)
        for name, adapter in reversed(list(self.adapters.items())):
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s did not stop cleanly", name)
        if self.ctx is not None:
            await self.ctx.drain()
        if self.store is not None:
            await self.store.close()
        log.info("banbot stopped")


async def serve(app: App) -> None:
    """Run until SIGTERM/SIGINT, or until the user leaves the console chat.

    A second signal during shutdown is not caught any more: it ends the process at once. When `banbot run`
    has no adapters and its piped input ends (a container without stdin), the scheduler and health server
    keep running until a signal; `banbot chat` ends with its input.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)

    def on_signal(sig: signal.Signals) -> None:
        log.info("received %s: shutting down", sig.name)
        stop.set()
        for s in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(s)

    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    try:
        await app.start()
        stopping = asyncio.create_task(stop.wait())
        waiters: set[asyncio.Task[object]] = {stopping}
        chat: asyncio.Task[object] | None = None
        if app.console is not None:
            chat = asyncio.create_task(app.console.run())
            waiters.add(chat)
        done, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if chat is not None and chat in done and chat.result() == "eof" and not app.console_only:
            log.info("console input ended; running until SIGTERM or Ctrl-C")
            await stopping
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        await app.stop()
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def log_file(settings: Settings, *, console_only: bool) -> Path | None:
    """BANBOT_LOG_FILE; else CHAT_LOG_FILE when the console chat will own the terminal; else None (stderr)."""
    if settings.log_file is not None:
        return settings.log_file
    from bot.adapters.console import owns_terminal

    chat = console_only or (settings.telegram_token is None and settings.discord_token is None)
    return CHAT_LOG_FILE if chat and owns_terminal(sys.stdin, sys.stdout) else None


def _setup_logging(settings: Settings, *, console_only: bool) -> None:
    configured = (settings.telegram_token, settings.discord_token, settings.telegram_webhook_secret)
    secrets = [s.get_secret_value() for s in configured if s is not None]
    file = log_file(settings, console_only=console_only)
    try:
        setup_logging(settings.log_level, json_lines=settings.log_json, secrets=secrets, file=file)
    except OSError as exc:  # an unwritable log file must not stop the bot: log to stderr instead
        setup_logging(settings.log_level, json_lines=settings.log_json, secrets=secrets)
        log.warning("cannot write the log file %s (%s): logging to stderr", file, exc.strerror or exc)
        return
    if file is not None and settings.log_file is None:
        print(f"banbot: logs go to {file} while the console chat runs", file=sys.stderr)


def run_app(settings: Settings, *, console_only: bool = False) -> int:
    _setup_logging(settings, console_only=console_only)
    try:
        asyncio.run(serve(App(settings, console_only=console_only)))
    except KeyboardInterrupt:
        pass
    except DatabaseUnavailableError as exc:  # already one line naming the variable, password redacted
        log.error("banbot stopped: %s", exc)
        return 1
    except Exception as exc:  # one clear line for the operator (through logging, so secrets are redacted)
        log.error(
            "banbot stopped on an error: %s: %s", type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG)
        )
        return 1
    return 0
