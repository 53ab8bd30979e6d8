"""The worker's log: one line per run, for people or (`--log-format json`) for machines.

Lines go to stderr, where a terminal, systemd's journal or a container runtime picks them up.
Secrets never reach them: the worker names the SMTP password and the Google key's or
token's private parts at start, and every line is scrubbed of them before it is written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sheetsync.config import Settings

LOGGER = "sheetsync.worker"
REDACTED = "[redacted]"
# String fields of a key file or OAuth token that are secret (the rest is addresses and URLs).
SECRET_FIELDS = ("private_key", "private_key_id", "client_secret", "refresh_token", "token")


@dataclass(frozen=True, slots=True)
class RunLine:
    """What one run did, as the log tells it."""

    workbook: str
    job: str  # "sync", "summary"
    outcome: str  # "ok", "findings", "failed", "skipped", "stopped", "sent", "already sent"
    seconds: float
    requests: int | None = None
    cells_written: int | None = None
    errors: int | None = None
    warnings: int | None = None
    detail: str = ""  # the sentence the CLI would print, or what was sent where

    def text(self) -> str:
        figures = [
            counted(self.cells_written, "cell", " written"),
            counted(self.requests, "request"),
            counted(self.errors, "error"),
            counted(self.warnings, "warning"),
        ]
        said = ", ".join(figure for figure in figures if figure)
        tail = "; ".join(part for part in (said, self.detail) if part)
        return f"{self.workbook}: {self.job} {self.outcome} in {self.seconds:.1f} s" + (
            f" ({tail})" if tail else ""
        )


def counted(count: int | None, noun: str, after: str = "") -> str:
    """`1 error`, `12 cells written`; "" when there is no count."""
    if count is None:
        return ""
    return f"{count} {noun}{'' if count == 1 else 's'}{after}"


class _Scrubbing(logging.Formatter):
    """Writes a line with every secret in it replaced, whatever put it there."""

    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted((secret for secret in secrets if len(secret) >= 4), key=len)[::-1]

    def format(self, record: logging.LogRecord) -> str:
        line = self.line(record)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
        return line

    def line(self, record: logging.LogRecord) -> str:
        raise NotImplementedError


class _HumanFormat(_Scrubbing):
    def line(self, record: logging.LogRecord) -> str:
        when = dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        run = getattr(record, "run", None)
        said = run.text() if isinstance(run, RunLine) else record.getMessage()
        return f"{when} UTC {said}"


class _JsonFormat(_Scrubbing):
    def line(self, record: logging.LogRecord) -> str:
        when = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="seconds")
        line: dict[str, Any] = {"time": when, "level": record.levelname.lower()}
        run = getattr(record, "run", None)
        if isinstance(run, RunLine):
            line |= {"event": "run", **asdict(run), "seconds": round(run.seconds, 3)}
        else:
            line |= {"event": "message", "message": record.getMessage()}
        return json.dumps(line, ensure_ascii=False)


def open_log(log_format: str, settings: Settings) -> logging.Logger:
    """The worker's logger, writing `text` or `json` lines to stderr, secrets scrubbed."""
    handler = logging.StreamHandler(sys.stderr)
    secrets = secrets_of(settings)
    handler.setFormatter(_JsonFormat(secrets) if log_format == "json" else _HumanFormat(secrets))
    logger = logging.getLogger(LOGGER)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    # APScheduler's own lines would repeat ours in programmer's words; the worker tells
    # missed and overlapping runs itself.
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    return logger


def secrets_of(settings: Settings) -> set[str]:
    """The SMTP password, and the secret fields of the Google key file or OAuth token."""
    found = set()
    password = os.environ.get(settings.smtp.password_env, "")
    if password:
        found.add(password)
    for path in _credential_files(settings):
        found |= _secret_fields(path)
    return found


def _credential_files(settings: Settings) -> list[Path]:
    credentials = settings.google.credentials
    if credentials == "oauth":
        from sheetsync.backends.google_auth import token_path

        return [token_path()]
    if credentials in ("adc", "none"):
        return []
    key_file = credentials or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    return [Path(key_file)] if key_file else []


def _secret_fields(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()  # an unreadable key file is the backend's to explain, not the log's
    if not isinstance(data, dict):
        return set()
    found = {str(data[field]) for field in SECRET_FIELDS if isinstance(data.get(field), str)}
    # The key as it sits in the file, with "\n" escapes, and each line of it.
    for value in list(found):
        found |= {line for line in value.splitlines() if len(line) > 20}
    return found
