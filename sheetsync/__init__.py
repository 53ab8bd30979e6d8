"""sheetsync: keeps a marketing strategy and its plan honest.

>>> import sheetsync
>>> report = sheetsync.check("marketing.xlsx")
>>> result = sheetsync.sync("marketing.xlsx", dry_run=True)
"""

from sheetsync.api import SyncResult, check, init, sync
from sheetsync.config import ConfigError, Settings, load_settings
from sheetsync.engine import Report

__all__ = [
    "ConfigError",
    "Report",
    "Settings",
    "SyncResult",
    "check",
    "init",
    "load_settings",
    "sync",
]
