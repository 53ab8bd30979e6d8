"""The workbooks a command acts on: the one given by --workbook, the one named by
--workbook-name, or every workbook of the config.

Each comes with the settings narrowed to it (its own title, recipients and schedule in place
of the shared ones), so the library's check, sync and summary need not know that a config
can list several workbooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sheetsync.config import (
    ListedWorkbook,
    ScheduleSettings,
    Settings,
    SummarySettings,
    WorkbookSchedule,
    WorkbookSettings,
    WorkbookSummary,
)
from sheetsync.errors import ConfigError, UsageError


@dataclass(frozen=True, slots=True)
class Target:
    """One workbook to act on, with the settings that apply to it."""

    name: str  # its [[workbooks]] name; "" for a lone [workbook] or --workbook
    settings: Settings
    given: str | None = None  # --workbook as typed; the library explains a bad one

    @property
    def location(self) -> str:
        return self.settings.workbook.location if self.given is None else self.given

    @property
    def label(self) -> str:
        """How messages name it: its name, else its title, else its file or address."""
        workbook = self.settings.workbook
        return self.name or workbook.title or _short(self.location)


def targets(
    settings: Settings, workbook: str | None = None, name: str | None = None
) -> list[Target]:
    """The workbooks to act on. Raises UsageError for an unknown name or both options."""
    if workbook is not None and name:
        raise UsageError(
            "Give either --workbook (a file or address) or --workbook-name (a name from the "
            "config), not both."
        )
    if workbook is not None:
        return [Target("", settings.model_copy(update={"workbooks": ()}), workbook)]
    if not settings.workbooks:
        if name:
            raise ConfigError(
                f"--workbook-name {name} needs [[workbooks]] tables with names in the config; "
                f"{_config_name(settings)} has none. Use --workbook instead, or add the tables."
            )
        return [Target("", settings)]
    chosen = [table for table in settings.workbooks if not name or _same(table.name, name)]
    if not chosen:
        names = ", ".join(table.name for table in settings.workbooks)
        raise ConfigError(
            f"No workbook is named {name!r} in {_config_name(settings)}; the names are: {names}."
        )
    return [Target(table.name, narrowed(settings, table)) for table in chosen]


def narrowed(settings: Settings, table: ListedWorkbook) -> Settings:
    """The settings as if `table` were the config's only [workbook]."""
    return settings.model_copy(
        update={
            "workbook": WorkbookSettings(
                path=table.path, spreadsheet=table.spreadsheet, title=table.title
            ),
            "workbooks": (),
            "summary": _own_recipients(settings.summary, table.summary),
            "schedule": _own_schedule(settings.schedule, table.schedule),
        }
    )


def _own_recipients(shared: SummarySettings, own: WorkbookSummary) -> SummarySettings:
    update = {key: value for key, value in own if value is not None}
    return shared.model_copy(update=update) if update else shared


def _own_schedule(shared: ScheduleSettings, own: WorkbookSchedule) -> ScheduleSettings:
    update = {key: value for key, value in own if value is not None}
    return shared.model_copy(update=update) if update else shared


def _same(configured: str, given: str) -> bool:
    return configured.strip().casefold() == given.strip().casefold()


def _config_name(settings: Settings) -> str:
    return settings.source or "the config"


def _short(location: str) -> str:
    if location.startswith(("http://", "https://")) or "/" not in location:
        return location
    return Path(location).name
