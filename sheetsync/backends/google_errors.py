"""Every Google failure as one user sentence: the only place that knows what each HTTP status,
Google reason and credentials problem means to a user, and what they should do about it.

Google's own words are kept in each sentence ("Google says: ..."), so nothing is lost.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from gspread.exceptions import APIError
from urllib3.exceptions import NameResolutionError

from sheetsync.backends.google_auth import (
    KEY_FILE_ENV,
    SCOPES,
    CredentialsUnavailable,
    KeyFileMalformed,
    KeyFileMissing,
    NoDefaultCredentials,
    NotSignedIn,
    is_login_file,
)
from sheetsync.backends.google_http import NoAnswer, http_status
from sheetsync.backends.google_location import edit_url
from sheetsync.config import GOOGLE_ENDPOINT
from sheetsync.errors import WorkbookUnreachable

if TYPE_CHECKING:
    from sheetsync.config import GoogleSettings
    from sheetsync.workbook import CellWrite

# What a Google request can fail with; `unreachable` has a sentence for each.
FAILURES = (APIError, requests.RequestException, GoogleAuthError, CredentialsUnavailable)


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
    if any(isinstance(cause, requests.Timeout) for cause in _causes(error)):
        # google-auth wraps a sign-in server's time-out in its TransportError.
        return WorkbookUnreachable(_timeout_sentence(error, context))
    if isinstance(error, requests.RequestException | TransportError):
        return WorkbookUnreachable(_network_sentence(error, context))
    if isinstance(error, RefreshError) and error.retryable:
        # Google's sign-in server had a passing problem: the sign-in itself is fine.
        return WorkbookUnreachable(
            f"Google's sign-in server did not give sheetsync a token this time "
            f"({_auth_message(error)}); run again in a few minutes."
        )
    # A refused token refresh (RefreshError) or other credentials google-auth cannot use.
    return WorkbookUnreachable(_rejected_sentence(_auth_message(error), context))


# `gcloud auth application-default login` grants no Sheets access unless asked, and
# google-auth cannot add scopes to a user's credentials afterwards.
ADC_LOGIN = "gcloud auth application-default login --scopes=" + ",".join(
    (*SCOPES, "https://www.googleapis.com/auth/cloud-platform")
)
ADC_QUOTA = "gcloud auth application-default set-quota-project YOUR_PROJECT_ID"


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
            f"`{ADC_LOGIN}` and `{ADC_QUOTA}`, or set [google] credentials to a "
            "service-account key file."
        )
    return f"sheetsync could not load Google credentials ({error}); check [google] credentials."


def _credentials_mode(context: FailureContext) -> str:
    """ "oauth", "adc", "none", "login file" (a gcloud login given as the key file), or "" for a
    service-account key file."""
    mode = context.settings.credentials
    if mode in ("oauth", "adc", "none"):
        return mode
    key_file = mode or os.environ.get(KEY_FILE_ENV, "")
    if not key_file:
        return "adc"  # what load_credentials falls back to
    return "login file" if is_login_file(Path(key_file)) else ""


def _login_file_fix(context: FailureContext) -> str:
    """How a gcloud login given as the key file is made anew, named where it was given."""
    named_by = "[google] credentials" if context.settings.credentials else KEY_FILE_ENV
    return f"run `{ADC_LOGIN}` and point {named_by} at the file it writes"


def _rejected_sentence(says: str, context: FailureContext) -> str:
    """401 or a refused token refresh: the fix depends on the kind of credentials."""
    mode = _credentials_mode(context)
    if mode == "oauth":
        return (
            f"Your Google sign-in has expired or was revoked ({says}); "
            "run `sheetsync auth login` and try again."
        )
    if mode == "adc":
        return (
            f"Google refused this computer's Application Default Credentials ({says}); run "
            f"`{ADC_LOGIN}` and try again."
        )
    if mode == "none":
        return (
            f"{context.host} asks for credentials ({says}); set [google] credentials to a "
            'service-account key file, "oauth" or "adc".'
        )
    if mode == "login file":
        return (
            f"Google refused the gcloud sign-in given as the key file ({says}); it has expired "
            f"or was revoked: {_login_file_fix(context)}."
        )
    return (
        f"Google refused the service-account key file ({says}); the key may have been deleted "
        "or disabled: create a new key in the Google Cloud console and point [google] "
        "credentials at it."
    )


def _scopes_sentence(says: str, context: FailureContext) -> str:
    """403 ACCESS_TOKEN_SCOPE_INSUFFICIENT: signed in, but not allowed to use Sheets."""
    mode = _credentials_mode(context)
    if mode == "adc":
        fix = f"run `{ADC_LOGIN}` (the scopes are what was missing) and run again"
    elif mode == "login file":
        fix = f"{_login_file_fix(context)} (the scopes are what was missing)"
    elif mode == "oauth":
        fix = (
            "run `sheetsync auth login` again and, on Google's consent page, tick every box "
            "(spreadsheets and the files sheetsync uses)"
        )
    elif mode == "":
        # sheetsync asks for its scopes itself: only a Workspace policy takes them away.
        fix = (
            "ask your Google Workspace administrator to allow the service account the "
            "spreadsheets and drive.file scopes"
        )
    else:
        fix = 'set [google] credentials to a service-account key file, "oauth" or "adc"'
    return f"These Google credentials may not use Google Sheets ({says}); {fix}."


def _api_sentence(error: APIError, context: FailureContext) -> str:
    status, message = http_status(error), google_message(error)
    says, reason = google_says(message, context), error_info(error).get("reason")
    if status == 401:
        return _rejected_sentence(says, context)
    if status == 403 and reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT":
        return _scopes_sentence(says, context)
    if status == 403 and "quota project" in message.lower():
        return (
            f"Google needs a Cloud project to bill these Application Default Credentials' "
            f"requests to ({says}); run `{ADC_QUOTA}` with a project where the Google Sheets "
            "API is enabled, and run again."
        )
    if status == 403 and reason == "SERVICE_DISABLED":
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
            f"Google had a server problem ({status}, {says}) that did not clear within "
            f"{context.settings.retry_for_seconds:g} seconds; run again later."
        )
    if status == 400:
        return _bad_request_sentence(message, says, context)
    return _report_sentence(status, says, context)


def _bad_request_sentence(message: str, says: str, context: FailureContext) -> str:
    """400s a user can do something about, told apart by Google's message."""
    lowered = message.lower()
    if "protected cell" in lowered:
        who = context.account or "the Google account sheetsync uses"
        return (
            f"A protected range in {context.spreadsheet} stops sheetsync from writing ({says}); "
            "in Data > Protect sheets and ranges, add "
            f"{who} as an editor of the range over sheetsync's columns and tabs, or set it to "
            "“Show a warning”, then run again."
        )
    if "validation" in lowered:
        return (
            f"A data-validation rule in {context.spreadsheet} rejects a value sheetsync writes "
            f"({says}); in Data > Data validation, set that column's rule to “Show a warning”."
        )
    if "limit of 10000000 cells" in lowered:
        return _too_many_cells_sentence(says, context)
    if "characters in a single cell" in lowered:
        return (
            f"A cell sheetsync writes would hold more text than Google Sheets allows ({says}); "
            "nothing of that request was written. " + REPORT
        )
    if "payload size exceeds" in lowered:
        return (
            f"Google refused a request of sheetsync's as too large ({says}); nothing of that "
            "request was written. " + REPORT
        )
    return _report_sentence(400, says, context)


REPORT = "This is sheetsync's mistake: please report it to its maintainers with this message."


def _report_sentence(status: int, says: str, context: FailureContext) -> str:
    return (
        f"Google refused sheetsync's request to {context.spreadsheet} ({status}, {says}). {REPORT}"
    )


def _too_many_cells_sentence(says: str, context: FailureContext) -> str:
    return (
        f"T{context.spreadsheet[1:]} is at Google's limit of 10,000,000 cells ({says}), "
        "so nothing was written; delete empty rows and columns at the end of its tabs, or "
        "tabs you no longer need (every cell of every tab counts, blank or not), and run again."
    )


# --- refusals before sending: Google's limits, and a write left unfinished ---------------------


def too_much_text(write: CellWrite, limit: int) -> WorkbookUnreachable:
    """A write holding more characters than one Google cell takes."""
    return WorkbookUnreachable(
        f"Cell {write.a1} on the {write.tab} tab would hold {len(str(write.value)):,} "
        f"characters, more than the {limit:,} Google Sheets allows in a cell, so nothing was "
        f"written. {REPORT}"
    )


def too_many_cells(cells: int, limit: int, context: FailureContext) -> WorkbookUnreachable:
    """A write that would grow the spreadsheet past Google's cell limit."""
    return WorkbookUnreachable(
        f"This sync would grow {context.spreadsheet} to {cells:,} cells, more than the "
        f"{limit:,} Google Sheets allows, so nothing was written; delete empty rows and "
        "columns at the end of its tabs, or tabs you no longer need (every cell of every tab "
        "counts, blank or not), and run sync again."
    )


def unfinished_write(
    error: BaseException, done: int, parts: int, context: FailureContext
) -> WorkbookUnreachable:
    """A split write that failed part-way: the failure, what landed, what the next run does."""
    why = str(unreachable(error, context)).rstrip(".")
    return WorkbookUnreachable(
        f"{why}; sheetsync had written {done} of the {parts} parts of this sync before that, "
        "and the next run writes the rest."
    )


# --- init --google: the spreadsheet sheetsync makes -------------------------------------------


def create_failure(
    error: BaseException, context: FailureContext, outcome_unknown: bool
) -> WorkbookUnreachable:
    """A failed spreadsheets.create; `outcome_unknown` when it may have made one all the same."""
    if outcome_unknown:
        return WorkbookUnreachable(_maybe_made_sentence(error, context))
    if (
        isinstance(error, APIError)
        and http_status(error) == 403
        and error_info(error).get("reason")
        not in ("SERVICE_DISABLED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT")
    ):
        # Not about sharing (nothing exists yet): a service account without Drive storage,
        # or a Workspace policy.
        who = context.account or "the Google account sheetsync uses"
        return WorkbookUnreachable(
            f"Google would not let {who} make a new spreadsheet "
            f"({google_says(google_message(error), context)}); make it with your own Google "
            "account "
            'instead: run `sheetsync auth login`, set [google] credentials = "oauth" and run '
            "`sheetsync init --google` again."
        )
    return unreachable(error, context)


def _maybe_made_sentence(error: BaseException, context: FailureContext) -> str:
    if isinstance(error, APIError):
        what = f"{http_status(error)}, {google_says(google_message(error), context)}"
    elif isinstance(error, requests.Timeout):
        what = f"no answer from {context.host} within {_waited(error, context):g} seconds"
    else:
        what = f"the connection to {context.host} broke"
    return (
        f"Google did not confirm that it made the spreadsheet “{context.title}” ({what}), and "
        "sheetsync does not ask twice in case the first request worked; run "
        "`sheetsync init --google` again, and if Google Drive then shows two spreadsheets "
        f"called “{context.title}”, delete the empty one."
    )


def unfinished_create(
    step: str, failure: WorkbookUnreachable, context: FailureContext
) -> WorkbookUnreachable:
    """The spreadsheet exists, but sharing, formatting or its headers failed."""
    return WorkbookUnreachable(
        f"sheetsync made the spreadsheet “{context.title}” ({edit_url(context.key)}) but could "
        f"not {step}; delete it, then run `sheetsync init --google` again after this: {failure}"
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
    return (
        f"{_failed_host(error, context)} did not answer within {_waited(error, context):g} "
        f"seconds, even after retrying for {context.settings.retry_for_seconds:g} seconds; check "
        "the internet connection and run again later, or raise [google] timeout."
    )


def _waited(error: BaseException, context: FailureContext) -> float:
    """How long the request that timed out waited: a write waits out Google's own limit."""
    waits = (cause.seconds for cause in _causes(error) if isinstance(cause, NoAnswer))
    return next(waits, context.settings.timeout)


def _network_sentence(error: BaseException, context: FailureContext) -> str:
    causes, host = list(_causes(error)), _failed_host(error, context)
    if any(isinstance(cause, NameResolutionError | socket.gaierror) for cause in causes):
        return (
            f"sheetsync cannot look up {host}, so this computer seems to be offline; "
            "check its internet connection and run again."
        )
    verification = next((c for c in causes if isinstance(c, ssl.SSLCertVerificationError)), None)
    if verification is not None:
        # Most often a company proxy that inspects secure connections with its own certificate.
        return (
            f"sheetsync cannot verify the certificate of {host} ({verification.verify_message}); "
            "if your network inspects secure connections (a company proxy), set the environment "
            "variable REQUESTS_CA_BUNDLE to its certificate file, then run again."
        )
    handshake = next((c for c in causes if isinstance(c, ssl.SSLError)), None)
    if handshake is not None:
        why = handshake.reason or handshake
        return (
            f"sheetsync cannot make a secure connection to {host} ({why}); check [google] "
            "endpoint if you set one (it must speak https), then run again."
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
    return _brief(str(message))


def _auth_message(error: BaseException) -> str:
    first = error.args[0] if error.args else error
    return _brief(str(first))


MESSAGE_LIMIT = 300  # characters of Google's (or a library's) own words kept in a sentence


def _brief(words: str) -> str:
    """The words on one line, cut at a word to MESSAGE_LIMIT characters, "…" marking the cut."""
    line = " ".join(words.split())
    if len(line) <= MESSAGE_LIMIT:
        return line
    cut = line.rfind(" ", 0, MESSAGE_LIMIT)  # after the last word that fits whole, with "…"
    return (line[:cut] if cut > 0 else line[: MESSAGE_LIMIT - 1]) + "…"


def google_says(message: str, context: FailureContext) -> str:
    speaker = "Google" if context.settings.endpoint == GOOGLE_ENDPOINT else context.host
    return f"{speaker} says: “{message}”"
