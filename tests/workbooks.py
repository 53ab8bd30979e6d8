"""Small workbooks for tests: a clean baseline, and edits addressed by tab, row ID and header."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sheetsync.backends.memory import MemoryBackend

D = dt.date
TODAY = D(2026, 6, 15)

STRATEGY = [
    [
        "Goal ID",
        "Business Goal",
        "Marketing Goal",
        "Channels",
        "KPI",
        "Target",
        "Budget",
        "Start",
        "End",
        "Reviewed",
    ],
    [
        "G1",
        "Grow catering revenue",
        "Win office catering clients",
        "Email, Events",
        "Qualified leads",
        100,
        5000,
        D(2026, 1, 1),
        D(2026, 12, 31),
        D(2026, 1, 1),
    ],
    [
        "G2",
        "Fill weekday mornings",
        "Build the newsletter",
        "Email; Social",
        "Newsletter sign-ups",
        500,
        2000,
        D(2026, 3, 1),
        D(2026, 9, 30),
        D(2026, 3, 1),
    ],
]
PLAN = [
    [
        "Tactic ID",
        "Goal ID",
        "Activity",
        "Channel",
        "Owner",
        "Start",
        "Due",
        "Budget",
        "Spend",
        "Revenue",
        "Result",
        "Progress",
    ],
    [
        "T1",
        "G1",
        "Office mailer",
        "Email",
        "Ana",
        D(2026, 2, 1),
        D(2026, 6, 30),
        1000,
        400,
        1500,
        30,
        0.9,
    ],
    [
        "T2",
        "G1",
        "Tasting event",
        "Events",
        "Ben",
        D(2026, 5, 1),
        D(2026, 7, 31),
        2000,
        500,
        0,
        20,
        0.3,
    ],
    [
        "T3",
        "G2",
        "Sign-up form",
        "Social",
        "Cleo",
        D(2026, 3, 1),
        D(2026, 4, 30),
        500,
        300,
        None,
        250,
        "done",
    ],
]
CALENDAR = [
    ["Event", "Date", "Goal IDs", "Lead Days"],
    ["Office expo", D(2026, 7, 10), "G1", 30],
]

Edits = Mapping[tuple[str, str, str], Any]


def baseline_grids(edits: Edits | None = None) -> dict[str, list[list[Any]]]:
    """The clean workbook, with `edits` {(tab, row ID, header): value} applied.

    A row ID of "+" appends a row to that tab (value: the whole row).
    """
    grids = {
        "Strategy": [list(r) for r in STRATEGY],
        "Plan": [list(r) for r in PLAN],
        "Calendar": [list(r) for r in CALENDAR],
    }
    for (tab, row_id, header), value in (edits or {}).items():
        rows = grids[tab]
        if row_id == "+":
            rows.append(list(value))
            continue
        column = rows[0].index(header)
        row = next(r for r in rows[1:] if r[0] == row_id)
        row[column] = value
    return grids


def baseline(edits: Edits | None = None, **grids_kw: Any) -> MemoryBackend:
    return MemoryBackend.from_grids(baseline_grids(edits), title="Bean & Crumb", **grids_kw)


class TypedText(str):
    """Text a person typed with a leading apostrophe ('=IMPORTXML...): a text cell, even where
    it starts with "=". Plain strings starting with "=" are written as formulas."""


def write_xlsx(path, grids: Mapping[str, list[list[Any]]]) -> None:
    """Save grids as a real .xlsx file, dates as date cells."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in grids.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for row_number, row in enumerate(rows, 1):
            for column, value in enumerate(row, 1):
                if isinstance(value, TypedText):
                    sheet.cell(row_number, column).data_type = "s"
    book.save(path)
