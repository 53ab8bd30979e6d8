"""Status, ROI and goal figures (SPEC 4): pure functions of the model and "today"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

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
    """A goal's sums over its tactics."""

    planned_budget: float
    spend: float
    revenue: float
    current: float
    tactic_count: int

    @property
    def roi(self) -> float | None:
        return roi(self.revenue, self.spend)


def roi(revenue: float | None, spend: float | None) -> float | None:
    """(Revenue - Spend) / Spend; None when nothing was spent."""
    if not spend:
        return None
    return ((revenue or 0.0) - spend) / spend


def progress(current: float, target: float | None) -> float | None:
    return current / target if target else None


def elapsed_share(start: dt.date, end: dt.date, today: dt.date) -> float:
    """How much of start..end has passed, 0 to 1."""
    if today <= start:
        return 0.0
    if today >= end:
        return 1.0
    return (today - start).days / (end - start).days


def tactics_by_goal(tactics: Iterable[Tactic]) -> dict[str, list[Tactic]]:
    grouped: dict[str, list[Tactic]] = {}
    for tactic in tactics:
        if tactic.goal_id:
            grouped.setdefault(tactic.goal_id.casefold(), []).append(tactic)
    return grouped


def goal_figures(goal: Goal, tactics: Iterable[Tactic]) -> GoalFigures:
    counts_revenue = (goal.kpi or "").strip().casefold() == "revenue"
    planned = spend = revenue = current = 0.0
    count = 0
    for tactic in tactics:
        count += 1
        planned += tactic.budget or 0.0
        spend += tactic.spend or 0.0
        revenue += tactic.revenue or 0.0
        if tactic.result is not None:
            current += tactic.result
        elif counts_revenue:
            current += tactic.revenue or 0.0
    return GoalFigures(planned, spend, revenue, current, count)


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
    behind = elapsed_share(tactic.start, tactic.due, today) - done
    overspent = (tactic.spend or 0.0) > (tactic.budget or 0.0)
    if behind * 100 > at_risk_points or overspent:
        return TacticStatus.AT_RISK
    return TacticStatus.ON_TRACK


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
    behind = elapsed_share(goal.start, goal.end, today) - figures.current / goal.target
    if behind * 100 > at_risk_points:
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
