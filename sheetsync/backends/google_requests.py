"""The request bodies a Google write sends, planned from a WritePlan and the grids as read:
spreadsheets:batchUpdate requests (tabs to add, grids to grow, new cells to format) and
values:batchUpdate bodies in parts of about 2 MB. Pure functions; google.py sends them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from json import dumps
from typing import Any

from sheetsync.backends.google_errors import FailureContext, too_many_cells, too_much_text
from sheetsync.workbook import CellWrite, WritePlan, a1

# Google recommends request bodies of at most 2 MB ("Usage limits" in the Sheets API guide)
# and refuses those over 10 MiB; a values write is split into parts of about 2 MB.
REQUEST_BODY_LIMIT = 2_000_000
_ENVELOPE_BYTES = 1024  # {"valueInputOption": "RAW", "data": [...]} around the value ranges
# Google's hard limits: text in one cell, and cells in a whole spreadsheet (every tab's grid).
CELL_CHARACTERS_LIMIT = 50_000
SPREADSHEET_CELLS_LIMIT = 10_000_000
# A new tab is Google's default 1000 rows deep, or deeper when the first write needs it, and
# exactly as wide as what is written to it (a Checks tab of 8 headers is 8 columns wide).
NEW_TAB_ROWS = 1000
HEADER_FORMAT = {
    "textFormat": {"bold": True},
    "backgroundColor": {"red": 0.9, "green": 0.9, "blue": 0.9},
}
# Only these fields change: the header keeps the user's font, size and borders.
HEADER_FIELDS = "userEnteredFormat(textFormat.bold,backgroundColor)"
# Patterns left out follow the spreadsheet's locale (currency symbol, date order).
NUMBER_FORMATS: dict[str, dict[str, str]] = {
    "percent": {"type": "PERCENT", "pattern": "0%"},
    "money": {"type": "CURRENCY"},
    "date": {"type": "DATE"},
}


@dataclass(frozen=True, slots=True)
class SheetGrid:
    """One sheet's id and size, as read; writes past the size need the grid grown first."""

    sheet_id: int
    title: str
    rows: int
    columns: int


def quote_tab(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


# --- Google's limits, checked before anything is sent --------------------------------------------


def refuse_past_limits(writes: Iterable[CellWrite]) -> None:
    """WorkbookUnreachable when a written text is longer than a Google cell holds."""
    for write in writes:
        if isinstance(write.value, str) and len(write.value) > CELL_CHARACTERS_LIMIT:
            raise too_much_text(write, CELL_CHARACTERS_LIMIT)


def refuse_past_cell_limit(grids: Mapping[str, SheetGrid], context: FailureContext) -> None:
    """WorkbookUnreachable when the grids, grown for this write, pass Google's cell limit."""
    cells = sum(grid.rows * grid.columns for grid in grids.values())
    if cells > SPREADSHEET_CELLS_LIMIT:
        raise too_many_cells(cells, SPREADSHEET_CELLS_LIMIT, context)


# --- creating, growing and formatting ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """The spreadsheets:batchUpdate requests a plan needs, and the grids once they are done."""

    requests: tuple[dict[str, Any], ...]
    grids: dict[str, SheetGrid]


def plan_layout(plan: WritePlan, grids: Mapping[str, SheetGrid]) -> Layout:
    """Tabs to add, grids to grow (Google refuses writes past a grid) and new cells to format."""
    after = dict(grids)
    extents = _extents(plan.writes)
    requests: list[dict[str, Any]] = []
    next_id = max((grid.sheet_id for grid in after.values()), default=0) + 1
    for title in plan.new_tabs:
        if _find_grid(after, title) is None:
            rows, columns = extents.get(title, (0, 0))
            grid = SheetGrid(next_id, title, max(rows, NEW_TAB_ROWS), max(columns, 1))
            requests.append(_add_sheet(grid, plan.frozen_rows.get(title, 1)))
            after[title], next_id = grid, next_id + 1
    for title, (rows, columns) in extents.items():
        found = _find_grid(after, title)
        if found is not None:  # else the values write names the missing tab
            requests += _grow(found, rows, columns)
            after[found.title] = replace(
                found, rows=max(rows, found.rows), columns=max(columns, found.columns)
            )
    requests += _format_requests(plan.writes, after)
    return Layout(tuple(requests), after)


def added_tab_ids(layout: Layout) -> set[int]:
    """The sheet ids of the tabs a layout adds. sheetsync picks them, so a tab found later under
    one of those titles with one of these ids is its own (a send whose answer was lost)."""
    return {
        request["addSheet"]["properties"]["sheetId"]
        for request in layout.requests
        if "addSheet" in request
    }


def tab_made_by_others(
    plan: WritePlan, grids: Mapping[str, SheetGrid], ours: Collection[int]
) -> str | None:
    """The title of a tab the plan means to add that someone else has made since the read."""
    for title in plan.new_tabs:
        found = _find_grid(grids, title)
        if found is not None and found.sheet_id not in ours:
            return found.title
    return None


def _extents(writes: Iterable[CellWrite]) -> dict[str, tuple[int, int]]:
    extents: dict[str, tuple[int, int]] = {}
    for write in writes:
        rows, columns = extents.get(write.tab, (0, 0))
        extents[write.tab] = (max(rows, write.row), max(columns, write.column))
    return extents


def _find_grid(grids: Mapping[str, SheetGrid], title: str) -> SheetGrid | None:
    if title in grids:
        return grids[title]
    wanted = title.strip().casefold()
    return next((g for g in grids.values() if g.title.strip().casefold() == wanted), None)


def _add_sheet(grid: SheetGrid, frozen_rows: int) -> dict[str, Any]:
    size = {"rowCount": grid.rows, "columnCount": grid.columns, "frozenRowCount": frozen_rows}
    properties = {"sheetId": grid.sheet_id, "title": grid.title, "gridProperties": size}
    return {"addSheet": {"properties": properties}}


def _grow(grid: SheetGrid, rows: int, columns: int) -> list[dict[str, Any]]:
    # appendDimension only adds blank rows/columns at the end: it never shifts a user's cells.
    growth = [("ROWS", rows - grid.rows), ("COLUMNS", columns - grid.columns)]
    return [
        {"appendDimension": {"sheetId": grid.sheet_id, "dimension": dimension, "length": length}}
        for dimension, length in growth
        if length > 0
    ]


def _format_requests(writes: Iterable[CellWrite], grids: Mapping[str, SheetGrid]) -> list[dict]:
    """Style new header cells, and give a new column its number format (percent, money, date)."""
    headers: dict[tuple[str, int], CellWrite] = {}
    number_kinds: dict[tuple[str, int], str] = {}
    for write in writes:
        if write.kind == "header":
            headers[(write.tab, write.column)] = write
        elif write.kind in NUMBER_FORMATS:
            number_kinds.setdefault((write.tab, write.column), write.kind)
    requests = []
    for (tab, column), header in headers.items():
        grid = _find_grid(grids, tab)
        if grid is None:
            continue
        header_cell = (header.row, header.row + 1)
        requests.append(
            _repeat_cell(grid.sheet_id, header_cell, column, HEADER_FORMAT, HEADER_FIELDS)
        )
        kind = number_kinds.get((tab, column))
        if kind is not None:  # the whole column below the header, rows to come included
            number = {"numberFormat": NUMBER_FORMATS[kind]}
            below = (header.row + 1, None)
            fields = "userEnteredFormat.numberFormat"
            requests.append(_repeat_cell(grid.sheet_id, below, column, number, fields))
    return requests


def _repeat_cell(
    sheet_id: int,
    rows: tuple[int, int | None],
    column: int,
    cell_format: dict[str, Any],
    fields: str,
) -> dict[str, Any]:
    """Set `fields` of `cell_format` on rows [first, end) of one column; end None = to the end."""
    first_row, end_row = rows
    cell_range = {
        "sheetId": sheet_id,
        "startRowIndex": first_row - 1,
        "startColumnIndex": column - 1,
        "endColumnIndex": column,
    }
    if end_row is not None:
        cell_range["endRowIndex"] = end_row - 1
    cell = {"userEnteredFormat": cell_format}
    return {"repeatCell": {"range": cell_range, "cell": cell, "fields": fields}}


# --- writing values ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    """Written cells forming a rectangle: same columns on consecutive rows of one tab."""

    tab: str
    first_row: int
    first_column: int
    width: int
    rows: list[list[Any]]
    size: int  # bytes of this block's JSON in the request body

    def takes(self, run: _Run, size: int, budget: int) -> bool:
        """Whether `run` is this rectangle's next row and still fits in one request body."""
        same_columns = (self.tab, self.first_column, self.width) == (
            run.tab,
            run.first_column,
            run.width,
        )
        next_row = self.first_row + len(self.rows) == run.row
        return same_columns and next_row and self.size + size <= budget

    def value_range(self) -> dict[str, Any]:
        last_row = self.first_row + len(self.rows) - 1
        last = a1(last_row, self.first_column + self.width - 1)
        cells = f"{a1(self.first_row, self.first_column)}:{last}"
        return {"range": f"{quote_tab(self.tab)}!{cells}", "values": self.rows}


def value_update_bodies(
    writes: Iterable[CellWrite], limit_bytes: int = REQUEST_BODY_LIMIT
) -> list[dict[str, Any]]:
    """values:batchUpdate bodies (RAW) carrying every write; more than one only past the limit."""
    budget = limit_bytes - _ENVELOPE_BYTES
    bodies: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []
    used = 0
    for block in _blocks(writes, budget):
        if data and used + block.size > budget:
            bodies.append(_values_body(data))
            data, used = [], 0
        data.append(block.value_range())
        used += block.size
    if data:
        bodies.append(_values_body(data))
    return bodies


def _values_body(data: list[dict[str, Any]]) -> dict[str, Any]:
    # RAW: Google stores the text as typed, so "=IMPORTXML(...)" or "+1 555" is never parsed.
    return {"valueInputOption": "RAW", "data": data}


def _blocks(writes: Iterable[CellWrite], budget: int) -> Iterator[_Block]:
    """Row runs stacked into rectangles, each small enough for one request body."""
    runs = sorted(_row_runs(writes), key=lambda r: (r.tab, r.first_column, r.width, r.row))
    block: _Block | None = None
    for run in runs:
        size = len(dumps(run.values)) + 2  # and the ", " that separates rows
        if block is not None and block.takes(run, size, budget):
            block.rows.append(run.values)
            block.size += size
            continue
        if block is not None:
            yield block
        range_size = len(dumps({"range": f"{quote_tab(run.tab)}!A1:A1", "values": []})) + 24
        block = _Block(
            run.tab, run.row, run.first_column, run.width, [run.values], range_size + size
        )
    if block is not None:
        yield block


@dataclass(slots=True)
class _Run:
    """Adjacent written cells in one row."""

    tab: str
    row: int
    first_column: int
    values: list[Any]

    @property
    def width(self) -> int:
        return len(self.values)


def _row_runs(writes: Iterable[CellWrite]) -> Iterator[_Run]:
    run: _Run | None = None
    for write in sorted(writes, key=lambda w: (w.tab, w.row, w.column)):
        value = "" if write.value is None else write.value  # "" clears the cell
        if run is not None and (run.tab, run.row, run.first_column + run.width) == (
            write.tab,
            write.row,
            write.column,
        ):
            run.values.append(value)
            continue
        if run is not None:
            yield run
        run = _Run(write.tab, write.row, write.column, [value])
    if run is not None:
        yield run
