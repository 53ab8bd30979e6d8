"""The Google Sheets backend, through the real gspread client over HTTP to the test API server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from google.auth.exceptions import RefreshError
from gspread.exceptions import APIError
from sheets_api_fixtures import sheets_api as sheets_api_fixture  # noqa: F401 - a server per test
from sheets_api_server import Fault, SheetsApiServer
from test_google_auth import service_account_key
from workbooks import TODAY, baseline_grids

import sheetsync
from sheetsync.backends import WorkbookChanged, WorkbookUnreachable, google_auth
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google_errors import FailureContext, unreachable
from sheetsync.backends.google_http import (
    WRITE_TIMEOUT_SECONDS,
    RateLimiter,
    is_transient,
    open_http_client,
    retry_after_seconds,
    shared_limiter,
)
from sheetsync.backends.google_http import gspread_client as gspread_client_for
from sheetsync.backends.google_location import spreadsheet_key
from sheetsync.config import GoogleSettings, Settings
from sheetsync.workbook import CellError, CellWrite, Guard, Workbook, WritePlan
from sheetsync.writes import describe

KEY = "1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ"


# --- where a spreadsheet is --------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit",
        f"https://docs.google.com/spreadsheets/d/{KEY}",
        f"https://docs.google.com/spreadsheets/d/{KEY}/",
        f"https://docs.google.com/spreadsheets/d/{KEY}?usp=sharing",
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit?usp=sharing#gid=12",
        f"https://docs.google.com/spreadsheets/u/1/d/{KEY}/edit",
        f"docs.google.com/spreadsheets/d/{KEY}/edit",
        KEY,
        f"  {KEY}\n",
    ],
)
def test_spreadsheet_key_from_urls_and_bare_keys(location):
    assert spreadsheet_key(location) == KEY


@pytest.mark.parametrize(
    "location",
    [
        "marketing.xlsx",
        "/home/ana/marketing.xlsx",
        "reports/1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ.xlsx",
        "1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ.xlsx",
        "short_key_123",
        "https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pubhtml",
        "https://example.com/spreadsheets/d/1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ",
        "https://docs.google.com/document/d/1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ/edit",
        "",
    ],
)
def test_anything_else_is_not_a_spreadsheet_key(location):
    assert spreadsheet_key(location) is None


# --- the rate limiter's own bookkeeping --------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_rate_limiter_lets_a_minute_of_requests_through_then_spaces_the_rest():
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(3)]
    clock.now += 10
    waits.append(limiter.acquire())  # the 4th waits until the 1st is a minute old
    waits.append(limiter.acquire())
    assert waits == [0, 0, 0, 50, 0]
    assert limiter.granted == 5
    assert limiter.waits == [50]


def test_rate_limiter_forgets_requests_older_than_a_minute():
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.acquire()
    clock.now += 61
    assert limiter.acquire() == 0
    assert limiter.waits == []


def test_rate_limiter_waits_for_the_oldest_request_in_the_window_however_short_the_wait():
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now += 10
    limiter.acquire()
    clock.now += 10
    assert limiter.acquire() == 40  # until the first is a minute old, not the second
    clock.now += 9.5  # the second is now 59.5 s old
    assert limiter.acquire() == 0.5
    assert limiter.waits == [40, 0.5]
    assert clock.now == 1070


# --- through gspread, over HTTP, to the test server -------------------------------------------

STRATEGY = [
    ["Goal ID", "Business Goal", "Marketing Goal", "Budget"],
    ["G1", "Grow café sales", "More regulars", 3000],
    ["G2", "Catering", "Office lunches", 1200.5],
]
PLAN = [
    ["Tactic ID", "Goal ID", "Activity", "Start", "Status", "Notes"],
    ["T1", "G1", "Newsletter", 46082, "Overdue", "keep"],
    ["T2", "G1", "Loyalty card", 46090, "", "keep too"],
    ["T3", "G2", "Office flyers"],
]


def settings_for(server: SheetsApiServer, **changes: Any) -> GoogleSettings:
    values = {
        "credentials": "none",
        "endpoint": server.endpoint,
        "timeout": 5,
        "retry_for_seconds": 10,
        "requests_per_minute": 6000,
    }
    return GoogleSettings(**{**values, **changes})


def backend_for(server: SheetsApiServer, key: str, **changes: Any) -> GoogleBackend:
    return GoogleBackend(key, settings_for(server, **changes))


def bean_and_crumb(server: SheetsApiServer, **options: Any) -> str:
    return server.add_spreadsheet("Bean & Crumb", {"Strategy": STRATEGY, "Plan": PLAN}, **options)


def as_rows(grid: list[list[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(None if cell == "" else cell for cell in row) for row in grid)


def status_plan(workbook: Workbook, *writes: CellWrite, **plan: Any) -> WritePlan:
    """A plan guarded the way the planner guards: the header row and the written rows' IDs."""
    tab = workbook.find_tab("Plan")
    guards = [Guard("Plan", 1, column, value) for column, value in enumerate(tab.header, 1)]
    rows = sorted({write.row for write in writes if write.tab == "Plan" and write.row > 1})
    guards += [Guard("Plan", row, 1, tab.value(row, 1)) for row in rows]
    return WritePlan(writes, tuple(guards), **plan)


def test_read_returns_every_tab_with_locale_time_zone_serial_dates_and_errors(sheets_api):
    key = sheets_api.add_spreadsheet(
        "Bean & Crumb",
        {"Strategy": STRATEGY, "Plan": PLAN, "Empty": []},
        locale="en_GB",
        time_zone="Europe/Paris",
    )
    typed = {"values": [["2026-03-01", "=1/0", "45%", "=A1+"]]}  # as a person types them
    spreadsheet = gspread_client_for(settings_for(sheets_api)).open_by_key(key)
    spreadsheet.values_update("Plan!D4", params={"valueInputOption": "USER_ENTERED"}, body=typed)
    workbook = backend_for(sheets_api, f"https://docs.google.com/spreadsheets/d/{key}/edit").read()
    assert workbook.title == "Bean & Crumb"
    assert (workbook.locale, workbook.timezone) == ("en_GB", "Europe/Paris")
    assert workbook.url == f"https://docs.google.com/spreadsheets/d/{key}/edit"
    assert [tab.name for tab in workbook.tabs] == ["Strategy", "Plan", "Empty"]
    assert workbook.find_tab("Strategy").rows == as_rows(STRATEGY)
    plan = workbook.find_tab("Plan")
    assert plan.rows[:3] == as_rows(PLAN[:3])
    errors = (CellError("#DIV/0!"), 0.45, CellError("#NAME?"))
    assert plan.rows[3] == ("T3", "G2", "Office flyers", 46082, *errors)
    assert workbook.find_tab("Empty").rows == ()


def test_a_chart_sheet_is_no_tab_and_the_tabs_after_it_are_read(sheets_api):
    # A chart moved to a sheet of its own (sheetType OBJECT) holds no cells to read.
    key = bean_and_crumb(sheets_api)
    sheets_api.add_chart_sheet(key, "Spend chart", index=1)

    workbook = backend_for(sheets_api, key).read()

    assert [tab.name for tab in workbook.tabs] == ["Strategy", "Plan"]
    assert workbook.charts == ("Spend chart",)
    assert workbook.find_tab("Plan").rows == as_rows(PLAN)


@pytest.mark.parametrize("tactics", [10, 10_000])
def test_a_read_is_one_metadata_and_one_values_request_whatever_the_row_count(sheets_api, tactics):
    rows = [PLAN[0]] + [[f"T{n}", "G1", f"Activity {n}", 46082 + n] for n in range(tactics)]
    key = sheets_api.add_spreadsheet("Big", {"Strategy": STRATEGY, "Plan": rows, "Checks": []})
    workbook = backend_for(sheets_api, key).read()
    assert len(workbook.find_tab("Plan").rows) == tactics + 1
    assert sheets_api.requests == {("GET", "spreadsheets.get"): 1, ("GET", "values.batchGet"): 1}


def test_a_read_takes_only_the_top_of_tabs_sheetsync_does_not_use(sheets_api):
    leads = [["Name", "E-mail"]] + [[f"Lead {n}", f"lead{n}@example.com"] for n in range(3000)]
    key = sheets_api.add_spreadsheet("Big", {"Strategy": STRATEGY, "Plan": PLAN, "Leads": leads})
    url = f"https://docs.google.com/spreadsheets/d/{key}/edit"
    report = sheetsync.check(url, today=TODAY, settings=Settings(google=settings_for(sheets_api)))
    workbook = report.workbook
    assert workbook.find_tab("Plan").rows[:3] == as_rows(PLAN[:3])
    assert workbook.find_tab("Leads").rows == as_rows(leads[:5])
    (read,) = [r for r in sheets_api.request_log if r.path.endswith("values:batchGet")]
    assert read.query["ranges"] == ["'Strategy'", "'Plan'", "'Leads'!1:5"]


def test_apply_writes_only_the_planned_cells_and_raw_text_stays_text(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    workbook = backend.read()
    sheets_api.reset_counts()
    formula_like = '=IMPORTXML("https://example.com", "//h1")'
    plan = status_plan(
        workbook,
        CellWrite("Plan", 2, 5, None, old="Overdue"),
        CellWrite("Plan", 3, 5, formula_like),
        CellWrite("Plan", 4, 5, "+1 555 0100"),
    )
    backend.apply(plan)
    assert sheets_api.grid(key, "Plan") == [
        PLAN[0],
        ["T1", "G1", "Newsletter", 46082, "", "keep"],
        ["T2", "G1", "Loyalty card", 46090, formula_like, "keep too"],
        ["T3", "G2", "Office flyers", "", "+1 555 0100"],
    ]
    assert sheets_api.grid(key, "Strategy") == STRATEGY
    # One guard read and one write; nothing to create, grow or format.
    assert sheets_api.requests == {("GET", "values.batchGet"): 1, ("POST", "values.batchUpdate"): 1}
    assert backend_for(sheets_api, key).read().find_tab("Plan").value(3, 5) == formula_like


def test_a_plan_with_nothing_to_write_sends_nothing(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    workbook = backend.read()
    sheets_api.reset_counts()
    backend.apply(status_plan(workbook))
    assert sheets_api.requests == {}


BOLD_ON_GREY = {
    "userEnteredFormat": {
        "textFormat": {"bold": True},
        "backgroundColor": {"red": 0.9, "green": 0.9, "blue": 0.9},
    }
}


def test_apply_grows_a_trimmed_grid_and_formats_the_new_columns(sheets_api):
    checks = [["Severity", "Rule", "Message"]]
    key = sheets_api.add_spreadsheet(
        "Trimmed", {"Plan": PLAN, "Checks": checks}, grid={"Plan": (4, 6), "Checks": (1, 3)}
    )
    backend = backend_for(sheets_api, key)
    workbook = backend.read()
    sheets_api.reset_counts()
    finding = ["error", "SS200", "Goal ID is blank", "Plan", "B4"]
    # Row by row, as the planner writes them: only T1 has an issue, so the last cell written
    # (T3's ROI) is left of the widest column, Issues.
    plan = status_plan(
        workbook,
        CellWrite("Plan", 1, 7, "ROI", kind="header"),
        CellWrite("Plan", 1, 8, "Issues", kind="header"),
        CellWrite("Plan", 2, 7, 0.5, kind="percent"),
        CellWrite("Plan", 2, 8, "Start is after End"),
        CellWrite("Plan", 3, 7, 0.75, kind="percent"),
        CellWrite("Plan", 4, 7, 1, kind="percent"),
        *(CellWrite("Checks", 2, column, text) for column, text in enumerate(finding, 1)),
    )
    backend.apply(plan)
    assert [row[6:] for row in sheets_api.grid(key, "Plan")] == [
        ["ROI", "Issues"],
        [0.5, "Start is after End"],
        [0.75],
        [1],
    ]
    assert sheets_api.grid(key, "Checks") == checks + [finding]
    assert sheets_api.sheet_properties(key, "Plan")["gridProperties"] == {
        "rowCount": 4,
        "columnCount": 8,
    }
    checks_grid = sheets_api.sheet_properties(key, "Checks")["gridProperties"]
    assert (checks_grid["rowCount"], checks_grid["columnCount"]) == (2, 5)
    # The new headers bold on grey; ROI as a percentage down to the last row, rows to come too.
    assert sheets_api.cell_formats(key, "Plan") == [
        ("G1", BOLD_ON_GREY),
        ("G2:G", {"userEnteredFormat": {"numberFormat": {"type": "PERCENT", "pattern": "0%"}}}),
        ("H1", BOLD_ON_GREY),
    ]
    # The guards are read before the layout and again right before the values write.
    assert sheets_api.requests == {
        ("GET", "values.batchGet"): 2,
        ("POST", "spreadsheets.batchUpdate"): 1,
        ("POST", "values.batchUpdate"): 1,
    }


def test_apply_creates_a_new_tab_with_a_frozen_styled_header(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    backend.read()
    sheets_api.reset_counts()
    rows = [["Severity", "Rule", "Tab"], ["warning", "SS302", "Strategy"]]
    writes = [
        CellWrite("Checks", row, column, text, kind="header" if row == 1 else "text")
        for row, cells in enumerate(rows, 1)
        for column, text in enumerate(cells, 1)
    ]
    backend.apply(WritePlan(tuple(writes), (), ("Checks",), {"Checks": 1}))
    assert sheets_api.grid(key, "Checks") == rows
    properties = sheets_api.sheet_properties(key, "Checks")
    assert properties["index"] == 2
    assert properties["gridProperties"] == {
        "rowCount": 1000,
        "columnCount": 3,  # as many as its headers, not Google's 26
        "frozenRowCount": 1,
    }
    assert len(sheets_api.formats(key, "Checks")) == 3  # one per header cell
    assert sheets_api.requests == {
        ("POST", "spreadsheets.batchUpdate"): 1,
        ("POST", "values.batchUpdate"): 1,
    }


def test_a_spreadsheet_with_a_single_tab_gets_its_checks_tab(sheets_api):
    key = sheets_api.add_spreadsheet("Plan only", {"Plan": PLAN})
    backend = backend_for(sheets_api, key)
    backend.read()
    writes = (CellWrite("Checks", 1, 1, "Severity", kind="header"),)
    backend.apply(WritePlan(writes, (), ("Checks",), {"Checks": 1}))
    assert sheets_api.grid(key, "Checks") == [["Severity"]]
    assert sheets_api.grid(key, "Plan") == PLAN


def test_two_new_tabs_are_made_in_one_request_as_wide_as_what_is_written_to_them(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    backend.read()
    sheets_api.reset_counts()
    writes = (CellWrite("Checks", 1, 1, "Severity", kind="header"),)
    # History gets nothing written yet, and its header row is not given: one, as for every tab.
    backend.apply(WritePlan(writes, (), ("Checks", "History"), {"Checks": 1}))
    assert sheets_api.grid(key, "Checks") == [["Severity"]]
    assert sheets_api.grid(key, "History") == []
    for tab in ("Checks", "History"):
        assert sheets_api.sheet_properties(key, tab)["gridProperties"] == {
            "rowCount": 1000,
            "columnCount": 1,
            "frozenRowCount": 1,
        }
    assert sheets_api.requests == {
        ("POST", "spreadsheets.batchUpdate"): 1,
        ("POST", "values.batchUpdate"): 1,
    }


def test_a_new_tabs_sheet_id_taken_meanwhile_is_chosen_again(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    backend.read()
    ids = [sheets_api.sheet_properties(key, tab)["sheetId"] for tab in ("Strategy", "Plan")]
    add = {"addSheet": {"properties": {"title": "Notes", "sheetId": max(ids) + 1}}}
    gspread_client_for(settings_for(sheets_api)).open_by_key(key).batch_update({"requests": [add]})
    writes = (CellWrite("Checks", 1, 1, "Severity", kind="header"),)
    backend.apply(WritePlan(writes, (), ("Checks",), {"Checks": 1}))
    assert sheets_api.grid(key, "Checks") == [["Severity"]]
    assert sheets_api.grid(key, "Notes") == []


# --- another user edits between read and write -------------------------------------------------


def test_rows_inserted_above_between_read_and_write_stop_the_write(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    popup = ["T9", "G2", "Pop-up stand"]
    sheets_api.inject(
        Fault.edit(lambda server: server.insert_rows(key, "Plan", 2, [popup]), "values.batchGet")
    )
    with pytest.raises(WorkbookChanged, match="Plan tab changed .*cell A3 was “T2”, now “T1”"):
        backend.apply(plan)
    assert sheets_api.grid(key, "Plan") == [
        PLAN[0],
        popup,
        ["T1", "G1", "Newsletter", 46082, "Overdue", "keep"],
        ["T2", "G1", "Loyalty card", 46090, "", "keep too"],
        PLAN[3],
    ]
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 0
    assert sheets_api.requests[("POST", "spreadsheets.batchUpdate")] == 0


@pytest.mark.parametrize(
    ("cell", "typed", "told"),
    [
        ("E1", "State", "cell E1 was “Status”, now “State”"),
        ("A3", "", "cell A3 was “T2”, now empty"),
    ],
    ids=["header-renamed", "row-id-cleared"],
)
def test_a_guarded_cell_changed_between_read_and_write_stops_the_write(
    sheets_api, cell, typed, told
):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    sheets_api.inject(
        Fault.edit(lambda server: server.set_cell(key, "Plan", cell, typed), "values.batchGet")
    )
    with pytest.raises(WorkbookChanged) as changed:
        backend.apply(plan)
    assert str(changed.value) == (
        f"The Plan tab changed while sheetsync was working ({told}), so nothing was written; "
        "the next run will try again."
    )
    assert sheets_api.grid(key, "Plan")[2][4] == ""  # T2's Status, not written
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 0


def test_a_tab_deleted_between_read_and_write_stops_the_write(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    plan_id = sheets_api.sheet_properties(key, "Plan")["sheetId"]
    gspread_client_for(settings_for(sheets_api)).open_by_key(key).batch_update(
        {"requests": [{"deleteSheet": {"sheetId": plan_id}}]}
    )
    with pytest.raises(WorkbookChanged, match=r"A tab sheetsync writes to \(Plan\) was renamed"):
        backend.apply(plan)
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 0
    # Guards on two tabs name both, the one gone and the one still there.
    both = dataclasses.replace(plan, guards=(*plan.guards, Guard("Strategy", 1, 1, "Goal ID")))
    with pytest.raises(WorkbookChanged, match=r"A tab sheetsync writes to \(Plan, Strategy\)"):
        backend.apply(both)


# --- faults: recover within the bound, or fail cleanly -----------------------------------------


@pytest.mark.parametrize(
    "fault",
    [Fault.status(429, retry_after=1), Fault.status(500), Fault.status(502), Fault.status(503)],
    ids=["429-retry-after", "500", "502", "503"],
)
def test_transient_errors_are_retried_until_the_read_succeeds(sheets_api, fault):
    key = bean_and_crumb(sheets_api)
    sheets_api.inject(fault)
    workbook = backend_for(sheets_api, key).read()
    assert workbook.find_tab("Strategy").rows == as_rows(STRATEGY)
    assert sheets_api.requests[("GET", "spreadsheets.get")] == 2


def test_a_retry_waits_until_the_date_given_in_retry_after(sheets_api):
    # Google sends seconds; a proxy in between may send an HTTP date (RFC 9110), which is
    # waited for too, not taken as "now".
    key = bean_and_crumb(sheets_api)
    then = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    sheets_api.inject(Fault.status(429, retry_after=email.utils.format_datetime(then, True)))
    started = time.monotonic()

    workbook = backend_for(sheets_api, key).read()

    assert time.monotonic() - started >= 2  # the date is to the second: 2 to 3 s from now
    assert workbook.find_tab("Strategy").rows == as_rows(STRATEGY)
    assert sheets_api.requests[("GET", "spreadsheets.get")] == 2


@pytest.mark.parametrize(
    "retry_after",
    [None, "0", "soon", "Sun, 06 Nov 1994 08:49:37 GMT"],
    ids=["none", "zero", "not-a-time", "a-date-gone-by"],
)
def test_retry_after_that_asks_for_no_wait_leaves_the_backoff_alone(retry_after):
    response = requests.Response()
    response.status_code = 429
    response._content = json.dumps(
        {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}
    ).encode()
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    assert retry_after_seconds(APIError(response)) == 0
    assert retry_after_seconds(requests.ConnectionError("reset")) == 0


def test_a_plan_applied_by_a_backend_that_has_not_read_looks_at_the_spreadsheet_first(
    sheets_api,
):
    key = bean_and_crumb(sheets_api)
    plan = status_plan(backend_for(sheets_api, key).read(), CellWrite("Plan", 3, 5, "At risk"))
    sheets_api.reset_counts()

    backend_for(sheets_api, key).apply(plan)  # another backend, as a later run's would be

    assert sheets_api.grid(key, "Plan")[2][4] == "At risk"
    assert sheets_api.requests[("GET", "spreadsheets.get")] == 1  # its tabs and their sizes


def test_a_refused_write_is_retried_and_lands_once(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    sheets_api.inject(Fault.status(503, route="values.batchUpdate"))
    backend.apply(plan)
    assert sheets_api.grid(key, "Plan")[2][4] == "At risk"
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 2
    assert backend.requests_sent == sum(sheets_api.requests.values())  # the run log's count


def test_quota_still_exhausted_at_the_bound_gives_the_quota_sentence(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.inject(Fault.status(429, retry_after=60))
    with pytest.raises(WorkbookUnreachable) as failure:
        backend_for(sheets_api, key, retry_for_seconds=5).read()
    message = str(failure.value)
    assert message.startswith("Google's request quota is used up")
    assert "Quota exceeded for quota metric 'Read requests'" in message
    assert "lower [google] requests_per_minute" in message
    assert sheets_api.requests[("GET", "spreadsheets.get")] == 1  # a 60 s wait would overrun 5 s


@pytest.mark.parametrize(
    ("status", "google_says"),
    [(502, "“502 Bad Gateway”"), (503, "“The service is currently unavailable.”")],
)
def test_a_server_problem_that_outlasts_the_bound_keeps_googles_words(
    sheets_api, status, google_says
):
    key = bean_and_crumb(sheets_api)
    sheets_api.inject(Fault.status(status))
    with pytest.raises(WorkbookUnreachable) as failure:
        backend_for(sheets_api, key, retry_for_seconds=0).read()
    message = str(failure.value)
    assert message.startswith(f"Google had a server problem ({status}, ")
    assert google_says in message
    assert message.endswith("did not clear within 0 seconds; run again later.")


@pytest.mark.parametrize("fault", [Fault.slow(2), Fault.drop()], ids=["slow", "dropped"])
def test_a_slow_or_dropped_response_is_retried(sheets_api, fault):
    key = bean_and_crumb(sheets_api)
    sheets_api.inject(fault)
    workbook = backend_for(sheets_api, key, timeout=0.5).read()
    assert workbook.find_tab("Plan").rows[0] == tuple(PLAN[0])
    assert sheets_api.requests[("GET", "spreadsheets.get")] == 2


@pytest.mark.parametrize(
    ("fault", "sentence"),
    [
        (Fault.slow(2), r"did not answer within 0\.5 seconds.*raise \[google\] timeout"),
        (Fault.drop(), r"The connection to 127\.0\.0\.1:\d+ failed"),
    ],
    ids=["slow", "dropped"],
)
def test_a_slow_or_dropped_response_with_no_retry_time_left_fails_cleanly(
    sheets_api, fault, sentence
):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key, timeout=0.5, retry_for_seconds=0)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    sheets_api.inject(dataclasses.replace(fault, route="values.batchGet"))
    with pytest.raises(WorkbookUnreachable, match=sentence):
        backend.apply(plan)
    assert sheets_api.grid(key, "Plan")[2][4] == ""
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 0


def test_a_new_tab_whose_answer_was_lost_is_created_once(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    backend.read()
    writes = (CellWrite("Checks", 1, 1, "Severity", kind="header"), CellWrite("Checks", 2, 1, "ok"))
    # The addSheet lands but its answer is lost; the retry looks first and finds the tab there.
    sheets_api.inject(Fault.lost(route="spreadsheets.batchUpdate"))
    backend.apply(WritePlan(writes, (), ("Checks",), {"Checks": 1}))
    titles = [tab.name for tab in backend_for(sheets_api, key).read().tabs]
    assert titles == ["Strategy", "Plan", "Checks"]
    assert sheets_api.grid(key, "Checks") == [["Severity"], ["ok"]]


@pytest.mark.parametrize(
    "fault",
    [
        Fault.lost(route="spreadsheets.batchUpdate"),
        Fault.status(500, route="spreadsheets.batchUpdate"),
    ],
    ids=["answer-lost", "500"],
)
def test_a_grid_grown_by_a_batch_update_that_failed_unseen_grows_once(sheets_api, fault):
    key = sheets_api.add_spreadsheet("Trimmed", {"Plan": PLAN}, grid={"Plan": (4, 6)})
    backend = backend_for(sheets_api, key)
    workbook = backend.read()
    roi = [CellWrite("Plan", row, 7, 0.25 * row, kind="percent") for row in (2, 3, 4)]
    plan = status_plan(workbook, CellWrite("Plan", 1, 7, "ROI", kind="header"), *roi)
    # Lost: the appendDimension landed unanswered. 500: it did not. Either way, look again.
    sheets_api.inject(fault)
    backend.apply(plan)
    assert sheets_api.sheet_properties(key, "Plan")["gridProperties"] == {
        "rowCount": 4,
        "columnCount": 7,
    }
    assert [row[6] for row in sheets_api.grid(key, "Plan")] == ["ROI", 0.5, 0.75, 1]


def test_a_write_waits_past_googles_180_seconds_instead_of_sending_it_again(sheets_api):
    """A client that gives up before Google does would race its own first write."""
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key, timeout=0.3)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    sheets_api.inject(Fault.slow(0.8, route="values.batchUpdate"))
    backend.apply(plan)
    assert sheets_api.grid(key, "Plan")[2][4] == "At risk"
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 1
    assert WRITE_TIMEOUT_SECONDS > 180


def test_a_refused_write_is_not_retried_onto_rows_a_colleague_moved(sheets_api):
    """429 on the write; before the retry, a colleague inserts a tactic above T2."""
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    popup = ["T9", "G2", "Pop-up stand"]
    sheets_api.inject(
        Fault.status(
            429,
            retry_after=0,
            route="values.batchUpdate",
            then=lambda server: server.insert_rows(key, "Plan", 2, [popup]),
        )
    )
    with pytest.raises(WorkbookChanged, match="cell A3 was “T2”, now “T1”"):
        backend.apply(plan)
    assert [row[4] if len(row) > 4 else "" for row in sheets_api.grid(key, "Plan")] == [
        "Status",
        "",
        "Overdue",
        "",
        "",
    ]
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 1


# --- failures a user can meet, each one sentence with the fix ----------------------------------


def test_not_shared_names_the_account_to_share_with_and_is_not_retried(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_shared(key, False)
    backend = backend_for(sheets_api, key)
    with pytest.raises(WorkbookUnreachable) as failure:
        backend.read()
    message = str(failure.value)
    assert message.startswith(f"sheetsync may not open or change the spreadsheet {key}")
    assert "The caller does not have permission" in message
    assert message.endswith("click Share and add the Google account sheetsync uses as an Editor.")
    assert sheets_api.requests == {("GET", "spreadsheets.get"): 1}
    # With a service account, the sentence names the address to share with.
    robot = "robot@project.iam.gserviceaccount.com"
    context = FailureContext(key, "Bean & Crumb", settings_for(sheets_api), account=robot)
    named = str(unreachable(failure.value.__cause__, context))
    assert named.startswith("sheetsync may not open or change the spreadsheet “Bean & Crumb”")
    assert named.endswith(f"click Share and add {robot} as an Editor.")


def robot_key(server: SheetsApiServer, folder: Path, robot: str) -> Path:
    """A service account's key file whose sign-in goes to the test server."""
    key_file = service_account_key(folder / "key.json", robot)
    info = json.loads(key_file.read_text())
    key_file.write_text(json.dumps({**info, "token_uri": f"{server.endpoint}/token"}))
    return key_file


def test_not_shared_names_the_service_account_signed_in_with(sheets_api, config_home, tmp_path):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_shared(key, False)
    sheets_api.require_token = "ya29.robot-token"  # what the token endpoint gives the robot
    robot = "robot@project.iam.gserviceaccount.com"
    key_file = robot_key(sheets_api, tmp_path, robot)

    with pytest.raises(WorkbookUnreachable) as failure:
        backend_for(sheets_api, key, credentials=str(key_file)).read()

    assert str(failure.value).endswith(f"click Share and add {robot} as an Editor.")
    assert sheets_api.requests[("POST", "oauth.token")] == 1  # the key was signed in with


def test_a_sign_in_that_hangs_is_given_up_within_the_timeout_and_tried_again(
    sheets_api, config_home, tmp_path
):
    key = bean_and_crumb(sheets_api)
    key_file = robot_key(sheets_api, tmp_path, "robot@project.iam.gserviceaccount.com")
    sheets_api.inject(Fault.slow(3, route="oauth.token"))

    backend = backend_for(sheets_api, key, credentials=str(key_file), timeout=0.5)

    assert backend.read().find_tab("Plan").rows[0] == tuple(PLAN[0])
    assert sheets_api.requests[("POST", "oauth.token")] == 2  # not one answer waited out


def test_not_shared_names_the_person_signed_in_with_oauth_and_no_one_else(sheets_api, config_home):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_shared(key, False)
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(tzinfo=None)
    token = {
        "token": "ya29.user-token",
        "refresh_token": "1//refresh",
        "client_id": "id.apps.googleusercontent.com",
        "client_secret": "secret",
        "token_uri": f"{sheets_api.endpoint}/token",
        "expiry": later.isoformat() + "Z",
    }
    google_auth.save_token(json.dumps(token), "ana@example.com")

    sentences = []
    for credentials in ("oauth", "none"):  # a token left from a login is not "none"'s account
        with pytest.raises(WorkbookUnreachable) as failure:
            backend_for(sheets_api, key, credentials=credentials).read()
        sentences.append(str(failure.value).rpartition("click Share and add ")[2])

    assert sentences == [
        "ana@example.com as an Editor.",
        "the Google account sheetsync uses as an Editor.",
    ]


def test_not_found_names_the_key_and_is_not_retried(sheets_api):
    missing = "1" + "x" * 43
    with pytest.raises(WorkbookUnreachable) as failure:
        backend_for(sheets_api, missing).read()
    assert str(failure.value) == (
        f"No Google spreadsheet has the key {missing} ({urlsplit(sheets_api.endpoint).netloc} "
        "says: “Requested entity was not found.”); check the address given by --workbook or "
        "[workbook] spreadsheet."
    )
    assert sheets_api.requests == {("GET", "spreadsheets.get"): 1}


def test_sheets_api_disabled_says_where_to_enable_it(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_api_enabled(False)
    with pytest.raises(WorkbookUnreachable) as failure:
        backend_for(sheets_api, key).read()
    message = str(failure.value)
    assert message.startswith("The Google Sheets API is not enabled in the Google Cloud project")
    assert message.endswith(
        "enable it at https://console.developers.google.com/apis/api/sheets.googleapis.com/"
        "overview?project=1234567890, wait a minute and run again."
    )
    assert sheets_api.requests == {("GET", "spreadsheets.get"): 1}


def test_a_write_refused_by_data_validation_is_not_retried(sheets_api):
    key = bean_and_crumb(sheets_api)
    status_column = {
        "sheetId": sheets_api.sheet_properties(key, "Plan")["sheetId"],
        "startRowIndex": 1,
        "startColumnIndex": 4,
        "endColumnIndex": 5,
    }
    only_done = {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Done"}]},
        "strict": True,
    }
    gspread_client_for(settings_for(sheets_api)).open_by_key(key).batch_update(
        {"requests": [{"setDataValidation": {"range": status_column, "rule": only_done}}]}
    )
    backend = backend_for(sheets_api, key)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    with pytest.raises(WorkbookUnreachable) as failure:
        backend.apply(plan)
    message = str(failure.value)
    assert message.startswith("A data-validation rule in the spreadsheet “Bean & Crumb” rejects")
    assert "cell E3 violates the data validation rules" in message
    assert message.endswith("set that column's rule to “Show a warning”.")
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 1
    assert sheets_api.grid(key, "Plan")[2][4] == ""


def api_error_from(server: SheetsApiServer, key: str) -> APIError:
    """The APIError the real gspread client raises for the server's next answer."""
    with pytest.raises(APIError) as refused:
        open_http_client(settings_for(server)).spreadsheets_get(key)
    return refused.value


def test_credentials_without_the_sheets_scope_are_told_how_to_get_it(sheets_api, config_home):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_scopes_granted(False)
    token = {
        "token": "t",
        "expiry": "2999-01-01T00:00:00Z",
        "refresh_token": "r",
        "client_id": "c",
        "client_secret": "s",
    }
    google_auth.save_token(json.dumps(token), "ana@example.com")
    with pytest.raises(WorkbookUnreachable) as failure:
        backend_for(sheets_api, key, credentials="oauth").read()
    message = str(failure.value)
    assert message.startswith("These Google credentials may not use Google Sheets (")
    assert "Request had insufficient authentication scopes." in message
    assert (
        "run `sheetsync auth login` again and, on Google's consent page, tick every box" in message
    )
    assert "Share" not in message  # sharing the spreadsheet would not help
    adc = FailureContext(key, None, GoogleSettings(credentials="adc"))
    assert (
        "run `gcloud auth application-default login --scopes=https://www.googleapis.com/auth/"
        "spreadsheets,https://www.googleapis.com/auth/drive.file,https://www.googleapis.com/auth/"
        "cloud-platform`" in str(unreachable(api_error_from(sheets_api, key), adc))
    )


def test_adc_without_a_quota_project_is_told_to_set_one():
    response = requests.Response()
    response.status_code = 403
    response._content = json.dumps(
        {
            "error": {
                "code": 403,
                "message": "Your application is authenticating by using local Application "
                "Default Credentials. The sheets.googleapis.com API requires a quota project, "
                "which is not set by default.",
                "status": "PERMISSION_DENIED",
            }
        }
    ).encode()
    context = FailureContext(KEY, None, GoogleSettings(credentials="adc"))
    assert str(unreachable(APIError(response), context)) == (
        "Google needs a Cloud project to bill these Application Default Credentials' requests to "
        "(Google says: “Your application is authenticating by using local Application Default "
        "Credentials. The sheets.googleapis.com API requires a quota project, which is not set by "
        "default.”); run `gcloud auth application-default set-quota-project YOUR_PROJECT_ID` "
        "with a project where the Google Sheets API is enabled, and run again."
    )


def test_a_protected_range_is_told_with_where_to_unprotect_it(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.protect(key, "Plan", "E1:E10")
    backend = backend_for(sheets_api, key)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    with pytest.raises(WorkbookUnreachable) as failure:
        backend.apply(plan)
    message = str(failure.value)
    assert message.startswith("A protected range in the spreadsheet “Bean & Crumb” stops")
    assert "You are trying to edit a protected cell or object" in message
    assert "Data > Protect sheets and ranges" in message and "report" not in message
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 1  # a 400: not sent again
    assert sheets_api.grid(key, "Plan")[2][4] == ""


@pytest.mark.parametrize(
    ("write", "cells"),
    [
        (CellWrite("Plan", 1, 7, "ROI", kind="header"), "10,000,003"),  # a new column
        (CellWrite("Plan", 5, 1, "T4"), "10,000,005"),  # a new row
    ],
    ids=["column", "row"],
)
def test_a_sync_past_googles_10_million_cells_is_refused_before_writing(sheets_api, write, cells):
    key = sheets_api.add_spreadsheet(
        "Full", {"Plan": PLAN, "Leads": [["Name"]]}, grid={"Plan": (4, 6), "Leads": (399_999, 25)}
    )
    backend = backend_for(sheets_api, key)
    workbook = backend.read()
    sheets_api.reset_counts()
    plan = status_plan(workbook, write)
    with pytest.raises(WorkbookUnreachable) as failure:
        backend.apply(plan)
    assert str(failure.value) == (
        f"This sync would grow the spreadsheet “Full” to {cells} cells, more than the "
        "10,000,000 Google Sheets allows, so nothing was written; delete empty rows and columns "
        "at the end of its tabs, or tabs you no longer need (every cell of every tab counts, "
        "blank or not), and run sync again."
    )
    assert sheets_api.requests == {}


def test_a_sync_that_fills_the_spreadsheet_to_exactly_10_million_cells_is_written(sheets_api):
    # 4 x 6 in Plan, 399,998 x 25 in Leads and 22 x 1 in Notes: a new column in Plan takes the
    # spreadsheet to exactly Google's limit, which it allows.
    grid = {"Plan": (4, 6), "Leads": (399_998, 25), "Notes": (22, 1)}
    tabs = {"Plan": PLAN, "Leads": [["Name"]], "Notes": [["Note"]]}
    key = sheets_api.add_spreadsheet("Nearly full", tabs, grid=grid)
    backend = backend_for(sheets_api, key)
    backend.apply(status_plan(backend.read(), CellWrite("Plan", 1, 7, "ROI", kind="header")))
    assert sheets_api.grid(key, "Plan")[0] == [*PLAN[0], "ROI"]


def test_googles_own_10_million_cell_refusal_gets_the_same_advice(sheets_api):
    key = sheets_api.add_spreadsheet("Full", {"Plan": PLAN}, grid={"Plan": (400_000, 25)})
    spreadsheet = gspread_client_for(settings_for(sheets_api)).open_by_key(key)
    grow = {"appendDimension": {"sheetId": spreadsheet.sheet1.id, "dimension": "ROWS", "length": 1}}
    with pytest.raises(APIError) as refused:
        spreadsheet.batch_update({"requests": [grow]})
    message = str(unreachable(refused.value, FailureContext(key, "Full", settings_for(sheets_api))))
    assert message.startswith("The spreadsheet “Full” is at Google's limit of 10,000,000 cells")
    assert "delete empty rows and columns" in message


def test_a_cell_longer_than_google_takes_is_refused_before_writing(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 6, "x" * 50_001))
    sheets_api.reset_counts()
    with pytest.raises(WorkbookUnreachable) as failure:
        backend.apply(plan)
    assert str(failure.value).startswith(
        "Cell F3 on the Plan tab would hold 50,001 characters, more than the 50,000 Google "
        "Sheets allows in a cell, so nothing was written."
    )
    assert sheets_api.requests == {}


def test_a_cell_of_exactly_50000_characters_is_written(sheets_api):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    backend.apply(status_plan(backend.read(), CellWrite("Plan", 3, 6, "x" * 50_000)))
    assert sheets_api.grid(key, "Plan")[2][5] == "x" * 50_000


def test_a_retryable_refresh_failure_is_retried_and_not_called_an_expired_sign_in():
    passing = RefreshError("Unable to acquire token: 503 Service Unavailable", retryable=True)
    assert is_transient(passing)
    assert not is_transient(RefreshError("invalid_grant: Token has been expired or revoked."))
    context = FailureContext(KEY, None, GoogleSettings(credentials="oauth"))
    message = str(unreachable(passing, context))
    assert message.startswith("Google's sign-in server did not give sheetsync a token this time")
    assert message.endswith("run again in a few minutes.")
    assert "expired" not in message


def test_a_split_write_stopped_by_an_edit_says_what_landed_and_what_the_next_run_does(
    sheets_api,
):
    key = bean_and_crumb(sheets_api)
    backend = GoogleBackend(key, settings_for(sheets_api), body_limit=1200)
    workbook = backend.read()
    writes = [CellWrite("Plan", row, 5, "x" * 300 + str(row)) for row in (2, 3, 4)]
    plan = status_plan(workbook, *writes)
    popup = ["T9", "G2", "Pop-up stand"]

    def after_the_first_part(server: SheetsApiServer) -> None:
        insert = Fault.edit(lambda s: s.insert_rows(key, "Plan", 2, [popup]), "values.batchGet")
        server.inject(insert)  # lands before the second part's guard check

    sheets_api.inject(Fault.edit(after_the_first_part, "values.batchUpdate"))
    with pytest.raises(WorkbookChanged) as failure:
        backend.apply(plan)
    assert str(failure.value) == (
        "The Plan tab changed while sheetsync was working (cell A2 was “T1”, now “T9”), so "
        "sheetsync stopped after writing 1 of the 3 parts of this sync; the next run writes "
        "the rest."
    )
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 1
    statuses = [row[4] if len(row) > 4 else "" for row in sheets_api.grid(key, "Plan")]
    assert statuses == ["Status", "", "x" * 300 + "2", "", ""]


def test_a_split_write_refused_part_way_says_what_landed(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.protect(key, "Plan", "E4")  # the third part's cell
    backend = GoogleBackend(key, settings_for(sheets_api), body_limit=1200)
    writes = [CellWrite("Plan", row, 5, "x" * 300 + str(row)) for row in (2, 3, 4)]
    plan = status_plan(backend.read(), *writes)
    with pytest.raises(WorkbookUnreachable) as failure:
        backend.apply(plan)
    assert str(failure.value) == (
        "A protected range in the spreadsheet “Bean & Crumb” stops sheetsync from writing "
        f"({urlsplit(sheets_api.endpoint).netloc} says: “You are trying to edit a protected cell "
        "or object. Please contact the spreadsheet owner to remove protection if you need to "
        "edit.”); in Data > Protect sheets and ranges, add the Google account sheetsync uses as "
        "an editor of the range over sheetsync's columns and tabs, or set it to “Show a "
        "warning”, then run again; sheetsync had written 2 of the 3 parts of this sync before "
        "that, and the next run writes the rest."
    )
    statuses = [row[4] if len(row) > 4 else "" for row in sheets_api.grid(key, "Plan")]
    assert statuses == ["Status", "x" * 300 + "2", "x" * 300 + "3", ""]


def test_a_missing_token_gives_the_credentials_sentence():
    with SheetsApiServer(require_token="fresh") as server:
        key = bean_and_crumb(server)
        with pytest.raises(WorkbookUnreachable, match="asks for credentials") as failure:
            backend_for(server, key).read()
        assert "Request is missing required authentication credential" in str(failure.value)
        assert server.requests == {("GET", "spreadsheets.get"): 1}


def test_an_expired_or_revoked_sign_in_says_to_log_in_again(config_home):
    with SheetsApiServer(require_token="fresh") as server:
        key = bean_and_crumb(server)
        token = {
            "token": "stale",  # refused with 401 ...
            "expiry": "2999-01-01T00:00:00Z",
            "refresh_token": None,  # ... and google-auth cannot get a new one
            "client_id": "id.apps.googleusercontent.com",
            "client_secret": "secret",
        }
        google_auth.save_token(json.dumps(token), "ana@example.com")
        with pytest.raises(WorkbookUnreachable) as failure:
            backend_for(server, key, credentials="oauth").read()
        assert server.requests == {("GET", "spreadsheets.get"): 1}
    message = str(failure.value)
    assert message.startswith("Your Google sign-in has expired or was revoked")
    assert message.endswith("run `sheetsync auth login` and try again.")


def test_a_refused_token_refresh_says_to_log_in_again():
    refused = RefreshError(
        "invalid_grant: Token has been expired or revoked.",
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    context = FailureContext(KEY, None, GoogleSettings(credentials="oauth"))
    assert str(unreachable(refused, context)) == (
        "Your Google sign-in has expired or was revoked (invalid_grant: Token has been expired "
        "or revoked.); run `sheetsync auth login` and try again."
    )


def test_a_missing_key_file_names_it(tmp_path):
    settings = GoogleSettings(credentials=str(tmp_path / "key.json"))
    with pytest.raises(WorkbookUnreachable) as failure:
        GoogleBackend(KEY, settings).read()
    assert str(failure.value).startswith(f"The Google key file {tmp_path / 'key.json'} does not")


def test_a_malformed_key_file_says_to_download_a_new_key(tmp_path):
    key_file = tmp_path / "key.json"
    key_file.write_text("{not json")
    with pytest.raises(WorkbookUnreachable, match="download a new JSON key"):
        GoogleBackend(KEY, GoogleSettings(credentials=str(key_file))).read()


def test_nothing_listening_gives_the_connection_refused_sentence():
    server = SheetsApiServer().start()
    key = bean_and_crumb(server)
    settings = settings_for(server, retry_for_seconds=0)
    server.stop()
    with pytest.raises(WorkbookUnreachable, match="Nothing accepts connections at 127.0.0.1"):
        GoogleBackend(key, settings).read()


def test_an_unknown_host_gives_the_offline_sentence():
    settings = GoogleSettings(
        credentials="none", endpoint="http://sheets.invalid", retry_for_seconds=0
    )
    with pytest.raises(WorkbookUnreachable, match="cannot look up sheets.invalid"):
        GoogleBackend(KEY, settings).read()


def test_a_location_that_is_not_google_is_refused():
    with pytest.raises(WorkbookUnreachable) as refused:
        GoogleBackend("marketing.xlsx", GoogleSettings())
    assert str(refused.value) == (
        "“marketing.xlsx” is not a Google Sheets address; give the spreadsheet's URL "
        "(https://docs.google.com/spreadsheets/d/…/edit) or its key."
    )


# --- one HTTP layer: endpoint, rate limit ------------------------------------------------------


def test_backends_share_the_process_rate_limiter(sheets_api):
    key = bean_and_crumb(sheets_api)
    limiter = shared_limiter(5999)
    before = limiter.granted
    backend_for(sheets_api, key, requests_per_minute=5999).read()
    backend_for(sheets_api, key, requests_per_minute=5999).read()
    assert limiter.granted - before == 4


def test_gspread_client_sends_drive_requests_to_the_endpoint_too(sheets_api):
    created = gspread_client_for(settings_for(sheets_api)).create("New plan")
    assert created.id in sheets_api.spreadsheet_keys()
    assert sheets_api.requests[("POST", "drive.files.create")] == 1


# --- a whole sync ------------------------------------------------------------------------------


def as_sheets_cells(rows: list[list[Any]]) -> list[list[Any]]:
    """Dates as Google stores them: serial numbers counted from 1899-12-30."""
    epoch = dt.date(1899, 12, 30)
    return [
        [(cell - epoch).days if isinstance(cell, dt.date) else cell for cell in row] for row in rows
    ]


@pytest.mark.parametrize("copies", [4, 3334], ids=["12-tactics", "10002-tactics"])
def test_a_sync_makes_the_same_requests_whatever_the_row_count(sheets_api, copies):
    grids = baseline_grids()
    header, *tactics = grids["Plan"]
    grids["Plan"] = [header] + [
        [f"{row[0]}-{n}", *row[1:]] for n in range(copies) for row in tactics
    ]
    key = sheets_api.add_spreadsheet(
        "Bean & Crumb", {tab: as_sheets_cells(rows) for tab, rows in grids.items()}
    )
    backend = backend_for(sheets_api, key)
    first = sheetsync.sync(backend, today=TODAY)
    assert first.written
    assert sheets_api.requests == {
        ("GET", "spreadsheets.get"): 1,
        # every tab; the guarded headers and IDs before the layout, and again before the values
        ("GET", "values.batchGet"): 3,
        ("POST", "spreadsheets.batchUpdate"): 1,  # the Checks tab and the new owned columns
        ("POST", "values.batchUpdate"): 1,
    }
    plan = sheets_api.grid(key, "Plan")
    assert plan[0][len(header) :] == ["Status", "ROI", "Cost per Result", "Issues"]
    assert len(plan) == len(tactics) * copies + 1
    sheets_api.reset_counts()
    again = sheetsync.sync(backend_for(sheets_api, key), today=TODAY)
    assert not again.written
    assert sheets_api.requests == {("GET", "spreadsheets.get"): 1, ("GET", "values.batchGet"): 1}


def test_a_dry_run_names_a_formula_it_would_replace_for_one_more_read(sheets_api):
    grids = {tab: as_sheets_cells(rows) for tab, rows in baseline_grids().items()}
    key = sheets_api.add_spreadsheet("Bean & Crumb", grids)
    sheetsync.sync(backend_for(sheets_api, key), today=TODAY)  # the owned columns exist now
    # T2's ROI (N3): the user's own formula. T1's Issues (P2): text starting with "=", written
    # RAW, reads the same with FORMULA rendering, and is no formula.
    sheets_api.type_cell(key, "Plan", "N3", "=J3-I3")
    sheets_api.set_cell(key, "Plan", "P2", "=not a formula")
    sheets_api.reset_counts()
    dry = sheetsync.sync(backend_for(sheets_api, key), today=TODAY, dry_run=True)
    assert sorted(describe(write) for write in dry.plan.writes) == [
        "Plan!N3: =J3-I3 -> -1 (replaces the formula)",
        'Plan!P2: "=not a formula" -> ""',
    ]
    # One read more than a check: the written columns' cells, rendered as formulas.
    assert sheets_api.requests == {("GET", "spreadsheets.get"): 1, ("GET", "values.batchGet"): 2}
    (asked,) = [
        r for r in sheets_api.request_log if r.query.get("valueRenderOption") == ["FORMULA"]
    ]
    assert sorted(asked.query["ranges"]) == ["'Plan'!N3:N3", "'Plan'!P2:P2"]
    # A real sync asks for no formulas: the same requests as before dry runs could name them.
    sheets_api.reset_counts()
    assert sheetsync.sync(backend_for(sheets_api, key), today=TODAY).written
    assert sheets_api.requests == {
        ("GET", "spreadsheets.get"): 1,
        ("GET", "values.batchGet"): 2,
        ("POST", "values.batchUpdate"): 1,
    }
    assert sheets_api.grid(key, "Plan")[2][13] == -1


def test_a_dry_run_tells_formulas_from_typed_values_up_to_the_grids_last_cell(sheets_api):
    grids = {tab: as_sheets_cells(rows) for tab, rows in baseline_grids().items()}
    sizes = {tab: (len(rows), len(rows[0])) for tab, rows in grids.items()}
    key = sheets_api.add_spreadsheet("Bean & Crumb", grids, grid=sizes)
    sheetsync.sync(backend_for(sheets_api, key), today=TODAY)  # Plan's grid now ends at P4
    sheets_api.type_cell(key, "Plan", "P4", "=K4*2")  # T3's Issues, the grid's last cell
    sheets_api.set_cell(key, "Plan", "M2", "Maybe")  # T1's Status, typed over
    sheets_api.set_cell(key, "Plan", "O3", 7)  # T2's Cost per Result, a number typed over

    dry = sheetsync.sync(backend_for(sheets_api, key), today=TODAY, dry_run=True)

    assert sorted(describe(write) for write in dry.plan.writes) == [
        'Plan!M2: "Maybe" -> "On track"',
        "Plan!O3: 7 -> 25",
        'Plan!P4: =K4*2 -> "" (replaces the formula)',
    ]


def test_a_first_dry_run_asks_for_no_formulas_where_no_cell_is_yet(sheets_api):
    # Each tab's grid ends at its last input column and the Checks tab is still to be made:
    # every cell the sync would write is yet to exist, so it holds no formula, and nothing is
    # asked (Google would refuse a range past the grid or on a missing tab).
    grids = {tab: as_sheets_cells(rows) for tab, rows in baseline_grids().items()}
    sizes = {tab: (len(rows), len(rows[0])) for tab, rows in grids.items()}
    key = sheets_api.add_spreadsheet("Bean & Crumb", grids, grid=sizes)
    sheets_api.reset_counts()
    dry = sheetsync.sync(backend_for(sheets_api, key), today=TODAY, dry_run=True)
    assert dry.plan.writes and not any(write.old_formula for write in dry.plan.writes)
    assert sheets_api.requests == {("GET", "spreadsheets.get"): 1, ("GET", "values.batchGet"): 1}


@pytest.mark.parametrize("made", ["cheque register", "chart sheet"])
def test_a_tab_named_like_a_new_one_of_ours_made_meanwhile_stops_the_write(sheets_api, made):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key)
    backend.read()
    # A colleague makes a cheque register called "checks", or moves a chart to a sheet of its
    # own called so, while sheetsync is about to add its own.
    if made == "chart sheet":
        sheets_api.add_chart_sheet(key, "checks", index=2)
    else:
        colleague = gspread_client_for(settings_for(sheets_api)).open_by_key(key)
        colleague.add_worksheet("checks", rows=10, cols=3).update([["Cheque", "Amount"]], "A1")
    before = sheets_api.sheet_properties(key, "checks"), sheets_api.grid(key, "checks")
    writes = (CellWrite("Checks", 1, 1, "Severity", kind="header"), CellWrite("Checks", 2, 1, "x"))
    with pytest.raises(WorkbookChanged) as changed:
        backend.apply(WritePlan(writes, (), ("Checks",), {"Checks": 1}))
    assert str(changed.value) == (
        "A tab named “checks” was added to the spreadsheet while sheetsync was working, so "
        "nothing was written; run sync again (a tab of yours by that name is left alone and "
        "named in the findings)."
    )
    assert (sheets_api.sheet_properties(key, "checks"), sheets_api.grid(key, "checks")) == before
    assert sheets_api.requests[("POST", "values.batchUpdate")] == 0
