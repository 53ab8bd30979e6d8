"""Make a new Google spreadsheet from a WorkbookTemplate (`sheetsync init --google`).

The requests it makes, and no others:

    POST v4/spreadsheets                            locale, time zone, every tab, frozen
                                                    header rows, tab colours
    POST drive/v3/files/{key}/permissions           one per address shared with, as Editor
    POST v4/spreadsheets/{key}:batchUpdate          widths, number formats, header looks and
                                                    notes, validations, status colours,
                                                    warning-only protections
    POST v4/spreadsheets/{key}/values:batchUpdate   headers and example rows, RAW

    GET  v4/spreadsheets/{key}?fields=...           only when the formatting batchUpdate failed:
                                                    did it land? (then it is not sent again)

It follows xlsx_create.py's choices, through google_http.py's client (endpoint, rate limit,
retries) and google_errors.py's sentences. The create is not safe to send twice: when its
answer is lost, it may have made a spreadsheet all the same; the formatting is looked for
before it is sent again; sharing and the values are the same when sent twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import babel
import requests
import tzlocal
from google.auth.exceptions import TransportError
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL
from tenacity import retry_if_exception
from urllib3.exceptions import NewConnectionError

from sheetsync.backends.google_errors import (
    FAILURES,
    FailureContext,
    create_failure,
    unfinished_create,
    unreachable,
)
from sheetsync.backends.google_http import SheetsHttpClient, http_status, open_http_client
from sheetsync.backends.google_location import edit_url
from sheetsync.backends.google_requests import NEW_TAB_ROWS, quote_tab, value_update_bodies
from sheetsync.errors import UsageError
from sheetsync.template import ColumnTemplate, TabTemplate, Validation, WorkbookTemplate
from sheetsync.workbook import CellValue, CellWrite, a1, column_letter

if TYPE_CHECKING:
    from sheetsync.config import GoogleSettings

SERIAL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Sheets' serial dates
FIRST_DATA_ROW = 2  # headers are row 1 (SPEC 2)
# A template width is in characters, as Excel counts them: about 7 pixels each, plus padding.
PIXELS_PER_CHARACTER = 7
COLUMN_PADDING_PIXELS = 5
# Only these fields change; the dotted form is the field mask Google documents for nested fields.
HEADER_FIELDS = ",".join(
    (
        "note",
        "userEnteredFormat.backgroundColor",
        "userEnteredFormat.textFormat.bold",
        "userEnteredFormat.textFormat.foregroundColor",
    )
)
USER_TAB_COLUMNS = 26  # Google's default width: room for the columns people add
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def create_spreadsheet(
    template: WorkbookTemplate,
    settings: GoogleSettings,
    title: str,
    share_with: tuple[str, ...] = (),
    locale: str = "",
    time_zone: str = "",
) -> str:
    """Make a formatted spreadsheet from `template`, share it as Editor; return its edit URL.

    The spreadsheet gets `locale` and `time_zone` (each "" = this computer's), so that dates,
    amounts and "today" read there as they do here.

    Raises UsageError, before any request, for an address that is not an e-mail address, and
    WorkbookUnreachable for any failure; once the spreadsheet exists, that sentence gives its URL.
    """
    for address in share_with:
        if not _EMAIL.fullmatch(address):
            raise UsageError(
                f"“{address}” is not an e-mail address; give --share the address of a Google "
                "account, e.g. --share me@example.com."
            )
    context = FailureContext("", title, settings)
    try:
        http = open_http_client(settings)
        context = replace(context, account=http.account)
        created = _create(http, _create_body(template, title, locale, time_zone))
    except FAILURES as error:
        raise create_failure(error, context, _outcome_unknown(error)) from error
    context = replace(context, key=created["spreadsheetId"])
    sheet_ids = {
        sheet["properties"]["title"]: sheet["properties"].get("sheetId", 0)
        for sheet in created.get("sheets", [])
    }
    step = ""  # what the failure sentence says could not be done
    try:
        for address in share_with:
            if address.casefold() != (http.account or "").casefold():  # it owns the spreadsheet
                step = f"share it with {address}"
                _retried(http, http.insert_permission, context.key, address, "user", "writer")
        step = "format it"
        _format(http, context.key, _format_requests(template, sheet_ids))
        step = "write its headers"
        for body in value_update_bodies(_cell_writes(template)):
            _retried(http, http.values_batch_update, context.key, body)
    except FAILURES as error:
        raise unfinished_create(step, unreachable(error, context), context) from error
    return edit_url(context.key)


# --- creating: sent again only when Google surely did not act on it ----------------------------


def _create(http: SheetsHttpClient, body: dict[str, Any]) -> Any:
    """spreadsheets.create, sent again (within the usual bound) only when surely not acted on."""
    attempts = http.write_attempts().copy(retry=retry_if_exception(_not_acted_on))
    return attempts(http.request, "post", SPREADSHEETS_API_V4_BASE_URL, json=body).json()


def _retried(http: SheetsHttpClient, send: Callable[..., Any], *args: Any) -> None:
    """A request that does the same when sent twice (a permission, RAW values), retried."""
    for attempt in http.write_attempts():
        with attempt:
            send(*args)


def _format(http: SheetsHttpClient, key: str, requests_: list[dict[str, Any]]) -> None:
    """The one formatting batchUpdate. Sending it twice would double every protection and
    colour rule, so after a failed attempt, look first: they are there when it landed (the
    batch is all or nothing). A template with neither is safe to send again as it is."""
    for attempt in http.write_attempts():
        with attempt:
            if attempt.retry_state.attempt_number > 1 and _formatted(http, key):
                return
            http.batch_update(key, {"requests": requests_})


def _formatted(http: SheetsHttpClient, key: str) -> bool:
    fields = "sheets(protectedRanges(protectedRangeId),conditionalFormats(ranges(sheetId)))"
    found = http.spreadsheets_get(key, params={"fields": fields})
    return any(
        sheet.get("protectedRanges") or sheet.get("conditionalFormats")
        for sheet in found.get("sheets", [])
    )


def _not_acted_on(error: BaseException) -> bool:
    """Refused for quota (429), no connection made, or no token got: nothing was created."""
    if isinstance(error, APIError):
        return http_status(error) == 429
    if isinstance(error, requests.ConnectTimeout | TransportError):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)


def _outcome_unknown(error: BaseException) -> bool:
    """Sent, but no answer came back (or a server error did): it may have been created."""
    if isinstance(error, APIError):
        return http_status(error) >= 500
    return isinstance(error, requests.RequestException) and not _not_acted_on(error)


def _create_body(
    template: WorkbookTemplate, title: str, locale: str, time_zone: str
) -> dict[str, Any]:
    """The spreadsheets.create body: locale, time zone, and every tab with its header frozen,
    Google's default size for a person's tab, exactly its columns for one of sheetsync's."""
    sheets = []
    for index, tab in enumerate(template.tabs):
        grid = {
            "rowCount": max(NEW_TAB_ROWS, len(tab.rows) + 1),
            "columnCount": len(tab.columns)
            if tab.owned
            else max(USER_TAB_COLUMNS, len(tab.columns)),
            "frozenRowCount": template.frozen_rows,
        }
        properties: dict[str, Any] = {"title": tab.name, "index": index, "gridProperties": grid}
        if tab.owned:
            properties["tabColorStyle"] = {"rgbColor": _color(template.header.owned_tab_color)}
        sheets.append({"properties": properties})
    properties = {
        "title": title,
        "locale": locale or machine_locale(),
        "timeZone": time_zone or tzlocal.get_localzone_name(),
    }
    return {"properties": properties, "sheets": sheets}


def machine_locale() -> str:
    """This computer's locale as Google names it (en_GB), en_US when it has none (C, POSIX)."""
    found = babel.default_locale("LC_NUMERIC")
    return found if found and "POSIX" not in found else "en_US"


# --- formatting: one spreadsheets:batchUpdate --------------------------------------------------


def _format_requests(
    template: WorkbookTemplate, sheet_ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Every format, note, validation, colour rule and protection of the template's tabs."""
    requests_: list[dict[str, Any]] = []
    for tab in template.tabs:
        sheet_id = sheet_ids[tab.name]
        for number, column in enumerate(tab.columns, start=1):
            requests_ += _column_requests(sheet_id, number, column, template)
        requests_ += _protections(sheet_id, tab)
    return requests_


def _column_requests(
    sheet_id: int, number: int, column: ColumnTemplate, template: WorkbookTemplate
) -> list[dict[str, Any]]:
    requests_ = [
        _width(sheet_id, number, column.width),
        _header(sheet_id, number, column, template),
    ]
    if column.number_format:
        number_format = {"numberFormat": _number_format(column.number_format)}
        requests_.append(
            _repeat_cell(
                _body(sheet_id, number),
                {"userEnteredFormat": number_format},
                "userEnteredFormat.numberFormat",
            )
        )
    if column.validation is not None:
        rule = _validation_rule(number, column.validation, template)
        requests_.append({"setDataValidation": {"range": _body(sheet_id, number), "rule": rule}})
    for colors in column.colors:
        look = {
            "backgroundColor": _color(colors.fill),
            "textFormat": {"foregroundColor": _color(colors.font)},
        }
        for value in colors.values:
            condition = {"type": "TEXT_EQ", "values": [{"userEnteredValue": value}]}
            rule = {
                "ranges": [_body(sheet_id, number)],
                "booleanRule": {"condition": condition, "format": look},
            }
            requests_.append({"addConditionalFormatRule": {"rule": rule}})
    return requests_


def _width(sheet_id: int, number: int, characters: float) -> dict[str, Any]:
    columns = {
        "sheetId": sheet_id,
        "dimension": "COLUMNS",
        "startIndex": number - 1,
        "endIndex": number,
    }
    pixels = round(characters * PIXELS_PER_CHARACTER + COLUMN_PADDING_PIXELS)
    return {
        "updateDimensionProperties": {
            "range": columns,
            "properties": {"pixelSize": pixels},
            "fields": "pixelSize",
        }
    }


def _header(
    sheet_id: int, number: int, column: ColumnTemplate, template: WorkbookTemplate
) -> dict[str, Any]:
    """The header cell's colours (grey for owned columns) and its note."""
    look = template.header
    fill, font = (look.owned_fill, look.owned_font) if column.owned else (look.fill, look.font)
    cell = {
        "note": column.note,
        "userEnteredFormat": {
            "backgroundColor": _color(fill),
            "textFormat": {"bold": True, "foregroundColor": _color(font)},
        },
    }
    header = {**_column_range(sheet_id, number), "startRowIndex": 0, "endRowIndex": 1}
    return _repeat_cell(header, cell, HEADER_FIELDS)


def _repeat_cell(cells: dict[str, Any], cell: dict[str, Any], fields: str) -> dict[str, Any]:
    return {"repeatCell": {"range": cells, "cell": cell, "fields": fields}}


def _column_range(sheet_id: int, number: int) -> dict[str, Any]:
    return {"sheetId": sheet_id, "startColumnIndex": number - 1, "endColumnIndex": number}


def _body(sheet_id: int, number: int) -> dict[str, Any]:
    """The column below the header, to the end of the grid, so rows added later are covered."""
    return {**_column_range(sheet_id, number), "startRowIndex": FIRST_DATA_ROW - 1}


def _number_format(pattern: str) -> dict[str, str]:
    """Google wants the kind of a pattern as well; the template only names the pattern."""
    if "%" in pattern:
        kind = "PERCENT"
    elif any(letter in pattern.lower() for letter in "ymd"):
        kind = "DATE"
    else:
        kind = "NUMBER"
    return {"type": kind, "pattern": pattern}


def _validation_rule(number: int, rule: Validation, template: WorkbookTemplate) -> dict[str, Any]:
    """A warning-only rule: whatever is typed (or written by sheetsync) is kept, and flagged."""
    if rule.kind == "list":
        condition = {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": v} for v in rule.values],
        }
    elif rule.kind == "column":
        source = next(tab for tab in template.tabs if tab.name == rule.source_tab)
        letter = column_letter(source.column_number(rule.source_header))
        cells = f"${letter}${FIRST_DATA_ROW}:${letter}${FIRST_DATA_ROW + rule.source_rows - 1}"
        condition = {
            "type": "ONE_OF_RANGE",
            "values": [{"userEnteredValue": f"={quote_tab(source.name)}!{cells}"}],
        }
    else:
        # A number 0-100 (a fraction, or percent points) or one of the words meaning "done";
        # relative to the range's first cell, as Google applies it to each cell below. No
        # commas: Google reads a formula in the spreadsheet's locale, and where that separates
        # arguments with ";" (de_DE, fr_FR, ...) a comma breaks it. Products and sums of
        # comparisons need no separator at all.
        cell = a1(FIRST_DATA_ROW, number)
        words = "".join(f'+(LOWER(TRIM({cell}))="{word.lower()}")' for word in rule.values)
        formula = f"=ISNUMBER({cell})*({cell}>=0)*({cell}<=100){words}>0"
        condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]}
    return {
        "condition": condition,
        "inputMessage": rule.message,
        "strict": False,
        "showCustomUi": rule.kind != "percent",  # a dropdown for lists
    }


def _protections(sheet_id: int, tab: TabTemplate) -> list[dict[str, Any]]:
    """Warning-only protection of what sheetsync fills in: the owned tab, or its owned columns.

    Warning-only, because people may still need to (and sheetsync must) write there; it only
    asks a person to confirm an edit that the next sync would overwrite.
    """
    owned = [number for number, column in enumerate(tab.columns, 1) if column.owned]
    if not owned:
        return []
    # The first line of an owned column's note says who fills it in and what happens to edits.
    description = tab.columns[owned[0] - 1].note.partition("\n")[0]
    ranges = (
        [{"sheetId": sheet_id}]
        if tab.owned
        else [
            {"sheetId": sheet_id, "startColumnIndex": first - 1, "endColumnIndex": last}
            for first, last in _runs(owned)
        ]
    )
    return [
        {
            "addProtectedRange": {
                "protectedRange": {
                    "range": protected,
                    "description": description,
                    "warningOnly": True,
                }
            }
        }
        for protected in ranges
    ]


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers, e.g. [2, 3, 5] -> (2, 3), (5, 5)."""
    first = previous = numbers[0]
    for number in numbers[1:]:
        if number != previous + 1:
            yield first, previous
            first = number
        previous = number
    yield first, previous


def _color(rgb: str) -> dict[str, float]:
    """Google's colour (0-1 per channel) from the template's RGB hex."""
    red, green, blue = (int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return {"red": red, "green": green, "blue": blue}


# --- values: one values:batchUpdate ------------------------------------------------------------


def _cell_writes(template: WorkbookTemplate) -> list[CellWrite]:
    """Each tab's header row and example rows, dates as serial numbers (shown by the format)."""
    return [
        CellWrite(tab.name, row_number, column, _serial_or_value(value))
        for tab in template.tabs
        for row_number, row in enumerate((tab.headers, *tab.rows), start=1)
        for column, value in enumerate(row, start=1)
    ]


def _serial_or_value(value: CellValue) -> str | int | float | None:
    """A date as Sheets' serial number (written RAW, it stays a real date); else the value."""
    if isinstance(value, dt.date):
        return (value - SERIAL_EPOCH).days
    return value  # type: ignore[return-value]  # example data holds no formula errors
