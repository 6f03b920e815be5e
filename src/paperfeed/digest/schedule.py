"""Who is due when. Pure: a subscriber's time zone and frequency, the configured hour, and `now` in;
the period their next digest belongs to out (or None: not yet).

A daily digest is due from `hour` local time each day; its period is the local date ("daily:2026-11-23").
A weekly one is due from `hour` on the configured weekday and stays due for the rest of that ISO week,
so a missed run (cron down, machine off) is caught up later in the week ("weekly:2026-W48"). A missed
day of a daily digest is not sent late, but its papers are not lost: each digest looks back over
LOOKBACK days, and papers already sent are never sent twice (compose.py).

Times are compared in the subscriber's zone with zoneinfo, so daylight-saving changes need no special
case: on the day clocks skip the configured hour, the digest is due from the first hour after it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# How far back a digest looks for new papers (announcement day): daily two days before today, so one
# missed run loses nothing; weekly the week before plus a day.
LOOKBACK = {"daily": timedelta(days=2), "weekly": timedelta(days=8)}
# How far back trending votes count.
TRENDING_WINDOW = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # "daily:2026-11-23", "weekly:2026-W48": one digest per subscriber and key
    local_day: date
    since: date  # papers announced on or after this day are new


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The zone, or UTC (with a warning) for a name this machine's tz database no longer knows."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r: using UTC", name)
        return ZoneInfo("UTC")


def due_period(now: datetime, timezone: str, frequency: str, hour: int, weekday: str = "monday") -> Period | None:
    """The period whose digest is due at `now` (timezone-aware), or None before the hour (or the weekday)."""
    local = now.astimezone(zone(timezone))
    today = local.date()
    if frequency == "daily":
        if local.hour < hour:
            return None
        return Period(f"daily:{today.isoformat()}", today, today - LOOKBACK["daily"])
    if frequency == "weekly":
        start = WEEKDAYS.index(weekday)
        if local.weekday() < start or (local.weekday() == start and local.hour < hour):
            return None
        year, week, _ = today.isocalendar()
        return Period(f"weekly:{year}-W{week:02d}", today, today - LOOKBACK["weekly"])
    raise ValueError(f"unknown frequency {frequency!r}")
