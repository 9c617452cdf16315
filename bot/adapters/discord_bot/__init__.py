"""The Discord adapter (discord.py 2.7): slash commands, mentions and DMs, buttons, countdown sender.

Public API: `DiscordAdapter(settings, ctx)` (with `.sender`, `start()`, `stop()`, `connected`) and the CLI
helpers in `bot.adapters.discord_bot.cli`.
"""

from bot.adapters.discord_bot.client import DiscordAdapter

__all__ = ["DiscordAdapter"]
