"""Google Sheets backend: a whole workbook read in two API calls and written in one or two.

The requests it makes, and no others:

    read()   GET  spreadsheets/{key}?fields=...           titles, sheet ids, grid sizes, locale
             GET  spreadsheets/{key}/values:batchGet      every tab at once
    apply()  GET  spreadsheets/{key}/values:batchGet      only the guarded header and ID cells
             POST spreadsheets/{key}:batchUpdate          only to add tabs, grow grids, format
             POST spreadsheets/{key}/values:batchUpdate   every cell, RAW

Every request passes through SheetsHttpClient (gspread's HTTP client plus the endpoint, the
rate limit, the timeout and the retries), and every failure becomes one sentence in
`unreachable`, the only place that knows what each Google answer means to a user.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from functools import cache
from json import dumps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import gspread
import requests
from google.auth.exceptions import GoogleAuthError, TransportError
from google.auth.transport.requests import AuthorizedSession
from gspread.exceptions import APIError
from gspread.http_client import FileType, HTTPClient, ParamsType
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_before_delay,
    wait_exponential,
    wait_random,
)
from urllib3.exceptions import NameResolutionError

from sheetsync.backends import WorkbookChanged, WorkbookUnreachable
from sheetsync.backends.google_auth import (
    KEY_FILE_ENV,
    CredentialsUnavailable,
    KeyFileMalformed,
    KeyFileMissing,
    NoDefaultCredentials,
    NotSignedIn,
    load_credentials,
    signed_in_account,
)
from sheetsync.backends.google_location import edit_url, spreadsheet_key
from sheetsync.config import GOOGLE_ENDPOINT
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
    from google.auth.credentials import Credentials

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
# What Google shows in a cell whose formula fails; UNFORMATTED_VALUE returns it as plain text.
FORMULA_ERRORS = frozenset(
    {"#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!"}
)
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# Google's front end refuses request bodies over 10 MiB (400 "Request payload size exceeds the
# limit: 10485760 bytes"); the Sheets API itself sets no smaller hard limit (it only recommends
# 2 MB for speed), so that is the one limit that splits a values write.
REQUEST_BODY_LIMIT = 10 * 1024 * 1024
_ENVELOPE_BYTES = 1024  # {"valueInputOption": "RAW", "data": [...]} around the value ranges
# A new tab gets Google's own default size, or more when the first write needs it.
NEW_TAB_ROWS = 1000
NEW_TAB_COLUMNS = 26
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
_DRIVE_BASE = "https://www.googleapis.com"
_WINDOW_SECONDS = 60.0


# --- rate limit --------------------------------------------------------------------------------


class RateLimiter:
    """At most `per_minute` requests start in any 60-second window; callers wait their turn."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.granted = 0  # requests let through so far
        self.waits: list[float] = []  # every wait imposed, in seconds, in order
        self._starts: deque[float] = deque()  # start times within the last window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more request may start; return the seconds waited."""
        with self._lock:
            wait = self._wait_needed(self._clock())
            if wait > 0:
                self._sleep(wait)
                self.waits.append(wait)
            self._starts.append(self._clock())
            self.granted += 1
            return wait

    def _wait_needed(self, now: float) -> float:
        while self._starts and self._starts[0] <= now - _WINDOW_SECONDS:
            self._starts.popleft()
        if len(self._starts) < self.per_minute:
            return 0.0
        return self._starts[0] + _WINDOW_SECONDS - now


@cache
def shared_limiter(per_minute: int) -> RateLimiter:
    """The process-wide limiter: every backend in the process draws on one Google quota."""
    return RateLimiter(per_minute)


# --- retries -----------------------------------------------------------------------------------


def http_status(error: APIError) -> int:
    """The HTTP status of a refused request (gspread's `code` is -1 when the body is not JSON)."""
    return error.response.status_code


def is_transient(error: BaseException) -> bool:
    """Worth another try: quota, Google's server errors, and network failures."""
    if isinstance(error, APIError):
        return http_status(error) in RETRIED_STATUSES
    return isinstance(
        error,
        requests.ConnectionError
        | requests.Timeout
        | requests.exceptions.ChunkedEncodingError
        | TransportError,
    )


def retry_after_seconds(error: BaseException | None) -> float:
    """The wait Google asks for in Retry-After (seconds or an HTTP date); 0 when it does not."""
    if not isinstance(error, APIError):
        return 0.0
    value = error.response.headers.get("Retry-After", "").strip()
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 0.0


# 0.5 s, 1 s, 2 s ... up to 30 s, plus up to 0.5 s of jitter so parallel runs spread out.
_backoff = wait_exponential(multiplier=0.5, max=30) + wait_random(0, 0.5)


def _wait_before_retry(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    return max(_backoff(state), retry_after_seconds(error))


def retrying(retry_for_seconds: float) -> Retrying:
    """Exponential backoff with jitter, honouring Retry-After, never past the total bound."""
    return Retrying(
        retry=retry_if_exception(is_transient),
        wait=_wait_before_retry,
        # Gives up before a sleep that would end past the bound, not after it.
        stop=stop_before_delay(retry_for_seconds),
        reraise=True,
    )


# --- the HTTP layer ----------------------------------------------------------------------------


class SheetsHttpClient(HTTPClient):
    """gspread's HTTP client, sent to the configured endpoint, under the rate limit, retried."""

    def __init__(
        self,
        session: requests.Session,
        settings: GoogleSettings,
        limiter: RateLimiter,
        account: str | None = None,
    ) -> None:
        # gspread ignores `auth` when it is handed a session: the session carries the token.
        super().__init__(auth=None, session=session)  # type: ignore[arg-type]
        self.set_timeout(settings.timeout)
        self.account = account  # whom to share a spreadsheet with, when known
        self._endpoint = settings.endpoint
        self._retry_for_seconds = settings.retry_for_seconds
        self._limiter = limiter

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: Any = None,
    ) -> requests.Response:
        """Send one API request; transient failures are retried within the configured bound."""
        return retrying(self._retry_for_seconds)(
            self._send_once,
            method,
            self.rebase(endpoint),
            params=params,
            data=data,
            json=json,
            files=files,
            headers=headers,
        )

    def _send_once(self, method: str, url: str, **options: Any) -> requests.Response:
        self._limiter.acquire()
        return super().request(method, url, **options)

    def rebase(self, url: str) -> str:
        """A Google URL moved onto the configured endpoint (Sheets, and off Google, Drive too)."""
        if self._endpoint == GOOGLE_ENDPOINT:
            return url
        for google_base in (GOOGLE_ENDPOINT, _DRIVE_BASE):
            if url.startswith(google_base + "/"):
                return self._endpoint + url.removeprefix(google_base)
        return url


def open_http_client(settings: GoogleSettings) -> SheetsHttpClient:
    """The HTTP layer for `settings`. Raises CredentialsUnavailable."""
    credentials = load_credentials(settings)
    session = (
        requests.Session()  # credentials = "none": no token at all
        if credentials is None
        else AuthorizedSession(credentials, refresh_timeout=settings.timeout)
    )
    limiter = shared_limiter(settings.requests_per_minute)
    return SheetsHttpClient(session, settings, limiter, _account(credentials, settings))


def gspread_client(settings: GoogleSettings) -> gspread.Client:
    """A gspread Client whose every request goes through `open_http_client(settings)`."""
    http = open_http_client(settings)
    client = gspread.Client(auth=None, session=http.session)  # type: ignore[arg-type]
    client.http_client = http
    return client


def _account(credentials: Credentials | None, settings: GoogleSettings) -> str | None:
    email = getattr(credentials, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        return email
    return signed_in_account() if settings.credentials == "oauth" else None


# --- the backend -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SheetGrid:
    """One sheet's id and size, as read; writes past the size need the grid grown first."""

    sheet_id: int
    title: str
    rows: int
    columns: int


FAILURES = (APIError, requests.RequestException, GoogleAuthError, CredentialsUnavailable)


class GoogleBackend:
    """A Google spreadsheet as a workbook: read in two requests, written in one or two."""

    def __init__(self, location: str, settings: GoogleSettings) -> None:
        key = spreadsheet_key(location)
        if key is None:
            raise WorkbookUnreachable(
                f"“{location}” is not a Google Sheets address; give the spreadsheet's URL "
                "(https://docs.google.com/spreadsheets/d/…/edit) or its key."
            )
        self.key = key
        self.url = edit_url(key)
        self._settings = settings
        self._http: SheetsHttpClient | None = None
        self._title: str | None = None
        self._grids: dict[str, SheetGrid] | None = None

    def read(self) -> Workbook:
        """Every tab, in one spreadsheets.get and one values:batchGet."""
        with self._explaining_failures():
            metadata = self._fetch_metadata()
            grids = _grids_from(metadata)
            value_ranges = self._batch_get([quote_tab(grid.title) for grid in grids])
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
        """Re-check the guards, then create/grow/format only if needed, then write every cell."""
        if not plan:
            return
        with self._explaining_failures():
            grids = self._grids if self._grids is not None else _grid_map(self._fetch_metadata())
            self._check_guards(plan.guards)
            self._grids = self._lay_out(plan, grids)
            for body in value_update_bodies(plan.writes):
                self._client().values_batch_update(self.key, body)

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

    def _check_guards(self, guards: tuple[Guard, ...]) -> None:
        """Stop (WorkbookChanged) when a header or row ID differs from what was read."""
        if not guards:
            return
        rectangles = guard_rectangles(guards)
        try:
            value_ranges = self._batch_get([rectangle.a1 for rectangle in rectangles])
        except APIError as error:
            if http_status(error) != 400:
                raise
            # Google cannot parse a range whose tab no longer exists.
            raise WorkbookChanged(_tab_gone_sentence(guards, error)) from error
        found = _cells_found(rectangles, value_ranges)
        for guard in guards:
            actual = found.get((guard.tab, guard.row, guard.column))
            if not guard.holds(actual):
                raise WorkbookChanged(_changed_sentence(guard, actual))

    def _lay_out(self, plan: WritePlan, grids: dict[str, SheetGrid]) -> dict[str, SheetGrid]:
        """Send the plan's spreadsheets:batchUpdate, if any; return the grids after it."""
        layout = plan_layout(plan, grids)
        if not layout.requests:
            return layout.grids
        try:
            self._client().batch_update(self.key, {"requests": list(layout.requests)})
        except APIError as error:
            if http_status(error) != 400 or "already exists" not in google_message(error):
                raise
            # batchUpdate is atomic but not idempotent: when a retry follows a lost reply, the
            # first attempt's addSheet did land. Re-read, and do only what is still missing.
            layout = plan_layout(plan, _grid_map(self._fetch_metadata()))
            if layout.requests:
                self._client().batch_update(self.key, {"requests": list(layout.requests)})
        return layout.grids

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


def _changed_sentence(guard: Guard, actual: Any) -> str:
    was, now = _shown(guard_text(guard.expected)), _shown(guard_text(actual))
    return (
        f"The {guard.tab} tab changed while sheetsync was working (cell "
        f"{a1(guard.row, guard.column)} was {was}, now {now}), so nothing was written; "
        "the next run will try again."
    )


def _tab_gone_sentence(guards: Iterable[Guard], error: APIError) -> str:
    tabs = ", ".join(sorted({guard.tab for guard in guards}))
    return (
        f"A tab sheetsync writes to ({tabs}) was renamed or deleted while sheetsync was working "
        f"(Google says: “{google_message(error)}”), so nothing was written; "
        "the next run will try again."
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
            grid = SheetGrid(next_id, title, max(rows, NEW_TAB_ROWS), max(columns, NEW_TAB_COLUMNS))
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


# --- failures: the one place they become sentences ---------------------------------------------


@dataclass(frozen=True, slots=True)
class FailureContext:
    """What a failure sentence names: the spreadsheet, the account, the limits that applied."""

    key: str
    title: str | None
    settings: GoogleSettings
    account: str | None = None

    @property
    def spreadsheet(self) -> str:
        return f"the spreadsheet “{self.title}”" if self.title else f"the spreadsheet {self.key}"

    @property
    def host(self) -> str:
        return urlsplit(self.settings.endpoint).netloc


def unreachable(error: BaseException, context: FailureContext) -> WorkbookUnreachable:
    """The user's sentence for any Google failure, keeping Google's own words."""
    if isinstance(error, CredentialsUnavailable):
        return WorkbookUnreachable(_credentials_sentence(error))
    if isinstance(error, APIError):
        return WorkbookUnreachable(_api_sentence(error, context))
    if isinstance(error, requests.Timeout):
        return WorkbookUnreachable(_timeout_sentence(error, context))
    if isinstance(error, requests.RequestException | TransportError):
        return WorkbookUnreachable(_network_sentence(error, context))
    # A refused token refresh (RefreshError) or other credentials google-auth cannot use.
    return WorkbookUnreachable(_rejected_sentence(_auth_message(error), context))


def _credentials_sentence(error: CredentialsUnavailable) -> str:
    if isinstance(error, KeyFileMissing):
        return (
            f"The Google key file {error.source} does not exist; set [google] credentials "
            "(or GOOGLE_APPLICATION_CREDENTIALS) to the JSON key you downloaded for the "
            "service account."
        )
    if isinstance(error, KeyFileMalformed):
        return (
            f"The Google key file {error.source} is not a valid key ({error.detail}); download a "
            "new JSON key for the service account in the Google Cloud console and point "
            "[google] credentials at it."
        )
    if isinstance(error, NotSignedIn):
        why = error.detail or f"no token is saved in {error.source}"
        return f"sheetsync is not signed in to Google ({why}); run `sheetsync auth login`."
    if isinstance(error, NoDefaultCredentials):
        return (
            f"This computer has no Google Application Default Credentials ({error.detail}); run "
            "`gcloud auth application-default login`, or set [google] credentials to a "
            "service-account key file."
        )
    return f"sheetsync could not load Google credentials ({error}); check [google] credentials."


def _rejected_sentence(says: str, context: FailureContext) -> str:
    """401 or a failed token refresh: the fix depends on the kind of credentials."""
    mode = context.settings.credentials
    if mode == "" and not os.environ.get(KEY_FILE_ENV):
        mode = "adc"  # what load_credentials falls back to
    if mode == "oauth":
        return (
            f"Your Google sign-in has expired or was revoked ({says}); "
            "run `sheetsync auth login` and try again."
        )
    if mode == "adc":
        return (
            f"Google refused this computer's Application Default Credentials ({says}); run "
            "`gcloud auth application-default login` and try again."
        )
    if mode == "none":
        return (
            f"{context.host} asks for credentials ({says}); set [google] credentials to a "
            'service-account key file, "oauth" or "adc".'
        )
    return (
        f"Google refused the service-account key file ({says}); the key may have been deleted "
        "or disabled: create a new key in the Google Cloud console and point [google] "
        "credentials at it."
    )


def _api_sentence(error: APIError, context: FailureContext) -> str:
    status, says = http_status(error), google_says(google_message(error), context)
    if status == 401:
        return _rejected_sentence(says, context)
    if status == 403 and error_info(error).get("reason") == "SERVICE_DISABLED":
        return _service_disabled_sentence(error, says)
    if status == 403:
        share_with = context.account or "the Google account sheetsync uses"
        return (
            f"sheetsync may not open or change {context.spreadsheet} ({says}); open it in "
            "Google Sheets, "
            f"click Share and add {share_with} as an Editor."
        )
    if status == 404:
        return (
            f"No Google spreadsheet has the key {context.key} ({says}); check the address "
            "given by --workbook or [workbook] spreadsheet."
        )
    if status == 429:
        return (
            f"Google's request quota is used up ({says}) and did not recover within "
            f"{context.settings.retry_for_seconds:g} seconds; run again in a few minutes, or "
            "lower [google] requests_per_minute."
        )
    if status >= 500:
        return (
            f"Google Sheets had a server problem ({status}, {says}) that did not clear within "
            f"{context.settings.retry_for_seconds:g} seconds; run again later."
        )
    if status == 400 and "validation" in google_message(error).lower():
        return (
            f"A data-validation rule in {context.spreadsheet} rejects a value sheetsync writes "
            f"({says}); in Data > Data validation, set that column's rule to “Show a warning”."
        )
    return (
        f"Google refused sheetsync's request to {context.spreadsheet} ({status}, {says}); "
        "please report this to sheetsync's maintainers with this message."
    )


def _service_disabled_sentence(error: APIError, says: str) -> str:
    metadata = error_info(error).get("metadata", {})
    service = metadata.get("service", "sheets.googleapis.com")
    api = {"sheets.googleapis.com": "Google Sheets API", "drive.googleapis.com": "Google Drive API"}
    where = metadata.get("activationUrl") or "APIs & Services > Library in the Google Cloud console"
    return (
        f"The {api.get(service, service)} is not enabled in the Google Cloud project of these "
        f"credentials ({says}); enable it at {where}, wait a minute and run again."
    )


def _timeout_sentence(error: BaseException, context: FailureContext) -> str:
    limits = context.settings
    return (
        f"{_failed_host(error, context)} did not answer within {limits.timeout:g} seconds, even "
        f"after retrying for {limits.retry_for_seconds:g} seconds; check the internet "
        "connection and run again later, or raise [google] timeout."
    )


def _network_sentence(error: BaseException, context: FailureContext) -> str:
    causes, host = list(_causes(error)), _failed_host(error, context)
    if any(isinstance(cause, NameResolutionError | socket.gaierror) for cause in causes):
        return (
            f"sheetsync cannot look up {host}, so this computer seems to be offline; "
            "check its internet connection and run again."
        )
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return (
            f"Nothing accepts connections at {host} (connection refused); check the "
            "internet connection, and [google] endpoint if you set one, then run again."
        )
    return (
        f"The connection to {host} failed and did not recover within "
        f"{context.settings.retry_for_seconds:g} seconds ({_auth_message(error)}); check the "
        "internet connection and run again."
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what lies under it: requests wraps urllib3, which wraps the socket error."""
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = (getattr(current, "reason", None), current.__cause__, current.__context__)
        pending += [n for n in (*nested, *current.args) if isinstance(n, BaseException)]


def _failed_host(error: BaseException, context: FailureContext) -> str:
    """The host a network failure was about: the endpoint, or Google's sign-in server."""
    for cause in _causes(error):
        url = getattr(getattr(cause, "request", None), "url", None)
        if isinstance(url, str):
            return urlsplit(url).netloc
    return context.host


def error_info(error: APIError) -> Mapping[str, Any]:
    """Google's google.rpc.ErrorInfo detail (reason, metadata), or an empty mapping."""
    for detail in error.error.get("details", []) or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("rpc.ErrorInfo"):
            return detail
    return {}


def google_message(error: APIError) -> str:
    """Google's own message; for an HTML error page (Google's 502), the HTTP status line."""
    if str(error.error.get("status", "")).startswith("invalid JSON"):  # gspread's fallback
        return f"{error.response.status_code} {error.response.reason}"
    message = error.error.get("message") or error.response.reason or ""
    return " ".join(str(message).split())[:300]


def _auth_message(error: BaseException) -> str:
    first = error.args[0] if error.args else error
    return " ".join(str(first).split())[:300]


def google_says(message: str, context: FailureContext) -> str:
    speaker = "Google" if context.settings.endpoint == GOOGLE_ENDPOINT else context.host
    return f"{speaker} says: “{message}”"
