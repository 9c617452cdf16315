"""Versioned schema migrations, applied in place. The schema_version table holds the current version.

Each migration is plain DDL, frozen once released: never edit an old step, append a new one. All pending
steps run in one transaction (SQLite and PostgreSQL both have transactional DDL), so a failed upgrade leaves
the old schema intact; on PostgreSQL an advisory lock serialises processes that start at the same time, on
SQLite the write lock taken by BEGIN IMMEDIATE does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

_ADVISORY_LOCK_KEY = 0x62616E626F74  # "banbot"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    """SQL with {pk} (auto-increment primary key), {float} and {minute} (created_at to the minute)
    placeholders filled per dialect."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "subscriptions, deliveries, feedback",
        (
            """CREATE TABLE subscriptions (
                id {pk},
                platform VARCHAR(16) NOT NULL,
                chat_id VARCHAR(64) NOT NULL,
                thread_id VARCHAR(64) NOT NULL DEFAULT '',
                is_group BOOLEAN NOT NULL,
                deadline_id VARCHAR(64) NOT NULL,
                local_time VARCHAR(5) NOT NULL,
                timezone VARCHAR(64) NOT NULL,
                lang VARCHAR(8) NOT NULL,
                created_by VARCHAR(128) NOT NULL,
                created_at TIMESTAMP NOT NULL,
                active BOOLEAN NOT NULL,
                paused BOOLEAN NOT NULL,
                next_due_at TIMESTAMP NULL
            )""",
            """CREATE UNIQUE INDEX ux_subscriptions_chat ON subscriptions
                (platform, chat_id, thread_id, deadline_id, local_time, timezone)""",
            "CREATE INDEX ix_subscriptions_next_due ON subscriptions (next_due_at)",
            """CREATE TABLE deliveries (
                id {pk},
                subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
                local_date VARCHAR(10) NOT NULL,
                due_at TIMESTAMP NOT NULL,
                state VARCHAR(16) NOT NULL,
                attempts INTEGER NOT NULL,
                claimed_by VARCHAR(64) NULL,
                lease_until TIMESTAMP NULL,
                claimed_at TIMESTAMP NOT NULL,
                finished_at TIMESTAMP NULL,
                detail TEXT NULL,
                CONSTRAINT ux_deliveries_once UNIQUE (subscription_id, local_date)
            )""",
            """CREATE TABLE feedback (
                id {pk},
                platform VARCHAR(16) NOT NULL,
                entry_id VARCHAR(64) NOT NULL,
                helpful BOOLEAN NOT NULL,
                created_at TIMESTAMP NOT NULL
            )""",
            "CREATE INDEX ix_feedback_entry ON feedback (entry_id)",
        ),
    ),
    Migration(
        2,
        "why a subscription went inactive; lease index; unanswered questions (gaps)",
        (
            "ALTER TABLE subscriptions ADD COLUMN inactive_reason TEXT NULL",
            "CREATE INDEX ix_deliveries_lease ON deliveries (state, lease_until)",
            "CREATE INDEX ix_deliveries_local_date ON deliveries (local_date)",
            """CREATE TABLE gaps (
                id {pk},
                text TEXT NOT NULL,
                norm TEXT NOT NULL,
                lang VARCHAR(8) NOT NULL,
                confidence {float} NOT NULL,
                created_at TIMESTAMP NOT NULL
            )""",
            "CREATE INDEX ix_gaps_norm ON gaps (norm)",
            "CREATE INDEX ix_gaps_created ON gaps (created_at)",
        ),
    ),
    Migration(
        3,
        "a one-row table the readiness probe writes to, so a full disk shows",
        (
            """CREATE TABLE health_probe (
                name VARCHAR(32) PRIMARY KEY,
                checked_at TIMESTAMP NOT NULL
            )""",
        ),
    ),
    Migration(
        4,
        "one vote per voter and entry: votes carry a voter key; legacy repeat taps collapsed; feedback pruned",
        (
            # Votes from before v4 cannot be told apart by voter. A burst of identical votes on one entry
            # within one minute is one user tapping again and again (50 taps made 50 rows): keep the first.
            """DELETE FROM feedback WHERE id NOT IN (
                SELECT MIN(id) FROM feedback GROUP BY platform, entry_id, helpful, {minute}
            )""",
            "ALTER TABLE feedback ADD COLUMN voter VARCHAR(64) NOT NULL DEFAULT ''",
            "UPDATE feedback SET voter = 'legacy:' || CAST(id AS VARCHAR(20))",
            "CREATE UNIQUE INDEX ux_feedback_vote ON feedback (platform, entry_id, voter)",
            "CREATE INDEX ix_feedback_created ON feedback (created_at)",
        ),
    ),
    Migration(
        5,
        "news feeds and items seen (kb news); the daily curator digest, claimed once per date",
        (
            """CREATE TABLE news_feeds (
                feed_id VARCHAR(64) PRIMARY KEY,
                url TEXT NOT NULL,
                etag TEXT NULL,
                last_modified TEXT NULL,
                checked_at TIMESTAMP NOT NULL,
                status VARCHAR(200) NOT NULL
            )""",
            """CREATE TABLE news_items (
                id {pk},
                item_key VARCHAR(64) NOT NULL,
                feed_id VARCHAR(64) NOT NULL,
                url TEXT NOT NULL,
                title TEXT NOT NULL,
                summary TEXT NOT NULL,
                publisher TEXT NULL,
                publisher_url TEXT NULL,
                published_at TIMESTAMP NULL,
                first_seen_at TIMESTAMP NOT NULL,
                digest_date VARCHAR(10) NULL,
                CONSTRAINT ux_news_items_key UNIQUE (item_key)
            )""",
            "CREATE INDEX ix_news_items_first_seen ON news_items (first_seen_at)",
            """CREATE TABLE curator_digests (
                digest_date VARCHAR(10) PRIMARY KEY,
                chat VARCHAR(128) NOT NULL,
                state VARCHAR(16) NOT NULL,
                attempts INTEGER NOT NULL,
                claimed_by VARCHAR(64) NULL,
                lease_until TIMESTAMP NULL,
                claimed_at TIMESTAMP NOT NULL,
                finished_at TIMESTAMP NULL,
                items INTEGER NOT NULL,
                detail TEXT NULL
            )""",
        ),
    ),
    Migration(
        6,
        "subscription modes (every existing subscription keeps its daily post); announcement posts, once per "
        "subscription and announcement",
        (
            "ALTER TABLE subscriptions ADD COLUMN modes VARCHAR(64) NOT NULL DEFAULT 'daily'",
            "ALTER TABLE deliveries ADD COLUMN announcement_id VARCHAR(64) NULL",
            # NULLs are distinct in a unique index (SQLite and PostgreSQL): countdown rows never collide here.
            "CREATE UNIQUE INDEX ux_deliveries_announcement ON deliveries (subscription_id, announcement_id)",
        ),
    ),
    Migration(
        7,
        "one announcement per chat, whatever the number of subscriptions there: its rows carry the chat",
        (
            "ALTER TABLE deliveries ADD COLUMN announcement_chat VARCHAR(200) NULL",
            # records.chat_key of the chat, on the first row of each announcement there (a chat that got one
            # twice before keeps both rows; the second stays without a chat, so the unique index holds).
            """UPDATE deliveries SET announcement_chat = (
                SELECT s.platform || ':' || s.chat_id || ':' || s.thread_id
                FROM subscriptions s WHERE s.id = deliveries.subscription_id
            )
            WHERE id IN (
                SELECT MIN(d.id) FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
                WHERE d.announcement_id IS NOT NULL
                GROUP BY s.platform, s.chat_id, s.thread_id, d.announcement_id
            )""",
            "CREATE UNIQUE INDEX ux_deliveries_chat_announcement ON deliveries (announcement_chat, announcement_id)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def _fill(statement: str, dialect: str) -> str:
    if dialect == "postgresql":
        return statement.format(
            pk="BIGSERIAL PRIMARY KEY", float="DOUBLE PRECISION", minute="date_trunc('minute', created_at)"
        )
    return statement.format(
        pk="INTEGER PRIMARY KEY AUTOINCREMENT", float="REAL", minute="strftime('%Y-%m-%d %H:%M', created_at)"
    )


async def current_version(conn: AsyncConnection) -> int:
    """The schema version of the database (0 when empty)."""
    exists = await conn.run_sync(lambda sync: sync.dialect.has_table(sync, "schema_version"))
    if not exists:
        return 0
    value = (await conn.execute(text("SELECT MAX(version) FROM schema_version"))).scalar()
    return int(value or 0)


async def migrate(engine: AsyncEngine, target: int | None = None) -> int:
    """Bring the database up to `target` (default: latest). Returns the version reached."""
    target = LATEST_VERSION if target is None else target
    dialect = engine.dialect.name
    async with engine.begin() as conn:
        if dialect == "postgresql":
            await conn.execute(text(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})"))
        await conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
        version = await current_version(conn)
        if version > LATEST_VERSION:
            raise RuntimeError(f"database schema v{version} is newer than this banbot (v{LATEST_VERSION})")
        for step in MIGRATIONS:
            if version < step.version <= target:
                for statement in step.statements:
                    await conn.execute(text(_fill(statement, dialect)))
                await conn.execute(text("DELETE FROM schema_version"))
                await conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": step.version})
                log.info("migrated database schema to v%d: %s", step.version, step.description)
                version = step.version
    return version
