"""Status, ROI and goal figures (SPEC 4): pure functions of the model and "today".

Every threshold a status turns on is compared in exact decimal arithmetic: 11 of 20 days gone
and 30 % done is 25 points behind, not the 25.000000000000004 that floats make of it, and
1,000.10 + 2,000.20 reaches a target of 3,000.30.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import MAX_PREC, Context, Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from itertools import repeat
from math import isfinite
from operator import eq, mul, truediv

from sheetsync.model import Event, Goal, Model, Tactic


class TacticStatus(StrEnum):
    NEEDS_FIX = "Needs fix"
    DONE = "Done"
    OVERDUE = "Overdue"
    NOT_STARTED = "Not started"
    AT_RISK = "At risk"
    ON_TRACK = "On track"


class GoalStatus(StrEnum):
    NEEDS_FIX = "Needs fix"
    DONE = "Done"
    NO_PLAN = "No plan"
    MISSED = "Missed"
    NOT_STARTED = "Not started"
    BEHIND = "Behind"
    ON_TRACK = "On track"


class EventStatus(StrEnum):
    PAST = "Past"
    PREPARED = "Prepared"
    UNPREPARED = "Unprepared"


@dataclass(frozen=True, slots=True)
class GoalFigures:
    """A goal's sums over its tactics.

    A blank Revenue is "not tracked", not 0 (a lead-generation tactic is not a loss): the
    goal's Revenue and ROI are over the tactics whose Revenue is filled in, and blank when
    none is.
    """

    planned_budget: float
    spend: float  # every tactic's
    revenue: float | None  # the tactics that track revenue; None when none does
    current: float
    tactic_count: int
    tracked_spend: float  # the Spend of the tactics that track revenue: ROI's denominator
    revenue_kpi: bool  # the KPI is Revenue: a cost per result would be cost per dollar

    @property
    def roi(self) -> float | None:
        return roi(self.revenue, self.tracked_spend)

    @property
    def cost_per_result(self) -> float | None:
        return None if self.revenue_kpi else cost_per_result(self.spend, self.current)


def roi(revenue: float | None, spend: float | None) -> float | None:
    """(Revenue - Spend) / Spend; None when nothing was spent or revenue is not tracked."""
    if revenue is None or not spend:
        return None
    return _finite((revenue - spend) / spend)


def cost_per_result(spend: float | None, results: float | None) -> float | None:
    """Spend / Result; None when either is blank or 0."""
    if not spend or not results:
        return None
    return _finite(spend / results)


def progress(current: float, target: float | None) -> float | None:
    return _finite(current / target) if target else None


def _finite(ratio: float) -> float | None:
    """A ratio, or None where dividing by a vanishingly small number overflowed to infinity:
    a figure that cannot be computed is left blank rather than written as inf."""
    return ratio if isfinite(ratio) else None


# Decimal addition in this context never rounds: the coefficient grows as the sum needs.
_EXACT = Context(prec=MAX_PREC)
# Whole numbers (and whole cents, counted as integers) add up exactly in floats below 2**53.
_EXACT_WHOLE_BELOW = 2**53


@lru_cache(maxsize=4096)  # progress and points values repeat: 0.5, done, 25
def typed(value: float) -> Fraction:
    """The decimal a number was typed as, exactly.

    A cell's number reaches us as the float nearest to what was typed; repr() gives the
    shortest decimal that reads back as that float, which for the up to 15 significant digits
    a spreadsheet keeps is the typed decimal itself (0.3, not 0.299999999999999988898).
    """
    return Fraction(repr(float(value)))


def exact_sum(values: Iterable[float]) -> float:
    """The sum of typed decimals, computed exactly and rounded once to the nearest float."""
    numbers = list(values)
    # Fast and exact for the usual amounts and counts (this runs for every goal's every
    # figure, so the loops stay in C through map): whole numbers sum exactly in floats below
    # 2**53, and whole cents sum exactly as integers, divided by 100 once, correctly rounded.
    if all(map(float.is_integer, numbers)) and sum(map(abs, numbers)) < _EXACT_WHOLE_BELOW:
        return float(sum(numbers))
    cents = list(map(round, map(mul, numbers, repeat(100))))
    if sum(map(abs, cents)) < _EXACT_WHOLE_BELOW and all(
        map(eq, map(truediv, cents, repeat(100)), numbers)
    ):
        return sum(cents) / 100
    total = Decimal(0)
    for number in numbers:
        total = _EXACT.add(total, Decimal(repr(float(number))))
    return float(total)


def more_than_points_behind(
    start: dt.date, end: dt.date, today: dt.date, done: Fraction, points: float
) -> bool:
    """Whether `done` trails the share of start..end gone by more than `points`, exactly.

    The share gone is whole days: gone / length, 0 before start and 1 from end on.
    """
    if today <= start:
        gone, length = 0, 1
    elif today >= end:
        gone, length = 1, 1
    else:
        gone, length = (today - start).days, (end - start).days
    limit = typed(points)
    # (gone / length - done) * 100 > limit, multiplied out into integers: this runs for every
    # tactic under way, and integer arithmetic is several times quicker than Fraction's.
    return (
        100 * (gone * done.denominator - done.numerator * length) * limit.denominator
        > limit.numerator * length * done.denominator
    )


def tactics_by_goal(tactics: Iterable[Tactic]) -> dict[str, list[Tactic]]:
    grouped: dict[str, list[Tactic]] = {}
    for tactic in tactics:
        if tactic.goal_id:
            grouped.setdefault(tactic.goal_id.casefold(), []).append(tactic)
    return grouped


def counts_revenue(goal: Goal) -> bool:
    """Whether the goal's KPI is Revenue: its Current then counts a tactic's Revenue where the
    tactic's Result is blank (SPEC 4.2)."""
    return (goal.kpi or "").strip().casefold() == "revenue"


def goal_figures(goal: Goal, tactics: Sequence[Tactic]) -> GoalFigures:
    revenue_kpi = counts_revenue(goal)
    # (Revenue, Spend) of the tactics that track revenue
    tracked = [(t.revenue, t.spend or 0.0) for t in tactics if t.revenue is not None]
    # A column at a time: this runs for every goal, over every tactic of the plan.
    if revenue_kpi:
        current = [t.revenue or 0.0 if t.result is None else t.result for t in tactics]
    else:
        current = [t.result for t in tactics if t.result is not None]
    return GoalFigures(
        planned_budget=exact_sum([tactic.budget or 0.0 for tactic in tactics]),
        spend=exact_sum([tactic.spend or 0.0 for tactic in tactics]),
        revenue=exact_sum([revenue for revenue, _ in tracked]) if tracked else None,
        current=exact_sum(current),
        tactic_count=len(tactics),
        tracked_spend=exact_sum([spend for _, spend in tracked]),
        revenue_kpi=revenue_kpi,
    )


def all_goal_figures(model: Model, grouped: Mapping[str, list[Tactic]]) -> dict[str, GoalFigures]:
    """Figures per goal ID (case-insensitive key); a repeated ID keeps its first row."""
    figures: dict[str, GoalFigures] = {}
    for goal in model.goals:
        if goal.goal_id and goal.goal_id.casefold() not in figures:
            key = goal.goal_id.casefold()
            figures[key] = goal_figures(goal, grouped.get(key, ()))
    return figures


def tactic_status(
    tactic: Tactic, today: dt.date, needs_fix: bool, at_risk_points: float
) -> TacticStatus:
    """The first status that applies, in SPEC 4.1 order."""
    done = tactic.progress or 0.0
    if needs_fix or tactic.start is None or tactic.due is None:
        return TacticStatus.NEEDS_FIX
    if done >= 1.0:
        return TacticStatus.DONE
    if today > tactic.due:
        return TacticStatus.OVERDUE
    if today < tactic.start:
        return TacticStatus.NOT_STARTED
    if is_overspent(tactic) or more_than_points_behind(
        tactic.start, tactic.due, today, typed(done), at_risk_points
    ):
        return TacticStatus.AT_RISK
    return TacticStatus.ON_TRACK


def is_overspent(tactic: Tactic) -> bool:
    """Spend above Budget; equal is fine (SPEC 3), and a blank Budget is 0."""
    return (tactic.spend or 0.0) > (tactic.budget or 0.0)


def goal_status(
    goal: Goal,
    figures: GoalFigures | None,
    today: dt.date,
    needs_fix: bool,
    at_risk_points: float,
) -> GoalStatus:
    """The first status that applies, in SPEC 4.2 order."""
    if needs_fix or figures is None or goal.start is None or goal.end is None or not goal.target:
        return GoalStatus.NEEDS_FIX
    if figures.current >= goal.target:
        return GoalStatus.DONE
    if figures.tactic_count == 0:
        return GoalStatus.NO_PLAN
    if today > goal.end:
        return GoalStatus.MISSED
    if today < goal.start:
        return GoalStatus.NOT_STARTED
    reached = typed(figures.current) / typed(goal.target)
    if more_than_points_behind(goal.start, goal.end, today, reached, at_risk_points):
        return GoalStatus.BEHIND
    return GoalStatus.ON_TRACK


def preparation_window(event: Event, default_lead_days: int) -> tuple[dt.date, dt.date] | None:
    if event.date is None:
        return None
    lead = event.lead_days if event.lead_days is not None else default_lead_days
    return event.date - dt.timedelta(days=int(lead)), event.date


def event_is_prepared(
    event: Event, tactics: Mapping[str, list[Tactic]], all_tactics: Iterable[Tactic], lead_days: int
) -> bool:
    """A tactic of the event's goals (any goal when none is named) is due in its window."""
    window = preparation_window(event, lead_days)
    if window is None:
        return False
    if event.goal_ids:
        candidates = [t for g in event.goal_ids for t in tactics.get(g.casefold(), ())]
    else:
        candidates = list(all_tactics)
    first, last = window
    return any(t.due is not None and first <= t.due <= last for t in candidates)


def event_status(event: Event, today: dt.date, prepared: bool) -> EventStatus | None:
    if event.date is None:
        return None
    if event.date < today:
        return EventStatus.PAST
    return EventStatus.PREPARED if prepared else EventStatus.UNPREPARED
