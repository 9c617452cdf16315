"""Store fixtures, after APScheduler's parametrised data-store fixture: `store` is the in-memory store, SQLite
and, when reachable, PostgreSQL in turn (the contract suite and the engine tests run on each); `database` is
SQLite and PostgreSQL only, for what only SQL has (migrations, engine options).

PostgreSQL: BANBOT_TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test). Each test
gets a fresh schema, dropped afterwards, so parallel runs never collide. With BANBOT_REQUIRE_POSTGRES=1 an
unreachable server fails the tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.storage.base import Store
from bot.storage.memory import InMemoryStore
from bot.storage.sql import open_store

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

# The sentence encoder takes a second to load and 150 MB: tests of delivery, adapters and operations run the
# lexical engine (in-process and in the subprocesses they start); tests/core/test_semantic.py and the quality
# floors run the real hybrid engine.
os.environ.setdefault("BANBOT_SEMANTIC", "off")


def postgres_url() -> str:
    return os.environ.get("BANBOT_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _raw_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _pg_execute(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_raw_url(postgres_url()), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_reachable() -> bool:
    try:
        asyncio.run(_pg_execute("SELECT 1"))
    except Exception as exc:
        _UNREACHABLE.append(repr(exc))
        return False
    return True


_UNREACHABLE: list[str] = []


def skip_or_fail_without_postgres() -> None:
    """Skip, or fail when BANBOT_REQUIRE_POSTGRES=1 (CI), because PostgreSQL is unreachable."""
    if os.environ.get("BANBOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL required (BANBOT_REQUIRE_POSTGRES=1) but unreachable: {_UNREACHABLE[:1]}")
    pytest.skip("PostgreSQL not reachable (set BANBOT_REQUIRE_POSTGRES=1 to fail instead)")


@dataclass(frozen=True)
class Database:
    kind: str
    url: str
    schema: str | None = None


SQL_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@asynccontextmanager
async def _sql_database(kind: str, tmp_path: Path, postgres_reachable: bool) -> AsyncIterator[Database]:
    if kind == "sqlite":
        yield Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'banbot.sqlite3'}")
        return
    if not postgres_reachable:
        skip_or_fail_without_postgres()
    schema = f"banbot_test_{uuid.uuid4().hex[:12]}"
    await _pg_execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Database("postgres", postgres_url(), schema)
    finally:
        await _pg_execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=SQL_KINDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path, postgres_reachable: bool) -> AsyncIterator[Database]:
    async with _sql_database(request.param, tmp_path, postgres_reachable) as db:
        yield db


@dataclass
class Backend:
    """One kind of store under test; `open()` gives another handle on the same data (a second process)."""

    kind: str
    database: Database | None = None
    memory: InMemoryStore = field(default_factory=InMemoryStore)

    async def open(self) -> Store:
        if self.database is None:
            return self.memory
        return await open_store(self.database.url, schema=self.database.schema)


@pytest.fixture(params=["memory", *SQL_KINDS])
async def backend(request: pytest.FixtureRequest, tmp_path: Path, postgres_reachable: bool) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield Backend("memory")
        return
    async with _sql_database(request.param, tmp_path, postgres_reachable) as db:
        yield Backend(db.kind, db)


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    st = await backend.open()
    try:
        yield st
    finally:
        await st.close()
