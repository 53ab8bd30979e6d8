"""From a Workbook to a Report: parse, check, then compute statuses and ROI.

Pure: no file, network or clock access; "today" is a parameter.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sheetsync.compute import (
    EventStatus,
    GoalFigures,
    GoalStatus,
    TacticStatus,
    all_goal_figures,
    event_is_prepared,
    event_status,
    goal_status,
    progress,
    roi,
    tactic_status,
    tactics_by_goal,
)
from sheetsync.config import RuleSettings, Settings
from sheetsync.model import Event, Goal, Model, Tactic, build_model
from sheetsync.rules import CheckContext, Finding, run_checks
from sheetsync.workbook import Workbook

DEFAULT_LOCALE = "en_US"

_P = ParamSpec("_P")
_R = TypeVar("_R")


def gc_paused(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run without the cyclic garbage collector.

    The engine builds hundreds of thousands of small acyclic values; at 100k tactics the
    collector's passes over them cost a third of the run, and free nothing.
    """

    @functools.wraps(function)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return run


@dataclass(frozen=True, slots=True)
class GoalResult:
    goal: Goal
    figures: GoalFigures | None
    status: GoalStatus

    @property
    def progress(self) -> float | None:
        return progress(self.figures.current, self.goal.target) if self.figures else None

    @property
    def roi(self) -> float | None:
        return self.figures.roi if self.figures else None


@dataclass(frozen=True, slots=True)
class TacticResult:
    tactic: Tactic
    status: TacticStatus

    @property
    def roi(self) -> float | None:
        return roi(self.tactic.revenue, self.tactic.spend)


@dataclass(frozen=True, slots=True)
class EventResult:
    event: Event
    status: EventStatus | None


@dataclass(frozen=True, slots=True)
class Report:
    """What one check found and computed."""

    workbook: Workbook
    location: str
    today: dt.date
    locale: str
    model: Model
    findings: tuple[Finding, ...]
    goals: tuple[GoalResult, ...]
    tactics: tuple[TacticResult, ...]
    events: tuple[EventResult, ...]
    findings_by_row: Mapping[tuple[str, int], list[Finding]]  # (tab, row) -> its findings

    title: str  # [workbook] title, else the file name or spreadsheet title

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def findings_for_row(self, tab: str, row: int) -> list[Finding]:
        return self.findings_by_row.get((tab.casefold(), row), [])

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of `sheetsync check --format json` (SPEC 7)."""
        return {
            "workbook": self.title,
            "location": self.location,
            "today": self.today.isoformat(),
            "counts": {"error": self.count("error"), "warning": self.count("warning")},
            "findings": [finding.as_dict() for finding in self.findings],
            "goals": [_goal_dict(result) for result in self.goals],
            "tactics": [
                {
                    "id": r.tactic.tactic_id,
                    "row": r.tactic.row,
                    "status": str(r.status),
                    "roi": _rounded(r.roi),
                }
                for r in self.tactics
            ],
            "events": [
                {
                    "event": r.event.event,
                    "row": r.event.row,
                    "status": str(r.status) if r.status else None,
                }
                for r in self.events
            ],
        }


def _index_findings(findings: tuple[Finding, ...]) -> dict[tuple[str, int], list[Finding]]:
    by_row: dict[tuple[str, int], list[Finding]] = {}
    for finding in findings:
        if finding.row is not None and finding.row > 1:
            by_row.setdefault((finding.tab.casefold(), finding.row), []).append(finding)
    return by_row


def _goal_dict(result: GoalResult) -> dict[str, Any]:
    figures = result.figures
    return {
        "id": result.goal.goal_id,
        "row": result.goal.row,
        "status": str(result.status),
        "current": figures.current if figures else None,
        "target": result.goal.target,
        "progress": _rounded(result.progress),
        "roi": _rounded(result.roi),
        "budget": result.goal.budget,
        "planned_budget": figures.planned_budget if figures else None,
        "spend": figures.spend if figures else None,
        "revenue": figures.revenue if figures else None,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@gc_paused
def evaluate(workbook: Workbook, today: dt.date, settings: Settings, location: str = "") -> Report:
    """Check a workbook as of `today` and compute every status."""
    locale = settings.rules.locale or workbook.locale or DEFAULT_LOCALE
    model = build_model(workbook, _tab_names(settings), settings.aliases, locale)
    context = _context(model, today, settings.rules)
    findings = tuple(run_checks(context, settings.rules.ignore, settings.rules.severity))
    broken = {(f.tab.casefold(), f.row) for f in findings if f.severity == "error" and f.row}
    return Report(
        workbook=workbook,
        title=settings.workbook.title or workbook.title,
        location=location,
        today=today,
        locale=locale,
        model=model,
        findings=findings,
        goals=_goal_results(context, broken, settings.rules),
        tactics=_tactic_results(model, today, broken, settings.rules),
        events=_event_results(context, today, settings.rules),
        findings_by_row=_index_findings(findings),
    )


def _tab_names(settings: Settings) -> dict[str, str]:
    tabs = settings.tabs
    return {"strategy": tabs.strategy, "plan": tabs.plan, "calendar": tabs.calendar}


def _context(model: Model, today: dt.date, rules: RuleSettings) -> CheckContext:
    goals: dict[str, Goal] = {}
    for goal in model.goals:
        if goal.goal_id:
            goals.setdefault(goal.goal_id.casefold(), goal)
    grouped = tactics_by_goal(model.tactics)
    return CheckContext(
        model=model,
        today=today,
        at_risk_points=rules.at_risk_points,
        stale_after_days=rules.stale_after_days,
        lead_days=rules.lead_days,
        figures=all_goal_figures(model, grouped),
        goals_by_id=goals,
        tactics_by_goal=grouped,
    )


def _tab_key(model: Model, role: str) -> str:
    layout = model.layout(role)
    return layout.name.casefold() if layout else ""


def _goal_results(
    context: CheckContext, broken: set[tuple[str, int]], rules: RuleSettings
) -> tuple[GoalResult, ...]:
    tab = _tab_key(context.model, "strategy")
    results = []
    for goal in context.model.goals:
        key = (goal.goal_id or "").casefold()
        # A repeated ID's later rows are errors (SS203); only the first row owns the figures.
        first = context.goals_by_id.get(key) is goal
        figures = context.figures.get(key) if first else None
        status = goal_status(
            goal, figures, context.today, (tab, goal.row) in broken, rules.at_risk_points
        )
        results.append(GoalResult(goal, figures, status))
    return tuple(results)


def _tactic_results(
    model: Model, today: dt.date, broken: set[tuple[str, int]], rules: RuleSettings
) -> tuple[TacticResult, ...]:
    tab = _tab_key(model, "plan")
    return tuple(
        TacticResult(
            tactic,
            tactic_status(tactic, today, (tab, tactic.row) in broken, rules.at_risk_points),
        )
        for tactic in model.tactics
    )


def _event_results(
    context: CheckContext, today: dt.date, rules: RuleSettings
) -> tuple[EventResult, ...]:
    return tuple(
        EventResult(
            event,
            event_status(
                event,
                today,
                event_is_prepared(
                    event, context.tactics_by_goal, context.model.tactics, rules.lead_days
                ),
            ),
        )
        for event in context.model.events
    )
