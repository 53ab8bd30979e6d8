"""One run per workbook at a time, across processes: a lock file per workbook.

The locks live in a `locks` folder beside the state store, so every sheetsync sharing a state
store (the worker and cron runs of one config) shares them too. They are operating-system locks
(flock, through filelock): a run that is killed, even with SIGKILL, lets go of its lock at once,
and a lock file left behind means nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from sheetsync.config import Settings
from sheetsync.errors import StateError, WorkbookBusy
from sheetsync.runs import workbook_key
from sheetsync.state import state_path


def lock_path(location: str, settings: Settings) -> Path:
    """The workbook's lock file: readable name, plus a digest so two `plan.xlsx` differ."""
    key = workbook_key(location)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    return state_path(settings).parent / "locks" / f"{readable[:40]}-{digest}.lock"


@contextmanager
def workbook_lock(location: str, settings: Settings) -> Iterator[None]:
    """Hold the workbook's lock for the block; wait up to `[schedule] lock_wait` seconds for it.

    Raises WorkbookBusy when another run still holds it after that.
    """
    wait = settings.schedule.lock_wait
    path = lock_path(location, settings)
    lock = FileLock(path, timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        raise WorkbookBusy(
            f"Skipped {location}: another sheetsync run (the worker or a cron job) is working "
            f"on it and was still at it after {wait:g} s. Nothing was done; the next run will "
            "catch up."
        ) from None
    except OSError as error:
        raise StateError(
            f"The lock file {path} cannot be created ({error.strerror}). Set [state] path to a "
            "file in a folder you can write to; the locks go beside it."
        ) from None
    try:
        yield
    finally:
        lock.release()
