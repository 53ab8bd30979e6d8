"""One `sheetsync worker` syncing many Google workbooks: syncs per hour at Google's quota,
CPU and memory.

    python -m benchmarks.worker                       # 200 workbooks of 1,000 tactics
    python -m benchmarks.worker --workbooks 20 --quota-minutes 1

The Sheets API test server runs in this process with the workbooks; the worker is a real
`sheetsync worker` process with every workbook due every second, so it is never idle. Three
phases, each a fresh worker:

1. first syncs: every workbook gets its Status, ROI and Issues columns (the quota raised so
   this does not take an hour);
2. unthrottled: the quota raised to 6,000 requests a minute for `--fast-seconds`, so the
   worker runs as fast as the CPU lets it: the CPU's ceiling in syncs per hour;
3. at the quota: `requests_per_minute = 60`, Google's default per-user quota, counted for
   `--quota-minutes` after the first minute (whose 60 requests go out at once, which would
   flatter the rate): the syncs per hour a user really gets, and the most requests the server
   saw in any 60 seconds.

CPU time and peak memory (VmHWM) are the worker process's own, from /proc (Linux).
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.google import GOOGLE_REQUESTS_PER_MINUTE, TESTS_DIR, sheet_grids

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
TARGET_SYNCS_PER_HOUR = 1_000
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    seconds: float
    syncs: int
    requests: int
    cpu_seconds: float
    peak_rss_mib: float
    busiest_minute: int  # the most requests the server saw in any 60 s of the phase

    @property
    def syncs_per_hour(self) -> float:
        return self.syncs * 3600 / self.seconds

    @property
    def cpu_ms_per_sync(self) -> float:
        return 1000 * self.cpu_seconds / self.syncs if self.syncs else float("nan")


class Worker:
    """A `sheetsync worker` process in `folder`, its JSON log in a file."""

    def __init__(self, folder: Path) -> None:
        self.log = folder / f"worker-{time.monotonic_ns()}.log"
        with self.log.open("w") as stderr:
            self.process = subprocess.Popen(
                [SHEETSYNC, "worker", "--log-format", "json"],
                cwd=folder,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def ok_syncs(self) -> int:
        text = self.log.read_text()
        return sum(
            1
            for line in text.splitlines()
            if '"event": "run"' in line and json.loads(line)["outcome"] == "ok"
        )

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime + stime

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    sys.path.insert(0, str(TESTS_DIR))  # the test server lives with the tests
    from sheets_api_server import SheetsApiServer

    grids = sheet_grids(options.tactics)
    with SheetsApiServer() as server, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        keys = [server.add_spreadsheet(f"Client {n}", grids) for n in range(options.workbooks)]
        _log(f"{len(keys)} spreadsheets of {options.tactics:,} tactics on the test server")
        phases = [
            _run_phase(server, folder, keys, "first syncs (every cell written)", 6000, None),
            _run_phase(
                server, folder, keys, "unthrottled (6,000 requests/min)", 6000, options.fast_seconds
            ),
            _run_phase(
                server,
                folder,
                keys,
                f"at Google's quota ({GOOGLE_REQUESTS_PER_MINUTE} requests/min), after its "
                "first minute",
                GOOGLE_REQUESTS_PER_MINUTE,
                options.quota_minutes * 60,
                # The first minute's quota is spent at once; the hour is the minutes after.
                warm_up=60,
            ),
        ]
    print(_table(options, phases))
    return 0


def _run_phase(
    server: Any,
    folder: Path,
    keys: list[str],
    name: str,
    per_minute: int,
    seconds: float | None,
    warm_up: float = 0.0,
) -> Phase:
    """Run a fresh worker for `seconds` after `warm_up`, or (None) until every workbook has
    synced once. Syncs, requests and CPU are counted after the warm-up only."""
    _write_config(folder, keys, per_minute, server.endpoint)
    worker = Worker(folder)
    while not Path(worker.log).read_text():
        time.sleep(0.05)  # the worker has started: the clock starts now
    _log(f"{name}: running")
    if warm_up:
        time.sleep(warm_up)
    start, first_requests = time.monotonic(), _requests(server)
    first_syncs, first_cpu = worker.ok_syncs(), worker.cpu_seconds()
    samples = [(start, first_requests)]
    while True:
        time.sleep(0.5)
        now = time.monotonic()
        samples.append((now, _requests(server)))
        if seconds is None and worker.ok_syncs() >= len(keys):
            break
        if seconds is not None and now - start >= seconds:
            break
    phase = Phase(
        name,
        now - start,
        worker.ok_syncs() - first_syncs,
        samples[-1][1] - first_requests,
        worker.cpu_seconds() - first_cpu,
        worker.peak_rss_mib(),
        _busiest_minute(samples),
    )
    worker.stop()
    _log(f"{name}: {phase.syncs} syncs in {phase.seconds:.0f} s")
    return phase


def _write_config(folder: Path, keys: list[str], per_minute: int, endpoint: str) -> None:
    tables = "".join(
        f'[[workbooks]]\nname = "client{n}"\nspreadsheet = "{key}"\n' for n, key in enumerate(keys)
    )
    (folder / "sheetsync.toml").write_text(
        tables
        + f'[google]\nendpoint = "{endpoint}"\ncredentials = "none"\n'
        + f"requests_per_minute = {per_minute}\n"
        + '[state]\npath = "state.db"\n'
        + '[schedule]\nsync = "* * * * * *"\ntimezone = "UTC"\n'
    )


def _requests(server: Any) -> int:
    return sum(server.requests.values())


def _busiest_minute(samples: list[tuple[float, int]]) -> int:
    """The most requests seen in any 60-second span between two samples."""
    busiest = 0
    for index, (start, count) in enumerate(samples):
        later = [total for time_, total in samples[index:] if time_ - start <= 60]
        busiest = max(busiest, later[-1] - count)
    return busiest


def _table(options: argparse.Namespace, phases: list[Phase]) -> str:
    lines = [
        f"One `sheetsync worker`, {options.workbooks} Google workbooks of {options.tactics:,} "
        f"tactics on the test Sheets API server, every workbook due every second; Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs.",
        "",
        "| Phase | Time | Syncs | Syncs/hour | Requests/sync | Busiest 60 s (requests) "
        "| Worker CPU/sync | Worker peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for phase in phases:
        per_sync = phase.requests / phase.syncs if phase.syncs else float("nan")
        lines.append(
            f"| {phase.name} | {phase.seconds:.0f} s | {phase.syncs:,} | "
            f"{phase.syncs_per_hour:,.0f} | {per_sync:.2f} | {phase.busiest_minute} | "
            f"{phase.cpu_ms_per_sync:.0f} ms | {phase.peak_rss_mib:.0f} MiB |"
        )
    quota = phases[-1]
    met = "met" if quota.syncs_per_hour >= TARGET_SYNCS_PER_HOUR else "**missed**"
    within = quota.busiest_minute <= GOOGLE_REQUESTS_PER_MINUTE
    lines += [
        "",
        f"Target: >= {TARGET_SYNCS_PER_HOUR:,} workbook syncs per hour within "
        f"{GOOGLE_REQUESTS_PER_MINUTE} requests per minute: {met} "
        f"({quota.syncs_per_hour:,.0f}/h; busiest minute {quota.busiest_minute} requests, "
        f"{'within' if within else '**over**'} the quota).",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker", description=__doc__)
    parser.add_argument("--workbooks", type=int, default=200)
    parser.add_argument("--tactics", type=int, default=1_000)
    parser.add_argument("--fast-seconds", type=float, default=60)
    parser.add_argument("--quota-minutes", type=float, default=3)
    return parser


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
