"""`sheetsync worker`: every workbook synced on its schedule, each month's summary sent once,
until SIGTERM or Ctrl-C.

APScheduler runs the cron triggers (schedule.py) on the configured clock and hands each run to
a small thread pool, `[schedule] workers` workbooks at a time: one run per job at a time
(max_instances=1), runs that fell due while the worker was busy or asleep merged into one
(coalesce) and dropped when later than `[schedule] misfire_grace`. Google requests from every
thread share the process-wide rate limit. The workbook lock (locking.py), taken inside the
library's sync and send, keeps the worker and cron runs of the same workbook apart; within the
worker, a workbook's sync and summary take turns.

A run is the library's own sync or summary send, given a workbook that refuses to start reading
or writing once the worker is stopping (nothing is ever half written: a local file is replaced
whole, a Google write is one request). A failing workbook is logged and recorded, and tried
again on its next tick; the others carry on.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from sheetsync import api
from sheetsync.backends import Backend, is_google_location, open_backend
from sheetsync.config import Settings
from sheetsync.errors import ConfigError, RunStopped, SheetsyncError, WorkbookBusy
from sheetsync.months import Month
from sheetsync.runlog import RunLine, open_log
from sheetsync.runs import record_failure, workbook_key
from sheetsync.schedule import last_fire_time, schedule_zone, summary_trigger, sync_trigger
from sheetsync.state import StateStore, now_utc, state_path
from sheetsync.workbook import CellKey, Workbook, WritePlan
from sheetsync.workbooks import Target, targets

# Leave this much of stop_timeout for writing down the runs that did not finish in time.
STOP_MARGIN_SECONDS = 0.5


class StoppableWorkbook:
    """The workbook as the worker hands it to the library: opened when first read, and
    refusing to start a read or a write once the worker is stopping."""

    def __init__(self, target: Target, stopping: threading.Event) -> None:
        self.location = target.location
        self.writing = False  # a write has started: it is let finish
        self._target = target
        self._stopping = stopping
        self._backend: Backend | None = None

    def read(self) -> Workbook:
        self._refuse_when_stopping("reading")
        if self._backend is None:
            self._backend = open_backend(self.location, self._target.settings)
        return self._backend.read()

    def apply(self, plan: WritePlan) -> None:
        self._refuse_when_stopping("writing")
        assert self._backend is not None, "the library reads before it writes"
        self.writing = True
        self._backend.apply(plan)

    def formulas(self, cells: Collection[CellKey]) -> Mapping[CellKey, str]:
        assert self._backend is not None, "the library reads before it asks"
        return self._backend.formulas(cells)

    @property
    def requests_sent(self) -> int | None:
        return getattr(self._backend, "requests_sent", None)

    def _refuse_when_stopping(self, step: str) -> None:
        if self._stopping.is_set():
            raise RunStopped(
                f"The worker was stopping, so it did not start {step} {self._target.label}; "
                "nothing was written. The next run catches up."
            )


@dataclass(slots=True)
class _Running:
    """A run in progress."""

    target: Target
    job: str
    workbook: StoppableWorkbook
    started: dt.datetime = field(default_factory=now_utc)
    clock: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        return time.monotonic() - self.clock

    def failed(self, outcome: str, why: BaseException | str) -> RunLine:
        return RunLine(
            self.target.label,
            self.job,
            outcome,
            self.seconds(),
            requests=self.workbook.requests_sent,
            detail=str(why),
        )


@dataclass(frozen=True, slots=True)
class MissedSummary:
    target: Target
    month: Month


class Worker:
    """The scheduler, its jobs, and what is running now."""

    def __init__(self, chosen: list[Target], settings: Settings, log: logging.Logger) -> None:
        self.targets = chosen
        self.settings = settings
        self.log = log
        self.zone = schedule_zone(settings)
        self.stopping = threading.Event()
        self._running: dict[int, _Running] = {}
        self._numbers = itertools.count()
        self._guard = threading.Lock()
        # A workbook's sync and summary take turns here rather than wait on its file lock,
        # whose wait is kept short for cron.
        self._turns = {target.label: threading.Lock() for target in chosen}
        self.scheduler = BackgroundScheduler(
            timezone=self.zone,
            executors={"default": ThreadPoolExecutor(settings.schedule.workers)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(1, round(settings.schedule.misfire_grace)),
            },
        )
        self.scheduler.add_listener(self._not_run, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    # --- starting and stopping ---------------------------------------------------------------

    def start(self, now: dt.datetime | None = None) -> None:
        """Schedule every workbook's jobs, send the summaries missed while down, start."""
        now = now or dt.datetime.now(dt.UTC)
        for target in self.targets:
            self.scheduler.add_job(
                self.sync,
                sync_trigger(target.settings),
                args=(target,),
                id=f"sync {target.label}",
            )
            if target.settings.summary.to:
                self.scheduler.add_job(
                    self.send_summary,
                    summary_trigger(target.settings),
                    args=(target,),
                    id=f"summary {target.label}",
                )
            else:
                self.log.info(
                    f"{target.label}: no summary recipients ([summary] to), so no monthly "
                    "summary is sent"
                )
        for missed in missed_summaries(self.targets, now):
            self.scheduler.add_job(
                self.send_summary,
                args=(missed.target, missed.month),
                id=f"catch-up summary {missed.target.label}",
            )
        self.scheduler.start()
        names = ", ".join(target.label for target in self.targets)
        self.log.info(
            f"sheetsync worker started for {names}; times are {self.zone.key}. "
            "Stop with Ctrl-C or SIGTERM."
        )

    def stop(self) -> bool:
        """Take no new runs, let running ones finish within stop_timeout; True if all did."""
        deadline = time.monotonic() + self.settings.schedule.stop_timeout - STOP_MARGIN_SECONDS
        self.stopping.set()
        self.scheduler.shutdown(wait=False)
        while self._still_running() and time.monotonic() < deadline:
            time.sleep(0.05)
        unfinished = self._still_running()
        for running in unfinished:
            self._record_unfinished(running)
        self.log.info(
            "sheetsync worker stopped"
            + (f"; {len(unfinished)} run(s) did not finish in time" if unfinished else "")
        )
        return not unfinished

    # --- the jobs ----------------------------------------------------------------------------

    def sync(self, target: Target) -> None:
        def sync_once(workbook: StoppableWorkbook) -> RunLine:
            result = api.sync(workbook, settings=target.settings)
            return RunLine(
                target.label,
                "sync",
                "ok",
                0.0,
                requests=workbook.requests_sent,
                cells_written=len(result.plan.writes) if result.written else 0,
                errors=result.report.count("error"),
                warnings=result.report.count("warning"),
            )

        self._run(target, "sync", sync_once)

    def send_summary(self, target: Target, month: Month | None = None) -> None:
        job = "catch-up summary" if month else "summary"
        month = month or Month.before(dt.datetime.now(self.zone).date())

        def send_once(workbook: StoppableWorkbook) -> RunLine:
            sent = api.send_summary(workbook, month=month, settings=target.settings)
            return RunLine(
                target.label,
                job,
                "already sent" if sent.outcome.already else "sent",
                0.0,
                requests=workbook.requests_sent,
                detail=f"{month.label()}, {sent.outcome.record.people}",
            )

        self._run(target, job, send_once)

    def _run(self, target: Target, job: str, act: Callable[[StoppableWorkbook], RunLine]) -> None:
        """One run: registered while it runs, timed, its outcome logged whatever happens."""
        if self.stopping.is_set():
            return  # a run the scheduler handed out just before the stop does not start
        running = _Running(target, job, StoppableWorkbook(target, self.stopping))
        number = next(self._numbers)
        with self._guard:
            self._running[number] = running
        try:
            with self._turns[target.label]:
                line = act(running.workbook)
        except WorkbookBusy as busy:
            line = running.failed("skipped", busy)
        except RunStopped as stopped:
            line = running.failed("stopped", stopped)
        except SheetsyncError as error:
            line = running.failed("failed", error)
        except Exception as bug:  # one workbook's bug must not stop the others
            line = running.failed("failed", f"sheetsync hit a bug ({type(bug).__name__}: {bug})")
        finally:
            with self._guard:
                del self._running[number]
        self.log.info("run", extra={"run": replace(line, seconds=running.seconds())})

    def _not_run(self, event: JobSubmissionEvent) -> None:
        """A run APScheduler did not start: the last one still going, or too late."""
        why = (
            "the previous run was still going"
            if event.code == EVENT_JOB_MAX_INSTANCES
            else f"it was more than {self.settings.schedule.misfire_grace:g} s late "
            "(the computer was busy or asleep)"
        )
        self.log.info(f"{event.job_id}: not run at its time, because {why}; next time it is")

    # --- what is running ---------------------------------------------------------------------

    def _still_running(self) -> list[_Running]:
        with self._guard:
            return list(self._running.values())

    def _record_unfinished(self, running: _Running) -> None:
        stage = "while writing" if running.workbook.writing else "before writing anything"
        stopped = RunStopped(
            f"The worker stopped {stage}, before this run finished. A local file is replaced "
            "whole and a Google write is one request, so the sheet is as it was or fully "
            "written; the next run catches up."
        )
        target = running.target
        with StateStore(state_path(target.settings)) as store:
            today = dt.datetime.now(self.zone).date()
            record_failure(store, target.location, running.job, today, running.started, stopped)
        self.log.info("run", extra={"run": running.failed("stopped", stopped)})


def missed_summaries(chosen: list[Target], now: dt.datetime) -> list[MissedSummary]:
    """The monthly summaries whose time passed while no worker ran, to send at start.

    A workbook counts when its summary time has come at least once and sheetsync had already
    run on it before then (a new workbook gets no summary of a month it was not watched).
    Whether that month went out already is the send's business: it sends each month once.
    """
    missed = []
    for target in chosen:
        if not target.settings.summary.to:
            continue
        last = last_fire_time(summary_trigger(target.settings), now)
        if last is None:
            continue
        with StateStore(state_path(target.settings)) as store:
            first = store.first_run_started(workbook_key(target.location))
        if first is not None and first < last:
            month = Month.before(last.astimezone(schedule_zone(target.settings)).date())
            missed.append(MissedSummary(target, month))
    return missed


def run_until_stopped(worker: Worker) -> int:
    """Start, wait for SIGTERM, SIGINT or SIGHUP, stop cleanly. The exit code: 0."""
    stop = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        worker.log.info(f"{signal.Signals(number).name} received: stopping")
        stop.set()

    # SIGHUP too: a closed terminal stops the worker cleanly rather than mid-run.
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, on_signal)
    worker.start()
    stop.wait()
    finished = worker.stop()
    for handler in worker.log.handlers:
        handler.flush()
    if not finished:
        # Threads still in a request would hold up the interpreter's exit past stop_timeout;
        # their runs are written down as stopped, and nothing they do can half-write a sheet.
        os._exit(0)
    return 0


def checked_targets(settings: Settings, name: str | None) -> list[Target]:
    """The workbooks to run, after the checks a config file's schema cannot make.

    Raises ConfigError naming the setting, so a bad config stops the worker before it
    schedules anything.
    """
    chosen = targets(settings, name=name)
    for target in chosen:
        if not target.location:
            raise ConfigError(
                "The worker needs to know which workbooks to sync: set [workbook] path (or "
                "spreadsheet), or add [[workbooks]] tables, in the config."
            )
    google = settings.google.credentials
    uses_google = any(is_google_location(target.location) for target in chosen)
    if uses_google and google not in ("", "oauth", "adc", "none") and not Path(google).is_file():
        raise ConfigError(
            f"Config key `google.credentials` = {google!r}: no such key file. Give the path of "
            'the service account\'s JSON key, or "oauth" or "adc".'
        )
    with StateStore(state_path(settings)):
        pass  # the state store opens (or says why not) before anything is scheduled
    return chosen


def run_worker(settings: Settings, name: str | None, log_format: str) -> int:
    """`sheetsync worker`: check the config, then run until SIGTERM/SIGINT. Returns 0."""
    chosen = checked_targets(settings, name)
    log = open_log(log_format, settings)
    return run_until_stopped(Worker(chosen, settings, log))
