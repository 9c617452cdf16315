"""Real processes: a SIGKILL mid-broadcast on SQLite, and two processes sharing one PostgreSQL database, for
countdown posts and for an announcement a curator has added (posted to every `updates` subscriber once)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.records import DAILY_ONLY, Mode
from bot.storage.sql import SqlStore, open_store
from tests.conftest import Database, skip_or_fail_without_postgres
from tests.delivery.support import announcement, seed_subscriptions, utc, write_kb

ROOT = Path(__file__).resolve().parents[2]
DUE = utc(2025, 1, 10, 9, 0)
N = 500
KINDS = ["countdown", "announcement"]
"""Countdown posts to `daily` subscribers, or the curator's announcement to `updates` subscribers."""
NEWS = "court-ruling"


async def prepare(kind: str, store: SqlStore, kb: Path) -> str:
    """Seed N subscriptions for the kind of broadcast and write the knowledge; returns what each post must be."""
    if kind == "countdown":
        write_kb(kb)
        await seed_subscriptions(store, N, DUE, modes=DAILY_ONLY)
        return "d:law-effective"
    write_kb(kb, [announcement(NEWS, DUE.date())])
    await seed_subscriptions(store, N, DUE, modes=frozenset({Mode.UPDATES}))
    return f"a:{NEWS}"


def worker(database: Database, kb: Path, log: Path, owner: str, now: str, *extra: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "tests.delivery.worker", "--url", database.url, "--kb", str(kb), "--log", str(log)]
    cmd += ["--owner", owner, "--now", now, *extra]
    if database.schema:
        cmd += ["--schema", database.schema]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE)


def lines_of(log: Path) -> list[tuple[str, str, str]]:
    """(post key, process, what the post was) per send."""
    out = []
    for line in log.read_text().splitlines():
        if line.strip():
            key, owner, what = line.split()
            out.append((key, owner, what))
    return out


def received(log: Path) -> Counter[str]:
    return Counter(key for key, _, _ in lines_of(log))


async def wait_for(proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while proc.poll() is None:
        assert time.monotonic() < deadline, "worker did not finish"
        await asyncio.sleep(0.05)
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""


@pytest.mark.parametrize("kind", KINDS)
async def test_sigkill_mid_broadcast_then_restart_loses_nothing(tmp_path: Path, kind: str) -> None:
    database = Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'restart.sqlite3'}")
    kb = tmp_path / "kb"
    store = await open_store(database.url)
    expected = await prepare(kind, store, kb)
    await store.close()
    log = tmp_path / "sent.log"
    log.touch()

    first = worker(
        database,
        kb,
        log,
        "first",
        (DUE.replace(second=30)).isoformat(),
        "--rate",
        "200",
        "--delay",
        "0.05",
        "--lease",
        "60",
    )
    deadline = time.monotonic() + 60
    while sum(received(log).values()) < N // 3:
        assert first.poll() is None, "the worker finished before it could be killed"
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = received(log)

    store = await open_store(database.url)
    async with store.engine.connect() as conn:
        states = dict((await conn.execute(text("SELECT state, COUNT(*) FROM deliveries GROUP BY state"))).all())
        sent_keys = {
            f"cd{sid}-20250110"
            for (sid,) in await conn.execute(text("SELECT subscription_id FROM deliveries WHERE state = 'sent'"))
        }
    await store.close()
    in_flight = len(set(at_kill) - sent_keys)  # reached the platform, not yet recorded as sent
    assert 0 < sum(at_kill.values()) < N and states.get("claimed", 0) > 0

    # restart after the dead process's leases ran out (still well inside the grace window)
    second = worker(database, kb, log, "second", (DUE.replace(minute=6)).isoformat(), "--rate", "1000")
    await wait_for(second)
    final = received(log)
    duplicates = sum(final.values()) - len(final)
    print(
        f"\nrestart ({kind}): {len(final)}/{N} subscriptions posted; {duplicates} duplicate(s); "
        f"{in_flight} send(s) in flight at the kill"
    )
    assert len(final) == N
    assert duplicates <= in_flight
    assert {what for _, _, what in lines_of(log)} == {expected}
    if kind == "announcement":  # the next day, a restarted process never posts the news again
        sent = sum(final.values())
        third = worker(database, kb, log, "third", (DUE + dt.timedelta(days=1)).isoformat(), "--rate", "1000")
        await wait_for(third)
        assert sum(received(log).values()) == sent


@pytest.mark.postgres
@pytest.mark.parametrize("kind", KINDS)
async def test_two_processes_on_postgres_post_exactly_once(tmp_path: Path, postgres_reachable: bool, kind: str) -> None:
    if not postgres_reachable:
        skip_or_fail_without_postgres()
    import uuid

    from tests.conftest import _pg_execute, postgres_url

    schema = f"banbot_test_{uuid.uuid4().hex[:12]}"
    await _pg_execute(f'CREATE SCHEMA "{schema}"')
    try:
        database = Database("postgres", postgres_url(), schema)
        kb = tmp_path / "kb"
        store = await open_store(database.url, schema=schema)
        expected = await prepare(kind, store, kb)
        await store.close()
        log = tmp_path / "sent.log"
        log.touch()
        start_at = str(time.time() + 3)
        now = DUE.replace(second=10).isoformat()
        procs = [
            worker(database, kb, log, name, now, "--batch", "50", "--rate", "2000", "--start-at", start_at)
            for name in ("p1", "p2")
        ]
        for proc in procs:
            await wait_for(proc)
        lines = lines_of(log)
        per_sub = Counter(key for key, _, _ in lines)
        per_process = Counter(owner for _, owner, _ in lines)
        print(
            f"\ntwo processes ({kind}): {len(per_sub)}/{N} posted, max per subscription {max(per_sub.values())}, "
            f"split {dict(per_process)}"
        )
        assert len(per_sub) == N
        assert set(per_sub.values()) == {1}
        assert {what for _, _, what in lines} == {expected}
    finally:
        await _pg_execute(f'DROP SCHEMA "{schema}" CASCADE')
