"""From a Workbook to a Report: parse, check, then compute statuses and ROI.

Pure: no file, network or clock access; "today" is a parameter.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, ParamSpec, TypeVar

from sheetsync.compute import (
    EventStatus,
    GoalFigures,
    GoalStatus,
    TacticStatus,
    all_goal_figures,
    cost_per_result,
    counts_revenue,
    event_is_prepared,
    event_status,
    goal_status,
    progress,
    roi,
    tactic_status,
    tactics_by_goal,
)
from sheetsync.config import RuleSettings, Settings
from sheetsync.findings import Finding, Findings
from sheetsync.model import Event, Goal, Model, Tactic, build_model
from sheetsync.rules import CheckContext, run_checks
from sheetsync.schema import (
    CALENDAR,
    INPUT_TABS,
    PLAN,
    REVENUE_AS_RESULT,
    STRATEGY,
    TabSchema,
    derived_from_any,
)
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
            _age_survivors()
            gc.enable()

    return run


def _age_survivors() -> None:
    """Count what the paused run left alive as old, so the next young pass does not walk it.

    The youngest generation holds everything made during the pause (a million values at
    10k tactics); the first collection after it would traverse them all to free nothing
    (20 ms at 10k). Freezing moves every tracked object aside and unfreezing puts them in
    the oldest generation, both by splicing lists; a later full collection still sees them.
    """
    gc.freeze()
    gc.unfreeze()


# An Issues cell is read at a glance: a few findings, short enough to read in the sheet.
ISSUES_SHOWN = 5
ISSUES_LENGTH = 1000


def _no_findings(row: int) -> tuple[Finding, ...]:
    return ()


class _RowResult:
    """What every row's result offers the owned columns besides its figures."""

    __slots__ = ()
    schema: ClassVar[TabSchema]
    # The findings on a row of this result's tab, for its Issues cell: made only when asked for.
    findings_of: Callable[[int], tuple[Finding, ...]]
    # What this row's figures are computed from that did not read: tabs ("plan") and cells
    # ("plan.spend", of its own row or its goal's tactics).
    unread: frozenset[str]

    @property
    def row(self) -> int:
        raise NotImplementedError  # each result class reads its record's row

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.findings_of(self.row)

    @property
    def issues(self) -> str:
        """The row's findings in one cell: the first few, and how many more the Checks tab has."""
        shown: list[str] = []
        length = 0
        for finding in self.findings:
            text = f"{finding.code} {finding.message}"
            if shown and (len(shown) == ISSUES_SHOWN or length + len(text) > ISSUES_LENGTH):
                more = len(self.findings) - len(shown)
                return "; ".join([*shown, f"and {more} more (see the Checks tab)"])
            shown.append(text)
            length += len(text) + 2
        return "; ".join(shown)

    def knows(self, key: str) -> bool:
        """Whether the owned column `key` can be filled: nothing it derives from is unread."""
        return not self.unread or not derived_from_any(_OWNED[self.schema.role][key], self.unread)


_OWNED = {schema.role: {c.key: c for c in schema.owned} for schema in INPUT_TABS}


@dataclass(frozen=True, slots=True)
class GoalResult(_RowResult):
    """A goal and what sheetsync computed for it; its attributes fill Strategy's owned columns.

    A figure computed from something unread is None here, and its cell is left as it is.
    """

    schema: ClassVar[TabSchema] = STRATEGY
    goal: Goal
    figures: GoalFigures | None
    status: GoalStatus
    findings_of: Callable[[int], tuple[Finding, ...]] = _no_findings
    unread: frozenset[str] = frozenset()

    @property
    def row(self) -> int:
        return self.goal.row

    @property
    def planned_budget(self) -> float | None:
        return self._figure("planned_budget")

    @property
    def spend(self) -> float | None:
        return self._figure("spend")

    @property
    def revenue(self) -> float | None:
        return self._figure("revenue")

    @property
    def current(self) -> float | None:
        return self._figure("current")

    @property
    def progress(self) -> float | None:
        current = self._figure("current")
        return (
            None
            if current is None or not self.knows("progress")
            else progress(current, self.goal.target)
        )

    @property
    def roi(self) -> float | None:
        return self._figure("roi")

    @property
    def cost_per_result(self) -> float | None:
        return self._figure("cost_per_result")

    def _figure(self, key: str) -> float | None:
        """A sum (or ratio of sums) over the goal's tactics; None when one of them did not read."""
        return getattr(self.figures, key) if self.figures and self.knows(key) else None


class _TacticFields(NamedTuple):
    tactic: Tactic
    status: TacticStatus
    findings_of: Callable[[int], tuple[Finding, ...]] = _no_findings
    unread: frozenset[str] = frozenset()


class TacticResult(_TacticFields, _RowResult):
    """A tactic and its status; its attributes fill Plan's owned columns.

    A named tuple underneath, like the records: there is one per tactic, and a frozen
    dataclass takes three times as long to make.
    """

    __slots__ = ()
    schema: ClassVar[TabSchema] = PLAN

    @property
    def row(self) -> int:
        return self.tactic.row

    @property
    def roi(self) -> float | None:
        return roi(self.tactic.revenue, self.tactic.spend) if self.knows("roi") else None

    @property
    def cost_per_result(self) -> float | None:
        if not self.knows("cost_per_result"):
            return None
        return cost_per_result(self.tactic.spend, self.tactic.result)


@dataclass(frozen=True, slots=True)
class EventResult(_RowResult):
    """An event and its status; its attributes fill Calendar's owned columns."""

    schema: ClassVar[TabSchema] = CALENDAR
    event: Event
    status: EventStatus | None
    findings_of: Callable[[int], tuple[Finding, ...]] = _no_findings
    unread: frozenset[str] = frozenset()

    @property
    def row(self) -> int:
        return self.event.row


RowResult = GoalResult | TacticResult | EventResult


@dataclass(frozen=True, slots=True)
class Report:
    """What one check found and computed."""

    workbook: Workbook
    location: str
    today: dt.date
    locale: str
    model: Model
    found: Findings  # every finding, kept as each rule's columns
    goals: tuple[GoalResult, ...]
    tactics: tuple[TacticResult, ...]
    events: tuple[EventResult, ...]

    title: str  # [workbook] title, else the file name or spreadsheet title

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding, errors first, then by tab, row and code."""
        return self.found.all()

    def count(self, severity: str) -> int:
        return self.found.count(severity)

    @property
    def layout_errors(self) -> tuple[Finding, ...]:
        """What in the layout keeps sync from doing all of its job: the SS1xx errors (a tab not
        found or not readable: what depends on it is left as it is), and SS105 on the Checks
        tab's name, whatever its grade (a warning, since nothing in the user's data is wrong, but
        sync does not write its Checks tab)."""
        checks = self.model.taken_tabs.get("checks")
        if not any(part.code.startswith("SS1") for part in self.found.parts):
            return ()
        return tuple(
            f
            for f in self.findings
            if f.code.startswith("SS1")
            and (f.severity == "error" or (f.code == "SS105" and f.tab == checks))
        )

    def results(self, role: str) -> tuple[RowResult, ...]:
        """The results whose attributes fill the owned columns of the tab of this role."""
        by_role: dict[str, tuple[RowResult, ...]] = {
            "strategy": self.goals,
            "plan": self.tactics,
            "calendar": self.events,
        }
        return by_role[role]

    def as_dict(self, findings: Any = None) -> dict[str, Any]:
        """The JSON document of `sheetsync check --format json` (SPEC 7); `findings` stands in
        for the list of every finding's object (present.check_json writes that list itself)."""
        return {
            "workbook": self.title,
            "location": self.location,
            "today": self.today.isoformat(),
            "counts": {"error": self.count("error"), "warning": self.count("warning")},
            "findings": (
                [finding.as_dict() for finding in self.findings] if findings is None else findings
            ),
            "goals": [_goal_dict(result) for result in self.goals],
            "tactics": [
                {
                    "id": r.tactic.tactic_id,
                    "row": r.tactic.row,
                    "status": str(r.status),
                    "roi": _rounded(r.roi),
                    "cost_per_result": _rounded(r.cost_per_result),
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


def _goal_dict(result: GoalResult) -> dict[str, Any]:
    return {
        "id": result.goal.goal_id,
        "row": result.goal.row,
        "status": str(result.status),
        "current": result.current,
        "target": result.goal.target,
        "progress": _rounded(result.progress),
        "roi": _rounded(result.roi),
        "cost_per_result": _rounded(result.cost_per_result),
        "budget": result.goal.budget,
        "planned_budget": result.planned_budget,
        "spend": result.spend,
        "revenue": result.revenue,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@gc_paused
def evaluate(workbook: Workbook, today: dt.date, settings: Settings, location: str = "") -> Report:
    """Check a workbook as of `today` and compute every status."""
    locale = settings.rules.locale or workbook.locale or DEFAULT_LOCALE
    model = build_model(workbook, _tab_names(settings), settings.aliases, locale)
    context = _context(model, today, settings.rules)
    found = run_checks(context, settings.rules.ignore, settings.rules.severity)
    errors = found.rows_with_errors()
    return Report(
        workbook=workbook,
        title=settings.workbook.title or workbook.title,
        location=location,
        today=today,
        locale=locale,
        model=model,
        found=found,
        goals=_goal_results(context, found, errors, settings.rules),
        tactics=_tactic_results(model, today, found, errors, settings.rules),
        events=_event_results(context, today, settings.rules),
    )


def _tab_names(settings: Settings) -> dict[str, str]:
    tabs = settings.tabs
    return {
        "strategy": tabs.strategy,
        "plan": tabs.plan,
        "calendar": tabs.calendar,
        "checks": tabs.checks,
        "history": tabs.history,
    }


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
        # No figures from a Plan that did not read: its sums would be zeros, not facts.
        figures=all_goal_figures(model, grouped) if model.readable("plan") else {},
        goals_by_id=goals,
        tactics_by_goal=grouped,
        unread_by_goal=_unread_by_goal(model, grouped, goals),
    )


def _unread_by_goal(
    model: Model, grouped: Mapping[str, list[Tactic]], goals: Mapping[str, Goal]
) -> dict[str, frozenset[str]]:
    """Goal ID (case-folded) -> the cells of its tactics that did not read, for goals with any;
    with REVENUE_AS_RESULT where the goal's Current counts one of those Revenues."""
    rows = {row for role, row in model.unread_by_row if role == "plan"}
    by_goal = {}
    for key, tactics in grouped.items():
        unread = frozenset().union(
            *(model.unread_cells("plan", t.row) for t in tactics if t.row in rows)
        )
        if "plan.revenue" in unread and _counts_an_unread_revenue(model, goals.get(key), tactics):
            unread |= {REVENUE_AS_RESULT}
        if unread:
            by_goal[key] = unread
    return by_goal


def _counts_an_unread_revenue(model: Model, goal: Goal | None, tactics: list[Tactic]) -> bool:
    """Whether a Revenue KPI counts a Revenue that did not read: one whose Result is blank."""
    return (
        goal is not None
        and counts_revenue(goal)
        and any(
            t.result is None and "plan.revenue" in model.unread_cells("plan", t.row)
            for t in tactics
        )
    )


def _tab_key(model: Model, role: str) -> str | None:
    """How the tab of this role is named in Findings.on_row (None when it is absent)."""
    layout = model.layout(role)
    return layout.name.casefold() if layout else None


_CURRENT = next(column for column in STRATEGY.owned if column.key == "current")


def _goal_results(
    context: CheckContext, found: Findings, errors: set[tuple[str, int]], rules: RuleSettings
) -> tuple[GoalResult, ...]:
    model, tabs = context.model, context.model.unread_tabs
    tab = _tab_key(model, "strategy")
    findings_of = functools.partial(found.on_row, tab) if tab else _no_findings
    results = []
    for goal in model.goals:
        key = (goal.goal_id or "").casefold()
        # A repeated ID's later rows are errors (SS203); only the first row owns the figures.
        first = context.goals_by_id.get(key) is goal
        figures = context.figures.get(key) if first else None
        own = model.unread_cells("strategy", goal.row)
        unread = own | tabs
        if first:
            unread |= context.unread_by_goal.get(key, frozenset())
        # A goal whose Current cannot be known (a tactic's Result reads "lots") is not
        # "Behind" or "Done": it needs that tactic fixed. So does a cell of its own that did
        # not read, even with SS201/SS202 ignored or re-graded in the config.
        has_error = (tab, goal.row) in errors
        needs_fix = has_error or bool(own) or derived_from_any(_CURRENT, unread)
        status = goal_status(goal, figures, context.today, needs_fix, rules.at_risk_points)
        results.append(GoalResult(goal, figures, status, findings_of, unread))
    return tuple(results)


def _tactic_results(
    model: Model,
    today: dt.date,
    found: Findings,
    errors: set[tuple[str, int]],
    rules: RuleSettings,
) -> tuple[TacticResult, ...]:
    tabs = model.unread_tabs
    tab = _tab_key(model, "plan")
    findings_of = functools.partial(found.on_row, tab) if tab else _no_findings
    results = []
    for tactic in model.tactics:
        own = model.unread_cells("plan", tactic.row)
        # A Progress that did not read is not 0 %, even with SS202 ignored: not "Overdue".
        needs_fix = (tab, tactic.row) in errors or bool(own)
        status = tactic_status(tactic, today, needs_fix, rules.at_risk_points)
        results.append(TacticResult(tactic, status, findings_of, own | tabs if tabs else own))
    return tuple(results)


def _event_results(
    context: CheckContext, today: dt.date, rules: RuleSettings
) -> tuple[EventResult, ...]:
    model, tabs = context.model, context.model.unread_tabs
    results = []
    for event in model.events:
        prepared = event_is_prepared(event, context.tactics_by_goal, model.tactics, rules.lead_days)
        status = event_status(event, today, prepared)
        unread = model.unread_cells("calendar", event.row) | tabs
        if status == EventStatus.UNPREPARED:
            # Unprepared only if no tactic whose Due did not read could have prepared it.
            unread |= context.unread_due(event)
        known = not derived_from_any(_OWNED["calendar"]["status"], unread)
        results.append(EventResult(event, status if known else None, _no_findings, unread))
    return tuple(results)
