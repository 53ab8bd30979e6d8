"""The workbook backend seam: one small interface, one implementation per storage.

`open_backend` is the only place that knows which backends exist.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Protocol

from sheetsync.errors import WorkbookChanged, WorkbookUnreachable
from sheetsync.workbook import CellKey, Workbook, WritePlan

if TYPE_CHECKING:
    from sheetsync.config import Settings

__all__ = [
    "Backend",
    "WorkbookChanged",
    "WorkbookUnreachable",
    "is_google_location",
    "open_backend",
]


class Backend(Protocol):
    """Reads a whole workbook and applies a write plan to it."""

    def read(self) -> Workbook:
        """Every tab as a grid of cell values. Raises WorkbookUnreachable."""
        ...

    def apply(self, plan: WritePlan) -> None:
        """Create the plan's tabs and write its cells, all or nothing.

        Raises WorkbookChanged (nothing written) when a guarded cell no longer
        holds what was read, and WorkbookUnreachable when the write fails.
        """
        ...

    def formulas(self, cells: Collection[CellKey]) -> Mapping[CellKey, str]:
        """The formula in each of `cells` (tab, row, column) that holds one, as last read, so
        a dry run can name the formulas a sync would replace. A local file's read already
        knows them; Google is asked in one more request (only a dry run asks)."""
        ...


def is_google_location(location: str) -> bool:
    """A Google Sheets URL or a bare spreadsheet key, as opposed to a file path."""
    from sheetsync.backends.google_location import spreadsheet_key

    return spreadsheet_key(location) is not None


def open_backend(location: str, settings: Settings) -> Backend:
    """The backend for an .xlsx path or a Google Sheets URL/key.

    Raises WorkbookUnreachable for a web address that is not a spreadsheet sheetsync can open.
    """
    from sheetsync.backends.google_location import web_address_problem

    if is_google_location(location):
        from sheetsync.backends.google import GoogleBackend

        tabs = settings.tabs
        used = (tabs.strategy, tabs.plan, tabs.calendar, tabs.checks, tabs.history)
        return GoogleBackend(location, settings.google, tabs=used)
    if problem := web_address_problem(location):
        raise WorkbookUnreachable(problem)
    from sheetsync.backends.xlsx import XlsxBackend

    return XlsxBackend(location)
