"""Google credentials: service-account key files, a saved `sheetsync auth login`, gcloud's ADC,
"none"; and `auth login` itself, through Google's consent page as the test server plays it."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
import webbrowser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sheets_api_fixtures import sheets_api as sheets_api_fixture  # noqa: F401 - a server per test
from sheets_api_server import OWNER, Fault, SheetsApiServer

from sheetsync.backends import google_auth
from sheetsync.config import GoogleSettings

# --- loading them -------------------------------------------------------------------------------


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


def test_adc_from_a_persons_gcloud_login_bills_the_project_gcloud_is_set_to(
    config_home, tmp_path, monkeypatch
):
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    login = {
        "type": "authorized_user",
        "client_id": "id.apps.googleusercontent.com",
        "client_secret": "secret",
        "refresh_token": "1//refresh",
    }
    (gcloud / "application_default_credentials.json").write_text(json.dumps(login))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(gcloud))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "bean-and-crumb")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    for mode in ("adc", ""):  # "" with no GOOGLE_APPLICATION_CREDENTIALS is ADC too
        credentials = google_auth.load_credentials(GoogleSettings(credentials=mode))
        assert credentials.refresh_token == "1//refresh"
        assert credentials.quota_project_id == "bean-and-crumb"
    # A login that names its own project (`set-quota-project`) keeps it.
    own = {**login, "quota_project_id": "bean-and-crumb-billing"}
    (gcloud / "application_default_credentials.json").write_text(json.dumps(own))
    credentials = google_auth.load_credentials(GoogleSettings(credentials="adc"))
    assert credentials.quota_project_id == "bean-and-crumb-billing"


def test_adc_from_a_service_account_key_gets_sheetsyncs_scopes_and_bills_its_own_project(
    config_home, tmp_path, monkeypatch
):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "bean-and-crumb")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(service_account_key(tmp_path / "k")))
    credentials = google_auth.load_credentials(GoogleSettings(credentials="adc"))
    assert credentials.service_account_email == "robot@project.iam.gserviceaccount.com"
    assert set(credentials.scopes) == set(google_auth.SCOPES)
    assert credentials.quota_project_id is None  # a service account's project pays


def gcloud_login_file(folder: Path) -> Path:
    """A person's gcloud login (`authorized_user`) saved as a file, with a token still good
    (google-auth sends such a login's refresh to Google's own address, never the test server)."""
    login = {
        "type": "authorized_user",
        "client_id": "id.apps.googleusercontent.com",
        "client_secret": "secret",
        "refresh_token": "1//refresh",
        "token": "t",
        "expiry": "2999-01-01T00:00:00Z",
    }
    path = folder / "application_default_credentials.json"
    path.write_text(json.dumps(login))
    return path


def test_a_gcloud_login_file_given_as_the_key_file_is_loaded_with_sheetsyncs_scopes(
    config_home, tmp_path
):
    key_file = gcloud_login_file(tmp_path)
    credentials = google_auth.load_credentials(GoogleSettings(credentials=str(key_file)))
    assert credentials.refresh_token == "1//refresh"
    assert set(credentials.scopes) == set(google_auth.SCOPES)


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
    assert set(credentials.scopes) == set(google_auth.SCOPES)  # the token names none
    assert google_auth.signed_in_account() == "ana@example.com"
    assert google_auth.logout() is True
    assert google_auth.logout() is False
    assert not path.exists()


def test_login_without_an_oauth_client_file_says_where_to_get_one(config_home, tmp_path):
    with pytest.raises(google_auth.LoginFailed, match="Desktop-app OAuth client"):
        google_auth.login(str(tmp_path / "client_secret.json"))


class ConsentPage:
    """The user's browser on Google's consent page: allows (ticking some boxes), cancels, or
    is closed. It answers by visiting the redirect address login() is waiting on."""

    ANSWERS = {
        "allow": "code=4/granted",
        "cancel": "error=access_denied",
        # RFC 6749's answer when Google's sign-in server fails, with its words
        "fail": "error=server_error&error_description=Something+went+wrong.",
    }

    def __init__(self, answer: str) -> None:
        self.answer = answer  # one of ANSWERS, or "close"

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        query = parse_qs(urlsplit(url).query)
        redirect, state = query["redirect_uri"][0], query["state"][0]
        if self.answer != "close":
            url = f"{redirect}?{self.ANSWERS[self.answer]}&state={state}"
            threading.Thread(target=requests.get, args=(url,), daemon=True).start()
        return True


def asking(server: SheetsApiServer, timeout: float = 5) -> GoogleSettings:
    """[google] settings that send the question "who signed in?" to the test server's Drive."""
    return GoogleSettings(endpoint=server.endpoint, timeout=timeout)


@pytest.fixture
def consent(config_home, tmp_path, monkeypatch, sheets_api):
    """login() against the test server's token endpoint; returns (client file, browser)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the test server speaks http
    secrets = tmp_path / "client_secret.json"
    client = {
        "client_id": "id.apps.googleusercontent.com",
        "client_secret": "secret",
        "auth_uri": f"{sheets_api.endpoint}/o/oauth2/auth",
        "token_uri": f"{sheets_api.endpoint}/token",
        "redirect_uris": ["http://localhost"],
    }
    secrets.write_text(json.dumps({"installed": client}))

    def browser(answer: str) -> None:
        monkeypatch.setattr(webbrowser, "get", lambda using=None: ConsentPage(answer))

    return str(secrets), browser


def test_login_that_grants_one_of_two_scopes_says_to_tick_every_box(consent, sheets_api):
    secrets, browser = consent
    browser("allow")
    sheets_api.consented_scopes = [google_auth.SCOPES[0]]  # spreadsheets, not drive.file
    with pytest.raises(google_auth.LoginFailed) as failure:
        google_auth.login(secrets, timeout_seconds=10)
    assert str(failure.value) == (
        "Google's consent page granted only part of the access sheetsync needs (missing: "
        "drive.file), so it is not signed in; run `sheetsync auth login` again and tick every "
        "box on the consent page."
    )
    assert not google_auth.token_path().exists()


@pytest.mark.parametrize(
    ("answer", "sentence"),
    [
        (
            "cancel",
            "The sign-in was cancelled on Google's consent page, so sheetsync is not signed in; "
            "run `sheetsync auth login` again and allow the access it asks for.",
        ),
        (
            "fail",
            "Google's sign-in did not finish (Something went wrong.); run `sheetsync auth login` "
            "again.",
        ),
    ],
)
def test_login_cancelled_or_failed_on_the_consent_page_is_one_sentence(consent, answer, sentence):
    secrets, browser = consent
    browser(answer)
    with pytest.raises(google_auth.LoginFailed) as failure:
        google_auth.login(secrets, timeout_seconds=10)
    assert str(failure.value) == sentence
    assert not google_auth.token_path().exists()


def test_login_that_grants_neither_scope_names_both(consent, sheets_api):
    secrets, browser = consent
    browser("allow")
    sheets_api.consented_scopes = ["openid"]
    with pytest.raises(google_auth.LoginFailed) as failure:
        google_auth.login(secrets, timeout_seconds=10)
    assert "(missing: spreadsheets, drive.file)" in str(failure.value)


def test_login_left_unfinished_gives_up_after_the_timeout(consent):
    secrets, browser = consent
    browser("close")
    with pytest.raises(google_auth.LoginFailed) as failure:
        google_auth.login(secrets, timeout_seconds=0.5)
    assert str(failure.value) == (
        "Google's sign-in page got no answer within 0.5 seconds, so sheetsync is not signed in; "
        "run `sheetsync auth login` again and finish signing in, in the browser window it opens."
    )
    assert google_auth.LOGIN_TIMEOUT_SECONDS == 300


def test_login_saves_the_token_for_its_owner_only_and_says_who_signed_in(
    consent, sheets_api, monkeypatch, tmp_path
):
    secrets, browser = consent
    browser("allow")
    # Written beside the token and renamed over it, never through the system's temporary folder
    # (another file system, where a rename fails).
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-temporary-folder"))
    said = google_auth.login(
        secrets, timeout_seconds=10, settings=GoogleSettings(endpoint=sheets_api.endpoint)
    )
    token = google_auth.token_path()
    assert said == f"Signed in to Google as {OWNER}; the token is saved in {token}."
    assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
    assert os.listdir(token.parent) == [token.name]  # no temporary file left beside it
    assert google_auth.signed_in_account() == OWNER
    credentials = google_auth.load_credentials(GoogleSettings(credentials="oauth"))
    assert (credentials.token, credentials.refresh_token) == ("ya29.test-token", "1//test-refresh")
    assert set(credentials.scopes) == set(google_auth.SCOPES)
    asked = [r for r in sheets_api.request_log if r.path == "/drive/v3/about"]
    assert [r.query for r in asked] == [{"fields": ["user(emailAddress)"]}]
    # Signing in again replaces the token, in the folder that is now there.
    assert (
        google_auth.login(
            secrets, timeout_seconds=10, settings=GoogleSettings(endpoint=sheets_api.endpoint)
        )
        == said
    )


@pytest.mark.parametrize(
    "drive",
    [
        lambda server: server.set_api_enabled(False, api="drive"),
        lambda server: server.inject(Fault.slow(3, "drive.about.get")),
    ],
    ids=["drive-disabled", "no-answer-within-the-timeout"],
)
def test_login_when_drive_does_not_say_who_names_no_one(consent, sheets_api, drive):
    secrets, browser = consent
    browser("allow")
    drive(sheets_api)
    said = google_auth.login(secrets, timeout_seconds=10, settings=asking(sheets_api, 0.5))
    token = google_auth.token_path()
    assert said == f"Signed in to Google as your Google account; the token is saved in {token}."
    assert google_auth.signed_in_account() is None


def test_login_reads_the_client_file_from_the_config_folder_when_none_is_given(consent, sheets_api):
    secrets, browser = consent
    default = google_auth.token_path().with_name("client_secret.json")
    with pytest.raises(google_auth.LoginFailed) as failure:
        google_auth.login(None)
    assert str(failure.value) == (
        f"The OAuth client file {default} does not exist; create a Desktop-app OAuth client in "
        "the Google Cloud console, download its JSON and run `sheetsync auth login "
        "--client-secrets FILE`."
    )
    default.parent.mkdir(parents=True)
    default.write_text(Path(secrets).read_text())
    browser("allow")
    said = google_auth.login(
        None, timeout_seconds=10, settings=GoogleSettings(endpoint=sheets_api.endpoint)
    )
    assert said.startswith(f"Signed in to Google as {OWNER};")


def test_login_with_a_client_file_that_is_not_a_desktop_app_says_which_to_download(
    config_home, tmp_path
):
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps({"service_account": {"client_id": "id"}}))
    with pytest.raises(google_auth.LoginFailed) as failure:
        google_auth.login(str(secrets))
    assert str(failure.value) == (
        f"The OAuth client file {secrets} is not a Desktop-app client (Client secrets must be "
        "for a web or installed app.); download the JSON of a Desktop-app OAuth client from the "
        "Google Cloud console."
    )


def test_login_that_cannot_save_the_token_says_where_and_leaves_nothing_behind(consent, sheets_api):
    secrets, browser = consent
    browser("allow")
    token = google_auth.token_path()
    token.mkdir(parents=True)  # a folder where the token goes
    with pytest.raises(google_auth.LoginFailed) as failure:
        google_auth.login(
            secrets, timeout_seconds=10, settings=GoogleSettings(endpoint=sheets_api.endpoint)
        )
    assert str(failure.value) == (
        f"sheetsync could not save your Google sign-in in {token} (Is a directory), so it is "
        "not signed in; check that you may write there, then run `sheetsync auth login` again."
    )
    assert os.listdir(token.parent) == [token.name]  # the temporary file is gone
