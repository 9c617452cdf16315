"""The delivery engine: each tick claims due posts in the database, then sends them in the background.

Exactly once, through restarts and several processes:
- a post is claimed by inserting its delivery row, unique per (subscription, local date): one process wins;
- a claim carries a lease that the owner renews every tick; a crashed owner's claims expire and any
  process reclaims them (posts that were mid-send when it died may go out twice, nothing is lost);
- a row marked sent is never sent again;
- after downtime, only the latest missed post goes out, and only within the grace window.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.delivery.outbox import Deliverer, RetryPolicy, plan_claims
from bot.delivery.ports import Sender
from bot.delivery.ratelimit import Pacer, platform_limits
from bot.delivery.scheduler import TickScheduler
from bot.knowledge.loader import KnowledgeBase
from bot.settings import Settings
from bot.storage.base import Store
from bot.storage.records import ClaimedDelivery, DeliveryState, Outcome
from bot.types import Clock, Platform, Sleep

log = logging.getLogger(__name__)


_PRUNE_EVERY = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TickReport:
    claimed: int
    reclaimed: int
    skipped: int
    """Posts skipped: older than the grace window, or reclaimed for a subscription that went away."""
    in_flight: int


def _owner_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DeliveryEngine:
    """Claims, sends and records countdown posts. `start()` ticks on a schedule; `tick()` runs one tick."""

    def __init__(
        self,
        store: Store,
        knowledge_provider: Callable[[], KnowledgeBase],
        senders: Mapping[Platform, Sender],
        clock: Clock,
        settings: Settings,
        *,
        sleep: Sleep = asyncio.sleep,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.senders = dict(senders)
        self.clock = clock
        self.settings = settings
        self.owner = (owner or _owner_id())[:64]
        self.stats: Counter[str] = Counter()
        self._grace = dt.timedelta(seconds=max(settings.grace_hours * 3600, 2 * settings.tick_seconds))
        self._lease = dt.timedelta(seconds=settings.delivery_lease_seconds)
        self.pacers = {
            platform: Pacer(
                platform_limits(
                    platform,
                    telegram_rate_global=settings.telegram_rate_global,
                    telegram_rate_per_chat=settings.telegram_rate_per_chat,
                    telegram_rate_per_group_minute=settings.telegram_rate_per_group_minute,
                    discord_rate_global=settings.discord_rate_global,
                    discord_rate_per_channel_5s=settings.discord_rate_per_channel_5s,
                ),
                now=lambda: self.clock().timestamp(),
                sleep=sleep,
            )
            for platform in self.senders
        }
        self._deliverer = Deliverer(
            store=store,
            senders=self.senders,
            pacers=self.pacers,
            knowledge=knowledge_provider,
            clock=clock,
            sleep=sleep,
            policy=RetryPolicy(
                settings.send_max_attempts, settings.send_backoff_seconds, settings.send_backoff_max_seconds
            ),
        )
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._tick_lock = asyncio.Lock()
        self._scheduler = TickScheduler(self.tick, settings.tick_seconds)
        self._last_prune: dt.datetime | None = None
        self._last_tick_at: dt.datetime | None = None

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    @property
    def running(self) -> bool:
        """The scheduler is ticking (health check)."""
        return self._scheduler.running

    @property
    def lag_seconds(self) -> float:
        """How overdue the next tick is: 0 while ticks come on time (metrics); 0 before the first tick."""
        if self._last_tick_at is None:
            return 0.0
        late = (self.clock() - self._last_tick_at).total_seconds() - self.settings.tick_seconds
        return max(0.0, late)

    async def start(self) -> None:
        log.info("delivery engine %s starting for %s", self.owner, ",".join(p.value for p in self.senders))
        self._scheduler.start()

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop ticking, let sends in progress finish for `drain_seconds`, release the rest at once."""
        await self._scheduler.stop()
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=drain_seconds)
        pending = {d_id: t for d_id, t in self._tasks.items() if not t.done()}
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)
            released = await self.store.release_leases(self.owner, list(pending), self.clock())
            log.info("delivery engine stopped; released %d unsent claim(s)", released)
        log.info("delivery engine %s stopped", self.owner)

    async def wait_idle(self) -> None:
        """Wait until every claimed post has been sent or given up."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def run_once(self) -> TickReport:
        """One tick, then wait for its posts (tests and the CLI)."""
        report = await self.tick()
        await self.wait_idle()
        return report

    async def tick(self) -> TickReport:
        async with self._tick_lock:
            return await self._tick()

    async def _tick(self) -> TickReport:
        now = self.clock()
        lease_until = now + self._lease
        platforms = list(self.senders)
        if self._tasks:
            await self.store.renew_leases(self.owner, list(self._tasks), lease_until)
        room = self.settings.delivery_claim_batch - len(self._tasks)
        skipped = 0
        reclaimed: list[ClaimedDelivery] = []
        if room > 0 and platforms:
            taken = await self.store.reclaim_expired(
                now, owner=self.owner, lease_until=lease_until, platforms=platforms, limit=room
            )
            room -= len(taken)
            stale: list[Outcome] = []
            for d in taken:
                sub = d.subscription
                if now - d.due_at > self._grace or not sub.active or sub.paused:
                    why = "too late after a crash" if sub.active and not sub.paused else "subscription went away"
                    log.warning("delivery %d (subscription %d): reclaimed but skipped: %s", d.id, sub.id, why)
                    stale.append(Outcome(d.id, DeliveryState.SKIPPED, d.attempts, now, why))
                else:
                    reclaimed.append(d)
            await self.store.record_outcomes(stale)
            skipped += len(stale)
        fresh: list[ClaimedDelivery] = []
        if room > 0 and platforms:
            due = await self.store.due_subscriptions(now, platforms, room)
            plan = plan_claims(due, now, self._grace)
            if plan.skipped:
                for sub_id, n in plan.skipped.items():
                    log.debug("subscription %d: skipped %d post(s) older than the grace window", sub_id, n)
                log.warning(
                    "skipped %d stale post(s) of %d subscription(s) after downtime (grace %s)",
                    sum(plan.skipped.values()),
                    len(plan.skipped),
                    self._grace,
                )
                skipped += sum(plan.skipped.values())
            won = await self.store.claim(plan.claims, plan.advances, owner=self.owner, lease_until=lease_until, now=now)
            by_id = {sub.id: sub for sub in due}
            fresh = [
                ClaimedDelivery(won[c.subscription_id], by_id[c.subscription_id], c.local_date, c.due_at, 0)
                for c in plan.claims
                if c.subscription_id in won
            ]
        for delivery in (*reclaimed, *fresh):
            self._dispatch(delivery)
        self.stats["claimed"] += len(fresh)
        self.stats["reclaimed"] += len(reclaimed)
        self.stats["skipped"] += skipped
        if fresh or reclaimed or skipped:
            log.info(
                "tick: claimed %d, reclaimed %d, skipped %d, in flight %d",
                len(fresh),
                len(reclaimed),
                skipped,
                len(self._tasks),
            )
        await self._maybe_prune(now)
        self._last_tick_at = now
        return TickReport(len(fresh), len(reclaimed), skipped, len(self._tasks))

    def _dispatch(self, delivery: ClaimedDelivery) -> None:
        if delivery.id in self._tasks:
            return
        task = asyncio.create_task(self._deliver(delivery), name=f"delivery-{delivery.id}")
        self._tasks[delivery.id] = task
        d_id = delivery.id

        def forget(_task: asyncio.Task[None]) -> None:
            self._tasks.pop(d_id, None)

        task.add_done_callback(forget)

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        try:
            state = await self._deliverer.deliver(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The row stays claimed; its lease is no longer renewed, so a later tick reclaims it.
            log.exception("delivery %d: unexpected error; it will be retried after its lease", delivery.id)
            self.stats["errors"] += 1
            return
        self.stats[state.value] += 1

    async def _maybe_prune(self, now: dt.datetime) -> None:
        if self._last_prune is not None and now - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = now
        before = (now - dt.timedelta(days=self.settings.delivery_retention_days)).date()
        pruned = await self.store.prune_deliveries(before)
        if pruned:
            log.info("pruned %d delivery row(s) older than %s", pruned, before)
