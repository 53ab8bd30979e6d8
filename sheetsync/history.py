"""The History tab: one row per goal per month, appended when a month's summary goes out.

Planned as a WritePlan for the backend seam, so it is written with the same safety as a sync
on every backend (guards, atomic save, RAW text on Google). The tab is read back first: a
month and goal already there is never appended again, whatever the state store says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sheetsync.errors import SheetsyncError
from sheetsync.model import is_sheetsyncs
from sheetsync.months import Month
from sheetsync.schema import HISTORY, HISTORY_HEADERS
from sheetsync.summary import GoalLine
from sheetsync.workbook import CellKind, CellWrite, Guard, Tab, Workbook, WritePlan, is_blank

_KINDS: tuple[CellKind, ...] = (
    "text",
    "text",
    "money",
    "money",
    "number",
    "percent",
    "percent",
    "text",
)


class HistoryRefused(SheetsyncError):
    """A tab of the History name is the user's own; sheetsync writes nothing to it."""


def plan_history(
    workbook: Workbook, tab_name: str, month: Month, goals: Sequence[GoalLine]
) -> WritePlan:
    """The rows of `month` not yet in the tab, appended below its last row.

    A tab of that name is sheetsync's by the rule every owned tab follows (empty, or row 1
    starting with sheetsync's headers); any other is the user's, and HistoryRefused says so.
    """
    tab = workbook.find_tab(tab_name)
    chart = workbook.find_chart(tab_name)
    if chart is not None:
        raise _refused(f"The {chart} tab is a chart", month)
    if tab is not None and not is_sheetsyncs(tab, HISTORY):  # the rule SS105 reports
        raise _refused(f"The {tab.name} tab has headers of its own (row 1)", month)
    present = _months_and_goals(tab) if tab else set()
    rows = [
        _row(month, goal) for goal in goals if (month.key, goal.goal_id.casefold()) not in present
    ]
    if not rows:
        return WritePlan()
    name = tab.name if tab else tab_name
    first = _next_row(tab)
    writes = []
    if tab is None or not tab.rows:
        writes += [
            CellWrite(name, 1, c, h, None, "header") for c, h in enumerate(HISTORY_HEADERS, 1)
        ]
    for offset, values in enumerate(rows):
        writes += [
            CellWrite(name, first + offset, column, value, None, _kind(value, column))
            for column, value in enumerate(values, 1)
            if value is not None
        ]
    guards = [Guard(name, 1, c, h) for c, h in enumerate(tab.header, 1)] if tab else []
    new_tabs = () if tab else (tab_name,)
    return WritePlan(tuple(writes), tuple(guards), new_tabs, {tab_name: 1} if new_tabs else {})


def _refused(why: str, month: Month) -> HistoryRefused:
    return HistoryRefused(
        f"{why}, so it is yours and sheetsync added no {month.label()} rows to it. Rename that "
        "tab, or set [tabs] history to another name for sheetsync's."
    )


def _months_and_goals(tab: Tab) -> set[tuple[str, str]]:
    present = set()
    for cells in tab.rows[1:]:
        if len(cells) >= 2 and not is_blank(cells[0]) and not is_blank(cells[1]):
            present.add((_month_key(cells[0]), str(cells[1]).strip().casefold()))
    return present


def _month_key(value: object) -> str:
    """A Month cell as YYYY-MM, whether it holds text or a spreadsheet turned it into a date."""
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value).strip()[:7]


def _next_row(tab: Tab | None) -> int:
    if tab is None:
        return 2
    used = [
        number for number, cells in enumerate(tab.rows, 1) if any(not is_blank(c) for c in cells)
    ]
    return max(used, default=1) + 1


def _row(month: Month, goal: GoalLine) -> list[str | float | None]:
    return [
        month.key,
        goal.goal_id,
        goal.spend,
        goal.revenue,
        goal.current,
        None if goal.progress is None else round(goal.progress, 4),
        None if goal.roi is None else round(goal.roi, 4),
        goal.status,
    ]


def _kind(value: object, column: int) -> CellKind:
    return _KINDS[column - 1] if not isinstance(value, str) or column in (1, 2, 8) else "text"
