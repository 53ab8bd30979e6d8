"""Cron expressions from the config as APScheduler triggers, and the times they fire.

A crontab line has five fields (minute hour day month weekday); a sixth, leading seconds
field is accepted. Weekdays mean what they mean in crontab (0 and 7 are Sunday): APScheduler
3 counts 0 as Monday, so numbered weekdays are turned into names before it sees them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

if TYPE_CHECKING:
    from sheetsync.config import Settings

FIELDS = ("minute", "hour", "day", "month", "day_of_week")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# How far back to look for a schedule's last time: an hour finds a frequent schedule in few
# steps, 400 days finds a yearly one.
LOOKBACK = (dt.timedelta(hours=1), dt.timedelta(days=2), dt.timedelta(days=400))


class CrontabTrigger(CronTrigger):
    """A CronTrigger that, like cron, runs a job at a set hour once when the clocks go back.

    On that day a wall-clock time such as 02:30 comes twice; APScheduler would fire at both.
    A job whose hour is `*` runs by the clock's ticking instead, so it fires at both (an
    hourly sync stays hourly). A time skipped when the clocks go forward fires once, at the
    same distance past the jump (02:30 -> 03:30), as APScheduler does.
    """

    def __init__(self, *, timezone: dt.tzinfo, **fields: str) -> None:
        super().__init__(timezone=timezone, **fields)
        self.once_when_repeated = fields.get("hour", "*") != "*"

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and self.once_when_repeated and _second_occurrence(fire):
            fire = super().get_next_fire_time(fire, _just_after(fire))
        return fire


def _second_occurrence(time: dt.datetime) -> bool:
    """The later of two moments with this wall-clock time (the hour repeated in autumn)."""
    return time.fold == 1 and time.replace(fold=0).utcoffset() != time.utcoffset()


def _just_after(time: dt.datetime) -> dt.datetime:
    return time.astimezone(dt.UTC) + dt.timedelta(microseconds=1)


def cron_trigger(expression: str, timezone: str | dt.tzinfo) -> CrontabTrigger:
    """The trigger for a 5-field crontab expression, or 6 fields with leading seconds.

    Raises ValueError with a sentence saying which field is wrong.
    """
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(
            f"has {len(fields)} fields; write five (minute hour day month "
            'weekday, e.g. "*/30 * * * *") or six with seconds first ("0 */30 * * * *")'
        )
    names = ("second", *FIELDS) if len(fields) == 6 else FIELDS
    values = dict(zip(names, fields, strict=True))
    values["day_of_week"] = crontab_weekdays(values["day_of_week"])
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    try:
        return CrontabTrigger(timezone=zone, **values)
    except ValueError as error:
        raise ValueError(f"is not a cron expression ({error})") from None


def crontab_weekdays(field: str) -> str:
    """A crontab weekday field (0 or 7 = Sunday) as APScheduler weekday names."""
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        days |= _weekday_item(item)
    if len(days) == 7:
        return "*"
    return ",".join(WEEKDAYS[day] for day in sorted(days))


def _weekday_item(item: str) -> set[int]:
    span, slash, step_text = item.partition("/")
    if slash and not step_text.isdigit():
        raise ValueError(f"weekday step {step_text!r} is not a number")
    step = int(step_text) if slash else 1
    if span == "*":
        first, last = 0, 6
    else:
        start, dash, end = span.partition("-")
        first = _weekday_number(start)
        last = _weekday_number(end) if dash else (6 if slash else first)
        if last == 0 and first > 0:
            last = 7  # "fri-sun": Sunday closes the week as 7
    if last < first:
        raise ValueError(f"weekday range {item!r} runs backwards")
    return {day % 7 for day in range(first, last + 1, step)}


def _weekday_number(text: str) -> int:
    """0-7 as written (7 is Sunday too), or a day name's crontab number."""
    text = text.strip().lower()
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text[:3] in WEEKDAYS:
        return WEEKDAYS.index(text[:3])
    raise ValueError(f"weekday {text!r} is not 0-7 or a day name")


def fire_times(
    trigger: CronTrigger, after: dt.datetime, until: dt.datetime | None = None
) -> Iterator[dt.datetime]:
    """The times the trigger fires after `after` (exclusive), up to `until` if given."""
    previous: dt.datetime | None = None
    now = _just_after(after)
    while (fire := trigger.get_next_fire_time(previous, now)) is not None:
        if until is not None and fire > until:
            return
        yield fire
        previous, now = fire, _just_after(fire)


def next_fire_times(trigger: CronTrigger, now: dt.datetime, count: int) -> list[dt.datetime]:
    """The next `count` times the trigger fires after `now`."""
    times = fire_times(trigger, now)
    return [time for time, _ in zip(times, range(count), strict=False)]


def last_fire_time(trigger: CronTrigger, now: dt.datetime) -> dt.datetime | None:
    """The latest time at or before `now` the trigger fired; None if not within 400 days."""
    for window in LOOKBACK:
        last = None
        for fire in fire_times(trigger, now - window, now):
            last = fire
        if last is not None:
            return last
    return None


def schedule_zone(settings: Settings) -> ZoneInfo:
    """The clock the schedule is on: [schedule] timezone, else [rules] timezone, else this
    machine's (a spreadsheet's own zone is not known until it is read)."""
    import tzlocal

    return ZoneInfo(
        settings.schedule.timezone or settings.rules.timezone or tzlocal.get_localzone_name()
    )


def sync_trigger(settings: Settings) -> CrontabTrigger:
    return cron_trigger(settings.schedule.sync, schedule_zone(settings))


def summary_trigger(settings: Settings) -> CrontabTrigger:
    return cron_trigger(settings.schedule.summary, schedule_zone(settings))
