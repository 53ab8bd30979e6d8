"""Child processes: run a case or a command, time it, and take its peak memory.

Peak memory is the child's own RSS high-water mark, read from os.wait4's resource usage, so
no case is charged for another's memory (getrusage(RUSAGE_CHILDREN) would give the maximum
over every child so far).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
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
    before_each: Callable[[], None] | None = None,
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
        started = time.perf_counter()
        code, peak, _, stderr = _spawn(command)
        seconds = time.perf_counter() - started
        if code not in ok_codes:
            raise CaseFailed(f"{' '.join(command)} exited {code}: {stderr.strip()[-2000:]}")
        runs.append(_Run(seconds, peak, {"exit_code": code}))
    return _best(runs)


def _best(runs: list[_Run]) -> Measurement:
    best = min(runs, key=lambda run: run.seconds)
    return Measurement(best.seconds, max(run.peak_rss for run in runs), len(runs), best.facts)


def _run_case(case: str, args: dict[str, Any]) -> _Run:
    command = [sys.executable, "-m", "benchmarks.child", case, json.dumps(args)]
    code, peak, stdout, stderr = _spawn(command)
    if code != 0:
        raise CaseFailed(f"case {case} exited {code}: {stderr.strip()[-2000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return _Run(result["seconds"], peak, result["facts"])


def _spawn(command: Sequence[str]) -> tuple[int, int, str, str]:
    """Run a command to its end: exit code, peak RSS in bytes, stdout, stderr."""
    env = {**os.environ, "PYTHONPATH": _python_path()}
    # Files, not pipes: draining two pipes in turn can deadlock on a chatty child, and
    # Popen.communicate would reap the child before os.wait4 could read its usage.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)  # already reaped above
        out.seek(0)
        err.seek(0)
        return process.returncode, usage.ru_maxrss * 1024, out.read(), err.read()  # KiB


def _python_path() -> str:
    """The project root first, so `benchmarks` imports from any working directory."""
    existing = os.environ.get("PYTHONPATH")
    return f"{ROOT}{os.pathsep}{existing}" if existing else str(ROOT)
