"""Database fixtures: every storage contract test runs on SQLite and, when reachable, on PostgreSQL.

PostgreSQL: BANBOT_TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test). Each test
gets a fresh schema, dropped afterwards, so parallel runs never collide. With BANBOT_REQUIRE_POSTGRES=1 an
unreachable server fails the tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.storage import Store, open_store

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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path, postgres_reachable: bool) -> AsyncIterator[Database]:
    if request.param == "sqlite":
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


@pytest.fixture
async def store(database: Database) -> AsyncIterator[Store]:
    st = await open_store(database.url, schema=database.schema)
    try:
        yield st
    finally:
        await st.close()
