"""What a run leaves in the state store: the run itself and, for a sync, the day's snapshot."""

from __future__ import annotations

import datetime as dt
from operator import attrgetter
from pathlib import Path

from sheetsync.backends import Backend, is_google_location
from sheetsync.engine import Report
from sheetsync.errors import RunStopped
from sheetsync.state import GoalSnapshot, RunCounts, StateStore, TacticFigures


def workbook_key(location: str) -> str:
    """How the state store names a workbook: the spreadsheet key, or the file's full path.

    The same file reached through another working folder or a symlink is the same workbook.
    """
    if is_google_location(location):
        from sheetsync.backends.google_location import spreadsheet_key

        return f"google:{spreadsheet_key(location)}"
    return str(Path(location).expanduser().resolve())


def goal_snapshots(report: Report) -> list[GoalSnapshot]:
    return [
        GoalSnapshot(
            goal_id=result.goal.goal_id,
            name=result.goal.marketing_goal or result.goal.business_goal,
            kpi=result.goal.kpi,
            status=str(result.status),
            # None when unknown (a cell they add up did not read): a snapshot keeps no short sum.
            spend=result.spend,
            revenue=result.revenue,
            current=result.current,
            target=result.goal.target,
            progress=result.progress,
            roi=result.roi,
            budget=result.goal.budget,
        )
        for result in report.goals
        if result.goal.goal_id
    ]


def tactic_figures(report: Report) -> list[TacticFigures]:
    """Every tactic's figures, in TacticSnapshot's order, each row taken by one attrgetter (a
    loop in C; a named tuple made per tactic costs a sync as much again). A status stays its
    StrEnum: its text, as the snapshot stores it."""
    return list(map(_FIGURES, [result for result in report.tactics if result.tactic.tactic_id]))


_FIGURES = attrgetter(
    "tactic.tactic_id",
    "tactic.goal_id",
    "status",
    "tactic.spend",
    "tactic.revenue",
    "tactic.result",
    "tactic.progress",
    "roi",
)


def counts_of(report: Report, cells_written: int | None, backend: Backend) -> RunCounts:
    return RunCounts(
        errors=report.count("error"),
        warnings=report.count("warning"),
        goals=len(report.goals),
        tactics=len(report.tactics),
        cells_written=cells_written,
        requests=getattr(backend, "requests_sent", None),
    )


def record_sync(
    store: StateStore, report: Report, backend: Backend, cells_written: int, started: dt.datetime
) -> None:
    """The run, and the snapshot of every goal's and tactic's figures dated by its as-of day."""
    store.record_sync(
        workbook_key(report.location),
        report.today,
        started,
        counts_of(report, cells_written, backend),
        goal_snapshots(report),
        tactic_figures(report),
    )


def record_run(
    store: StateStore, report: Report, command: str, backend: Backend, started: dt.datetime
) -> None:
    """A run that read the workbook and wrote no figures of its own (e.g. a summary)."""
    run_id = store.start_run(workbook_key(report.location), command, report.today, started)
    store.finish_run(run_id, "ok", counts_of(report, None, backend))


def record_failure(
    store: StateStore,
    location: str,
    command: str,
    as_of: dt.date,
    started: dt.datetime,
    error: BaseException,
) -> None:
    run_id = store.start_run(workbook_key(location), command, as_of, started)
    outcome = "stopped" if isinstance(error, RunStopped) else "failed"
    store.finish_run(run_id, outcome, detail=str(error))
