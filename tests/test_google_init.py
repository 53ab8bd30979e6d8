"""`sheetsync init --google`: the real gspread client over HTTP to the Sheets API test server."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import tzlocal
from sheets_api_fixtures import sheets_api as sheets_api_fixture  # noqa: F401 - a server per test
from sheets_api_server import Fault, SheetsApiServer, parse_cells
from test_google_backend import settings_for

import sheetsync
from sheetsync.backends import WorkbookUnreachable, google_create
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google_create import SERIAL_EPOCH, create_spreadsheet
from sheetsync.backends.google_http import gspread_client as gspread_client_for
from sheetsync.backends.google_location import edit_url
from sheetsync.compute import EventStatus, GoalStatus, TacticStatus
from sheetsync.template import WorkbookTemplate, load_template

TODAY = dt.date(2026, 3, 15)
TITLE = "Bean & Crumb"
OWNER = "maya@example.com"
ALL_STATUSES = {str(status) for kind in (TacticStatus, GoalStatus, EventStatus) for status in kind}


def make(
    server: SheetsApiServer, example: bool = True, share_with: tuple[str, ...] = (), **settings: Any
) -> tuple[str, WorkbookTemplate]:
    """init --google on the test server; returns the new spreadsheet's key and its template."""
    template = load_template(example=example, today=TODAY)
    url = create_spreadsheet(template, settings_for(server, **settings), TITLE, share_with)
    (key,) = server.spreadsheet_keys()
    assert url == edit_url(key)
    return key, template


def covers_column(grid_range: dict[str, Any], index: int) -> bool:
    """Whether a GridRange (as the server keeps it) includes the 0-based column `index`."""
    return grid_range.get("startColumnIndex", 0) <= index < grid_range.get("endColumnIndex", 10**6)


# --- what is made -----------------------------------------------------------------------------


def test_every_tab_has_the_template_headers_a_frozen_header_row_and_owned_tabs_are_grey(
    sheets_api,
):
    key, template = make(sheets_api, example=False)
    for tab in template.tabs:
        assert sheets_api.grid(key, tab.name) == [list(tab.headers)]
        properties = sheets_api.sheet_properties(key, tab.name)
        assert properties["gridProperties"]["frozenRowCount"] == 1
        assert ("tabColorStyle" in properties) == tab.owned
    titles = [tab.name for tab in template.tabs]
    assert titles == ["Strategy", "Plan", "Calendar", "Checks", "History"]
    assert [sheets_api.sheet_properties(key, t)["index"] for t in titles] == [0, 1, 2, 3, 4]


def test_a_new_spreadsheet_gets_the_configured_locale_and_time_zone(sheets_api):
    template = load_template(example=False, today=TODAY)
    settings = settings_for(sheets_api)
    create_spreadsheet(template, settings, TITLE, (), "de_DE", "Europe/Berlin")
    (key,) = sheets_api.spreadsheet_keys()
    workbook = GoogleBackend(key, settings).read()
    assert (workbook.locale, workbook.timezone) == ("de_DE", "Europe/Berlin")


def test_a_new_spreadsheet_gets_this_computers_locale_and_time_zone(sheets_api, monkeypatch):
    """Else Google makes it en_US on GMT, and "today" there is not today here."""
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    monkeypatch.setenv("TZ", "America/Chicago")
    tzlocal.reload_localzone()  # tzlocal reads the zone once per process; this test moves it
    try:
        key, _ = make(sheets_api, example=False)
    finally:
        monkeypatch.undo()
        tzlocal.reload_localzone()
    workbook = GoogleBackend(key, settings_for(sheets_api)).read()
    assert (workbook.locale, workbook.timezone) == ("fr_FR", "America/Chicago")


@pytest.mark.parametrize(
    ("environment", "locale"),
    [
        # the locale this computer writes numbers in, which is how amounts will be typed
        ({"LANG": "fr_FR.UTF-8", "LC_NUMERIC": "de_CH.UTF-8"}, "de_CH"),
        ({"LC_ALL": "C"}, "en_US"),  # no locale chosen: Google's own default
        ({}, "en_US"),
    ],
    ids=["numbers-in-de_CH", "C", "none"],
)
def test_this_computers_locale_is_the_one_it_writes_numbers_in(monkeypatch, environment, locale):
    for name in ("LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert google_create.machine_locale() == locale


def test_sheetsyncs_own_tabs_are_as_wide_as_their_headers_a_persons_tabs_have_room(sheets_api):
    key, template = make(sheets_api, example=False)
    for tab in template.tabs:
        columns = sheets_api.sheet_properties(key, tab.name)["gridProperties"]["columnCount"]
        assert columns == (len(tab.columns) if tab.owned else max(26, len(tab.columns)))
    assert sheets_api.sheet_properties(key, "Checks")["gridProperties"]["columnCount"] == len(
        template.tabs[3].columns
    )


def test_a_format_request_whose_answer_was_lost_is_not_sent_twice(sheets_api):
    """Sent again, it would double every protection and colour rule."""
    key, _ = make(sheets_api, example=False)
    protections = len(sheets_api.protected_ranges(key))
    colour_rules = len(sheets_api.conditional_formats(key, "Plan"))
    assert protections and colour_rules
    with SheetsApiServer() as other:
        other.inject(Fault.lost(route="spreadsheets.batchUpdate"))
        again, _ = make(other, example=False)
        assert len(other.protected_ranges(again)) == protections
        assert len(other.conditional_formats(again, "Plan")) == colour_rules
        assert other.requests[("POST", "spreadsheets.batchUpdate")] == 1


def test_example_rows_are_written_with_dates_as_serial_numbers_in_date_formatted_columns(
    sheets_api,
):
    key, template = make(sheets_api)
    plan = next(tab for tab in template.tabs if tab.name == "Plan")
    grid = sheets_api.grid(key, "Plan")
    assert len(grid) == 1 + len(plan.rows) > 1
    start = plan.column_number("Start") - 1
    first_start = plan.rows[0][start]
    assert isinstance(first_start, dt.date)
    assert grid[1][start] == (first_start - SERIAL_EPOCH).days  # a number, not text
    assert isinstance(grid[1][start], int)
    assert grid[1][0] == plan.rows[0][0]  # text stays text
    date_formats = [
        request["repeatCell"]
        for request in sheets_api.formats(key, "Plan")
        if "repeatCell" in request
        and request["repeatCell"]["range"].get("startColumnIndex") == start
        and request["repeatCell"]["fields"] == "userEnteredFormat.numberFormat"
    ]
    assert [f["cell"]["userEnteredFormat"]["numberFormat"] for f in date_formats] == [
        {"type": "DATE", "pattern": "yyyy-mm-dd"}
    ]
    assert date_formats[0]["range"]["startRowIndex"] == 1  # below the header, to the grid's end
    assert "endRowIndex" not in date_formats[0]["range"]


def test_columns_have_widths_number_formats_and_header_notes_owned_headers_grey(sheets_api):
    key, template = make(sheets_api, example=False)
    for tab in template.tabs:
        formats = sheets_api.formats(key, tab.name)
        widths = {
            f["updateDimensionProperties"]["range"]["startIndex"]: f["updateDimensionProperties"]
            for f in formats
            if "updateDimensionProperties" in f
        }
        headers = {
            f["repeatCell"]["range"]["startColumnIndex"]: f["repeatCell"]
            for f in formats
            if "repeatCell" in f and f["repeatCell"]["range"].get("endRowIndex") == 1
        }
        number_formats = {
            f["repeatCell"]["range"]["startColumnIndex"]: f["repeatCell"]["cell"]
            for f in formats
            if "repeatCell" in f and f["repeatCell"]["fields"] == "userEnteredFormat.numberFormat"
        }
        for index, column in enumerate(tab.columns):
            assert widths[index]["properties"] == {"pixelSize": round(column.width * 7 + 5)}
            header = headers[index]["cell"]
            assert header["note"] == column.note
            assert header["note"].startswith("Filled in by sheetsync") == column.owned
            grey = {"red": 0xD9 / 255, "green": 0xD9 / 255, "blue": 0xD9 / 255}
            assert (header["userEnteredFormat"]["backgroundColor"] == grey) == column.owned
            assert header["userEnteredFormat"]["textFormat"]["bold"] is True
            pattern = number_formats.get(index, {}).get("userEnteredFormat", {})
            assert pattern.get("numberFormat", {}).get("pattern") == column.number_format


def test_plan_has_a_goal_id_dropdown_from_strategy_and_channel_and_progress_rules(sheets_api):
    key, _ = make(sheets_api, example=False)
    rules = {cells: rule for cells, rule in sheets_api.validations(key, "Plan")}
    assert set(rules) == {"B2:B1000", "D2:D1000", "L2:L1000"}
    goal_id = rules["B2:B1000"]
    assert goal_id["condition"] == {
        "type": "ONE_OF_RANGE",
        "values": [{"userEnteredValue": "='Strategy'!$A$2:$A$201"}],
    }
    assert goal_id["showCustomUi"] is True
    channels = [value["userEnteredValue"] for value in rules["D2:D1000"]["condition"]["values"]]
    assert rules["D2:D1000"]["condition"]["type"] == "ONE_OF_LIST"
    assert {"Email", "LinkedIn", "Trade show"} <= set(channels)
    progress = rules["L2:L1000"]["condition"]
    assert progress["type"] == "CUSTOM_FORMULA"
    formula = progress["values"][0]["userEnteredValue"]
    assert formula.startswith('=ISNUMBER(L2)*(L2>=0)*(L2<=100)+(LOWER(TRIM(L2))="done")')
    assert formula.endswith(">0")
    assert "," not in formula and ";" not in formula  # read alike in "1,5" and "1.5" locales
    assert all(rule["inputMessage"] for rule in rules.values())


def test_no_validation_is_strict_and_none_is_on_a_column_sheetsync_writes(sheets_api):
    key, template = make(sheets_api, example=False)
    seen = 0
    for tab in template.tabs:
        owned = {i for i, column in enumerate(tab.columns) if column.owned}
        for cells, rule in sheets_api.validations(key, tab.name):
            seen += 1
            assert rule["strict"] is False
            bounds = parse_cells(cells)
            assert bounds is not None and bounds.col1 is not None
            assert not owned & set(range(bounds.col0, bounds.col1)), (tab.name, cells)
    assert seen == 3


def test_every_status_column_is_coloured_by_value(sheets_api):
    key, template = make(sheets_api, example=False)
    coloured = 0
    for tab in template.tabs:
        rules = sheets_api.conditional_formats(key, tab.name)
        for index, column in enumerate(tab.columns):
            values = {
                rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
                for rule in rules
                if covers_column(rule["ranges"][0], index)
            }
            expected = {value for colors in column.colors for value in colors.values}
            assert values == expected
            if column.header == "Status":
                coloured += 1
                assert values <= ALL_STATUSES
        for rule in rules:
            assert rule["booleanRule"]["condition"]["type"] == "TEXT_EQ"
            assert rule["ranges"][0]["startRowIndex"] == 1
    assert coloured == 4  # Strategy, Plan, Calendar, History
    strategy_rules = sheets_api.conditional_formats(key, "Strategy")
    missed = next(
        rule["booleanRule"]["format"]
        for rule in strategy_rules
        if rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == "Missed"
    )
    assert missed["backgroundColor"] == {"red": 1, "green": 0xC7 / 255, "blue": 0xCE / 255}


def test_owned_columns_and_owned_tabs_have_warning_only_protection(sheets_api):
    key, template = make(sheets_api, example=False)
    protected = sheets_api.protected_ranges(key)
    assert protected
    assert all(p["warningOnly"] is True for p in protected)
    assert all(p["editors"] == {} for p in protected)  # Google allows no editors with a warning
    for tab in template.tabs:
        ranges = [p["range"] for p in protected if p["sheetTitle"] == tab.name]
        for index, column in enumerate(tab.columns):
            assert any(covers_column(r, index) for r in ranges) == column.owned, column.header
        if tab.owned:
            assert len(ranges) == 1 and set(ranges[0]) <= {"sheetId"}  # the whole sheet
        else:
            assert all("startRowIndex" not in r for r in ranges)  # header included
    plan = [p for p in protected if p["sheetTitle"] == "Plan"]
    assert plan[0]["description"] == "Filled in by sheetsync — edits here are overwritten."


def test_each_address_is_shared_with_as_editor_with_a_notification(sheets_api):
    key, _ = make(sheets_api, share_with=(OWNER, "sam@example.com"))
    permissions = sheets_api.permissions(key)
    assert [(p["emailAddress"], p["type"], p["role"]) for p in permissions] == [
        (OWNER, "user", "writer"),
        ("sam@example.com", "user", "writer"),
    ]
    shares = [entry for entry in sheets_api.request_log if entry.path.endswith("/permissions")]
    assert [entry.query["sendNotificationEmail"] for entry in shares] == [["True"], ["True"]]


def test_the_account_that_makes_it_is_not_shared_with_as_it_owns_it(sheets_api, monkeypatch):
    real = google_create.open_http_client

    def as_owner(settings):
        http = real(settings)
        http.account = OWNER
        return http

    monkeypatch.setattr(google_create, "open_http_client", as_owner)
    key, _ = make(sheets_api, share_with=(OWNER.upper(), "sam@example.com"))
    assert [p["emailAddress"] for p in sheets_api.permissions(key)] == ["sam@example.com"]


def test_a_spreadsheet_is_made_in_one_create_one_batch_update_and_one_values_write(sheets_api):
    make(sheets_api, share_with=(OWNER,))
    assert sheets_api.requests == {
        ("POST", "spreadsheets.create"): 1,
        ("POST", "drive.permissions.create"): 1,
        ("POST", "spreadsheets.batchUpdate"): 1,
        ("POST", "values.batchUpdate"): 1,
    }
    written = next(e.body for e in sheets_api.request_log if e.path.endswith("values:batchUpdate"))
    assert written["valueInputOption"] == "RAW"
    assert len(written["data"]) == 5  # one rectangle per tab


# --- the trap: sheetsync's own writes after init ------------------------------------------------


def plan_statuses(server: SheetsApiServer, key: str) -> dict[str, str]:
    header, *rows = server.grid(key, "Plan")
    status = header.index("Status")
    return {row[0]: row[status] for row in rows}


def test_sync_after_init_writes_every_status_and_a_second_sync_writes_nothing(sheets_api):
    key, template = make(sheets_api)
    settings = settings_for(sheets_api)
    sheets_api.reset_counts()
    first = sheetsync.sync(GoogleBackend(key, settings), today=TODAY)
    assert first.written
    # init made every tab and column sync needs: no spreadsheets:batchUpdate, one values write.
    assert sheets_api.requests == {
        ("GET", "spreadsheets.get"): 1,
        ("GET", "values.batchGet"): 2,
        ("POST", "values.batchUpdate"): 1,
    }
    expected = {tactic["id"]: tactic["status"] for tactic in first.report.as_dict()["tactics"]}
    assert plan_statuses(sheets_api, key) == expected
    assert len(expected) == len(example_rows(template, "Plan"))
    assert set(expected.values()) >= {"Done", "On track", "Overdue", "Needs fix"}
    strategy = sheets_api.grid(key, "Strategy")
    status = strategy[0].index("Status")
    assert all(row[status] in ALL_STATUSES for row in strategy[1:])
    assert len(sheets_api.grid(key, "Checks")) == 1 + len(first.report.findings) > 1

    sheets_api.reset_counts()
    second = sheetsync.sync(GoogleBackend(key, settings), today=TODAY)
    assert not second.written
    assert ("POST", "values.batchUpdate") not in sheets_api.requests


def example_rows(template: WorkbookTemplate, tab: str) -> tuple[Any, ...]:
    return next(t for t in template.tabs if t.name == tab).rows


def test_sync_still_writes_when_a_user_makes_every_init_validation_strict(sheets_api):
    """No rule init sets lies on an owned column, so even a strict one could not refuse sync."""
    key, _ = make(sheets_api)
    strict = [
        {"setDataValidation": {**request, "rule": {**request["rule"], "strict": True}}}
        for request in format_requests_sent(sheets_api, "setDataValidation")
    ]
    assert len(strict) == 3
    gspread_client_for(settings_for(sheets_api)).open_by_key(key).batch_update({"requests": strict})
    # Set again on the same ranges: the later, strict rules are the ones in force.
    in_force = [rule["strict"] for _, rule in sheets_api.validations(key, "Plan")][3:]
    assert in_force == [True, True, True]
    assert sheetsync.sync(GoogleBackend(key, settings_for(sheets_api)), today=TODAY).written
    assert "Done" in plan_statuses(sheets_api, key).values()


def format_requests_sent(server: SheetsApiServer, kind: str) -> list[dict[str, Any]]:
    """The `kind` requests of every spreadsheets:batchUpdate sent so far."""
    return [
        request[kind]
        for entry in server.request_log
        if entry.path.endswith(":batchUpdate") and not entry.path.endswith("/values:batchUpdate")
        for request in entry.body["requests"]
        if kind in request
    ]


# --- failures: one sentence with the fix, and nothing half-made left unsaid ---------------------


def test_an_address_that_is_not_an_email_is_refused_before_any_request(sheets_api):
    with pytest.raises(sheetsync.UsageError, match="“maya.example.com” is not an e-mail address"):
        make(sheets_api, share_with=("maya.example.com",))
    assert sheets_api.requests == {}


def test_a_missing_key_file_is_named_before_any_request(sheets_api, tmp_path):
    with pytest.raises(WorkbookUnreachable, match="key file .*key.json does not exist"):
        make(sheets_api, credentials=str(tmp_path / "key.json"))
    assert sheets_api.requests == {}


def test_a_create_refused_for_quota_is_sent_again_and_makes_one_spreadsheet(sheets_api):
    sheets_api.inject(Fault.status(429, retry_after=0.1, route="spreadsheets.create"))
    make(sheets_api)  # asserts exactly one spreadsheet exists
    assert sheets_api.requests[("POST", "spreadsheets.create")] == 2


def test_a_create_that_is_never_answered_is_not_sent_again(sheets_api):
    # The create lands but its answer is lost: asking again would make a second spreadsheet.
    sheets_api.inject(Fault.lost(route="spreadsheets.create"))
    with pytest.raises(WorkbookUnreachable) as failure:
        make(sheets_api, timeout=0.3)
    host = sheets_api.endpoint.removeprefix("http://")
    assert str(failure.value) == (
        f"Google did not confirm that it made the spreadsheet “{TITLE}” (the connection to "
        f"{host} broke), and sheetsync does not ask twice in case the first request "
        "worked; run `sheetsync init --google` again, and if Google Drive then shows two "
        f"spreadsheets called “{TITLE}”, delete the empty one."
    )
    deadline = time.monotonic() + 5
    while not sheets_api.spreadsheet_keys() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sheets_api.spreadsheet_keys()) == 1
    assert sheets_api.requests == {("POST", "spreadsheets.create"): 1}


@pytest.mark.parametrize(
    ("fault", "what"),
    [
        (Fault.drop(route="spreadsheets.create"), "the connection to {host} broke"),
        (
            Fault.status(503, route="spreadsheets.create"),
            "503, {host} says: “The service is currently unavailable.”",
        ),
    ],
    ids=["dropped", "503"],
)
def test_a_create_whose_outcome_is_unknown_is_not_sent_again(sheets_api, fault, what):
    sheets_api.inject(fault)
    with pytest.raises(WorkbookUnreachable) as failure:
        make(sheets_api)
    host = sheets_api.endpoint.removeprefix("http://")
    assert str(failure.value).startswith(
        f"Google did not confirm that it made the spreadsheet “{TITLE}” "
        f"({what.format(host=host)}), and sheetsync does not ask twice"
    )
    assert sheets_api.requests == {("POST", "spreadsheets.create"): 1}


def test_an_account_that_may_not_create_is_told_to_use_its_own_google_account(sheets_api):
    sheets_api.set_may_create(False)
    with pytest.raises(WorkbookUnreachable) as failure:
        make(sheets_api)
    host = sheets_api.endpoint.removeprefix("http://")
    assert str(failure.value) == (
        "Google would not let the Google account sheetsync uses make a new spreadsheet "
        f"({host} says: “The caller does not have permission”); make it with your own Google "
        'account instead: run `sheetsync auth login`, set [google] credentials = "oauth" and '
        "run `sheetsync init --google` again."
    )
    assert sheets_api.requests == {("POST", "spreadsheets.create"): 1}


def test_credentials_without_the_sheets_scope_are_not_told_to_use_another_account(sheets_api):
    sheets_api.set_scopes_granted(False)
    with pytest.raises(WorkbookUnreachable) as failure:
        make(sheets_api)
    message = str(failure.value)
    assert message.startswith("These Google credentials may not use Google Sheets (")
    assert "Request had insufficient authentication scopes." in message
    assert "own Google account" not in message


def test_sheets_api_disabled_says_where_to_enable_it(sheets_api):
    sheets_api.set_api_enabled(False)
    with pytest.raises(WorkbookUnreachable, match="The Google Sheets API is not enabled"):
        make(sheets_api)
    assert sheets_api.spreadsheet_keys() == []


@pytest.mark.parametrize(
    ("fault", "step", "why"),
    [
        (
            Fault.status(503, route="drive.permissions.create"),
            f"share it with {OWNER}",
            "Google had a server problem (503, ",
        ),
        (
            Fault.status(500, route="spreadsheets.batchUpdate"),
            "format it",
            "Google had a server problem (500, ",
        ),
        (
            Fault.drop(route="values.batchUpdate"),
            "write its headers",
            "The connection to {host} failed",
        ),
    ],
    ids=["share", "format", "values"],
)
def test_a_failure_after_the_create_gives_the_url_of_the_unfinished_spreadsheet(
    sheets_api, fault, step, why
):
    sheets_api.inject(fault)
    with pytest.raises(WorkbookUnreachable) as failure:
        make(sheets_api, share_with=(OWNER,), retry_for_seconds=0)
    (key,) = sheets_api.spreadsheet_keys()
    message = str(failure.value)
    assert message.startswith(
        f"sheetsync made the spreadsheet “{TITLE}” ({edit_url(key)}) but could not {step}; "
        "delete it, then run `sheetsync init --google` again after this: "
        + why.format(host=sheets_api.endpoint.removeprefix("http://"))
    )
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
