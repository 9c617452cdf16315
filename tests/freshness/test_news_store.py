"""The news tables (migration 3) match bot.storage.sql.news, and an existing v2 database upgrades in place."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.sql import migrations, open_store
from bot.storage.sql.news import TABLES, FeedState, NewsItem, NewsStore
from tests.conftest import Database

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


async def test_upgrade_from_v2_creates_the_news_tables_as_declared(database: Database) -> None:
    kwargs = {"connect_args": {"server_settings": {"search_path": database.schema}}} if database.schema else {}
    engine = create_async_engine(database.url, **kwargs)
    assert await migrations.migrate(engine, target=2) == 2
    await engine.dispose()

    store = await open_store(database.url, schema=database.schema)
    try:
        async with store.engine.connect() as conn:
            assert await migrations.current_version(conn) == migrations.LATEST_VERSION

            def columns(sync_conn: object) -> dict[str, set[str]]:
                insp = inspect(sync_conn)
                return {t.name: {c["name"] for c in insp.get_columns(t.name)} for t in TABLES}

            found = await conn.run_sync(columns)
        assert found == {t.name: {c.name for c in t.columns} for t in TABLES}

        news = NewsStore(store.engine)
        item = NewsItem("k1", "feed", "https://n.test/1", "Title", "", None, None, None)
        assert await news.add_items([item, item], NOW) == {"k1"}
        assert await news.add_items([item], NOW) == set()
        await news.save_feed_state(FeedState("feed", "https://n.test/rss", '"e"', None), checked_at=NOW, status="ok")
        await news.save_feed_state(
            FeedState("feed", "https://n.test/rss", None, None), checked_at=NOW, status="304", keep_validators=True
        )
        assert await news.feed_state("feed") == FeedState("feed", "https://n.test/rss", '"e"', None)
        assert await news.prune_items(NOW + dt.timedelta(seconds=1)) == 1
    finally:
        await store.close()
