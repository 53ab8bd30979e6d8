"""The Google HTTP layer: gspread's HTTP client, sent to the configured endpoint, under the
process-wide rate limit, with timeouts and retries.

Reads (GET) are retried here, within [google] retry_for_seconds: sending one twice changes
nothing. Writes are sent once. A write is only safe to send again when the caller has looked
at the spreadsheet since (guards re-checked, layout re-planned), so the caller retries it with
`write_attempts`, doing that looking inside each attempt.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import gspread
import requests
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession
from gspread.exceptions import APIError
from gspread.http_client import FileType, HTTPClient, ParamsType
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_before_delay,
    wait_exponential,
    wait_random,
)

from sheetsync.backends.google_auth import load_credentials, signed_in_account
from sheetsync.backends.google_location import on_endpoint

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

    from sheetsync.config import GoogleSettings

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class NoAnswer(requests.ReadTimeout):
    """A request sent and no answer within `seconds` (a write waits longer than a read)."""

    def __init__(self, seconds: float, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seconds = seconds


# Google stops working on a request after 180 s (its documented processing limit). A client
# that gives up sooner and sends a write again races its own first copy, so a write waits
# longer than that for its answer whatever [google] timeout says.
GOOGLE_PROCESSING_SECONDS = 180.0
WRITE_TIMEOUT_SECONDS = GOOGLE_PROCESSING_SECONDS + 10
_WINDOW_SECONDS = 60.0


# --- rate limit --------------------------------------------------------------------------------


class RateLimiter:
    """At most `per_minute` requests start in any 60-second window; callers wait their turn."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.granted = 0  # requests let through so far
        self.waits: list[float] = []  # every wait imposed, in seconds, in order
        self._starts: deque[float] = deque()  # start times within the last window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more request may start; return the seconds waited."""
        with self._lock:
            wait = self._wait_needed(self._clock())
            if wait > 0:
                self._sleep(wait)
                self.waits.append(wait)
            self._starts.append(self._clock())
            self.granted += 1
            return wait

    def _wait_needed(self, now: float) -> float:
        while self._starts and self._starts[0] <= now - _WINDOW_SECONDS:
            self._starts.popleft()
        if len(self._starts) < self.per_minute:
            return 0.0
        return self._starts[0] + _WINDOW_SECONDS - now


@cache
def shared_limiter(per_minute: int) -> RateLimiter:
    """The process-wide limiter: every backend in the process draws on one Google quota."""
    return RateLimiter(per_minute)


# --- retries -----------------------------------------------------------------------------------


def http_status(error: APIError) -> int:
    """The HTTP status of a refused request (gspread's `code` is -1 when the body is not JSON)."""
    return error.response.status_code


def is_transient(error: BaseException) -> bool:
    """Worth another try: quota, Google's server errors, and network failures."""
    if isinstance(error, APIError):
        return http_status(error) in RETRIED_STATUSES
    if isinstance(error, RefreshError):
        return error.retryable  # Google's sign-in server said "try again", not "signed out"
    return isinstance(
        error,
        requests.ConnectionError
        | requests.Timeout
        | requests.exceptions.ChunkedEncodingError
        | TransportError,
    )


def retry_after_seconds(error: BaseException | None) -> float:
    """The wait Google asks for in Retry-After (seconds or an HTTP date); 0 when it does not."""
    if not isinstance(error, APIError):
        return 0.0
    value = error.response.headers.get("Retry-After", "").strip()
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 0.0


# 0.5 s, 1 s, 2 s ... up to 30 s, plus up to 0.5 s of jitter so parallel runs spread out.
_backoff = wait_exponential(multiplier=0.5, max=30) + wait_random(0, 0.5)


def _wait_before_retry(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    return max(_backoff(state), retry_after_seconds(error))


def retrying(retry_for_seconds: float) -> Retrying:
    """Exponential backoff with jitter, honouring Retry-After, never past the total bound."""
    return Retrying(
        retry=retry_if_exception(is_transient),
        wait=_wait_before_retry,
        # Gives up before a sleep that would end past the bound, not after it.
        stop=stop_before_delay(retry_for_seconds),
        reraise=True,
    )


# --- the HTTP client ---------------------------------------------------------------------------


class SheetsHttpClient(HTTPClient):
    """gspread's HTTP client, sent to the configured endpoint, under the rate limit.

    GETs are retried within the configured bound; anything else is sent once (see
    `write_attempts`).
    """

    def __init__(
        self,
        session: requests.Session,
        settings: GoogleSettings,
        limiter: RateLimiter,
        account: str | None = None,
    ) -> None:
        # gspread ignores `auth` when it is handed a session: the session carries the token.
        super().__init__(auth=None, session=session)  # type: ignore[arg-type]
        self.account = account  # whom to share a spreadsheet with, when known
        self.settings = settings
        self.sent = 0  # requests sent through this client, retries included
        self._limiter = limiter

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: Any = None,
    ) -> requests.Response:
        """Send one API request; a GET's transient failures are retried within the bound."""
        url = self.rebase(endpoint)
        options = {"params": params, "data": data, "json": json, "files": files}
        if method.upper() != "GET":
            return self._send_once(method, url, headers=headers, **options)
        return retrying(self.settings.retry_for_seconds)(
            self._send_once, method, url, headers=headers, **options
        )

    def write_attempts(self) -> Retrying:
        """Attempts at one write, each to look again at the spreadsheet before it sends:

        for attempt in http.write_attempts():
            with attempt:
                ...  # re-check, then send once
        """
        return retrying(self.settings.retry_for_seconds)

    def _send_once(self, method: str, url: str, **options: Any) -> requests.Response:
        self._limiter.acquire()
        self.sent += 1
        timeout = self._timeout(method)
        try:
            response = self.session.request(method, url, timeout=timeout, **options)
        except requests.ReadTimeout as timed_out:
            waited = timeout[1] if isinstance(timeout, tuple) else timeout
            raise NoAnswer(waited, *timed_out.args, request=timed_out.request) from timed_out
        if not response.ok:
            raise APIError(response)
        return response

    def _timeout(self, method: str) -> float | tuple[float, float]:
        """(connect, read) seconds: a write waits out Google's own processing limit."""
        if method.upper() == "GET":
            return self.settings.timeout
        return (self.settings.timeout, max(self.settings.timeout, WRITE_TIMEOUT_SECONDS))

    def rebase(self, url: str) -> str:
        """A Google URL moved onto the configured endpoint (Sheets, and off Google, Drive too)."""
        return on_endpoint(url, self.settings.endpoint)


def open_http_client(settings: GoogleSettings) -> SheetsHttpClient:
    """The HTTP layer for `settings`. Raises CredentialsUnavailable."""
    credentials = load_credentials(settings)
    session = (
        requests.Session()  # credentials = "none": no token at all
        if credentials is None
        else AuthorizedSession(credentials, refresh_timeout=settings.timeout)
    )
    limiter = shared_limiter(settings.requests_per_minute)
    return SheetsHttpClient(session, settings, limiter, _account(credentials, settings))


def gspread_client(settings: GoogleSettings) -> gspread.Client:
    """A gspread Client whose every request goes through `open_http_client(settings)`."""
    http = open_http_client(settings)
    client = gspread.Client(auth=None, session=http.session)  # type: ignore[arg-type]
    client.http_client = http
    return client


def _account(credentials: Credentials | None, settings: GoogleSettings) -> str | None:
    email = getattr(credentials, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        return email
    return signed_in_account() if settings.credentials == "oauth" else None
