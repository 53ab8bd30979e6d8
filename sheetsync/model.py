"""Turn a Workbook's grids into goals, tactics and events, recording every cell that would not read.

The parser only records facts (a column is missing, a cell is unreadable); the rule
catalog turns those facts into findings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Literal, NamedTuple

from sheetsync.cells import READERS, CellProblem, Reader, read_text
from sheetsync.columns import TO_READ, transposed, typed_values
from sheetsync.organising import ids_that_may_organise, is_organising, may_organise
from sheetsync.schema import (
    CALENDAR,
    OWNED_TABS,
    PLAN,
    STRATEGY,
    Column,
    OwnedTab,
    TabSchema,
    header_names,
    normalize_header,
)
from sheetsync.workbook import CellValue, Tab, Workbook, a1, is_blank


class Goal(NamedTuple):
    row: int
    goal_id: str | None
    business_goal: str | None
    marketing_goal: str | None
    offering: str | None
    audience: str | None
    channels: tuple[str, ...]
    competitors: str | None
    differentiator: str | None
    kpi: str | None
    target: float | None
    budget: float | None
    start: dt.date | None
    end: dt.date | None
    owner: str | None
    reviewed: dt.date | None


class Tactic(NamedTuple):
    row: int
    tactic_id: str | None
    goal_id: str | None
    activity: str | None
    channel: str | None
    owner: str | None
    start: dt.date | None
    due: dt.date | None
    budget: float | None
    spend: float | None
    revenue: float | None
    result: float | None
    progress: float | None


class Event(NamedTuple):
    row: int
    event: str | None
    date: dt.date | None
    goal_ids: tuple[str, ...]
    lead_days: float | None


# Records are named tuples, not frozen dataclasses: one per row, and a frozen dataclass takes
# three times as long to make (a tenth of reading a 10k-tactic plan).
RECORD_TYPES: dict[str, type[Goal] | type[Tactic] | type[Event]] = {
    "strategy": Goal,
    "plan": Tactic,
    "calendar": Event,
}


@dataclass(frozen=True, slots=True)
class TabLayout:
    """Where a tab's columns are: found by header text, never by position."""

    schema: TabSchema
    name: str  # the tab's name as the workbook spells it
    columns: Mapping[str, int]  # column key -> 1-based column
    header: tuple[CellValue, ...]
    missing: tuple[Column, ...]  # required input columns with no header
    duplicates: tuple[tuple[Column, int], ...]  # a second header for a column, and where
    # When row 1 lacks columns: a lower row that holds the headers (a title row inserted above).
    headers_in_row: int | None = None

    def cell(self, key: str, row: int) -> str | None:
        column = self.columns.get(key)
        return a1(row, column) if column else None

    @property
    def first_empty_column(self) -> int:
        """The column just right of the last header, where a new column goes."""
        used = [index for index, text in enumerate(self.header, 1) if not is_blank(text)]
        return (used[-1] if used else 0) + 1

    @property
    def is_broken(self) -> bool:
        """Structural errors stop the write-back of this tab."""
        return bool(self.missing or self.duplicates)


CellIssueKind = Literal["missing", "date", "number", "range"]


@dataclass(frozen=True, slots=True)
class CellIssue:
    """A required cell left blank, or a cell that does not read as its column's type."""

    kind: CellIssueKind
    tab: str
    role: str
    key: str
    header: str
    row: int
    cell: str
    row_id: str | None
    message: str = ""
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Model:
    """Everything the checks and the computations need, as plain values."""

    layouts: Mapping[str, TabLayout]  # role -> layout, for the tabs that exist
    goals: tuple[Goal, ...]
    tactics: tuple[Tactic, ...]
    events: tuple[Event, ...]
    cell_issues: tuple[CellIssue, ...]
    tab_names: Mapping[str, str] = field(default_factory=dict)  # role -> configured tab name
    # Section headings and totals rows (role -> rows): not records, and their cells are the user's.
    organising_rows: Mapping[str, frozenset[int]] = field(default_factory=dict)
    # Owned tabs (by role) whose name a tab of the user's already has: sheetsync leaves them be.
    taken_tabs: Mapping[str, str] = field(default_factory=dict)  # role -> the tab's name
    # For a missing tab: another tab that has its headers, so is likely it under a new name.
    look_alikes: Mapping[str, str] = field(default_factory=dict)  # role -> that tab's name
    # For a missing tab: a chart on a sheet of its own that has its name, and no cells.
    charts_named_like: Mapping[str, str] = field(default_factory=dict)  # role -> the chart's
    unread_by_row: Mapping[tuple[str, int], frozenset[str]] = field(default_factory=dict)

    def layout(self, role: str) -> TabLayout | None:
        return self.layouts.get(role)

    @property
    def unread_tabs(self) -> frozenset[str]:
        """The roles of the input tabs that are absent or did not read (SS1xx)."""
        return frozenset(role for role in RECORD_TYPES if self.readable(role) is None)

    def unread_cells(self, role: str, row: int) -> frozenset[str]:
        """The cells of a row that did not read (SS201/SS202), as "plan.spend"; their value is
        unknown, not blank, so nothing computed from them is known either."""
        return self.unread_by_row.get((role, row), _NONE_UNREAD)

    def readable(self, role: str) -> TabLayout | None:
        """The layout of a tab that was found and whose columns all read (no SS1xx), else None.

        Nothing is derived from a tab that did not read: not a figure, a status or a finding.
        """
        layout = self.layouts.get(role)
        return layout if layout is not None and not layout.is_broken else None


# Values a person may type that the spec forbids; each a (check, message, hint) per column key.
_RANGES: dict[tuple[str, str], tuple[Any, str, str]] = {
    ("strategy", "target"): (
        lambda v: v > 0,
        "Target must be more than 0",
        "Type the number the KPI should reach, e.g. 120.",
    ),
    ("calendar", "lead_days"): (
        # Whole days: a window's first day is a date, and 7.5 would silently mean 7.
        lambda v: 0 <= v <= 3650 and v.is_integer(),
        "Lead Days must be a whole number of days from 0 to 3650",
        "Type how many days of preparation the event needs, e.g. 30.",
    ),
}
_MONEY_RANGE = (
    lambda v: v >= 0,
    "{header} cannot be negative",
    "Type the amount without a minus sign, e.g. 1200.",
)
_PERCENT_RANGE = (
    lambda v: 0 <= v <= 1,
    "Progress must be between 0 % and 100 %",
    "Type a percentage such as 45%, or done when finished.",
)

# The ranges that hold for every value columns.py takes as it is: it takes only amounts from 0
# and fractions from 0 to 1, and leaves the others to the readers (and to these checks).
_KEPT_WHEN_TYPED = {("money", _MONEY_RANGE[0]), ("percent", _PERCENT_RANGE[0])}


def build_model(
    workbook: Workbook,
    tab_names: Mapping[str, str],
    aliases: Mapping[str, tuple[str, ...]],
    locale: str,
) -> Model:
    """Read every known tab into typed records; never raises on cell content."""
    layouts: dict[str, TabLayout] = {}
    records: dict[str, tuple] = {}
    issues: list[CellIssue] = []
    organising_rows: dict[str, frozenset[int]] = {}
    known = {name.strip().casefold() for name in tab_names.values()}
    look_alikes: dict[str, str] = {}
    charts_named_like: dict[str, str] = {}
    for schema in (STRATEGY, PLAN, CALENDAR):
        tab = workbook.find_tab(tab_names[schema.role])
        if tab is None:
            records[schema.role] = ()
            alike = _look_alike(schema, workbook, header_names(schema, aliases), known)
            if alike is not None:
                look_alikes[schema.role] = alike
            chart = workbook.find_chart(tab_names[schema.role])
            if chart is not None:
                charts_named_like[schema.role] = chart
            continue
        layout = find_layout(schema, tab, aliases)
        layouts[schema.role] = layout
        headings_and_totals: set[int] = set()
        parsed = _read_records(schema, layout, tab, locale, issues, headings_and_totals)
        records[schema.role] = parsed
        organising_rows[schema.role] = frozenset(headings_and_totals)
    return Model(
        layouts=layouts,
        goals=records["strategy"],
        tactics=records["plan"],
        events=records["calendar"],
        cell_issues=tuple(issues),
        tab_names=dict(tab_names),
        organising_rows=organising_rows,
        taken_tabs=_taken_tabs(workbook, tab_names),
        look_alikes=look_alikes,
        charts_named_like=charts_named_like,
        unread_by_row=_unread_by_row(issues),
    )


_NONE_UNREAD: frozenset[str] = frozenset()


def _unread_by_row(issues: list[CellIssue]) -> dict[tuple[str, int], frozenset[str]]:
    unread: dict[tuple[str, int], set[str]] = {}
    for issue in issues:
        if issue.kind != "missing":  # a blank cell is blank; these are values that did not read
            unread.setdefault((issue.role, issue.row), set()).add(f"{issue.role}.{issue.key}")
    return {row: frozenset(keys) for row, keys in unread.items()}


def _taken_tabs(workbook: Workbook, tab_names: Mapping[str, str]) -> dict[str, str]:
    taken = {}
    for owned in OWNED_TABS:
        name = tab_names.get(owned.role, owned.default_name)
        tab = workbook.find_tab(name)
        if tab is not None and not is_sheetsyncs(tab, owned):
            taken[owned.role] = tab.name
        elif tab is None and (chart := workbook.find_chart(name)) is not None:
            taken[owned.role] = chart  # a chart sheet of that name: no cells to write
    return taken


def is_sheetsyncs(tab: Tab, owned: OwnedTab) -> bool:
    """Whether a tab named like an owned tab is sheetsync's to write: empty, or its row 1 starts
    with sheetsync's headers (an older, shorter set of them, or with a user's columns after)."""
    header = [normalize_header(value) for value in tab.header]
    while header and not header[-1]:
        header.pop()
    ours = [normalize_header(name) for name in owned.headers]
    shared = min(len(header), len(ours))
    if shared and header[:shared] == ours[:shared]:
        return True
    return all(is_blank(value) for row in tab.rows for value in row)


def find_layout(schema: TabSchema, tab: Tab, aliases: Mapping[str, tuple[str, ...]]) -> TabLayout:
    """Match row-1 headers to the schema's columns; unknown headers are the user's."""
    names = header_names(schema, aliases)
    columns: dict[str, int] = {}
    duplicates: list[tuple[Column, int]] = []
    by_key = {column.key: column for column in schema.columns}
    for index, text in enumerate(tab.header, 1):
        key = names.get(normalize_header(text))
        if key is None:
            continue
        if key in columns:
            duplicates.append((by_key[key], index))
        else:
            columns[key] = index
    missing = tuple(c for c in schema.inputs if c.required and c.key not in columns)
    headers_in_row = _lower_header_row(schema, tab, names, len(columns)) if missing else None
    return TabLayout(
        schema,
        tab.name,
        columns,
        tab.header,
        missing,
        tuple(duplicates),
        headers_in_row,
    )


# How far down to look for headers pushed out of row 1: a title and a blank line or two.
_HEADER_SEARCH_ROWS = 10


def _lower_header_row(
    schema: TabSchema, tab: Tab, names: Mapping[str, str], found_in_row_1: int
) -> int | None:
    """The first row below row 1 that holds more of the tab's headers than row 1 does and
    looks like its header row, else None."""
    for number, cells in enumerate(tab.rows[1:_HEADER_SEARCH_ROWS], 2):
        if _looks_like_header(schema, names, cells, more_than=found_in_row_1):
            return number
    return None


def _looks_like_header(
    schema: TabSchema,
    names: Mapping[str, str],
    cells: tuple[CellValue, ...],
    more_than: int = 0,
) -> bool:
    """At least half the schema's required headers, and more than `more_than` of its headers."""
    keys = {names.get(normalize_header(text)) for text in cells if isinstance(text, str)}
    required = {column.key for column in schema.inputs if column.required}
    return len(keys - {None}) > more_than and len(keys & required) * 2 >= len(required)


def _look_alike(
    schema: TabSchema, workbook: Workbook, names: Mapping[str, str], known: set[str]
) -> str | None:
    """Another tab whose header row is this missing tab's (Plan renamed "Marketing Plan")."""
    for tab in workbook.tabs:
        if tab.name.strip().casefold() not in known and _looks_like_header(
            schema, names, tab.header
        ):
            return tab.name
    return None


class _ColumnReader(NamedTuple):
    """How one known column of a tab is read, and where its values go in a record."""

    position: int  # of its field in the record (schema order)
    column: Column
    sheet_index: int  # the sheet's column, 0-based
    read: Reader
    allowed: Callable[[Any], bool] | None  # a value it refuses is out of range (SS202)
    out_of_range: str  # that finding's message template, and its hint
    hint: str


def _read_records(
    schema: TabSchema,
    layout: TabLayout,
    tab: Tab,
    locale: str,
    issues: list[CellIssue],
    organising: set[int],
) -> tuple:
    """The tab's rows as records, a column at a time: the cells that hold their column's type
    at once (columns.py), then the others one by one, and a row without an ID of its own whole
    (it may be a heading). Issues are told row by row, left to right (schema order) in a row.
    """
    readers = _column_readers(schema, layout)
    rows = tab.rows[1:]
    if not readers:
        return ()  # no known column, so no row holds a value
    raw = transposed(rows, [reader.sheet_index for reader in readers])
    typed = [_typed(reader, values) for reader, values in zip(readers, raw, strict=True)]
    records = _records(schema, readers, typed, len(rows))
    ids = next((typed[n] for n, r in enumerate(readers) if r.column.key == schema.id_key), None)
    to_read = _cells_to_read(typed)
    # Rows read whole: a row whose ID is blank, "Total" or words may be a section heading or a
    # totals row, and without an ID column any row may.
    if ids is None:
        whole = set(range(len(rows)))
    else:
        whole = ids_that_may_organise(ids, schema.ids_are_codes)
    for index in sorted(to_read.keys() | whole):
        if ids is None or index in whole:
            records[index] = _read_row(
                schema, readers, layout, index + 2, rows[index], locale, issues, organising
            )
        else:
            row_id = ids[index]
            to_read_here = [readers[number] for number in to_read[index]]
            records[index] = _with_cells_read(
                records[index], to_read_here, rows[index], layout, row_id, locale, issues
            )
    return tuple(record for record in records if record is not None)


def _records(
    schema: TabSchema, readers: list[_ColumnReader], typed: list[list[Any]], count: int
) -> list[Any]:
    """A record per row from the typed columns (TO_READ left in them), in schema order, as
    tests/test_model.py holds them to: built positionally, a blank for each column the tab
    lacks."""
    fields: list[Iterable[Any]] = [repeat(_blank(column)) for column in schema.inputs]
    for reader, values in zip(readers, typed, strict=True):
        fields[reader.position] = values
    make = RECORD_TYPES[schema.role]._make
    # strict=False: a lacking column's blanks repeat without end.
    return list(map(make, zip(range(2, count + 2), *fields, strict=False)))


def _with_cells_read(
    record: Any,
    readers: list[_ColumnReader],
    cells: tuple[CellValue, ...],
    layout: TabLayout,
    row_id: str,
    locale: str,
    issues: list[CellIssue],
) -> Any:
    """The record with these columns' cells read one by one, as cells.py reads them."""
    values = list(record[1:])
    for reader in readers:
        value = cells[reader.sheet_index] if reader.sheet_index < len(cells) else None
        values[reader.position] = _read_cell(
            reader, value, layout, record.row, row_id, locale, issues
        )
    return record._make((record.row, *values))


def _column_readers(schema: TabSchema, layout: TabLayout) -> list[_ColumnReader]:
    return [
        _ColumnReader(
            position,
            column,
            layout.columns[column.key] - 1,
            READERS[column.type],
            *_range_for(schema.role, column),
        )
        for position, column in enumerate(schema.inputs)
        if column.key in layout.columns
    ]


def _blank(column: Column) -> Any:
    return () if column.type == "list" else None


def _typed(reader: _ColumnReader, values: Sequence[CellValue]) -> list[Any]:
    """A column's values where they read as they are, else TO_READ: a blank in a required
    column (SS200) and a value out of range (SS202) are told where cells are read one by one."""
    blank = TO_READ if reader.column.required else _blank(reader.column)
    typed = typed_values(reader.column.type, values, blank)
    allowed = reader.allowed
    if allowed is None or (reader.column.type, allowed) in _KEPT_WHEN_TYPED:
        return typed
    return [v if v is TO_READ or v is blank or allowed(v) else TO_READ for v in typed]


def _cells_to_read(typed: list[list[Any]]) -> dict[int, list[int]]:
    """Row index -> the columns (as reader numbers, in order) of its cells to read one by one."""
    cells: dict[int, list[int]] = {}
    for number, column in enumerate(typed):
        for index in [index for index, value in enumerate(column) if value is TO_READ]:
            cells.setdefault(index, []).append(number)  # most columns have few or none
    return cells


def _read_row(
    schema: TabSchema,
    readers: list[_ColumnReader],
    layout: TabLayout,
    row_number: int,
    cells: tuple[CellValue, ...],
    locale: str,
    issues: list[CellIssue],
    organising: set[int],
) -> Any:
    """A row read cell by cell: a record, or None for a row with no value in a known column,
    a section heading or a totals row (which go in `organising`)."""
    width = len(cells)
    raw = [cells[reader.sheet_index] if reader.sheet_index < width else None for reader in readers]
    if not any(value is not None and not is_blank(value) for value in raw):
        return None
    id_index = layout.columns.get(schema.id_key or "", 0) - 1
    id_cell = cells[id_index] if 0 <= id_index < width else None
    # Only a row without an ID (or with "Total" or words there) can be a heading or totals.
    if may_organise(id_cell, schema.ids_are_codes) and is_organising(
        [(reader.column, value) for reader, value in zip(readers, raw, strict=True)],
        schema.id_key or "",
        locale,
        schema.ids_are_codes,
    ):
        organising.add(row_number)
        return None
    row_id = _row_id(cells, id_index, locale)
    values = [_blank(column) for column in schema.inputs]
    for reader, value in zip(readers, raw, strict=True):
        values[reader.position] = _read_cell(
            reader, value, layout, row_number, row_id, locale, issues
        )
    return RECORD_TYPES[schema.role](row_number, *values)


def _read_cell(
    reader: _ColumnReader,
    value: CellValue,
    layout: TabLayout,
    row_number: int,
    row_id: str | None,
    locale: str,
    issues: list[CellIssue],
) -> Any:
    """One cell as its column's type, or a blank and an issue when it is blank but required,
    does not read, or is out of range."""
    column, index = reader.column, reader.sheet_index
    if value is None:  # every reader reads an empty cell as blank: skip the call
        if column.required:
            issues.append(_issue("missing", layout, column, row_number, index, row_id))
        return _blank(column)
    try:
        parsed = reader.read(value, locale)
    except CellProblem as problem:
        kind: CellIssueKind = "date" if column.type == "date" else "number"
        issues.append(
            _issue(
                kind,
                layout,
                column,
                row_number,
                index,
                row_id,
                problem.message,
                problem.hint,
            )
        )
        return _blank(column)
    if parsed is None or (type(parsed) is tuple and not parsed):
        if column.required:
            issues.append(_issue("missing", layout, column, row_number, index, row_id))
        return _blank(column)
    if reader.allowed is not None and not reader.allowed(parsed):
        text = reader.out_of_range.format(header=column.header)
        issues.append(_issue("range", layout, column, row_number, index, row_id, text, reader.hint))
        return _blank(column)
    return parsed


def _issue(
    kind: CellIssueKind,
    layout: TabLayout,
    column: Column,
    row: int,
    index: int,
    row_id: str | None,
    message: str = "",
    hint: str = "",
) -> CellIssue:
    return CellIssue(
        kind,
        layout.name,
        layout.schema.role,
        column.key,
        column.header,
        row,
        a1(row, index + 1),
        row_id,
        message,
        hint,
    )


def _row_id(cells: tuple[CellValue, ...], id_index: int, locale: str) -> str | None:
    if id_index < 0 or id_index >= len(cells):
        return None
    try:
        return read_text(cells[id_index], locale)
    except CellProblem:
        return None


def _range_for(role: str, column: Column) -> tuple[Any, str, str]:
    if (role, column.key) in _RANGES:
        return _RANGES[(role, column.key)]
    if column.type == "money":
        return _MONEY_RANGE
    if column.type == "percent":
        return _PERCENT_RANGE
    return None, "", ""
