"""Rows people add to organise a sheet, which are not goals, tactics or events (SPEC 2).

- A section heading: one text cell, no ID, no dates, no numbers ("Q1 campaigns" in Activity).
- A totals row: no ID, and nothing but numbers under the number columns, with or without a
  "Total" label (which may stand in the ID column: "Total" is not a tactic's name).

A backend hands over values, not formulas, so a totals row is told by what it holds, not by
its `=SUM(...)`: knowing formulas would take Google a second read (FORMULA rendering) and the
xlsx reader a second pass, for rows that, with no ID, no text and no dates, could not be
checked as records anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sheetsync.cells import READERS, CellProblem
from sheetsync.schema import Column
from sheetsync.workbook import CellError, CellValue, is_blank

_NUMBER_TYPES = frozenset({"number", "money", "percent"})
_TOTAL_LABEL = re.compile(r"(grand\s+|sub-?\s?)?(totals?|sum)\b", re.IGNORECASE)


def is_organising(cells: Sequence[tuple[Column, CellValue]], id_key: str, locale: str) -> bool:
    """Whether a row's input cells (column, value) make a section heading or a totals row."""
    filled = [(column, value) for column, value in cells if not is_blank(value)]
    labels = [value for _, value in filled if is_total_label(value)]
    values = [(column, value) for column, value in filled if not is_total_label(value)]
    if any(column.key == id_key for column, _ in values):
        return False  # a row with an ID is a record, whatever else it holds
    if all(_is_number_in_number_column(column, value, locale) for column, value in values):
        return bool(labels or values)
    if len(values) == 1 and not labels:
        column, value = values[0]
        return isinstance(value, str) and not _reads_as_typed(column, value, locale)
    return False


def is_total_label(value: CellValue) -> bool:
    """Total, Totals, Subtotal, Grand total or Sum, and what follows (Total Q1)."""
    return isinstance(value, str) and _TOTAL_LABEL.match(value.strip()) is not None


def _is_number_in_number_column(column: Column, value: CellValue, locale: str) -> bool:
    if column.type not in _NUMBER_TYPES or isinstance(value, bool):
        return False
    # A totals formula gone wrong (#REF!) still makes a totals row, not a tactic.
    return isinstance(value, CellError) or _reads_as_typed(column, value, locale)


def _reads_as_typed(column: Column, value: CellValue, locale: str) -> bool:
    """Whether the value is a date or number in a column of that type (so not heading text)."""
    if column.type in ("text", "list"):
        return False
    try:
        return READERS[column.type](value, locale) is not None
    except CellProblem:
        return False
