"""The SQL store: SQLAlchemy 2 async over SQLite or PostgreSQL, with versioned migrations."""

from bot.storage.sql.store import SqlStore, make_engine, open_store

__all__ = ["SqlStore", "make_engine", "open_store"]
