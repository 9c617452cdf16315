"""Date formatting in each language."""

from __future__ import annotations

from datetime import date

from bot.core.models import Lang


def format_date(day: date, lang: Lang) -> str:
    """'January 19, 2025' in English, '2025年1月19日' in Chinese."""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day:%B} {day.day}, {day.year}"
