"""The template of a new workbook (`sheetsync init`): tabs, columns, their look and example data.

Read from templates/workbook.toml (the look) and templates/example.toml (the `--example` data)
into values that any backend turns into a spreadsheet. Header names belong to schema.py; a
template that disagrees with it is refused, because sheetsync could not read what it made.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sheetsync.errors import TemplateError
from sheetsync.schema import (
    CALENDAR,
    CHECKS_HEADERS,
    HISTORY_HEADERS,
    PLAN,
    STRATEGY,
    Column,
    TabSchema,
)
from sheetsync.workbook import CellValue

LOOK_FILE = "workbook.toml"
EXAMPLE_FILE = "example.toml"

INPUT_SCHEMAS = {schema.role: schema for schema in (STRATEGY, PLAN, CALENDAR)}
OWNED_TAB_HEADERS = {"checks": CHECKS_HEADERS, "history": HISTORY_HEADERS}

ValidationKind = Literal["list", "column", "percent"]


@dataclass(frozen=True, slots=True)
class ColorRule:
    """Cells whose text equals one of `values` (ignoring case) get these RGB hex colours."""

    values: tuple[str, ...]
    fill: str
    font: str


@dataclass(frozen=True, slots=True)
class Validation:
    """What a column expects. Only ever a warning: whatever a user types is kept.

    kind "list": a dropdown of `values`.
    kind "column": a dropdown of the first `source_rows` values under `source_header` in
    `source_tab`.
    kind "percent": a number from 0 to 100 % (a fraction, or percent points), or one of `values`.
    """

    kind: ValidationKind
    message: str  # shown when a typed value does not fit
    values: tuple[str, ...] = ()
    source_tab: str = ""
    source_header: str = ""
    source_rows: int = 0


@dataclass(frozen=True, slots=True)
class ColumnTemplate:
    header: str
    owned: bool  # filled in by sheetsync: marked, never validated
    width: float  # in characters
    number_format: str | None  # e.g. "yyyy-mm-dd"; None leaves the cell's default
    note: str  # help on the header cell; for owned columns it starts with the owned note
    validation: Validation | None = None
    colors: tuple[ColorRule, ...] = ()


@dataclass(frozen=True, slots=True)
class TabTemplate:
    role: str  # "strategy", "plan", "calendar", "checks", "history"
    name: str
    owned: bool  # the whole tab is written by sheetsync
    columns: tuple[ColumnTemplate, ...]
    rows: tuple[tuple[CellValue, ...], ...] = ()  # example data, one value per column

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(column.header for column in self.columns)

    def column_number(self, header: str) -> int:
        """The 1-based column holding `header`."""
        return self.headers.index(header) + 1


@dataclass(frozen=True, slots=True)
class HeaderLook:
    """How header cells look: input columns, and the owned columns sheetsync fills in."""

    fill: str
    font: str
    owned_fill: str
    owned_font: str
    owned_tab_color: str


@dataclass(frozen=True, slots=True)
class WorkbookTemplate:
    tabs: tuple[TabTemplate, ...]
    header: HeaderLook
    frozen_rows: int


def templates_dir() -> Path:
    """The templates folder: inside the installed package, or the checkout's root when editable."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / LOOK_FILE).is_file():
            return candidate
    raise TemplateError(f"{LOOK_FILE} is missing from {package / 'templates'}; reinstall sheetsync")


def load_template(example: bool, today: dt.date) -> WorkbookTemplate:
    """The new-workbook template, with the example data dated around `today` when asked."""
    folder = templates_dir()
    look = _read_toml(folder / LOOK_FILE)
    data = _read_toml(folder / EXAMPLE_FILE) if example else {}
    try:
        template = _workbook_template(look, data, today)
    except KeyError as error:
        raise TemplateError(f"{LOOK_FILE} lacks the key {error}") from None
    _check_validation_sources(template)
    return template


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TemplateError(f"template {path} cannot be read: {error}") from None


def _workbook_template(
    look: dict[str, Any], data: dict[str, Any], today: dt.date
) -> WorkbookTemplate:
    header = look["header"]
    tabs = tuple(
        _tab(raw, look, header["owned_note"], data.get(raw["role"], []), today)
        for raw in look["tab"]
    )
    unknown = set(data) - {tab.role for tab in tabs if not tab.owned}
    if unknown:
        raise TemplateError(f"{EXAMPLE_FILE} has data for unknown tabs: {sorted(unknown)}")
    return WorkbookTemplate(
        tabs=tabs,
        header=HeaderLook(
            fill=header["fill"],
            font=header["font"],
            owned_fill=header["owned_fill"],
            owned_font=header["owned_font"],
            owned_tab_color=header["owned_tab_color"],
        ),
        frozen_rows=look["frozen_rows"],
    )


def _tab(
    raw: Mapping[str, Any],
    look: Mapping[str, Any],
    owned_note: str,
    example_rows: list[dict[str, Any]],
    today: dt.date,
) -> TabTemplate:
    role = raw["role"]
    expected = _expected_columns(role)
    headers = tuple(column["header"] for column in raw["column"])
    if headers != tuple(header for header, _, _ in expected):
        raise TemplateError(
            f"{LOOK_FILE} tab {raw['name']!r} has headers {list(headers)}, but schema.py says "
            f"{[header for header, _, _ in expected]}"
        )
    note = raw.get("owned_note", owned_note)
    columns = tuple(
        _column(column, owned, field_type, look, note)
        for column, (_, owned, field_type) in zip(raw["column"], expected, strict=True)
    )
    schema = INPUT_SCHEMAS.get(role)
    rows = tuple(_example_row(schema, row, today) for row in example_rows) if schema else ()
    return TabTemplate(
        role=role, name=raw["name"], owned=schema is None, columns=columns, rows=rows
    )


def _expected_columns(role: str) -> tuple[tuple[str, bool, str | None], ...]:
    """(header, owned, schema type) for each column of a tab, in order, from schema.py."""
    if role in OWNED_TAB_HEADERS:
        return tuple((header, True, None) for header in OWNED_TAB_HEADERS[role])
    if role not in INPUT_SCHEMAS:
        raise TemplateError(f"{LOOK_FILE} has a tab with unknown role {role!r}")
    schema = INPUT_SCHEMAS[role]
    inputs = tuple((column.header, False, column.type) for column in schema.inputs)
    return inputs + tuple((column.header, True, column.type) for column in schema.owned)


def _column(
    raw: Mapping[str, Any],
    owned: bool,
    field_type: str | None,
    look: Mapping[str, Any],
    owned_note: str,
) -> ColumnTemplate:
    header = raw["header"]
    validation = _validation(raw.get("validation"))
    if owned and validation is not None:
        # sheetsync writes these cells; a rule there could reject or nag about its own values.
        raise TemplateError(f"{LOOK_FILE}: owned column {header!r} must not have a validation")
    format_name = raw.get("format", field_type)
    colors = look["colors"][raw["colors"]] if "colors" in raw else ()
    return ColumnTemplate(
        header=header,
        owned=owned,
        width=raw["width"],
        number_format=look["formats"].get(format_name),
        note=f"{owned_note}\n{raw['note']}" if owned else raw["note"],
        validation=validation,
        colors=tuple(
            ColorRule(values=tuple(rule["values"]), fill=rule["fill"], font=rule["font"])
            for rule in colors
        ),
    )


def _validation(raw: Mapping[str, Any] | None) -> Validation | None:
    if raw is None:
        return None
    if raw["kind"] not in ("list", "column", "percent"):
        raise TemplateError(f"{LOOK_FILE}: unknown validation kind {raw['kind']!r}")
    return Validation(
        kind=raw["kind"],
        message=raw["message"],
        values=tuple(raw.get("values", ())),
        source_tab=raw.get("tab", ""),
        source_header=raw.get("column", ""),
        source_rows=raw.get("rows", 0),
    )


def _check_validation_sources(template: WorkbookTemplate) -> None:
    """A "column" validation must name a tab and header the template creates."""
    tabs = {tab.name: tab for tab in template.tabs}
    for tab in template.tabs:
        for column in tab.columns:
            rule = column.validation
            if rule is None or rule.kind != "column":
                continue
            source = tabs.get(rule.source_tab)
            if source is None or rule.source_header not in source.headers:
                raise TemplateError(
                    f"{LOOK_FILE}: {tab.name} {column.header!r} lists values from "
                    f"{rule.source_tab}!{rule.source_header}, which the template lacks"
                )


def _example_row(
    schema: TabSchema, raw: Mapping[str, Any], today: dt.date
) -> tuple[CellValue, ...]:
    """One example row, a value per column of the tab (owned columns blank)."""
    inputs = {column.key: column for column in schema.inputs}
    unknown = set(raw) - set(inputs)
    if unknown:
        raise TemplateError(f"{EXAMPLE_FILE}: {schema.role} row has unknown keys {sorted(unknown)}")
    values = tuple(
        _example_value(column, raw[column.key], today) if column.key in raw else None
        for column in schema.inputs
    )
    return values + (None,) * len(schema.owned)


def _example_value(column: Column, value: object, today: dt.date) -> CellValue:
    if column.type == "date":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TemplateError(
                f"{EXAMPLE_FILE}: {column.header} is a day offset from today, not {value!r}"
            )
        return today + dt.timedelta(days=value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TemplateError(f"{EXAMPLE_FILE}: {column.header} = {value!r} is not text or a number")
    return value
