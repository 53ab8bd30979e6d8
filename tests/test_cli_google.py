"""The `sheetsync` command on a Google spreadsheet: a real subprocess, the real gspread client,
HTTP to the Sheets API test server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from workbooks import TODAY, baseline_grids

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
SERIAL_EPOCH = dt.date(1899, 12, 30)


@pytest.fixture
def spreadsheet(sheets_api, tmp_path):
    """A spreadsheet on the test server, its URL, and a config pointing sheetsync at the server."""
    tabs = {
        name: [
            [(v - SERIAL_EPOCH).days if isinstance(v, dt.date) else v for v in row] for row in rows
        ]
        for name, rows in baseline_grids({("Plan", "T2", "Channel"): "TikTok"}).items()
    }
    key = sheets_api.add_spreadsheet(
        "Bean & Crumb", tabs, locale="en_GB", time_zone="Europe/London"
    )
    config = tmp_path / "sheetsync.toml"
    config.write_text(
        f'[google]\nendpoint = "{sheets_api.endpoint}"\ncredentials = "none"\n'
        "requests_per_minute = 6000\nretry_for_seconds = 1\n"
    )
    return key, f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0", tmp_path


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SHEETSYNC, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_check_and_sync_a_google_spreadsheet(sheets_api, spreadsheet):
    key, url, folder = spreadsheet
    check = run(
        folder, "check", "--workbook", url, "--today", TODAY.isoformat(), "--format", "json"
    )
    assert check.returncode == 0, check.stderr  # one warning; fail-on error
    report = json.loads(check.stdout)
    assert report["workbook"] == "Bean & Crumb"
    assert [(f["code"], f["cell"]) for f in report["findings"]] == [("SS304", "D3")]
    sheets_api.reset_counts()
    first = run(folder, "sync", "--workbook", url, "--today", TODAY.isoformat())
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Wrote ")
    # read (2), guards, layout, guards again, values
    assert sum(sheets_api.requests.values()) == 6
    assert sheets_api.grid(key, "Plan")[0][-4:] == ["Status", "ROI", "Cost per Result", "Issues"]
    sheets_api.reset_counts()
    second = run(folder, "sync", "--workbook", key, "--today", TODAY.isoformat())
    assert second.stdout.startswith("Nothing to change")
    assert sum(sheets_api.requests.values()) == 2  # one metadata read, one values read


def test_dry_run_names_a_formula_of_yours_that_sync_would_replace(sheets_api, spreadsheet):
    key, url, folder = spreadsheet
    assert run(folder, "sync", "--workbook", url, "--today", TODAY.isoformat()).returncode == 0
    sheets_api.type_cell(key, "Plan", "N3", "=J3-I3")  # T2's ROI: a profit formula of theirs
    sheets_api.reset_counts()
    dry = run(folder, "sync", "--workbook", url, "--today", TODAY.isoformat(), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Plan!N3: =J3-I3 -> -1 (replaces the formula)" in dry.stdout.splitlines()
    assert sum(sheets_api.requests.values()) == 3  # metadata, values, and the formulas
    assert sheets_api.grid(key, "Plan")[2][13] == "#NAME?"  # nothing written


def test_a_spreadsheet_with_a_chart_sheet_is_checked_and_synced_around_it(sheets_api, spreadsheet):
    # The owner moved a spend chart to a sheet of its own, between Strategy and Plan.
    key, url, folder = spreadsheet
    chart = sheets_api.add_chart_sheet(key, "Spend chart", index=1)
    check = run(
        folder, "check", "--workbook", url, "--today", TODAY.isoformat(), "--format", "json"
    )
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert [(f["code"], f["tab"], f["cell"]) for f in report["findings"]] == [
        ("SS304", "Plan", "D3")
    ]
    assert [g["id"] for g in report["goals"]] == ["G1", "G2"]

    sync = run(folder, "sync", "--workbook", url, "--today", TODAY.isoformat())

    assert sync.returncode == 0, sync.stderr
    assert sheets_api.grid(key, "Plan")[0][-4:] == ["Status", "ROI", "Cost per Result", "Issues"]
    assert sheets_api.grid(key, "Checks")[1][:4] == ["warning", "SS304", "Plan", "D3"]
    assert sheets_api.sheets(key) == [
        ("Strategy", "GRID"),
        ("Spend chart", "OBJECT"),
        ("Plan", "GRID"),
        ("Calendar", "GRID"),
        ("Checks", "GRID"),
    ]
    assert sheets_api.sheet_properties(key, "Spend chart")["sheetId"] == chart


def test_a_chart_sheet_named_checks_is_left_alone_and_the_rest_is_synced(sheets_api, spreadsheet):
    key, url, folder = spreadsheet
    sheets_api.add_chart_sheet(key, "Checks", index=3)
    chart = sheets_api.sheet_properties(key, "Checks")

    sync = run(folder, "sync", "--workbook", url, "--today", TODAY.isoformat())

    # The figures are written; sheetsync's findings are not, and it says where and what to do.
    assert sync.returncode == 1, sync.stderr
    shown = " ".join(sync.stdout.split())
    assert (
        'The "Checks" tab is not one sheetsync made, so sheetsync leaves it alone and does not '
        "write the findings of each sync there." in shown
    )
    assert 'Rename your "Checks" tab' in shown
    assert '[tabs] checks = "sheetsync Checks"' in shown
    assert sheets_api.grid(key, "Plan")[0][-4:] == ["Status", "ROI", "Cost per Result", "Issues"]
    assert sheets_api.sheet_properties(key, "Checks") == chart
    assert [title for title, _ in sheets_api.sheets(key)] == [
        "Strategy",
        "Plan",
        "Calendar",
        "Checks",
    ]


def test_a_chart_sheet_with_the_name_of_the_plan_tab_is_named_in_the_finding(
    sheets_api, spreadsheet
):
    # The plan tab was renamed, and a chart moved to a sheet of its own took the name "Plan".
    key, url, folder = spreadsheet
    plan = sheets_api.sheet_properties(key, "Plan")["sheetId"]
    rename = {"properties": {"sheetId": plan, "title": "Marketing plan"}, "fields": "title"}
    requests.post(
        f"{sheets_api.endpoint}/v4/spreadsheets/{key}:batchUpdate",
        json={"requests": [{"updateSheetProperties": rename}]},
        timeout=5,
    ).raise_for_status()
    sheets_api.add_chart_sheet(key, "Plan", index=2)

    check = run(folder, "check", "--workbook", url, "--today", TODAY.isoformat())

    assert check.returncode == 1
    shown = " ".join(check.stdout.split())
    assert (
        'The workbook has no Plan tab ("Plan" is a chart on a sheet of its own, with no cells; '
        "rename it)." in shown
    )
    assert '[tabs] plan = "Marketing plan"' in shown


def test_unshared_spreadsheet_exits_3_with_the_fix(sheets_api, spreadsheet):
    key, url, folder = spreadsheet
    sheets_api.set_shared(key, False)
    before = sheets_api.grid(key, "Plan")
    result = run(folder, "sync", "--workbook", url)
    assert result.returncode == 3
    assert "share" in result.stderr.lower() and "Editor" in result.stderr
    assert sheets_api.grid(key, "Plan") == before


def test_unknown_spreadsheet_exits_3(spreadsheet):
    _, _, folder = spreadsheet
    result = run(folder, "check", "--workbook", "1" + "x" * 43)
    assert result.returncode == 3
    assert "1" + "x" * 43 in result.stderr


def test_no_credentials_for_google_itself_is_a_config_error(tmp_path):
    (tmp_path / "sheetsync.toml").write_text('[google]\ncredentials = "none"\n')
    result = run(tmp_path, "check", "--workbook", "1" + "x" * 43)
    assert result.returncode == 2
    assert "`google`" in result.stderr and "endpoint" in result.stderr


def test_init_google_then_sync(sheets_api, spreadsheet):
    _, _, folder = spreadsheet
    init = run(
        folder,
        "init",
        "--google",
        "--example",
        "--title",
        "Bean & Crumb",
        "--share",
        "owner@example.com",
        "--today",
        "2026-11-23",
    )
    assert init.returncode == 0, init.stderr
    url = init.stdout.split()[1]
    assert url.startswith("https://docs.google.com/spreadsheets/d/")
    key = url.split("/d/")[1].split("/")[0]
    assert [p["emailAddress"] for p in sheets_api.permissions(key)] == ["owner@example.com"]
    sync = run(folder, "sync", "--workbook", url, "--today", "2026-11-23")
    assert sync.returncode == 0, sync.stderr
    assert "1 error, 7 warnings in 5 goals, 25 tactics and 4 events." in sync.stdout


def test_init_needs_a_path_or_google(tmp_path):
    result = run(tmp_path, "init", "--example")
    assert result.returncode == 2
    assert "--path" in result.stderr and "--google" in result.stderr


def test_init_google_with_a_bad_address_sends_nothing(sheets_api, spreadsheet):
    _, _, folder = spreadsheet
    before = sheets_api.spreadsheet_keys()
    result = run(folder, "init", "--google", "--share", "not-an-address")
    assert result.returncode == 2
    assert "not-an-address" in result.stderr
    assert sheets_api.spreadsheet_keys() == before


@pytest.mark.parametrize(
    ("address", "sentence"),
    [
        (
            "https://docs.google.com/spreadsheets/d/1ieRgnZ296Cc/edit#gid=0",
            "is a Google Sheets address, but its key “1ieRgnZ296Cc” is incomplete or mistyped",
        ),
        (
            "https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pubhtml",
            "is a published (read-only) copy of a spreadsheet",
        ),
        ("https://example.com/marketing.xlsx", "is a web address, but sheetsync opens only"),
    ],
    ids=["short-key", "published", "other-site"],
)
def test_a_web_address_sheetsync_cannot_open_is_told_as_an_address(tmp_path, address, sentence):
    """Not taken for a file path ("https:/docs.google.com/... does not exist")."""
    result = run(tmp_path, "check", "--workbook", address)
    assert result.returncode == 3
    assert f"“{address}” {sentence}" in result.stderr
    assert "https:/d" not in result.stderr and "https:/e" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_credentials_without_the_sheets_scope_exit_3_with_the_fix(sheets_api, spreadsheet):
    key, url, folder = spreadsheet
    sheets_api.set_scopes_granted(False)
    result = run(folder, "sync", "--workbook", url)
    assert result.returncode == 3
    assert "These Google credentials may not use Google Sheets (" in result.stderr
    assert "Share" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
