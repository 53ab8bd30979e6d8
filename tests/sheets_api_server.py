"""A Google Sheets API v4 (and Drive v3) test server: HTTP on 127.0.0.1, in-memory spreadsheets.

It answers the subset of the API that sheetsync and its tests use, with the JSON shapes, status
codes and error bodies Google sends (tests/test_sheets_api_contract.py replays real recordings to
prove it). It counts requests and injects faults on demand. Anything outside the subset answers
501 UNIMPLEMENTED, so a test never mistakes a gap in this server for Google's behaviour.

    with SheetsApiServer() as server:
        key = server.add_spreadsheet("Bean & Crumb", {"Plan": [["Tactic ID"], ["T1"]]})
        ...  # point the client at server.endpoint instead of https://sheets.googleapis.com
        assert server.requests[("POST", "values.batchUpdate")] == 1

Sheets routes live under /v4/spreadsheets, Drive routes under /drive/v3/files, on the same port.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import copy
import datetime as dt
import functools
import json
import operator
import random
import re
import socket
import string
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
PROJECT_NUMBER = "1234567890"
OWNER = "sheetsync-test@sheets-api-server.iam.gserviceaccount.com"
DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26

# What Google put in every spreadsheet the recordings created: sent back unchanged.
DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
THEME_COLORS = {
    "TEXT": {},
    "BACKGROUND": {"red": 1, "green": 1, "blue": 1},
    "ACCENT1": {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275},
    "ACCENT2": {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314},
    "ACCENT3": {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275},
    "ACCENT4": {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902},
    "ACCENT5": {"red": 1, "green": 0.42745098, "blue": 0.003921569},
    "ACCENT6": {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706},
    "LINK": {"red": 0.06666667, "green": 0.33333334, "blue": 0.8},
}
THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        {"colorType": kind, "color": {"rgbColor": rgb}} for kind, rgb in THEME_COLORS.items()
    ],
}


# --- answers and Google's error bodies ----------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: a JSON value (or HTML text, or nothing) with its status."""

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json; charset=UTF-8"


class ApiError(Exception):
    """An error answer, raised anywhere while handling a request."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status, reply.body)
        self.reply = reply


def google_error(
    code: int, status: str, message: str, details: list[Any] | None = None
) -> ApiError:
    """Google's error body, {"error": {"code", "message", "status", "details"?}}."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return ApiError(Reply(code, {"error": error}))


def invalid_argument(message: str) -> ApiError:
    return google_error(400, "INVALID_ARGUMENT", message)


def invalid_field(field_path: str, value: Any) -> ApiError:
    """The error Google gives when a JSON field has the wrong type (values not a list, ...)."""
    message = (
        f"Invalid value at '{field_path}' (type.googleapis.com/google.protobuf.ListValue), "
        f"{json.dumps(value, ensure_ascii=False)}"
    )
    violation = {"field": field_path, "description": message}
    details = [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}
    ]
    return google_error(400, "INVALID_ARGUMENT", message, details)


def cannot_bind(names: list[str]) -> ApiError:
    """Query parameters the method does not take: Google's front end refuses them all at once."""
    messages = [
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name.split('.')[0]}' could not be found in request message."
        for name in names
    ]
    violations = [{"description": message} for message in messages]
    details = [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations}
    ]
    return google_error(400, "INVALID_ARGUMENT", " ".join(messages), details)


def bad_field_mask(mask: str, path: str) -> ApiError:
    """A fields= mask naming a path the answer has no field for: Google's message is generic,
    the path is named in the details only."""
    description = (
        f"Error expanding 'fields' parameter. Cannot find matching fields for path '{path}'."
    )
    violation = {"field": mask, "description": description}
    details = [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}
    ]
    return google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", details)


def invalid_enum(parameter: str, kind: str, value: str) -> ApiError:
    """A value an enumeration does not hold (`parameter` as Google names it: value_input_option)."""
    return invalid_argument(
        f"Invalid value at '{parameter}' (type.googleapis.com/google.apps.sheets.v4.{kind}), "
        f'"{value}"'
    )


def not_found() -> ApiError:
    return google_error(404, "NOT_FOUND", "Requested entity was not found.")


def permission_denied() -> ApiError:
    return google_error(403, "PERMISSION_DENIED", "The caller does not have permission")


def unimplemented(what: str) -> ApiError:
    """Outside the subset this server implements: never a claim about Google."""
    return google_error(501, "UNIMPLEMENTED", f"sheets_api_server does not implement {what}")


def drive_not_found(file_id: str) -> ApiError:
    message = f"File not found: {file_id}."
    reason = {
        "message": message,
        "domain": "global",
        "reason": "notFound",
        "location": "fileId",
        "locationType": "parameter",
    }
    return ApiError(Reply(404, {"error": {"code": 404, "message": message, "errors": [reason]}}))


def unauthenticated(token_sent: bool, drive: bool) -> ApiError:
    """401 for a missing token (CREDENTIALS_MISSING) or one Google no longer accepts."""
    opening = (
        "Request had invalid authentication credentials."
        if token_sent
        else "Request is missing required authentication credential."
    )
    message = (
        f"{opening} Expected OAuth 2 access token, login cookie or other valid authentication "
        "credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    service = "drive.googleapis.com" if drive else "sheets.googleapis.com"
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "ACCESS_TOKEN_EXPIRED" if token_sent else "CREDENTIALS_MISSING",
        "domain": "googleapis.com",
        "metadata": {"service": service},
    }
    error = google_error(401, "UNAUTHENTICATED", message, [info])
    challenge = ("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')
    return ApiError(Reply(401, error.reply.body, (challenge,)))


def service_disabled(drive: bool = False) -> ApiError:
    """403 SERVICE_DISABLED: the Sheets (or Drive) API is not enabled in the caller's project."""
    service, title = (
        ("drive.googleapis.com", "Google Drive API")
        if drive
        else ("sheets.googleapis.com", "Google Sheets API")
    )
    activation = (
        f"https://console.developers.google.com/apis/api/{service}/overview"
        f"?project={PROJECT_NUMBER}"
    )
    message = (
        f"{title} has not been used in project {PROJECT_NUMBER} before or it is "
        f"disabled. Enable it by visiting {activation} then retry. If you enabled this API "
        "recently, wait a few minutes for the action to propagate to our systems and retry."
    )
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "SERVICE_DISABLED",
            "domain": "googleapis.com",
            "metadata": {
                "consumer": f"projects/{PROJECT_NUMBER}",
                "service": service,
                "activationUrl": activation,
                "containerInfo": PROJECT_NUMBER,
                "serviceTitle": title,
            },
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": message,
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {"description": "Google developers console API activation", "url": activation}
            ],
        },
    ]
    return google_error(403, "PERMISSION_DENIED", message, details)


def quota_exceeded(read: bool) -> ApiError:
    kind = "Read" if read else "Write"
    message = (
        f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per minute "
        f"per user' of service 'sheets.googleapis.com' for consumer "
        f"'project_number:{PROJECT_NUMBER}'."
    )
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "service": "sheets.googleapis.com",
                "consumer": f"projects/{PROJECT_NUMBER}",
                "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
                "quota_limit": f"{kind}RequestsPerMinutePerUser",
                "quota_limit_value": "60",
                "quota_location": "global",
            },
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                }
            ],
        },
    ]
    return google_error(429, "RESOURCE_EXHAUSTED", message, details)


# Google's hard limits, enforced as Google does (messages as Google words them).
BODY_LIMIT = 10 * 1024 * 1024  # request bodies, bytes
CELL_CHARACTERS = 50_000  # text in one cell
SPREADSHEET_CELLS = 10_000_000  # cells in every grid of a spreadsheet together
OTHER_EDITOR = "someone-else@example.com"


def payload_too_large() -> ApiError:
    return invalid_argument(f"Request payload size exceeds the limit: {BODY_LIMIT} bytes.")


def scope_insufficient(drive: bool) -> ApiError:
    """403 for a token whose scopes do not include this API (ACCESS_TOKEN_SCOPE_INSUFFICIENT)."""
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "domain": "googleapis.com",
        "metadata": {"service": "drive.googleapis.com" if drive else "sheets.googleapis.com"},
    }
    message = "Request had insufficient authentication scopes."
    return google_error(403, "PERMISSION_DENIED", message, [info])


def protected_cell() -> ApiError:
    return invalid_argument(
        "You are trying to edit a protected cell or object. Please contact the spreadsheet "
        "owner to remove protection if you need to edit."
    )


def too_many_cells(label: str) -> ApiError:
    prefix = f"{label}: " if label else ""
    return invalid_argument(
        f"{prefix}This action would increase the number of cells in the workbook above the "
        f"limit of {SPREADSHEET_CELLS} cells."
    )


# Google's front end answers a 502 with an HTML page, not JSON.
BAD_GATEWAY_PAGE = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
    "  <title>Error 502 (Server Error)!!1</title>\n"
    "  <p><b>502.</b> <ins>That's an error.</ins>\n"
    "  <p>The server encountered a temporary error and could not complete your request."
    "<p>Please try again in 30 seconds.  <ins>That's all we know.</ins>\n"
)


def server_error(code: int, read: bool) -> Reply:
    """The answer Google gives for one of the transient statuses a client must retry."""
    if code == 429:
        return quota_exceeded(read).reply
    if code == 502:
        return Reply(502, BAD_GATEWAY_PAGE, content_type="text/html; charset=UTF-8")
    status, message = {
        500: ("INTERNAL", "Internal error encountered."),
        503: ("UNAVAILABLE", "The service is currently unavailable."),
        504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
    }[code]
    return google_error(code, status, message).reply


# --- A1 notation --------------------------------------------------------------------------------


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rest] + letters
    return letters


def column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def quote_title(title: str) -> str:
    """A sheet title as Google writes it in a range: bare when it cannot be misread."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title)
    looks_like_cell = re.fullmatch(r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*", title)
    if plain and not looks_like_cell:
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Box:
    """A block of cells, 0-based and half-open."""

    row0: int
    row1: int
    col0: int
    col1: int

    def a1(self) -> str:
        first = f"{column_letters(self.col0)}{self.row0 + 1}"
        if self.row1 - self.row0 == 1 and self.col1 - self.col0 == 1:
            return first
        return f"{first}:{column_letters(self.col1 - 1)}{self.row1}"

    def contains(self, row: int, col: int) -> bool:
        return self.row0 <= row < self.row1 and self.col0 <= col < self.col1


@dataclass(frozen=True)
class Bounds:
    """A parsed A1 range before it meets a grid: None is an open end ("A:A", "A1:C")."""

    row0: int
    row1: int | None
    col0: int
    col1: int | None


CELLS = re.compile(r"([A-Za-z]{0,3})(\d{0,7})(?::([A-Za-z]{0,3})(\d{0,7}))?")


def parse_cells(text: str) -> Bounds | None:
    """The part after '!': A1, A1:B2, A:A, 1:1, A1:C, A1:1 (reversed corners allowed)."""
    match = CELLS.fullmatch(text.strip())
    if not match or "0" in (match[2][:1], (match[4] or "")[:1]):
        return None
    letters0, digits0, letters1, digits1 = match.groups()
    if match[3] is None and match[4] is None:
        if not (letters0 and digits0):
            return None
        letters1, digits1 = letters0, digits0
    elif not (letters0 or digits0) or not (letters1 or digits1):
        return None
    col0 = column_index(letters0) if letters0 else 0
    row0 = int(digits0) - 1 if digits0 else 0
    col1 = column_index(letters1) + 1 if letters1 else None
    row1 = int(digits1) if digits1 else None
    if col1 is not None and col1 <= col0:
        col0, col1 = col1 - 1, col0 + 1
    if row1 is not None and row1 <= row0:
        row0, row1 = row1 - 1, row0 + 1
    return Bounds(row0, row1, col0, col1)


def split_range(text: str) -> tuple[str | None, str | None]:
    """('Sheet title' or None, 'A1 part' or None) of a range such as 'My Tab'!A1:B2 or Plan."""
    if text.startswith("'"):
        match = re.fullmatch(r"'((?:[^']|'')*)'(?:!(.*))?", text, re.DOTALL)
        if not match:
            raise invalid_argument(f"Unable to parse range: {text}")
        return match[1].replace("''", "'"), match[2]
    title, bang, cells = text.rpartition("!")
    if bang:
        return title, cells
    return None, text


# --- cell values --------------------------------------------------------------------------------

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Entered:
    """A cell typed the USER_ENTERED way: its value, plus what Google keeps beside it."""

    value: Scalar
    shown: str | None = None  # the text typed, kept as the cell's number format shows it
    formula: str | None = None
    is_date: bool = False


EPOCH = dt.date(1899, 12, 30)  # day 0 of Sheets' serial dates
ARITHMETIC: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
GROUPED_NUMBER = re.compile(r"([-+]?)\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
PERCENT = re.compile(r"([-+]?(?:\d+\.?\d*|\.\d+))%")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def arithmetic(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        return ARITHMETIC[type(node.op)](arithmetic(node.left), arithmetic(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in ARITHMETIC:
        return ARITHMETIC[type(node.op)](arithmetic(node.operand))
    raise ValueError("not arithmetic")


def evaluate(formula: str) -> Scalar:
    """A formula's value where it is plain arithmetic (=4/2); this server evaluates no
    functions or references, so anything else shows Google's #NAME?."""
    try:
        return arithmetic(ast.parse(formula[1:].strip(), mode="eval").body)
    except ZeroDivisionError:
        return "#DIV/0!"
    except (SyntaxError, ValueError):
        return "#NAME?"


def number(text: str) -> int | float:
    return float(text) if re.search(r"[.eE]", text) else int(text)


def typed_date(text: str, locale: str) -> int | None:
    """The serial number of a typed date: ISO anywhere, M/D/Y in en_US, D/M/Y elsewhere."""
    if match := ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := SLASH_DATE.fullmatch(text):
        first, second, year = (int(part) for part in match.groups())
        month, day = (first, second) if locale == "en_US" else (second, first)
    else:
        return None
    try:
        return (dt.date(year, month, day) - EPOCH).days
    except ValueError:
        return None


def user_entered(raw: Any, locale: str) -> Any:
    """What Sheets stores when a person (or USER_ENTERED) types `raw` into a cell."""
    if not isinstance(raw, str):
        return raw
    if raw.startswith("="):
        return Entered(evaluate(raw), formula=raw)
    if raw.startswith("'"):
        return raw[1:]
    text = raw.strip()
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    if NUMBER.fullmatch(text):
        return number(text)
    if match := GROUPED_NUMBER.fullmatch(text):
        sign, whole, fraction = match.groups()
        return Entered(number(sign + whole.replace(",", "") + (fraction or "")), shown=raw)
    if match := PERCENT.fullmatch(text):
        return Entered(float(match[1]) / 100, shown=raw)
    if (serial := typed_date(text, locale)) is not None:
        return Entered(serial, shown=raw, is_date=True)
    return raw


def json_number(value: Scalar) -> Scalar:
    """Google writes 2.0 as 2."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def formatted(cell: Any) -> str:
    """FORMATTED_VALUE: what the cell shows."""
    if isinstance(cell, Entered):
        return cell.shown if cell.shown is not None else formatted(cell.value)
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        return str(json_number(cell)) if cell.is_integer() else format(cell, ".15g")
    return str(cell)


def rendered(cell: Any, render: str, serial_dates: bool) -> Scalar:
    """A stored cell as values.get returns it for one valueRenderOption."""
    if render == "FORMATTED_VALUE":
        return formatted(cell)
    if not isinstance(cell, Entered):
        return json_number(cell)
    if render == "FORMULA" and cell.formula is not None:
        return cell.formula
    if cell.is_date and not serial_dates:
        return formatted(cell)
    return json_number(cell.value)


# --- field masks --------------------------------------------------------------------------------

FieldTree = dict[str, Any]  # name -> subtree, or None for the whole field
FIELD_NAME = re.compile(r"[A-Za-z0-9_*@]+")
FIELD_NAME_WITH_SPACES = re.compile(r"[A-Za-z0-9_*@ ]+")


def parse_field_mask(text: str, spaces_in_names: bool = False) -> FieldTree:
    """fields=properties(title,locale),sheets.properties.sheetId (also '/' between names).

    Drive reads "id, name" as two names; Sheets reads the space as part of a name
    (`spaces_in_names`), which its answers then have no field for.
    """
    mask = text if spaces_in_names else text.replace(" ", "")
    names = FIELD_NAME_WITH_SPACES if spaces_in_names else FIELD_NAME
    tree: FieldTree = {}
    end = _parse_field_list(mask, 0, tree, names)
    if end != len(mask):
        raise invalid_argument(f"Invalid field selection {text}")
    return tree


def _parse_field_list(text: str, at: int, tree: FieldTree, names: re.Pattern[str]) -> int:
    at = _parse_field_path(text, at, tree, names)
    while at < len(text) and text[at] == ",":
        at = _parse_field_path(text, at + 1, tree, names)
    return at


def _parse_field_path(text: str, at: int, tree: FieldTree, names: re.Pattern[str]) -> int:
    match = names.match(text, at)
    if not match:
        raise invalid_argument(f"Invalid field selection {text}")
    name, at = match[0], match.end()
    if at < len(text) and text[at] in "./(":
        child = tree.get(name, {})
        subtree: FieldTree = {} if child is None else child  # a whole field stays whole
        if child is not None:
            tree[name] = subtree
        if text[at] == "(":
            at = _parse_field_list(text, at + 1, subtree, names)
            if at >= len(text) or text[at] != ")":
                raise invalid_argument(f"Invalid field selection {text}")
            return at + 1
        return _parse_field_path(text, at + 1, subtree, names)
    tree[name] = None
    return at


# The messages of Sheets' answers, with their fields as Google's API reference lists them: a
# field names its message, or None for a value; MESSAGE is a message this server does not
# model, so any path below it is taken.
MESSAGE = "message"
SHEETS_MESSAGES: dict[str, dict[str, str | None]] = {
    "Spreadsheet": {
        "spreadsheetId": None,
        "properties": "SpreadsheetProperties",
        "sheets": "Sheet",
        "namedRanges": MESSAGE,
        "spreadsheetUrl": None,
        "developerMetadata": MESSAGE,
        "dataSources": MESSAGE,
        "dataSourceSchedules": MESSAGE,
    },
    "SpreadsheetProperties": {
        "title": None,
        "locale": None,
        "autoRecalc": None,
        "timeZone": None,
        "defaultFormat": MESSAGE,
        "iterativeCalculationSettings": MESSAGE,
        "spreadsheetTheme": MESSAGE,
        "importFunctionsExternalUrlAccessAllowed": None,
    },
    "Sheet": {
        "properties": "SheetProperties",
        "data": MESSAGE,
        "merges": "GridRange",
        "conditionalFormats": "ConditionalFormatRule",
        "filterViews": MESSAGE,
        "protectedRanges": "ProtectedRange",
        "basicFilter": MESSAGE,
        "charts": MESSAGE,
        "bandedRanges": MESSAGE,
        "developerMetadata": MESSAGE,
        "rowGroups": MESSAGE,
        "columnGroups": MESSAGE,
        "slicers": MESSAGE,
        "tables": MESSAGE,
    },
    "SheetProperties": {
        "sheetId": None,
        "title": None,
        "index": None,
        "sheetType": None,
        "gridProperties": "GridProperties",
        "hidden": None,
        "tabColor": MESSAGE,
        "tabColorStyle": MESSAGE,
        "rightToLeft": None,
        "dataSourceSheetProperties": MESSAGE,
    },
    "GridProperties": {
        "rowCount": None,
        "columnCount": None,
        "frozenRowCount": None,
        "frozenColumnCount": None,
        "hideGridlines": None,
        "rowGroupControlAfter": None,
        "columnGroupControlAfter": None,
    },
    "ProtectedRange": {
        "protectedRangeId": None,
        "range": "GridRange",
        "namedRangeId": None,
        "tableId": None,
        "description": None,
        "warningOnly": None,
        "requestingUserCanEdit": None,
        "unprotectedRanges": "GridRange",
        "editors": MESSAGE,
    },
    "ConditionalFormatRule": {
        "ranges": "GridRange",
        "booleanRule": MESSAGE,
        "gradientRule": MESSAGE,
    },
    "GridRange": {
        "sheetId": None,
        "startRowIndex": None,
        "endRowIndex": None,
        "startColumnIndex": None,
        "endColumnIndex": None,
    },
    "ValueRange": {"range": None, "majorDimension": None, "values": None},
    "BatchGetValuesResponse": {"spreadsheetId": None, "valueRanges": "ValueRange"},
    "UpdateValuesResponse": {
        "spreadsheetId": None,
        "updatedRange": None,
        "updatedRows": None,
        "updatedColumns": None,
        "updatedCells": None,
        "updatedData": "ValueRange",
    },
    "BatchUpdateValuesResponse": {
        "spreadsheetId": None,
        "totalUpdatedRows": None,
        "totalUpdatedColumns": None,
        "totalUpdatedCells": None,
        "totalUpdatedSheets": None,
        "responses": "UpdateValuesResponse",
    },
    "BatchUpdateSpreadsheetResponse": {
        "spreadsheetId": None,
        "replies": MESSAGE,
        "updatedSpreadsheet": "Spreadsheet",
    },
    "ClearValuesResponse": {"spreadsheetId": None, "clearedRange": None},
    "BatchClearValuesResponse": {"spreadsheetId": None, "clearedRanges": None},
}
# The message each Sheets method answers with.
ANSWERS = {
    "spreadsheets.get": "Spreadsheet",
    "spreadsheets.create": "Spreadsheet",
    "spreadsheets.batchUpdate": "BatchUpdateSpreadsheetResponse",
    "values.get": "ValueRange",
    "values.batchGet": "BatchGetValuesResponse",
    "values.update": "UpdateValuesResponse",
    "values.batchUpdate": "BatchUpdateValuesResponse",
    "values.clear": "ClearValuesResponse",
    "values.batchClear": "BatchClearValuesResponse",
}


def unmatched_path(tree: FieldTree, message: str, prefix: tuple[str, ...] = ()) -> str | None:
    """The first path of a mask that names no field of the message, as Google spells it."""
    fields = SHEETS_MESSAGES[message]
    for name, subtree in tree.items():
        if name == "*":
            continue
        kind = fields.get(name, "")
        if subtree is None or kind == MESSAGE:
            if name not in fields:
                return ".".join((*prefix, name))
            continue
        if not kind:  # not a field, or a value with a path below it
            return ".".join((*prefix, name, *next(leaf_paths(subtree), ())))
        found = unmatched_path(subtree, kind, (*prefix, name))
        if found is not None:
            return found
    return None


def masked(value: Any, tree: FieldTree | None) -> Any:
    """Only the selected fields; a selected message that is present stays, even when empty."""
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [masked(item, tree) for item in value]
    if isinstance(value, dict):
        return {name: masked(value[name], sub) for name, sub in tree.items() if name in value}
    return value


def leaf_paths(tree: FieldTree, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, sub in tree.items():
        if sub is None:
            yield (*prefix, name)
        else:
            yield from leaf_paths(sub, (*prefix, name))


def copy_fields(target: dict[str, Any], source: dict[str, Any], fields: str, label: str) -> None:
    """An update request's field mask: each named field copied from source, or cleared."""
    if not fields:
        raise invalid_argument(f"{label}: At least one field must be updated, but fields is empty.")
    tree = parse_field_mask(fields)
    paths = [(name,) for name in source] if "*" in tree else list(leaf_paths(tree))
    for path in paths:
        holder, value = target, source
        for name in path[:-1]:
            holder = holder.setdefault(name, {})
            value = value.get(name, {}) if isinstance(value, dict) else {}
        if isinstance(value, dict) and path[-1] in value:
            holder[path[-1]] = copy.deepcopy(value[path[-1]])
        else:
            holder.pop(path[-1], None)


# --- the spreadsheets ---------------------------------------------------------------------------

DIMENSION_KEYS = {
    "ROWS": ("startRowIndex", "endRowIndex"),
    "COLUMNS": ("startColumnIndex", "endColumnIndex"),
}


def grid_range_out(grid_range: dict[str, Any]) -> dict[str, Any]:
    """A GridRange as Google writes it back: sheetId 0 is the default, so it is left out."""
    return {key: value for key, value in grid_range.items() if key != "sheetId" or value}


def shift_grid_range(
    grid_range: dict[str, Any], dimension: str, start: int, end: int, inserted: bool
) -> bool:
    """Move a stored range as rows/columns [start, end) come or go; False once it is gone."""
    first, last = DIMENSION_KEYS[dimension]
    count = end - start
    for key in (first, last):
        if key not in grid_range:
            continue  # an open end stays open
        index = grid_range[key]
        if inserted:
            # Inserted at a range's first row they go above it; further in, they widen it.
            moves = index >= start if key == first else index > start
            grid_range[key] = index + count if moves else index
        else:
            grid_range[key] = index if index <= start else max(start, index - count)
    return last not in grid_range or grid_range[last] > grid_range.get(first, 0)


@dataclass
class Sheet:
    """One tab: Google's SheetProperties (less the index, which is its place) and its cells."""

    properties: dict[str, Any]
    rows: list[list[Any]] = field(default_factory=list)  # ragged; None is an empty cell
    validations: list[tuple[dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    formats: list[dict[str, Any]] = field(default_factory=list)  # format requests, as sent
    charts: list[dict[str, Any]] = field(default_factory=list)  # a chart sheet's chart

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def sheet_id(self) -> int:
        return self.properties["sheetId"]

    @property
    def is_grid(self) -> bool:
        """A grid of cells; a chart moved to a sheet of its own is an OBJECT sheet, no grid."""
        return self.properties.get("sheetType", "GRID") == "GRID"

    @property
    def row_count(self) -> int:
        return self.properties.get("gridProperties", {}).get("rowCount", 0)

    @property
    def column_count(self) -> int:
        return self.properties.get("gridProperties", {}).get("columnCount", 0)

    def resource(self, index: int) -> dict[str, Any]:
        properties = {"sheetId": self.sheet_id, "title": self.title, "index": index}
        properties.update(self.properties)
        resource: dict[str, Any] = {"properties": properties}
        if self.protected_ranges:
            resource["protectedRanges"] = [
                with_owner(protected) for protected in self.protected_ranges
            ]
        if self.conditional_formats:
            resource["conditionalFormats"] = copy.deepcopy(self.conditional_formats)
        if self.charts:
            resource["charts"] = copy.deepcopy(self.charts)
        return resource

    def copy(self) -> Sheet:
        return Sheet(
            copy.deepcopy(self.properties),
            [list(row) for row in self.rows],
            copy.deepcopy(self.validations),
            copy.deepcopy(self.conditional_formats),
            copy.deepcopy(self.protected_ranges),
            copy.deepcopy(self.formats),
            copy.deepcopy(self.charts),
        )

    def cell(self, row: int, col: int) -> Any:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def put(self, row: int, col: int, value: Any) -> None:
        if value is None and self.cell(row, col) is None:
            return
        while len(self.rows) <= row:
            self.rows.append([])
        cells = self.rows[row]
        if len(cells) <= col:
            cells.extend([None] * (col + 1 - len(cells)))
        cells[col] = value

    def block(self, box: Box) -> list[list[Any]]:
        """The stored cells of a box, row by row, padded with None."""
        width = box.col1 - box.col0
        block = []
        for row in range(box.row0, min(box.row1, len(self.rows))):
            cells = self.rows[row][box.col0 : box.col1]
            block.append(cells + [None] * (width - len(cells)))
        return block

    def whole(self) -> Box:
        return Box(0, self.row_count, 0, self.column_count)

    def clip(self, bounds: Bounds) -> Box | None:
        """The bounds on this grid; None when a closed end lies past it."""
        row1 = self.row_count if bounds.row1 is None else bounds.row1
        col1 = self.column_count if bounds.col1 is None else bounds.col1
        if row1 > self.row_count or col1 > self.column_count:
            return None
        if bounds.row0 >= self.row_count or bounds.col0 >= self.column_count:
            return None
        return Box(bounds.row0, row1, bounds.col0, col1)

    def exceeds(self, cells: str) -> ApiError:
        return invalid_argument(
            f"Range ({quote_title(self.title)}!{cells}) exceeds grid limits. "
            f"Max rows: {self.row_count}, max columns: {self.column_count}"
        )

    def resize(self, dimension: str, start: int, end: int, inserted: bool) -> None:
        """Insert or delete rows/columns [start, end), moving stored ranges as Google does."""
        grid = self.properties["gridProperties"]
        count_key = "rowCount" if dimension == "ROWS" else "columnCount"
        grid[count_key] += (end - start) if inserted else -(end - start)
        if dimension == "ROWS":
            if inserted and start < len(self.rows):
                self.rows[start:start] = [[] for _ in range(end - start)]
            elif not inserted:
                del self.rows[start:end]
        else:
            for cells in self.rows:
                if inserted and start < len(cells):
                    cells[start:start] = [None] * (end - start)
                elif not inserted:
                    del cells[start:end]
        self._shift_ranges(dimension, start, end, inserted)

    def _shift_ranges(self, dimension: str, start: int, end: int, inserted: bool) -> None:
        def keep(grid_range: dict[str, Any]) -> bool:
            return shift_grid_range(grid_range, dimension, start, end, inserted)

        self.validations = [(gr, rule) for gr, rule in self.validations if keep(gr)]
        self.protected_ranges = [pr for pr in self.protected_ranges if keep(pr["range"])]
        for rule in self.conditional_formats:
            rule["ranges"] = [gr for gr in rule["ranges"] if keep(gr)]
        self.conditional_formats = [rule for rule in self.conditional_formats if rule["ranges"]]

    def truncate(self) -> None:
        """Drop cells outside the grid after it shrank (Google loses them too)."""
        del self.rows[self.row_count :]
        for cells in self.rows:
            del cells[self.column_count :]

    def locked(self, row: int, col: int) -> bool:
        """Whether a protected range that is not warning-only keeps the caller out of a cell."""
        return any(
            not protected.get("warningOnly") and not protected.get("requestingUserCanEdit")
            for protected in self.protected_ranges
            if self.grid_box(protected["range"]).contains(row, col)
        )

    def grid_box(self, grid_range: dict[str, Any]) -> Box:
        return Box(
            grid_range.get("startRowIndex", 0),
            grid_range.get("endRowIndex", self.row_count),
            grid_range.get("startColumnIndex", 0),
            grid_range.get("endColumnIndex", self.column_count),
        )

    def rule_at(self, row: int, col: int) -> dict[str, Any] | None:
        """The data validation rule of one cell: the last one set on it wins."""
        rule = None
        for grid_range, candidate in self.validations:
            if self.grid_box(grid_range).contains(row, col):
                rule = candidate
        return rule


def with_owner(protected: dict[str, Any]) -> dict[str, Any]:
    """A protected range as spreadsheets.get shows it: the owner is always one of its editors."""
    editors = copy.deepcopy(protected["editors"])
    editors["users"] = [OWNER, *editors.get("users", [])]
    return {**copy.deepcopy(protected), "editors": editors}


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Spreadsheet:
    key: str
    properties: dict[str, Any]  # title, locale, timeZone
    sheets: list[Sheet]
    shared: bool = True
    created_time: str = field(default_factory=now)
    modified_time: str = field(default_factory=now)
    permissions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.properties.get("locale", "en_US")

    def resource(self) -> dict[str, Any]:
        properties = {
            "title": self.properties["title"],
            "locale": self.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": self.properties.get("timeZone", "Etc/GMT"),
            "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
            "spreadsheetTheme": copy.deepcopy(THEME),
        }
        properties.update(self.properties)
        return {
            "spreadsheetId": self.key,
            "properties": properties,
            "sheets": [sheet.resource(index) for index, sheet in enumerate(self.sheets)],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.key}/edit",
        }

    def drive_file(self) -> dict[str, Any]:
        return {
            "kind": "drive#file",
            "id": self.key,
            "name": self.properties["title"],
            "mimeType": SPREADSHEET_MIME,
            "createdTime": self.created_time,
            "modifiedTime": self.modified_time,
        }

    def copy(self) -> Spreadsheet:
        clone = copy.copy(self)
        clone.properties = copy.deepcopy(self.properties)
        clone.sheets = [sheet.copy() for sheet in self.sheets]
        return clone

    def sheet_titled(self, title: str) -> Sheet | None:
        # Sheets matches titles in ranges without regard to case.
        wanted = title.casefold()
        return next((sheet for sheet in self.sheets if sheet.title.casefold() == wanted), None)

    def sheet_with_id(self, sheet_id: int, label: str, grid: bool = True) -> Sheet:
        """The sheet of that id; a request on cells (`grid`) finds no chart sheet, as Google."""
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id and (sheet.is_grid or not grid):
                return sheet
        raise invalid_argument(f"{label}: No grid with id: {sheet_id}")

    def locate(self, text: str) -> tuple[Sheet, Bounds, str]:
        """The sheet, bounds and A1 part of a range in A1 notation (no named ranges)."""
        title, cells = split_range(text)
        if title is None and cells is not None and (sheet := self.sheet_titled(cells)):
            return sheet, Bounds(0, None, 0, None), ""
        sheet = self.sheets[0] if title is None else self.sheet_titled(title)
        bounds = Bounds(0, None, 0, None) if not cells else parse_cells(cells)
        # A chart sheet has no cells to address: Google parses no range on it.
        if sheet is None or bounds is None or not sheet.is_grid:
            raise invalid_argument(f"Unable to parse range: {text}")
        return sheet, bounds, (cells or "").upper()

    def box(self, text: str) -> tuple[Sheet, Box]:
        """A range on its grid; a closed end past the grid is Google's 'exceeds grid limits'."""
        sheet, bounds, cells = self.locate(text)
        box = sheet.clip(bounds)
        if box is None:
            raise sheet.exceeds(cells)
        return sheet, box

    def touch(self) -> None:
        self.modified_time = now()

    def cells(self) -> int:
        return sum(sheet.row_count * sheet.column_count for sheet in self.sheets)

    def check_cell_limit(self, label: str) -> None:
        if self.cells() > SPREADSHEET_CELLS:
            raise too_many_cells(label)


# --- faults -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """A one-shot misbehaviour, applied to the next request whose route matches."""

    kind: str  # "status", "slow", "drop", "lost" or "edit"
    route: str | None = None  # e.g. "values.batchUpdate"; None matches any request
    code: int = 0
    retry_after: float | str | None = None  # seconds, or the header as written (an HTTP date)
    seconds: float = 0.0
    callback: Callable[[SheetsApiServer], None] | None = None

    @classmethod
    def status(
        cls,
        code: int,
        retry_after: float | str | None = None,
        route: str | None = None,
        then: Callable[[SheetsApiServer], None] | None = None,
    ) -> Fault:
        """Answer with Google's error for 429, 500, 502, 503 or 504 (Retry-After if given),
        without handling the request; then run then(server): another user's edit before the
        client tries again."""
        if code not in (429, 500, 502, 503, 504):
            raise ValueError(f"no transient Google error with status {code}")
        return cls("status", route, code=code, retry_after=retry_after, callback=then)

    @classmethod
    def slow(cls, seconds: float, route: str | None = None) -> Fault:
        """Wait, then handle the request: a client that timed out meanwhile missed a done write."""
        return cls("slow", route, seconds=seconds)

    @classmethod
    def drop(cls, route: str | None = None) -> Fault:
        """Close the connection without handling the request or answering."""
        return cls("drop", route)

    @classmethod
    def lost(cls, route: str | None = None) -> Fault:
        """Handle the request, then close the connection unanswered: a done write whose
        answer never reached the client."""
        return cls("lost", route)

    @classmethod
    def edit(
        cls, callback: Callable[[SheetsApiServer], None], route: str | None = "values.batchUpdate"
    ) -> Fault:
        """Run callback(server) just before handling the request: another user's edit."""
        return cls("edit", route, callback=callback)

    def matches(self, route: str) -> bool:
        return self.route is None or self.route == route


# --- the API ------------------------------------------------------------------------------------


class Route(NamedTuple):
    method: str
    pattern: re.Pattern[str]
    name: str


SHEET = r"/v4/spreadsheets/([^/:]+)"
ROUTES = (
    Route("GET", re.compile(SHEET), "spreadsheets.get"),
    Route("POST", re.compile(r"/v4/spreadsheets"), "spreadsheets.create"),
    Route("POST", re.compile(SHEET + ":batchUpdate"), "spreadsheets.batchUpdate"),
    Route("GET", re.compile(SHEET + "/values:batchGet"), "values.batchGet"),
    Route("POST", re.compile(SHEET + "/values:batchUpdate"), "values.batchUpdate"),
    Route("POST", re.compile(SHEET + "/values:batchClear"), "values.batchClear"),
    Route("POST", re.compile(SHEET + "/values/(.+):clear"), "values.clear"),
    Route("GET", re.compile(SHEET + "/values/(.+)"), "values.get"),
    Route("PUT", re.compile(SHEET + "/values/(.+)"), "values.update"),
    Route("POST", re.compile(r"/drive/v3/files"), "drive.files.create"),
    Route("GET", re.compile(r"/drive/v3/files"), "drive.files.list"),
    Route("GET", re.compile(r"/drive/v3/files/([^/]+)"), "drive.files.get"),
    Route("DELETE", re.compile(r"/drive/v3/files/([^/]+)"), "drive.files.delete"),
    Route("POST", re.compile(r"/drive/v3/files/([^/]+)/permissions"), "drive.permissions.create"),
    Route("GET", re.compile(r"/drive/v3/about"), "drive.about.get"),
    Route("POST", re.compile(r"/token"), "oauth.token"),
)


def route_of(method: str, path: str) -> tuple[str | None, tuple[str, ...]]:
    for route in ROUTES:
        if route.method == method and (match := route.pattern.fullmatch(path)):
            return route.name, tuple(unquote(group) for group in match.groups())
    return None, ()


def only(query: dict[str, list[str]], name: str, default: str = "") -> str:
    return query.get(name, [default])[-1]


def is_true(value: str) -> bool:
    return value.lower() == "true"


# --- query parameters ---------------------------------------------------------------------------

# Every Google API takes these (the "parameters" of its discovery document).
SYSTEM_PARAMETERS = frozenset(
    {
        "$.xgafv",
        "access_token",
        "alt",
        "callback",
        "fields",
        "key",
        "oauth_token",
        "prettyPrint",
        "quotaUser",
        "upload_protocol",
        "uploadType",
    }
)
VALUE_READ_PARAMETERS = frozenset({"majorDimension", "valueRenderOption", "dateTimeRenderOption"})
# The query parameters of each Sheets method, as Google's API reference lists them.
QUERY_PARAMETERS: dict[str, frozenset[str]] = {
    "spreadsheets.get": frozenset({"ranges", "includeGridData", "excludeTablesInBandedRanges"}),
    "values.get": VALUE_READ_PARAMETERS,
    "values.batchGet": VALUE_READ_PARAMETERS | {"ranges"},
    "values.update": frozenset(
        {
            "valueInputOption",
            "includeValuesInResponse",
            "responseValueRenderOption",
            "responseDateTimeRenderOption",
        }
    ),
}
# The fields of the request a method takes as its whole body. Google would take one of them as
# a query parameter too; this server reads them from the body only, so it answers 501.
BODY_FIELDS: dict[str, frozenset[str]] = {
    "spreadsheets.batchUpdate": frozenset(
        {"requests", "includeSpreadsheetInResponse", "responseRanges", "responseIncludeGridData"}
    ),
    "values.batchUpdate": QUERY_PARAMETERS["values.update"] | {"data"},
    "values.batchClear": frozenset({"ranges"}),
    "spreadsheets.create": frozenset(
        {
            "spreadsheetId",
            "properties",
            "sheets",
            "namedRanges",
            "spreadsheetUrl",
            "developerMetadata",
            "dataSources",
            "dataSourceSchedules",
        }
    ),
}
RENDER = ("ValueRenderOption", frozenset({"FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"}))
DATES = ("DateTimeRenderOption", frozenset({"SERIAL_NUMBER", "FORMATTED_STRING"}))
# Enumerations Google checks before the method runs: parameter -> (its type, its values).
ENUM_PARAMETERS: dict[str, tuple[str, frozenset[str]]] = {
    "majorDimension": ("Dimension", frozenset({"DIMENSION_UNSPECIFIED", "ROWS", "COLUMNS"})),
    "valueRenderOption": RENDER,
    "responseValueRenderOption": RENDER,
    "dateTimeRenderOption": DATES,
    "responseDateTimeRenderOption": DATES,
    "valueInputOption": (
        "ValueInputOption",
        frozenset({"INPUT_VALUE_OPTION_UNSPECIFIED", "RAW", "USER_ENTERED"}),
    ),
}


def json_name(name: str) -> str:
    """value_render_option -> valueRenderOption: Google takes a field by either name."""
    return re.sub(r"_([a-z])", lambda match: match[1].upper(), name)


def proto_name(name: str) -> str:
    """valueRenderOption -> value_render_option, as Google's error messages name a field."""
    return re.sub(r"[A-Z]", lambda match: "_" + match[0].lower(), name)


def checked_query(route: str, query: dict[str, list[str]]) -> dict[str, list[str]]:
    """A Sheets method's query, every name as its JSON name; refused as Google refuses a
    parameter the method does not take or an option it does not know."""
    taken = SYSTEM_PARAMETERS | QUERY_PARAMETERS.get(route, frozenset())
    checked: dict[str, list[str]] = {}
    unknown = []
    for name, values in query.items():
        known = name if name in taken else json_name(name)
        if known in taken:
            checked.setdefault(known, []).extend(values)
        elif known in BODY_FIELDS.get(route, ()):
            raise unimplemented(f"the body field {name} sent as a query parameter")
        else:
            unknown.append(name)
    if unknown:
        raise cannot_bind(unknown)
    for name, values in checked.items():
        kind, accepted = ENUM_PARAMETERS.get(name, ("", None))
        for value in values if accepted is not None else ():
            if value not in accepted:
                raise invalid_enum(proto_name(name), kind, value)
    return checked


def field_mask(route: str, text: str) -> FieldTree | None:
    """The field mask of a Sheets method's answer (None: no mask), refused as Google refuses a
    path its answer has no field for."""
    if not text:
        return None
    tree = parse_field_mask(text, spaces_in_names=True)
    path = unmatched_path(tree, ANSWERS[route])
    if path is not None:
        raise bad_field_mask(text, path)
    return tree


# One kind of spreadsheets.batchUpdate request: (spreadsheet, request detail, error label) -> reply
Action = Callable[[Spreadsheet, dict[str, Any], str], dict[str, Any]]


@dataclass(frozen=True)
class PlannedWrite:
    """One range of a values write, checked and converted, not yet applied."""

    sheet: Sheet
    box: Box  # from the range's first cell to the extent of the values
    cells: list[tuple[int, int, Any]]  # (row, col, stored value or None to clear)


class SheetsApi:
    """The endpoints, over the spreadsheets a SheetsApiServer holds."""

    def __init__(self, spreadsheets: dict[str, Spreadsheet], ids: random.Random) -> None:
        self.spreadsheets = spreadsheets
        self.ids = ids
        self.handlers: dict[str, Callable[..., Reply]] = {
            "spreadsheets.get": self.spreadsheets_get,
            "spreadsheets.create": self.spreadsheets_create,
            "spreadsheets.batchUpdate": self.spreadsheets_batch_update,
            "values.get": self.values_get,
            "values.batchGet": self.values_batch_get,
            "values.update": self.values_update,
            "values.batchUpdate": self.values_batch_update,
            "values.clear": self.values_clear,
            "values.batchClear": self.values_batch_clear,
            "drive.files.create": self.drive_create,
            "drive.files.list": self.drive_list,
            "drive.files.get": self.drive_get,
            "drive.files.delete": self.drive_delete,
            "drive.permissions.create": self.drive_share,
            "drive.about.get": self.drive_about,
        }
        self.actions: dict[str, Action] = {
            "addSheet": self.add_sheet,
            "deleteSheet": self.delete_sheet,
            "updateSheetProperties": self.update_sheet_properties,
            "updateSpreadsheetProperties": self.update_spreadsheet_properties,
            "appendDimension": self.append_dimension,
            "insertDimension": self.insert_dimension,
            "deleteDimension": self.delete_dimension,
            "setDataValidation": self.set_data_validation,
            "addConditionalFormatRule": self.add_conditional_format,
            "addProtectedRange": self.add_protected_range,
            "deleteProtectedRange": self.delete_protected_range,
            "repeatCell": self.keep_format,
            "updateBorders": self.keep_format,
            "updateDimensionProperties": self.keep_format,
            "autoResizeDimensions": self.keep_format,
        }

    # - ids and lookups -

    def new_key(self) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        return "1" + "".join(self.ids.choice(alphabet) for _ in range(43))

    def new_id(self) -> int:
        return self.ids.randrange(1, 2**31 - 1)

    def book(self, key: str) -> Spreadsheet:
        book = self.spreadsheets.get(key)
        if book is None:
            raise not_found()
        if not book.shared:
            raise permission_denied()
        return book

    def drive_book(self, key: str) -> Spreadsheet:
        book = self.spreadsheets.get(key)
        if book is None or not book.shared:
            raise drive_not_found(key)
        return book

    def create(
        self, title: str, sheets: list[dict[str, Any]], key: str | None = None, **properties: Any
    ) -> Spreadsheet:
        book = Spreadsheet(key or self.new_key(), {"title": title, **properties}, [])
        for position, requested in enumerate(sheets or [{}]):
            self.add_sheet(book, {"properties": requested.get("properties", {})}, "", position == 0)
        self.spreadsheets[book.key] = book
        return book

    # - spreadsheets -

    def spreadsheets_get(self, key: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.book(key)
        fields = only(query, "fields")
        if is_true(only(query, "includeGridData")) or "ranges" in query or "data" in fields:
            raise unimplemented("grid data in spreadsheets.get")
        return Reply(200, book.resource())

    def spreadsheets_create(self, query: dict[str, list[str]], body: Any) -> Reply:
        body = body or {}
        properties = dict(body.get("properties", {}))
        title = properties.pop("title", "Untitled spreadsheet")
        book = self.create(title, body.get("sheets", []), **properties)
        try:
            book.check_cell_limit("")
        except ApiError:
            del self.spreadsheets[book.key]
            raise
        return Reply(200, book.resource())

    def spreadsheets_batch_update(self, key: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.book(key)
        requests = (body or {}).get("requests", [])
        before = book.copy()
        try:
            replies = [self.apply_request(book, request, n) for n, request in enumerate(requests)]
        except ApiError:
            self.spreadsheets[key] = before  # Google applies all requests or none
            raise
        book.touch()
        return Reply(200, {"spreadsheetId": key, "replies": replies})

    def apply_request(self, book: Spreadsheet, request: dict[str, Any], n: int) -> dict[str, Any]:
        if len(request) != 1:
            raise invalid_argument(f"Invalid requests[{n}]: exactly one kind of request expected.")
        ((kind, detail),) = request.items()
        if kind not in self.actions:
            raise unimplemented(f"requests[{n}].{kind}")
        label = f"Invalid requests[{n}].{kind}"
        reply = self.actions[kind](book, detail, label)
        book.check_cell_limit(label)
        return reply

    def add_sheet(
        self, book: Spreadsheet, detail: dict[str, Any], label: str, first: bool = False
    ) -> dict[str, Any]:
        properties = proto3(detail.get("properties", {}))
        title = properties.get("title") or f"Sheet{len(book.sheets) + 1}"
        if book.sheet_titled(title):
            raise invalid_argument(
                f'{label}: A sheet with the name "{title}" already exists. '
                "Please enter another name."
            )
        grid = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS}
        grid.update(properties.pop("gridProperties", {}))
        index = min(properties.pop("index", len(book.sheets)), len(book.sheets))
        sheet_id = properties.pop("sheetId", 0 if first else self.new_id())
        if sheet_id < 0:
            # The reference says "Must be non-negative"; no recording holds Google's wording.
            raise invalid_argument(f"{label}: sheetId must be non-negative, not {sheet_id}.")
        if any(sheet.sheet_id == sheet_id for sheet in book.sheets):
            # No recording holds this one; worded as other Sheets API fakes word it.
            raise invalid_argument(f"{label}: A sheet with the id {sheet_id} already exists.")
        properties.pop("title", None)
        sheet = Sheet(
            {"sheetId": sheet_id, "title": title, "sheetType": "GRID", "gridProperties": grid}
        )
        sheet.properties.update(properties)
        prune_defaults(sheet.properties)
        book.sheets.insert(index, sheet)
        return {"addSheet": {"properties": sheet.resource(index)["properties"]}}

    def delete_sheet(self, book: Spreadsheet, detail: dict[str, Any], label: str) -> dict[str, Any]:
        sheet = book.sheet_with_id(detail.get("sheetId", 0), label, grid=False)
        if len(book.sheets) == 1:
            raise invalid_argument(f"{label}: You can't remove all the sheets in a document.")
        book.sheets.remove(sheet)
        return {}

    def update_sheet_properties(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        requested = {"sheetId": 0, **proto3(detail.get("properties", {}))}
        sheet = book.sheet_with_id(requested["sheetId"], label, grid=False)
        old_index = book.sheets.index(sheet)
        updated = {**copy.deepcopy(sheet.properties), "index": old_index}
        copy_fields(updated, requested, detail.get("fields", ""), label)
        new_index = updated.pop("index", old_index)
        title = updated.get("title", "")
        clash = book.sheet_titled(title)
        if not title or (clash is not None and clash is not sheet):
            raise invalid_argument(
                f'{label}: A sheet with the name "{title}" already exists. '
                "Please enter another name."
            )
        updated["sheetId"] = sheet.sheet_id
        prune_defaults(updated)
        sheet.properties = updated
        if all(other.properties.get("hidden") for other in book.sheets):
            raise invalid_argument(f"{label}: You can't hide all the sheets in a document.")
        sheet.truncate()
        if new_index != old_index:
            # Google counts the new index as if the sheet were still in its old place.
            book.sheets.remove(sheet)
            book.sheets.insert(new_index - (new_index > old_index), sheet)
        return {}

    def update_spreadsheet_properties(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        copy_fields(book.properties, detail.get("properties", {}), detail.get("fields", ""), label)
        return {}

    def append_dimension(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        sheet = book.sheet_with_id(detail.get("sheetId", 0), label)
        dimension = detail.get("dimension", "ROWS")
        if dimension not in DIMENSION_KEYS:
            at = "requests[" + label.partition("[")[2].partition("]")[0] + "].append_dimension"
            raise invalid_argument(
                f"Invalid value at '{at}.dimension' "
                f'(type.googleapis.com/google.apps.sheets.v4.Dimension), "{dimension}"'
            )
        end = sheet.row_count if dimension == "ROWS" else sheet.column_count
        sheet.resize(dimension, end, end + detail.get("length", 0), inserted=True)
        return {}

    def insert_dimension(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        dimension_range = detail.get("range", {})
        sheet = book.sheet_with_id(dimension_range.get("sheetId", 0), label)
        start, end = dimension_range.get("startIndex", 0), dimension_range.get("endIndex", 0)
        sheet.resize(dimension_range.get("dimension", "ROWS"), start, end, inserted=True)
        return {}

    def delete_dimension(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        dimension_range = detail.get("range", {})
        sheet = book.sheet_with_id(dimension_range.get("sheetId", 0), label)
        dimension = dimension_range.get("dimension", "ROWS")
        size = sheet.row_count if dimension == "ROWS" else sheet.column_count
        start = dimension_range.get("startIndex", 0)
        end = min(dimension_range.get("endIndex", size), size)
        if end - start >= size:
            what = "rows" if dimension == "ROWS" else "columns"
            raise invalid_argument(f"{label}: You can't delete all the {what} on the sheet.")
        sheet.resize(dimension, start, end, inserted=False)
        return {}

    def set_data_validation(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        grid_range = detail.get("range", {})
        sheet = book.sheet_with_id(grid_range.get("sheetId", 0), label)
        rule = detail.get("rule")
        sheet.validations.append((grid_range_out(grid_range), copy.deepcopy(rule)))
        return {}

    def add_conditional_format(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        rule = copy.deepcopy(detail.get("rule", {}))
        ranges = rule.get("ranges", [])
        if not ranges:
            raise invalid_argument(f"{label}: rule.ranges must not be empty.")
        sheet = book.sheet_with_id(ranges[0].get("sheetId", 0), label)
        rule["ranges"] = [grid_range_out(grid_range) for grid_range in ranges]
        sheet.conditional_formats.insert(detail.get("index", 0), rule)
        return {}

    def add_protected_range(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        requested = detail.get("protectedRange", {})
        grid_range = requested.get("range", {})
        sheet = book.sheet_with_id(grid_range.get("sheetId", 0), label)
        editors = requested.get("editors") or {}
        protected: dict[str, Any] = {
            "protectedRangeId": requested.get("protectedRangeId") or self.new_id(),
            "range": grid_range_out(grid_range),
        }
        if requested.get("description"):
            protected["description"] = requested["description"]
        if requested.get("warningOnly"):
            protected["warningOnly"] = True
        protected["requestingUserCanEdit"] = True  # the caller owns the spreadsheet
        protected["editors"] = {kind: names for kind, names in editors.items() if names}
        sheet.protected_ranges.append(protected)
        return {"addProtectedRange": {"protectedRange": copy.deepcopy(protected)}}

    def delete_protected_range(
        self, book: Spreadsheet, detail: dict[str, Any], label: str
    ) -> dict[str, Any]:
        wanted = detail.get("protectedRangeId")
        for sheet in book.sheets:
            for protected in sheet.protected_ranges:
                if protected["protectedRangeId"] == wanted:
                    sheet.protected_ranges.remove(protected)
                    return {}
        raise invalid_argument(f"{label}: No protected range with id: {wanted}")

    def keep_format(self, book: Spreadsheet, detail: dict[str, Any], label: str) -> dict[str, Any]:
        """Formatting is only recorded (so tests can see it was asked for), never rendered."""
        if label.endswith(".repeatCell"):
            check_repeat_cell(detail, label)
        where = detail.get("range") or detail.get("dimensions") or {}
        sheet = book.sheet_with_id(where.get("sheetId", 0), label)
        sheet.formats.append({label.rpartition(".")[2]: copy.deepcopy(detail)})
        return {}

    # - values -

    def values_get(self, key: str, text: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.book(key)
        return Reply(200, self.value_range(book, text, query))

    def values_batch_get(self, key: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.book(key)
        answer: dict[str, Any] = {"spreadsheetId": key}
        if ranges := query.get("ranges"):
            answer["valueRanges"] = [self.value_range(book, text, query) for text in ranges]
        return Reply(200, answer)

    def value_range(
        self, book: Spreadsheet, text: str, query: dict[str, list[str]]
    ) -> dict[str, Any]:
        sheet, box = book.box(text)
        major = only(query, "majorDimension", "ROWS") or "ROWS"
        render = only(query, "valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE"
        serial = only(query, "dateTimeRenderOption", "SERIAL_NUMBER") != "FORMATTED_STRING"
        block = sheet.block(box)
        if major == "COLUMNS":
            block = [list(column) for column in zip(*block, strict=True)] if block else []
        answer: dict[str, Any] = {
            "range": f"{quote_title(sheet.title)}!{box.a1()}",
            "majorDimension": major,
        }
        if values := trimmed(block, render, serial):
            answer["values"] = values
        return answer

    def values_update(self, key: str, text: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.book(key)
        body = body or {}
        option = value_input_option(only(query, "valueInputOption"))
        planned = self.plan_write(book, text, body, option, "data")
        self.check_validation(book, [planned])
        answer = {"spreadsheetId": key, **self.apply_write(planned)}
        book.touch()
        if is_true(only(query, "includeValuesInResponse")):
            answer["updatedData"] = self.value_range(book, answer["updatedRange"], query)
        return Reply(200, answer)

    def values_batch_update(self, key: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.book(key)
        body = body or {}
        option = value_input_option(body.get("valueInputOption", ""))
        data = body.get("data", [])
        planned = [
            self.plan_write(book, item.get("range", ""), item, option, f"data[{n}]")
            for n, item in enumerate(data)
        ]
        self.check_validation(book, planned)
        responses = [{"spreadsheetId": key, **self.apply_write(write)} for write in planned]
        book.touch()
        answer: dict[str, Any] = {"spreadsheetId": key}
        answer.update(nonzero(totals(planned)))
        if responses:
            answer["responses"] = responses
        return Reply(200, answer)

    def plan_write(
        self, book: Spreadsheet, text: str, item: dict[str, Any], option: str, where: str
    ) -> PlannedWrite:
        values = item.get("values", [])
        if not isinstance(values, list):
            raise invalid_field(f"{where}.values", values)
        for n, row in enumerate(values):
            if not isinstance(row, list):
                raise invalid_field(f"{where}.values[{n}]", row)
        if item.get("majorDimension") == "COLUMNS":
            values = transposed(values)
        sheet, bounds, _ = book.locate(text)
        height, width = len(values), max((len(row) for row in values), default=0)
        if not (height and width):
            height = width = 1  # nothing written: the answer names the range's first cell
        box = Box(bounds.row0, bounds.row0 + height, bounds.col0, bounds.col0 + width)
        overflow(bounds, box, text)
        if (
            box.row1 > sheet.row_count
            or box.col1 > sheet.column_count
            or sheet.clip(bounds) is None
        ):
            raise sheet.exceeds(box.a1())
        locale = book.locale
        planned = [
            (box.row0 + r, box.col0 + c, stored(value, option, locale))
            for r, row in enumerate(values)
            for c, value in enumerate(row)
            if value is not None
        ]
        for row, col, value in planned:
            if isinstance(value, str) and len(value) > CELL_CHARACTERS:
                raise invalid_argument(
                    f"Your input contains more than the maximum of {CELL_CHARACTERS} characters "
                    "in a single cell."
                )
            if sheet.locked(row, col):
                raise protected_cell()
        return PlannedWrite(sheet, box, planned)

    def check_validation(self, book: Spreadsheet, planned: list[PlannedWrite]) -> None:
        """Strict data validation rejects a whole write, as it does in Google."""
        for write in planned:
            if not write.sheet.validations:
                continue
            for row, col, value in write.cells:
                rule = write.sheet.rule_at(row, col)
                if value is not None and rule and rule.get("strict"):
                    check_rule(book, rule, value, f"{column_letters(col)}{row + 1}")

    def apply_write(self, write: PlannedWrite) -> dict[str, Any]:
        for row, col, value in write.cells:
            write.sheet.put(row, col, value)
        answer: dict[str, Any] = {
            "updatedRange": f"{quote_title(write.sheet.title)}!{write.box.a1()}"
        }
        answer.update(nonzero(totals([write], prefix="updated")))
        return answer

    def values_clear(self, key: str, text: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.book(key)
        return Reply(200, {"spreadsheetId": key, "clearedRange": self.clear(book, text)})

    def values_batch_clear(self, key: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.book(key)
        ranges = (body or {}).get("ranges", [])
        cleared = [self.clear(book, text) for text in ranges]
        return Reply(200, {"spreadsheetId": key, "clearedRanges": cleared})

    def clear(self, book: Spreadsheet, text: str) -> str:
        sheet, box = book.box(text)
        for row in range(box.row0, min(box.row1, len(sheet.rows))):
            for col in range(box.col0, min(box.col1, len(sheet.rows[row]))):
                sheet.rows[row][col] = None
        book.touch()
        return f"{quote_title(sheet.title)}!{box.a1()}"

    # - drive -

    def drive_create(self, query: dict[str, list[str]], body: Any) -> Reply:
        body = body or {}
        if body.get("mimeType") != SPREADSHEET_MIME:
            raise unimplemented(f"Drive files of type {body.get('mimeType')!r}")
        book = self.create(body.get("name", "Untitled spreadsheet"), [])
        file = book.drive_file()
        fields = only(query, "fields")
        default = {name: file[name] for name in ("kind", "id", "name", "mimeType")}
        return Reply(200, masked(file, parse_field_mask(fields)) if fields else default)

    def drive_list(self, query: dict[str, list[str]], body: Any) -> Reply:
        wanted = drive_query(only(query, "q"))
        books = [
            book
            for book in self.spreadsheets.values()
            if book.shared and all(book.drive_file()[name] == value for name, value in wanted)
        ]
        books.sort(key=lambda book: book.modified_time, reverse=True)
        files = [book.drive_file() for book in books]
        if fields := only(query, "fields"):
            return Reply(
                200, masked({"kind": "drive#fileList", "files": files}, parse_field_mask(fields))
            )
        short = [
            {name: file[name] for name in ("kind", "mimeType", "id", "name")} for file in files
        ]
        return Reply(200, {"kind": "drive#fileList", "incompleteSearch": False, "files": short})

    def drive_get(self, key: str, query: dict[str, list[str]], body: Any) -> Reply:
        file = self.drive_book(key).drive_file()
        if fields := only(query, "fields"):
            return Reply(200, masked(file, parse_field_mask(fields)))
        return Reply(200, {name: file[name] for name in ("kind", "id", "name", "mimeType")})

    def drive_delete(self, key: str, query: dict[str, list[str]], body: Any) -> Reply:
        self.drive_book(key)
        del self.spreadsheets[key]
        return Reply(204, content_type="text/html")

    def drive_about(self, query: dict[str, list[str]], body: Any) -> Reply:
        """Who the caller is: the account that owns every spreadsheet here."""
        about = {
            "kind": "drive#about",
            "user": {
                "kind": "drive#user",
                "displayName": "sheetsync test",
                "me": True,
                "permissionId": "00000000000000000001",
                "emailAddress": OWNER,
            },
        }
        fields = only(query, "fields")
        return Reply(200, masked(about, parse_field_mask(fields)) if fields else about)

    def drive_share(self, key: str, query: dict[str, list[str]], body: Any) -> Reply:
        book = self.drive_book(key)
        permission = {
            "kind": "drive#permission",
            "id": str(self.ids.randrange(10**19, 10**20)),
            "type": (body or {}).get("type", "user"),
            "role": (body or {}).get("role", "reader"),
        }
        book.permissions.append({**permission, **(body or {})})
        return Reply(200, permission)


COLOR_PARTS = frozenset({"red", "green", "blue", "alpha"})


def proto3(value: Any) -> Any:
    """A message as Google keeps it: nulls unset, zero colour parts left out, and a message
    emptied that way unset too."""
    if isinstance(value, list):
        return [proto3(item) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {}
    for key, item in value.items():
        zero_colour = item == 0 and key in COLOR_PARTS and value.keys() <= COLOR_PARTS
        if item is None or zero_colour:
            continue
        cleaned = proto3(item)
        if isinstance(item, dict) and item and not cleaned:
            continue
        kept[key] = cleaned
    return kept


def prune_defaults(properties: dict[str, Any]) -> None:
    """Google leaves false and zero fields out of SheetProperties."""
    grid = properties.get("gridProperties", {})
    for name in ("frozenRowCount", "frozenColumnCount", "hideGridlines"):
        if not grid.get(name, True):
            del grid[name]
    for name in ("hidden", "rightToLeft"):
        if not properties.get(name, True):
            del properties[name]


def value_input_option(option: str) -> str:
    if option not in ("RAW", "USER_ENTERED"):
        if not option:
            raise invalid_argument("'valueInputOption' is required but not specified")
        raise invalid_enum("value_input_option", "ValueInputOption", option)
    return option


def stored(value: Any, option: str, locale: str) -> Any:
    """What a written value becomes: '' clears; RAW keeps text as text, even '=...'."""
    if value == "":
        return None
    if isinstance(value, dict | list):
        raise invalid_argument(f"Invalid values: {json.dumps(value)}")
    return user_entered(value, locale) if option == "USER_ENTERED" else value


def transposed(values: list[list[Any]]) -> list[list[Any]]:
    width = max((len(column) for column in values), default=0)
    return [
        [column[row] if row < len(column) else None for column in values] for row in range(width)
    ]


def overflow(bounds: Bounds, box: Box, text: str) -> None:
    """Values that do not fit a closed range are refused, with Google's words (one cell is
    only where writing starts)."""
    if (bounds.row1, bounds.col1) == (bounds.row0 + 1, bounds.col0 + 1):
        return
    if bounds.row1 is not None and box.row1 > bounds.row1:
        raise invalid_argument(
            f"Requested writing within range [{text}], but tried writing to row [{box.row1}]"
        )
    if bounds.col1 is not None and box.col1 > bounds.col1:
        raise invalid_argument(
            f"Requested writing within range [{text}], but tried writing to column "
            f"[{column_letters(box.col1 - 1)}]"
        )


def check_rule(book: Spreadsheet, rule: dict[str, Any], value: Any, cell: str) -> None:
    condition = rule.get("condition", {})
    kind = condition.get("type")
    allowed = [item.get("userEnteredValue", "") for item in condition.get("values", [])]
    if kind == "ONE_OF_RANGE" and allowed:
        source_sheet, source = book.box(allowed[0].lstrip("=").replace("$", ""))
        allowed = [
            formatted(item)
            for row in source_sheet.block(source)
            for item in row
            if item is not None
        ]
    elif kind != "ONE_OF_LIST":
        return  # other conditions are not enforced by this server
    if formatted(value) in allowed:
        return
    message = (
        f"The data you entered in cell {cell} violates the data validation rules set on this cell."
    )
    if kind == "ONE_OF_LIST":
        message += f" Please enter one of the following values: {', '.join(allowed)}."
    raise invalid_argument(message)


def totals(planned: list[PlannedWrite], prefix: str = "totalUpdated") -> dict[str, int]:
    """Rows, columns and cells a write touched (counting distinct rows and columns)."""
    cells = [(write.sheet.sheet_id, row, col) for write in planned for row, col, _ in write.cells]
    counts = {
        f"{prefix}Rows": len({(sheet, row) for sheet, row, _ in cells}),
        f"{prefix}Columns": len({(sheet, col) for sheet, _, col in cells}),
        f"{prefix}Cells": len(cells),
    }
    if prefix == "totalUpdated":
        counts["totalUpdatedSheets"] = len({sheet for sheet, _, _ in cells})
    return counts


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    """Google leaves zero counts out of its answers."""
    return {name: count for name, count in counts.items() if count}


def trimmed(block: list[list[Any]], render: str, serial_dates: bool) -> list[list[Any]]:
    """Rendered values with trailing empty cells and rows dropped, inner gaps as ''."""
    values: list[list[Any]] = []
    for cells in block:
        end = len(cells)
        while end and cells[end - 1] is None:
            end -= 1
        values.append(["" if c is None else rendered(c, render, serial_dates) for c in cells[:end]])
    while values and not values[-1]:
        values.pop()
    return values


DRIVE_CLAUSE = re.compile(r"""\s*(mimeType|name)\s*=\s*(["'])(.*?)\2\s*""")


def drive_query(q: str) -> list[tuple[str, str]]:
    """The few Drive search clauses gspread sends: mimeType = "..." and name = "..."."""
    wanted = []
    for clause in q.split(" and ") if q else []:
        if clause.strip() == "trashed = false":
            continue
        match = DRIVE_CLAUSE.fullmatch(clause)
        if not match:
            raise unimplemented(f"the Drive query {clause!r}")
        wanted.append((match[1], match[3]))
    return wanted


# --- the server ---------------------------------------------------------------------------------


class LoggedRequest(NamedTuple):
    method: str
    path: str  # decoded
    query: dict[str, list[str]]
    body: Any  # parsed JSON, the raw text when not JSON, None when empty


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    api_server: SheetsApiServer

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout, dropped fault) is not the server's error."""

    def close_connections(self) -> None:
        """End kept-alive connections too, so no client is served after stop()."""
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every answer on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.api_server.serve(self, "GET")

    def do_POST(self) -> None:  # noqa: N802
        self.server.api_server.serve(self, "POST")

    def do_PUT(self) -> None:  # noqa: N802
        self.server.api_server.serve(self, "PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self.server.api_server.serve(self, "DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self.server.api_server.serve(self, "PATCH")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: request_log is the record."""


class SheetsApiServer:
    """The server and its test hooks. Start it (or use `with`), then use `endpoint`."""

    def __init__(self, require_token: str | None = None) -> None:
        self.require_token = require_token
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._spreadsheets: dict[str, Spreadsheet] = {}
        self._api = SheetsApi(self._spreadsheets, random.Random(20260401))
        self._faults: list[Fault] = []
        self._disabled_apis: set[str] = set()  # "sheets", "drive"
        self.revoked_refresh_tokens: set[str] = set()
        self.deleted_keys: set[str] = set()  # service accounts whose key was deleted
        self._may_create = True
        self._scopes_granted = True
        self.consented_scopes: list[str] | None = None  # None: what was asked for
        self.requests: Counter[tuple[str, str]] = Counter()
        self.request_log: list[LoggedRequest] = []
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # - lifecycle -

    def start(self) -> SheetsApiServer:
        self._stopping.clear()
        self._http = _HttpServer()
        self._http.api_server = self
        # A short poll keeps stop() quick: shutdown() waits for the loop to look again.
        serve = functools.partial(self._http.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any slow fault still sleeping
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http.close_connections()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> SheetsApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        if self._http is None:
            raise RuntimeError("the server is not started")
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    # - state for tests -

    def add_spreadsheet(
        self,
        title: str,
        tabs: dict[str, list[list[Any]]],
        locale: str = "en_US",
        time_zone: str = "Europe/London",
        key: str | None = None,
        grid: dict[str, tuple[int, int]] | None = None,
    ) -> str:
        """A spreadsheet holding these tabs, stored as RAW values; returns its key."""
        if key is not None and key in self._spreadsheets:
            raise ValueError(f"a spreadsheet with key {key} is already here")
        sizes = grid or {}
        sheets = []
        for tab, rows in tabs.items():
            width = max((len(row) for row in rows), default=0)
            row_count, column_count = sizes.get(
                tab, (max(DEFAULT_ROWS, len(rows)), max(DEFAULT_COLUMNS, width))
            )
            grid_properties = {"rowCount": row_count, "columnCount": column_count}
            sheets.append({"properties": {"title": tab, "gridProperties": grid_properties}})
        with self._lock:
            book = self._api.create(title, sheets, key, locale=locale, timeZone=time_zone)
            for sheet, rows in zip(book.sheets, tabs.values(), strict=True):
                sheet.rows = [[None if value == "" else value for value in row] for row in rows]
            return book.key

    def add_chart_sheet(self, key: str, title: str, index: int) -> int:
        """A chart moved to a sheet of its own, as a person does in the Sheets UI ("Move to own
        sheet"): SheetProperties with sheetType OBJECT and no gridProperties, its chart listed
        on the sheet (the chart's spec is not modelled). Returns the sheet's id."""
        with self._lock:
            book = self._spreadsheets[key]
            if book.sheet_titled(title):
                raise ValueError(f"a sheet named {title} is already in {key}")
            sheet_id = self._api.new_id()
            sheet = Sheet({"sheetId": sheet_id, "title": title, "sheetType": "OBJECT"})
            sheet.charts.append({"chartId": self._api.new_id(), "position": {"sheetId": sheet_id}})
            book.sheets.insert(index, sheet)
            book.touch()
            return sheet_id

    def grid(self, key: str, tab: str) -> list[list[Any]]:
        """The tab's values as UNFORMATTED_VALUE reads return them (trimmed, dates as serials)."""
        with self._lock:
            sheet = self._sheet(key, tab)
            return trimmed(sheet.block(sheet.whole()), "UNFORMATTED_VALUE", True)

    def sheets(self, key: str) -> list[tuple[str, str]]:
        """Each sheet's title and type (GRID, or OBJECT for a chart sheet), in tab order."""
        with self._lock:
            return [
                (sheet.title, sheet.properties["sheetType"])
                for sheet in self._spreadsheets[key].sheets
            ]

    def sheet_properties(self, key: str, tab: str) -> dict[str, Any]:
        with self._lock:
            book = self._spreadsheets[key]
            sheet = self._sheet(key, tab)
            return sheet.resource(book.sheets.index(sheet))["properties"]

    def validations(self, key: str, tab: str) -> list[tuple[str, dict[str, Any]]]:
        """(A1 range, rule) for each data validation set on the tab and not cleared since."""
        with self._lock:
            sheet = self._sheet(key, tab)
            return [
                (grid_range_a1(grid_range, sheet), copy.deepcopy(rule))
                for grid_range, rule in sheet.validations
                if rule is not None
            ]

    def protected_ranges(self, key: str) -> list[dict[str, Any]]:
        with self._lock:
            book = self._spreadsheets[key]
            return [
                {**copy.deepcopy(protected), "sheetTitle": sheet.title}
                for sheet in book.sheets
                for protected in sheet.protected_ranges
            ]

    def conditional_formats(self, key: str, tab: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._sheet(key, tab).conditional_formats)

    def formats(self, key: str, tab: str) -> list[dict[str, Any]]:
        """The formatting requests (repeatCell, updateBorders, ...) applied to the tab."""
        with self._lock:
            return copy.deepcopy(self._sheet(key, tab).formats)

    def cell_formats(self, key: str, tab: str) -> list[tuple[str, dict[str, Any]]]:
        """(A1 range, the format it sets) for each repeatCell on the tab, in the order sent: what
        a person sees in Format > Number and the toolbar. An open end is left open ("G2:G")."""
        with self._lock:
            sent = [f["repeatCell"] for f in self._sheet(key, tab).formats if "repeatCell" in f]
        return [
            (
                open_range_a1(request["range"]),
                masked(request["cell"], parse_field_mask(request["fields"])),
            )
            for request in sent
        ]

    def permissions(self, key: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._spreadsheets[key].permissions)

    def spreadsheet_keys(self) -> list[str]:
        with self._lock:
            return list(self._spreadsheets)

    def set_shared(self, key: str, shared: bool) -> None:
        """An unshared spreadsheet answers 403 PERMISSION_DENIED (Drive: 404), as Google does."""
        with self._lock:
            self._spreadsheets[key].shared = shared

    def set_api_enabled(self, enabled: bool, api: str = "sheets") -> None:
        """With an API ("sheets" or "drive") disabled, each of its requests gets 403
        SERVICE_DISABLED."""
        with self._lock:
            (self._disabled_apis.discard if enabled else self._disabled_apis.add)(api)

    def set_scopes_granted(self, granted: bool) -> None:
        """Without the scopes, every request gets 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT, as Google
        answers a token granted (say) only cloud-platform by `gcloud auth application-default
        login`."""
        with self._lock:
            self._scopes_granted = granted

    def protect(self, key: str, tab: str, a1: str) -> None:
        """Another editor protects a range (not warning-only) that sheetsync's account may not
        edit."""
        with self._lock:
            book = self._spreadsheets[key]
            sheet, box = book.box(f"{quote_title(tab)}!{a1}")
            grid_range = {
                "sheetId": sheet.sheet_id,
                "startRowIndex": box.row0,
                "endRowIndex": box.row1,
                "startColumnIndex": box.col0,
                "endColumnIndex": box.col1,
            }
            sheet.protected_ranges.append(
                {
                    "protectedRangeId": self._api.new_id(),
                    "range": grid_range,
                    "requestingUserCanEdit": False,
                    "editors": {"users": [OTHER_EDITOR]},
                }
            )

    def set_may_create(self, allowed: bool) -> None:
        """Refuse new spreadsheets with 403 PERMISSION_DENIED, as Google does for an account
        that may not create files (a service account without Drive storage, a Workspace policy)."""
        with self._lock:
            self._may_create = allowed

    def insert_rows(self, key: str, tab: str, at_row: int, rows: list[list[Any]]) -> None:
        """Another user inserts rows so that the first becomes sheet row `at_row` (1-based)."""
        with self._lock:
            sheet = self._sheet(key, tab)
            sheet.resize("ROWS", at_row - 1, at_row - 1 + len(rows), inserted=True)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    sheet.put(at_row - 1 + r, c, None if value == "" else value)
            self._spreadsheets[key].touch()

    def set_cell(self, key: str, tab: str, a1: str, value: Any) -> None:
        """Another user sets one cell (stored as given, like a RAW write; None clears it)."""
        with self._lock:
            book = self._spreadsheets[key]
            sheet, box = book.box(f"{quote_title(tab)}!{a1}")
            sheet.put(box.row0, box.col0, None if value == "" else value)
            book.touch()

    def type_cell(self, key: str, tab: str, a1: str, text: str) -> None:
        """Another user types into one cell, as in the Sheets UI (USER_ENTERED: "=..." is a
        formula, which FORMULA rendering returns and the other renderings compute)."""
        with self._lock:
            book = self._spreadsheets[key]
            sheet, box = book.box(f"{quote_title(tab)}!{a1}")
            sheet.put(box.row0, box.col0, user_entered(text, book.locale))
            book.touch()

    def _sheet(self, key: str, tab: str) -> Sheet:
        sheet = self._spreadsheets[key].sheet_titled(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r} in spreadsheet {key}")
        return sheet

    # - counting and faults -

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.request_log.clear()

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Forget faults not met yet (the request they waited for never came)."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(route):
                    self._faults.remove(fault)
                    return fault
        return None

    # - HTTP -

    def serve(self, handler: _Handler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        route, args = route_of(method, url.path)
        name = route or "unimplemented"
        query = parse_qs(url.query, keep_blank_values=True)
        with self._lock:
            self.requests[(method, name)] += 1
            self.request_log.append(LoggedRequest(method, unquote(url.path), query, logged(raw)))
        fault = self._take_fault(name)
        if fault is not None and fault.kind == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "lost":
            self._answer(route, args, query, raw, handler.headers.get("Authorization"))
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "status":
            if fault.callback is not None:
                fault.callback(self)
            reply = server_error(fault.code, read=method == "GET")
            if fault.retry_after is not None:
                reply = Reply(
                    reply.status,
                    reply.body,
                    (*reply.headers, ("Retry-After", _header_value(fault.retry_after))),
                    reply.content_type,
                )
        else:
            if fault is not None and fault.kind == "slow":
                self._stopping.wait(fault.seconds)
            if fault is not None and fault.kind == "edit" and fault.callback is not None:
                fault.callback(self)
            reply = self._answer(route, args, query, raw, handler.headers.get("Authorization"))
        send(handler, reply)

    def _answer(
        self,
        route: str | None,
        args: tuple[str, ...],
        query: dict[str, list[str]],
        raw: bytes,
        authorization: str | None,
    ) -> Reply:
        try:
            if route is None:
                raise unimplemented("this method and path")
            if route == "oauth.token":
                return self._token(raw)
            drive = route.startswith("drive.")
            if self.require_token and authorization != f"Bearer {self.require_token}":
                raise unauthenticated(token_sent=bool(authorization), drive=drive)
            if ("drive" if drive else "sheets") in self._disabled_apis:
                raise service_disabled(drive)
            if not self._scopes_granted:
                raise scope_insufficient(drive)
            if len(raw) > BODY_LIMIT:
                raise payload_too_large()
            if not self._may_create and route in ("spreadsheets.create", "drive.files.create"):
                raise permission_denied()
            body = parsed_body(raw)
            mask = None
            if not drive:  # Drive's routes take their own parameters and masks
                query = checked_query(route, query)
                mask = field_mask(route, only(query, "fields"))
            with self._lock:
                reply = self._api.handlers[route](*args, query, body)
            if mask is None:
                return reply
            # Google answers with only the fields the mask names.
            return Reply(reply.status, masked(reply.body, mask), reply.headers, reply.content_type)
        except ApiError as error:
            return error.reply

    def _token(self, raw: bytes) -> Reply:
        """Google's OAuth token endpoint: for a saved login's refresh token (refused once in
        `revoked_refresh_tokens`), a service account's signed assertion (a JWT, its signature
        not checked here; refused for a service account in `deleted_keys`), or a code from the
        consent page, with the scopes the user ticked (all asked for, unless `consented_scopes`
        says otherwise)."""
        form = parse_qs(raw.decode())
        if only(form, "grant_type") == "refresh_token":  # a saved login, gcloud's ADC among them
            if only(form, "refresh_token") in self.revoked_refresh_tokens:
                refused = "Token has been expired or revoked."
                return Reply(400, {"error": "invalid_grant", "error_description": refused})
            token = {"access_token": "ya29.test-token", "expires_in": 3599, "token_type": "Bearer"}
            return Reply(200, token)
        if only(form, "grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            if only(form, "assertion").count(".") != 2:
                return Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            if _issuer(only(form, "assertion")) in self.deleted_keys:
                refused = "Invalid JWT Signature."
                return Reply(400, {"error": "invalid_grant", "error_description": refused})
            token = {"access_token": "ya29.robot-token", "expires_in": 3599, "token_type": "Bearer"}
            return Reply(200, token)
        if only(form, "grant_type") != "authorization_code" or not only(form, "code"):
            return Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        scopes = self.consented_scopes
        token = {
            "access_token": "ya29.test-token",
            "expires_in": 3599,
            "refresh_token": "1//test-refresh",
            "token_type": "Bearer",
        }
        if scopes is not None:
            token["scope"] = " ".join(scopes)
        return Reply(200, token)


def _issuer(assertion: str) -> str:
    """The service account a signed assertion (a JWT) is from."""
    claims = assertion.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["iss"])


def _header_value(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:g}"


GRID_RANGE_FIELDS = {"sheetId", *DIMENSION_KEYS["ROWS"], *DIMENSION_KEYS["COLUMNS"]}
REPEAT_CELL_FIELDS = {"range", "cell", "fields"}


def check_repeat_cell(detail: dict[str, Any], label: str) -> None:
    """Google's refusals of a repeatCell it cannot read: a misspelt field name, no field mask,
    a negative index."""
    at = "requests[" + label.partition("[")[2].partition("]")[0] + "].repeat_cell"
    grid_range = detail.get("range", {})
    for names, known, where in (
        (detail, REPEAT_CELL_FIELDS, at),
        (grid_range, GRID_RANGE_FIELDS, f"{at}.range"),
    ):
        for name in names:
            if name not in known:
                raise invalid_argument(
                    f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': "
                    "Cannot find field."
                )
    if not detail.get("fields"):
        raise invalid_argument(f"{label}: At least one field must be updated, but fields is empty.")
    for name in sorted(GRID_RANGE_FIELDS & set(grid_range)):
        if grid_range[name] < 0:  # no recording holds Google's wording of this one
            raise invalid_argument(f"{label}: {name} must be non-negative, not {grid_range[name]}.")


def grid_range_a1(grid_range: dict[str, Any], sheet: Sheet) -> str:
    box = Box(
        grid_range.get("startRowIndex", 0),
        grid_range.get("endRowIndex", sheet.row_count),
        grid_range.get("startColumnIndex", 0),
        grid_range.get("endColumnIndex", sheet.column_count),
    )
    return box.a1()


def open_range_a1(grid_range: dict[str, Any]) -> str:
    """A GridRange in A1 notation as a person writes it, an open end left open (A2:A, A:A)."""
    first_column = grid_range.get("startColumnIndex", 0)
    first_row = grid_range.get("startRowIndex", 0) + 1
    end_row, end_column = grid_range.get("endRowIndex"), grid_range.get("endColumnIndex")
    if (end_row, end_column) == (first_row, first_column + 1):
        return f"{column_letters(first_column)}{first_row}"
    first = column_letters(first_column) + (str(first_row) if first_row > 1 or end_row else "")
    last = (column_letters(end_column - 1) if end_column else "") + str(end_row or "")
    return f"{first}:{last}"


def parsed_body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid_argument("Invalid JSON payload received. Unexpected token.") from None


def logged(raw: bytes) -> Any:
    if not raw.strip():
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def send(handler: _Handler, reply: Reply) -> None:
    if reply.body is None:
        payload = b""
    elif isinstance(reply.body, str):
        payload = reply.body.encode()
    else:
        payload = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True  # the client gave up (a slow fault past its timeout)
