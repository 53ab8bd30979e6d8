"""Google credentials: a service-account key file, a user's OAuth login, ADC, or none.

Loading failures raise CredentialsUnavailable subclasses carrying the facts (which file,
what Google's library said); google.py turns them into the user's sentence, in the one
place where every Google failure is explained.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from sheetsync.backends.google_location import DRIVE_BASE, on_endpoint
from sheetsync.config import GoogleSettings
from sheetsync.errors import LoginFailed

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.oauth2.credentials import Credentials as UserCredentials
    from google_auth_oauthlib.flow import InstalledAppFlow

SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    # drive.file: only files sheetsync creates or the user opens with it, never all of Drive.
    "https://www.googleapis.com/auth/drive.file",
)
KEY_FILE_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
TOKEN_FILE_NAME = "google-token.json"
CLIENT_SECRETS_FILE_NAME = "client_secret.json"
# How long the browser's consent page may take before `auth login` gives up (else it would
# wait for ever for a page the user closed).
LOGIN_TIMEOUT_SECONDS = 300.0
_ACCOUNT_KEY = "sheetsync_account"  # our addition to the token file; google-auth ignores it
_ABOUT_URL = f"{DRIVE_BASE}/drive/v3/about"


class CredentialsUnavailable(Exception):
    """Credentials could not be loaded; `source` names the file or mode, `detail` says why."""

    def __init__(self, source: str, detail: str = "") -> None:
        super().__init__(f"{source}: {detail}" if detail else source)
        self.source = source
        self.detail = detail


class KeyFileMissing(CredentialsUnavailable):
    """The configured key file does not exist."""


class KeyFileMalformed(CredentialsUnavailable):
    """The key file exists but is not a credentials JSON google-auth accepts."""


class NotSignedIn(CredentialsUnavailable):
    """credentials = "oauth" but no usable token is cached."""


class NoDefaultCredentials(CredentialsUnavailable):
    """Application Default Credentials are not set up on this machine."""


def token_path() -> Path:
    """Where the OAuth user token is cached."""
    return platformdirs.user_config_path("sheetsync") / TOKEN_FILE_NAME


def load_credentials(settings: GoogleSettings) -> Credentials | None:
    """The credentials `settings.credentials` names; None for "none" (send no token)."""
    mode = settings.credentials
    if mode == "none":
        return None
    if mode == "oauth":
        return _load_user_token(token_path())
    if mode == "adc":
        return _load_default()
    key_file = mode or os.environ.get(KEY_FILE_ENV, "")
    return _load_key_file(Path(key_file)) if key_file else _load_default()


def is_login_file(path: Path) -> bool:
    """Whether the key file named is a person's gcloud login (`authorized_user`), whose fix
    is to sign in again, not a service account's key."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("type") == "authorized_user"


def _load_key_file(path: Path) -> Credentials:
    """A service-account key (or a gcloud user credentials file) the user pointed us at."""
    from google.oauth2 import service_account
    from google.oauth2.credentials import Credentials as UserCredentials

    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyFileMissing(str(path)) from None
    except (OSError, ValueError) as error:
        raise KeyFileMalformed(str(path), f"not JSON: {error}") from error
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        if kind == "authorized_user":
            return UserCredentials.from_authorized_user_info(info, scopes=list(SCOPES))
    except (ValueError, KeyError) as error:  # google-auth's words name the fields missing
        raise KeyFileMalformed(str(path), str(error)) from error
    named = f'its type is "{kind}"' if isinstance(kind, str) else "it names no type"
    raise KeyFileMalformed(
        str(path),
        f'{named}; sheetsync takes a service account\'s key ("service_account") or a gcloud '
        'login ("authorized_user")',
    )


def _load_default() -> Credentials:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError
    from google.oauth2.credentials import Credentials as UserCredentials

    try:
        credentials, project = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError as error:
        raise NoDefaultCredentials("adc", str(error)) from error
    if isinstance(credentials, UserCredentials) and not credentials.quota_project_id and project:
        # A person's gcloud login bills no project unless told to, and the Sheets API refuses
        # such requests (403 "requires a quota project"); the project gcloud is set to is the
        # one they mean. (Scopes cannot be added here: a user's token keeps what was granted
        # at `gcloud auth application-default login --scopes=...`.)
        credentials = credentials.with_quota_project(project)
    return credentials


def _load_user_token(path: Path) -> Credentials:
    from google.oauth2.credentials import Credentials as UserCredentials

    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return UserCredentials.from_authorized_user_info(info, scopes=list(SCOPES))
    except FileNotFoundError:
        raise NotSignedIn(str(path)) from None
    except (OSError, ValueError) as error:
        raise NotSignedIn(str(path), f"the saved token is unreadable: {error}") from error


def signed_in_account() -> str | None:
    """The e-mail address of the signed-in OAuth user, when login could learn it."""
    try:
        info = json.loads(token_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    account = info.get(_ACCOUNT_KEY) if isinstance(info, dict) else None
    return account if isinstance(account, str) and account else None


def login(
    client_secrets: str | None,
    timeout_seconds: float = LOGIN_TIMEOUT_SECONDS,
    settings: GoogleSettings | None = None,
) -> str:
    """Sign in with the browser (installed-app flow), cache the token 0600, say who signed in
    (Drive tells, at [google] endpoint when it is not Google's, within [google] timeout).

    Raises LoginFailed when the client file is wrong, the sign-in is cancelled, left
    unfinished for `timeout_seconds` or grants only some of the scopes, or the token cannot be
    saved.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    secrets = Path(client_secrets) if client_secrets else _default_client_secrets()
    if not secrets.is_file():
        raise LoginFailed(
            f"The OAuth client file {secrets} does not exist; create a Desktop-app OAuth "
            "client in the Google Cloud console, download its JSON and run "
            "`sheetsync auth login --client-secrets FILE`."
        )
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(secrets), scopes=list(SCOPES))
    except ValueError as error:
        raise LoginFailed(
            f"The OAuth client file {secrets} is not a Desktop-app client ({error}); download "
            "the JSON of a Desktop-app OAuth client from the Google Cloud console."
        ) from error
    credentials = _consent(flow, timeout_seconds)
    account = _account_email(credentials, settings or GoogleSettings())
    try:
        path = save_token(credentials.to_json(), account)
    except OSError as error:
        raise LoginFailed(
            f"sheetsync could not save your Google sign-in in {token_path()} "
            f"({error.strerror}), so it is not signed in; check that you may write "
            "there, then run `sheetsync auth login` again."
        ) from error
    who = account or "your Google account"
    return f"Signed in to Google as {who}; the token is saved in {path}."


def _consent(flow: InstalledAppFlow, timeout_seconds: float) -> UserCredentials:
    """The browser's consent page, through to a token with every scope sheetsync needs."""
    from google_auth_oauthlib.flow import WSGITimeoutError
    from oauthlib.oauth2.rfc6749.errors import AccessDeniedError, OAuth2Error

    try:
        return flow.run_local_server(port=0, open_browser=True, timeout_seconds=timeout_seconds)
    except WSGITimeoutError:
        raise LoginFailed(
            f"Google's sign-in page got no answer within {timeout_seconds:g} seconds, so "
            "sheetsync is not signed in; run `sheetsync auth login` again and finish signing "
            "in, in the browser window it opens."
        ) from None
    except AccessDeniedError:
        raise LoginFailed(
            "The sign-in was cancelled on Google's consent page, so sheetsync is not signed in; "
            "run `sheetsync auth login` again and allow the access it asks for."
        ) from None
    except OAuth2Error as error:
        raise LoginFailed(
            f"Google's sign-in did not finish ({error.description or error.error}); run "
            "`sheetsync auth login` again."
        ) from error
    except Warning as scope_changed:  # oauthlib's "Scope has changed from ... to ..."
        granted = sorted(getattr(scope_changed, "new_scope", None) or [])
        missing = [scope.rsplit("/", 1)[-1] for scope in SCOPES if scope not in granted]
        raise LoginFailed(
            f"Google's consent page granted only part of the access sheetsync needs (missing: "
            f"{', '.join(missing)}), so it is not signed in; run `sheetsync auth login` again "
            "and tick every box on the consent page."
        ) from None


def save_token(token_json: str, account: str | None) -> Path:
    """Write the user token to `token_path()`, readable by its owner only (0600)."""
    info = json.loads(token_json)
    if account:
        info[_ACCOUNT_KEY] = account
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600, so the token is never readable by others, even briefly.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".token-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(info, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def logout() -> bool:
    """Forget the cached user token; False when none was saved."""
    try:
        token_path().unlink()
    except FileNotFoundError:
        return False
    return True


def _default_client_secrets() -> Path:
    return platformdirs.user_config_path("sheetsync") / CLIENT_SECRETS_FILE_NAME


def _account_email(credentials: Credentials, settings: GoogleSettings) -> str | None:
    """Ask Drive who signed in; drive.file is enough for about.get. Best effort only."""
    import requests
    from google.auth.exceptions import GoogleAuthError
    from google.auth.transport.requests import AuthorizedSession

    try:
        response = AuthorizedSession(credentials).get(
            on_endpoint(_ABOUT_URL, settings.endpoint),
            params={"fields": "user(emailAddress)"},
            timeout=settings.timeout,
        )
        email = response.json()["user"]["emailAddress"]
    except (requests.RequestException, GoogleAuthError, ValueError, KeyError, TypeError):
        return None  # the address only decorates the summary
    return email if isinstance(email, str) else None
