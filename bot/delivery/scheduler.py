"""APScheduler 3 wiring: an in-memory AsyncIOScheduler that runs the engine's periodic jobs (the tick about
once a minute, the lease heartbeat every few seconds).

APScheduler only provides the heartbeat; what is due and what was sent lives in our tables (DESIGN.md §8),
so the job store stays in memory and several processes can run side by side.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run: Callable[[], Awaitable[object]]
    seconds: float
    at_start: bool = True
    """Run once right away, or first after one period."""


class TickScheduler:
    """Runs each job every `seconds`; one run of a job at a time, missed runs coalesced."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self._jobs = tuple(jobs)
        self._scheduler: AsyncIOScheduler | None = None
        self._current: dict[str, asyncio.Task[object]] = {}

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)

    async def _run(self, job: Job) -> None:
        if self._scheduler is None:  # stopped after APScheduler had already queued this run
            return
        task = asyncio.current_task()
        if task is not None:
            self._current[job.name] = task
        try:
            await job.run()
        except Exception:
            log.exception("delivery %s failed; the next run retries", job.name)
        finally:
            self._current.pop(job.name, None)

    def start(self) -> None:
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=dt.UTC)
        now = dt.datetime.now(dt.UTC)
        for job in self._jobs:
            scheduler.add_job(
                self._run,
                IntervalTrigger(seconds=job.seconds, timezone=dt.UTC),
                args=[job],
                id=f"banbot-delivery-{job.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(job.seconds)),
                next_run_time=now if job.at_start else now + dt.timedelta(seconds=job.seconds),
            )
            log.info("delivery %s scheduled every %.0fs", job.name, job.seconds)
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop; runs in progress finish (or are cancelled after `grace_seconds`)."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        self._scheduler = None  # a run APScheduler has queued but not started sees this and returns
        scheduler.pause()
        current = {t for t in self._current.values() if t is not asyncio.current_task()}
        if current:
            _, late = await asyncio.wait(current, timeout=grace_seconds)
            if late:
                log.warning("delivery job still running after %.0fs at shutdown; cancelling it", grace_seconds)
        scheduler.shutdown(wait=False)  # cancels whatever is still pending
