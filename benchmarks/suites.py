"""Benchmark suites: one function per thing measured, registered by name in SUITES.

A suite takes the run's Context and yields table rows. `python -m benchmarks --only a,b`
runs the named suites, in registry order. To benchmark another backend, write a suite
function and register it with `@suite("name", "what it measures")` (see benchmarks.google).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.generate import workbook_path
from benchmarks.results import Row, Target
from benchmarks.runner import Measurement, measure_case, measure_command

ENGINE_ROWS_PER_SECOND = 50_000
READ_RATIO = 2.5  # check, and a sync with nothing to write, vs calamine reading the file
READ_RATIO_AT = 10_000  # the size the issue sets that target at
WRITE_RATIO = 0.25  # a sync that writes vs openpyxl's load + save (issue 7)
MEMORY_LIMIT = 400 * 10**6  # "under 400 MB" for a 100 k sync (issue 7)
MEMORY_LIMIT_AT = 100_000
CLI_MAX_SIZE = 10_000
SUMMARY_MAX_SIZE = 10_000  # the e-mail's targets are set at 1 k and 10 k tactics
SUMMARY_BYTES = 200_000
SUMMARY_SECONDS = 2.0


@dataclass
class Context:
    """What every suite needs: the sizes, how often to repeat, where to put scratch files."""

    sizes: list[int]
    repeat_override: int | None
    today: str  # ISO date every check runs "as of"
    scratch: Path  # copies of workbooks that a sync may change
    log: Callable[[str], None]
    _memo: dict[tuple[str, str, str], Measurement] = field(default_factory=dict)

    def repeat(self, tactics: int) -> int:
        """Best of 3 where runs are quick; a single run of the 100 k case."""
        if self.repeat_override is not None:
            return self.repeat_override
        return 3 if tactics <= 10_000 else 1

    def measure(self, case: str, tactics: int, path: Path, **args: Any) -> Measurement:
        """Measure a case once per run and file, however many suites ask for it."""
        key = (case, str(path), repr(sorted(args.items())))
        if key not in self._memo:
            repeat = self.repeat(tactics)
            self.log(f"{tactics:>7,} tactics: {case} on {path.name} (best of {repeat})")
            self._memo[key] = measure_case(case, self.case_args(tactics, path, args), repeat)
        return self._memo[key]

    def case_args(self, tactics: int, path: Path, extra: dict[str, Any]) -> dict[str, Any]:
        return {"path": str(path), "tactics": tactics, "today": self.today, **extra}


Suite = Callable[[Context], Iterator[Row]]


@dataclass(frozen=True)
class SuiteInfo:
    name: str
    description: str
    run: Suite


SUITES: dict[str, SuiteInfo] = {}


def suite(name: str, description: str) -> Callable[[Suite], Suite]:
    """Register a suite under a name `--only` accepts."""

    def register(function: Suite) -> Suite:
        SUITES[name] = SuiteInfo(name, description, function)
        return function

    return register


@suite("engine", "evaluate + plan_writes on a Workbook in memory, in tactic rows/s")
def engine_suite(context: Context) -> Iterator[Row]:
    for tactics in context.sizes:
        result = context.measure("engine", tactics, workbook_path(tactics))
        rate = tactics / result.seconds
        yield Row(
            tactics,
            "engine: evaluate + plan_writes",
            result.seconds,
            rate,
            result.peak_rss,
            targets=(
                Target(f"≥ {ENGINE_ROWS_PER_SECOND:,} rows/s", rate >= ENGINE_ROWS_PER_SECOND),
            ),
            notes=f"{result.facts['findings']:,} findings, {result.facts['writes']:,} cells "
            f"planned; {_runs(result)}",
        )


@suite("check", "sheetsync.check(path) vs python-calamine reading the same file")
def check_suite(context: Context) -> Iterator[Row]:
    for tactics in context.sizes:
        path = workbook_path(tactics)
        floor = context.measure("calamine_read", tactics, path)
        yield _floor_row(
            tactics, "floor: calamine reads every sheet", floor, f"{floor.facts['cells']:,} cells"
        )
        result = context.measure("check", tactics, path)
        yield _read_row(
            tactics, "check (library call)", result, floor, f"{result.facts['findings']:,} findings"
        )


@suite("neglected", "check, text and JSON, on a neglected plan (~2 findings a tactic) vs calamine")
def neglected_suite(context: Context) -> Iterator[Row]:
    for tactics in context.sizes:
        path = workbook_path(tactics, neglected=True)
        floor = context.measure("calamine_read", tactics, path)
        yield _floor_row(
            tactics,
            "floor: calamine reads the neglected plan",
            floor,
            f"{floor.facts['cells']:,} cells",
        )
        for output in ("text", "json"):
            result = context.measure("check_report", tactics, path, format=output)
            yield _read_row(
                tactics,
                f"neglected plan: check --format {output} (read, check, render)",
                result,
                floor,
                f"{result.facts['findings']:,} findings, {result.facts['lines']:,} lines",
            )


@suite("sync", "sync that writes vs openpyxl load + save; a second sync vs calamine read")
def sync_suite(context: Context) -> Iterator[Row]:
    for tactics in context.sizes:
        yield from _sync_rows(context, tactics)


def _sync_rows(context: Context, tactics: int) -> Iterator[Row]:
    source = workbook_path(tactics)
    fresh = context.scratch / f"fresh-{tactics}.xlsx"
    floor = context.measure(
        "openpyxl_roundtrip",
        tactics,
        source,
        out=str(context.scratch / f"roundtrip-{tactics}.xlsx"),
    )
    yield _floor_row(tactics, "floor: openpyxl load + save", floor, "")

    repeat = context.repeat(tactics)
    context.log(f"{tactics:>7,} tactics: first sync of a fresh copy (best of {repeat})")
    first = measure_case(
        "sync",
        context.case_args(tactics, fresh, {}),
        repeat,
        before_each=lambda: shutil.copyfile(source, fresh),
    )
    ratio = first.seconds / floor.seconds
    cpu_ratio = first.facts["cpu_seconds"] / floor.facts["cpu_seconds"]
    yield Row(
        tactics,
        "sync that writes (first sync)",
        first.seconds,
        tactics / first.seconds,
        first.peak_rss,
        f"{ratio:.2f}× openpyxl load + save (CPU time: {cpu_ratio:.2f}×)",
        (Target(f"≤ {WRITE_RATIO}×", ratio <= WRITE_RATIO), *_memory_target(tactics, first)),
        f"{_wrote(first)}; {_cpu(first)}; {_runs(first)}",
    )

    # The first sync left `fresh` synced: syncing it again must find nothing to write.
    synced = context.scratch / f"synced-{tactics}.xlsx"
    shutil.move(fresh, synced)
    read_floor = context.measure("calamine_read", tactics, synced)
    yield _floor_row(
        tactics,
        "floor: calamine reads the synced file",
        read_floor,
        f"{read_floor.facts['cells']:,} cells",
    )
    second = context.measure("sync", tactics, synced)
    # A second sync that writes is a bug in the write planner: make it stand out.
    note = "**" + _wrote(second) + "**" if second.facts["written"] else _wrote(second)
    yield _read_row(
        tactics,
        "sync, nothing to change (second sync)",
        second,
        read_floor,
        note,
        _memory_target(tactics, second),
    )


@suite("cli", "wall time of the `sheetsync check` subprocess, start-up included (≤ 10 k)")
def cli_suite(context: Context) -> Iterator[Row]:
    executable = Path(sys.executable).with_name("sheetsync")
    for tactics in (size for size in context.sizes if size <= CLI_MAX_SIZE):
        path = workbook_path(tactics)
        repeat = context.repeat(tactics)
        context.log(f"{tactics:>7,} tactics: sheetsync check subprocess (best of {repeat})")
        command = [str(executable), "check", "--workbook", str(path), "--today", context.today]
        result = measure_command(command, repeat, ok_codes=(0, 1))  # 1: findings were found
        yield Row(
            tactics,
            "CLI: `sheetsync check` subprocess",
            result.seconds,
            tactics / result.seconds,
            result.peak_rss,
            notes=f"exit {result.facts['exit_code']} (findings); wall time incl. start-up; "
            f"{_runs(result)}",
        )


@suite("summary", "the monthly e-mail built from snapshots: time and size (≤ 10 k)")
def summary_suite(context: Context) -> Iterator[Row]:
    for tactics in (size for size in context.sizes if size <= SUMMARY_MAX_SIZE):
        result = context.measure(
            "summary", tactics, workbook_path(tactics), scratch=str(context.scratch)
        )
        size = result.facts["bytes"]
        yield Row(
            tactics,
            "summary e-mail: figures, text, HTML, chart, MIME",
            result.seconds,
            tactics / result.seconds,
            result.peak_rss,
            f"{size / 1000:,.0f} kB message",
            (
                Target(f"< {SUMMARY_BYTES // 1000} kB", size < SUMMARY_BYTES),
                Target(f"< {SUMMARY_SECONDS:g} s", result.seconds < SUMMARY_SECONDS),
            ),
            f"{result.facts['goals']:,} goals, {result.facts['findings']:,} findings; "
            f"HTML {result.facts['html_bytes'] / 1000:,.0f} kB; {_runs(result)}",
        )


def _floor_row(tactics: int, case: str, result: Measurement, notes: str) -> Row:
    return Row(
        tactics,
        case,
        result.seconds,
        None,
        result.peak_rss,
        notes="; ".join(part for part in (notes, _cpu(result), _runs(result)) if part),
    )


def _read_row(
    tactics: int,
    case: str,
    result: Measurement,
    floor: Measurement,
    notes: str,
    extra_targets: tuple[Target, ...] = (),
) -> Row:
    ratio = result.seconds / floor.seconds
    targets = extra_targets
    if tactics == READ_RATIO_AT:
        targets = (Target(f"≤ {READ_RATIO}×", ratio <= READ_RATIO), *targets)
    cpu_ratio = result.facts["cpu_seconds"] / floor.facts["cpu_seconds"]
    return Row(
        tactics,
        case,
        result.seconds,
        tactics / result.seconds,
        result.peak_rss,
        f"{ratio:.2f}× calamine read (CPU time: {cpu_ratio:.2f}×)",
        targets,
        f"{notes}; {_runs(result)}",
    )


def _memory_target(tactics: int, result: Measurement) -> tuple[Target, ...]:
    if tactics != MEMORY_LIMIT_AT:
        return ()
    return (Target(f"peak < {MEMORY_LIMIT // 10**6} MB", result.peak_rss < MEMORY_LIMIT),)


def _wrote(result: Measurement) -> str:
    return f"wrote {result.facts['writes']:,} cells" if result.facts["written"] else "wrote nothing"


def _cpu(result: Measurement) -> str:
    cpu_seconds = result.facts.get("cpu_seconds")
    return f"CPU time {cpu_seconds:.2f} s" if cpu_seconds is not None else ""


def _runs(result: Measurement) -> str:
    return f"best of {result.runs}" if result.runs > 1 else "1 run"
