"""The periods the daily feed shows: a day (2026-11-23), an ISO week (2026-W47) or a month (2026-11),
with their neighbours for previous/next links. Pure."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from paperfeed.errors import InvalidInput

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # "day", "week" or "month"
    start: date
    end: date  # inclusive

    @property
    def param(self) -> tuple[str, str]:
        """The query parameter naming this period: ("date", "2026-11-23"), ("week", ...), ("month", ...)."""
        if self.kind == "day":
            return "date", self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return "week", f"{year}-W{week:02d}"
        return "month", f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.strftime("%A, %B %-d, %Y")
        if self.kind == "week":
            return f"Week {self.param[1].split('-W')[1]} of {self.start.isocalendar()[0]} " \
                   f"({self.start:%b %-d} – {self.end:%b %-d, %Y})"
        return self.start.strftime("%B %Y")

    def previous(self) -> Period | None:
        """The period before this one; None at the start of the calendar."""
        return self.containing(self.start - timedelta(days=1)) if self.start > date.min else None

    def next(self) -> Period | None:
        return self.containing(self.end + timedelta(days=1)) if self.end < date.max else None

    def containing(self, day: date) -> Period:
        """The period of the same kind that holds `day`."""
        if self.kind == "day":
            return day_period(day)
        if self.kind == "week":
            return week_period(day)
        return month_period(day)


def day_period(day: date) -> Period:
    return Period("day", day, day)


def _shift(day: date, days: int) -> date:
    """`day` moved by `days`, stopping at the ends of the calendar (years 1 and 9999)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def week_period(day: date) -> Period:
    start = _shift(day, -day.weekday())
    return Period("week", start, _shift(start, 6))


def month_period(day: date) -> Period:
    return Period("month", day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))


def parse_period(day: str | None, week: str | None, month: str | None, default_day: date) -> Period:
    """The period the query names (at most one of date, week, month); the day `default_day` if none.

    Raises InvalidInput with the expected format for anything else.
    """
    given = [(name, value) for name, value in (("date", day), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise InvalidInput(f"give one of date, week or month, not {' and '.join(name for name, _ in given)}")
    if not given:
        return day_period(default_day)
    name, value = given[0]
    try:
        if name == "date":
            if not DATE.match(value):
                raise ValueError
            return day_period(date.fromisoformat(value))
        if name == "week":
            match = WEEK.match(value)
            if not match:
                raise ValueError
            return week_period(date.fromisocalendar(int(match[1]), int(match[2]), 1))
        match = MONTH.match(value)
        if not match:
            raise ValueError
        return month_period(date(int(match[1]), int(match[2]), 1))
    except ValueError:
        expected = {"date": "YYYY-MM-DD", "week": "YYYY-Www, e.g. 2026-W47", "month": "YYYY-MM"}[name]
        raise InvalidInput(f"{name} {value[:40]!r} is not a valid {name}: expected {expected}") from None
