"""Plan the cell writes of a sync: owned cells whose value changes, and the Checks tab.

Nothing here writes; `plan_writes` returns a WritePlan for a backend to apply.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Any

from sheetsync.engine import Report, RowResult, gc_paused
from sheetsync.model import TabLayout
from sheetsync.schema import CHECKS_HEADERS, INPUT_TABS, Column, derived_from_any, normalize_header
from sheetsync.workbook import (
    CELL_TEXT_LIMIT,
    CellKey,
    CellKind,
    CellValue,
    CellWrite,
    Guard,
    Tab,
    WritePlan,
    fit_in_a_cell,
    is_blank,
)

_KINDS: dict[str, CellKind] = {"percent": "percent", "money": "money", "number": "number"}


@gc_paused
def plan_writes(report: Report, checks_tab: str) -> WritePlan:
    """Every owned cell that must change for the sheet to show this report."""
    writes: list[CellWrite] = []
    guards: list[Guard] = []
    unreadable = report.model.unread_tabs
    for schema in INPUT_TABS:
        layout = report.model.layout(schema.role)
        if layout is None or schema.role in unreadable:
            continue  # SS1xx stops the write-back of that tab (SPEC 3)
        tab = report.workbook.find_tab(layout.name)
        assert tab is not None
        # A figure computed from a tab that did not read is left as it is, not zeroed.
        owned = [c for c in schema.owned if not derived_from_any(c, unreadable)]
        columns = _placed(layout, owned)
        rows = {result.row: result for result in report.results(schema.role)}
        # A heading's or a totals row's cells are the user's, =SUM(...) under Spend included.
        skipped = report.model.organising_rows.get(schema.role, frozenset())
        tab_writes = list(_tab_writes(tab, columns, rows, skipped))
        writes += tab_writes
        guards += _guards(layout, tab, tab_writes)
    if "checks" in report.model.taken_tabs:
        # A tab of the user's is named like ours: never written (SS105 says so).
        return WritePlan(tuple(writes), tuple(guards))
    checks = report.workbook.find_tab(checks_tab)
    writes += _checks_writes(report, checks_tab, checks)
    new_tabs = () if checks else (checks_tab,)
    return WritePlan(tuple(writes), tuple(guards), new_tabs, {checks_tab: 1} if new_tabs else {})


def describe(write: CellWrite) -> str:
    """`Plan!K7: "" -> "At risk"`, as `sync --dry-run` prints it."""
    where = f"{write.tab}!{write.a1}"
    if write.old_formula:
        return f"{where}: {write.old_formula} -> {_shown(write.value)} (replaces the formula)"
    return f"{where}: {_shown(write.old)} -> {_shown(write.value)}"


def written_cells(plan: WritePlan) -> list[CellKey]:
    """Where the plan writes: the cells a dry run asks the backend for formulas in."""
    return [(write.tab, write.row, write.column) for write in plan.writes]


def naming_formulas(plan: WritePlan, formulas: Mapping[CellKey, str]) -> WritePlan:
    """The plan, each write over a cell holding a formula marked with that formula.

    An owned cell is sheetsync's, but a person may have typed a formula there; the dry run
    says which formula a sync would replace with its value.
    """
    if not formulas:
        return plan
    writes = tuple(
        replace(write, old_formula=formulas[key])
        if (key := (write.tab, write.row, write.column)) in formulas
        else write
        for write in plan.writes
    )
    return replace(plan, writes=writes)


def _shown(value: CellValue) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _placed(layout: TabLayout, owned: list[Column]) -> list[tuple[Column, int, bool]]:
    """Each owned column, its 1-based position, and whether it must be created."""
    placed = []
    next_free = layout.first_empty_column
    for column in owned:
        number = layout.columns.get(column.key)
        if number is None:
            placed.append((column, next_free, True))
            next_free += 1
        else:
            placed.append((column, number, False))
    return placed


def _tab_writes(
    tab: Tab,
    columns: list[tuple[Column, int, bool]],
    results: Mapping[int, RowResult],
    skipped: frozenset[int],
) -> Iterator[CellWrite]:
    for column, number, create in columns:
        if create:
            yield CellWrite(tab.name, 1, number, column.header, None, "header")
    # Every result is of a row read from this tab: the tab's rows are all there is to write.
    rows = [
        (row, cells, results.get(row))
        for row, cells in enumerate(tab.rows[1:], 2)
        if row not in skipped
    ]
    # Most columns already show what the sheet should: told whole, they are left out of the
    # cell-by-cell loop below, which keeps the plan in row order for the dry run. A column
    # about to be made is not looked at whole: its cells are to be filled.
    changing = [
        (column, number, create)
        for column, number, create in columns
        if create or not _column_shows(rows, column, number)
    ]
    if not changing:
        return
    for row, cells, result in rows:
        for column, number, _ in changing:
            if result is not None and not result.knows(column.key):
                continue  # computed from a cell that did not read: left as it is, not zeroed
            # Rows that hold no goal/tactic/event keep no stale status of ours.
            value = written_value(getattr(result, column.key)) if result else None
            old = cells[number - 1] if number <= len(cells) else None
            if not same_value(old, value):
                yield CellWrite(
                    tab.name,
                    row,
                    number,
                    value,
                    old,
                    _KINDS.get(column.type, "text") if value is not None else "text",
                )


def _column_shows(
    rows: list[tuple[int, tuple[CellValue, ...], RowResult | None]], column: Column, number: int
) -> bool:
    """Whether every row's cell in this column already shows its result's value (see
    `same_values`); a row whose value did not read is left out, as the loop leaves it."""
    key, index = column.key, number - 1
    olds = [
        cells[index] if index < len(cells) else None
        for _, cells, result in rows
        if result is None or not result.unread or result.knows(key)
    ]
    news = [
        None if result is None else getattr(result, key)
        for _, _, result in rows
        if result is None or not result.unread or result.knows(key)
    ]
    return same_values(olds, news)


def same_values(olds: Sequence[CellValue], news: Sequence[Any]) -> bool:
    """Whether writing each of `news` over the cell of `olds` beside it would change nothing.

    True only where `same_value(old, written_value(new))` holds for every pair, told in a few
    passes over the whole columns instead of a call per cell: the values must be equal as they are,
    and of the kinds where equal means the same to `same_value` (no TRUE in a figure's cell,
    no infinity, no text too long for a cell). False whenever only `same_value` can tell (a
    figure off by float noise, a cell of spaces), so the caller compares those cell by cell.
    """
    stored = [None if value == "" else value for value in news] if "" in news else news
    if olds != stored:  # "" is written as a blank: the cell shows None
        return False
    kinds = set(map(type, stored))
    if not set(map(type, olds)) <= _PLAIN or not all(map(_plain_kind, kinds)):
        return False
    values = list(filter(None, stored))  # the blanks, and zeros, which are finite
    if kinds & {int, float}:
        return _finite_numbers(values)
    return max(map(len, values), default=0) <= CELL_TEXT_LIMIT


_PLAIN = frozenset({type(None), str, int, float})


def _plain_kind(kind: type) -> bool:
    # A status is a StrEnum: equal to its text, and written as that text.
    return kind in _PLAIN or issubclass(kind, StrEnum)


def _finite_numbers(values: list[Any]) -> bool:
    """Whether every value is a finite number: inf - inf is no zero for `same_value`."""
    try:
        return math.isfinite(math.fsum(values))
    except (TypeError, ValueError, OverflowError):  # text among them, inf and -inf, too big
        return False


def written_value(value: Any) -> str | int | float | None:
    """What a sync writes for a result's value: None for a blank, text cut to fit a cell."""
    # Figures are written at full precision (the column's format shows them rounded), so a
    # formula that reads them, or a user comparing, sees the exact ratio, not one cut at 4
    # decimals.
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return fit_in_a_cell(str(value))  # str(): a status enum is written as its plain text
    return value


def same_value(old: CellValue, new: Any) -> bool:
    """Whether writing `new` over `old` would change what the cell shows."""
    if is_blank(old) and (new is None or new == ""):
        return True
    if isinstance(new, int | float) and isinstance(old, int | float) and not isinstance(old, bool):
        return abs(old - new) < 1e-9
    if isinstance(new, str) and isinstance(old, str):
        return old == new
    return False


def _guards(layout: TabLayout, tab: Tab, writes: list[CellWrite]) -> list[Guard]:
    """The header row and the ID cell of every row written must be unchanged at write time."""
    if not writes:
        return []
    guards = [
        Guard(tab.name, 1, column, value)
        for column, value in enumerate(tab.header, 1)
        if not is_blank(value)
    ]
    id_column = layout.columns.get(layout.schema.id_key or "")
    if id_column:
        rows = sorted({write.row for write in writes if write.row > 1})
        guards += [Guard(tab.name, row, id_column, tab.value(row, id_column)) for row in rows]
    return guards


def _checks_writes(report: Report, name: str, existing: Tab | None) -> Iterator[CellWrite]:
    finding_key = _FindingKeys()
    wanted = [list(CHECKS_HEADERS)] + _checks_rows(
        report, _since_by_finding(existing, finding_key), finding_key
    )
    tab_name = existing.name if existing else name
    height = max(len(wanted), len(existing.rows) if existing else 0)
    # As in the other tabs, the columns that already show what they should are told whole
    # (a neglected plan's Checks tab is 160,000 cells), and only the others cell by cell.
    changing = [
        column
        for column in range(1, len(CHECKS_HEADERS) + 1)
        if not same_values(
            _column_of(existing.rows if existing else (), column, height),
            _column_of(wanted, column, height),
        )
    ]
    if not changing:
        return
    for row in range(1, height + 1):
        cells = wanted[row - 1] if row <= len(wanted) else []
        for column in changing:
            value = cells[column - 1] if cells else None
            old = existing.value(row, column) if existing else None
            if not same_value(old, value):
                yield CellWrite(tab_name, row, column, value, old, "header" if row == 1 else "text")


def _column_of(rows: Sequence[Sequence[Any]], column: int, height: int) -> list[Any]:
    """One column of ragged rows, None where a row stops short, `height` cells long."""
    index = column - 1
    cells = [cells[index] if index < len(cells) else None for cells in rows]
    return cells + [None] * (height - len(cells))


class _FindingKeys(dict[str, str]):
    """A finding's key, its rule, tab, cell and row ID as headers compare, for one plan.

    Each text is normalized once: the Checks tab read and the findings written name the same
    cells and row IDs (20,000 and 10,000 of them on a neglected plan).
    """

    def __missing__(self, text: str) -> str:
        self[text] = normalized = normalize_header(text)
        return normalized

    def __call__(self, rule: Any, tab: Any, cell: Any, row_id: Any) -> tuple[str, ...]:
        # Only text is remembered: 1, 1.0 and TRUE are one key to a dict, three texts here.
        return tuple(
            [
                self[part] if part.__class__ is str else normalize_header(part)
                for part in (rule, tab, cell, row_id)
            ]
        )


def _since_by_finding(
    existing: Tab | None, finding_key: _FindingKeys
) -> dict[tuple[str, ...], str]:
    """When each finding of the last run was first seen, so Since is stable run to run."""
    if existing is None or not existing.rows:
        return {}
    index = {normalize_header(h): i for i, h in enumerate(existing.header)}
    needed = ("rule", "tab", "cell", "row id", "since")
    if not all(name in index for name in needed):
        return {}
    rows = existing.rows[1:]
    columns = [_column_of(rows, index[name] + 1, len(rows)) for name in needed]
    since: dict[tuple[str, ...], str] = {}
    for rule, tab, cell, row_id, first in zip(*columns, strict=True):
        if isinstance(first, dt.date):
            first = first.isoformat()[:10]
        if rule and first:
            since[finding_key(rule, tab, cell, row_id)] = str(first)
    return since


def _checks_rows(
    report: Report, since: Mapping[tuple[str, ...], str], finding_key: _FindingKeys
) -> list[list[Any]]:
    today = report.today.isoformat()
    rows = []
    for f in report.findings:
        # A row ID is what the user typed, of any length: the key to Since is what the cell
        # can hold, so it matches what the next run reads back.
        row_id = fit_in_a_cell(f.row_id) if f.row_id else f.row_id
        rows.append(
            [
                f.severity,
                f.code,
                f.tab,
                f.cell,
                row_id,
                fit_in_a_cell(f.message),
                fit_in_a_cell(f.hint),
                since.get(finding_key(f.code, f.tab, f.cell, row_id), today),
            ]
        )
    return rows
