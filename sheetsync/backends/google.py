"""Google Sheets backend: a workbook read in two API calls and written in one to three.

The requests it makes, and no others:

    read()   GET  spreadsheets/{key}?fields=...           titles, sheet ids, grid sizes, locale
             GET  spreadsheets/{key}/values:batchGet      sheetsync's tabs in full, and the first
                                                          rows of the others, at once
    formulas() GET spreadsheets/{key}/values:batchGet    the columns a dry run would write, with
                                                          valueRenderOption=FORMULA (only
                                                          `sync --dry-run` asks; a sync never does)
    apply()  GET  spreadsheets/{key}/values:batchGet      only the guarded header and ID cells
             POST spreadsheets/{key}:batchUpdate          only to add tabs, grow grids, format
             GET  spreadsheets/{key}/values:batchGet      the guards again, after that batchUpdate
             POST spreadsheets/{key}/values:batchUpdate   every cell, RAW; one per ~2 MB part

A write is never sent twice blindly: before each values write (a retry included) the guards
are read again, and after a failed spreadsheets:batchUpdate the metadata is read again and the
layout re-planned, so a retry neither lands on moved rows nor adds columns twice. The HTTP
layer (rate limit, timeouts, retries of reads) is google_http.py; the bodies of the writes are
planned in google_requests.py; every failure's sentence is google_errors.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gspread.exceptions import APIError
from gspread.http_client import ParamsType

from sheetsync.backends.google_errors import (
    FAILURES,
    FailureContext,
    google_message,
    unfinished_write,
    unreachable,
)
from sheetsync.backends.google_http import SheetsHttpClient, http_status, open_http_client
from sheetsync.backends.google_location import edit_url, spreadsheet_key
from sheetsync.backends.google_requests import (
    REQUEST_BODY_LIMIT,
    Layout,
    SheetGrid,
    added_tab_ids,
    plan_layout,
    quote_tab,
    refuse_past_cell_limit,
    refuse_past_limits,
    tab_made_by_others,
    value_update_bodies,
)
from sheetsync.errors import WorkbookChanged, WorkbookUnreachable, tab_added_meanwhile
from sheetsync.workbook import (
    CellError,
    CellKey,
    CellValue,
    Guard,
    Tab,
    Workbook,
    WritePlan,
    a1,
    guard_text,
    matching_name,
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
# --- the backend -------------------------------------------------------------------------------


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
        self._read: Workbook | None = None  # the last read, to tell a formula from text

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
        self._read = Workbook(
            title=properties.get("title", self.key),
            tabs=tabs,
            locale=properties.get("locale"),
            timezone=properties.get("timeZone"),
            url=self.url,
            charts=_chart_titles(metadata),
        )
        return self._read

    def formulas(self, cells: Collection[CellKey]) -> dict[CellKey, str]:
        """The formulas in `cells`, in one values:batchGet rendering FORMULA over each written
        column's rows (the values read say nothing of formulas). Cells past the grid, or on a
        tab yet to be made, hold none and are not asked for."""
        rectangles = _column_rectangles(cells, self._grids or {})
        if not rectangles or self._read is None:
            return {}
        params = {**READ_PARAMS, "valueRenderOption": "FORMULA"}
        with self._explaining_failures():
            reply = self._client().values_batch_get(
                self.key, [rectangle.a1 for rectangle in rectangles], params=params
            )
        found = _cells_found(rectangles, reply.get("valueRanges", []))
        wanted = set(cells)
        return {
            cell: shown
            for cell, shown in found.items()
            if cell in wanted and _is_formula(shown, self._read, cell)
        }

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
        ours = added_tab_ids(layout)
        for attempt in self._client().write_attempts():
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    layout = self._lay_out_again(plan, ours)
                if layout.requests:
                    layout = self._send_layout(plan, layout, ours)
        return layout.grids, True

    def _send_layout(self, plan: WritePlan, layout: Layout, ours: set[int]) -> Layout:
        try:
            self._client().batch_update(self.key, {"requests": list(layout.requests)})
        except APIError as error:
            if http_status(error) != 400 or "already exists" not in google_message(error):
                raise
            # A tab of that name or id was made meanwhile: by an earlier attempt whose answer
            # was lost, or by someone else.
            layout = self._lay_out_again(plan, ours)
            if layout.requests:
                self._client().batch_update(self.key, {"requests": list(layout.requests)})
        return layout

    def _lay_out_again(self, plan: WritePlan, ours: set[int]) -> Layout:
        """What is still missing, from the spreadsheet as it is now; refused (WorkbookChanged,
        nothing written) when a tab sheetsync means to add was made by someone else meanwhile,
        which may be theirs."""
        metadata = self._fetch_metadata()
        grids = _grid_map(metadata)
        taken = tab_made_by_others(plan, grids, ours) or _new_tab_named_by_a_chart(plan, metadata)
        if taken is not None:
            raise tab_added_meanwhile(taken, "the spreadsheet")
        layout = plan_layout(plan, grids)
        ours |= added_tab_ids(layout)
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


# --- reading -----------------------------------------------------------------------------------


def _grids_from(metadata: Mapping[str, Any]) -> list[SheetGrid]:
    """The grid sheets in tab order; chart sheets hold no cells and are left out."""
    grids = []
    sheets = sorted(metadata.get("sheets", []), key=lambda s: s["properties"].get("index", 0))
    for sheet in sheets:
        properties = sheet["properties"]
        if not _is_grid(properties):
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


def _chart_titles(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """The sheets that are not grids: a chart moved to a sheet of its own (OBJECT)."""
    return tuple(
        sheet["properties"]["title"]
        for sheet in metadata.get("sheets", [])
        if not _is_grid(sheet["properties"])
    )


def _new_tab_named_by_a_chart(plan: WritePlan, metadata: Mapping[str, Any]) -> str | None:
    """The name of a chart sheet that took the name of a tab the plan means to add."""
    charts = _chart_titles(metadata)
    return next(filter(None, (matching_name(charts, title) for title in plan.new_tabs)), None)


def _is_grid(properties: Mapping[str, Any]) -> bool:
    return properties.get("sheetType", "GRID") == "GRID"


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


def _column_rectangles(cells: Iterable[CellKey], grids: Mapping[str, SheetGrid]) -> list[Rectangle]:
    """One range per tab and column, from its first to its last cell inside the grid."""
    rows_by_column: dict[tuple[str, int], list[int]] = defaultdict(list)
    for tab, row, column in cells:
        grid = grids.get(tab)
        if grid is not None and row <= grid.rows and column <= grid.columns:
            rows_by_column[(tab, column)].append(row)
    return [
        Rectangle(tab, min(rows), max(rows), column, column)
        for (tab, column), rows in rows_by_column.items()
    ]


def _is_formula(shown: Any, read: Workbook, cell: CellKey) -> bool:
    """Whether FORMULA rendering shows a formula: `=` and something other than the value read
    (text that starts with `=`, written RAW, reads the same both ways)."""
    if not isinstance(shown, str) or not shown.startswith("="):
        return False
    tab = read.find_tab(cell[0])
    return tab is None or tab.value(cell[1], cell[2]) != shown


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
