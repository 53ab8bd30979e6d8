"""The Google Sheets backend suite: requests and wall time per sync against the test API server.

Measures, per size, a first sync (writes everything) and a second sync (writes nothing) of the
generated workbook loaded into tests/sheets_api_server.SheetsApiServer, counting HTTP requests;
and at 1 k, the naive gspread way (get_all_records per tab, update_cell per changed cell) for
comparison. Skipped, with a line on stderr, until the test server exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from benchmarks.results import Row
from benchmarks.suites import Context, suite

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"


@suite("google", "requests and time per sync against the test Sheets API server")
def google_suite(context: Context) -> Iterator[Row]:
    if not (TESTS_DIR / "sheets_api_server.py").exists():
        context.log("google: skipped, tests/sheets_api_server.py is not there yet")
        return
    context.log("google: the test server exists but this suite is not written yet")
    yield from ()
