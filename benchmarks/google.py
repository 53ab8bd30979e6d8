"""The Google Sheets backend suite: requests and wall time per sync against the test API server.

The test server (tests/sheets_api_server.py) runs in this, the parent, process and holds the
generated workbook; each sync runs in a child process like every other case, so the client's
time and memory are its own and the server works on the other core. Per size: a first sync
(writes every owned cell) and a second (writes nothing). At 1 k, the naive gspread way for
comparison: get_all_records per tab, then update_cell per changed cell, with the same engine
deciding what to write. Skipped, with a line on stderr, when the test server is not there.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.cases import Facts, case
from benchmarks.generate import generate, plain_grids
from benchmarks.results import Row
from benchmarks.runner import Measurement, measure_case
from benchmarks.suites import Context, suite

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
NAIVE_AT = 1_000
GOOGLE_REQUESTS_PER_MINUTE = 60  # Google's default per-user quota (read and write, each)
SERIAL_EPOCH = dt.date(1899, 12, 30)


@suite("google", "requests and time per sync against the test Sheets API server")
def google_suite(context: Context) -> Iterator[Row]:
    if not (TESTS_DIR / "sheets_api_server.py").exists():
        context.log("google: skipped, tests/sheets_api_server.py is not there")
        return
    sys.path.insert(0, str(TESTS_DIR))  # the test server lives with the tests, not the package
    from sheets_api_server import SheetsApiServer

    firsts: dict[int, tuple[Measurement, int]] = {}  # size -> first sync and its requests
    with SheetsApiServer() as server:
        for tactics in context.sizes:
            yield from _sheetsync_rows(context, server, tactics, firsts)
        if NAIVE_AT in context.sizes:
            yield from _naive_rows(context, server, firsts.get(NAIVE_AT))
        else:
            context.log(f"google: naive gspread comparison skipped (runs at {NAIVE_AT:,} only)")


def _sheetsync_rows(
    context: Context, server: Any, tactics: int, firsts: dict[int, tuple[Measurement, int]]
) -> Iterator[Row]:
    grids = sheet_grids(tactics)
    first, first_requests, key = _measure_on_fresh_copies(
        context, server, tactics, grids, "google_sync"
    )
    yield _google_row(
        tactics,
        "Google: sync that writes (first sync)",
        first,
        first_requests,
        f"wrote {first.facts['writes']:,} cells",
    )

    args = {"endpoint": server.endpoint, "key": key, "today": context.today}
    context.log(f"{tactics:>7,} tactics: google second sync (best of {context.repeat(tactics)})")
    second = measure_case(
        "google_sync", args, context.repeat(tactics), before_each=server.reset_counts
    )
    note = "wrote nothing" if not second.facts["written"] else "**wrote cells**"
    yield _google_row(
        tactics, "Google: sync, nothing to change", second, Counter(server.requests), note
    )
    firsts[tactics] = (first, sum(first_requests.values()))


def _naive_rows(
    context: Context, server: Any, ours: tuple[Measurement, int] | None
) -> Iterator[Row]:
    grids = sheet_grids(NAIVE_AT)
    naive, requests, _ = _measure_on_fresh_copies(context, server, NAIVE_AT, grids, "gspread_naive")
    total = sum(requests.values())
    compared = ""
    if ours:
        compared = (
            f"{total / ours[1]:,.0f}× the requests, {naive.seconds / ours[0].seconds:,.0f}× "
            "the time of sheetsync's first sync"
        )
    minutes = total / GOOGLE_REQUESTS_PER_MINUTE
    yield _google_row(
        NAIVE_AT,
        "naive gspread: get_all_records + update_cell per cell",
        naive,
        requests,
        f"wrote {naive.facts['writes']:,} cells; at Google's default quota of "
        f"{GOOGLE_REQUESTS_PER_MINUTE} requests/min that is ≥ {minutes:,.0f} min",
        compared,
    )


def _measure_on_fresh_copies(
    context: Context,
    server: Any,
    tactics: int,
    grids: dict[str, list[list[Any]]],
    name: str,
    repeat: int | None = None,
) -> tuple[Measurement, Counter[tuple[str, str]], str]:
    """Best of N runs of a case, each on a new copy of the spreadsheet; the last run's requests."""
    args: dict[str, Any] = {"endpoint": server.endpoint, "today": context.today}

    def fresh_copy() -> None:
        args["key"] = server.add_spreadsheet(f"Benchmark {tactics}", grids)
        server.reset_counts()

    repeat = repeat or context.repeat(tactics)
    context.log(f"{tactics:>7,} tactics: {name} on a fresh spreadsheet (best of {repeat})")
    result = measure_case(name, args, repeat, before_each=fresh_copy)
    return result, Counter(server.requests), args["key"]


def _google_row(
    tactics: int,
    name: str,
    result: Measurement,
    requests: Counter[tuple[str, str]],
    notes: str,
    compared: str = "",
) -> Row:
    routes = ", ".join(
        f"{method} {route} ×{count}" for (method, route), count in sorted(requests.items())
    )
    runs = f"best of {result.runs}" if result.runs > 1 else "1 run"
    return Row(
        tactics,
        name,
        result.seconds,
        tactics / result.seconds,
        result.peak_rss,
        compared,
        (),
        "; ".join(part for part in (notes, routes, runs) if part),
        requests=sum(requests.values()),
    )


def sheet_grids(tactics: int) -> dict[str, list[list[Any]]]:
    """The generated workbook as a Google sheet holds it: dates as serial numbers, which is
    what values:batchGet returns with UNFORMATTED_VALUE and SERIAL_NUMBER."""
    return {
        name: [[_serial(value) for value in row] for row in rows]
        for name, rows in plain_grids(generate(tactics)).items()
    }


def _serial(value: Any) -> Any:
    return (value - SERIAL_EPOCH).days if isinstance(value, dt.date) else value


# Child-process cases ---------------------------------------------------------------------


@case
def google_sync(args: dict[str, Any]) -> tuple[float, Facts]:
    """`sheetsync.sync` through the Google backend, pointed at the test server."""
    import sheetsync
    from sheetsync.backends.google import GoogleBackend
    from sheetsync.config import GoogleSettings

    # No token for a local server; the rate limit raised so it never waits in a benchmark.
    settings = GoogleSettings(
        credentials="none", endpoint=args["endpoint"], requests_per_minute=6000
    )
    today = dt.date.fromisoformat(args["today"])
    started = time.perf_counter()
    result = sheetsync.sync(GoogleBackend(args["key"], settings), today=today)
    seconds = time.perf_counter() - started
    return seconds, {"written": result.written, "writes": len(result.plan.writes)}


@case
def gspread_naive(args: dict[str, Any]) -> tuple[float, Facts]:
    """How a script would do it with plain gspread: a read per tab, a request per cell."""
    sys.path.insert(0, str(TESTS_DIR))
    import gspread
    from gspread.utils import ValueRenderOption
    from sheets_api_fixtures import EndpointSession

    from sheetsync.config import validate_settings
    from sheetsync.engine import evaluate
    from sheetsync.workbook import Tab, Workbook
    from sheetsync.writes import plan_writes

    settings = validate_settings({})
    client = gspread.Client(None, session=EndpointSession(args["endpoint"]))  # type: ignore[arg-type]
    started = time.perf_counter()
    book = client.open_by_key(args["key"])
    sheets = {sheet.title: sheet for sheet in book.worksheets()}
    tabs = []
    for title, sheet in sheets.items():
        # Unformatted, so dates arrive as serials the engine reads, as in sheetsync's own read.
        records = sheet.get_all_records(value_render_option=ValueRenderOption.unformatted)
        header = list(records[0]) if records else []
        tabs.append(Tab(title, (tuple(header), *(tuple(r.values()) for r in records))))
    report = evaluate(
        Workbook(book.title, tuple(tabs)), dt.date.fromisoformat(args["today"]), settings
    )
    plan = plan_writes(report, settings.tabs.checks)
    for name in plan.new_tabs:
        sheets[name] = book.add_worksheet(name, rows=len(report.findings) + 1, cols=26)
    for write in plan.writes:
        sheets[write.tab].update_cell(
            write.row, write.column, "" if write.value is None else write.value
        )
    seconds = time.perf_counter() - started
    return seconds, {"writes": len(plan.writes)}
