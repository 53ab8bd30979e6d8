"""Cron expressions as triggers: crontab weekdays, a seconds field, time zones and DST.

Times come from the trigger's own API (get_next_fire_time) with fixed datetimes: no sleeps.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sheetsync.schedule import cron_trigger, fire_times, last_fire_time, next_fire_times

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")


def at(*parts: int, zone: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)


def fires_on(expression: str, zone: str, day: dt.date) -> list[dt.datetime]:
    """Every firing whose wall-clock date (in `zone`) is `day`, as UTC times."""
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(), tz) - dt.timedelta(hours=3)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    trigger = cron_trigger(expression, zone)
    return [
        fire.astimezone(UTC)
        for fire in fire_times(trigger, start, end)
        if fire.astimezone(tz).date() == day
    ]


@pytest.mark.parametrize(
    ("weekday", "days"),
    [
        ("0", {6}),  # crontab 0 is Sunday (APScheduler 3 alone would read Monday)
        ("7", {6}),
        ("1-5", {0, 1, 2, 3, 4}),
        ("5-7", {4, 5, 6}),
        ("*/2", {6, 1, 3, 5}),  # Sunday, Tuesday, Thursday, Saturday, as in crontab
        ("mon,wed", {0, 2}),
        ("sun-sat", {0, 1, 2, 3, 4, 5, 6}),
    ],
)
def test_weekdays_mean_what_they_mean_in_crontab(weekday, days):
    trigger = cron_trigger(f"0 9 * * {weekday}", "UTC")
    week = next_fire_times(trigger, at(2026, 11, 29, 12), 14)  # from a Sunday noon
    assert {fire.weekday() for fire in week} == days


def test_a_leading_sixth_field_is_seconds():
    trigger = cron_trigger("*/20 * * * * *", "UTC")
    assert next_fire_times(trigger, at(2026, 1, 1, 0, 0, 5), 3) == [
        at(2026, 1, 1, 0, 0, 20),
        at(2026, 1, 1, 0, 0, 40),
        at(2026, 1, 1, 0, 1, 0),
    ]


def test_times_are_on_the_configured_clock():
    trigger = cron_trigger("0 8 1 * *", "America/New_York")
    (fire,) = next_fire_times(trigger, at(2026, 11, 30), 1)
    assert fire.astimezone(UTC) == at(2026, 12, 1, 13)  # 08:00 EST


def test_spring_forward_a_skipped_time_runs_once_just_after_the_jump():
    # 29 March 2026, Berlin: 02:00 CET becomes 03:00 CEST, so 02:30 never happens.
    assert fires_on("30 2 * * *", "Europe/Berlin", dt.date(2026, 3, 29)) == [at(2026, 3, 29, 1, 30)]


def test_fall_back_a_repeated_time_runs_once():
    # 25 October 2026, Berlin: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    assert fires_on("30 2 * * *", "Europe/Berlin", dt.date(2026, 10, 25)) == [
        at(2026, 10, 25, 0, 30)  # 02:30 CEST, the first of the two
    ]


def test_fall_back_an_hourly_job_keeps_every_real_hour():
    fires = fires_on("0 * * * *", "Europe/Berlin", dt.date(2026, 10, 25))
    assert len(fires) == 25  # the day has 25 hours
    assert len(set(fires)) == 25


def test_ordinary_days_run_once_at_the_wall_clock_time():
    assert fires_on("30 2 * * *", "Europe/Berlin", dt.date(2026, 10, 26)) == [
        at(2026, 10, 26, 1, 30)
    ]


def test_last_fire_time_looks_back_over_a_month():
    trigger = cron_trigger("0 8 1 * *", "Europe/London")
    assert last_fire_time(trigger, at(2026, 11, 30, 12)) == at(2026, 11, 1, 8, zone=UTC)
    assert last_fire_time(trigger, at(2026, 12, 1, 7, 59)) == at(2026, 11, 1, 8)
    assert last_fire_time(trigger, at(2026, 12, 1, 8)) == at(2026, 12, 1, 8)
    frequent = cron_trigger("*/5 * * * * *", "UTC")
    assert last_fire_time(frequent, at(2026, 1, 1, 0, 0, 7)) == at(2026, 1, 1, 0, 0, 5)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("* * *", "has 3 fields"),
        ("61 * * * *", "is not a cron expression"),
        ("0 9 * * 9", "weekday '9' is not 0-7 or a day name"),
        ("0 9 * * 5-1", "weekday range '5-1' runs backwards"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression, expected):
    with pytest.raises(ValueError, match=expected):
        cron_trigger(expression, "UTC")
