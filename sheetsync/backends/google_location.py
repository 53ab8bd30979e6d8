"""Tell a Google spreadsheet location (URL or key) from a local file path.

Import-light on purpose: the CLI calls this for every location, local files included,
so it must not pull in gspread or google-auth.
"""

from __future__ import annotations

import re

from sheetsync.config import GOOGLE_ENDPOINT

# Google's keys are 44 characters today; 30 leaves room for older keys while keeping
# ordinary file names (which have a dot or a slash) out.
_KEY = r"[A-Za-z0-9_-]{30,}"
_BARE_KEY = re.compile(rf"{_KEY}")
_SHEETS_URL = re.compile(
    rf"(?:https?://)?docs\.google\.com/spreadsheets(?:/u/\d+)?/d/(?P<key>{_KEY})(?:[/?#].*)?"
)

EDIT_URL = "https://docs.google.com/spreadsheets/d/{key}/edit"
_WEB_ADDRESS = re.compile(r"(?:https?://|www\.|docs\.google\.com/)", re.IGNORECASE)
_SHEETS_PATH = re.compile(r"docs\.google\.com/spreadsheets/(?:u/\d+/)?d/(?P<rest>[^?#]*)", re.I)
_HOW = "copy the whole address from the browser's address bar while the spreadsheet is open"
DRIVE_BASE = "https://www.googleapis.com"  # Drive's API, beside Sheets' GOOGLE_ENDPOINT


def spreadsheet_key(location: str) -> str | None:
    """The spreadsheet key in a Google Sheets URL or bare key; None for anything else."""
    text = location.strip()
    if _BARE_KEY.fullmatch(text):
        return text
    match = _SHEETS_URL.fullmatch(text)
    return match["key"] if match else None


def on_endpoint(url: str, endpoint: str) -> str:
    """A Google URL moved onto [google] endpoint: Sheets, and off Google, Drive too."""
    if endpoint == GOOGLE_ENDPOINT:
        return url
    for google_base in (GOOGLE_ENDPOINT, DRIVE_BASE):
        if url.startswith(google_base + "/"):
            return endpoint + url.removeprefix(google_base)
    return url


def edit_url(key: str) -> str:
    """The address where a person opens the spreadsheet."""
    return EDIT_URL.format(key=key)


def web_address_problem(location: str) -> str | None:
    """Why a web address is not a spreadsheet sheetsync can open; None for anything else.

    Without this, "https://docs.google.com/..." with a mistyped key would be taken for a file
    path (and shown with one slash lost).
    """
    text = location.strip()
    if spreadsheet_key(text) is not None or not _WEB_ADDRESS.match(text):
        return None
    if "docs.google.com/" not in text.lower():
        return (
            f"“{text}” is a web address, but sheetsync opens only Google Sheets addresses "
            "(https://docs.google.com/spreadsheets/d/…/edit) and .xlsx files; give one of those."
        )
    sheets = _SHEETS_PATH.search(text)
    if sheets is None:
        return (
            f"“{text}” is a Google address but not a Google Sheets spreadsheet's; open the "
            f"spreadsheet in Google Sheets and {_HOW}."
        )
    key = sheets["rest"].split("/")[0]
    if not key:
        return f"“{text}” is a Google Sheets address without the spreadsheet's key; {_HOW}."
    if key == "e":
        return (
            f"“{text}” is a published (read-only) copy of a spreadsheet, which sheetsync cannot "
            f"write to; open the spreadsheet itself and {_HOW}."
        )
    return (
        f"“{text}” is a Google Sheets address, but its key “{key}” is incomplete or mistyped "
        f"(a key is about 44 letters, digits, - and _); {_HOW}."
    )
