"""The test server answers like Google: real recorded traffic replayed against it.

Each recording in ../shared/sheets-api-recordings (gspread's own cassettes of Google's Sheets and
Drive APIs) is replayed in order against a fresh SheetsApiServer holding the spreadsheets the
recording implies. Every answer is compared with Google's: same status, same JSON keys at every
level, same value types, and the same values where they are the point (ranges, counts, cell
values, titles, grid sizes, error code/status/message). Ids and timestamps differ by nature; the
ids Google gave are mapped to the server's as they appear, so later requests address the right
spreadsheet, sheet or protected range.

A request outside the server's subset (it answers 501) is skipped; after a skipped write, the
rest of that spreadsheet's traffic is skipped too, since its state no longer follows Google's.
Without the recordings those tests skip; the tests of the server through gspread still run.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import gspread
import pytest
import requests
from sheets_api_fixtures import gspread_client
from sheets_api_server import OWNER, Fault, SheetsApiServer

RECORDINGS = Path(__file__).resolve().parents[1].parent / "shared" / "sheets-api-recordings"
needs_recordings = pytest.mark.skipif(
    not RECORDINGS.is_dir(), reason=f"no Google recordings at {RECORDINGS}"
)

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
ID_KEYS = frozenset({"id", "spreadsheetId", "sheetId", "protectedRangeId"})
# Keys whose values must equal Google's, not just have the same type.
EXACT_KEYS = frozenset(
    {
        "code",
        "status",
        "message",
        "range",
        "updatedRange",
        "clearedRange",
        "clearedRanges",
        "majorDimension",
        "values",
        "updatedRows",
        "updatedColumns",
        "updatedCells",
        "totalUpdatedRows",
        "totalUpdatedColumns",
        "totalUpdatedCells",
        "totalUpdatedSheets",
        "title",
        "index",
        "rowCount",
        "columnCount",
        "frozenRowCount",
        "frozenColumnCount",
        "hidden",
        "locale",
        "timeZone",
        "sheetType",
        "kind",
        "mimeType",
        "startRowIndex",
        "endRowIndex",
        "startColumnIndex",
        "endColumnIndex",
        "warningOnly",
        "requestingUserCanEdit",
    }
)
SPREADSHEET_IN_PATH = re.compile(r"/(?:v4/spreadsheets|files)/([^/:?]+)")


@dataclass(frozen=True)
class Interaction:
    method: str
    uri: str
    body: str | None
    status: int
    answer: str

    @property
    def path(self) -> str:
        for host in GOOGLE_HOSTS:
            if self.uri.startswith(host):
                return self.uri.removeprefix(host)
        return self.uri

    @property
    def spreadsheet(self) -> str | None:
        match = SPREADSHEET_IN_PATH.search(self.path)
        return match[1] if match else None

    def answer_json(self) -> Any:
        return json.loads(self.answer) if self.answer.strip() else None


def load(recording: Path) -> list[Interaction]:
    cassette = json.loads(recording.read_text())
    return [
        Interaction(
            item["request"]["method"],
            item["request"]["uri"],
            item["request"]["body"],
            item["response"]["status"]["code"],
            item["response"]["body"]["string"],
        )
        for item in cassette["interactions"]
    ]


# --- the state a recording implies --------------------------------------------------------------


def created_in(interactions: list[Interaction]) -> set[str]:
    """Spreadsheets the recording itself creates (through Drive or Sheets)."""
    created = set()
    for item in interactions:
        creates = item.method == "POST" and item.path.split("?")[0] in (
            "/drive/v3/files",
            "/v4/spreadsheets",
        )
        if creates and item.status == 200:
            answer = item.answer_json()
            created.add(answer.get("id") or answer.get("spreadsheetId"))
    return created


def seed(server: SheetsApiServer, interactions: list[Interaction]) -> set[str]:
    """Put in the server the spreadsheets the recording finds already there; their keys."""
    created = created_in(interactions)
    found: dict[str, dict[str, Any]] = {}  # key -> what Google showed of it
    private: set[str] = set()
    for item in interactions:
        key = item.spreadsheet
        if item.path.startswith("/drive/v3/files?") and item.method == "GET" and item.status == 200:
            for file in item.answer_json().get("files", []):
                found.setdefault(file["id"], {"title": file["name"], "sheets": []})
        if key is None or key in created:
            continue
        if item.status == 403 and item.path.startswith("/v4/spreadsheets/"):
            private.add(key)
            found.setdefault(key, {"title": "Private", "sheets": []})
        shown = item.answer_json() if item.status == 200 else None
        if item.method == "GET" and isinstance(shown, dict) and "properties" in shown:
            if not found.get(key, {}).get("sheets"):
                found[key] = {**shown["properties"], "sheets": shown.get("sheets", [])}
        elif item.method == "GET" and isinstance(shown, dict) and "name" in shown:
            found.setdefault(key, {"title": shown["name"], "sheets": []})
    for key, shown in found.items():
        if key in created:
            continue
        sheets = [sheet["properties"] for sheet in shown["sheets"]] or [{"title": "Sheet1"}]
        grid = {
            sheet["title"]: (
                sheet.get("gridProperties", {}).get("rowCount", 1000),
                sheet.get("gridProperties", {}).get("columnCount", 26),
            )
            for sheet in sheets
        }
        server.add_spreadsheet(
            shown["title"],
            {sheet["title"]: [] for sheet in sheets},
            locale=shown.get("locale", "en_US"),
            time_zone=shown.get("timeZone", "Etc/GMT"),
            key=key,
            grid=grid,
        )
        if key in private:
            server.set_shared(key, False)
    return found.keys() - created


# --- ids: Google's to the server's -------------------------------------------------------------


@dataclass
class IdMap:
    ids: dict[Any, Any] = field(default_factory=dict)

    def learn(self, recorded: Any, actual: Any) -> None:
        """Walk Google's answer and the server's side by side, pairing their ids."""
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key in recorded.keys() & actual.keys():
                if key in ID_KEYS and not isinstance(recorded[key], dict | list):
                    self.ids.setdefault(recorded[key], actual[key])
                else:
                    self.learn(recorded[key], actual[key])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for recorded_item, actual_item in zip(recorded, actual, strict=False):
                self.learn(recorded_item, actual_item)

    def path(self, path: str) -> str:
        for recorded, actual in self.ids.items():
            if isinstance(recorded, str) and len(recorded) > 10:
                path = path.replace(recorded, actual)
        return path

    def body(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: self.ids.get(item, item) if key in ID_KEYS else self.body(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.body(item) for item in value]
        return value


# --- comparing answers ---------------------------------------------------------------------------


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def differences(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where the server's JSON differs from Google's in keys, types, lengths or exact values."""
    if kind(expected) != kind(actual):
        return [f"{where}: Google sent {kind(expected)}, the server {kind(actual)}"]
    if isinstance(expected, dict):
        found = [f"{where}.{key}: missing" for key in expected.keys() - actual.keys()]
        found += [f"{where}.{key}: not in Google's answer" for key in actual.keys() - expected]
        for key in expected.keys() & actual.keys():
            if key in EXACT_KEYS and expected[key] != actual[key]:
                found.append(f"{where}.{key}: Google {expected[key]!r}, server {actual[key]!r}")
            else:
                found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return [f"{where}: Google sent {len(expected)} items, the server {len(actual)}"]
        found = []
        for n, (expected_item, actual_item) in enumerate(zip(expected, actual, strict=True)):
            found += differences(expected_item, actual_item, f"{where}[{n}]")
        return found
    return []


# --- replaying ----------------------------------------------------------------------------------


@dataclass
class Replay:
    compared: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


def send(
    session: requests.Session, server: SheetsApiServer, ids: IdMap, item: Interaction
) -> requests.Response:
    body = item.body
    headers = {}
    if body:
        try:
            body = json.dumps(ids.body(json.loads(body)))
            headers["Content-Type"] = "application/json"
        except ValueError:
            pass  # not JSON (a CSV upload): sent as it was
    return session.request(
        item.method,
        server.endpoint + ids.path(item.path),
        data=body.encode() if body else None,
        headers=headers,
        timeout=10,
    )


@functools.cache
def replay(recording: Path) -> Replay:
    interactions = load(recording)
    result = Replay()
    with SheetsApiServer() as server, requests.Session() as session:
        # Seeded spreadsheets keep Google's keys; pairing ids by list position must not remap them.
        ids = IdMap({key: key for key in seed(server, interactions)})
        diverged: dict[str, str] = {}  # spreadsheet -> the request after which it did
        for n, item in enumerate(interactions):
            label = f"{recording.stem}#{n} {item.method} {item.path[:110]}"
            if item.spreadsheet in diverged:
                result.skipped.append(f"{label}: after {diverged[item.spreadsheet]}")
                continue
            response = send(session, server, ids, item)
            if response.status_code == 501:
                result.skipped.append(f"{label}: outside the subset")
                if item.method != "GET" and item.spreadsheet is not None:
                    diverged[item.spreadsheet] = label
                continue
            problems = compare(item, response)
            if problems:
                result.mismatches.append(f"{label}:\n    " + "\n    ".join(problems))
                if item.spreadsheet is not None:
                    diverged[item.spreadsheet] = label
                continue
            result.compared.append(label)
            ids.learn(item.answer_json(), response.json() if response.content else None)
    return result


def compare(item: Interaction, response: requests.Response) -> list[str]:
    if response.status_code != item.status:
        return [f"status: Google {item.status}, server {response.status_code} {response.text}"]
    expected = item.answer_json()
    actual = response.json() if response.content else None
    if lists_whole_drive(item) and expected.get("files") and actual.get("files"):
        # How many files an account's Drive held that day is the account's, not the API's:
        # compare the shape of every file the server lists with the first one Google listed.
        return differences(
            {**expected, "files": expected["files"][:1] * len(actual["files"])}, actual
        )
    return differences(expected, actual)


def lists_whole_drive(item: Interaction) -> bool:
    query = parse_qs(urlsplit(item.path).query)
    return item.path.startswith("/drive/v3/files?") and "name =" not in query.get("q", [""])[0]


RECORDING_FILES = sorted(RECORDINGS.glob("*.json"))


@needs_recordings
@pytest.mark.parametrize("recording", RECORDING_FILES, ids=lambda path: path.stem)
def test_recorded_answers_match_the_servers(recording: Path) -> None:
    result = replay(recording)
    assert not result.mismatches, "\n".join(result.mismatches)


@needs_recordings
def test_most_recorded_traffic_is_replayed() -> None:
    results = [replay(recording) for recording in RECORDING_FILES]
    compared = sum(len(result.compared) for result in results)
    skipped = sum(len(result.skipped) for result in results)
    mismatched = sum(len(result.mismatches) for result in results)
    print(
        f"\n{len(RECORDING_FILES)} recordings: {compared} interactions replayed and compared, "
        f"{mismatched} mismatched, {skipped} skipped (outside the subset or after it)"
    )
    assert compared >= 0.6 * (compared + skipped + mismatched)


# --- the server through the real gspread client -------------------------------------------------

WORKBOOK = {
    "Strategy": [["Goal ID", "Budget", "Start"], ["G1", 1200, 46082], ["G2", 300.5, 46113]],
    "Plan": [["Tactic ID", "Goal ID", "Status"], ["T1", "G1", "On track"], ["T2", "G2", ""]],
}


@pytest.fixture
def book(sheets_api: SheetsApiServer) -> str:
    return sheets_api.add_spreadsheet("Bean & Crumb", WORKBOOK, locale="en_GB")


def test_gspread_opens_a_spreadsheet_by_key(sheets_api: SheetsApiServer, book: str) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)

    assert (spreadsheet.title, spreadsheet.locale, spreadsheet.timezone) == (
        "Bean & Crumb",
        "en_GB",
        "Europe/London",
    )
    assert [(ws.title, ws.row_count, ws.col_count) for ws in spreadsheet.worksheets()] == [
        ("Strategy", 1000, 26),
        ("Plan", 1000, 26),
    ]


def test_gspread_reads_worksheet_values(sheets_api: SheetsApiServer, book: str) -> None:
    strategy = gspread_client(sheets_api).open_by_key(book).worksheet("Strategy")

    assert strategy.get_all_values() == [
        ["Goal ID", "Budget", "Start"],
        ["G1", "1200", "46082"],
        ["G2", "300.5", "46113"],
    ]
    assert strategy.get("B2:C3", value_render_option="UNFORMATTED_VALUE") == [
        [1200, 46082],
        [300.5, 46113],
    ]
    assert strategy.col_values(1) == ["Goal ID", "G1", "G2"]


def test_one_batch_get_reads_every_tab(sheets_api: SheetsApiServer, book: str) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    sheets_api.reset_counts()

    answer = spreadsheet.values_batch_get(
        ["'Strategy'", "Plan", "Plan!A:A", "Plan!1:1"],
        params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"},
    )

    assert [(r["range"], r.get("values", [])[:2]) for r in answer["valueRanges"]] == [
        ("Strategy!A1:Z1000", [["Goal ID", "Budget", "Start"], ["G1", 1200, 46082]]),
        ("Plan!A1:Z1000", [["Tactic ID", "Goal ID", "Status"], ["T1", "G1", "On track"]]),
        ("Plan!A1:A1000", [["Tactic ID"], ["T1"]]),
        ("Plan!A1:Z1", [["Tactic ID", "Goal ID", "Status"]]),
    ]
    assert sheets_api.requests == {("GET", "values.batchGet"): 1}


def test_gspread_batch_update_writes_raw_text_as_text(
    sheets_api: SheetsApiServer, book: str
) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")

    plan.batch_update(
        [
            {"range": "C2:C3", "values": [["=IMPORTXML(A1)"], ["+1 555"]]},
            {"range": "D1", "values": [["ROI"]]},
        ],
        value_input_option="RAW",
    )

    assert sheets_api.grid(book, "Plan") == [
        ["Tactic ID", "Goal ID", "Status", "ROI"],
        ["T1", "G1", "=IMPORTXML(A1)"],
        ["T2", "G2", "+1 555"],
    ]


def test_user_entered_values_are_parsed_as_a_person_typing(
    sheets_api: SheetsApiServer, book: str
) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")

    plan.update([["1,200", "45%", "=6/4", "2026-03-01", "TRUE", "'007"]], "D2", raw=False)

    assert sheets_api.grid(book, "Plan")[1][3:] == [1200, 0.45, 1.5, 46082, True, "007"]
    assert plan.get("D2:I2") == [["1,200", "45%", "1.5", "2026-03-01", "TRUE", "007"]]


def test_gspread_add_worksheet(sheets_api: SheetsApiServer, book: str) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)

    checks = spreadsheet.add_worksheet("Checks", rows=5, cols=8)

    assert (checks.title, checks.row_count, checks.col_count, checks.index) == ("Checks", 5, 8, 2)
    assert sheets_api.sheet_properties(book, "Checks")["sheetId"] == checks.id
    with pytest.raises(gspread.exceptions.APIError, match='name "checks" already exists'):
        spreadsheet.add_worksheet("checks", rows=5, cols=8)


def test_spreadsheet_batch_update_changes_the_grid(sheets_api: SheetsApiServer, book: str) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    plan_id = sheets_api.sheet_properties(book, "Plan")["sheetId"]

    answer = spreadsheet.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": plan_id, "gridProperties": {"frozenRowCount": 1}},
                        "fields": "gridProperties.frozenRowCount",
                    }
                },
                {"appendDimension": {"sheetId": plan_id, "dimension": "COLUMNS", "length": 4}},
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": plan_id,
                            "dimension": "ROWS",
                            "startIndex": 1,
                            "endIndex": 2,
                        }
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": plan_id, "startColumnIndex": 2, "endColumnIndex": 3},
                        "cell": {},
                        "fields": "userEnteredFormat",
                    }
                },
            ]
        }
    )

    assert answer["replies"] == [{}, {}, {}, {}]
    assert sheets_api.sheet_properties(book, "Plan")["gridProperties"] == {
        "rowCount": 1001,
        "columnCount": 30,
        "frozenRowCount": 1,
    }
    assert sheets_api.grid(book, "Plan")[:3] == [
        ["Tactic ID", "Goal ID", "Status"],
        [],
        ["T1", "G1", "On track"],
    ]
    assert list(sheets_api.formats(book, "Plan")[0]) == ["repeatCell"]


def test_a_failing_request_leaves_the_whole_batch_unapplied(
    sheets_api: SheetsApiServer, book: str
) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    add_tab = {"addSheet": {"properties": {"title": "History"}}}
    delete_missing = {"deleteSheet": {"sheetId": 987}}

    with pytest.raises(gspread.exceptions.APIError) as raised:
        spreadsheet.batch_update({"requests": [add_tab, delete_missing]})

    assert raised.value.error == {
        "code": 400,
        "message": "Invalid requests[1].deleteSheet: No grid with id: 987",
        "status": "INVALID_ARGUMENT",
    }
    assert [ws.title for ws in spreadsheet.worksheets()] == ["Strategy", "Plan"]


def test_writing_past_the_grid_fails_as_google_does(sheets_api: SheetsApiServer) -> None:
    key = sheets_api.add_spreadsheet(
        "Trimmed", {"Plan": [["Tactic ID"], ["T1"]]}, grid={"Plan": (2, 1)}
    )
    plan = gspread_client(sheets_api).open_by_key(key).worksheet("Plan")

    with pytest.raises(gspread.exceptions.APIError) as raised:
        plan.batch_update([{"range": "B1", "values": [["Status"]]}])

    assert raised.value.error == {
        "code": 400,
        "message": "Range (Plan!B1) exceeds grid limits. Max rows: 2, max columns: 1",
        "status": "INVALID_ARGUMENT",
    }
    with pytest.raises(
        gspread.exceptions.APIError, match=r"^APIError: \[400\]: Range \(Plan!A3\) "
    ):
        plan.update([["T2"]], "A3")
    assert sheets_api.grid(key, "Plan") == [["Tactic ID"], ["T1"]]


def validation(sheet_id: int, condition: dict[str, Any], strict: bool) -> dict[str, Any]:
    grid_range = {
        "sheetId": sheet_id,
        "startRowIndex": 1,
        "startColumnIndex": 2,
        "endColumnIndex": 3,
    }
    rule = {"condition": condition, "strict": strict, "showCustomUi": True}
    return {"setDataValidation": {"range": grid_range, "rule": rule}}


def test_strict_validation_rejects_what_is_not_in_its_list(
    sheets_api: SheetsApiServer, book: str
) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    plan = spreadsheet.worksheet("Plan")
    statuses = {
        "type": "ONE_OF_LIST",
        "values": [{"userEnteredValue": "On track"}, {"userEnteredValue": "Done"}],
    }
    spreadsheet.batch_update({"requests": [validation(plan.id, statuses, strict=True)]})

    with pytest.raises(gspread.exceptions.APIError) as raised:
        plan.batch_update([{"range": "C2:C3", "values": [["Done"], ["Overdue"]]}])

    assert raised.value.error["status"] == "INVALID_ARGUMENT"
    assert "cell C3 violates the data validation rules" in raised.value.error["message"]
    assert sheets_api.grid(book, "Plan")[1:] == [["T1", "G1", "On track"], ["T2", "G2"]]
    plan.batch_update([{"range": "C2:C3", "values": [["Done"], [""]]}])
    assert sheets_api.grid(book, "Plan")[1:] == [["T1", "G1", "Done"], ["T2", "G2"]]
    assert sheets_api.validations(book, "Plan") == [
        ("C2:C1000", validation(0, statuses, True)["setDataValidation"]["rule"])
    ]


def test_strict_range_validation_follows_its_source(sheets_api: SheetsApiServer, book: str) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    plan = spreadsheet.worksheet("Plan")
    goals = {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "=Strategy!$A$2:$A"}]}
    spreadsheet.batch_update({"requests": [validation(plan.id, goals, strict=True)]})

    plan.batch_update([{"range": "C2", "values": [["G2"]]}])
    with pytest.raises(gspread.exceptions.APIError, match="cell C3 violates"):
        plan.batch_update([{"range": "C3", "values": [["G9"]]}])


def test_warning_only_validation_accepts_anything(sheets_api: SheetsApiServer, book: str) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    plan = spreadsheet.worksheet("Plan")
    statuses = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Done"}]}
    spreadsheet.batch_update({"requests": [validation(plan.id, statuses, strict=False)]})

    plan.batch_update([{"range": "C3", "values": [["Overdue"]]}])

    assert sheets_api.grid(book, "Plan")[2] == ["T2", "G2", "Overdue"]


def test_protection_and_conditional_formats_are_kept(
    sheets_api: SheetsApiServer, book: str
) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    owned = {
        "sheetId": spreadsheet.worksheet("Plan").id,
        "startColumnIndex": 2,
        "endColumnIndex": 3,
    }
    colour = {
        "ranges": [owned],
        "booleanRule": {
            "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "Done"}]},
            "format": {},
        },
    }

    answer = spreadsheet.batch_update(
        {
            "requests": [
                {"addProtectedRange": {"protectedRange": {"range": owned, "warningOnly": True}}},
                {"addConditionalFormatRule": {"rule": colour, "index": 0}},
            ]
        }
    )

    protected = answer["replies"][0]["addProtectedRange"]["protectedRange"]
    assert protected["warningOnly"] is True
    assert sheets_api.protected_ranges(book)[0]["protectedRangeId"] == protected["protectedRangeId"]
    assert sheets_api.conditional_formats(book, "Plan")[0]["booleanRule"] == colour["booleanRule"]
    sheet = spreadsheet.fetch_sheet_metadata()["sheets"][1]
    assert sheet["protectedRanges"][0]["range"] == {
        "sheetId": owned["sheetId"],
        "startColumnIndex": 2,
        "endColumnIndex": 3,
    }
    assert len(sheet["conditionalFormats"]) == 1


def test_gspread_creates_lists_and_shares_through_drive(sheets_api: SheetsApiServer) -> None:
    client = gspread_client(sheets_api)

    created = client.create("Bean & Crumb marketing")
    client.insert_permission(created.id, "owner@example.com", perm_type="user", role="writer")

    assert [f["name"] for f in client.list_spreadsheet_files()] == ["Bean & Crumb marketing"]
    assert [ws.title for ws in created.worksheets()] == ["Sheet1"]
    assert sheets_api.permissions(created.id)[0]["emailAddress"] == "owner@example.com"
    assert sheets_api.requests[("POST", "drive.files.create")] == 1


def test_a_fields_mask_selects_nested_fields(sheets_api: SheetsApiServer, book: str) -> None:
    fields = "properties(title,locale,timeZone),sheets(properties(sheetId,title,gridProperties))"

    answer = requests.get(
        f"{sheets_api.endpoint}/v4/spreadsheets/{book}", params={"fields": fields}, timeout=5
    ).json()

    grid = {"rowCount": 1000, "columnCount": 26}
    assert answer == {
        "properties": {"title": "Bean & Crumb", "locale": "en_GB", "timeZone": "Europe/London"},
        "sheets": [
            {"properties": {"sheetId": 0, "title": "Strategy", "gridProperties": grid}},
            {
                "properties": {
                    "sheetId": answer["sheets"][1]["properties"]["sheetId"],
                    "title": "Plan",
                    "gridProperties": grid,
                }
            },
        ],
    }


def test_drive_about_names_the_caller(sheets_api: SheetsApiServer) -> None:
    answer = requests.get(
        f"{sheets_api.endpoint}/drive/v3/about", params={"fields": "user(emailAddress)"}, timeout=5
    )

    assert answer.json() == {"user": {"emailAddress": OWNER}}


def test_sheets_create_makes_the_tabs_asked_for(sheets_api: SheetsApiServer) -> None:
    body = {
        "properties": {"title": "New", "locale": "fr_FR", "timeZone": "Europe/Paris"},
        "sheets": [
            {"properties": {"title": "Strategy"}},
            {
                "properties": {
                    "title": "Plan",
                    "gridProperties": {"rowCount": 20, "columnCount": 12},
                }
            },
        ],
    }

    answer = requests.post(f"{sheets_api.endpoint}/v4/spreadsheets", json=body, timeout=5).json()

    assert answer["properties"]["locale"] == "fr_FR"
    assert sheets_api.sheet_properties(answer["spreadsheetId"], "Plan")["gridProperties"] == {
        "rowCount": 20,
        "columnCount": 12,
    }


# --- chart sheets -------------------------------------------------------------------------------


def test_a_chart_sheet_is_listed_as_google_lists_it(sheets_api: SheetsApiServer, book: str) -> None:
    chart = sheets_api.add_chart_sheet(book, "Spend chart", index=1)

    answer = requests.get(f"{sheets_api.endpoint}/v4/spreadsheets/{book}", timeout=5).json()

    listed = answer["sheets"][1]
    assert listed["properties"] == {
        "sheetId": chart,
        "title": "Spend chart",
        "index": 1,
        "sheetType": "OBJECT",
    }
    assert [c["position"] for c in listed["charts"]] == [{"sheetId": chart}]
    assert [s["properties"]["index"] for s in answer["sheets"]] == [0, 1, 2]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/values/'Spend chart'!A1", None),
        ("GET", "/values:batchGet?ranges=Plan!A1&ranges='Spend chart'!A1", None),
        (
            "POST",
            "/values:batchUpdate",
            {"valueInputOption": "RAW", "data": [{"range": "'Spend chart'!A1", "values": [[1]]}]},
        ),
        ("PUT", "/values/'Spend chart'!A1?valueInputOption=RAW", {"values": [[1]]}),
        ("POST", "/values/'Spend chart'!A1:clear", None),
    ],
)
def test_a_chart_sheets_cells_cannot_be_read_or_written(
    sheets_api: SheetsApiServer, book: str, method: str, path: str, body: Any
) -> None:
    sheets_api.add_chart_sheet(book, "Spend chart", index=1)

    answer = requests.request(
        method, f"{sheets_api.endpoint}/v4/spreadsheets/{book}{path}", json=body, timeout=5
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["message"].endswith("Unable to parse range: 'Spend chart'!A1")


def test_a_chart_sheet_takes_its_name_and_has_no_grid_to_grow(
    sheets_api: SheetsApiServer, book: str
) -> None:
    chart = sheets_api.add_chart_sheet(book, "Checks", index=2)
    url = f"{sheets_api.endpoint}/v4/spreadsheets/{book}:batchUpdate"
    grow = {"appendDimension": {"sheetId": chart, "dimension": "ROWS", "length": 5}}
    add = {"addSheet": {"properties": {"title": "checks"}}}
    rename = {
        "updateSheetProperties": {
            "properties": {"sheetId": chart, "title": "Chart"},
            "fields": "title",
        }
    }

    answers = [
        requests.post(url, json={"requests": [request]}, timeout=5)
        for request in (grow, add, rename)
    ]

    assert [a.json().get("error", {}).get("message") for a in answers] == [
        f"Invalid requests[0].appendDimension: No grid with id: {chart}",
        'Invalid requests[0].addSheet: A sheet with the name "checks" already exists. '
        "Please enter another name.",
        None,
    ]
    assert sheets_api.sheet_properties(book, "Chart")["sheetType"] == "OBJECT"


# --- errors -------------------------------------------------------------------------------------


def test_unknown_and_unshared_spreadsheets(sheets_api: SheetsApiServer, book: str) -> None:
    client = gspread_client(sheets_api)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key("1NoSuchSpreadsheet")

    sheets_api.set_shared(book, False)

    with pytest.raises(PermissionError) as raised:
        client.open_by_key(book)
    assert raised.value.__cause__.error == {  # type: ignore[union-attr]
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }


def test_a_disabled_sheets_api_answers_service_disabled(
    sheets_api: SheetsApiServer, book: str
) -> None:
    sheets_api.set_api_enabled(False)

    answer = requests.get(f"{sheets_api.endpoint}/v4/spreadsheets/{book}", timeout=5)

    error = answer.json()["error"]
    assert (answer.status_code, error["status"]) == (403, "PERMISSION_DENIED")
    info = error["details"][0]
    assert info["reason"] == "SERVICE_DISABLED"
    assert info["metadata"]["activationUrl"].startswith(
        "https://console.developers.google.com/apis/api/sheets.googleapis.com/overview?project="
    )


@pytest.mark.parametrize("token", [None, "expired"])
def test_a_token_is_required_when_the_server_asks(token: str | None) -> None:
    with SheetsApiServer(require_token="good") as server:
        key = server.add_spreadsheet("Private", {"Plan": []})
        with pytest.raises(gspread.exceptions.APIError) as raised:
            gspread_client(server, token).open_by_key(key)
        spreadsheet = gspread_client(server, "good").open_by_key(key)

    assert raised.value.error["status"] == "UNAUTHENTICATED"
    assert raised.value.response.status_code == 401
    reason = raised.value.error["details"][0]["reason"]
    assert reason == ("CREDENTIALS_MISSING" if token is None else "ACCESS_TOKEN_EXPIRED")
    assert spreadsheet.title == "Private"


def test_bad_ranges_are_invalid_arguments(sheets_api: SheetsApiServer, book: str) -> None:
    base = f"{sheets_api.endpoint}/v4/spreadsheets/{book}/values/"

    answers = [
        requests.get(base + quote(text), timeout=5)
        for text in ("Nope!A1", "Plan!A0", "Plan!A1:A1001")
    ]

    assert [a.json()["error"]["message"] for a in answers] == [
        "Unable to parse range: Nope!A1",
        "Unable to parse range: Plan!A0",
        "Range (Plan!A1:A1001) exceeds grid limits. Max rows: 1000, max columns: 26",
    ]
    assert {a.status_code for a in answers} == {400}


def cannot_bind(*names: str) -> dict[str, Any]:
    """Google's answer to query parameters a method does not take, as its front end words it."""
    messages = [
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name.split('.')[0]}' could not be found in request message."
        for name in names
    ]
    violations = [{"description": message} for message in messages]
    return {
        "error": {
            "code": 400,
            "message": " ".join(messages),
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": violations,
                }
            ],
        }
    }


@pytest.mark.parametrize(
    ("method", "path", "query", "refused"),
    [
        ("GET", "", {"field": "properties.title"}, ["field"]),  # fields, misspelt
        ("GET", "", {"includeGriddata": "false", "fields": "properties"}, ["includeGriddata"]),
        (
            "GET",
            "/values:batchGet",
            {"ranges": "Plan!A1", "valueRenderoption": "FORMULA"},
            ["valueRenderoption"],
        ),
        (
            "GET",
            "/values:batchGet",
            {"ranges": "Plan!A1", "fields.x": "1", "render": "RAW"},
            ["fields.x", "render"],
        ),
        ("POST", "/values:batchUpdate", {"valueInputOptions": "RAW"}, ["valueInputOptions"]),
        (
            "POST",
            ":batchUpdate",
            {"includeSpreadsheet": "true"},
            ["includeSpreadsheet"],
        ),
    ],
)
def test_a_query_parameter_the_method_does_not_take_is_refused_as_google_does(
    sheets_api: SheetsApiServer,
    book: str,
    method: str,
    path: str,
    query: dict[str, str],
    refused: list[str],
) -> None:
    body = {"valueInputOption": "RAW", "data": [{"range": "Plan!C3", "values": [["Done"]]}]}
    if path == ":batchUpdate":
        body = {"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 5}}]}
    before = sheets_api.grid(book, "Plan"), sheets_api.sheet_properties(book, "Strategy")

    answer = requests.request(
        method,
        f"{sheets_api.endpoint}/v4/spreadsheets/{book}{path}",
        params=query,
        json=body if method == "POST" else None,
        timeout=5,
    )

    assert (answer.status_code, answer.json()) == (400, cannot_bind(*refused))
    assert (sheets_api.grid(book, "Plan"), sheets_api.sheet_properties(book, "Strategy")) == before


def test_a_body_field_sent_as_a_query_parameter_is_outside_the_subset(
    sheets_api: SheetsApiServer, book: str
) -> None:
    # Google binds it to the request; this server reads the body only, and says so.
    answer = requests.post(
        f"{sheets_api.endpoint}/v4/spreadsheets/{book}/values:batchUpdate",
        params={"valueInputOption": "RAW"},
        json={"valueInputOption": "RAW", "data": []},
        timeout=5,
    )

    assert (answer.status_code, answer.json()["error"]["status"]) == (501, "UNIMPLEMENTED")


def test_parameters_are_taken_by_their_json_or_their_proto_name(
    sheets_api: SheetsApiServer, book: str
) -> None:
    sheets_api.type_cell(book, "Plan", "C2", "=1+1")

    answers = [
        requests.get(
            f"{sheets_api.endpoint}/v4/spreadsheets/{book}/values:batchGet",
            params={"ranges": "Plan!B1:C2", option: "FORMULA", dimension: "COLUMNS"},
            timeout=5,
        ).json()["valueRanges"]
        for option, dimension in [
            ("value_render_option", "major_dimension"),
            ("valueRenderOption", "majorDimension"),
        ]
    ]

    columns = [["Goal ID", "G1"], ["Status", "=1+1"]]
    expected = {"range": "Plan!B1:C2", "majorDimension": "COLUMNS", "values": columns}
    assert answers == [[expected], [expected]]


@pytest.mark.parametrize(
    ("parameter", "proto_name", "kind"),
    [
        ("valueRenderOption", "value_render_option", "ValueRenderOption"),
        ("dateTimeRenderOption", "date_time_render_option", "DateTimeRenderOption"),
        ("majorDimension", "major_dimension", "Dimension"),
    ],
)
def test_a_misspelt_option_is_refused_as_google_does(
    sheets_api: SheetsApiServer, book: str, parameter: str, proto_name: str, kind: str
) -> None:
    answer = requests.get(
        f"{sheets_api.endpoint}/v4/spreadsheets/{book}/values:batchGet",
        params={"ranges": "Plan!A1", parameter: "UNFORMATED_VALUE"},
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "code": 400,
        "message": f"Invalid value at '{proto_name}' "
        f'(type.googleapis.com/google.apps.sheets.v4.{kind}), "UNFORMATED_VALUE"',
        "status": "INVALID_ARGUMENT",
    }


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "expected"),
    [
        (
            "GET",
            "/values:batchGet",
            {"ranges": ["Plan!A1:B2", "Strategy!A1"], "fields": "valueRanges.values"},
            None,
            {
                "valueRanges": [
                    {"values": [["Tactic ID", "Goal ID"], ["T1", "G1"]]},
                    {"values": [["Goal ID"]]},
                ]
            },
        ),
        (
            "GET",
            "/values/Plan!A1",
            {"fields": "range"},
            None,
            {"range": "Plan!A1"},
        ),
        (
            "POST",
            "/values:batchUpdate",
            {"fields": "totalUpdatedCells,responses(updatedRange)"},
            {"valueInputOption": "RAW", "data": [{"range": "Plan!C3", "values": [["Done"]]}]},
            {"totalUpdatedCells": 1, "responses": [{"updatedRange": "Plan!C3"}]},
        ),
        (
            "POST",
            ":batchUpdate",
            {"fields": "replies/addSheet/properties/title"},
            {"requests": [{"addSheet": {"properties": {"title": "Checks"}}}]},
            {"replies": [{"addSheet": {"properties": {"title": "Checks"}}}]},
        ),
    ],
)
def test_a_field_mask_answers_only_the_fields_it_names(
    sheets_api: SheetsApiServer,
    book: str,
    method: str,
    path: str,
    query: dict[str, Any],
    body: Any,
    expected: dict[str, Any],
) -> None:
    answer = requests.request(
        method,
        f"{sheets_api.endpoint}/v4/spreadsheets/{book}{path}",
        params=query,
        json=body,
        timeout=5,
    )

    assert (answer.status_code, answer.json()) == (200, expected)


def bad_mask(mask: str, path: str) -> dict[str, Any]:
    """Google's answer to a field mask naming a path its answer has no field for."""
    violation = {
        "field": mask,
        "description": "Error expanding 'fields' parameter. Cannot find matching fields for "
        f"path '{path}'.",
    }
    return {
        "error": {
            "code": 400,
            "message": "Request contains an invalid argument.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [violation],
                }
            ],
        }
    }


@pytest.mark.parametrize(
    ("path", "mask", "unmatched"),
    [
        # Drive reads "id, name"; Sheets takes the space as part of a field's name.
        ("", "properties, sheets.properties", " sheets.properties"),
        ("", "sheets(properties(sheetId,gridPropertis))", "sheets.properties.gridPropertis"),
        ("", "properties.title.text", "properties.title.text"),
        ("/values:batchGet?ranges=Plan!A1", "valueRanges(range,value)", "valueRanges.value"),
        ("/values/Plan!A1", "values,majorDimensions", "majorDimensions"),
    ],
)
def test_a_field_mask_naming_no_field_of_the_answer_is_refused_as_google_does(
    sheets_api: SheetsApiServer, book: str, path: str, mask: str, unmatched: str
) -> None:
    answer = requests.get(
        f"{sheets_api.endpoint}/v4/spreadsheets/{book}{path}", params={"fields": mask}, timeout=5
    )

    assert (answer.status_code, answer.json()) == (400, bad_mask(mask, unmatched))


def test_a_field_mask_refused_leaves_the_spreadsheet_unwritten(
    sheets_api: SheetsApiServer, book: str
) -> None:
    before = sheets_api.grid(book, "Plan")

    answer = requests.post(
        f"{sheets_api.endpoint}/v4/spreadsheets/{book}/values:batchUpdate",
        params={"fields": "totalUpdatedCell"},
        json={"valueInputOption": "RAW", "data": [{"range": "Plan!C3", "values": [["Done"]]}]},
        timeout=5,
    )

    assert (answer.status_code, answer.json()) == (
        400,
        bad_mask("totalUpdatedCell", "totalUpdatedCell"),
    )
    assert sheets_api.grid(book, "Plan") == before


def test_requests_outside_the_subset_answer_501(sheets_api: SheetsApiServer, book: str) -> None:
    answer = requests.post(
        f"{sheets_api.endpoint}/v4/spreadsheets/{book}/values/Plan:append", timeout=5
    )

    assert answer.status_code == 501
    assert answer.json()["error"]["status"] == "UNIMPLEMENTED"


# --- counting -----------------------------------------------------------------------------------


def test_requests_are_counted_and_logged(sheets_api: SheetsApiServer, book: str) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")
    sheets_api.reset_counts()
    plan.get_all_values()
    plan.batch_update([{"range": "C3", "values": [["Done"]]}])

    assert sheets_api.requests == {("GET", "values.get"): 1, ("POST", "values.batchUpdate"): 1}
    method, path, query, body = sheets_api.request_log[-1]
    assert (method, path, query) == ("POST", f"/v4/spreadsheets/{book}/values:batchUpdate", {})
    assert body["data"] == [{"range": "'Plan'!C3", "values": [["Done"]]}]

    sheets_api.reset_counts()
    assert (sheets_api.requests, sheets_api.request_log) == ({}, [])


# --- faults -------------------------------------------------------------------------------------


def test_a_429_fault_answers_once_with_retry_after(sheets_api: SheetsApiServer, book: str) -> None:
    sheets_api.inject(Fault.status(429, retry_after=1))
    url = f"{sheets_api.endpoint}/v4/spreadsheets/{book}"

    refused, served = requests.get(url, timeout=5), requests.get(url, timeout=5)

    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")
    assert refused.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert served.status_code == 200


@pytest.mark.parametrize(
    ("code", "status"),
    [(500, "INTERNAL"), (502, None), (503, "UNAVAILABLE"), (504, "DEADLINE_EXCEEDED")],
)
def test_server_error_faults_answer_as_google(
    sheets_api: SheetsApiServer, book: str, code: int, status: str | None
) -> None:
    sheets_api.inject(Fault.status(code))

    answer = requests.get(f"{sheets_api.endpoint}/v4/spreadsheets/{book}", timeout=5)

    assert answer.status_code == code
    assert "Retry-After" not in answer.headers
    if status is None:  # Google's front end sends an HTML page for a 502
        assert answer.headers["Content-Type"].startswith("text/html")
        assert "Error 502 (Server Error)" in answer.text
    else:
        error = answer.json()["error"]
        assert (sorted(error), error["code"], error["status"]) == (
            ["code", "message", "status"],
            code,
            status,
        )


def test_a_fault_waits_for_the_route_it_names(sheets_api: SheetsApiServer, book: str) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")
    sheets_api.inject(Fault.status(503, route="values.batchUpdate"))

    assert plan.get_all_values()[1] == ["T1", "G1", "On track"]
    with pytest.raises(gspread.exceptions.APIError, match="503"):
        plan.batch_update([{"range": "C3", "values": [["Done"]]}])
    assert sheets_api.grid(book, "Plan")[2] == ["T2", "G2"]
    plan.batch_update([{"range": "C3", "values": [["Done"]]}])
    assert sheets_api.grid(book, "Plan")[2] == ["T2", "G2", "Done"]


def test_a_slow_answer_outlasts_the_client_timeout(sheets_api: SheetsApiServer, book: str) -> None:
    sheets_api.inject(Fault.slow(5, route="spreadsheets.get"))
    url = f"{sheets_api.endpoint}/v4/spreadsheets/{book}"

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, timeout=0.2)
    assert requests.get(url, timeout=5).status_code == 200


def test_a_dropped_connection_leaves_the_sheet_alone(
    sheets_api: SheetsApiServer, book: str
) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")
    sheets_api.inject(Fault.drop(route="values.batchUpdate"))

    with pytest.raises(requests.exceptions.ConnectionError):
        plan.batch_update([{"range": "C3", "values": [["Done"]]}])

    assert sheets_api.grid(book, "Plan")[2] == ["T2", "G2"]
    assert plan.get_all_values()[2] == ["T2", "G2", ""]  # and the server still answers


def test_another_user_edits_between_read_and_write(sheets_api: SheetsApiServer, book: str) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")
    read = plan.get_all_values()

    def meanwhile(server: SheetsApiServer) -> None:
        server.insert_rows(book, "Plan", 2, [["T0", "G1", "Planned"]])
        server.set_cell(book, "Plan", "C1", "State")

    sheets_api.inject(Fault.edit(meanwhile))
    plan.batch_update([{"range": "C3", "values": [["Done"]]}])  # meant for T2, row 3 when read

    assert read[2][0] == "T2"
    assert sheets_api.grid(book, "Plan") == [
        ["Tactic ID", "Goal ID", "State"],
        ["T0", "G1", "Planned"],
        ["T1", "G1", "Done"],  # the stale row number hit T1: what a backend must guard against
        ["T2", "G2"],
    ]
    assert sheets_api.sheet_properties(book, "Plan")["gridProperties"]["rowCount"] == 1001


def test_inserted_rows_move_validation_and_protection(
    sheets_api: SheetsApiServer, book: str
) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    plan_id = spreadsheet.worksheet("Plan").id
    statuses = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Done"}]}
    header = {"sheetId": plan_id, "startRowIndex": 0, "endRowIndex": 1}
    spreadsheet.batch_update(
        {
            "requests": [
                validation(plan_id, statuses, strict=True),
                {"addProtectedRange": {"protectedRange": {"range": header, "warningOnly": True}}},
            ]
        }
    )

    sheets_api.insert_rows(book, "Plan", 1, [["Notes"]])

    assert [a1 for a1, _ in sheets_api.validations(book, "Plan")] == ["C3:C1001"]
    assert sheets_api.protected_ranges(book)[0]["range"] == {
        "sheetId": plan_id,
        "startRowIndex": 1,
        "endRowIndex": 2,
    }


# --- Google's limits and refusals, as strict as Google ------------------------------------------


def test_a_body_over_10_mib_is_refused_before_anything_is_written(
    sheets_api: SheetsApiServer, book: str
) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")
    rows = [["x" * 1000] for _ in range(11 * 1024)]  # 11 MiB of text
    with pytest.raises(gspread.exceptions.APIError) as refused:
        plan.batch_update([{"range": "D2", "values": rows}])
    assert refused.value.error == {
        "code": 400,
        "message": "Request payload size exceeds the limit: 10485760 bytes.",
        "status": "INVALID_ARGUMENT",
    }
    assert sheets_api.grid(book, "Plan")[1] == ["T1", "G1", "On track"]


def test_a_cell_over_50000_characters_is_refused(sheets_api: SheetsApiServer, book: str) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")
    plan.batch_update([{"range": "D2", "values": [["x" * 50_000]]}])  # the most a cell holds
    with pytest.raises(gspread.exceptions.APIError, match="more than the maximum of 50000"):
        plan.batch_update([{"range": "D3", "values": [["ok"], ["x" * 50_001]]}])
    assert sheets_api.grid(book, "Plan")[2] == ["T2", "G2"]  # the whole request refused


def test_a_spreadsheet_cannot_grow_past_10_million_cells(
    sheets_api: SheetsApiServer, book: str
) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    plan = sheets_api.sheet_properties(book, "Plan")
    others = sum(
        sheets_api.sheet_properties(book, tab)["gridProperties"]["rowCount"]
        * sheets_api.sheet_properties(book, tab)["gridProperties"]["columnCount"]
        for tab in WORKBOOK
    )
    columns = plan["gridProperties"]["columnCount"]
    room = (10_000_000 - others) // columns  # rows that still fit
    grow = {"appendDimension": {"sheetId": plan["sheetId"], "dimension": "ROWS", "length": room}}
    spreadsheet.batch_update({"requests": [grow]})
    one_more = {"appendDimension": {**grow["appendDimension"], "length": 1}}
    with pytest.raises(gspread.exceptions.APIError) as refused:
        spreadsheet.batch_update({"requests": [one_more]})
    assert refused.value.error["message"] == (
        "Invalid requests[0].appendDimension: This action would increase the number of cells "
        "in the workbook above the limit of 10000000 cells."
    )


def test_a_sheet_id_in_use_is_refused(sheets_api: SheetsApiServer, book: str) -> None:
    spreadsheet = gspread_client(sheets_api).open_by_key(book)
    taken = sheets_api.sheet_properties(book, "Plan")["sheetId"]
    add = {"addSheet": {"properties": {"title": "Checks", "sheetId": taken}}}
    with pytest.raises(gspread.exceptions.APIError) as refused:
        spreadsheet.batch_update({"requests": [add]})
    assert refused.value.error["message"] == (
        f"Invalid requests[0].addSheet: A sheet with the id {taken} already exists."
    )
    assert [sheet.title for sheet in spreadsheet.worksheets()] == list(WORKBOOK)


def test_a_token_without_the_sheets_scope_is_refused(
    sheets_api: SheetsApiServer, book: str
) -> None:
    sheets_api.set_scopes_granted(False)
    answer = requests.get(f"{sheets_api.endpoint}/v4/spreadsheets/{book}", timeout=5)
    error = answer.json()["error"]
    assert (answer.status_code, error["status"]) == (403, "PERMISSION_DENIED")
    assert error["message"] == "Request had insufficient authentication scopes."
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


def test_a_protected_range_refuses_a_write_but_a_warning_only_one_does_not(
    sheets_api: SheetsApiServer, book: str
) -> None:
    plan = gspread_client(sheets_api).open_by_key(book).worksheet("Plan")
    sheets_api.protect(book, "Plan", "C2:C3")
    with pytest.raises(gspread.exceptions.APIError, match="protected cell or object"):
        plan.batch_update([{"range": "B3:C3", "values": [["G9", "Done"]]}])
    assert sheets_api.grid(book, "Plan")[2] == ["T2", "G2"]
    plan.batch_update([{"range": "D2", "values": [["outside"]]}])
    assert sheets_api.grid(book, "Plan")[1][3] == "outside"
