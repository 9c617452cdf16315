"""A smoke run of `banbot bench delivery` at toy sizes (the real numbers come from the CLI, not from tests)."""

from __future__ import annotations

from pathlib import Path

from bot.bench.delivery import delivery_bench
from tests.delivery.support import write_kb


async def test_bench_reports_rate_and_claim_timings(tmp_path: Path) -> None:
    write_kb(tmp_path / "kb")
    report = await delivery_bench(subscriptions=40, rate=2000, claim_rows=300, samples=3, knowledge_dir=tmp_path / "kb")
    assert "% of the limit" in report and "429s from the platform: 0" in report
    assert "(20 countdown and 20 announcement posts)" in report
    assert "claim query at 300 subscriptions on SQLite" in report and "p95" in report
