"""A month's figures from the snapshots, and where each goal is heading.

The sheet only holds totals to date, so "spent in October" is the total of the last snapshot
on or before 31 October minus that of the last one on or before 1 October. Pure: snapshots
and days in, values out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sheetsync.state import Snapshot


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month, e.g. October 2026."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`2026-10` -> October 2026; ValueError naming the expected form otherwise."""
        try:
            first = dt.date.fromisoformat(f"{text.strip()}-01")
        except ValueError:
            raise ValueError(
                f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-10."
            ) from None
        return cls(first.year, first.month)

    @classmethod
    def before(cls, day: dt.date) -> Month:
        """The month just ended on `day`: October for any day of November."""
        return cls.of(day.replace(day=1) - dt.timedelta(days=1))

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return self.next.first - dt.timedelta(days=1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def label(self) -> str:
        """`October 2026` (English month names: the e-mail's language)."""
        return self.first.strftime("%B %Y")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and (day.year, day.month) == (self.year, self.month)


@dataclass(frozen=True, slots=True)
class Period:
    """The two snapshots a month's figures are the difference of."""

    start: dt.date  # the baseline snapshot's day
    end: dt.date
    partial: bool  # the baseline lies inside the month, so part of it is not counted


# A baseline older than this before the month's first day would count weeks of another
# month as this one's; the month is then measured from its own first snapshot instead.
BASELINE_SLACK_DAYS = 7


def month_period(days: Sequence[dt.date], month: Month) -> Period | None:
    """Which snapshot days measure `month`; None when no snapshot lies inside it.

    The baseline is the last snapshot on or before the month's first day (at most a week
    before); failing that, the first one inside the month, and the figures are partial.
    """
    inside = [day for day in days if day in month]
    if not inside:
        return None  # a month with no runs: its figures are unknown, not zero
    earliest_baseline = month.first - dt.timedelta(days=BASELINE_SLACK_DAYS)
    before = [day for day in days if earliest_baseline <= day <= month.first]
    if before:
        return Period(max(before), max(inside), partial=False)
    if len(inside) == 1:
        return None  # one snapshot measures nothing; the e-mail shows totals to date
    return Period(min(inside), max(inside), partial=True)


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """What one goal spent, earned and achieved in the month."""

    spend: float | None
    revenue: float | None
    result: float | None
    partial: bool  # counted from a later day than the month's first (first month, new goal)

    def as_dict(self) -> dict[str, float | bool | None]:
        return {
            "spend": _rounded(self.spend),
            "revenue": _rounded(self.revenue),
            "result": _rounded(self.result),
            "partial": self.partial,
        }


def goal_month_figures(
    goal_key: str, baseline: Snapshot | None, later: Sequence[Snapshot], end: Snapshot
) -> MonthFigures | None:
    """End minus baseline for one goal; None when the end snapshot does not have the goal.

    A goal missing from the baseline (added, or its ID renamed, during the month) is
    counted from the first snapshot in the month that has it, and marked partial: its
    totals before that day are unknown, and a number sheetsync cannot know is not shown.
    """
    last = end.goals.get(goal_key)
    if last is None:
        return None
    first = baseline.goals.get(goal_key) if baseline else None
    partial = False
    if first is None:
        first = next((s.goals[goal_key] for s in later if goal_key in s.goals), last)
        partial = True
    return MonthFigures(
        spend=_difference(last.spend, first.spend),
        revenue=_difference(last.revenue, first.revenue),
        result=_difference(last.current, first.current),
        partial=partial,
    )


def _difference(last: float | None, first: float | None) -> float | None:
    # An unknown total at either end (its Plan or a cell did not read that day) leaves the
    # month unknown: counted from 0 it would show the whole total as one month's.
    if last is None or first is None:
        return None
    return last - first


@dataclass(frozen=True, slots=True)
class Forecast:
    """Where a goal ends at its current pace."""

    at_end: float
    progress_at_end: float
    on_pace: bool
    end: dt.date
    ended: bool  # the goal's End has passed: these are its final figures

    def as_dict(self) -> dict[str, float | bool]:
        return {
            "at_end": round(self.at_end, 2),
            "progress_at_end": round(self.progress_at_end, 4),
            "on_pace": self.on_pace,
        }


# The pace is measured over at most this many days of snapshots: recent enough to be
# "current", long enough not to swing with one week's figures.
PACE_WINDOW_DAYS = 90


def forecast(
    current: float | None,
    target: float | None,
    start: dt.date | None,
    end: dt.date | None,
    today: dt.date,
    history: Sequence[tuple[dt.date, float]],
) -> Forecast | None:
    """The goal's KPI at its End if it keeps the pace of its snapshots (oldest first).

    With fewer than two snapshot days in the window, the pace is the average since Start.
    None when there is nothing to go on (no target, no dates, not started).
    """
    if current is None or not target or start is None or end is None or today < start:
        return None
    if today >= end:
        return Forecast(current, current / target, current >= target, end, ended=True)
    per_day = _pace(history, today) if history else None
    if per_day is None:
        elapsed = (today - start).days
        if elapsed <= 0:
            return None
        per_day = current / elapsed
    at_end = current + max(per_day, 0.0) * (end - today).days
    return Forecast(at_end, at_end / target, at_end >= target, end, ended=False)


def _pace(history: Sequence[tuple[dt.date, float]], today: dt.date) -> float | None:
    window = [(day, value) for day, value in history if (today - day).days <= PACE_WINDOW_DAYS]
    if len({day for day, _ in window}) < 2:
        return None
    (first_day, first_value), (last_day, last_value) = window[0], window[-1]
    return (last_value - first_value) / (last_day - first_day).days


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
