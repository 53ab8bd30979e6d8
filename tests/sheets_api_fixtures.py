"""pytest fixtures for the Sheets API test server, and a gspread client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gspread
import pytest
import requests
from sheets_api_server import SheetsApiServer

__all__ = ["EndpointSession", "gspread_client", "sheets_api", "sheets_api_session"]

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


@pytest.fixture
def sheets_api() -> Iterator[SheetsApiServer]:
    """A started server of its own for one test, stopped after it."""
    with SheetsApiServer() as server:
        yield server


@pytest.fixture(scope="session")
def sheets_api_session() -> Iterator[SheetsApiServer]:
    """One server for the whole session: cheaper, but tests share its state and counters."""
    with SheetsApiServer() as server:
        yield server


class EndpointSession(requests.Session):
    """A requests session that sends Google's Sheets and Drive URLs to another base URL.

    gspread builds every URL from constants in gspread.urls, imported by value, so the one
    clean seam is the session it is given.
    """

    def __init__(self, endpoint: str, token: str | None = None) -> None:
        super().__init__()
        self.endpoint = endpoint.rstrip("/")
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        url = url.decode() if isinstance(url, bytes) else url
        for host in GOOGLE_HOSTS:
            if url.startswith(host):
                url = self.endpoint + url.removeprefix(host)
        return super().request(method, url, *args, **kwargs)


def gspread_client(server: SheetsApiServer, token: str | None = None) -> gspread.Client:
    """The real gspread client (no retries), talking HTTP to the test server."""
    return gspread.Client(None, session=EndpointSession(server.endpoint, token))  # type: ignore[arg-type]
