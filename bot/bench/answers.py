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
from bot.engine import AnswererFactory
from bot.knowledge.loader import load_knowledge
from bot.settings import PROJECT_ROOT, Settings

BUDGETS = {True: (5.0, 1.5), False: (2.0, 1.0)}
"""(p99 ms per question warm, cold `banbot ask` s), with the encoder and lexical-only (BANBOT_SEMANTIC=off)."""
RSS_BUDGET_MB = 250.0
"""A running bot with both adapters."""


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


def percentile(sorted_values: list[float], pct: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def run_answer_bench(settings: Settings, files: list[Path], rounds: int) -> str:
    p99_budget, cold_budget = BUDGETS[settings.semantic]
    t0 = time.perf_counter()
    kb = load_knowledge(settings.knowledge_dir)
    t1 = time.perf_counter()
    answerer = AnswererFactory.from_settings(settings)(kb)
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
    p50, p95, p99 = (percentile(samples, p) for p in (50, 95, 99))
    cold = _cold_start()
    import discord  # noqa: F401 - measured as a running bot holds them
    import telegram.ext  # noqa: F401

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine = "hybrid (lexical + sentence encoder)" if settings.semantic else "lexical only (BANBOT_SEMANTIC=off)"
    return "\n".join(
        [
            f"engine: {engine}",
            f"answers: {len(samples)} timed ({len(questions)} questions x {max(1, rounds)} rounds)",
            f"  p50 {p50:.3f} ms  p95 {p95:.3f} ms  p99 {p99:.3f} ms  max {samples[-1]:.3f} ms  "
            f"mean {statistics.fmean(samples):.3f} ms",
            f"  p99 / budget ({p99_budget} ms): {p99 / p99_budget:.2f}",
            f"load knowledge {1000 * (t1 - t0):.1f} ms, build index {1000 * (t2 - t1):.1f} ms "
            f"({len(kb.entries)} entries)",
            f"cold `banbot ask`: {cold:.3f} s  (ratio to budget {cold_budget} s: {cold / cold_budget:.2f})",
            f"peak memory, engine plus both adapters' libraries: {rss_mb:.1f} MiB  "
            f"(ratio to budget {RSS_BUDGET_MB:.0f} MiB: {rss_mb / RSS_BUDGET_MB:.2f})",
        ]
    )


def _cold_start(runs: int = 3) -> float:
    """Median wall time of a fresh `python -m bot ask` process answering one question (after one run that
    fills the caches, as the first start of a bot does)."""
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "When was the TikTok law signed?"],
            check=True,
            capture_output=True,
            cwd=PROJECT_ROOT,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])
