"""The Telegram adapter (python-telegram-bot): handlers, HTML rendering and the countdown sender."""

from bot.adapters.telegram_bot.application import TelegramAdapter
from bot.adapters.telegram_bot.sender import TelegramSender

__all__ = ["TelegramAdapter", "TelegramSender"]
