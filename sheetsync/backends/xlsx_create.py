"""Make a new .xlsx (or .xlsm) workbook from a WorkbookTemplate with openpyxl (`sheetsync init`)."""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import XLSM

from sheetsync.backends.local_file import new_file_beside
from sheetsync.errors import UsageError
from sheetsync.template import ColumnTemplate, TabTemplate, Validation, WorkbookTemplate
from sheetsync.workbook import a1, column_letter

# Headers are row 1 (SPEC 2). Rules and colours cover the whole column below them, so rows
# users add later are covered too.
FIRST_DATA_ROW = 2
LAST_ROW = 1_048_576
NOTE_AUTHOR = "sheetsync"
NOTE_WIDTH_PX = 260
NOTE_LINE_PX = 15
NOTE_CHARS_PER_LINE = 42


def create_workbook(path: Path | str, template: WorkbookTemplate) -> None:
    """Write a new workbook at `path`; raises UsageError rather than replace a file."""
    target = Path(path)
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UsageError(f"{target} must end in .xlsx (or .xlsm), e.g. marketing.xlsx")
    _refuse_existing(target)
    book = _MacroEnabledWorkbook() if target.suffix.lower() == ".xlsm" else Workbook()
    book.remove(book.active)
    book.properties.creator = NOTE_AUTHOR
    for tab in template.tabs:
        _write_tab(book.create_sheet(tab.name), tab, template)
    target.parent.mkdir(parents=True, exist_ok=True)
    _save_atomically(book, target)


class _MacroEnabledWorkbook(Workbook):  # type: ignore[misc]
    """An .xlsm file: Excel opens one only when its content type says macro-enabled."""

    @property
    def mime_type(self) -> str:
        return XLSM


def _refuse_existing(target: Path) -> None:
    if target.exists():
        raise UsageError(f"{target} already exists; choose another name or delete it first")


def _save_atomically(book: Workbook, target: Path) -> None:
    """Save to a temporary file beside the target, then rename: no half-written workbook."""
    temporary = new_file_beside(target)  # with the permissions the umask gives new files
    try:
        book.save(temporary)
        # Checked again: the save takes a moment, and a file made meanwhile must not be lost.
        _refuse_existing(target)
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()


def _write_tab(sheet: Worksheet, tab: TabTemplate, template: WorkbookTemplate) -> None:
    if tab.owned:
        sheet.sheet_properties.tabColor = _opaque(template.header.owned_tab_color)
    sheet.freeze_panes = a1(template.frozen_rows + 1, 1)
    for number, column in enumerate(tab.columns, start=1):
        _write_header(sheet, number, column, template)
        _format_column(sheet, number, column)
        if column.validation is not None:
            _add_validation(sheet, number, column.header, column.validation, template)
        _add_colors(sheet, number, column)
    for row_number, row in enumerate(tab.rows, start=FIRST_DATA_ROW):
        for number, (value, column) in enumerate(zip(row, tab.columns, strict=True), start=1):
            if value is not None:
                cell = sheet.cell(row=row_number, column=number, value=value)
                if column.number_format and not isinstance(value, str):
                    cell.number_format = column.number_format


def _write_header(
    sheet: Worksheet, number: int, column: ColumnTemplate, template: WorkbookTemplate
) -> None:
    look = template.header
    fill, font = (look.owned_fill, look.owned_font) if column.owned else (look.fill, look.font)
    cell = sheet.cell(row=1, column=number, value=column.header)
    cell.font = Font(bold=True, color=_opaque(font))
    cell.fill = _solid(fill)
    cell.comment = _note(column.note)


def _note(text: str) -> Comment:
    """A header note sized to show its whole text when hovered."""
    lines = sum(len(line) // NOTE_CHARS_PER_LINE + 1 for line in text.splitlines())
    return Comment(text, NOTE_AUTHOR, height=(lines + 1) * NOTE_LINE_PX, width=NOTE_WIDTH_PX)


def _format_column(sheet: Worksheet, number: int, column: ColumnTemplate) -> None:
    """Width, and the number format Excel and LibreOffice give to values typed in the column."""
    dimension = sheet.column_dimensions[column_letter(number)]
    dimension.width = column.width
    if column.number_format:
        dimension.number_format = column.number_format


def _body(number: int) -> str:
    """The column's cells below the header, e.g. "C2:C1048576"."""
    letter = column_letter(number)
    return f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}"


def _add_validation(
    sheet: Worksheet, number: int, header: str, rule: Validation, template: WorkbookTemplate
) -> None:
    # Warning style: Excel asks "continue?" and keeps the value; sheetsync reports what is wrong.
    validation = DataValidation(
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=header,
        error=rule.message,
        **_type_and_formula(number, rule, template),
    )
    validation.add(_body(number))
    sheet.add_data_validation(validation)


def _type_and_formula(number: int, rule: Validation, template: WorkbookTemplate) -> dict[str, str]:
    """The Excel validation type and formula of a template validation."""
    if rule.kind == "list":
        return {"type": "list", "formula1": '"' + ",".join(rule.values) + '"'}
    if rule.kind == "column":
        source = next(tab for tab in template.tabs if tab.name == rule.source_tab)
        letter = column_letter(source.column_number(rule.source_header))
        last = FIRST_DATA_ROW + rule.source_rows - 1
        cells = f"${letter}${FIRST_DATA_ROW}:${letter}${last}"
        return {"type": "list", "formula1": f"{quote_sheetname(source.name)}!{cells}"}
    # A number 0-100 (a fraction, or percent points) or one of the words meaning "done";
    # relative to the first cell of the range, as Excel applies it to each cell below.
    cell = a1(FIRST_DATA_ROW, number)
    words = ",".join(f'LOWER(TRIM({cell}))="{word.lower()}"' for word in rule.values)
    number_rule = f"AND(ISNUMBER({cell}),{cell}>=0,{cell}<=100)"
    return {"type": "custom", "formula1": f"OR({number_rule},{words})"}


def _add_colors(sheet: Worksheet, number: int, column: ColumnTemplate) -> None:
    for rule in column.colors:
        fill = _solid(rule.fill)
        font = Font(color=_opaque(rule.font))
        for value in rule.values:
            sheet.conditional_formatting.add(
                _body(number),
                CellIsRule(operator="equal", formula=[f'"{value}"'], fill=fill, font=font),
            )


def _opaque(rgb: str) -> str:
    """ARGB with full alpha, as Excel writes its own colours, from the template's RGB."""
    return f"FF{rgb}"


def _solid(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=_opaque(rgb), end_color=_opaque(rgb))
