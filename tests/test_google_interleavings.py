"""Random interleavings of people's edits and syncs on a Google spreadsheet never change a cell
that is not sheetsync's (issue 3). Runs the real gspread client against the test server."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sheets_api_server import Fault, SheetsApiServer
from test_backends import EditedBetweenReadAndWrite
from workbooks import TODAY, baseline_grids

import sheetsync
from sheetsync.backends import WorkbookChanged
from sheetsync.backends.google import GoogleBackend
from sheetsync.config import GoogleSettings
from sheetsync.schema import PLAN, STRATEGY
from sheetsync.workbook import a1

SERIAL_EPOCH = dt.date(1899, 12, 30)
OWNED = {"Strategy": {c.header for c in STRATEGY.owned}, "Plan": {c.header for c in PLAN.owned}}


def serial(value: Any) -> Any:
    return (value - SERIAL_EPOCH).days if isinstance(value, dt.date) else value


values = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "G1",
            "G2",
            "G9",
            "TikTok",
            "done",
            "45%",
            "$1,200",
            '=IMPORTXML("x")',
            "next week",
            "Email",
            "",
        ]
    ),
    st.integers(-100, 50_000),
)
edit = st.tuples(
    st.just("edit"),
    st.sampled_from(["Strategy", "Plan"]),
    st.integers(2, 5),
    st.integers(1, 10),
    values,
)
insert = st.tuples(
    st.just("insert"), st.just("Plan"), st.integers(2, 4), st.integers(4, 99), st.none()
)
rename = st.tuples(
    st.just("rename"),
    st.sampled_from(["Strategy", "Plan"]),
    st.just(1),
    st.integers(3, 5),
    st.sampled_from(["What", "Notes", "Activity"]),
)
user_step = st.one_of(edit, insert, rename)
step = st.one_of(
    user_step,
    st.tuples(st.just("sync")),
    st.tuples(st.just("sync-with-edit"), user_step),
    # Google refuses the write (429); a row is inserted before sheetsync tries again.
    st.tuples(st.just("sync-refused-then-insert"), insert),
)


def user_cells(server: SheetsApiServer, key: str) -> dict[tuple[str, int, int], Any]:
    """Every non-empty cell outside sheetsync's columns and tabs."""
    found = {}
    for tab, owned in OWNED.items():
        grid = server.grid(key, tab)
        header = grid[0] if grid else []
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if c < len(header) and header[c] in owned:
                    continue
                if value not in (None, ""):
                    found[(tab, r, c)] = value
    return found


def apply_user_step(server: SheetsApiServer, key: str, user: tuple) -> None:
    kind, tab, row, column, value = user
    if kind == "edit":
        server.set_cell(key, tab, a1(row, column), value)
    elif kind == "insert":
        tactic = [
            f"T{column}",
            "G1",
            "New flyer",
            "Email",
            "",
            serial(dt.date(2026, 6, 1)),
            serial(dt.date(2026, 6, 30)),
            10,
            0,
        ]
        server.insert_rows(key, tab, row, [tactic])
    else:
        server.set_cell(key, tab, a1(row, column), value)


def misplaced(
    server: SheetsApiServer, key: str, google: GoogleSettings, inserted_at: int
) -> list[str]:
    """Status and ROI cells a fresh sync would correct on rows other than the inserted one:
    they depend on the row's own tactic only, so any such change means a figure was written
    onto another tactic's row. (Goal figures and Issues may rightly change with a new tactic.)"""
    plan = sheetsync.check(GoogleBackend(key, google), today=TODAY).workbook.find_tab("Plan")
    header = plan.header if plan else ()
    again = sheetsync.sync(GoogleBackend(key, google), today=TODAY, dry_run=True)
    return [
        f"{write.tab}!{write.a1}: {write.old!r} -> {write.value!r}"
        for write in again.plan.writes
        if write.tab == "Plan"
        and write.row != inserted_at
        and header[write.column - 1 : write.column] in (("Status",), ("ROI",))
        and write.old not in (None, "")
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=6))
def test_edits_and_syncs_never_change_a_user_cell(steps):
    with SheetsApiServer() as server:
        tabs = {
            name: [[serial(v) for v in row] for row in rows]
            for name, rows in baseline_grids().items()
        }
        # The shadow gets the same edits and is never synced: it is what the user made.
        key = server.add_spreadsheet("Bean & Crumb", tabs, locale="en_US", time_zone="UTC")
        shadow = server.add_spreadsheet("Shadow", tabs, locale="en_US", time_zone="UTC")
        google = GoogleSettings(
            endpoint=server.endpoint,
            credentials="none",
            retry_for_seconds=5,
            requests_per_minute=6000,
        )

        def user_does(user: tuple) -> None:
            apply_user_step(server, key, user)
            apply_user_step(server, shadow, user)

        for current in steps:
            if current[0] == "sync":
                sheetsync.sync(GoogleBackend(key, google), today=TODAY)
            elif current[0] == "sync-with-edit":
                interleaved = EditedBetweenReadAndWrite(
                    GoogleBackend(key, google), lambda user=current[1]: user_does(user)
                )
                with contextlib.suppress(WorkbookChanged):  # the guard saw it: nothing written
                    sheetsync.sync(interleaved, today=TODAY)
            elif current[0] == "sync-refused-then-insert":
                refused = Fault.status(
                    429,
                    retry_after=0,
                    route="values.batchUpdate",
                    then=lambda _, user=current[1]: user_does(user),
                )
                server.inject(refused)
                try:
                    sheetsync.sync(GoogleBackend(key, google), today=TODAY)
                except WorkbookChanged:
                    pass  # the retry's guard saw the rows move: nothing written
                else:  # nothing was refused, or every status landed on its own row
                    assert not misplaced(server, key, google, inserted_at=current[1][2])
                server.clear_faults()  # a sync that wrote nothing never met it
            else:
                user_does(current)
            assert user_cells(server, key) == user_cells(server, shadow), current
