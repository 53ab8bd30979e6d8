"""Rows people add to organise a sheet, which are not goals, tactics or events (SPEC 2).

- A section heading: one text cell, no ID, no dates, no numbers ("Q1 campaigns" in Activity).
  Typed in the ID column (the template's first column) it is a heading too where IDs are codes
  (T1, G-2, 2026-Q1-email: one word) and it is words ("Q1 campaigns"); a lone "T12" is a tactic
  just begun, and its blank required cells are reported.
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


def may_organise(id_cell: CellValue, ids_are_codes: bool) -> bool:
    """Whether a row with this in its ID column may be a heading or a totals row (the cheap
    test first: most rows have an ID)."""
    return is_blank(id_cell) or is_total_label(id_cell) or (ids_are_codes and _is_words(id_cell))


def ids_that_may_organise(ids: Sequence[object], ids_are_codes: bool) -> set[int]:
    """The indexes of the IDs with which a row may be a heading or a totals row, as
    may_organise tells, for a whole ID column at once: IDs read as text (stripped), and
    anything else (a blank, a number to read) counted in."""
    total = _TOTAL_LABEL.match
    return {
        index
        for index, text in enumerate(ids)
        if type(text) is not str or total(text) or (ids_are_codes and _is_words(text))
    }


def is_organising(
    cells: Sequence[tuple[Column, CellValue]], id_key: str, locale: str, ids_are_codes: bool
) -> bool:
    """Whether a row's input cells (column, value) make a section heading or a totals row."""
    filled = [(column, value) for column, value in cells if not is_blank(value)]
    labels = [value for _, value in filled if is_total_label(value)]
    values = [(column, value) for column, value in filled if not is_total_label(value)]
    if any(column.key == id_key for column, _ in values):
        # A row with an ID is a record, whatever else it holds; words alone in a column of
        # codes are a heading typed in the first column.
        return ids_are_codes and not labels and len(values) == 1 and _is_words(values[0][1])
    if all(_is_number_in_number_column(column, value, locale) for column, value in values):
        return bool(labels or values)
    if len(values) == 1 and not labels:
        column, value = values[0]
        return isinstance(value, str) and not _reads_as_typed(column, value, locale)
    return False


def is_total_label(value: CellValue) -> bool:
    """Total, Totals, Subtotal, Grand total or Sum, and what follows (Total Q1)."""
    return isinstance(value, str) and _TOTAL_LABEL.match(value.strip()) is not None


def _is_words(value: CellValue) -> bool:
    """Text of more than one word: never an ID where IDs are codes."""
    return isinstance(value, str) and len(value.split(maxsplit=1)) > 1


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
