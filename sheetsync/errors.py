"""The errors sheetsync raises for its user, under one root.

Every message is the user's sentence: what is wrong, where (file, tab, cell, setting) and
what to do. A caller tells them from other failures by class, never by looking inside: the
CLI prints any SheetsyncError as it is and picks the exit code from its subclass.
"""

from __future__ import annotations


class SheetsyncError(Exception):
    """Something the user can fix; the message says what, where and how."""


class UsageError(SheetsyncError):
    """An option or argument the command cannot go on with, e.g. a file that already exists."""


class ConfigError(UsageError):
    """Bad configuration; the message names the setting and the fix."""


class WorkbookUnreachable(SheetsyncError):
    """The workbook cannot be opened, read or written; the message says why and what to do."""


class WorkbookChanged(SheetsyncError):
    """Someone changed the header row or row IDs between read and write; nothing was written.

    The message ends by saying so and that running sync again is the fix.
    """


def tab_added_meanwhile(tab: str, where: str) -> WorkbookChanged:
    """A tab sync means to add that someone (or a chart) took the name of while it worked."""
    return WorkbookChanged(
        f"A tab named “{tab}” was added to {where} while sheetsync was working, so nothing was "
        "written; run sync again (a tab of yours by that name is left alone and named in the "
        "findings)."
    )


class StateError(SheetsyncError):
    """sheetsync's state store cannot be opened or used; the message names the file and the fix."""


class DeliveryFailed(SheetsyncError):
    """The summary could not be delivered (SMTP or outbox); nothing was recorded as sent."""


class LoginFailed(SheetsyncError):
    """`sheetsync auth login` could not finish."""


class TemplateError(SheetsyncError):
    """The installed template files are missing, malformed, or disagree with schema.py."""


class WorkbookBusy(SheetsyncError):
    """Another run (the worker, or cron) is working on this workbook; this one did nothing."""


class RunStopped(SheetsyncError):
    """The worker was told to stop before this run wrote anything; nothing was written."""
