"""The outbox: plan claims for due subscriptions, then send one claimed post and record what happened.

Planning: each due subscription's post day is decided by the time maths (local_times.decide_due) and what
it posts that day by its modes (selection.PostSelector): quiet days only move next_due_at on.

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

from bot.core.posts import announcement_post, countdown_post, post_ref
from bot.delivery.local_times import decide_due
from bot.delivery.ports import Post, Sender, SendResult, SendStatus
from bot.delivery.ratelimit import Pacer
from bot.delivery.recorder import OutcomeRecorder
from bot.delivery.selection import PostChoice
from bot.knowledge.loader import KnowledgeBase
from bot.storage.base import SubscriptionStore
from bot.storage.records import Advance, Claim, ClaimedDelivery, DeliveryState, Outcome, SubscriptionRecord
from bot.types import ChatRef, Clock, Platform, Sleep

log = logging.getLogger(__name__)


_MAX_MIGRATIONS = 2  # a chat that keeps "migrating" is treated as a failure, not followed forever
_RATE_LIMIT_ATTEMPTS_FACTOR = 4  # 429s are expected under load: allow more of them than transient errors


Chooser = Callable[[SubscriptionRecord, dt.date], PostChoice | None]
"""What a subscription posts on a post day (None: nothing that day); selection.PostSelector.choose."""


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    claims: list[Claim]
    advances: list[Advance]
    skipped: dict[int, int]
    """subscription id -> posts skipped because they were older than the grace window."""
    quiet: int = 0
    """Subscriptions due now with nothing to post today (milestone or news modes on an ordinary day)."""


def plan_claims(due: Sequence[SubscriptionRecord], now: dt.datetime, grace: dt.timedelta, choose: Chooser) -> ClaimPlan:
    """Decide, for each due subscription, which post (if any) to claim and when it is next due."""
    claims: list[Claim] = []
    advances: list[Advance] = []
    skipped: dict[int, int] = {}
    quiet = 0
    for sub in due:
        if sub.next_due_at is None:
            continue
        decision = decide_due(sub.next_due_at, now, sub.local_time, ZoneInfo(sub.timezone), grace)
        if decision.post is not None:
            choice = choose(sub, decision.post.local_date)
            if choice is None:
                quiet += 1
            else:
                claims.append(Claim(sub.id, decision.post.local_date, decision.post.at, choice.announcement_id))
        if decision.skipped:
            skipped[sub.id] = decision.skipped
        advances.append(Advance(sub.id, sub.next_due_at, decision.next_due.at))
    return ClaimPlan(claims, advances, skipped, quiet)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    backoff: float
    backoff_max: float

    def delay(self, failures: int) -> float:
        return float(min(self.backoff_max, self.backoff * (2 ** max(0, failures - 1))))


def render_post(kb: KnowledgeBase, delivery: ClaimedDelivery, chat: ChatRef) -> Post | None:
    """The post as of its own due time, so a late post still counts from its local date; None when its
    announcement has been withdrawn from the knowledge since it was claimed."""
    sub = delivery.subscription
    deadline_id = sub.deadline_id
    if deadline_id not in kb.deadlines:
        log.warning("subscription %d: deadline %r no longer exists, posting the primary", sub.id, deadline_id)
        deadline_id = kb.primary_deadline
    tz = ZoneInfo(sub.timezone)
    news = delivery.announcement_id
    if news is None:
        reply = countdown_post(kb, deadline_id, delivery.due_at, tz, sub.lang)
    elif news in kb.announcements:
        reply = announcement_post(kb, news, deadline_id=deadline_id, at=delivery.due_at, tz=tz, lang=sub.lang)
    else:
        return None
    return Post(chat=chat, reply=reply, key=delivery.key, more_ref=post_ref(deadline_id, news))


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
            log.exception("subscription %d: cannot render the post", sub.id)
            await self._finish(delivery, DeliveryState.FAILED, delivery.attempts, f"render: {exc!r}")
            return DeliveryState.FAILED
        if post is None:
            log.warning("subscription %d: announcement %s was withdrawn; not posted", sub.id, delivery.announcement_id)
            await self._finish(delivery, DeliveryState.SKIPPED, delivery.attempts, "announcement withdrawn")
            return DeliveryState.SKIPPED
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
