"""`sheetsync worker` as a user runs it: a real process on a schedule of a few seconds, real
.xlsx files and the Sheets API test server, stopped with SIGTERM or killed with SIGKILL.

Waiting is for something the worker logs or the server sees, with a generous bound; no test
asserts how fast anything is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sheets_api_server import Fault
from smtp_server import PASSWORD, USERNAME, SmtpServer, running
from workbooks import baseline_grids, write_xlsx

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
SERIAL_EPOCH = dt.date(1899, 12, 30)
WAIT_SECONDS = 90  # how long to wait for something that should happen within seconds
STOP_TIMEOUT = 10
STARTED: list[WorkerProcess] = []  # every worker a test started, ended after the test


class WorkerProcess:
    """`sheetsync worker --log-format json` in `folder`, its log in a file."""

    def __init__(self, folder: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.log_file = folder / f"worker-{time.monotonic_ns()}.log"
        with self.log_file.open("w") as log:
            self.process = subprocess.Popen(
                [SHEETSYNC, "worker", "--log-format", "json", *args],
                cwd=folder,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            )
        STARTED.append(self)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_file.read_text().splitlines() if line]

    def runs(self, workbook: str | None = None, outcome: str | None = None) -> list[dict]:
        return [
            line
            for line in self.lines()
            if line["event"] == "run"
            and workbook in (None, line["workbook"])
            and outcome in (None, line["outcome"])
        ]

    def wait_for(self, what: str, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not done():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never saw {what}; the log:\n{self.log_file.read_text()}")
            time.sleep(0.1)

    def stop(self, how: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(how)
        # The worker bounds its own stop by stop_timeout; the margin is for a loaded machine,
        # where a process needs seconds more to be scheduled, not for the worker.
        return self.process.wait(timeout=STOP_TIMEOUT + 50)


@pytest.fixture(autouse=True)
def no_worker_outlives_its_test():
    """A test that fails before it stops its worker must not leave it syncing for the next."""
    yield
    while STARTED:
        process = STARTED.pop().process
        if process.poll() is None:
            process.kill()
            process.wait()


def config_text(
    *workbooks: tuple[str, str], sync: str = "*/2 * * * * *", summary: str = "0 8 1 * *"
) -> str:
    """A config of (name, .xlsx path or spreadsheet key) workbooks, syncing every 2 seconds."""
    tables = "".join(
        f'[[workbooks]]\nname = "{name}"\n'
        + (f'path = "{where}"\n' if where.endswith(".xlsx") else f'spreadsheet = "{where}"\n')
        for name, where in workbooks
    )
    return (
        f'{tables}[state]\npath = "state/state.db"\n'
        f'[schedule]\nsync = "{sync}"\nsummary = "{summary}"\ntimezone = "Europe/London"\n'
        f"stop_timeout = {STOP_TIMEOUT}\nlock_wait = 0.5\n"
    )


def status_workbooks(folder: Path) -> list[dict[str, Any]]:
    """What `sheetsync status --format json` says of each workbook, run as a user would."""
    status = subprocess.run(
        [SHEETSYNC, "status", "--format", "json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    return json.loads(status.stdout)["workbooks"]


def state_runs(folder: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(folder / "state" / "state.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM runs ORDER BY id")]


def test_worker_syncs_the_good_workbooks_again_and_again_and_reports_the_broken_one(tmp_path):
    write_xlsx(tmp_path / "bakery.xlsx", baseline_grids())
    write_xlsx(tmp_path / "gym.xlsx", baseline_grids())
    (tmp_path / "sheetsync.toml").write_text(
        config_text(("bakery", "bakery.xlsx"), ("gym", "gym.xlsx"), ("florist", "florist.xlsx"))
    )
    worker = WorkerProcess(tmp_path)
    worker.wait_for(
        "two syncs of each good workbook and two failures of the missing one",
        lambda: (
            len(worker.runs("bakery", "ok")) >= 2
            and len(worker.runs("gym", "ok")) >= 2
            and len(worker.runs("florist", "failed")) >= 2
        ),
    )
    assert worker.stop() == 0
    first, again = worker.runs("bakery", "ok")[:2]
    assert first["cells_written"] > 0 and again["cells_written"] == 0
    failure = worker.runs("florist")[0]
    assert failure["detail"].startswith("florist.xlsx was not found; check the path")
    assert worker.lines()[-1]["message"] == "sheetsync worker stopped"
    plan = load_workbook(tmp_path / "gym.xlsx")["Plan"]
    assert "Status" in [cell.value for cell in plan[1]]
    recorded = {(Path(run["workbook"]).name, run["outcome"]) for run in state_runs(tmp_path)}
    assert recorded == {("bakery.xlsx", "ok"), ("gym.xlsx", "ok"), ("florist.xlsx", "failed")}
    bakery, gym, florist = status_workbooks(tmp_path)
    assert (bakery["name"], gym["name"], florist["name"]) == ("bakery", "gym", "florist")
    for good in (bakery, gym):
        assert (good["last_run"]["command"], good["last_run"]["outcome"]) == ("sync", "ok")
        assert good["last_run"]["cells_written"] == 0  # the last sync found nothing to change
        assert good["last_good_sync"] == good["last_run"]["started"]
    assert florist["last_run"]["outcome"] == "failed" and florist["last_good_sync"] is None
    assert florist["last_run"]["error"] == failure["detail"]
    assert len(florist["next_syncs"]) == 3 and florist["timezone"] == "Europe/London"


def test_a_bad_config_stops_the_worker_before_it_starts(tmp_path):
    (tmp_path / "sheetsync.toml").write_text(
        config_text(("bakery", "bakery.xlsx"), sync="*/2 * * *")
    )
    result = subprocess.run(
        [SHEETSYNC, "worker"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "`schedule.sync` = '*/2 * * *'" in result.stderr and "has 4 fields" in result.stderr
    assert not (tmp_path / "state").exists()


def big_grids(tactics: int) -> dict[str, list[list[Any]]]:
    """The baseline workbook with `tactics` more Plan rows, so a sync takes a while."""
    grids = baseline_grids()
    template = grids["Plan"][1]
    for number in range(tactics):
        grids["Plan"].append([f"T{1000 + number}", *template[1:]])
    return grids


def test_sigkill_at_any_moment_then_restart_loses_nothing(tmp_path):
    path = tmp_path / "plan.xlsx"
    write_xlsx(path, big_grids(3000))
    before = path.read_bytes()
    (tmp_path / "sheetsync.toml").write_text(config_text(("plan", "plan.xlsx"), sync="* * * * * *"))
    for delay in (0.4, 1.0, 1.6, 2.2):  # the first sync takes about 2 s from start
        worker = WorkerProcess(tmp_path)
        worker.wait_for("the worker start", lambda w=worker: len(w.lines()) >= 1)
        time.sleep(delay)  # somewhere in a run: reading, working out, or writing
        assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
        book = load_workbook(path)  # a whole workbook, whenever the kill came
        if path.read_bytes() != before:
            headers = [cell.value for cell in book["Plan"][1]]
            statuses = [row[headers.index("Status")].value for row in book["Plan"].iter_rows(2)]
            assert all(statuses), "a sync that landed wrote every row"
    worker = WorkerProcess(tmp_path)
    worker.wait_for("a completed sync after the kills", lambda: worker.runs("plan", "ok"))
    assert worker.stop() == 0
    assert all(run["outcome"] in ("ok", "stopped") for run in state_runs(tmp_path))


@pytest.fixture
def google_config(sheets_api, tmp_path) -> Callable[..., tuple[list[str], Path]]:
    """Spreadsheets on the test server, and a config naming them, for the worker."""

    def make(count: int = 1, google: str = "", **config: Any) -> tuple[list[str], Path]:
        tabs = {
            name: [
                [(v - SERIAL_EPOCH).days if isinstance(v, dt.date) else v for v in row]
                for row in rows
            ]
            for name, rows in baseline_grids().items()
        }
        keys = [sheets_api.add_spreadsheet(f"Client {n}", tabs) for n in range(count)]
        google_section = (
            f'[google]\nendpoint = "{sheets_api.endpoint}"\ncredentials = "none"\n'
            f"retry_for_seconds = 30\n{google or 'requests_per_minute = 6000'}\n"
        )
        (tmp_path / "sheetsync.toml").write_text(
            config_text(*((f"client{n}", key) for n, key in enumerate(keys)), **config)
            + google_section
        )
        return keys, tmp_path

    return make


def writes_seen(sheets_api) -> int:
    return sheets_api.requests[("POST", "values.batchUpdate")]


def test_sigterm_lets_the_write_in_progress_finish_then_exits_0(sheets_api, google_config):
    (key,), folder = google_config()
    sheets_api.inject(Fault.slow(3, route="values.batchUpdate"))
    worker = WorkerProcess(folder)
    worker.wait_for("the first write reaching Google", lambda: writes_seen(sheets_api) >= 1)
    assert worker.stop() == 0
    (run,) = worker.runs("client0")
    assert run["outcome"] == "ok" and run["cells_written"] > 0
    assert sheets_api.grid(key, "Plan")[0][-1] == "Issues"
    assert [(r["command"], r["outcome"]) for r in state_runs(folder)] == [("sync", "ok")]


def test_ctrl_c_while_reading_writes_nothing_and_records_the_stop(sheets_api, google_config):
    (key,), folder = google_config()
    sheets_api.inject(Fault.slow(3, route="values.batchGet"))
    before = sheets_api.grid(key, "Plan")
    worker = WorkerProcess(folder)
    worker.wait_for(
        "the first read reaching Google",
        lambda: sheets_api.requests[("GET", "values.batchGet")] >= 1,
    )
    assert worker.stop(signal.SIGINT) == 0
    (run,) = worker.runs("client0")
    assert run["outcome"] == "stopped"
    assert "did not start writing client0; nothing was written" in run["detail"]
    assert writes_seen(sheets_api) == 0 and sheets_api.grid(key, "Plan") == before
    (recorded,) = state_runs(folder)
    assert recorded["outcome"] == "stopped" and "nothing was written" in recorded["detail"]


def test_a_cron_sync_skips_while_the_worker_writes_the_same_workbook(sheets_api, google_config):
    (key,), folder = google_config()
    sheets_api.inject(Fault.slow(4, route="values.batchUpdate"))
    worker = WorkerProcess(folder)
    worker.wait_for("the worker's write reaching Google", lambda: writes_seen(sheets_api) >= 1)
    cron = subprocess.run(
        [SHEETSYNC, "sync", "-n", "client0"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert cron.returncode == 4
    assert cron.stderr.startswith(f"Skipped {key}: another sheetsync run")
    worker.wait_for("the worker's sync", lambda: worker.runs("client0", "ok"))
    assert worker.stop() == 0
    assert writes_seen(sheets_api) == 1  # one sync wrote; the other did not interleave
    runs = state_runs(folder)
    assert [run["outcome"] for run in runs][:1] == ["ok"]
    spans = [(run["started"], run["ended"]) for run in runs]
    assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))


def test_google_workbooks_stay_within_requests_per_minute_despite_429s(sheets_api, google_config):
    keys, folder = google_config(3, google="requests_per_minute = 8", sync="* * * * * *")
    for _ in range(2):
        sheets_api.inject(Fault.status(429, retry_after=0.2))
    worker = WorkerProcess(folder)
    worker.wait_for("eight requests", lambda: sum(sheets_api.requests.values()) >= 8)
    time.sleep(3)  # the worker wants many more: each workbook every second
    assert worker.stop() == 0
    assert sum(sheets_api.requests.values()) == 8  # the first minute's quota, not one more
    stopped = worker.runs(outcome="stopped")
    assert stopped, "runs waiting for the quota are stopped, not left hanging"


@pytest.fixture
def smtp(tmp_path) -> Iterator[SmtpServer]:
    yield from running(tmp_path)


def summary_config(smtp: SmtpServer) -> str:
    """Summaries every 3 seconds over the SMTP test server, to a recipient per workbook."""
    return (
        f'[summary]\nto = ["owner@example.com"]\nsender = "sheetsync <sheetsync@example.com>"\n'
        f'transport = "smtp"\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\n'
        f'username = "{USERNAME}"\ntimeout = 10\nretry_for_seconds = 5\n'
    )


def smtp_env(smtp: SmtpServer) -> dict[str, str]:
    return {"SSL_CERT_FILE": str(smtp.ca_file), "SHEETSYNC_SMTP_PASSWORD": PASSWORD}


def subjects(smtp: SmtpServer) -> list[str]:
    return sorted(str(received.message["Subject"]) for received in smtp.handler.messages)


def test_each_good_workbook_gets_its_summary_once_and_status_shows_it(tmp_path, smtp):
    write_xlsx(tmp_path / "bakery.xlsx", baseline_grids())
    write_xlsx(tmp_path / "gym.xlsx", baseline_grids())
    config = config_text(
        ("bakery", "bakery.xlsx"),
        ("gym", "gym.xlsx"),
        ("florist", "florist.xlsx"),
        summary="*/3 * * * * *",
    )
    (tmp_path / "sheetsync.toml").write_text(config + summary_config(smtp))
    worker = WorkerProcess(tmp_path, env=smtp_env(smtp))
    worker.wait_for(
        "a summary sent and then found already sent, for each good workbook",
        lambda: all(
            {"sent", "already sent"}
            <= {run["outcome"] for run in worker.runs(name) if run["job"] == "summary"}
            for name in ("bakery", "gym")
        ),
    )
    assert worker.stop() == 0
    assert len(smtp.handler.messages) == 2  # once per workbook, however often it came round
    assert all(received.recipients == ["owner@example.com"] for received in smtp.handler.messages)
    florist = [run for run in worker.runs("florist") if run["job"] == "summary"]
    assert florist and all(run["outcome"] == "failed" for run in florist)
    assert PASSWORD not in worker.log_file.read_text()
    bakery, gym, florist_status = status_workbooks(tmp_path)
    for good in (bakery, gym):
        assert good["last_summary"]["outcome"] == "sent"
        assert good["last_summary"]["to"] == ["owner@example.com"]
    assert florist_status["last_summary"] is None


def test_sigkill_after_a_summary_then_restart_sends_nothing_twice(tmp_path, smtp):
    write_xlsx(tmp_path / "bakery.xlsx", baseline_grids())
    config = config_text(("bakery", "bakery.xlsx"), sync="0 0 1 1 *", summary="*/2 * * * * *")
    (tmp_path / "sheetsync.toml").write_text(config + summary_config(smtp))
    worker = WorkerProcess(tmp_path, env=smtp_env(smtp))
    worker.wait_for("the summary sent", lambda: worker.runs("bakery", "sent"))
    assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
    again = WorkerProcess(tmp_path, env=smtp_env(smtp))
    again.wait_for("the summary found sent", lambda: again.runs("bakery", "already sent"))
    assert again.stop(signal.SIGHUP) == 0  # a closed terminal stops it cleanly too
    assert len(smtp.handler.messages) == 1
    history = load_workbook(tmp_path / "bakery.xlsx")["History"]
    months = [row[0].value for row in history.iter_rows(min_row=2)]
    assert months and len(set(months)) == 1  # one month's rows, written once
