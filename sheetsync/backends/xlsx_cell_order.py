"""Where a sheet's rows and cells are, also when its XML leaves their references out.

A <row> may leave out its number (it is then the row after the one before it) and a <c> its
reference (the cell after the one before it in its row): Excel reads such sheets, and other
writers save them. The streaming editor (xlsx_sheet_edit) and the scan of errors and
formulas (xlsx_package) both place cells from here, so a cell is where Excel shows it for
the reader and the writer alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_AFTER_TAG_NAME = frozenset({b" ", b"\t", b"\r", b"\n", b"/", b">"})
_SLASH = ord("/")
_ROW_NUMBER = re.compile(rb"""(?:^|\s)r\s*=\s*["'](\d+)["']""")
_REFERENCE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")


def column_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index


def cell_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """A cell element (b"x:" for <x:c>): its attributes, and its content when not empty."""
    p = re.escape(prefix)
    return re.compile(rb"<" + p + rb"c\b([^>]*?)(?:/>|>(.*?)</" + p + rb"c>)", re.S)


def stated_coordinate(attributes: bytes) -> tuple[int, int] | None:
    """(row, column) of a cell whose attributes state its reference; None when they do not."""
    found = _REFERENCE.search(attributes)
    return (int(found[2]), column_index(found[1].decode())) if found else None


def row_number(attributes: bytes, row_before: int) -> tuple[int, bool]:
    """A row's number from its attributes, and whether it states it (else it is the one
    after `row_before`)."""
    stated = _ROW_NUMBER.search(attributes)
    return (int(stated[1]), True) if stated else (row_before + 1, False)


def placed_cells(cells: Iterable[re.Match[bytes]]) -> Iterator[tuple[int, re.Match[bytes]]]:
    """A row's cells (cell_pattern's matches, in order), each with its column."""
    column = 0
    for cell in cells:
        reference = _REFERENCE.search(cell[1])
        column = column_index(reference[1].decode()) if reference else column + 1
        yield column, cell


def whole_rows(
    buffer: bytes, end: int, opening: bytes, closing: bytes
) -> Iterator[tuple[int, bytes, bytes | None, int]]:
    """The row elements that end before `end`: (start, attributes, body or None when the row
    is empty, the position after it).

    Found by searching for the tags, not with a regular expression: a lazy `(.*?)</row>` tries
    the closing tag at every byte, half a second over the 60 MB of a 100k-tactic Plan.
    """
    find = buffer.find
    position = find(opening, 0, end)
    while position != -1:
        after = position + len(opening)
        if buffer[after : after + 1] not in _AFTER_TAG_NAME:  # <rowBreaks...>, not a row
            position = find(opening, after, end)
            continue
        tag_end = find(b">", after, end)
        if tag_end == -1:
            return
        if buffer[tag_end - 1] == _SLASH:
            yield position, buffer[after : tag_end - 1], None, tag_end + 1
            position = find(opening, tag_end + 1, end)
            continue
        body_end = find(closing, tag_end + 1, end)
        if body_end == -1:
            return
        finish = body_end + len(closing)
        yield position, buffer[after:tag_end], buffer[tag_end + 1 : body_end], finish
        position = find(opening, finish, end)


def cells_in_order(xml: bytes, prefix: bytes) -> Iterator[tuple[tuple[int, int], re.Match[bytes]]]:
    """Every cell of a whole sheet part with its (row, column), walking rows and cells in order:
    slower than finding a cell by its reference, and sure where references are left out. (No
    element but a row of the sheet data is named row: <rowBreaks> is told apart by its name.)"""
    pattern = cell_pattern(prefix)
    row = 0
    for _, attributes, body, _ in whole_rows(
        xml, len(xml), b"<" + prefix + b"row", b"</" + prefix + b"row>"
    ):
        row, _ = row_number(attributes, row)
        for column, cell in placed_cells(pattern.finditer(body or b"")):
            yield (row, column), cell
