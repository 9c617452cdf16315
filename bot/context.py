"""The one facade every adapter talks to: answers, countdowns, subscriptions, feedback and the rate limit.

Adapters never reach the answerer, the knowledge or storage themselves. Each call here is metered, runs the
core's CPU work in a worker thread (the loop keeps serving other chats), and applies the policies that must
not differ between surfaces: which time zone a countdown uses, the subscription texts, which votes count (each
carries its voter: storage keeps one per user and entry), one rate-limit notice per window.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core import messages as m
from bot.core.countdown import heading
from bot.core.models import Lang, Reply, ReplyKind, Suggestion
from bot.core.posts import post_more, post_ref
from bot.core.ratelimit import UserRateLimiter
from bot.core.text import shorten
from bot.curation import FeedbackRecorder, scrub_gap_text
from bot.delivery.parsing import (
    UNSUBSCRIBE_ALL,
    parse_deadline,
    parse_subscribe_args,
    parse_timezone,
    parse_unsubscribe_arg,
)
from bot.delivery.ports import Subscriptions, SubscriptionView
from bot.delivery.texts import (
    TimeFormat,
    format_post_time,
    render_subscribed,
    render_subscriptions,
    render_unsubscribed,
    render_which,
)
from bot.engine.holder import KnowledgeHolder
from bot.knowledge.loader import KnowledgeBase
from bot.ops.metrics import Metrics
from bot.settings import Settings
from bot.types import ChatRef, Clock, Platform

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.35
"""Answers below this confidence are kept for curators (`banbot kb gaps`) along with abstentions."""

LOGGED_QUESTION_CHARS = 100
"""A question asked back about ("did you mean") is logged for curators shortened to this many characters, and
scrubbed as a gap is (no mentions, e-mails or long numbers: nothing that names a user)."""


POST_KEY_CHARS = 12
"""Hex digits of a post key: 48 bits, for the few dozen posts the knowledge can name."""


def post_key(ref: str) -> str:
    """A post's "More" button payload: a short, stable digest of its `Post.more_ref` (which can outgrow a
    Telegram callback), the same in every process and after a restart; `BotContext.post_more` resolves it."""
    return hashlib.sha256(ref.encode()).hexdigest()[:POST_KEY_CHARS]


class GapRecorder(Protocol):
    async def record_gap(self, text: str, lang: Lang, confidence: float, now: dt.datetime) -> None: ...


class Usage(StrEnum):
    """What a user spends: each kind has its own allowance, so /help never uses up the questions."""

    QUESTION = "question"  # an answer: a question, a "More" tap, a related-question tap
    COMMAND = "command"  # a fixed reply or a subscription command
    INLINE = "inline"  # a Telegram inline query (sent while the user types)
    VOTE = "vote"  # 👍/👎


ALLOWANCE_FACTOR: dict[Usage, int] = {Usage.QUESTION: 1, Usage.COMMAND: 4, Usage.INLINE: 4, Usage.VOTE: 4}
"""Each kind's allowance per window, as a multiple of BANBOT_USER_RATE_LIMIT."""


class Admission(StrEnum):
    ALLOW = "allow"
    NOTIFY = "notify"
    """Over the limit: tell the user (once per window)."""
    QUIET = "quiet"
    """Over the limit and already told: say nothing."""


class Vote(StrEnum):
    RECORDED = "recorded"
    """Counted, replacing this user's earlier vote on the entry (storage keeps one per user and entry)."""
    UNKNOWN_ENTRY = "unknown_entry"
    """No such entry (an old button after a knowledge change, or forged callback data)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The text to show after a subscription command, and whether it changed anything (worth showing to all)."""

    text: str
    changed: bool


@dataclass
class BotContext:
    knowledge: KnowledgeHolder
    subscriptions: Subscriptions
    feedback: FeedbackRecorder
    clock: Clock
    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    gaps: GapRecorder | None = None
    _background: set[asyncio.Task[None]] = field(default_factory=set, repr=False)
    _limiters: dict[Usage, UserRateLimiter] = field(init=False, repr=False)
    _post_refs: tuple[KnowledgeBase | None, dict[str, str]] = field(default=(None, {}), init=False, repr=False)

    def __post_init__(self) -> None:
        limit, window = self.settings.user_rate_limit, self.settings.user_rate_window_seconds
        self._limiters = {usage: UserRateLimiter(limit * f, window) for usage, f in ALLOWANCE_FACTOR.items()}

    # --- the rate limit ----------------------------------------------------------------------------

    def allow(self, platform: Platform, user: str | int, usage: Usage = Usage.QUESTION) -> Admission:
        """Spend one of the user's `usage` allowance; over it, say whether to tell them (once a window per allowance:
        the limiter's `notice_due`)."""
        key, limiter = f"{platform.value}:{user}", self._limiters[usage]
        if limiter.allow(key):
            return Admission.ALLOW
        notify = limiter.notice_due(key)
        log.info("rate limited: platform=%s usage=%s notice=%s", platform.value, usage.value, notify)
        return Admission.NOTIFY if notify else Admission.QUIET

    # --- answers -----------------------------------------------------------------------------------

    async def ask(self, question: str, *, platform: Platform, lang: Lang | None = None) -> Reply:
        """Answer a user's question now; count it, and keep it for curators when the bot was unsure (a question
        asked back, "did you mean", is also one log line: the question shortened, the entries offered, no user)."""
        now = self.clock()
        answerer = self.knowledge.answerer
        tz = self.default_zone
        reply = await self._metered(platform, lambda: answerer.answer(question, now, lang=lang, tz=tz))
        unsure = reply.kind in (ReplyKind.UNKNOWN, ReplyKind.SUGGEST, ReplyKind.DECLINE) or (
            reply.kind is ReplyKind.ANSWER and reply.confidence < LOW_CONFIDENCE
        )
        if unsure and question.strip() and self.gaps is not None:
            self._spawn(self._record_gap(question, reply, now))
        if reply.outcome == "clarify":
            log.info(
                "clarify: platform=%s lang=%s question=%r offered=%s",
                platform.value,
                reply.lang,
                shorten(scrub_gap_text(question), LOGGED_QUESTION_CHARS, one_line=True),
                ",".join(s.entry_id for s in reply.suggestions),
            )
        return reply

    async def entry(self, entry_id: str, *, platform: Platform, lang: Lang) -> Reply | None:
        """One entry's answer (for buttons); None when there is no such entry."""
        now = self.clock()
        answerer = self.knowledge.answerer
        if entry_id not in answerer.kb.entries:
            log.info("unknown entry asked for: platform=%s entry=%.80r", platform.value, entry_id)
            return None
        return await self._metered(platform, lambda: answerer.entry_reply(entry_id, now, lang, self.default_zone))

    async def countdown(
        self,
        *,
        platform: Platform,
        lang: Lang,
        chat: ChatRef | None = None,
        arg: str = "",
        when: TimeFormat | None = None,
    ) -> Reply:
        """`/countdown [deadline | time zone]`: in the zone given, else the chat's subscription zone, else the
        default zone. A zone that cannot be read raises SubscriptionError with the shared parser's explanation.
        With `when` (a platform that shows times in each reader's own zone), a last line shows the deadline's
        moment that way, beside the zone the days are counted in."""
        now = self.clock()
        answerer = self.knowledge.answerer
        wanted = arg.strip()
        deadline = wanted.lower() if wanted.lower() in answerer.kb.deadlines else None
        if wanted and deadline is None:
            tz = ZoneInfo(parse_timezone(wanted, lang))
        else:
            tz = await self.zone_of(chat)
        reply = await self._metered(platform, lambda: answerer.countdown(now, lang, tz, deadline))
        if when is None:
            return reply
        moment = answerer.kb.deadlines[deadline or answerer.kb.primary_deadline].at
        line = m.COUNTDOWN_MOMENT.get(lang, when=when(moment, lang), tz=tz.key)
        return dataclasses.replace(reply, text=f"{reply.text}\n\n{line}")

    async def timeline(self, *, platform: Platform, lang: Lang) -> Reply:
        now = self.clock()
        answerer = self.knowledge.answerer
        return await self._metered(platform, lambda: answerer.timeline(now, lang))

    async def sources(self, topic: str | None = None, *, platform: Platform, lang: Lang) -> Reply:
        """Every source of the entry `topic` names, or the most cited sources when it names none."""
        answerer = self.knowledge.answerer
        return await self._metered(platform, lambda: answerer.sources(lang, topic))

    async def help(self, *, platform: Platform, lang: Lang) -> Reply:
        answerer = self.knowledge.answerer
        return await self._metered(platform, lambda: answerer.help(lang))

    async def autocomplete(self, text: str, *, lang: Lang | None = None, limit: int = 25) -> list[Suggestion]:
        """Known questions matching what the user has typed so far."""
        answerer = self.knowledge.answerer
        return await asyncio.to_thread(answerer.autocomplete, text, lang, limit)

    async def post_more(self, key: str, *, platform: Platform, lang: Lang, chat: ChatRef | None) -> Reply | None:
        """The whole post a "More" button's `post_key` names, as of now in the chat's zone; None when the
        knowledge no longer has it (or the key was forged)."""
        kb = self.knowledge.kb
        ref = self._post_ref(kb, key)
        if ref is None:
            log.info("unknown post asked for: platform=%s key=%.20r", platform.value, key)
            return None
        now, tz = self.clock(), await self.zone_of(chat)
        start = time.perf_counter()
        reply = await asyncio.to_thread(post_more, kb, ref, now, tz, lang)
        if reply is not None:
            self.metrics.observe_reply(platform.value, reply, time.perf_counter() - start)
        return reply

    def _post_ref(self, kb: KnowledgeBase, key: str) -> str | None:
        """The post reference behind a key, from an index rebuilt whenever the knowledge is reloaded."""
        indexed, refs = self._post_refs
        if indexed is not kb:
            every = [post_ref(d, None) for d in kb.deadlines] + [post_ref("", a) for a in kb.announcements]
            refs = {post_key(ref): ref for ref in every}
            self._post_refs = (kb, refs)
        return refs.get(key)

    @property
    def default_zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.default_timezone)

    async def zone_of(self, chat: ChatRef | None) -> ZoneInfo:
        """The chat's countdown zone: its first subscription's, else the default (also when storage is down)."""
        if chat is not None:
            try:
                views = await self.subscriptions.list(chat)
            except Exception as exc:  # a countdown must not fail because the database does
                log.warning("subscription zone unavailable, using the default: %r", exc)
                views = []
            for view in views:
                if view.active:
                    return ZoneInfo(view.timezone)
        return self.default_zone

    # --- subscriptions -----------------------------------------------------------------------------

    def deadline_titles(self, lang: Lang) -> dict[str, str]:
        return {d.id: d.title.get(lang) for d in self.knowledge.kb.deadlines.values()}

    def deadline_choices(self, typed: str, lang: Lang, limit: int = 25) -> list[tuple[str, str]]:
        """(id, heading) of the deadlines whose heading, title or id contains what was typed, in date order."""
        wanted = typed.strip().casefold()
        found = []
        for d in sorted(self.knowledge.kb.deadlines.values(), key=lambda d: (d.at, d.id)):
            shown = heading(d, lang)
            if not wanted or any(wanted in text.casefold() for text in (shown, d.title.get(lang), d.id)):
                found.append((d.id, shown))
        return found[:limit]

    def deadline_id(self, typed: str, lang: Lang) -> str:
        """The deadline an option names, by id, heading or title (what a user may type instead of picking);
        anything else raises SubscriptionError listing the deadlines."""
        kb = self.knowledge.kb
        wanted = typed.strip().casefold()
        for d in kb.deadlines.values():
            if wanted in (d.id, heading(d, lang).casefold(), d.title.get(lang).casefold()):
                return d.id
        return parse_deadline(typed, list(kb.deadlines), kb.primary_deadline, lang)

    async def subscriptions_of(self, chat: ChatRef) -> list[SubscriptionView]:
        """The chat's active subscriptions."""
        return [view for view in await self.subscriptions.list(chat) if view.active]

    async def subscriptions_text(self, chat: ChatRef, *, lang: Lang, when: TimeFormat = format_post_time) -> str:
        return render_subscriptions(await self.subscriptions_of(chat), lang, self.deadline_titles(lang), when=when)

    async def subscribe(
        self, chat: ChatRef, args: str, *, created_by: str, lang: Lang, when: TimeFormat = format_post_time
    ) -> Outcome:
        """`/subscribe [HH:MM] [time zone] [daily|milestones|updates …] [deadline id]`, in any order; with no
        mode, the default for the deadline (daily while it is ahead, milestones and updates once it has come).
        The same subscription asked for with other modes changes them. Refusals raise SubscriptionError with
        a message for the user."""
        parsed = parse_subscribe_args(args, self.knowledge.kb.deadlines)
        before = {view.id for view in await self.subscriptions.list(chat)}
        view = await self.subscriptions.subscribe(
            chat,
            created_by=created_by,
            lang=lang,
            time_text=parsed.time_text,
            tz_text=parsed.tz_text,
            deadline_id=parsed.deadline_id,
            modes=parsed.modes,
        )
        changed = view.id in before
        log.info(
            "%s: platform=%s chat=%s subscription=%s",
            "modes changed" if changed else "subscribed",
            chat.platform.value,
            chat.chat_id,
            view.id,
        )
        text = render_subscribed(view, lang, self.deadline_titles(lang), changed=changed, when=when)
        return Outcome(text, changed=True)

    async def unsubscribe(self, chat: ChatRef, arg: str, *, lang: Lang, when: TimeFormat = format_post_time) -> Outcome:
        """`/unsubscribe [number | all]`: removes only what was asked. With no argument, the chat's only
        subscription; with several, it asks which. A bad argument raises SubscriptionError with the usage."""
        target = parse_unsubscribe_arg(arg, lang)
        views = await self.subscriptions_of(chat)
        titles = self.deadline_titles(lang)
        if target is None and len(views) > 1:
            return Outcome(render_which(views, lang, titles, when=when), changed=False)
        if not views:
            return Outcome(render_subscriptions(views, lang, titles), changed=False)
        subscription_id = views[0].id if target is None else None if target == UNSUBSCRIBE_ALL else target
        count = await self.subscriptions.unsubscribe(chat, lang=lang, subscription_id=subscription_id)
        log.info("unsubscribed: platform=%s chat=%s count=%d", chat.platform.value, chat.chat_id, count)
        removed = [v for v in views if subscription_id is None or v.id == subscription_id]
        if not count or not removed:
            return Outcome(render_subscriptions([], lang, titles), changed=False)
        return Outcome(render_unsubscribed(removed, lang, titles), changed=True)

    async def chat_gone(self, chat: ChatRef, reason: str) -> int:
        return await self.subscriptions.chat_gone(chat, reason)

    async def chat_migrated(self, chat: ChatRef, new_chat_id: str) -> int:
        return await self.subscriptions.chat_migrated(chat, new_chat_id)

    # --- feedback ----------------------------------------------------------------------------------

    async def vote(self, platform: Platform, user: str | int, entry_id: str, helpful: bool) -> Vote:
        """👍/👎 on an entry's answer: storage keeps one per user and entry (the last); unknown entries are refused."""
        if entry_id not in self.knowledge.kb.entries:
            log.info("vote on an unknown entry refused: platform=%s entry=%.80r", platform.value, entry_id)
            return Vote.UNKNOWN_ENTRY
        try:
            await self.feedback.record_feedback(platform, entry_id, helpful, voter=str(user))
        except Exception as exc:  # a vote lost to a storage problem must not become an error for the user
            log.warning("vote not stored: platform=%s entry=%s error=%r", platform.value, entry_id, exc)
        log.info("vote: platform=%s entry=%s helpful=%s", platform.value, entry_id, helpful)
        return Vote.RECORDED

    # --- bookkeeping -------------------------------------------------------------------------------

    async def _metered(self, platform: Platform, work: Callable[[], Reply]) -> Reply:
        start = time.perf_counter()
        reply = await asyncio.to_thread(work)
        self.metrics.observe_reply(platform.value, reply, time.perf_counter() - start)
        return reply

    async def _record_gap(self, question: str, reply: Reply, asked_at: dt.datetime) -> None:
        assert self.gaps is not None
        try:
            await self.gaps.record_gap(question, reply.lang, reply.confidence, asked_at)
        except Exception:  # curators' data must never break answering
            log.warning("could not record an unanswered question", exc_info=True)

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background bookkeeping (gap records) to finish."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
