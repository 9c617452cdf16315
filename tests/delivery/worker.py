"""A delivery process for the restart and two-process tests: `python -m tests.delivery.worker ...`.

Its sender appends each post's key, its own name and what the post was (`d:<deadline>` for a countdown,
`a:<announcement>`) to a shared file *before* waiting `--delay` seconds (the message has reached the
platform; the reply has not come back), so a kill mid-broadcast leaves sends in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import time
from pathlib import Path

from bot.delivery.engine import DeliveryEngine
from bot.delivery.ports import Post, SendResult
from bot.knowledge.loader import load_knowledge
from bot.settings import Settings
from bot.storage.sql import open_store
from bot.types import Platform


class FileSender:
    platform = Platform.TELEGRAM

    def __init__(self, path: Path, delay: float, owner: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._delay = delay
        self._owner = owner

    async def send(self, post: Post) -> SendResult:
        os.write(self._fd, f"{post.key} {self._owner} {post.more_ref}\n".encode())
        await asyncio.sleep(self._delay)
        return SendResult.sent()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--kb", required=True)
    parser.add_argument("--now", required=True, help="the clock's starting point (ISO); it then runs in real time")
    parser.add_argument("--log", required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--lease", type=float, default=300.0)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--start-at", type=float, default=0.0, help="wall-clock time.time() to start ticking")
    args = parser.parse_args()

    base = dt.datetime.fromisoformat(args.now)
    t0 = time.monotonic()

    def clock() -> dt.datetime:
        return base + dt.timedelta(seconds=time.monotonic() - t0)

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_rate_global=args.rate,
        delivery_lease_seconds=args.lease,
        delivery_claim_batch=args.batch,
    )
    store = await open_store(args.url, schema=args.schema)
    kb = load_knowledge(Path(args.kb))
    sender = FileSender(Path(args.log), args.delay, args.owner)
    engine = DeliveryEngine(store, lambda: kb, {Platform.TELEGRAM: sender}, clock, settings, owner=args.owner)
    if args.start_at:
        await asyncio.sleep(max(0.0, args.start_at - time.time()))
    while True:  # until nothing is due any more (another process may have won some claims)
        report = await engine.run_once()
        idle = report.claimed == 0 and report.reclaimed == 0
        if idle and not await store.due_subscriptions(clock(), [Platform.TELEGRAM], 1):
            break
    await store.close()


if __name__ == "__main__":
    asyncio.run(main())
