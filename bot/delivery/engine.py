"""The delivery engine: each tick claims due posts in the database, then sends them in the background.

A post is a countdown or an announcement, as the subscription's modes choose (bot.delivery.selection); both
go through the same claims, leases, pacing and recording.

Exactly once, through restarts, storage outages and several processes:
- a post is claimed by inserting its delivery row, unique per (subscription, local date) and, for an
  announcement, per (subscription, announcement): one process wins;
- a claim carries a short lease (30 s by default) that a heartbeat renews every sixth of it while the owner
  lives; a crashed owner's claims expire and the next heartbeat of any process takes them over, so within
  about 35 s (posts that were mid-send when it died may go out twice, nothing is lost). A store only one
  process uses (SQLite, memory) hands over a previous run's claims at start, without waiting;
- once the platform has answered, the outcome is kept in memory and written until storage takes it, the
  claim renewed meanwhile: a post known to be sent is never sent again, however long the outage;
- a row marked sent is never sent again;
- after downtime, only the latest missed post goes out, and only within the grace window.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.delivery.outbox import Deliverer, RetryPolicy, plan_claims
from bot.delivery.ports import Sender
from bot.delivery.ratelimit import Pacer, platform_limits
from bot.delivery.recorder import OutcomeRecorder
from bot.delivery.scheduler import Job, TickScheduler
from bot.delivery.selection import PostSelector, recent_announcements
from bot.knowledge.loader import KnowledgeBase
from bot.settings import Settings
from bot.storage.base import Store, claim_owner_id
from bot.storage.records import ClaimedDelivery, DeliveryState, Mode, Outcome, SubscriptionRecord
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
    quiet: int = 0
    """Subscriptions whose post time came with nothing to post that day (milestone or news modes)."""


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
        self._knowledge = knowledge_provider
        self.senders = dict(senders)
        self.clock = clock
        self.settings = settings
        self.owner = (owner or claim_owner_id())[:64]
        self.stats: Counter[str] = Counter()
        self._grace = dt.timedelta(seconds=max(settings.grace_hours * 3600, 2 * settings.tick_seconds))
        self._lease = dt.timedelta(seconds=settings.delivery_lease_seconds)
        self.heartbeat_seconds = settings.delivery_lease_seconds / 6
        self._recorder = OutcomeRecorder(store.record_outcomes, sleep, retry_max_seconds=self.heartbeat_seconds)
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
            recorder=self._recorder,
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
        self._scheduler = TickScheduler(
            [
                Job("tick", self.tick, settings.tick_seconds),
                Job("heartbeat", self.heartbeat, self.heartbeat_seconds, at_start=False),
            ]
        )
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
        await self.take_over_stale_claims()
        self._scheduler.start()

    async def take_over_stale_claims(self) -> int:
        """On a store no other process uses (SQLite, memory), whoever holds claims at start is a previous run
        that is gone: let the next tick take them at once instead of after their lease. Returns how many."""
        if self.store.shared:
            return 0
        expired = await self.store.expire_leases(self.clock())
        if expired:
            log.info("taking over %d claim(s) left by a previous run", expired)
        return expired

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop ticking, let sends in progress finish for `drain_seconds`, release the unsent rest at once.

        Posts already sent whose outcome storage has not taken yet keep their claims (releasing them would
        invite a resend) and get `drain_seconds` more to be written."""
        await self._scheduler.stop()
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=drain_seconds)
        pending = {d_id: t for d_id, t in self._tasks.items() if not t.done()}
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)
        unsent = [d_id for d_id in pending if d_id not in self._recorder.pending]
        if unsent:
            try:
                released = await self.store.release_leases(self.owner, unsent, self.clock())
            except Exception as exc:
                log.warning("could not release %d unsent claim(s) (%s); they expire with their lease", len(unsent), exc)
            else:
                log.info("delivery engine stopped; released %d unsent claim(s)", released)
        unrecorded = await self._recorder.close(drain_seconds)
        if unrecorded:
            log.error(
                "%d post(s) went out but storage did not take their outcome before shutdown; "
                "another process may send them again once their lease runs out",
                len(unrecorded),
            )
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

    async def heartbeat(self) -> int:
        """Renew this process's claims and take over expired ones; returns how many posts were taken over.

        A storage failure is logged in one line, not raised: the next heartbeat tries again."""
        try:
            reclaimed, skipped = await self._renew_and_reclaim(self.clock())
        except Exception as exc:
            log.warning("delivery heartbeat: storage unavailable (%s: %s); claims not renewed", type(exc).__name__, exc)
            return 0
        for delivery in reclaimed:
            self._dispatch(delivery)
        self._count(0, len(reclaimed), skipped)
        return len(reclaimed)

    async def _renew_and_reclaim(self, now: dt.datetime) -> tuple[list[ClaimedDelivery], int]:
        """Renew the leases of what this process works on; take over expired claims of dead processes (too
        late ones, or of subscriptions gone meanwhile, are skipped). Returns the posts to send, and how many
        were skipped."""
        lease_until = now + self._lease
        platforms = list(self.senders)
        if self._tasks:
            await self.store.renew_leases(self.owner, list(self._tasks), lease_until)
        room = self.settings.delivery_claim_batch - len(self._tasks)
        if room <= 0 or not platforms:
            return [], 0
        taken = await self.store.reclaim_expired(
            now, owner=self.owner, lease_until=lease_until, platforms=platforms, limit=room
        )
        reclaimed: list[ClaimedDelivery] = []
        stale: list[Outcome] = []
        for d in taken:
            if self._ours(d.id):  # our own claim, whose lease lapsed while storage was away
                continue
            sub = d.subscription
            if now - d.due_at > self._grace or not sub.active or sub.paused:
                why = "too late after a crash" if sub.active and not sub.paused else "subscription went away"
                log.warning("delivery %d (subscription %d): reclaimed but skipped: %s", d.id, sub.id, why)
                stale.append(Outcome(d.id, DeliveryState.SKIPPED, d.attempts, now, why))
            else:
                reclaimed.append(d)
        await self.store.record_outcomes(stale)
        return reclaimed, len(stale)

    async def _tick(self) -> TickReport:
        now = self.clock()
        reclaimed, skipped = await self._renew_and_reclaim(now)
        room = self.settings.delivery_claim_batch - len(self._tasks) - len(reclaimed)
        platforms = list(self.senders)
        fresh: list[ClaimedDelivery] = []
        quiet = 0
        if room > 0 and platforms:
            due = await self.store.due_subscriptions(now, platforms, room)
            plan = plan_claims(due, now, self._grace, (await self._selector(due, now)).choose)
            quiet = plan.quiet
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
            won = await self.store.claim(
                plan.claims, plan.advances, owner=self.owner, lease_until=now + self._lease, now=now
            )
            by_id = {sub.id: sub for sub in due}
            fresh = [
                ClaimedDelivery(
                    won[c.subscription_id], by_id[c.subscription_id], c.local_date, c.due_at, 0, c.announcement_id
                )
                for c in plan.claims
                if c.subscription_id in won
            ]
        for delivery in (*reclaimed, *fresh):
            self._dispatch(delivery)
        self._count(len(fresh), len(reclaimed), skipped)
        self.stats["quiet"] += quiet
        await self._maybe_prune(now)
        self._last_tick_at = now
        return TickReport(len(fresh), len(reclaimed), skipped, len(self._tasks), quiet)

    async def _selector(self, due: list[SubscriptionRecord], now: dt.datetime) -> PostSelector:
        """What each due subscription posts today, knowing which announcements it already has a row for."""
        kb = self._knowledge()
        window = self.settings.announcement_window_days
        recent = recent_announcements(kb, now, window)
        listening = [sub.id for sub in due if Mode.UPDATES in sub.modes]
        announced: set[tuple[int, str]] = set()
        if recent and listening:
            announced = await self.store.announced(listening, [a.id for a in recent])
        return PostSelector(kb, recent, announced, window_days=window)

    def _count(self, claimed: int, reclaimed: int, skipped: int) -> None:
        self.stats["claimed"] += claimed
        self.stats["reclaimed"] += reclaimed
        self.stats["skipped"] += skipped
        if claimed or reclaimed or skipped:
            log.info(
                "claimed %d, reclaimed %d, skipped %d, in flight %d", claimed, reclaimed, skipped, len(self._tasks)
            )

    def _ours(self, delivery_id: int) -> bool:
        """Being sent by this process, or sent with its outcome not yet written: never to be sent again."""
        return delivery_id in self._tasks or delivery_id in self._recorder.pending

    def _dispatch(self, delivery: ClaimedDelivery) -> None:
        if self._ours(delivery.id):
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
            # The row stays claimed; its lease is no longer renewed, so a later heartbeat reclaims it.
            log.exception("delivery %d: unexpected error; it will be retried after its lease", delivery.id)
            self.stats["errors"] += 1
            return
        self.stats[state.value] += 1

    async def _maybe_prune(self, now: dt.datetime) -> None:
        """Retention, hourly: delivery rows and 👍/👎 votes past their settings' age (gaps prune as they come)."""
        if self._last_prune is not None and now - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = now
        # Rows of announcements that may still be posted stay: they are what keeps each one to a single post.
        keep_days = max(self.settings.delivery_retention_days, self.settings.announcement_window_days + 2)
        before = (now - dt.timedelta(days=keep_days)).date()
        pruned = await self.store.prune_deliveries(before)
        if pruned:
            log.info("pruned %d delivery row(s) older than %s", pruned, before)
        votes_before = now - dt.timedelta(days=self.settings.feedback_retention_days)
        pruned = await self.store.prune_feedback(votes_before)
        if pruned:
            log.info("pruned %d feedback vote(s) older than %s", pruned, votes_before.date())
