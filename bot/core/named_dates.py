"""Dates a question names ("jan 19", "January 19, 2025", "2025年1月19日", "last june") and the dates each
entry's answer mentions, so that "what happened on jan 19" finds the entries about that day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {
    name: n
    for n, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d\d"
_EN_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*[-–]\s*\d{{1,2}})?\b(?:,?\s+({_YEAR}))?", re.IGNORECASE
)
_EN_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?(?:,?\s+({_YEAR}))?", re.I)
_EN_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?,?\s+(?:of\s+)?({_YEAR})\b", re.IGNORECASE)
_EN_RELATIVE_MONTH = re.compile(rf"\b(last|this|next)\s+({_MONTH})\b", re.IGNORECASE)
_NUMERIC = re.compile(rf"(?<![\d/.])(\d{{1,2}})/(\d{{1,2}})(?:/({_YEAR}|\d\d))?(?![\d/])")
_ISO = re.compile(rf"\b({_YEAR})-(\d\d)-(\d\d)\b")
_ZH_DAY = re.compile(rf"(?:({_YEAR})\s*年\s*)?(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*[日号號]")
_ZH_MONTH_YEAR = re.compile(rf"(?:({_YEAR})|(\d\d))\s*年\s*(\d{{1,2}})\s*月(?!\s*\d)")


@dataclass(frozen=True, slots=True)
class NamedDates:
    """Days (month, day, year or 0 when not said) and months (month, year) named in a text."""

    days: frozenset[tuple[int, int, int]] = frozenset()
    months: frozenset[tuple[int, int]] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.days or self.months)


def _day(month: int, day: int, year: int) -> tuple[int, int, int] | None:
    try:
        dt.date(year or 2024, month, day)  # 2024: a leap year, so February 29 is a day
    except ValueError:
        return None
    return month, day, year


def named_dates(text: str, today: dt.date | None = None) -> NamedDates:
    """Every date `text` names; "last june" and "this january" need `today`."""
    days: set[tuple[int, int, int] | None] = set()
    months: set[tuple[int, int]] = set()
    for month, day, year in _EN_MONTH_DAY.findall(text):
        days.add(_day(_MONTHS[month.lower()], int(day), int(year or 0)))
    for day, month, year in _EN_DAY_MONTH.findall(text):
        days.add(_day(_MONTHS[month.lower()], int(day), int(year or 0)))
    for month, year in _EN_MONTH_YEAR.findall(text):
        months.add((_MONTHS[month.lower()], int(year)))
    for year, month, day in _ISO.findall(text):
        days.add(_day(int(month), int(day), int(year)))
    for month, day, year in _NUMERIC.findall(text):
        full_year = int(year) + 2000 if len(year) == 2 else int(year or 0)
        days.add(_day(int(month), int(day), full_year))
    for year, month, day in _ZH_DAY.findall(text):
        days.add(_day(int(month), int(day), int(year or 0)))
    for year, short_year, month in _ZH_MONTH_YEAR.findall(text):
        months.add((int(month), int(year) if year else 2000 + int(short_year)))
    if today is not None:
        for which, month in _EN_RELATIVE_MONTH.findall(text):
            n = _MONTHS[month.lower()]
            shift = {"last": -1 if n >= today.month else 0, "this": 0, "next": 1 if n <= today.month else 0}
            months.add((n, today.year + shift[which.lower()]))
    return NamedDates(frozenset(d for d in days if d is not None), frozenset(months))


def mentions(question: NamedDates, text: NamedDates) -> bool | None:
    """Whether a text mentions a date the question names; None when the question names none."""
    if not question:
        return None
    for month, day, year in question.days:
        for m, d, y in text.days:
            if (m, d) == (month, day) and (not year or not y or y == year):
                return True
    known_months = text.months | {(m, y) for m, _, y in text.days if y}
    return any(month in known_months for month in question.months)
