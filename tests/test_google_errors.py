"""What a user reads when Google says no: each failure as one sentence with its fix, in full.

Google's refusals come from the Sheets API test server through the real gspread client, and
sign-in failures from google-auth with real key files, saved logins and gcloud's ADC file;
`sheetsync check` prints the sentence and exits 3 (run in-process, so it runs this code)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest
import trustme
from click.testing import CliRunner
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials as UserCredentials
from gspread.exceptions import APIError
from sheets_api_fixtures import sheets_api as sheets_api_fixture  # noqa: F401 - a server per test
from sheets_api_server import Fault, SheetsApiServer
from test_google_auth import gcloud_login_file
from test_google_backend import (
    api_error_from,
    backend_for,
    bean_and_crumb,
    robot_key,
    settings_for,
    status_plan,
)

from sheetsync.backends import WorkbookUnreachable, google_auth, google_http
from sheetsync.backends.google import GoogleBackend
from sheetsync.backends.google_create import create_spreadsheet
from sheetsync.backends.google_errors import FailureContext, unreachable
from sheetsync.backends.google_http import gspread_client as gspread_client_for
from sheetsync.backends.google_location import edit_url
from sheetsync.cli import main
from sheetsync.config import GoogleSettings
from sheetsync.template import load_template
from sheetsync.workbook import CellWrite

ROBOT = "robot@project.iam.gserviceaccount.com"
KEY = "1" + "k" * 43  # a spreadsheet on Google
ADC_LOGIN = (
    "gcloud auth application-default login --scopes=https://www.googleapis.com/auth/spreadsheets,"
    "https://www.googleapis.com/auth/drive.file,https://www.googleapis.com/auth/cloud-platform"
)


def host(server: SheetsApiServer) -> str:
    return server.endpoint.removeprefix("http://")


def refused(server: SheetsApiServer, key: str, **settings: Any) -> str:
    """The sentence a read of `key` fails with."""
    with pytest.raises(WorkbookUnreachable) as failure:
        backend_for(server, key, **settings).read()
    return str(failure.value)


def on_google(error: BaseException, title: str | None = "Bean & Crumb", **settings: Any) -> str:
    """The sentence for `error` met on Google's own endpoint (where Google is named)."""
    context = FailureContext(KEY, title, GoogleSettings(**settings))
    return str(unreachable(error, context))


def revoked_login(server: SheetsApiServer) -> RefreshError:
    """What google-auth raises when Google refuses a saved login's refresh token (gcloud's ADC
    login is one; google-auth sends its refresh to Google's own token address, so this one is
    made with a login whose refresh goes to the test server)."""
    server.revoked_refresh_tokens.add("1//revoked")
    login = UserCredentials(
        None, "1//revoked", token_uri=f"{server.endpoint}/token", client_id="id", client_secret="s"
    )
    with pytest.raises(RefreshError) as refused:
        login.refresh(Request())
    return refused.value


@pytest.fixture
def adc(tmp_path, monkeypatch, config_home):
    """This computer's ADC as gcloud would keep it: none yet, and no metadata server to ask."""
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    return tmp_path / "gcloud"


def check(folder: Path, server: SheetsApiServer, key: str, credentials: str) -> tuple[int, str]:
    """`sheetsync check` on the spreadsheet: its exit code and what it printed on stderr."""
    config = folder / "sheetsync.toml"
    config.write_text(
        f'[google]\nendpoint = "{server.endpoint}"\ncredentials = "{credentials}"\n'
        "requests_per_minute = 6000\nretry_for_seconds = 0\n"
    )
    result = CliRunner().invoke(main, ["check", "--workbook", key, "--config", str(config)])
    return result.exit_code, result.stderr


# --- 401 and refused sign-ins: the fix depends on how sheetsync signs in -------------------------


def test_a_service_account_token_google_refuses_says_to_make_a_new_key(
    sheets_api, config_home, tmp_path
):
    key = bean_and_crumb(sheets_api)
    key_file = robot_key(sheets_api, tmp_path, ROBOT)
    sheets_api.require_token = "ya29.another-token"  # the robot's token is not accepted
    code, stderr = check(tmp_path, sheets_api, key, str(key_file))
    assert code == 3
    assert stderr == (
        f"Error: Google refused the service-account key file ({host(sheets_api)} says: “Request "
        "had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
        "other valid authentication credential. See https://developers.google.com/identity/"
        "sign-in/web/devconsole-project.”); the key may have been deleted or disabled: create a "
        "new key in the Google Cloud console and point [google] credentials at it.\n"
    )


@pytest.mark.parametrize("credentials", ["adc", ""], ids=["adc", "unset"])
def test_a_revoked_gcloud_login_says_to_sign_in_again_with_the_scopes(
    sheets_api, config_home, credentials
):
    """credentials "" with no GOOGLE_APPLICATION_CREDENTIALS is ADC too."""
    assert on_google(revoked_login(sheets_api), credentials=credentials) == (
        "Google refused this computer's Application Default Credentials (invalid_grant: Token "
        f"has been expired or revoked.); run `{ADC_LOGIN}` and try again."
    )


def test_a_deleted_service_account_key_named_by_the_environment_says_to_make_a_new_key(
    sheets_api, config_home, tmp_path, monkeypatch
):
    key = bean_and_crumb(sheets_api)
    monkeypatch.setenv(google_auth.KEY_FILE_ENV, str(robot_key(sheets_api, tmp_path, ROBOT)))
    sheets_api.deleted_keys.add(ROBOT)
    code, stderr = check(tmp_path, sheets_api, key, "")
    assert code == 3
    assert stderr == (
        "Error: Google refused the service-account key file (invalid_grant: Invalid JWT "
        "Signature.); the key may have been deleted or disabled: create a new key in the Google "
        "Cloud console and point [google] credentials at it.\n"
    )
    assert sheets_api.requests == {("POST", "oauth.token"): 1}  # a refusal is not retried


@pytest.mark.parametrize("named_by", ["[google] credentials", google_auth.KEY_FILE_ENV])
def test_a_revoked_gcloud_login_given_as_the_key_file_says_to_sign_in_again_not_make_a_key(
    sheets_api, config_home, tmp_path, monkeypatch, named_by
):
    login_file = str(gcloud_login_file(tmp_path))
    if named_by == google_auth.KEY_FILE_ENV:
        monkeypatch.setenv(google_auth.KEY_FILE_ENV, login_file)
    credentials = login_file if named_by == "[google] credentials" else ""
    assert on_google(revoked_login(sheets_api), credentials=credentials) == (
        "Google refused the gcloud sign-in given as the key file (invalid_grant: Token has been "
        f"expired or revoked.); it has expired or was revoked: run `{ADC_LOGIN}` and point "
        f"{named_by} at the file it writes."
    )


# --- 403 scopes: signed in, but not for Sheets --------------------------------------------------


def signed_in(server: SheetsApiServer, folder: Path, credentials: str) -> str:
    """[google] credentials for a sign-in of this kind that the test server accepts."""
    if credentials == "key file":
        return str(robot_key(server, folder, ROBOT))
    if credentials == "gcloud login file":
        return str(gcloud_login_file(folder))
    if credentials == "oauth":
        token = {"token": "t", "expiry": "2999-01-01T00:00:00Z", "refresh_token": "r"}
        google_auth.save_token(json.dumps({**token, "client_id": "c", "client_secret": "s"}), None)
    return credentials


@pytest.mark.parametrize(
    ("credentials", "fix"),
    [
        (
            "key file",
            "ask your Google Workspace administrator to allow the service account the "
            "spreadsheets and drive.file scopes",
        ),
        (
            "oauth",
            "run `sheetsync auth login` again and, on Google's consent page, tick every box "
            "(spreadsheets and the files sheetsync uses)",
        ),
        ("none", 'set [google] credentials to a service-account key file, "oauth" or "adc"'),
        (
            "gcloud login file",
            f"run `{ADC_LOGIN}` and point [google] credentials at the file it writes (the scopes "
            "are what was missing)",
        ),
    ],
)
def test_credentials_without_the_sheets_scope_get_the_fix_for_their_kind(
    sheets_api, config_home, tmp_path, credentials, fix
):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_scopes_granted(False)
    code, stderr = check(tmp_path, sheets_api, key, signed_in(sheets_api, tmp_path, credentials))
    assert code == 3
    assert stderr == (
        f"Error: These Google credentials may not use Google Sheets ({host(sheets_api)} says: "
        f"“Request had insufficient authentication scopes.”); {fix}.\n"
    )


def test_adc_without_the_sheets_scope_is_told_the_gcloud_login_that_grants_it(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_scopes_granted(False)
    assert on_google(api_error_from(sheets_api, key), credentials="adc") == (
        "These Google credentials may not use Google Sheets (Google says: “Request had "
        f"insufficient authentication scopes.”); run `{ADC_LOGIN}` (the scopes are what was "
        "missing) and run again."
    )


# --- 400: what Google refused, and whose mistake it is -------------------------------------------


def refused_write(server: SheetsApiServer, key: str, cells: str, value: Any) -> APIError:
    """The APIError the real gspread client raises when the server refuses this write."""
    spreadsheet = gspread_client_for(settings_for(server)).open_by_key(key)
    with pytest.raises(APIError) as refused:
        spreadsheet.values_update(cells, {"valueInputOption": "RAW"}, {"values": [[value]]})
    return refused.value


def test_a_cell_too_long_for_google_is_sheetsyncs_mistake_to_report(sheets_api):
    key = bean_and_crumb(sheets_api)
    assert on_google(refused_write(sheets_api, key, "Plan!F3", "x" * 50_001)) == (
        "A cell sheetsync writes would hold more text than Google Sheets allows (Google says: "
        "“Your input contains more than the maximum of 50000 characters in a single cell.”); "
        "nothing of that request was written. This is sheetsync's mistake: please report it to "
        "its maintainers with this message."
    )


def test_a_request_too_large_for_google_is_sheetsyncs_mistake_to_report(sheets_api):
    key = bean_and_crumb(sheets_api)
    assert on_google(refused_write(sheets_api, key, "Plan!F3", "x" * 10_500_000)) == (
        "Google refused a request of sheetsync's as too large (Google says: “Request payload "
        "size exceeds the limit: 10485760 bytes.”); nothing of that request was written. This "
        "is sheetsync's mistake: please report it to its maintainers with this message."
    )


def test_any_other_400_is_reported_with_googles_words(sheets_api):
    key = bean_and_crumb(sheets_api)
    assert on_google(refused_write(sheets_api, key, "Plan!A1:1B", "x"), title=None) == (
        f"Google refused sheetsync's request to the spreadsheet {KEY} (400, Google says: “Unable "
        "to parse range: Plan!A1:1B”). This is sheetsync's mistake: please report it to its "
        "maintainers with this message."
    )


def test_a_protected_range_names_the_service_account_to_add_as_its_editor(
    sheets_api, config_home, tmp_path
):
    key = bean_and_crumb(sheets_api)
    sheets_api.protect(key, "Plan", "E1:E10")
    sheets_api.require_token = "ya29.robot-token"
    backend = backend_for(sheets_api, key, credentials=str(robot_key(sheets_api, tmp_path, ROBOT)))
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    with pytest.raises(WorkbookUnreachable) as failure:
        backend.apply(plan)
    assert str(failure.value) == (
        "A protected range in the spreadsheet “Bean & Crumb” stops sheetsync from writing "
        f"({host(sheets_api)} says: “You are trying to edit a protected cell or object. Please "
        "contact the spreadsheet owner to remove protection if you need to edit.”); in Data > "
        f"Protect sheets and ranges, add {ROBOT} as an editor of the range over sheetsync's "
        "columns and tabs, or set it to “Show a warning”, then run again."
    )


def test_a_protected_range_with_no_account_known_names_the_one_sheetsync_uses(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.protect(key, "Plan", "F3")
    assert on_google(refused_write(sheets_api, key, "Plan!F3", "x")).startswith(
        "A protected range in the spreadsheet “Bean & Crumb” stops sheetsync from writing (Google "
        "says: “You are trying to edit a protected cell or object. Please contact the "
        "spreadsheet owner to remove protection if you need to edit.”); in Data > Protect sheets "
        "and ranges, add the Google account sheetsync uses as an editor of the range"
    )


def test_a_spreadsheet_at_googles_cell_limit_says_what_to_delete(sheets_api):
    key = sheets_api.add_spreadsheet(
        "Full", {"Plan": [["Tactic ID"]]}, grid={"Plan": (400_000, 25)}
    )
    spreadsheet = gspread_client_for(settings_for(sheets_api)).open_by_key(key)
    grow = {"appendDimension": {"sheetId": spreadsheet.sheet1.id, "dimension": "ROWS", "length": 1}}
    with pytest.raises(APIError) as refused:
        spreadsheet.batch_update({"requests": [grow]})
    assert on_google(refused.value, title="Full") == (
        "The spreadsheet “Full” is at Google's limit of 10,000,000 cells (Google says: “Invalid "
        "requests[0].appendDimension: This action would increase the number of cells in the "
        "workbook above the limit of 10000000 cells.”), so nothing was written; delete empty rows "
        "and columns at the end of its tabs, or tabs you no longer need (every cell of every tab "
        "counts, blank or not), and run again."
    )


def test_a_rule_that_refuses_a_value_says_to_make_it_a_warning(sheets_api):
    key = bean_and_crumb(sheets_api)
    only_done = {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Done"}]},
        "strict": True,
    }
    spreadsheet = gspread_client_for(settings_for(sheets_api)).open_by_key(key)
    cell = {"sheetId": spreadsheet.worksheet("Plan").id, "startRowIndex": 2, "endRowIndex": 3}
    cell |= {"startColumnIndex": 4, "endColumnIndex": 5}
    spreadsheet.batch_update(
        {"requests": [{"setDataValidation": {"range": cell, "rule": only_done}}]}
    )
    assert on_google(refused_write(sheets_api, key, "Plan!E3", "At risk")) == (
        "A data-validation rule in the spreadsheet “Bean & Crumb” rejects a value sheetsync "
        "writes (Google says: “The data you entered in cell E3 violates the data validation rules "
        "set on this cell. Please enter one of the following values: Done.”); in Data > Data "
        "validation, set that column's rule to “Show a warning”."
    )


# --- 403 for a project, 429 and 5xx: nothing to do with the spreadsheet -------------------------


def test_the_sheets_api_disabled_in_the_project_says_where_to_enable_it(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_api_enabled(False)
    enable = (
        "https://console.developers.google.com/apis/api/sheets.googleapis.com/overview?project="
        "1234567890"
    )
    # Google's message is cut at a word, within 300 characters; the rest of the sentence is whole.
    assert on_google(api_error_from(sheets_api, key)) == (
        "The Google Sheets API is not enabled in the Google Cloud project of these credentials "
        "(Google says: “Google Sheets API has not been used in project 1234567890 before or it "
        f"is disabled. Enable it by visiting {enable} then retry. If you enabled this API "
        "recently, wait a few minutes for the action to propagate to…”); enable it "
        f"at {enable}, wait a minute and run again."
    )


def test_the_drive_api_disabled_stops_sharing_a_new_spreadsheet_and_says_where_to_enable_it(
    sheets_api,
):
    sheets_api.set_api_enabled(False, api="drive")
    template = load_template(example=False, today=dt.date(2026, 3, 15))
    with pytest.raises(WorkbookUnreachable) as failure:
        create_spreadsheet(template, settings_for(sheets_api), "Bean & Crumb", ("ana@example.com",))
    (key,) = sheets_api.spreadsheet_keys()
    enable = (
        "https://console.developers.google.com/apis/api/drive.googleapis.com/overview?project="
        "1234567890"
    )
    assert str(failure.value).startswith(
        f"sheetsync made the spreadsheet “Bean & Crumb” ({edit_url(key)}) but could not share it "
        "with ana@example.com; delete it, then run `sheetsync init --google` again after this: "
        "The Google Drive API is not enabled in the Google Cloud project of these credentials ("
    )
    assert str(failure.value).endswith(f"); enable it at {enable}, wait a minute and run again.")


def test_quota_used_up_past_the_retries_says_to_wait_or_ask_less(sheets_api):
    key = bean_and_crumb(sheets_api)
    sheets_api.inject(Fault.status(429))
    assert refused(sheets_api, key, retry_for_seconds=0) == (
        f"Google's request quota is used up ({host(sheets_api)} says: “Quota exceeded for quota "
        "metric 'Read requests' and limit 'Read requests per minute per user' of service "
        "'sheets.googleapis.com' for consumer 'project_number:1234567890'.”) and did not recover "
        "within 0 seconds; run again in a few minutes, or lower [google] requests_per_minute."
    )


@pytest.mark.parametrize(
    ("status", "google_says"),
    [
        (500, "Internal error encountered."),
        (504, "Deadline expired before operation could complete."),
    ],
)
def test_a_server_problem_past_the_retries_says_to_run_again_later(sheets_api, status, google_says):
    key = bean_and_crumb(sheets_api)
    sheets_api.inject(Fault.status(status))
    assert refused(sheets_api, key, retry_for_seconds=0) == (
        f"Google had a server problem ({status}, {host(sheets_api)} says: “{google_says}”) "
        "that did not clear within 0 seconds; run again later."
    )


# --- credentials sheetsync cannot load: no request is sent ---------------------------------------


def test_a_key_file_that_is_not_there_says_what_to_point_at(
    sheets_api, config_home, tmp_path, monkeypatch
):
    missing = tmp_path / "key.json"
    monkeypatch.setenv(google_auth.KEY_FILE_ENV, str(missing))
    assert check(tmp_path, sheets_api, KEY, "") == (
        3,
        f"Error: The Google key file {missing} does not exist; set [google] credentials (or "
        "GOOGLE_APPLICATION_CREDENTIALS) to the JSON key you downloaded for the service "
        "account.\n",
    )
    assert sheets_api.requests == {}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            '{"type": "service_account"',
            "not JSON: Expecting ',' delimiter: line 1 column 27 (char 26)",
        ),
        (
            '{"type": "external_account"}',
            'its type is "external_account"; sheetsync takes a service account\'s key '
            '("service_account") or a gcloud login ("authorized_user")',
        ),
        (
            '["service_account"]',
            'it names no type; sheetsync takes a service account\'s key ("service_account") or '
            'a gcloud login ("authorized_user")',
        ),
        (
            '{"type": "service_account", "client_email": "robot@example.com"}',
            "Service account info was not in the expected format, missing fields token_uri.",
        ),
    ],
    ids=["cut-short", "another-type", "not-a-key", "fields-missing"],
)
def test_a_key_file_google_auth_cannot_use_says_to_download_a_new_one(
    sheets_api, config_home, tmp_path, text, why
):
    key_file = tmp_path / "key.json"
    key_file.write_text(text)
    assert check(tmp_path, sheets_api, KEY, str(key_file)) == (
        3,
        f"Error: The Google key file {key_file} is not a valid key ({why}); download a new JSON "
        "key for the service account in the Google Cloud console and point [google] credentials "
        "at it.\n",
    )
    assert sheets_api.requests == {}


def test_oauth_before_signing_in_says_to_sign_in(sheets_api, config_home, tmp_path):
    token = google_auth.token_path()
    assert check(tmp_path, sheets_api, KEY, "oauth") == (
        3,
        f"Error: sheetsync is not signed in to Google (no token is saved in {token}); run "
        "`sheetsync auth login`.\n",
    )
    token.parent.mkdir(parents=True)
    token.write_text('{"token": ')  # cut short
    assert check(tmp_path, sheets_api, KEY, "oauth") == (
        3,
        "Error: sheetsync is not signed in to Google (the saved token is unreadable: Expecting "
        "value: line 1 column 11 (char 10)); run `sheetsync auth login`.\n",
    )
    assert sheets_api.requests == {}


def test_adc_on_a_computer_without_any_says_how_to_set_it_up(sheets_api, adc, tmp_path):
    assert check(tmp_path, sheets_api, KEY, "adc") == (
        3,
        "Error: This computer has no Google Application Default Credentials (Your default "
        "credentials were not found. To set up Application Default Credentials, see "
        "https://cloud.google.com/docs/authentication/external/set-up-adc for more "
        f"information.); run `{ADC_LOGIN}` and `gcloud auth application-default "
        "set-quota-project YOUR_PROJECT_ID`, or set [google] credentials to a service-account "
        "key file.\n",
    )
    assert sheets_api.requests == {}


# --- the network: which server did not answer ----------------------------------------------------


def test_a_sign_in_server_that_refuses_connections_is_named(sheets_api, config_home, tmp_path):
    key = bean_and_crumb(sheets_api)
    with SheetsApiServer() as sign_in:  # the key's token address, then nothing there
        key_file = robot_key(sign_in, tmp_path, ROBOT)
    code, stderr = check(tmp_path, sheets_api, key, str(key_file))
    assert (code, stderr) == (
        3,
        f"Error: Nothing accepts connections at {host(sign_in)} (connection refused); check the "
        "internet connection, and [google] endpoint if you set one, then run again.\n",
    )
    assert sheets_api.requests == {}


def test_a_sign_in_server_that_does_not_answer_in_time_is_named(sheets_api, config_home, tmp_path):
    key = bean_and_crumb(sheets_api)
    with SheetsApiServer() as sign_in:
        sign_in.inject(Fault.slow(2, route="oauth.token"))
        key_file = robot_key(sign_in, tmp_path, ROBOT)
        sentence = refused(
            sheets_api, key, credentials=str(key_file), timeout=0.5, retry_for_seconds=0
        )
    assert sentence == (
        f"{host(sign_in)} did not answer within 0.5 seconds, even after retrying for 0 seconds; "
        "check the internet connection and run again later, or raise [google] timeout."
    )
    assert sheets_api.requests == {}


def test_an_endpoint_that_does_not_speak_https_is_told_so(sheets_api):
    endpoint = sheets_api.endpoint.replace("http://", "https://")
    assert refused(sheets_api, KEY, endpoint=endpoint, retry_for_seconds=0) == (
        f"sheetsync cannot make a secure connection to {host(sheets_api)} (WRONG_VERSION_NUMBER); "
        "check [google] endpoint if you set one (it must speak https), then run again."
    )


@pytest.fixture
def tls_server(tmp_path):
    """A server on 127.0.0.1 with a certificate from an authority this computer does not trust
    (as a company proxy's is): its address and the authority's certificate file."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):  # the listener closed at the test's end
            while not stop.is_set():
                connection, _ = listener.accept()
                with (
                    contextlib.suppress(ssl.SSLError),
                    context.wrap_socket(connection, server_side=True),
                ):
                    pass  # the handshake, then closed: no answer to anything

    threading.Thread(target=serve, daemon=True).start()
    ca_file = tmp_path / "proxy-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    yield f"127.0.0.1:{listener.getsockname()[1]}", ca_file
    stop.set()
    listener.close()


def test_a_certificate_this_computer_does_not_trust_is_told_with_the_setting_that_trusts_it(
    sheets_api, tls_server, monkeypatch
):
    address, ca_file = tls_server
    endpoint = f"https://{address}"
    assert refused(sheets_api, KEY, endpoint=endpoint, retry_for_seconds=0) == (
        f"sheetsync cannot verify the certificate of {address} (unable to get local issuer "
        "certificate); if your network inspects secure connections (a company proxy), set the "
        "environment variable REQUESTS_CA_BUNDLE to its certificate file, then run again."
    )
    # The advice works: trusted, the connection gets past the certificate to the server, which
    # then closes it unanswered.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    sentence = refused(sheets_api, KEY, endpoint=endpoint, retry_for_seconds=0)
    assert sentence.startswith(f"The connection to {address} failed")
    assert "certificate" not in sentence


def test_an_unknown_host_says_this_computer_seems_offline():
    settings = {"endpoint": "http://sheets.invalid", "retry_for_seconds": 0}
    with pytest.raises(WorkbookUnreachable) as failure:
        GoogleBackend(KEY, GoogleSettings(credentials="none", **settings)).read()
    assert str(failure.value) == (
        "sheetsync cannot look up sheets.invalid, so this computer seems to be offline; check its "
        "internet connection and run again."
    )


# --- the whole of each sentence -----------------------------------------------------------------


def test_no_credentials_where_the_endpoint_asks_for_them_names_the_kinds_to_set(
    sheets_api, tmp_path
):
    key = bean_and_crumb(sheets_api)
    sheets_api.require_token = "ya29.test-token"
    assert check(tmp_path, sheets_api, key, "none") == (
        3,
        f"Error: {host(sheets_api)} asks for credentials ({host(sheets_api)} says: “Request is "
        "missing required authentication credential. Expected OAuth 2 access token, login cookie "
        "or other valid authentication credential. See https://developers.google.com/identity/"
        "sign-in/web/devconsole-project.”); set [google] credentials to a service-account key "
        'file, "oauth" or "adc".\n',
    )


def test_a_spreadsheet_not_shared_says_where_to_share_it(sheets_api, tmp_path):
    key = bean_and_crumb(sheets_api)
    sheets_api.set_shared(key, False)
    assert check(tmp_path, sheets_api, key, "none") == (
        3,
        f"Error: sheetsync may not open or change the spreadsheet {key} ({host(sheets_api)} says: "
        "“The caller does not have permission”); open it in Google Sheets, click Share and add "
        "the Google account sheetsync uses as an Editor.\n",
    )


@pytest.mark.parametrize(
    ("cells", "said"),
    [
        ("Plan!A1:1Bx" + " x" * 133, "Plan!A1:1Bx" + " x" * 133),  # 300 characters: whole
        # 302: a word ending at the 299th character fits whole with the "…" ...
        ("Plan!A1:1B " + "x" * 265 + " yy", "Plan!A1:1B " + "x" * 265 + "…"),
        # ... and one ending at the 300th would not
        ("Plan!A1:1B " + "x" * 266 + " yy", "Plan!A1:1B…"),
    ],
    ids=["300", "cut-after-299", "cut-before-300"],
)
def test_googles_words_are_kept_whole_up_to_300_characters_then_cut_at_a_word(
    sheets_api, cells, said
):
    key = bean_and_crumb(sheets_api)
    assert on_google(refused_write(sheets_api, key, cells, "x")) == (
        "Google refused sheetsync's request to the spreadsheet “Bean & Crumb” (400, Google says: "
        f"“Unable to parse range: {said}”). This is sheetsync's mistake: please report it to its "
        "maintainers with this message."
    )


# --- time-outs: how long sheetsync waited --------------------------------------------------------


@pytest.fixture
def write_wait(monkeypatch):
    """A write waits past Google's 180 s for its answer; 1.5 s here, the same rule."""
    monkeypatch.setattr(google_http, "WRITE_TIMEOUT_SECONDS", 1.5)


def test_a_write_with_no_answer_says_how_long_it_was_waited_for(sheets_api, write_wait):
    key = bean_and_crumb(sheets_api)
    backend = backend_for(sheets_api, key, timeout=0.3, retry_for_seconds=0)
    plan = status_plan(backend.read(), CellWrite("Plan", 3, 5, "At risk"))
    sheets_api.inject(Fault.slow(3, route="values.batchUpdate"))
    with pytest.raises(WorkbookUnreachable) as failure:
        backend.apply(plan)
    assert str(failure.value) == (
        f"{host(sheets_api)} did not answer within 1.5 seconds, even after retrying for 0 "
        "seconds; check the internet connection and run again later, or raise [google] timeout."
    )


def test_a_new_spreadsheet_with_no_answer_says_how_long_it_was_waited_for(sheets_api, write_wait):
    sheets_api.inject(Fault.slow(3, route="spreadsheets.create"))
    template = load_template(example=False, today=dt.date(2026, 3, 15))
    with pytest.raises(WorkbookUnreachable) as failure:
        create_spreadsheet(template, settings_for(sheets_api, timeout=0.3), "Bean & Crumb")
    assert str(failure.value) == (
        "Google did not confirm that it made the spreadsheet “Bean & Crumb” (no answer from "
        f"{host(sheets_api)} within 1.5 seconds), and sheetsync does not ask twice in case the "
        "first request worked; run `sheetsync init --google` again, and if Google Drive then "
        "shows two spreadsheets called “Bean & Crumb”, delete the empty one."
    )
