"""Google Sheets backend: a workbook read in two API calls and written in one to three.

The requests it makes, and no others:

    read()   GET  spreadsheets/{key}?fields=...           titles, sheet ids, grid sizes, locale
             GET  spreadsheets/{key}/values:batchGet      sheetsync's tabs in full, and the first
                                                          rows of the others, at once
    apply()  GET  spreadsheets/{key}/values:batchGet      only the guarded header and ID cells
             POST spreadsheets/{key}:batchUpdate          only to add tabs, grow grids, format
             GET  spreadsheets/{key}/values:batchGet      the guards again, after that batchUpdate
             POST spreadsheets/{key}/values:batchUpdate   every cell, RAW; one per ~2 MB part

A write is never sent twice blindly: before each values write (a retry included) the guards
are read again, and after a failed spreadsheets:batchUpdate the metadata is read again and the
layout re-planned, so a retry neither lands on moved rows nor adds columns twice. The HTTP
layer (rate limit, timeouts, retries of reads) is google_http.py; every failure's sentence is
google_errors.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from json import dumps
from typing import TYPE_CHECKING, Any

from gspread.exceptions import APIError
from gspread.http_client import ParamsType

from sheetsync.backends.google_errors import (
    FAILURES,
    FailureContext,
    google_message,
    too_many_cells,
    too_much_text,
    unfinished_write,
    unreachable,
)
from sheetsync.backends.google_http import SheetsHttpClient, http_status, open_http_client
from sheetsync.backends.google_location import edit_url, spreadsheet_key
from sheetsync.errors import WorkbookChanged, WorkbookUnreachable
from sheetsync.workbook import (
    CellError,
    CellValue,
    CellWrite,
    Guard,
    Tab,
    Workbook,
    WritePlan,
    a1,
    guard_text,
)

if TYPE_CHECKING:
    from sheetsync.config import GoogleSettings

METADATA_FIELDS = (
    "properties(title,locale,timeZone),"
    "sheets(properties(sheetId,title,index,sheetType,gridProperties))"
)
READ_PARAMS: ParamsType = {
    "majorDimension": "ROWS",
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
}
# Tabs that are not sheetsync's are read only this far: enough to recognise one by its headers
# (a renamed Plan, headers moved down by a title row), never a user's large data tab in full.
OTHER_TAB_ROWS = 5
# What Google shows in a cell whose formula fails; UNFORMATTED_VALUE returns it as plain text.
FORMULA_ERRORS = frozenset(
    {"#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!"}
)
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


# --- the backend -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SheetGrid:
    """One sheet's id and size, as read; writes past the size need the grid grown first."""

    sheet_id: int
    title: str
    rows: int
    columns: int


class GoogleBackend:
    """A Google spreadsheet as a workbook: read in two requests, written in one to three.

    `tabs` names the tabs sheetsync uses (any case): they are read in full, every other tab
    only its first OTHER_TAB_ROWS rows. None reads every tab in full.
    """

    def __init__(
        self,
        location: str,
        settings: GoogleSettings,
        tabs: Iterable[str] | None = None,
        body_limit: int = REQUEST_BODY_LIMIT,
    ) -> None:
        key = spreadsheet_key(location)
        if key is None:
            raise WorkbookUnreachable(
                f"“{location}” is not a Google Sheets address; give the spreadsheet's URL "
                "(https://docs.google.com/spreadsheets/d/…/edit) or its key."
            )
        self.key = key
        self.url = edit_url(key)
        self._settings = settings
        self._wanted = None if tabs is None else {name.strip().casefold() for name in tabs}
        self._body_limit = body_limit
        self._http: SheetsHttpClient | None = None
        self._title: str | None = None
        self._grids: dict[str, SheetGrid] | None = None

    def read(self) -> Workbook:
        """sheetsync's tabs (and the top of the others), in one spreadsheets.get and one
        values:batchGet."""
        with self._explaining_failures():
            metadata = self._fetch_metadata()
            grids = _grids_from(metadata)
            value_ranges = self._batch_get([self._read_range(grid.title) for grid in grids])
        properties = metadata.get("properties", {})
        tabs = tuple(
            Tab(grid.title, _rows_from(value_range))
            for grid, value_range in zip(grids, value_ranges, strict=True)
        )
        return Workbook(
            title=properties.get("title", self.key),
            tabs=tabs,
            locale=properties.get("locale"),
            timezone=properties.get("timeZone"),
            url=self.url,
        )

    def apply(self, plan: WritePlan) -> None:
        """Check the guards, create/grow/format only if needed, then write every cell.

        Refuses (WorkbookUnreachable, nothing written) a plan past Google's limits.
        """
        if not plan:
            return
        refuse_past_limits(plan.writes)
        with self._explaining_failures():
            grids = self._grids if self._grids is not None else _grid_map(self._fetch_metadata())
            refuse_past_cell_limit(plan_layout(plan, grids).grids, self._failure_context())
            self._check_guards(plan.guards)
            self._grids, laid_out = self._lay_out(plan, grids)
            self._write_values(plan, guards_checked=not laid_out)

    def _read_range(self, title: str) -> str:
        if self._wanted is None or title.strip().casefold() in self._wanted:
            return quote_tab(title)
        return f"{quote_tab(title)}!1:{OTHER_TAB_ROWS}"

    @property
    def requests_sent(self) -> int:
        """Sheets API requests this backend has sent (the state store and the worker log)."""
        return self._http.sent if self._http is not None else 0

    def _client(self) -> SheetsHttpClient:
        if self._http is None:
            self._http = open_http_client(self._settings)
        return self._http

    def _fetch_metadata(self) -> dict[str, Any]:
        metadata = self._client().spreadsheets_get(self.key, params={"fields": METADATA_FIELDS})
        self._title = metadata.get("properties", {}).get("title")
        self._grids = _grid_map(metadata)
        return metadata

    def _batch_get(self, ranges: list[str]) -> list[dict[str, Any]]:
        if not ranges:
            return []
        reply = self._client().values_batch_get(self.key, ranges, params=dict(READ_PARAMS))
        return reply.get("valueRanges", [])

    def _check_guards(self, guards: tuple[Guard, ...], done: tuple[int, int] = (0, 1)) -> None:
        """Stop (WorkbookChanged) when a header or row ID differs from what was read; `done`
        is (parts written, parts) of a split write, for the sentence."""
        if not guards:
            return
        rectangles = guard_rectangles(guards)
        try:
            value_ranges = self._batch_get([rectangle.a1 for rectangle in rectangles])
        except APIError as error:
            if http_status(error) != 400:
                raise
            # Google cannot parse a range whose tab no longer exists.
            raise WorkbookChanged(_tab_gone_sentence(guards, error, done)) from error
        found = _cells_found(rectangles, value_ranges)
        for guard in guards:
            actual = found.get((guard.tab, guard.row, guard.column))
            if not guard.holds(actual):
                raise WorkbookChanged(_changed_sentence(guard, actual, done))

    def _lay_out(
        self, plan: WritePlan, grids: dict[str, SheetGrid]
    ) -> tuple[dict[str, SheetGrid], bool]:
        """Send the plan's spreadsheets:batchUpdate, if any; the grids after it, and whether
        anything was sent.

        batchUpdate is atomic but not idempotent: a retry after a lost answer would add the
        columns again. So every attempt after the first reads the grids again and sends only
        what is still missing.
        """
        layout = plan_layout(plan, grids)
        if not layout.requests:
            return layout.grids, False
        for attempt in self._client().write_attempts():
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    layout = plan_layout(plan, _grid_map(self._fetch_metadata()))
                if layout.requests:
                    layout = self._send_layout(plan, layout)
        return layout.grids, True

    def _send_layout(self, plan: WritePlan, layout: Layout) -> Layout:
        try:
            self._client().batch_update(self.key, {"requests": list(layout.requests)})
        except APIError as error:
            if http_status(error) != 400 or "already exists" not in google_message(error):
                raise
            # Someone (or an earlier attempt whose answer was lost) added that tab meanwhile.
            layout = plan_layout(plan, _grid_map(self._fetch_metadata()))
            if layout.requests:
                self._client().batch_update(self.key, {"requests": list(layout.requests)})
        return layout

    def _write_values(self, plan: WritePlan, guards_checked: bool) -> None:
        """Each part of the values write, each attempt preceded by a fresh look at the guards
        (skipped only when they were just read and nothing was sent since)."""
        bodies = value_update_bodies(plan.writes, self._body_limit)
        for number, body in enumerate(bodies):
            try:
                for attempt in self._client().write_attempts():
                    with attempt:
                        if not guards_checked:
                            self._check_guards(plan.guards, (number, len(bodies)))
                        guards_checked = False
                        self._client().values_batch_update(self.key, body)
            except FAILURES as error:
                if number == 0:
                    raise
                raise unfinished_write(
                    error, number, len(bodies), self._failure_context()
                ) from error

    @contextmanager
    def _explaining_failures(self) -> Iterator[None]:
        try:
            yield
        except FAILURES as error:
            raise unreachable(error, self._failure_context()) from error

    def _failure_context(self) -> FailureContext:
        account = self._http.account if self._http else None
        return FailureContext(self.key, self._title, self._settings, account)


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


# --- reading -----------------------------------------------------------------------------------


def _grids_from(metadata: Mapping[str, Any]) -> list[SheetGrid]:
    """The grid sheets in tab order; chart sheets hold no cells and are left out."""
    grids = []
    sheets = sorted(metadata.get("sheets", []), key=lambda s: s["properties"].get("index", 0))
    for sheet in sheets:
        properties = sheet["properties"]
        if properties.get("sheetType", "GRID") != "GRID":
            continue
        size = properties.get("gridProperties", {})
        grids.append(
            SheetGrid(
                properties["sheetId"],
                properties["title"],
                size.get("rowCount", 0),
                size.get("columnCount", 0),
            )
        )
    return grids


def _grid_map(metadata: Mapping[str, Any]) -> dict[str, SheetGrid]:
    return {grid.title: grid for grid in _grids_from(metadata)}


def _rows_from(value_range: Mapping[str, Any]) -> tuple[tuple[CellValue, ...], ...]:
    return tuple(tuple(cell_value(cell) for cell in row) for row in value_range.get("values", []))


def cell_value(raw: Any) -> CellValue:
    """A cell as read with UNFORMATTED_VALUE: error text becomes CellError, "" becomes None."""
    if isinstance(raw, str):
        if raw in FORMULA_ERRORS:
            return CellError(raw)
        return raw or None
    if isinstance(raw, bool | int | float):
        return raw
    return None if raw is None else str(raw)


def quote_tab(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


# --- guards ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rectangle:
    """A block of cells on one tab, 1-based and inclusive."""

    tab: str
    first_row: int
    last_row: int
    first_column: int
    last_column: int

    @property
    def a1(self) -> str:
        first, last = a1(self.first_row, self.first_column), a1(self.last_row, self.last_column)
        return f"{quote_tab(self.tab)}!{first}:{last}"


def guard_rectangles(guards: Iterable[Guard]) -> list[Rectangle]:
    """Few ranges covering every guard: a row range per header row, a column range per ID column."""
    columns_by_row: dict[tuple[str, int], list[int]] = defaultdict(list)
    for guard in guards:
        columns_by_row[(guard.tab, guard.row)].append(guard.column)
    rectangles = []
    rows_by_column: dict[tuple[str, int], list[int]] = defaultdict(list)
    for (tab, row), columns in columns_by_row.items():
        if len(columns) > 1:
            rectangles.append(Rectangle(tab, row, row, min(columns), max(columns)))
        else:
            rows_by_column[(tab, columns[0])].append(row)
    for (tab, column), rows in rows_by_column.items():
        rectangles.append(Rectangle(tab, min(rows), max(rows), column, column))
    return rectangles


def _cells_found(
    rectangles: list[Rectangle], value_ranges: list[dict[str, Any]]
) -> dict[tuple[str, int, int], Any]:
    found = {}
    for rectangle, value_range in zip(rectangles, value_ranges, strict=True):
        for row_offset, row in enumerate(value_range.get("values", [])):
            for column_offset, value in enumerate(row):
                cell = (rectangle.first_row + row_offset, rectangle.first_column + column_offset)
                found[(rectangle.tab, *cell)] = value
    return found


def _changed_sentence(guard: Guard, actual: Any, done: tuple[int, int]) -> str:
    was, now = _shown(guard_text(guard.expected)), _shown(guard_text(actual))
    return (
        f"The {guard.tab} tab changed while sheetsync was working (cell "
        f"{a1(guard.row, guard.column)} was {was}, now {now}), {_stopped(*done)}"
    )


def _tab_gone_sentence(guards: Iterable[Guard], error: APIError, done: tuple[int, int]) -> str:
    tabs = ", ".join(sorted({guard.tab for guard in guards}))
    return (
        f"A tab sheetsync writes to ({tabs}) was renamed or deleted while sheetsync was working "
        f"(Google says: “{google_message(error)}”), {_stopped(*done)}"
    )


def _stopped(written: int, parts: int) -> str:
    if not written:
        return "so nothing was written; the next run will try again."
    return (
        f"so sheetsync stopped after writing {written} of the {parts} parts of this sync; "
        "the next run writes the rest."
    )


def _shown(text: str) -> str:
    return f"“{text}”" if text else "empty"


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
