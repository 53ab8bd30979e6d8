"""Reading a tab a column at a time: the cells that already hold their column's type, at once.

Most cells of a kept sheet hold what their column wants: a date cell under Due, a number
under Budget. Such a cell reads as it is (cells.py would return it unchanged), so a whole
column of them is taken in one comprehension; every other cell, text to parse, a blank in a
required column, a value out of range, is left to cells.py's readers, one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

from sheetsync.schema import FieldType
from sheetsync.workbook import CellValue

# Marks a cell the quick read leaves to cells.py's readers.
TO_READ: Any = object()

# cells.py refuses numbers from one quadrillion on; within that a typed number is read as is.
_LARGEST = 1e15


def transposed(
    rows: Sequence[Sequence[CellValue]], indexes: Sequence[int]
) -> list[Sequence[CellValue]]:
    """Each of the columns at these 0-based indexes, as one value per row (None where a row
    stops short)."""
    columns = list(zip_longest(*rows))
    blank = (None,) * len(rows)
    return [columns[index] if index < len(columns) else blank for index in indexes]


def typed_values(field_type: FieldType, values: Sequence[CellValue], blank: Any) -> list[Any]:
    """Each value as its column's reader would return it, where that is the value itself (or a
    datetime's date, or text stripped), else TO_READ; a blank cell gives `blank`."""
    if field_type == "text":
        return [
            (value.strip() or blank) if type(value) is str else blank if value is None else TO_READ
            for value in values
        ]
    if field_type == "number":
        return [
            value
            if type(value) is float and -_LARGEST < value < _LARGEST
            else blank
            if value is None
            else TO_READ
            for value in values
        ]
    if field_type == "money":  # never negative (SPEC 2.5): a negative amount takes the reader
        return [
            value
            if type(value) is float and 0.0 <= value < _LARGEST
            else blank
            if value is None
            else TO_READ
            for value in values
        ]
    if field_type == "percent":  # a fraction as typed; 45 (percent points) or -0.1 takes the reader
        return [
            value
            if type(value) is float and 0.0 <= value <= 1.0
            else blank
            if value is None
            else TO_READ
            for value in values
        ]
    if field_type == "date":
        return [
            value
            if type(value) is dt.date
            else value.date()
            if type(value) is dt.datetime
            else blank
            if value is None
            else TO_READ
            for value in values
        ]
    return [blank if value is None else TO_READ for value in values]  # a list: always read
