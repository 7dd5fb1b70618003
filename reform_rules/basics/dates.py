"""The one place dates are parsed and computed: ISO dates, month arithmetic, ordinals."""
from __future__ import annotations

import calendar
import datetime as _dt
import re

Date = _dt.date
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: object) -> Date:
    """An ISO date (``YYYY-MM-DD``) from a string or a date; ValueError with a plain message."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    text = str(value).strip()
    if not _ISO.match(text):
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD)")
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date (no such day)") from None


def add_months(day: Date, months: int) -> Date:
    """``day`` moved by whole months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return _dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_end(start: Date, months: int) -> Date:
    """Last day of a window of ``months`` months from ``start`` (2018-08-03, 6 → 2019-02-02)."""
    return add_months(start, months) - _dt.timedelta(days=1)


def weeks_end(start: Date, weeks: int) -> Date:
    """Last day of a window of ``weeks`` weeks from ``start`` (first day counts as day 1)."""
    return start + _dt.timedelta(days=7 * weeks - 1)


def completed_months(start: Date, day: Date) -> int:
    """Whole months completed from ``start`` to ``day`` (0 during the first month)."""
    if day < start:
        return -1
    months = (day.year - start.year) * 12 + (day.month - start.month)
    if add_months(start, months) > day:
        months -= 1
    return months


def age_on(born: Date, day: Date) -> int:
    """Completed years of age on ``day`` (a person born 29 Feb turns a year older on 1 Mar)."""
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def birthday(born: Date, years: int) -> Date:
    """The day a person born on ``born`` turns ``years`` old."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # born 29 February
        return _dt.date(born.year + years, 3, 1)


def ordinal(day: Date) -> int:
    return day.toordinal()


def from_ordinal(n: int) -> Date:
    return _dt.date.fromordinal(n)


def iso(day: Date | None) -> str | None:
    return day.isoformat() if day else None
