"""The request bodies a Google write sends, planned without a server: values:batchUpdate
bodies split at about 2 MB, value ranges as rectangles. The requests' effect on a spreadsheet
is tested through gspread and the test server in test_google_backend.py."""

from __future__ import annotations

import json

from sheetsync.backends.google_requests import REQUEST_BODY_LIMIT, value_update_bodies
from sheetsync.workbook import CellWrite


def status_writes(rows: int, text: str = "On track") -> list[CellWrite]:
    return [CellWrite("Plan", row, 11, text) for row in range(2, rows + 2)]


def test_one_values_request_carries_every_cell_up_to_googles_payload_limit():
    bodies = value_update_bodies(status_writes(100_000))
    assert len(bodies) == 1
    assert bodies[0]["valueInputOption"] == "RAW"
    assert bodies[0]["data"] == [{"range": "'Plan'!K2:K100001", "values": [["On track"]] * 100_000}]


def test_a_values_write_is_split_into_parts_of_about_2_mb_as_google_recommends():
    text = "x" * 1000
    bodies = value_update_bodies(status_writes(12_000, text))  # about 12 MB of cell text
    assert REQUEST_BODY_LIMIT == 2_000_000
    assert len(bodies) == 7
    assert all(len(json.dumps(body).encode()) <= REQUEST_BODY_LIMIT for body in bodies)
    written = [row for body in bodies for part in body["data"] for row in part["values"]]
    assert written == [[text]] * 12_000


def test_value_ranges_are_rectangles_of_adjacent_cells_and_none_clears():
    writes = [
        CellWrite("Plan", 2, 11, "Done"),
        CellWrite("Plan", 2, 12, 0.5, kind="percent"),
        CellWrite("Plan", 3, 11, "Overdue"),
        CellWrite("Plan", 3, 12, None),
        CellWrite("Plan", 7, 11, None),
        CellWrite("It's", 1, 1, "=IMPORTXML(1)"),
    ]
    (body,) = value_update_bodies(writes)
    assert {part["range"]: part["values"] for part in body["data"]} == {
        "'It''s'!A1:A1": [["=IMPORTXML(1)"]],
        "'Plan'!K2:L3": [["Done", 0.5], ["Overdue", ""]],
        "'Plan'!K7:K7": [[""]],
    }


def test_scattered_cells_are_split_into_parts_of_about_2_mb_too():
    # Every other row: each cell is a range of its own, so the ranges' own bytes count.
    writes = [CellWrite("Plan", row, 11, "On track") for row in range(2, 120_002, 2)]
    sizes = [len(json.dumps(body).encode()) for body in value_update_bodies(writes)]
    assert all(size <= REQUEST_BODY_LIMIT for size in sizes)
    assert len(sizes) > 1 and all(size > 1_500_000 for size in sizes[:-1])
    bodies = value_update_bodies(writes)
    ranges = [part["range"] for body in bodies for part in body["data"]]
    assert ranges == [f"'Plan'!K{row}:K{row}" for row in range(2, 120_002, 2)]
