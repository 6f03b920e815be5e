"""Who is due when: one parametrized table over time zones, daylight-saving days and weekly catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperfeed.digest.schedule import due_period


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("now", "timezone", "frequency", "hour", "weekday", "expected"), [
    # daily, UTC: due from the hour, on the local date
    ("2026-11-23T06:59", "UTC", "daily", 7, "monday", None),
    ("2026-11-23T07:00", "UTC", "daily", 7, "monday", "daily:2026-11-23"),
    ("2026-11-23T23:59", "UTC", "daily", 7, "monday", "daily:2026-11-23"),
    # Paris is UTC+1 in winter: 06:00 UTC is 07:00 there
    ("2026-11-23T05:59", "Europe/Paris", "daily", 7, "monday", None),
    ("2026-11-23T06:00", "Europe/Paris", "daily", 7, "monday", "daily:2026-11-23"),
    # ... and UTC+2 in summer
    ("2026-07-01T04:59", "Europe/Paris", "daily", 7, "monday", None),
    ("2026-07-01T05:00", "Europe/Paris", "daily", 7, "monday", "daily:2026-07-01"),
    # Auckland (UTC+13 in November) is already on the next day
    ("2026-11-22T18:00", "Pacific/Auckland", "daily", 7, "monday", "daily:2026-11-23"),
    ("2026-11-22T17:59", "Pacific/Auckland", "daily", 7, "monday", None),
    # New York (UTC-5) is still on the previous day
    ("2026-11-23T03:00", "America/New_York", "daily", 7, "monday", "daily:2026-11-22"),
    ("2026-11-23T11:59", "America/New_York", "daily", 7, "monday", None),
    ("2026-11-23T12:00", "America/New_York", "daily", 7, "monday", "daily:2026-11-23"),
    # Paris springs forward on 2026-03-29: 02:00 does not exist, 01:59 CET -> 03:00 CEST (01:00 UTC)
    ("2026-03-29T00:59", "Europe/Paris", "daily", 2, "monday", None),
    ("2026-03-29T01:00", "Europe/Paris", "daily", 2, "monday", "daily:2026-03-29"),
    # ... and falls back on 2026-10-25: 02:00 comes twice; due from the first (00:00 UTC)
    ("2026-10-24T23:59", "Europe/Paris", "daily", 2, "monday", None),
    ("2026-10-25T00:00", "Europe/Paris", "daily", 2, "monday", "daily:2026-10-25"),
    # half-hour zone: India is UTC+5:30
    ("2026-11-23T01:29", "Asia/Kolkata", "daily", 7, "monday", None),
    ("2026-11-23T01:30", "Asia/Kolkata", "daily", 7, "monday", "daily:2026-11-23"),
    # weekly on Mondays (2026-11-23 is a Monday, ISO week 48): not before Monday's hour ...
    ("2026-11-22T12:00", "UTC", "weekly", 7, "monday", "weekly:2026-W47"),  # Sunday: the week before
    ("2026-11-23T06:00", "UTC", "weekly", 7, "monday", None),
    ("2026-11-23T07:00", "UTC", "weekly", 7, "monday", "weekly:2026-W48"),
    # ... and caught up later in the week if a run was missed
    ("2026-11-26T03:00", "UTC", "weekly", 7, "monday", "weekly:2026-W48"),
    ("2026-11-29T23:00", "UTC", "weekly", 7, "monday", "weekly:2026-W48"),
    ("2026-11-30T06:00", "UTC", "weekly", 7, "monday", None),
    # weekly on Fridays, in Tokyo (UTC+9): Friday 07:00 there is Thursday 22:00 UTC
    ("2026-11-26T21:59", "Asia/Tokyo", "weekly", 7, "friday", None),
    ("2026-11-26T22:00", "Asia/Tokyo", "weekly", 7, "friday", "weekly:2026-W48"),
    # the ISO year differs from the calendar year at the turn of the year
    ("2027-01-01T08:00", "UTC", "weekly", 7, "friday", "weekly:2026-W53"),
    # midnight as the hour: due all day
    ("2026-11-23T00:00", "UTC", "daily", 0, "monday", "daily:2026-11-23"),
])
def test_due_period(now, timezone, frequency, hour, weekday, expected):
    period = due_period(utc(now), timezone, frequency, hour, weekday)
    assert (period.key if period else None) == expected


def test_the_look_back_covers_a_missed_day_and_a_whole_week():
    daily = due_period(utc("2026-11-23T08:00"), "UTC", "daily", 7)
    weekly = due_period(utc("2026-11-23T08:00"), "UTC", "weekly", 7)
    assert (daily.local_day, daily.since) == (date(2026, 11, 23), date(2026, 11, 21))
    assert weekly.since == date(2026, 11, 15)


def test_an_unknown_zone_falls_back_to_utc():
    assert due_period(utc("2026-11-23T07:00"), "Nowhere/Special", "daily", 7).key == "daily:2026-11-23"
