"""`python -m benchmarks`: generate the workbooks, run the suites, print a Markdown table.

    python -m benchmarks                          # 1 k, 10 k and 100 k; every suite
    python -m benchmarks --sizes 1000,10000 --only engine,check --repeat 5

Progress goes to stderr and the table to stdout, so `python -m benchmarks > results.md` works.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import benchmarks.google  # noqa: F401  (registers the Google suite)
from benchmarks.generate import DATA_DIR, TODAY, workbook_file, workbook_path
from benchmarks.results import Results, markdown_table
from benchmarks.runner import CaseFailed
from benchmarks.suites import SUITES, Context

DEFAULT_SIZES = (1_000, 10_000, 100_000)


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    chosen = _chosen_suites(options.only)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for tactics in options.sizes:
        _log(f"workbook of {tactics:,} tactics: {_generated(tactics)}")
    results = Results()
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="scratch-", dir=DATA_DIR) as scratch:
        context = Context(options.sizes, options.repeat, TODAY.isoformat(), Path(scratch), _log)
        for name in chosen:
            try:
                for row in SUITES[name].run(context):
                    results.add(row)
            except CaseFailed as error:
                # One broken suite (say, a backend not there yet) should not hide the others.
                _log(f"suite {name} failed: {error}")
                failed.append(name)
    print(_preamble(options))
    print()
    print(markdown_table(sorted(results.rows, key=lambda row: row.tactics)))
    _print_missed(results)
    if failed:
        print(f"\nFailed suites (see the errors above): {', '.join(failed)}.")
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=summary)
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="tactic counts, comma-separated (default: 1000,10000,100000)",
    )
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=None,
        help="best of N runs (default: 3 up to 10 k tactics, 1 above)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SUITES),
        help=f"suites to run, comma-separated: {', '.join(SUITES)}",
    )
    return parser


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected numbers like 1000,10000") from None
    if not sizes or sizes[0] < 20:
        raise argparse.ArgumentTypeError("each size must be at least 20 tactics (one goal)")
    return sizes


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of at least 1")
    return int(text)


def _chosen_suites(only: str) -> list[str]:
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    unknown = wanted - SUITES.keys()
    if unknown:
        known = ", ".join(f"{s.name} ({s.description})" for s in SUITES.values())
        raise SystemExit(f"Unknown suite {', '.join(sorted(unknown))}. Known: {known}")
    return [name for name in SUITES if name in wanted]  # registry order, whatever the input


def _generated(tactics: int) -> str:
    started = time.perf_counter()
    cached = workbook_file(tactics).exists()
    path = workbook_path(tactics)
    how = "cached" if cached else f"generated in {time.perf_counter() - started:.1f} s"
    return f"{path} ({how})"


def _preamble(options: argparse.Namespace) -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"sheetsync benchmarks, {dt.date.today():%Y-%m-%d}: Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs. "
        f"Checked as of {TODAY}. Each run in a fresh process; times exclude start-up and imports "
        "except the CLI's; peak RSS is that process's high-water mark; "
        f"best of {options.repeat or '3 (1 at 100 k)'}. Load average at the end: {load}"
        " (other work on the machine makes times noisy)."
    )


def _print_missed(results: Results) -> None:
    missed = results.missed
    if not missed:
        print("\nEvery target met.")
        return
    print("\nMissed targets:")
    for row, target in missed:
        print(f"- {row.tactics:,} tactics, {row.case}: {target.text}")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
