"""The values that cross the backend seam: what a workbook holds and what to write to it.

Backends (xlsx, Google, memory) produce a `Workbook` and consume a `WritePlan`;
nothing above the seam knows which backend it talks to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal


@dataclass(frozen=True, slots=True)
class CellError:
    """A formula error shown in a cell, such as `#REF!` or `#DIV/0!`."""

    code: str

    def __str__(self) -> str:
        return self.code


# What a backend reads from one cell. Google serial-number dates arrive as numbers;
# the parser knows which columns hold dates and converts them.
CellValue = str | int | float | bool | dt.date | dt.datetime | CellError | None

# A cell's place: (tab name, 1-based row, 1-based column).
CellKey = tuple[str, int, int]

# How a written value should look; each backend maps these to its own formats.
CellKind = Literal["text", "number", "money", "percent", "date", "header"]


@dataclass(frozen=True, slots=True)
class Tab:
    """One sheet as a grid: rows[0] is the header row (the sheet's row 1).

    Rows may be ragged and stop at the last row holding a value.
    """

    name: str
    rows: tuple[tuple[CellValue, ...], ...]

    def value(self, row: int, column: int) -> CellValue:
        """The value at a 1-based sheet row and column, None past the data."""
        if row - 1 >= len(self.rows):
            return None
        cells = self.rows[row - 1]
        return cells[column - 1] if column - 1 < len(cells) else None

    @property
    def header(self) -> tuple[CellValue, ...]:
        return self.rows[0] if self.rows else ()


@dataclass(frozen=True, slots=True)
class Workbook:
    """Every tab of a spreadsheet, plus the settings that change how cells read."""

    title: str
    tabs: tuple[Tab, ...]
    locale: str | None = None  # e.g. "en_GB"; None when the file does not say
    timezone: str | None = None  # IANA name, e.g. "Europe/London"
    url: str | None = None  # where a person opens it (Google), or None
    # The formula text of each cell holding one, by (tab, row, column), where the read tells
    # (xlsx does; a memory workbook may be given them; Google's values do not say, and its
    # backend's `formulas()` asks for them), so a dry run can say which formula a write would
    # replace.
    formulas: Mapping[CellKey, str] = field(default_factory=dict)
    # Sheets that show a chart and hold no cells (a Google sheet of type OBJECT, an Excel chart
    # sheet): not tabs to read, but their names are taken, so no tab of sheetsync's gets one.
    charts: tuple[str, ...] = ()

    def formulas_in(self, cells: Collection[CellKey]) -> dict[CellKey, str]:
        """Those of `cells` that hold a formula, with it."""
        known = self.formulas
        return {cell: known[cell] for cell in cells if cell in known} if known else {}

    def find_tab(self, name: str) -> Tab | None:
        """The tab whose name matches, ignoring case and surrounding spaces."""
        found = matching_name((tab.name for tab in self.tabs), name)
        return next((tab for tab in self.tabs if tab.name == found), None)

    def find_chart(self, name: str) -> str | None:
        """The name of the chart sheet whose name matches, as find_tab matches a tab's."""
        return matching_name(self.charts, name)


def matching_name(names: Iterable[str], name: str) -> str | None:
    """The first of `names` that is `name`, ignoring case and surrounding spaces."""
    wanted = name.strip().casefold()
    return next((found for found in names if found.strip().casefold() == wanted), None)


@dataclass(frozen=True, slots=True)
class CellWrite:
    """One owned cell to set. `old` is what was read, for dry runs and guards."""

    tab: str
    row: int  # 1-based sheet row
    column: int  # 1-based sheet column
    value: str | int | float | None  # None clears the cell
    old: CellValue = None
    kind: CellKind = "text"
    old_formula: str | None = None  # the formula the cell held, which this write replaces

    @property
    def a1(self) -> str:
        return a1(self.row, self.column)


@dataclass(frozen=True, slots=True)
class Guard:
    """A cell that must still hold what was read when the write happens.

    Header cells and row-ID cells are guarded, so a row inserted or a header
    renamed by someone else between read and write stops the write.
    """

    tab: str
    row: int
    column: int
    expected: CellValue

    @property
    def cell(self) -> str:
        return a1(self.row, self.column)

    def holds(self, value: CellValue) -> bool:
        """Whether a cell read now still shows what this guard expects."""
        return guard_text(value) == guard_text(self.expected)


def guard_text(value: CellValue) -> str:
    """A cell as a person sees it, the one way every backend compares a guard.

    Blank for None or spaces, TRUE/FALSE, 7 for 7.0 (Google returns whole numbers as
    either), a date as 2026-03-01 (a datetime at midnight too: xlsx stores dates so).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


@dataclass(frozen=True, slots=True)
class WritePlan:
    """Everything a sync changes, applied by a backend all at once or not at all."""

    writes: tuple[CellWrite, ...] = ()
    guards: tuple[Guard, ...] = ()
    new_tabs: tuple[str, ...] = ()  # owned tabs to create before writing
    frozen_rows: dict[str, int] = field(default_factory=dict)  # header rows of new tabs

    def __bool__(self) -> bool:
        return bool(self.writes or self.new_tabs)


@cache  # asked for once per finding and per cell written: tens of thousands of times
def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def a1(row: int, column: int) -> str:
    return f"{column_letter(column)}{row}"


# The most characters a cell holds: Excel's limit (Google's is 50,000). Longer text would be
# cut by the file, read back different and rewritten on every sync.
CELL_TEXT_LIMIT = 32_767


def fit_in_a_cell(text: str, limit: int = CELL_TEXT_LIMIT) -> str:
    """`text`, or its start and an ellipsis when it is longer than `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
