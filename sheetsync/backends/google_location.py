"""Tell a Google spreadsheet location (URL or key) from a local file path.

Import-light on purpose: the CLI calls this for every location, local files included,
so it must not pull in gspread or google-auth.
"""

from __future__ import annotations

import re

# Google's keys are 44 characters today; 30 leaves room for older keys while keeping
# ordinary file names (which have a dot or a slash) out.
_KEY = r"[A-Za-z0-9_-]{30,}"
_BARE_KEY = re.compile(rf"{_KEY}")
_SHEETS_URL = re.compile(
    rf"(?:https?://)?docs\.google\.com/spreadsheets(?:/u/\d+)?/d/(?P<key>{_KEY})(?:[/?#].*)?"
)

EDIT_URL = "https://docs.google.com/spreadsheets/d/{key}/edit"


def spreadsheet_key(location: str) -> str | None:
    """The spreadsheet key in a Google Sheets URL or bare key; None for anything else."""
    text = location.strip()
    if _BARE_KEY.fullmatch(text):
        return text
    match = _SHEETS_URL.fullmatch(text)
    return match["key"] if match else None


def edit_url(key: str) -> str:
    """The address where a person opens the spreadsheet."""
    return EDIT_URL.format(key=key)
