"""APScheduler 3 wiring: an in-memory AsyncIOScheduler that calls the engine's tick about once a minute.

APScheduler only provides the heartbeat; what is due and what was sent lives in our tables (DESIGN.md §8),
so the job store stays in memory and several processes can run side by side.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

JOB_ID = "banbot-delivery-tick"


class TickScheduler:
    """Runs `tick` every `seconds`, first right away; one run at a time, missed runs coalesced."""

    def __init__(self, tick: Callable[[], Awaitable[object]], seconds: float) -> None:
        self._tick = tick
        self._seconds = seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._current: asyncio.Task[object] | None = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)

    async def _run(self) -> None:
        if self._scheduler is None:  # stopped after APScheduler had already queued this run
            return
        self._current = asyncio.current_task()
        try:
            await self._tick()
        except Exception:
            log.exception("delivery tick failed; the next tick retries")
        finally:
            self._current = None

    def start(self) -> None:
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=dt.UTC)
        scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=self._seconds, timezone=dt.UTC),
            id=JOB_ID,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(self._seconds)),
            next_run_time=dt.datetime.now(dt.UTC),
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("delivery tick scheduled every %.0fs", self._seconds)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop ticking; a tick in progress finishes (or is cancelled after `grace_seconds`)."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        self._scheduler = None  # a run APScheduler has queued but not started sees this and returns
        scheduler.pause()
        current = self._current
        if current is not None and current is not asyncio.current_task():
            done, _ = await asyncio.wait({current}, timeout=grace_seconds)
            if not done:
                log.warning("delivery tick still running after %.0fs at shutdown; cancelling it", grace_seconds)
        scheduler.shutdown(wait=False)  # cancels whatever is still pending
