"""`sheetsync status`: per workbook, the last run, the next scheduled ones and the last
summary sent, from the state store and the schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sheetsync.config import Settings
from sheetsync.errors import ConfigError
from sheetsync.months import Month
from sheetsync.runlog import counted
from sheetsync.runs import workbook_key
from sheetsync.schedule import next_fire_times, schedule_zone, summary_trigger, sync_trigger
from sheetsync.state import SendRecord, StateStore, state_path
from sheetsync.workbooks import Target, targets

NEXT_SYNCS = 3
RECENT_RUNS = 50  # how far back to look for the last good sync


@dataclass(frozen=True, slots=True)
class RunSeen:
    """One run as the state store has it."""

    command: str
    outcome: str
    started: dt.datetime
    ended: dt.datetime | None
    errors: int | None
    warnings: int | None
    cells_written: int | None
    requests: int | None
    detail: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunSeen:
        ok = row["outcome"] == "ok"  # a run that failed counted nothing
        return cls(
            command=row["command"],
            outcome=row["outcome"],
            started=dt.datetime.fromisoformat(row["started"]),
            ended=dt.datetime.fromisoformat(row["ended"]) if row["ended"] else None,
            errors=row["errors"] if ok else None,
            warnings=row["warnings"] if ok else None,
            cells_written=row["cells_written"] if ok else None,
            requests=row["requests"],
            detail=row["detail"],
        )

    @property
    def seconds(self) -> float | None:
        return (self.ended - self.started).total_seconds() if self.ended else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "outcome": self.outcome,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": self.seconds,
            "errors": self.errors,
            "warnings": self.warnings,
            "cells_written": self.cells_written,
            "requests": self.requests,
            "error": self.detail if self.outcome != "ok" else None,
        }


@dataclass(frozen=True, slots=True)
class WorkbookStatus:
    name: str
    location: str
    zone: ZoneInfo
    last_run: RunSeen | None
    last_good_sync: dt.datetime | None
    next_syncs: tuple[dt.datetime, ...]
    next_summary: dt.datetime | None  # None when the summary has no recipients
    last_summary: SendRecord | None

    def as_dict(self) -> dict[str, Any]:
        summary = self.last_summary
        return {
            "name": self.name,
            "location": self.location,
            "timezone": self.zone.key,
            "last_run": self.last_run.as_dict() if self.last_run else None,
            "last_good_sync": _iso(self.last_good_sync),
            "next_syncs": [_iso(time) for time in self.next_syncs],
            "next_summary": _iso(self.next_summary),
            "last_summary": {"month": summary.month, **summary.as_dict()} if summary else None,
        }


def _iso(time: dt.datetime | None) -> str | None:
    return time.isoformat(timespec="seconds") if time else None


def workbook_status(target: Target, store: StateStore, now: dt.datetime) -> WorkbookStatus:
    """What the state store and the schedule say about one workbook at `now`."""
    settings = target.settings
    key = workbook_key(target.location)
    runs = [RunSeen.from_row(row) for row in store.runs(key, limit=RECENT_RUNS)]
    good = next((run for run in runs if run.command == "sync" and run.outcome == "ok"), None)
    zone = schedule_zone(settings)
    next_month = Month.of(now.astimezone(zone).date()).next
    return WorkbookStatus(
        name=target.label,
        location=target.location,
        zone=zone,
        last_run=runs[0] if runs else None,
        last_good_sync=good.started if good else None,
        next_syncs=tuple(next_fire_times(sync_trigger(settings), now, NEXT_SYNCS)),
        next_summary=(
            next_fire_times(summary_trigger(settings), now, 1)[0] if settings.summary.to else None
        ),
        last_summary=store.last_sent(key, next_month.key),
    )


def statuses(settings: Settings, name: str | None, now: dt.datetime) -> list[WorkbookStatus]:
    """Every chosen workbook's status. Raises ConfigError when the config names none."""
    chosen = targets(settings, name=name)
    if not all(target.location for target in chosen):
        raise ConfigError(
            "There is no workbook to report on: set [workbook] path (or spreadsheet), or add "
            "[[workbooks]] tables, in the config the worker and cron use."
        )
    with StateStore(state_path(settings)) as store:
        return [workbook_status(target, store, now) for target in chosen]


def status_text(statuses: list[WorkbookStatus]) -> str:
    """For people: a block per workbook, times on the schedule's clock."""
    return "\n\n".join(_block(status) for status in statuses)


def _block(status: WorkbookStatus) -> str:
    # Seconds only for a schedule that has them.
    clock = "%H:%M:%S" if any(time.second for time in status.next_syncs) else "%H:%M"

    def at(time: dt.datetime) -> str:
        return time.astimezone(status.zone).strftime(f"%Y-%m-%d {clock}")

    lines = [f"{status.name} ({status.location}), times in {status.zone.key}"]
    run = status.last_run
    if run is None:
        lines.append("  Last run:       none yet")
    else:
        took = (
            ""
            if run.seconds is None
            else f", took {run.seconds:.0f} s"
            if run.seconds >= 1
            else ", took under a second"
        )
        lines.append(f"  Last run:       {run.command} {run.outcome}, {at(run.started)}{took}")
        if run.outcome == "ok":
            lines.append(f"                  {_figures(run)}")
        elif run.detail:
            lines.append(f"                  {run.detail}")
        if run.outcome != "ok" or run.command != "sync":
            good = at(status.last_good_sync) if status.last_good_sync else "never"
            lines.append(f"  Last good sync: {good}")
    lines.append(f"  Next syncs:     {', '.join(at(time) for time in status.next_syncs)}")
    if status.next_summary is None:
        lines.append("  Next summary:   none (no recipients in [summary] to)")
    else:
        lines.append(f"  Next summary:   {at(status.next_summary)}")
    sent = status.last_summary
    if sent is None:
        lines.append("  Last summary:   none sent yet")
    else:
        when = at(sent.finished or sent.started)
        lines.append(
            f"  Last summary:   {Month.parse(sent.month).label()}, sent {when} ({sent.people})"
        )
    return "\n".join(lines)


def _figures(run: RunSeen) -> str:
    parts = [
        counted(run.cells_written, "cell", " written"),
        counted(run.requests, "request"),
        counted(run.errors, "error"),
        counted(run.warnings, "warning"),
    ]
    return ", ".join(part for part in parts if part)
