"""The Google Sheets backend, through the real gspread client over HTTP to the test API server."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sheetsync.backends import google_auth
from sheetsync.backends.google import (
    REQUEST_BODY_LIMIT,
    RateLimiter,
    guard_text,
    value_update_bodies,
)
from sheetsync.backends.google_location import spreadsheet_key
from sheetsync.config import GoogleSettings
from sheetsync.workbook import CellError, CellWrite

KEY = "1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ"


# --- where a spreadsheet is --------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit",
        f"https://docs.google.com/spreadsheets/d/{KEY}",
        f"https://docs.google.com/spreadsheets/d/{KEY}/",
        f"https://docs.google.com/spreadsheets/d/{KEY}?usp=sharing",
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit?usp=sharing#gid=12",
        f"https://docs.google.com/spreadsheets/u/1/d/{KEY}/edit",
        f"docs.google.com/spreadsheets/d/{KEY}/edit",
        KEY,
        f"  {KEY}\n",
    ],
)
def test_spreadsheet_key_from_urls_and_bare_keys(location):
    assert spreadsheet_key(location) == KEY


@pytest.mark.parametrize(
    "location",
    [
        "marketing.xlsx",
        "/home/ana/marketing.xlsx",
        "reports/1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ.xlsx",
        "1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ.xlsx",
        "short_key_123",
        "https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pubhtml",
        "https://example.com/spreadsheets/d/1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ",
        "https://docs.google.com/document/d/1ieRgnZ296CcvWYi5GY21vAxIzU93-_9kHAdMdDNzkaQ/edit",
        "",
    ],
)
def test_anything_else_is_not_a_spreadsheet_key(location):
    assert spreadsheet_key(location) is None


# --- the rate limiter's own bookkeeping --------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_rate_limiter_lets_a_minute_of_requests_through_then_spaces_the_rest():
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(3)]
    clock.now += 10
    waits.append(limiter.acquire())  # the 4th waits until the 1st is a minute old
    waits.append(limiter.acquire())
    assert waits == [0, 0, 0, 50, 0]
    assert limiter.granted == 5
    assert limiter.waits == [50]


def test_rate_limiter_forgets_requests_older_than_a_minute():
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.acquire()
    clock.now += 61
    assert limiter.acquire() == 0
    assert limiter.waits == []


# --- splitting a values write ------------------------------------------------------------------


def status_writes(rows: int, text: str = "On track") -> list[CellWrite]:
    return [CellWrite("Plan", row, 11, text) for row in range(2, rows + 2)]


def test_one_values_request_carries_every_cell_up_to_googles_payload_limit():
    bodies = value_update_bodies(status_writes(100_000))
    assert len(bodies) == 1
    assert bodies[0]["valueInputOption"] == "RAW"
    assert bodies[0]["data"] == [{"range": "'Plan'!K2:K100001", "values": [["On track"]] * 100_000}]


def test_a_values_write_is_split_only_past_the_payload_limit():
    text = "x" * 1000
    bodies = value_update_bodies(status_writes(12_000, text))  # about 12 MB of cell text
    assert len(bodies) == 2
    assert all(len(json.dumps(body)) <= REQUEST_BODY_LIMIT for body in bodies)
    written = [row for body in bodies for part in body["data"] for row in part["values"]]
    assert written == [[text]] * 12_000


def test_value_ranges_are_rectangles_of_adjacent_cells_and_none_clears():
    writes = [
        CellWrite("Plan", 2, 11, "Done"),
        CellWrite("Plan", 2, 12, 0.5, kind="percent"),
        CellWrite("Plan", 3, 11, "Overdue"),
        CellWrite("Plan", 3, 12, None),
        CellWrite("Plan", 7, 11, None),
        CellWrite("It's", 1, 1, "=IMPORTXML(1)"),
    ]
    (body,) = value_update_bodies(writes)
    assert {part["range"]: part["values"] for part in body["data"]} == {
        "'It''s'!A1:A1": [["=IMPORTXML(1)"]],
        "'Plan'!K2:L3": [["Done", 0.5], ["Overdue", ""]],
        "'Plan'!K7:K7": [[""]],
    }


@pytest.mark.parametrize(
    ("read", "text"),
    [
        (None, ""),
        ("  G1 ", "G1"),
        (7.0, "7"),
        (7, "7"),
        (True, "TRUE"),
        (CellError("#REF!"), "#REF!"),
    ],
)
def test_guards_compare_stripped_text(read, text):
    assert guard_text(read) == text


# --- credentials -------------------------------------------------------------------------------


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(google_auth.KEY_FILE_ENV, raising=False)
    return tmp_path / "config" / "sheetsync"


def service_account_key(path, email="robot@project.iam.gserviceaccount.com"):
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "project",
        "private_key_id": "1",
        "private_key": pem,
        "client_email": email,
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(info))
    return path


def test_none_sends_no_credentials(config_home):
    settings = GoogleSettings(credentials="none", endpoint="http://127.0.0.1:1")
    assert google_auth.load_credentials(settings) is None


def test_service_account_key_file_from_config_or_environment(config_home, tmp_path, monkeypatch):
    key_file = service_account_key(tmp_path / "key.json")
    credentials = google_auth.load_credentials(GoogleSettings(credentials=str(key_file)))
    assert credentials.service_account_email == "robot@project.iam.gserviceaccount.com"
    assert set(credentials.scopes) == set(google_auth.SCOPES)
    monkeypatch.setenv(google_auth.KEY_FILE_ENV, str(key_file))
    from_environment = google_auth.load_credentials(GoogleSettings(credentials=""))
    assert from_environment.service_account_email == "robot@project.iam.gserviceaccount.com"


def test_missing_and_malformed_key_files_are_told_apart(config_home, tmp_path):
    with pytest.raises(google_auth.KeyFileMissing):
        google_auth.load_credentials(GoogleSettings(credentials=str(tmp_path / "nope.json")))
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "service_account"')
    with pytest.raises(google_auth.KeyFileMalformed):
        google_auth.load_credentials(GoogleSettings(credentials=str(broken)))


def test_oauth_token_is_saved_0600_loaded_and_forgotten(config_home):
    with pytest.raises(google_auth.NotSignedIn):
        google_auth.load_credentials(GoogleSettings(credentials="oauth"))
    token = {
        "token": "ya29.x",
        "refresh_token": "1//refresh",
        "client_id": "id.apps.googleusercontent.com",
        "client_secret": "secret",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = google_auth.save_token(json.dumps(token), "ana@example.com")
    assert path == config_home / google_auth.TOKEN_FILE_NAME
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    credentials = google_auth.load_credentials(GoogleSettings(credentials="oauth"))
    assert credentials.refresh_token == "1//refresh"
    assert google_auth.signed_in_account() == "ana@example.com"
    assert google_auth.logout() is True
    assert google_auth.logout() is False
    assert not path.exists()


def test_login_without_an_oauth_client_file_says_where_to_get_one(config_home, tmp_path):
    with pytest.raises(google_auth.LoginFailed, match="Desktop-app OAuth client"):
        google_auth.login(str(tmp_path / "client_secret.json"))
