"""The real subscription and curation services over an InMemoryStore, for the adapter tests.

No hand-written stand-ins: the services are the production ones, and the InMemoryStore passes the same
contract suite as the SQL store (tests/storage), so adapter tests cannot drift from what the bot does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.curation import CurationService
from bot.delivery.subscriptions import SubscriptionService
from bot.knowledge.loader import KnowledgeBase
from bot.settings import Settings
from bot.storage.memory import InMemoryStore
from bot.storage.records import FeedbackCount, SubscriptionRecord
from bot.types import ChatRef, Clock


@dataclass
class MemoryServices:
    store: InMemoryStore
    subscriptions: SubscriptionService
    curation: CurationService

    @classmethod
    def build(
        cls, knowledge: Callable[[], KnowledgeBase], clock: Clock, store: InMemoryStore | None = None
    ) -> MemoryServices:
        """The services over `store` (a test's subclass, say one that stalls or fails), else a new store."""
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        store = store if store is not None else InMemoryStore()
        return cls(
            store, SubscriptionService(store, knowledge, clock, settings), CurationService(store, clock, settings)
        )

    async def subscriptions_of(self, chat: ChatRef, *, include_inactive: bool = False) -> list[SubscriptionRecord]:
        return await self.store.list_subscriptions(chat, include_inactive=include_inactive)

    async def votes(self) -> list[tuple[str, int, int]]:
        """(entry id, 👍, 👎) per entry."""
        counts: list[FeedbackCount] = await self.store.feedback_counts()
        return [(c.entry_id, c.helpful, c.unhelpful) for c in counts]


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 5.0) -> None:
    """Wait until `check()` holds: for effects an adapter has after its last platform call."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met in {within}s")
        await asyncio.sleep(0.01)
