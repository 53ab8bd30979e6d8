"""The library API the CLI is a thin coat over: check, sync, init."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sheetsync.backends import Backend, open_backend
from sheetsync.config import Settings, validate_settings
from sheetsync.engine import Report, evaluate
from sheetsync.errors import ConfigError, UsageError
from sheetsync.workbook import Workbook, WritePlan
from sheetsync.writes import plan_writes


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
    """Check, then write Status, ROI, Issues and the Checks tab back (unless `dry_run`)."""
    settings = settings or validate_settings({})
    backend, report = _read_and_evaluate(workbook, today, settings)
    plan = plan_writes(report, settings.tabs.checks)
    if dry_run or not plan:
        return SyncResult(report, plan, written=False)
    backend.apply(plan)
    return SyncResult(report, plan, written=True)


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
    return create_spreadsheet(template, settings.google, title, share_with)


def today_for(workbook: Workbook, settings: Settings) -> dt.date:
    """Today in the configured time zone, else the spreadsheet's, else the machine's."""
    zone = settings.rules.timezone or workbook.timezone
    if zone:
        try:
            return dt.datetime.now(ZoneInfo(zone)).date()
        except (KeyError, ValueError):
            pass  # a spreadsheet's odd zone name is not worth failing a run over
    return dt.date.today()


def _read_and_evaluate(
    workbook: str | Backend | None, today: dt.date | None, settings: Settings
) -> tuple[Backend, Report]:
    backend, location = _backend(workbook, settings)
    data = backend.read()
    return backend, evaluate(data, today or today_for(data, settings), settings, location)


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
