"""Storage: SQLAlchemy 2 async over SQLite (default) or PostgreSQL, with versioned migrations."""

from bot.storage.sql import Store, open_store

__all__ = ["Store", "open_store"]
