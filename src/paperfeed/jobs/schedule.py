"""When a job is due: its APScheduler trigger, and the latest due time at or before a moment. Pure.

Every process computes the same due time from the same trigger and clock, so the due time names a
run: runner.py lets exactly one process take it. Interval triggers start from a fixed instant
(ANCHOR) for the same reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
LOOKBACK = timedelta(days=8)  # longer than any job's period: a weekly cron still has a due time


def cron(expression: str, timezone: str = "UTC") -> CronTrigger:
    """A crontab line (minute hour day month weekday) in a time zone; ValueError when malformed."""
    return CronTrigger.from_crontab(expression, timezone=timezone)


def every(seconds: float) -> IntervalTrigger:
    return IntervalTrigger(seconds=seconds, start_date=ANCHOR, timezone=UTC)


def next_due(trigger, after: datetime) -> datetime | None:
    """The first due time strictly after `after`."""
    moment = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    return None if moment is None else moment.astimezone(UTC)


def latest_due(trigger, now: datetime) -> datetime | None:
    """The latest due time at or before `now` (within LOOKBACK), None if there is none."""
    if isinstance(trigger, IntervalTrigger):
        period = trigger.interval.total_seconds()
        steps = int((now - ANCHOR).total_seconds() // period)
        return ANCHOR + timedelta(seconds=steps * period) if steps >= 0 else None
    due = None
    moment = trigger.get_next_fire_time(None, now - LOOKBACK)
    while moment is not None and moment <= now:
        due = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return None if due is None else due.astimezone(UTC)
