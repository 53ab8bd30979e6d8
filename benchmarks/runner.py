"""Child processes: run a case or a command, time it, and take its peak memory.

Peak memory is the child's RSS high-water mark from os.wait4, per child, so no case is charged
for another's (getrusage(RUSAGE_CHILDREN) gives the maximum over every child so far). One
trap: Linux carries a process's high-water mark across exec, so a child forked from this
process starts at *our* peak (the Google suite holds a 100 k spreadsheet here). Hence every
command runs under a tiny launcher started with `python -S`: the measured process is forked
from the launcher's few MiB, not from us, and the launcher reports its exit code, peak RSS
and wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class CaseFailed(Exception):
    """A child process exited with an error; the message carries its stderr."""


@dataclass(frozen=True)
class Measurement:
    """The best of several runs of one case."""

    seconds: float  # best (lowest) time of the runs
    peak_rss: int  # bytes, the highest of the runs
    runs: int
    facts: dict[str, Any] = field(default_factory=dict)  # from the best run


@dataclass(frozen=True)
class _Run:
    seconds: float
    peak_rss: int
    facts: dict[str, Any]


def measure_case(
    case: str,
    args: dict[str, Any],
    repeat: int,
    before_each: Callable[[], object] | None = None,
) -> Measurement:
    """Best of `repeat` runs of a case from benchmarks.cases, each in a fresh process.

    `before_each` prepares the input of every run (e.g. a fresh copy of the file to write).
    """
    runs = []
    for _ in range(repeat):
        if before_each:
            before_each()
        runs.append(_run_case(case, args))
    return _best(runs)


def measure_command(
    command: Sequence[str], repeat: int, ok_codes: Sequence[int] = (0,)
) -> Measurement:
    """Best wall time of a whole command, start-up and imports included."""
    runs = []
    for _ in range(repeat):
        finished = _spawn(command)
        if finished.code not in ok_codes:
            raise CaseFailed(f"{' '.join(command)} exited {finished.code}: {finished.tail}")
        runs.append(_Run(finished.seconds, finished.peak_rss, {"exit_code": finished.code}))
    return _best(runs)


def _best(runs: list[_Run]) -> Measurement:
    best = min(runs, key=lambda run: run.seconds)
    return Measurement(best.seconds, max(run.peak_rss for run in runs), len(runs), best.facts)


def _run_case(case: str, args: dict[str, Any]) -> _Run:
    command = [sys.executable, "-m", "benchmarks.child", case, json.dumps(args)]
    finished = _spawn(command)
    if finished.code != 0:
        raise CaseFailed(f"case {case} exited {finished.code}: {finished.tail}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    return _Run(result["seconds"], finished.peak_rss, result["facts"])


# Runs argv[2:], then writes "exit-code peak-KiB seconds" to the file argv[1]. Standard library
# only, under `python -S`, so the launcher's own high-water mark stays near 10 MiB.
_LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as report:
    report.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {seconds!r}")
"""


@dataclass(frozen=True)
class _Finished:
    code: int
    peak_rss: int  # bytes
    seconds: float  # wall time, start to exit
    stdout: str
    stderr: str

    @property
    def tail(self) -> str:
        return self.stderr.strip()[-2000:]


def _spawn(command: Sequence[str]) -> _Finished:
    """Run a command to its end under the launcher."""
    env = {**os.environ, "PYTHONPATH": _python_path()}
    # Files, not pipes: draining two pipes in turn can deadlock on a chatty child.
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.TemporaryDirectory() as scratch,
    ):
        report = Path(scratch) / "usage"
        launcher = [sys.executable, "-S", "-c", _LAUNCHER, str(report), *command]
        subprocess.run(launcher, stdout=out, stderr=err, cwd=ROOT, env=env, check=True)
        code, peak_kib, seconds = report.read_text().split()
        out.seek(0)
        err.seek(0)
        return _Finished(int(code), int(peak_kib) * 1024, float(seconds), out.read(), err.read())


def _python_path() -> str:
    """The project root first, so `benchmarks` imports from any working directory."""
    existing = os.environ.get("PYTHONPATH")
    return f"{ROOT}{os.pathsep}{existing}" if existing else str(ROOT)
