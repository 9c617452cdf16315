"""The pure core: knows nothing of Discord, Telegram, storage or the clock."""
