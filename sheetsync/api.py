"""The library API the CLI is a thin coat over: check, sync, summary, init."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sheetsync.backends import Backend, open_backend
from sheetsync.config import Settings, validate_settings
from sheetsync.engine import Report, evaluate, gc_paused
from sheetsync.errors import (
    ConfigError,
    SheetsyncError,
    UsageError,
    WorkbookChanged,
    WorkbookUnreachable,
)
from sheetsync.locking import workbook_lock
from sheetsync.months import Month
from sheetsync.runs import record_failure, record_run, record_sync, workbook_key
from sheetsync.state import StateStore, now_utc, state_path
from sheetsync.workbook import Workbook, WritePlan
from sheetsync.writes import naming_formulas, plan_writes, written_cells

if TYPE_CHECKING:  # imported where used: `check` starts without the mail and template libraries
    from sheetsync.send import SendOutcome
    from sheetsync.summary import Summary


@dataclass(frozen=True, slots=True)
class SyncResult:
    report: Report
    plan: WritePlan
    written: bool  # False for a dry run or when nothing changed


def check(
    workbook: str | Backend | None = None,
    *,
    today: dt.date | None = None,
    settings: Settings | None = None,
) -> Report:
    """Read the workbook and check it; writes nothing."""
    _, report = _read_and_evaluate(workbook, today, settings or validate_settings({}))
    return report


def sync(
    workbook: str | Backend | None = None,
    *,
    today: dt.date | None = None,
    settings: Settings | None = None,
    dry_run: bool = False,
) -> SyncResult:
    """Check, then write Status, ROI, Issues and the Checks tab back (unless `dry_run`).

    A real sync records its run and the day's snapshot of every figure in the state store
    (a dry run writes nothing anywhere).
    """
    settings = settings or validate_settings({})
    if dry_run:
        backend, report = _read_and_evaluate(workbook, today, settings)
        plan = plan_writes(report, settings.tabs.checks)
        # Only a dry run asks which of those cells hold formulas (a Google request of its own).
        named = naming_formulas(plan, backend.formulas(written_cells(plan)))
        return SyncResult(report, named, written=False)
    with (
        _one_run_at_a_time(workbook, settings),
        StateStore(state_path(settings)) as store,
        _failures_recorded(store, "sync", workbook, today, settings) as started,
    ):
        report, plan = _sync_once(store, workbook, today, settings, started)
    return SyncResult(report, plan, written=bool(plan))


# Like the read and the engine, the writer and the snapshot make many small values and free
# them as they go; beside the report's millions of values, the collector's passes cost them
# 0.7 s at 100k tactics.
@gc_paused
def _sync_once(
    store: StateStore,
    workbook: str | Backend | None,
    today: dt.date | None,
    settings: Settings,
    started: dt.datetime,
) -> tuple[Report, WritePlan]:
    """Read, check, write the plan, and keep the run and the day's snapshot."""
    backend, report = _read_and_evaluate(workbook, today, settings)
    plan = plan_writes(report, settings.tabs.checks)
    if plan:
        backend.apply(plan)
    record_sync(store, report, backend, len(plan.writes), started)
    return report, plan


def summary(
    workbook: str | Backend | None = None,
    *,
    month: Month | None = None,
    today: dt.date | None = None,
    settings: Settings | None = None,
) -> Summary:
    """What `month`'s summary says (default: the month before today); sends nothing."""
    from sheetsync.summary import build_summary, recipient_key

    settings = settings or validate_settings({})
    with StateStore(state_path(settings)) as store:
        _, report = _read_and_evaluate(workbook, today, settings)
        recipients = recipient_key(settings.summary.to, settings.summary.cc)
        return build_summary(
            report,
            month or Month.before(report.today),
            store,
            workbook_key(report.location),
            recipients,
        )


@dataclass(frozen=True, slots=True)
class SummarySent:
    summary: Summary
    outcome: SendOutcome
    history: str  # what happened to the History tab, in one sentence
    history_failed: bool  # the rows could not be written; the next send tries again


def send_summary(
    workbook: str | Backend | None = None,
    *,
    month: Month | None = None,
    today: dt.date | None = None,
    settings: Settings | None = None,
    force: bool = False,
) -> SummarySent:
    """Send `month`'s summary to [summary] to/cc once (again with `force`), then add the
    month's rows to the History tab (never twice)."""
    from sheetsync.send import send_lock, send_once
    from sheetsync.summary import build_summary, recipient_key

    settings = settings or validate_settings({})
    if not settings.summary.to:
        raise ConfigError(
            'No one to send the summary to: set [summary] to = ["you@example.com"] in the '
            "config (or SHEETSYNC_SUMMARY_TO)."
        )
    with (
        StateStore(state_path(settings)) as store,
        _failures_recorded(store, "summary", workbook, today, settings) as started,
    ):
        backend, report = _read_and_evaluate(workbook, today, settings)
        key = workbook_key(report.location)
        recipients = recipient_key(settings.summary.to, settings.summary.cc)
        summary = build_summary(report, month or Month.before(report.today), store, key, recipients)
        with send_lock(store):
            outcome = send_once(summary, settings, store, key, recipients, force)
            with _one_run_at_a_time(workbook, settings):  # the rows are a write, like a sync's
                history, failed = _append_history(backend, settings.tabs.history, summary)
        record_run(store, report, "summary --send", backend, started)
    return SummarySent(summary, outcome, history, failed)


def _append_history(backend: Backend, tab: str, summary: Summary) -> tuple[str, bool]:
    """Read the tab back (another run may have added the month meanwhile), then append."""
    from sheetsync.history import HistoryRefused, plan_history

    label = summary.month.label()
    try:
        plan = plan_history(backend.read(), tab, summary.month, summary.goals)
        if not plan:
            return f"The {tab} tab already has {label}'s rows.", False
        backend.apply(plan)
    except HistoryRefused as refused:
        return str(refused), False
    except (WorkbookChanged, WorkbookUnreachable) as error:
        return f"{label}'s rows were not added to the {tab} tab: {error}", True
    rows = len({write.row for write in plan.writes if write.row > 1})
    return f"Added {rows} row{'s' if rows != 1 else ''} for {label} to the {tab} tab.", False


def init(path: str, *, example: bool = False, today: dt.date | None = None) -> Path:
    """Make a new local workbook from the template; returns its path. Raises UsageError."""
    from sheetsync.backends.xlsx_create import create_workbook
    from sheetsync.template import load_template

    target = Path(path)
    try:
        create_workbook(target, load_template(example=example, today=today or dt.date.today()))
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        raise UsageError(
            f"Cannot create {path} ({error.strerror}{where}). Choose a folder you can write to."
        ) from error
    return target


def init_google(
    title: str,
    *,
    settings: Settings,
    share_with: tuple[str, ...] = (),
    example: bool = False,
    today: dt.date | None = None,
) -> str:
    """Make a new Google spreadsheet from the template; returns its URL."""
    from sheetsync.backends.google_create import create_spreadsheet
    from sheetsync.template import load_template

    template = load_template(example=example, today=today or dt.date.today())
    rules = settings.rules
    return create_spreadsheet(
        template, settings.google, title, share_with, rules.locale, rules.timezone
    )


def today_for(workbook: Workbook, settings: Settings) -> dt.date:
    """Today in the configured time zone, else the spreadsheet's, else the machine's."""
    zone = settings.rules.timezone or workbook.timezone
    if zone:
        try:
            return dt.datetime.now(ZoneInfo(zone)).date()
        except (KeyError, ValueError):
            pass  # a spreadsheet's odd zone name is not worth failing a run over
    return dt.date.today()


@contextmanager
def _failures_recorded(
    store: StateStore,
    command: str,
    workbook: str | Backend | None,
    today: dt.date | None,
    settings: Settings,
) -> Iterator[dt.datetime]:
    """A run that failed (or was stopped) is recorded with why, so `status` can tell."""
    started = now_utc()
    try:
        yield started
    except SheetsyncError as error:
        location = _location(workbook, settings)
        if location.strip():
            record_failure(store, location, command, today or dt.date.today(), started, error)
        raise


def _one_run_at_a_time(
    workbook: str | Backend | None, settings: Settings
) -> AbstractContextManager[None]:
    """The workbook's lock across processes (locking.py); none for an in-memory workbook."""
    location = _location(workbook, settings)
    return workbook_lock(location, settings) if location.strip() else nullcontext()


@gc_paused  # the read, like the engine, makes many small values and frees none of them
def _read_and_evaluate(
    workbook: str | Backend | None, today: dt.date | None, settings: Settings
) -> tuple[Backend, Report]:
    backend, location = _backend(workbook, settings)
    data = backend.read()
    return backend, evaluate(data, today or today_for(data, settings), settings, location)


def _location(workbook: str | Backend | None, settings: Settings) -> str:
    if isinstance(workbook, str):
        return workbook
    if workbook is None:
        return settings.workbook.location
    return str(getattr(workbook, "location", ""))


def _backend(workbook: str | Backend | None, settings: Settings) -> tuple[Backend, str]:
    if workbook is None:
        workbook = settings.workbook.location
        if not workbook:
            raise ConfigError(
                "No workbook given. Pass --workbook marketing.xlsx (or a Google Sheets URL), "
                "or set [workbook] path in sheetsync.toml."
            )
    if isinstance(workbook, str):
        if not workbook.strip():  # e.g. --workbook "$WORKBOOK" with the variable unset
            raise UsageError(
                "The workbook given is empty. Pass --workbook marketing.xlsx (or a Google "
                "Sheets URL), or leave it out to use [workbook] path in sheetsync.toml."
            )
        return open_backend(workbook, settings), workbook
    return workbook, getattr(workbook, "location", "")
