"""One behavioural suite, run unchanged on every backend: memory, a local .xlsx, and Google
Sheets (the real gspread client over HTTP to the Sheets API test server)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from workbooks import TODAY, TypedText, baseline_grids, write_xlsx

import sheetsync
from sheetsync.backends import Backend, WorkbookChanged
from sheetsync.backends.memory import MemoryBackend
from sheetsync.config import GoogleSettings
from sheetsync.schema import PLAN, STRATEGY
from sheetsync.workbook import CellError, Guard, Tab, Workbook, WritePlan, guard_text

SERIAL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class Handle:
    """A workbook on one backend, and how a person edits it between runs."""

    open: Callable[[], Backend]  # a fresh backend, as a new run would make
    insert_row: Callable[[str, int, list[Any]], None]  # another user inserts a row
    rename_header: Callable[[str, int, str], None]  # ... or renames a header


def memory_handle(grids: dict[str, list[list[Any]]], _: Any) -> Handle:
    backend = MemoryBackend.from_grids(grids)

    def replace(tab_name: str, change: Callable[[list[list[Any]]], None]) -> None:
        tabs = []
        for tab in backend.workbook.tabs:
            rows = [list(r) for r in tab.rows]
            if tab.name == tab_name:
                change(rows)
            tabs.append(Tab(tab.name, tuple(tuple(r) for r in rows)))
        backend.workbook = Workbook(backend.workbook.title, tuple(tabs))

    def rename(tab: str, column: int, text: str) -> None:
        replace(tab, lambda rows: rows[0].__setitem__(column - 1, text))

    return Handle(
        lambda: backend,
        lambda tab, row, values: replace(tab, lambda rows: rows.insert(row - 1, values)),
        rename,
    )


def xlsx_handle(grids: dict[str, list[list[Any]]], tmp_path: Path) -> Handle:
    path = tmp_path / "marketing.xlsx"
    write_xlsx(path, grids)

    def edit(change: Callable[[Any], None]) -> None:
        book = load_workbook(path)
        change(book)
        book.save(path)

    def insert(tab: str, row: int, values: list[Any]) -> None:
        def change(book: Any) -> None:
            book[tab].insert_rows(row)
            for column, value in enumerate(values, 1):
                book[tab].cell(row, column, value)

        edit(change)

    return Handle(
        lambda: sheetsync.api.open_backend(str(path), sheetsync.load_settings(None)),
        insert,
        lambda tab, column, text: edit(
            lambda book: setattr(book[tab].cell(1, column), "value", text)
        ),
    )


def google_handle(grids: dict[str, list[list[Any]]], server: Any) -> Handle:
    def google_value(value: Any) -> Any:
        # Google hands dates to UNFORMATTED_VALUE readers as serial numbers.
        return (value - SERIAL_EPOCH).days if isinstance(value, dt.date) else value

    tabs = {name: [[google_value(v) for v in row] for row in rows] for name, rows in grids.items()}
    key = server.add_spreadsheet("Bean & Crumb", tabs, locale="en_US", time_zone="Europe/London")
    # The limiter is tested on its own; here it would only slow the suite down.
    settings = GoogleSettings(
        endpoint=server.endpoint, credentials="none", retry_for_seconds=2, requests_per_minute=6000
    )

    def insert(tab: str, row: int, values: list[Any]) -> None:
        server.insert_rows(key, tab, row, [[google_value(v) for v in values]])

    def rename(tab: str, column: int, text: str) -> None:
        from sheetsync.workbook import a1

        server.set_cell(key, tab, a1(1, column), text)

    from sheetsync.backends.google import GoogleBackend

    return Handle(lambda: GoogleBackend(key, settings), insert, rename)


@pytest.fixture(params=["memory", "xlsx", "google"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Handle]:
    def build(edits: dict | None = None, tabs: dict | None = None) -> Handle:
        grids = {**baseline_grids(edits), **(tabs or {})}
        if request.param == "memory":
            return memory_handle(grids, None)
        if request.param == "xlsx":
            return xlsx_handle(grids, tmp_path)
        return google_handle(grids, request.getfixturevalue("sheets_api"))

    return build


def cells(backend: Backend, tab: str) -> list[dict[str, Any]]:
    """A tab's rows as {header: value}, as sheetsync reads them back."""
    found = backend.read().find_tab(tab)
    assert found is not None
    return [dict(zip(found.header, row, strict=False)) for row in found.rows[1:]]


def user_cells(workbook: Workbook) -> dict[tuple[str, int, int], Any]:
    owned = {column.header for column in STRATEGY.owned}
    found = {}
    for tab in workbook.tabs:
        if tab.name == "Checks":
            continue
        for r, row in enumerate(tab.rows):
            for c, value in enumerate(row):
                header = tab.header[c] if c < len(tab.header) else None
                if (
                    tab.name == "Strategy"
                    and header in owned
                    or header in {column.header for column in PLAN.owned}
                ):
                    continue
                if value not in (None, ""):
                    found[(tab.name, r, c)] = value
    return found


def test_sync_fills_status_roi_issues_and_checks(make):
    handle = make({("Plan", "T2", "Channel"): "TikTok"})
    result = sheetsync.sync(handle.open(), today=TODAY)
    assert result.written
    plan = cells(handle.open(), "Plan")
    assert [(r["Tactic ID"], r["Status"]) for r in plan] == [
        ("T1", "On track"),
        ("T2", "On track"),
        ("T3", "Done"),
    ]
    assert plan[0]["ROI"] == pytest.approx(2.75)
    assert plan[1]["Issues"].startswith('SS304 Tactic T2 uses channel "TikTok"')
    strategy = cells(handle.open(), "Strategy")
    assert (strategy[0]["Spend"], strategy[0]["Progress"], strategy[0]["Status"]) == (
        900,
        0.5,
        "On track",
    )
    checks = cells(handle.open(), "Checks")
    assert [(r["Rule"], r["Cell"], r["Since"]) for r in checks] == [("SS304", "D3", "2026-06-15")]


def test_second_sync_writes_nothing(make):
    handle = make({("Plan", "T2", "Channel"): "TikTok"})
    sheetsync.sync(handle.open(), today=TODAY)
    again = sheetsync.sync(handle.open(), today=TODAY)
    assert again.plan.writes == () and not again.written


def test_user_cells_are_untouched(make):
    handle = make({("Plan", "T2", "Channel"): TypedText('=IMPORTXML("http://x", "//a")')})
    before = user_cells(handle.open().read())
    sheetsync.sync(handle.open(), today=TODAY)
    assert user_cells(handle.open().read()) == before
    issues = cells(handle.open(), "Plan")[1]["Issues"]
    assert '"=IMPORTXML("http://x", "//a")"' in issues  # stored as text, never run


def test_dry_run_writes_nothing(make):
    handle = make()
    before = handle.open().read()
    result = sheetsync.sync(handle.open(), today=TODAY, dry_run=True)
    assert result.plan.writes and not result.written
    assert handle.open().read() == before


class EditedBetweenReadAndWrite:
    """A backend whose workbook another user changes right after sheetsync read it."""

    def __init__(self, backend: Backend, edit: Callable[[], None]) -> None:
        self.backend, self.edit = backend, edit

    def read(self) -> Workbook:
        workbook = self.backend.read()
        self.edit()
        return workbook

    def apply(self, plan: Any) -> None:
        self.backend.apply(plan)


@pytest.mark.parametrize("edit", ["row inserted above", "header renamed"])
def test_edit_between_read_and_write_writes_nothing(make, edit):
    handle = make()
    sheetsync.sync(handle.open(), today=TODAY)  # owned columns exist now
    row = ["T0", "G1", "Flyers", "Email", "Dee", dt.date(2026, 6, 1), dt.date(2026, 6, 9)]
    change = {
        "row inserted above": lambda: handle.insert_row("Plan", 2, row),
        "header renamed": lambda: handle.rename_header("Plan", 3, "What we do"),
    }[edit]
    edited = EditedBetweenReadAndWrite(handle.open(), change)
    # T1 is now due in the past: a status would change, but the sheet moved under us.
    with pytest.raises(WorkbookChanged):
        sheetsync.sync(edited, today=dt.date(2026, 7, 5))
    statuses = [r.get("Status") for r in cells(handle.open(), "Plan")]
    if edit == "row inserted above":
        assert statuses == [None, "On track", "On track", "Done"]
    else:
        assert statuses == ["On track", "On track", "Done"]


def test_structural_error_stops_that_tab_only(make):
    handle = make()
    handle.rename_header("Calendar", 2, "When")  # Date is gone: SS101
    sheetsync.sync(handle.open(), today=TODAY)
    assert "Status" not in cells(handle.open(), "Calendar")[0]
    assert cells(handle.open(), "Strategy")[0]["Status"] == "On track"  # Strategy still written
    assert cells(handle.open(), "Checks")[0]["Rule"] == "SS101"


def test_a_users_own_tab_named_checks_is_left_alone(make):
    register = [["Date", "Payee", "Amount"], ["2026-06-01", "Rent", 900]]
    handle = make({("Plan", "T2", "Channel"): "TikTok"}, tabs={"checks": register})
    result = sheetsync.sync(handle.open(), today=TODAY)
    assert [list(row) for row in handle.open().read().find_tab("checks").rows] == register
    assert cells(handle.open(), "Plan")[1]["Issues"].startswith("SS304")  # the rest is written
    assert [(f.code, f.severity) for f in result.report.findings] == [
        ("SS304", "warning"),
        ("SS105", "warning"),
    ]


def organised_plan(totals: list[Any]) -> list[list[Any]]:
    """The baseline Plan with a section heading above each goal's tactics (in Activity, and in
    Tactic ID, the first column) and a totals row."""
    header, t1, t2, t3 = baseline_grids()["Plan"]
    heading = [None, None, "Q1 campaigns"] + [None] * 9
    return [header, heading, t1, t2, [], ["Newsletter sign-ups"], t3, totals]


def test_headings_and_totals_rows_are_not_tactics(make):
    # What a totals row of =SUM(...) formulas reads as on every backend: its results.
    totals = ["Total", None, None, None, None, None, None, 3500, 1200, 1500, 300, None]
    handle = make(tabs={"Plan": organised_plan(totals)})
    result = sheetsync.sync(handle.open(), today=TODAY)
    assert [f.code for f in result.report.findings] == []
    assert [t.tactic.tactic_id for t in result.report.tactics] == ["T1", "T2", "T3"]
    plan = cells(handle.open(), "Plan")
    assert [row.get("Status") for row in plan] == [
        None,
        "On track",
        "On track",
        None,
        None,
        "Done",
        None,
    ]
    assert plan[6]["Tactic ID"] == "Total" and plan[6]["Budget"] == 3500  # left as typed
    assert cells(handle.open(), "Strategy")[0]["Spend"] == 900  # the totals row is not spend


def test_figures_from_a_plan_that_cannot_be_read_are_left_as_they_are(make):
    handle = make()
    sheetsync.sync(handle.open(), today=TODAY)
    strategy = cells(handle.open(), "Strategy")
    handle.insert_row("Plan", 1, ["Marketing plan 2026"])  # a title row above the headers
    result = sheetsync.sync(handle.open(), today=TODAY)
    assert cells(handle.open(), "Strategy") == strategy  # not 0 and "No plan"
    assert {w.tab for w in result.plan.writes} == {"Checks"}
    assert {row["Rule"] for row in cells(handle.open(), "Checks")} == {"SS104"}


# --- guards: one way to compare, on every backend -------------------------------------------


@pytest.mark.parametrize(
    ("read", "text"),
    [
        (None, ""),
        ("  G1 ", "G1"),
        (7.0, "7"),
        (7, "7"),
        (True, "TRUE"),
        (CellError("#REF!"), "#REF!"),
        (dt.date(2026, 3, 1), "2026-03-01"),
        (dt.datetime(2026, 3, 1), "2026-03-01"),
        (dt.datetime(2026, 3, 1, 9, 30), "2026-03-01T09:30:00"),
    ],
)
def test_guards_compare_the_text_a_person_sees(read, text):
    assert guard_text(read) == text


@pytest.mark.parametrize(
    ("expected", "now"),
    [(7, 7.0), (dt.date(2026, 3, 1), dt.datetime(2026, 3, 1)), ("T1", " T1 ")],
)
def test_memory_guard_holds_for_the_same_cell_read_another_way(expected, now):
    """A whole number read as 7.0, a date read as midnight: the cell did not change."""
    backend = MemoryBackend.from_grids({"Plan": [["Tactic ID", "Status"], [now, ""]]})
    guard = Guard("Plan", 2, 1, expected)
    backend.apply(WritePlan(writes=(), guards=(guard,), new_tabs=("Checks",)))
    assert backend.read().find_tab("Checks") is not None
