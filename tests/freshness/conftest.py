"""Fixtures for the freshness tests: a local HTTP server (a thread of its own), started and stopped per test,
and the news store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.storage.sql import open_store
from bot.storage.sql.news import NewsStore
from tests.conftest import Database
from tests.freshness.support import LocalServer, serve


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from serve()


@pytest.fixture
async def news(database: Database) -> AsyncIterator[NewsStore]:
    store = await open_store(database.url, schema=database.schema)
    try:
        yield NewsStore(store.engine)
    finally:
        await store.close()
