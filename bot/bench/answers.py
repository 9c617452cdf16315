"""`banbot bench`: answer latency percentiles, cold start and memory; `banbot bench limiter`: the per-user
limiter at 100,000 active users. Measured on this machine.

`banbot bench --scale N` measures the same on the knowledge grown to N times its entries with perturbed copies
(bot.bench.scaled), built with its vector cache in a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.answering import Answerer
from bot.engine import AnswererFactory
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.settings import PROJECT_ROOT, Settings

BUDGETS = {True: (5.0, 1.5), False: (2.0, 1.0)}
"""(p99 ms per question warm, cold `banbot ask` s), with the encoder and lexical-only (BANBOT_SEMANTIC=off)."""
RSS_BUDGET_MB = 250.0
"""A running bot with both adapters."""
SCALED_BUDGETS: dict[tuple[int, bool], tuple[float, float]] = {(10, True): (15.0, 3.0)}
"""(p99 ms, cold `banbot ask` s) by (scale, encoder on) for `--scale N`; the memory budget stays RSS_BUDGET_MB."""
SCALED_COLD_RUNS = 3
"""Fresh `banbot ask` processes timed at `--scale N` (after the first, which fills the vector cache)."""


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


def run_answer_bench(
    settings: Settings, files: list[Path], rounds: int, scale: int = 1, seed: int | None = None
) -> str:
    """The report of `banbot bench` (answers); with `scale` above 1, on the scaled knowledge."""
    if scale != 1:
        from bot.bench.scaled import DEFAULT_SEED

        with tempfile.TemporaryDirectory(prefix="banbot-bench-scale-") as tmp:
            seed = DEFAULT_SEED if seed is None else seed
            return _run_scaled_bench(settings, files, rounds, scale=scale, seed=seed, tmp=Path(tmp))
    p99_budget, cold_budget = BUDGETS[settings.semantic]
    warm = _warm_run(settings, files, rounds)
    cold = _cold_start()
    rss_mb = _peak_rss_with_adapters()
    return "\n".join(
        [
            f"engine: {_engine(settings)}",
            *warm.latency_lines(),
            f"  p99 / budget ({p99_budget} ms): {warm.p99 / p99_budget:.2f}",
            warm.load_line(),
            f"cold `banbot ask`: {cold:.3f} s  (ratio to budget {cold_budget} s: {cold / cold_budget:.2f})",
            f"peak memory, engine plus both adapters' libraries: {rss_mb:.1f} MiB  "
            f"(ratio to budget {RSS_BUDGET_MB:.0f} MiB: {rss_mb / RSS_BUDGET_MB:.2f})",
        ]
    )


@dataclass(frozen=True)
class _WarmRun:
    """Answers timed in this process, after loading the knowledge and building the engine."""

    kb: KnowledgeBase
    questions: int
    rounds: int
    samples: list[float]
    """Milliseconds per answer, sorted."""
    load_s: float
    build_s: float

    @property
    def p99(self) -> float:
        return percentile(self.samples, 99)

    def latency_lines(self) -> list[str]:
        p50, p95, p99 = (percentile(self.samples, p) for p in (50, 95, 99))
        return [
            f"answers: {len(self.samples)} timed ({self.questions} questions x {self.rounds} rounds)",
            f"  p50 {p50:.3f} ms  p95 {p95:.3f} ms  p99 {p99:.3f} ms  max {self.samples[-1]:.3f} ms  "
            f"mean {statistics.fmean(self.samples):.3f} ms",
        ]

    def load_line(self, note: str = "") -> str:
        return (
            f"load knowledge {1000 * self.load_s:.1f} ms, build index {1000 * self.build_s:.1f} ms "
            f"({len(self.kb.entries)} entries{note})"
        )


def _warm_run(settings: Settings, files: list[Path], rounds: int) -> _WarmRun:
    t0 = time.perf_counter()
    kb = load_knowledge(settings.knowledge_dir)
    t1 = time.perf_counter()
    answerer = AnswererFactory.from_settings(settings)(kb)
    t2 = time.perf_counter()
    questions = _questions(files, answerer)
    samples = _timed_answers(answerer, questions, rounds)
    return _WarmRun(kb, len(questions), max(1, rounds), samples, t1 - t0, t2 - t1)


def _peak_rss_with_adapters() -> float:
    """Peak resident MiB of this process once both adapters' libraries are loaded, as a running bot holds them."""
    import discord  # noqa: F401
    import telegram.ext  # noqa: F401

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine(settings: Settings) -> str:
    return "hybrid (lexical + sentence encoder)" if settings.semantic else "lexical only (BANBOT_SEMANTIC=off)"


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


def _timed_answers(answerer: Answerer, questions: list[str], rounds: int) -> list[float]:
    """Milliseconds per answer, sorted, after one untimed pass (as a running bot's caches would be warm)."""
    now = dt.datetime.now(dt.UTC)
    for q in questions:
        answerer.answer(q, now)
    samples: list[float] = []
    for _ in range(max(1, rounds)):
        for q in questions:
            start = time.perf_counter_ns()
            answerer.answer(q, now)
            samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return samples


def _ratio(value: float, budget: float | None, unit: str, where: str = "") -> str:
    if budget is None:
        return f"(no budget{where})"
    return f"(ratio to budget {budget:g} {unit}{where}: {value / budget:.2f})"


def _run_scaled_bench(settings: Settings, files: list[Path], rounds: int, *, scale: int, seed: int, tmp: Path) -> str:
    """The answer bench on the knowledge at `scale` times its entries, written under `tmp` with the vector
    cache beside it (never the user's knowledge or cache). Cold starts are fresh `banbot ask` processes on it:
    the first with an empty vector cache (it embeds every text), then the measured ones with that cache warm."""
    from bot.bench.scaled import write_scaled_knowledge

    p99_budget, cold_budget = SCALED_BUDGETS.get((scale, settings.semantic), (None, None))
    where = f" at scale {scale}" if p99_budget is not None else f" set for scale {scale} with this engine"
    start = time.perf_counter()
    knowledge = write_scaled_knowledge(settings.knowledge_dir, tmp / "knowledge", scale, seed)
    written = time.perf_counter() - start
    cache = tmp / "cache"
    linked_encoder = _link_encoder_cache(settings.cache_dir, cache)
    env = {
        **os.environ,
        "BANBOT_KNOWLEDGE_DIR": str(knowledge),
        "BANBOT_CACHE_DIR": str(cache),
        "BANBOT_SEMANTIC": "true" if settings.semantic else "false",
    }
    first_s, first_rss = _ask_process(env)  # the vector cache is empty: this one embeds the scaled knowledge
    scaled = settings.model_copy(update={"knowledge_dir": knowledge, "cache_dir": cache})
    warm_run = _warm_run(scaled, files, rounds)
    cold_runs = [_ask_process(env) for _ in range(SCALED_COLD_RUNS)]
    cold = statistics.median(s for s, _ in cold_runs)
    ask_rss = max(rss for _, rss in cold_runs)
    rss_mb = _peak_rss_with_adapters()
    kb = warm_run.kb
    entries = list(kb.entries.values())
    n_questions = sum(len(e.questions.en) + len(e.questions.zh) for e in entries)
    texts = n_questions + 2 * len(entries) + sum(len(g.examples.en) + len(g.examples.zh) for g in kb.out_of_scope)
    if settings.semantic:
        cache_note, warm = ", vector cache beside it", ", vector cache warm"
        first = f"with an empty vector cache (embeds {texts:,} texts{'' if linked_encoder else ', builds the encoder'})"
        cold_note = "vector cache already warm for this knowledge, "
    else:
        cache_note, warm, first, cold_note = "", "", "on it (lexical only: nothing to embed)", ""
    return "\n".join(
        [
            f"engine: {_engine(settings)}",
            f"knowledge at scale {scale}: {len(entries):,} entries ({len(entries) // scale:,} original, "
            f"{scale - 1} perturbed copies of each, seed {seed}), {n_questions:,} alternate questions; written to a "
            f"temporary directory in {written:.1f} s{cache_note} (removed afterwards)",
            *warm_run.latency_lines(),
            f"  p99 {_ratio(warm_run.p99, p99_budget, 'ms', where)}",
            warm_run.load_line(warm),
            f"first `banbot ask` {first}: {first_s:.3f} s, peak {first_rss:.1f} MiB resident",
            f"cold `banbot ask`, {cold_note}median of {len(cold_runs)} fresh processes: "
            f"{cold:.3f} s  {_ratio(cold, cold_budget, 's', where)}",
            f"one `banbot ask` process, peak resident{warm}: {ask_rss:.1f} MiB  "
            f"{_ratio(ask_rss, RSS_BUDGET_MB, 'MiB', ', set for scale 1')}",
            f"peak memory of this bench, engine plus both adapters' libraries: {rss_mb:.1f} MiB  "
            f"{_ratio(rss_mb, RSS_BUDGET_MB, 'MiB', ', set for scale 1')}",
        ]
    )


def _link_encoder_cache(user_cache: Path, cache: Path) -> bool:
    """Make the user's built encoder (every cache file but the knowledge vectors, `vectors-*`) readable from
    `cache`, so that a fresh process on the scaled knowledge loads the encoder as fast as a real start does.
    The files are linked, never written: a process that replaces one replaces the link. False when there
    was nothing to link (the first process then builds the encoder in `cache`)."""
    cache.mkdir(parents=True, exist_ok=True)
    linked = False
    for path in sorted(user_cache.glob("*")) if user_cache.is_dir() else []:
        if not path.is_file() or path.name.startswith((".", "vectors-")):
            continue
        try:
            (cache / path.name).symlink_to(path.resolve())
        except OSError:
            continue
        linked = True
    return linked


def _ask_process(env: Mapping[str, str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MiB) of one fresh `python -m bot ask` process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "When was the TikTok law signed?"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=PROJECT_ROOT,
        env=env,
    )
    assert proc.stderr is not None
    with proc.stderr:
        errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, proc.args, stderr=errors)
    return elapsed, usage.ru_maxrss / 1024
