"""Prometheus metrics for operators, in a registry of our own (no global state shared with libraries)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.models import Reply, ReplyKind
from bot.curation import FeedbackRecorder
from bot.delivery.ports import Post, Sender, SendResult, SendStatus
from bot.types import Platform

OUTCOMES = {
    ReplyKind.ANSWER: "answered",
    ReplyKind.COUNTDOWN: "answered",
    ReplyKind.TIMELINE: "answered",
    ReplyKind.SOURCES: "answered",
    ReplyKind.SUGGEST: "suggested",
    ReplyKind.UNKNOWN: "abstained",
    ReplyKind.DECLINE: "declined",
    ReplyKind.HELP: "help",
}


class Metrics:
    """Every metric banbot exports. Names are part of the operator interface: a test pins them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.questions = Counter(
            "banbot_questions", "Questions answered, by platform and outcome", ["platform", "outcome"], registry=r
        )
        self.answer_latency = Histogram(
            "banbot_answer_latency_seconds",
            "Time to answer one question in the core",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5),
            registry=r,
        )
        self.feedback = Counter("banbot_feedback", "Feedback on answers", ["platform", "vote"], registry=r)
        self.posts = Counter(
            "banbot_posts",
            "Countdown posts by platform and result (sent or failure reason)",
            ["platform", "result"],
            registry=r,
        )
        self.rate_limit_waits = Counter(
            "banbot_rate_limit_waits",
            "Sends that a platform rate-limited (retry-after honoured)",
            ["platform"],
            registry=r,
        )
        self.scheduler_lag = Gauge(
            "banbot_scheduler_lag_seconds", "How late the last delivery tick ran after it was due", registry=r
        )
        self.subscriptions = Gauge("banbot_subscriptions", "Subscriptions by state", ["state"], registry=r)
        self.knowledge_entries = Gauge("banbot_knowledge_entries", "Entries in the loaded knowledge", registry=r)
        self.knowledge_overdue = Gauge(
            "banbot_knowledge_overdue_entries",
            "Entries past their review_by date: their facts may be stale (banbot kb check lists them)",
            registry=r,
        )

    def observe_reply(self, platform: str, reply: Reply, seconds: float) -> None:
        self.questions.labels(platform=platform, outcome=OUTCOMES[reply.kind]).inc()
        self.answer_latency.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MeteredSender:
    """Wraps a platform sender and counts what became of every post."""

    def __init__(self, inner: Sender, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self.platform = inner.platform
        for status in SendStatus:  # every series exists from the start, so rate() works from the first scrape
            metrics.posts.labels(platform=self.platform.value, result=status.value)
        metrics.rate_limit_waits.labels(platform=self.platform.value)

    async def send(self, post: Post) -> SendResult:
        try:
            result = await self._inner.send(post)
        except Exception:  # a sender must classify errors; count the ones that slip through
            self._metrics.posts.labels(platform=self.platform.value, result="error").inc()
            raise
        self._metrics.posts.labels(platform=self.platform.value, result=result.status.value).inc()
        if result.status is SendStatus.RATE_LIMITED:
            self._metrics.rate_limit_waits.labels(platform=self.platform.value).inc()
        return result


class MeteredFeedback:
    """Wraps the feedback store and counts every 👍/👎 once it is stored."""

    def __init__(self, inner: FeedbackRecorder, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def record_feedback(self, platform: Platform, entry_id: str, helpful: bool, *, voter: str) -> None:
        await self._inner.record_feedback(platform, entry_id, helpful, voter=voter)
        vote = "helpful" if helpful else "unhelpful"
        self._metrics.feedback.labels(platform=platform.value, vote=vote).inc()
