"""The outbox: plan claims for due subscriptions, then send one claimed post and record what happened.

Sending classifies every outcome (ports.SendStatus): SENT is recorded; RATE_LIMITED holds back that chat
only and retries; TRANSIENT retries with exponential backoff up to `send_max_attempts`; GONE deactivates
the chat's subscriptions; MIGRATED moves them to the new chat id and resends there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.countdown import render_countdown
from bot.delivery.local_times import decide_due
from bot.delivery.ports import Post, Sender, SendResult, SendStatus
from bot.delivery.ratelimit import Pacer
from bot.delivery.recorder import OutcomeRecorder
from bot.knowledge.loader import KnowledgeBase
from bot.storage.base import SubscriptionStore
from bot.storage.records import Advance, Claim, ClaimedDelivery, DeliveryState, Outcome, SubscriptionRecord
from bot.types import ChatRef, Clock, Platform, Sleep

log = logging.getLogger(__name__)


_MAX_MIGRATIONS = 2  # a chat that keeps "migrating" is treated as a failure, not followed forever
_RATE_LIMIT_ATTEMPTS_FACTOR = 4  # 429s are expected under load: allow more of them than transient errors


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    claims: list[Claim]
    advances: list[Advance]
    skipped: dict[int, int]
    """subscription id -> posts skipped because they were older than the grace window."""


def plan_claims(due: Sequence[SubscriptionRecord], now: dt.datetime, grace: dt.timedelta) -> ClaimPlan:
    """Decide, for each due subscription, which post (if any) to claim and when it is next due."""
    claims: list[Claim] = []
    advances: list[Advance] = []
    skipped: dict[int, int] = {}
    for sub in due:
        if sub.next_due_at is None:
            continue
        decision = decide_due(sub.next_due_at, now, sub.local_time, ZoneInfo(sub.timezone), grace)
        if decision.post is not None:
            claims.append(Claim(sub.id, decision.post.local_date, decision.post.at))
        if decision.skipped:
            skipped[sub.id] = decision.skipped
        advances.append(Advance(sub.id, sub.next_due_at, decision.next_due.at))
    return ClaimPlan(claims, advances, skipped)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    backoff: float
    backoff_max: float

    def delay(self, failures: int) -> float:
        return float(min(self.backoff_max, self.backoff * (2 ** max(0, failures - 1))))


def render_post(kb: KnowledgeBase, delivery: ClaimedDelivery, chat: ChatRef) -> Post:
    """The countdown as of the post's own due time, so a late post still counts from its local date."""
    sub = delivery.subscription
    deadline_id = sub.deadline_id
    if deadline_id not in kb.deadlines:
        log.warning("subscription %d: deadline %r no longer exists, posting the primary", sub.id, deadline_id)
        deadline_id = kb.primary_deadline
    reply = render_countdown(kb, deadline_id, delivery.due_at, ZoneInfo(sub.timezone), sub.lang)
    return Post(chat=chat, reply=reply, key=delivery.key)


class Deliverer:
    """Sends one claimed post through its platform's sender and pacer, retrying as its outcome says."""

    def __init__(
        self,
        *,
        store: SubscriptionStore,
        recorder: OutcomeRecorder,
        senders: Mapping[Platform, Sender],
        pacers: Mapping[Platform, Pacer],
        knowledge: Callable[[], KnowledgeBase],
        clock: Clock,
        sleep: Sleep,
        policy: RetryPolicy,
    ) -> None:
        self._store = store
        self._senders = senders
        self._pacers = pacers
        self._knowledge = knowledge
        self._clock = clock
        self._sleep = sleep
        self._policy = policy
        self._recorder = recorder

    async def _finish(self, delivery: ClaimedDelivery, state: DeliveryState, attempts: int, detail: str) -> None:
        await self._recorder.record(Outcome(delivery.id, state, attempts, self._clock(), detail or None))

    async def deliver(self, delivery: ClaimedDelivery) -> DeliveryState:
        sub = delivery.subscription
        sender = self._senders[sub.chat.platform]
        pacer = self._pacers[sub.chat.platform]
        chat = sub.chat
        try:
            post = render_post(self._knowledge(), delivery, chat)
        except Exception as exc:  # a broken knowledge reload must not kill the broadcast
            log.exception("subscription %d: cannot render the countdown", sub.id)
            await self._finish(delivery, DeliveryState.FAILED, delivery.attempts, f"render: {exc!r}")
            return DeliveryState.FAILED
        attempts, transient, migrations = delivery.attempts, 0, 0
        max_total = self._policy.max_attempts * _RATE_LIMIT_ATTEMPTS_FACTOR
        while True:
            await pacer.acquire(chat)
            attempts += 1
            try:
                result = await sender.send(post)
            except Exception as exc:  # senders should classify, but never let one bug stop the loop
                log.exception("subscription %d: sender raised", sub.id)
                result = SendResult(SendStatus.TRANSIENT, detail=f"sender raised {exc!r}")
            status = result.status
            if status is SendStatus.SENT:
                await self._finish(delivery, DeliveryState.SENT, attempts, "")
                return DeliveryState.SENT
            if status is SendStatus.GONE:
                n = await self._store.deactivate_chat(chat.platform, chat.chat_id, result.detail or "gone")
                log.warning(
                    "subscription %d: chat %s:%s is gone (%s); deactivated %d subscription(s)",
                    sub.id,
                    chat.platform.value,
                    chat.chat_id,
                    result.detail or "no detail",
                    n,
                )
                await self._finish(delivery, DeliveryState.FAILED, attempts, f"gone: {result.detail}")
                return DeliveryState.FAILED
            if status is SendStatus.MIGRATED and result.new_chat_id and migrations < _MAX_MIGRATIONS:
                migrations += 1
                n = await self._store.migrate_chat(chat.platform, chat.chat_id, result.new_chat_id)
                log.info(
                    "subscription %d: chat %s migrated to %s; moved %d subscription(s), resending",
                    sub.id,
                    chat.chat_id,
                    result.new_chat_id,
                    n,
                )
                chat = dataclasses.replace(chat, chat_id=result.new_chat_id)
                post = dataclasses.replace(post, chat=chat)
                continue
            if status is SendStatus.RATE_LIMITED and attempts < max_total:
                wait = result.retry_after if result.retry_after is not None else 1.0
                log.info("subscription %d: rate limited, chat held for %.1fs", sub.id, wait)
                pacer.hold(chat, wait)
                continue
            if status is SendStatus.TRANSIENT:
                transient += 1
                if transient < self._policy.max_attempts and attempts < max_total:
                    delay = self._policy.delay(transient)
                    log.info("subscription %d: transient failure (%s), retry in %.1fs", sub.id, result.detail, delay)
                    await self._sleep(delay)
                    continue
            log.warning(
                "subscription %d: giving up after %d attempt(s): %s %s", sub.id, attempts, status.value, result.detail
            )
            await self._finish(delivery, DeliveryState.FAILED, attempts, f"{status.value}: {result.detail}")
            return DeliveryState.FAILED
