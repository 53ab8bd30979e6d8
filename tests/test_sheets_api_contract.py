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
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sheets_api_server import SheetsApiServer

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


def send(server: SheetsApiServer, ids: IdMap, item: Interaction) -> requests.Response:
    body = item.body
    headers = {}
    if body:
        try:
            body = json.dumps(ids.body(json.loads(body)))
            headers["Content-Type"] = "application/json"
        except ValueError:
            pass  # not JSON (a CSV upload): sent as it was
    return requests.request(
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
    with SheetsApiServer() as server:
        # Seeded spreadsheets keep Google's keys; pairing ids by list position must not remap them.
        ids = IdMap({key: key for key in seed(server, interactions)})
        diverged: dict[str, str] = {}  # spreadsheet -> the request after which it did
        for n, item in enumerate(interactions):
            label = f"{recording.stem}#{n} {item.method} {item.path[:110]}"
            if item.spreadsheet in diverged:
                result.skipped.append(f"{label}: after {diverged[item.spreadsheet]}")
                continue
            response = send(server, ids, item)
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
