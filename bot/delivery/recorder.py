"""Writes delivery outcomes, batching concurrent ones into one transaction, and never gives up on them.

An outcome is known once the platform has answered: the post went out, or failed for good. Losing it would
let the post be claimed and sent again, so a failed write is retried with backoff until storage is back (one
WARNING line a failed attempt) while the outcome waits in memory. Meanwhile the engine keeps renewing the
claim and never sends it again (`pending`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.storage.records import Outcome
from bot.types import Sleep

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.5


class OutcomeRecorder:
    """`record` returns once its outcome is durably written; the first write waits for nobody, later ones ride
    along with the next flush."""

    def __init__(
        self, write: Callable[[Sequence[Outcome]], Awaitable[None]], sleep: Sleep, *, retry_max_seconds: float
    ) -> None:
        self._write = write
        self._sleep = sleep
        self._retry_max = retry_max_seconds
        self._pending: dict[int, Outcome] = {}
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> set[int]:
        """Deliveries whose outcome is known but not yet written."""
        return set(self._pending)

    async def record(self, outcome: Outcome) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[outcome.delivery_id] = outcome
        self._waiters.setdefault(outcome.delivery_id, []).append(future)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="delivery-outcomes")
        await future  # cancelling the caller leaves the outcome pending: it is still written

    async def _run(self) -> None:
        failures = 0
        while self._pending:
            batch = dict(self._pending)
            try:
                await self._write(list(batch.values()))
            except Exception as exc:
                failures += 1
                delay = min(self._retry_max, FIRST_RETRY_SECONDS * 2 ** (failures - 1))
                log.warning(
                    "cannot record %d delivery outcome(s) (%s: %s); retry %d in %.1fs, none is sent again meanwhile",
                    len(batch),
                    type(exc).__name__,
                    exc,
                    failures,
                    delay,
                )
                await self._sleep(delay)
                continue
            if failures:
                log.info("recorded %d delivery outcome(s) after %d failed attempt(s)", len(batch), failures)
                failures = 0
            for delivery_id, outcome in batch.items():
                if self._pending.get(delivery_id) is outcome:
                    del self._pending[delivery_id]
                for future in self._waiters.pop(delivery_id, []):
                    if not future.done():
                        future.set_result(None)

    async def close(self, grace_seconds: float) -> set[int]:
        """Give unwritten outcomes `grace_seconds` more, then stop retrying; returns those still unwritten."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=grace_seconds)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return self.pending
