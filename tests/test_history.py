"""The History tab: a month's rows appended once per goal, on every backend, through the same
write path as sync; a user's own History tab is never written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_backends import google_handle, memory_handle, xlsx_handle
from workbooks import baseline_grids

from sheetsync import api
from sheetsync.config import validate_settings
from sheetsync.schema import HISTORY_HEADERS

D = dt.date


@pytest.fixture(params=["memory", "xlsx", "google"])
def book(request, tmp_path):
    def build(extra_tabs=None):
        grids = {**baseline_grids(), **(extra_tabs or {})}
        if request.param == "memory":
            return memory_handle(grids, None)
        if request.param == "xlsx":
            return xlsx_handle(grids, tmp_path)
        return google_handle(grids, request.getfixturevalue("sheets_api"))

    return build


def settings(tmp_path: Path, state: str = "state.db"):
    return validate_settings(
        {
            "summary": {"to": ["owner@example.com"], "outbox": str(tmp_path / "outbox")},
            "state": {"path": str(tmp_path / state)},
        }
    )


def history(backend) -> list[list]:
    tab = backend.read().find_tab("History")
    assert tab is not None
    return [list(row) for row in tab.rows]


def test_each_goals_row_is_appended_once_however_often_the_month_is_sent(book, tmp_path):
    handle = book()
    first = api.send_summary(handle.open(), today=D(2026, 7, 1), settings=settings(tmp_path))
    assert first.history == "Added 2 rows for June 2026 to the History tab."
    again = api.send_summary(handle.open(), today=D(2026, 7, 2), settings=settings(tmp_path))
    assert again.outcome.already
    assert again.history == "The History tab already has June 2026's rows."
    forced = api.send_summary(
        handle.open(), today=D(2026, 7, 2), settings=settings(tmp_path), force=True
    )
    assert not forced.outcome.already
    # A state store lost or replaced: the tab itself is read back, so still no second row.
    other_store = settings(tmp_path, "new.db")
    fresh = api.send_summary(handle.open(), today=D(2026, 7, 3), settings=other_store)
    assert not fresh.outcome.already and "already has June 2026" in fresh.history
    rows = history(handle.open())
    assert [str(cell) for cell in rows[0]] == list(HISTORY_HEADERS)
    assert [(row[0], row[1], row[-1]) for row in rows[1:]] == [
        ("2026-06", "G1", "On track"),
        ("2026-06", "G2", "On track"),
    ]
    g1 = rows[1]
    assert float(g1[2]) == 900 and float(g1[3]) == 1500 and float(g1[4]) == 50
    assert float(g1[5]) == pytest.approx(0.5)
    api.send_summary(handle.open(), today=D(2026, 8, 1), settings=settings(tmp_path))
    assert [row[0] for row in history(handle.open())[1:]] == ["2026-06"] * 2 + ["2026-07"] * 2


def test_a_users_own_history_tab_is_left_alone(book, tmp_path):
    mine = [["Date", "What happened"], ["2026-05-02", "Launched the website"]]
    handle = book({"History": mine})
    sent = api.send_summary(handle.open(), today=D(2026, 7, 1), settings=settings(tmp_path))
    assert not sent.outcome.already and not sent.history_failed
    assert sent.history == (
        "The History tab has headers of its own (row 1), so it is yours and sheetsync added no "
        "June 2026 rows to it. Rename that tab, or set [tabs] history to another name for "
        "sheetsync's."
    )
    assert history(handle.open()) == mine


def test_a_chart_sheet_named_history_is_left_alone(sheets_api, tmp_path):
    # On Google, a chart moved to a sheet of its own called History: no cells to append to.
    handle = google_handle(baseline_grids(), sheets_api)
    key = handle.open().key
    sheets_api.add_chart_sheet(key, "History", index=3)
    sent = api.send_summary(handle.open(), today=D(2026, 7, 1), settings=settings(tmp_path))
    assert not sent.outcome.already and not sent.history_failed
    assert sent.history == (
        "The History tab is a chart, so it is yours and sheetsync added no June 2026 rows to "
        "it. Rename that tab, or set [tabs] history to another name for sheetsync's."
    )
    assert sheets_api.sheets(key)[3] == ("History", "OBJECT")


def test_a_history_tab_sheetsync_started_keeps_what_people_add_below(book, tmp_path):
    ours = [list(HISTORY_HEADERS), ["2026-05", "G1", 100, 0, 10, 0.1, None, "On track"]]
    handle = book({"History": ours})
    api.send_summary(handle.open(), today=D(2026, 7, 1), settings=settings(tmp_path))
    rows = history(handle.open())
    assert [row[:2] for row in rows[1:]] == [
        ["2026-05", "G1"],
        ["2026-06", "G1"],
        ["2026-06", "G2"],
    ]
