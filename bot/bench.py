"""`banbot bench`: answer latency percentiles, cold start and memory; `banbot bench limiter`: the per-user
limiter at 100,000 active users. Measured on this machine."""

from __future__ import annotations

import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.core.answering import Answerer
from bot.core.ratelimit import UserRateLimiter
from bot.knowledge.loader import load_knowledge
from bot.settings import PROJECT_ROOT, Settings

P99_BUDGET_MS = 2.0
COLD_START_BUDGET_S = 1.0


def _questions(files: list[Path], answerer: Answerer) -> list[str]:
    """Questions from JSON-lines files, or the repo's own eval sets, plus hostile inputs; else the KB's own."""
    paths = files or sorted((PROJECT_ROOT / "eval").glob("*.jsonl"))
    questions = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(str(json.loads(line)["question"]))
    if not questions:
        questions = [q for e in answerer.kb.entries.values() for q in (*e.questions.en, *e.questions.zh)]
    hostile = ["tiktok " * 3000, "@everyone " * 200 + "ban?", "\x00\x01\x02" * 500, "小红书" * 2000, ""]
    return questions + hostile


def _percentile(sorted_values: list[float], pct: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def run_answer_bench(settings: Settings, files: list[Path], rounds: int) -> str:
    t0 = time.perf_counter()
    kb = load_knowledge(settings.knowledge_dir)
    t1 = time.perf_counter()
    answerer = Answerer(kb)
    t2 = time.perf_counter()
    questions = _questions(files, answerer)
    now = dt.datetime.now(dt.UTC)
    for q in questions:  # warm caches once, as a running bot would be
        answerer.answer(q, now)
    samples: list[float] = []
    for _ in range(max(1, rounds)):
        for q in questions:
            start = time.perf_counter_ns()
            answerer.answer(q, now)
            samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    p50, p95, p99 = (_percentile(samples, p) for p in (50, 95, 99))
    cold = _cold_start()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return "\n".join(
        [
            f"answers: {len(samples)} timed ({len(questions)} questions x {max(1, rounds)} rounds)",
            f"  p50 {p50:.3f} ms  p95 {p95:.3f} ms  p99 {p99:.3f} ms  max {samples[-1]:.3f} ms  "
            f"mean {statistics.fmean(samples):.3f} ms",
            f"  p99 / budget ({P99_BUDGET_MS} ms): {p99 / P99_BUDGET_MS:.2f}",
            f"load knowledge {1000 * (t1 - t0):.1f} ms, build index {1000 * (t2 - t1):.1f} ms "
            f"({len(kb.entries)} entries)",
            f"cold `banbot ask`: {cold:.3f} s  "
            f"(ratio to budget {COLD_START_BUDGET_S} s: {cold / COLD_START_BUDGET_S:.2f})",
            f"peak memory (this process): {rss_mb:.1f} MiB",
        ]
    )


def _cold_start(runs: int = 3) -> float:
    """Median wall time of a fresh `python -m bot ask` process answering one question."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "When was the TikTok law signed?"],
            check=True,
            capture_output=True,
            cwd=PROJECT_ROOT,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_limiter_bench(users: int = 100_000, calls: int = 200_000) -> str:
    """The per-user limiter with `users` active users: time per `allow()` call, as it runs on the event loop."""
    clock = _BenchClock()
    limiter = UserRateLimiter(8, 60.0, clock, max_keys=users)
    for n in range(users):  # every user active within the window
        clock.now = n * (30.0 / users)
        limiter.allow(f"u{n}")
    samples: list[float] = []
    for n in range(calls):
        clock.now = 30.0 + n * (60.0 / calls)  # the window slides past the first users: they expire
        key = f"u{(n * 7919) % (2 * users)}"  # half known users, half new ones (the cap evicts)
        start = time.perf_counter_ns()
        limiter.allow(key)
        samples.append((time.perf_counter_ns() - start) / 1e3)
    samples.sort()
    p50, p99 = (_percentile(samples, p) for p in (50, 99))
    return (
        f"limiter: {calls} allow() calls with {users} active users (cap {users}, {len(limiter)} tracked after)\n"
        f"  p50 {p50:.2f} µs  p99 {p99:.2f} µs  max {samples[-1]:.2f} µs  mean {statistics.fmean(samples):.2f} µs"
    )


class _BenchClock:
    now = 0.0

    def __call__(self) -> float:
        return self.now
