"""The measured operations. Each runs in its own child process (see `benchmarks.child`).

A case imports what it needs and prepares its input untimed, then times only the operation,
so interpreter start-up and imports are left out (the CLI case measures those on purpose).
Each returns the seconds taken and facts about what it did, as JSON-able values.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Facts = dict[str, Any]
Case = Callable[[dict[str, Any]], tuple[float, Facts]]

CASES: dict[str, Case] = {}


def case(function: Case) -> Case:
    """Register a case under its function's name, for `python -m benchmarks.child NAME`."""
    CASES[function.__name__] = function
    return function


@case
def engine(args: dict[str, Any]) -> tuple[float, Facts]:
    """Parse + check + status + write plan on a Workbook already in memory; no file I/O."""
    from sheetsync.backends.xlsx import XlsxBackend
    from sheetsync.config import validate_settings
    from sheetsync.engine import evaluate
    from sheetsync.writes import plan_writes

    settings = validate_settings({})
    workbook = XlsxBackend(args["path"]).read()  # exactly the values a check would see
    today = dt.date.fromisoformat(args["today"])
    started = time.perf_counter()
    report = evaluate(workbook, today, settings, args["path"])
    plan = plan_writes(report, settings.tabs.checks)
    seconds = time.perf_counter() - started
    return seconds, {
        "findings": len(report.findings),
        "writes": len(plan.writes),
        "tactics": len(report.tactics),
    }


class Stopwatch:
    """Wall time, and the CPU time of this process (all its threads) over the same span.

    On a shared machine the wall time also measures the neighbours; the CPU time is closer
    to the work alone, so the read-ratio rows give both.
    """

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self._wall
        self.cpu_seconds = time.process_time() - self._cpu


@case
def calamine_read(args: dict[str, Any]) -> tuple[float, Facts]:
    """The floor of any reader: python-calamine turning every sheet into Python values."""
    from python_calamine import CalamineWorkbook

    with Stopwatch() as watch:
        book = CalamineWorkbook.from_path(args["path"])
        cells = sum(
            len(row)
            for name in book.sheet_names
            for row in book.get_sheet_by_name(name).to_python()
        )
    return watch.seconds, {"cells": cells, "cpu_seconds": watch.cpu_seconds}


@case
def openpyxl_roundtrip(args: dict[str, Any]) -> tuple[float, Facts]:
    """The floor of any writer that keeps the file's formatting: openpyxl load + save."""
    from openpyxl import load_workbook

    with Stopwatch() as watch:
        book = load_workbook(args["path"])
        book.save(args["out"])
    Path(args["out"]).unlink()
    return watch.seconds, {"cpu_seconds": watch.cpu_seconds}


@case
def check(args: dict[str, Any]) -> tuple[float, Facts]:
    """`sheetsync.check(path, today=...)`: read and check, end to end."""
    import sheetsync

    _preload_backends()
    with Stopwatch() as watch:
        report = sheetsync.check(args["path"], today=dt.date.fromisoformat(args["today"]))
    return watch.seconds, {
        "findings": len(report.findings),
        "tactics": len(report.tactics),
        "cpu_seconds": watch.cpu_seconds,
    }


@case
def check_report(args: dict[str, Any]) -> tuple[float, Facts]:
    """`sheetsync check --format text|json` without start-up: read, check and render."""
    import sheetsync
    from sheetsync.present import check_json, check_text

    _preload_backends()
    render = check_json if args["format"] == "json" else check_text
    with Stopwatch() as watch:
        report = sheetsync.check(args["path"], today=dt.date.fromisoformat(args["today"]))
        output = render(report)
    return watch.seconds, {
        "findings": len(report.findings),
        "lines": (output if isinstance(output, bytes) else output.encode()).count(b"\n") + 1,
        "cpu_seconds": watch.cpu_seconds,
    }


@case
def sync(args: dict[str, Any]) -> tuple[float, Facts]:
    """`sheetsync.sync(path, today=...)` on the file as it is: writes whatever has changed.

    Its state store is beside the file (in the scratch folder), not the user's own: a
    benchmark's runs are no one's history, and another checkout's schema cannot refuse it.
    """
    import sheetsync
    from sheetsync.config import validate_settings

    _preload_backends()
    state = Path(args["path"]).with_name("benchmark-state.db")
    settings = validate_settings({"state": {"path": str(state)}})
    with Stopwatch() as watch:
        result = sheetsync.sync(
            args["path"], today=dt.date.fromisoformat(args["today"]), settings=settings
        )
    return watch.seconds, {
        "cpu_seconds": watch.cpu_seconds,
        "written": result.written,
        "writes": len(result.plan.writes),
        "findings": len(result.report.findings),
    }


def _preload_backends() -> None:
    """Import what the library imports lazily, so imports are not timed as work."""
    import openpyxl  # noqa: F401
    import python_calamine  # noqa: F401

    import sheetsync.backends.xlsx  # noqa: F401
    import sheetsync.writes  # noqa: F401


@case
def summary(args: dict[str, Any]) -> tuple[float, Facts]:
    """The month's summary e-mail built from a workbook and its snapshots, ready to send.

    Untimed: two syncs a month apart on a copy of the workbook, so the month has figures.
    Timed: read + check + month figures (`sheetsync.api.summary`), then the text, HTML, CSS
    inlining, chart and MIME message (`compose`), down to the bytes an SMTP server receives.
    """
    import shutil
    from email.policy import SMTP

    import sheetsync
    from sheetsync import api
    from sheetsync.config import validate_settings
    from sheetsync.mail import compose, new_message_id

    _preload_backends()
    work = Path(args["scratch"]) / f"summary-{args['tactics']}.xlsx"
    shutil.copyfile(args["path"], work)
    state = work.with_suffix(".db")
    state.unlink(missing_ok=True)
    settings = validate_settings(
        {"summary": {"to": ["owner@example.com"]}, "state": {"path": str(state)}}
    )
    today = dt.date.fromisoformat(args["today"])
    for day in (today.replace(day=1) - dt.timedelta(days=31), today.replace(day=1)):
        sheetsync.sync(str(work), today=day, settings=settings)
    import matplotlib.pyplot  # noqa: F401  (an import, not work)

    started = time.perf_counter()
    built = api.summary(str(work), today=today, settings=settings)
    message = compose(
        built, settings.summary, new_message_id("sheetsync@example.com"), dt.datetime.now(dt.UTC)
    )
    data = message.as_bytes(policy=SMTP)
    seconds = time.perf_counter() - started
    html = message.get_body(("html",))
    return seconds, {
        "bytes": len(data),
        "html_bytes": len(html.get_content().encode()) if html else 0,
        "goals": len(built.goals),
        "findings": len(built.findings),
    }
