"""What a month's summary says (SPEC 6): a value built from a check and the snapshots.

Nothing here renders or sends; `render.py` turns a Summary into the e-mail's parts and
`api.summary` delivers it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sheetsync.celltext import oneline
from sheetsync.compute import GoalStatus, TacticStatus, roi
from sheetsync.engine import GoalResult, Report, TacticResult
from sheetsync.findings import SEVERITY_ORDER, Finding
from sheetsync.months import (
    Forecast,
    Month,
    MonthFigures,
    Period,
    forecast,
    goal_month_figures,
    month_period,
)
from sheetsync.state import SendRecord, Snapshot, StateStore

EVENT_HORIZON_DAYS = 60
FINDINGS_PER_RULE = 10
ITEMS_PER_LIST = 10  # tactics overdue, due next month, done: the rest is a count
GOALS_SHOWN = 15  # more goals than this and the e-mail shows the ones that need attention

# Which goals need a person first, when there are too many to show them all.
_ATTENTION = {
    GoalStatus.NEEDS_FIX: 0,
    GoalStatus.MISSED: 1,
    GoalStatus.BEHIND: 2,
    GoalStatus.NO_PLAN: 3,
    GoalStatus.ON_TRACK: 4,
    GoalStatus.NOT_STARTED: 5,
    GoalStatus.DONE: 6,
}


@dataclass(frozen=True, slots=True)
class GoalLine:
    goal_id: str
    name: str
    kpi: str
    status: str
    current: float | None
    target: float | None
    progress: float | None
    spend: float | None
    revenue: float | None
    roi: float | None
    roi_spend: float | None  # what ROI is measured against: the Spend of revenue-tracking tactics
    budget: float | None
    month: MonthFigures | None
    forecast: Forecast | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.goal_id,
            "name": self.name,
            "status": self.status,
            "current": self.current,
            "target": self.target,
            "progress": _rounded(self.progress),
            "spend": self.spend,
            "revenue": self.revenue,
            "roi": _rounded(self.roi),
            "budget": self.budget,
            "month": self.month.as_dict() if self.month else None,
            "forecast": self.forecast.as_dict() if self.forecast else None,
        }


@dataclass(frozen=True, slots=True)
class TacticLine:
    tactic_id: str
    goal_id: str
    activity: str
    owner: str
    due: dt.date | None
    status: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.tactic_id,
            "goal_id": self.goal_id,
            "activity": self.activity,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Listed:
    """The first items of a long list, and how many more there are."""

    items: tuple[Any, ...]
    more: int

    @property
    def total(self) -> int:
        return len(self.items) + self.more


@dataclass(frozen=True, slots=True)
class EventLine:
    event: str
    date: dt.date
    status: str
    days_away: int


@dataclass(frozen=True, slots=True)
class RuleFindings:
    """One rule's open findings, at most FINDINGS_PER_RULE of them listed."""

    code: str
    name: str
    severity: str
    findings: Listed


@dataclass(frozen=True, slots=True)
class StatusMove:
    goal_id: str
    before: str
    now: str


@dataclass(frozen=True, slots=True)
class Changes:
    """What moved since the last summary sent (for an earlier month)."""

    since: str  # that summary's month, YYYY-MM
    appeared: Listed  # of finding dicts
    fixed: Listed
    moved: tuple[StatusMove, ...]

    @property
    def since_label(self) -> str:
        """`October 2026`, for the e-mail."""
        return Month.parse(self.since).label()

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "appeared": list(self.appeared.items),
            "appeared_total": self.appeared.total,
            "fixed": list(self.fixed.items),
            "fixed_total": self.fixed.total,
            "statuses": [
                {"id": move.goal_id, "before": move.before, "now": move.now} for move in self.moved
            ],
        }


@dataclass(frozen=True, slots=True)
class Totals:
    budget: float
    spend: float | None
    revenue: float | None
    roi: float | None
    month_spend: float | None
    month_revenue: float | None


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything one month's e-mail says."""

    title: str
    location: str
    locale: str  # how numbers and dates are written, e.g. en_US
    link: str  # the spreadsheet's URL, or the file's path
    month: Month
    today: dt.date
    period: Period | None  # None: too few snapshots to measure the month; totals to date only
    month_syncs: tuple[dt.date, ...]  # the days of the month with a snapshot
    goals: tuple[GoalLine, ...]
    goals_shown: Listed  # of GoalLine, attention first when there are many
    goal_counts: dict[str, int]  # status -> number of goals
    totals: Totals
    tactics_done: Listed
    overdue: Listed
    due_next_month: Listed
    events: tuple[EventLine, ...]
    findings: tuple[Finding, ...]  # every open finding, errors first
    rule_findings: tuple[RuleFindings, ...]
    counts: dict[str, int]  # severity -> count
    changes: Changes | None  # None for the first summary
    sent: SendRecord | None

    @property
    def needs_you(self) -> tuple[str, ...]:
        """What needs a person this month, most pressing first, one sentence each."""
        by_status: dict[str, list[str]] = {}
        for goal in self.goals:
            by_status.setdefault(goal.status, []).append(goal.goal_id)
        lines = [
            f"{_ids(by_status[status])} {verb[len(by_status[status]) > 1]}."
            for status, verb in _ATTENTION_SENTENCES
            if status in by_status
        ]
        if self.overdue.total:
            lines.append(f"{_plural(self.overdue.total, 'tactic is', 'tactics are')} overdue.")
        lines += [
            f"{oneline(e.event, 80)} ({e.date.isoformat()}) is not prepared."
            for e in self.events
            if e.status == "Unprepared"
        ]
        if self.counts["error"]:
            lines.append(f"{_plural(self.counts['error'], 'error')} to fix in the sheet.")
        return tuple(lines)

    @property
    def subject(self) -> str:
        return f"Marketing summary — {self.month.label()} — {self.title}"

    def digest(self) -> dict[str, Any]:
        """What the next month's summary compares with to say what changed."""
        return {
            "goals": {goal.goal_id: goal.status for goal in self.goals},
            "findings": [_finding_key(finding) for finding in self.findings],
        }

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of `sheetsync summary --format json`."""
        period = self.period
        return {
            "workbook": self.title,
            "location": self.location,
            "link": self.link,
            "month": self.month.key,
            "today": self.today.isoformat(),
            "from": period.start.isoformat() if period else None,
            "to": period.end.isoformat() if period else None,
            "partial": period.partial if period else None,
            "totals": {
                "budget": self.totals.budget,
                "spend": self.totals.spend,
                "revenue": self.totals.revenue,
                "roi": _rounded(self.totals.roi),
                "month_spend": self.totals.month_spend,
                "month_revenue": self.totals.month_revenue,
            },
            "goals": [goal.as_dict() for goal in self.goals],
            "tactics_done": [line.as_dict() for line in self.tactics_done.items],
            "tactics_done_total": self.tactics_done.total,
            "overdue": [line.as_dict() for line in self.overdue.items],
            "overdue_total": self.overdue.total,
            "due_next_month": [line.as_dict() for line in self.due_next_month.items],
            "due_next_month_total": self.due_next_month.total,
            "events": [
                {"event": e.event, "date": e.date.isoformat(), "status": e.status}
                for e in self.events
            ],
            "counts": self.counts,
            "findings": [finding.as_dict() for finding in self.findings],
            "changes": self.changes.as_dict() if self.changes else None,
            "sent": self.sent.as_dict() if self.sent else None,
        }


# Goal statuses that need a person, and how to say it for one goal and for several.
_ATTENTION_SENTENCES = (
    (str(GoalStatus.NEEDS_FIX), ("has an error to fix first", "have errors to fix first")),
    (str(GoalStatus.MISSED), ("ended below its target", "ended below their targets")),
    (str(GoalStatus.BEHIND), ("is behind", "are behind")),
    (str(GoalStatus.NO_PLAN), ("has no tactics", "have no tactics")),
)


def _ids(ids: Sequence[str], shown: int = 5) -> str:
    """G1; G1 and G2; G1, G2 and G3; G1, G2, G3, G4, G5 and 7 more."""
    names = [oneline(i, 20) for i in ids[:shown]]
    if len(ids) > shown:
        return ", ".join(names) + f" and {len(ids) - shown} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _plural(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def recipient_key(to: Sequence[str], cc: Sequence[str]) -> str:
    """One recipient list as the state store keys it: the same people in any order match."""
    people = [f"to:{a.strip().casefold()}" for a in to] + [f"cc:{a.strip().casefold()}" for a in cc]
    return ", ".join(sorted(set(people)))


def build_summary(
    report: Report,
    month: Month,
    store: StateStore,
    workbook: str,
    recipients: str,
) -> Summary:
    """The summary of `month` for a workbook checked as of `report.today`."""
    days = store.snapshot_days(workbook)
    period = month_period(days, month)
    baseline = store.snapshot(workbook, period.start) if period else None
    end = store.snapshot(workbook, period.end) if period else None
    later = [
        store.snapshot(workbook, day, with_tactics=False)
        for day in days
        if period and period.start < day <= period.end
    ]
    history = _history_by_goal(store.goal_history(workbook, report.today))
    goals = tuple(
        _goal_line(result, baseline, later, end, report.today, history)
        for result in report.goals
        if result.goal.goal_id
    )
    findings = tuple(sorted(report.findings, key=lambda f: SEVERITY_ORDER[f.severity]))
    previous = store.last_sent(workbook, month.key)
    sends = store.sends(workbook, month.key, recipients)
    sent = [record for record in sends if record.outcome == "sent"]
    return Summary(
        title=report.title,
        location=report.location,
        locale=report.locale,
        link=report.workbook.url or _file_link(report.location),
        month=month,
        today=report.today,
        period=period,
        month_syncs=tuple(day for day in days if day in month),
        goals=goals,
        goals_shown=_goals_shown(goals),
        goal_counts=dict(Counter(goal.status for goal in goals)),
        totals=_totals(report.goals, goals),
        tactics_done=_listed(_done_in_month(report, month, baseline, end)),
        overdue=_listed(
            _tactic_line(t) for t in report.tactics if t.status == TacticStatus.OVERDUE
        ),
        due_next_month=_listed(
            _tactic_line(t)
            for t in report.tactics
            if t.tactic.due in month.next and t.status != TacticStatus.DONE
        ),
        events=_events(report),
        findings=findings,
        rule_findings=_by_rule(findings),
        counts={"error": report.count("error"), "warning": report.count("warning")},
        changes=_changes(previous, goals, findings),
        sent=sent[-1] if sent else None,
    )


def _file_link(location: str) -> str:
    """The workbook file's full path, so the reader can find it from anywhere."""
    path = Path(location)
    return str(path.resolve()) if location and path.exists() else location


def _key(goal_id: str | None) -> str:
    return (goal_id or "").casefold()


def _history_by_goal(
    rows: Iterable[tuple[dt.date, str, float]],
) -> dict[str, list[tuple[dt.date, float]]]:
    history: dict[str, list[tuple[dt.date, float]]] = {}
    for day, goal_key, current in rows:
        history.setdefault(goal_key, []).append((day, current))
    return history


def _goal_line(
    result: GoalResult,
    baseline: Snapshot | None,
    later: Sequence[Snapshot],
    end: Snapshot | None,
    today: dt.date,
    history: dict[str, list[tuple[dt.date, float]]],
) -> GoalLine:
    goal = result.goal
    key = _key(goal.goal_id)
    current = result.current  # None when a tactic's Result did not read, not a short sum
    return GoalLine(
        goal_id=goal.goal_id or "",
        name=goal.marketing_goal or goal.business_goal or "",
        kpi=goal.kpi or "",
        status=str(result.status),
        current=current,
        target=goal.target,
        progress=result.progress,
        spend=result.spend,
        revenue=result.revenue,
        roi=result.roi,
        roi_spend=result.figures.tracked_spend if result.figures else None,
        budget=goal.budget,
        month=goal_month_figures(key, baseline, later, end) if end else None,
        forecast=(
            None
            if result.status == GoalStatus.NEEDS_FIX
            else forecast(current, goal.target, goal.start, goal.end, today, history.get(key, []))
        ),
    )


def _goals_shown(goals: tuple[GoalLine, ...]) -> Listed:
    if len(goals) <= GOALS_SHOWN:
        return Listed(goals, 0)
    ranked = sorted(goals, key=lambda g: _ATTENTION.get(GoalStatus(g.status), 9))
    return Listed(tuple(ranked[:GOALS_SHOWN]), len(goals) - GOALS_SHOWN)


def _totals(results: Sequence[GoalResult], goals: Sequence[GoalLine]) -> Totals:
    counted = [r for r in results if r.figures]
    # A goal's Spend or Revenue that is unknown (a tactic's cell did not read) leaves the totals
    # unknown too: a short sum is a wrong figure.
    known = all(r.knows("spend") and r.knows("revenue") for r in counted)
    spend = sum(r.figures.spend for r in counted if r.figures) if known else None
    tracked = [r.figures for r in counted if r.figures and r.figures.revenue is not None]
    revenue = sum(f.revenue or 0.0 for f in tracked) if tracked and known else None
    months = [goal.month for goal in goals if goal.month]
    return Totals(
        budget=sum(r.goal.budget or 0.0 for r in results),
        spend=spend,
        revenue=revenue,
        # Like a goal's ROI: over the tactics that track revenue, against what they spent.
        roi=roi(revenue, sum(f.tracked_spend for f in tracked)),
        month_spend=sum(m.spend or 0.0 for m in months) if months else None,
        month_revenue=sum(m.revenue or 0.0 for m in months) if months else None,
    )


def _listed(items: Iterable[Any], limit: int = ITEMS_PER_LIST) -> Listed:
    everything = list(items)
    return Listed(tuple(everything[:limit]), max(len(everything) - limit, 0))


def _tactic_line(result: TacticResult) -> TacticLine:
    tactic = result.tactic
    return TacticLine(
        tactic_id=tactic.tactic_id or "",
        goal_id=tactic.goal_id or "",
        activity=tactic.activity or "",
        owner=tactic.owner or "",
        due=tactic.due,
        status=str(result.status),
    )


def _done_in_month(
    report: Report, month: Month, baseline: Snapshot | None, end: Snapshot | None
) -> Iterator[TacticLine]:
    """Done at the month's last snapshot and not at its first; without snapshots, the tactics
    done now whose Due falls in the month."""
    done = str(TacticStatus.DONE)
    for result in report.tactics:
        key = _key(result.tactic.tactic_id)
        if baseline is not None and end is not None:
            at_end, at_start = end.tactics.get(key), baseline.tactics.get(key)
            if at_end and at_end.status == done and not (at_start and at_start.status == done):
                yield _tactic_line(result)
        elif result.status == TacticStatus.DONE and result.tactic.due in month:
            yield _tactic_line(result)


def _events(report: Report) -> tuple[EventLine, ...]:
    horizon = report.today + dt.timedelta(days=EVENT_HORIZON_DAYS)
    lines = [
        EventLine(
            result.event.event or "",
            result.event.date,
            str(result.status or ""),
            (result.event.date - report.today).days,
        )
        for result in report.events
        if result.event.date is not None and report.today <= result.event.date <= horizon
    ]
    return tuple(sorted(lines, key=lambda line: line.date))


def _by_rule(findings: Sequence[Finding]) -> tuple[RuleFindings, ...]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.code, []).append(finding)
    return tuple(
        RuleFindings(code, group[0].name, group[0].severity, _listed(group, FINDINGS_PER_RULE))
        for code, group in groups.items()
    )


def _finding_key(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity,
        "tab": finding.tab,
        "cell": finding.cell,
        "row_id": finding.row_id,
        "message": finding.message,
    }


def _identity(finding: dict[str, Any]) -> tuple[Any, ...]:
    return (finding["code"], finding["tab"], finding["cell"], finding["row_id"])


def _changes(
    previous: SendRecord | None, goals: Sequence[GoalLine], findings: Sequence[Finding]
) -> Changes | None:
    if previous is None or previous.digest is None:
        return None
    before = previous.digest.get("findings", [])
    now = [_finding_key(finding) for finding in findings]
    before_keys = {_identity(f) for f in before}
    now_keys = {_identity(f) for f in now}
    statuses = previous.digest.get("goals", {})
    return Changes(
        since=previous.month,
        appeared=_listed(f for f in now if _identity(f) not in before_keys),
        fixed=_listed(f for f in before if _identity(f) not in now_keys),
        moved=tuple(
            StatusMove(goal.goal_id, statuses[goal.goal_id], goal.status)
            for goal in goals
            if goal.goal_id in statuses and statuses[goal.goal_id] != goal.status
        ),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
