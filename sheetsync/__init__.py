"""sheetsync: keeps a marketing strategy and its plan honest.

>>> import sheetsync
>>> report = sheetsync.check("marketing.xlsx")
>>> result = sheetsync.sync("marketing.xlsx", dry_run=True)
"""

from sheetsync.api import SyncResult, check, init, sync
from sheetsync.config import Settings, load_settings
from sheetsync.engine import Report
from sheetsync.errors import (
    ConfigError,
    SheetsyncError,
    UsageError,
    WorkbookChanged,
    WorkbookUnreachable,
)

__all__ = [
    "ConfigError",
    "Report",
    "Settings",
    "SheetsyncError",
    "SyncResult",
    "UsageError",
    "WorkbookChanged",
    "WorkbookUnreachable",
    "check",
    "init",
    "load_settings",
    "sync",
]
