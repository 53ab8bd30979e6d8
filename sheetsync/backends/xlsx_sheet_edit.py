"""Editing one worksheet part as a stream: owned cells change, every other byte stays.

A Plan of 100k tactics is about 60 MB of XML; a DOM of it would take gigabytes. The editor
reads the part in pieces, copies every row it has nothing to do in as the bytes they are,
and rewrites only the rows holding an owned cell, a formula whose stored result changes, or
a guarded cell it must report. In those rows only those cells' elements change; a cell or
row that does not exist yet is inserted in order. What must follow is updated too: the
row's `spans` hint, the sheet's `dimension`, and a `legacyDrawing` link when notes are added.

Cells it must not write are refused before anything is saved: a cell inside merged cells
(other than their first), inside a shared formula's or array formula's range.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, NamedTuple, Protocol
from xml.sax.saxutils import escape

from sheetsync.backends.xlsx_cell_order import (
    cell_pattern,
    column_index,
    placed_cells,
    row_number,
    whole_rows,
)
from sheetsync.backends.xlsx_package import Coordinate
from sheetsync.workbook import CellError, CellKind, CellValue, a1, column_letter

NewValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class NewCell:
    """What an owned cell must hold: a value as stored (dates as serial numbers), and its look."""

    value: NewValue
    kind: CellKind = "text"


class OwnedCell(Protocol):
    """What the editor needs of an owned cell: a NewCell, or the plan's CellWrite itself."""

    @property
    def value(self) -> NewValue: ...

    @property
    def kind(self) -> CellKind: ...


class WatchedCell(NamedTuple):
    """A cell as the file stores it, for the caller to read (guards): type, text, format."""

    type: str  # the cell's t attribute: "s" (shared string index), "inlineStr", "n", "b"...
    text: str  # the stored value, or the inline string's text
    style: int


@dataclass
class SheetEdit:
    """Everything to do in one worksheet part."""

    cells: dict[Coordinate, OwnedCell] = field(default_factory=dict)
    results: dict[Coordinate, CellValue] = field(default_factory=dict)  # formula -> new result
    watched: set[Coordinate] = field(default_factory=set)
    legacy_drawing: bytes | None = None  # r:id of a notes drawing to link, when not yet linked
    date1904: bool = False


class _Figure:
    """Any finite number, where a new cell's XML is made once for every figure."""


_FIGURE = _Figure()


class UnsafeEdit(Exception):
    """An owned cell sits where writing it would break the user's sheet.

    Its arguments: the cell (A1), what it is part of, and what the user can do about it.
    """


@dataclass
class SheetOutcome:
    """What the editor found while writing the part."""

    watched: dict[Coordinate, WatchedCell] = field(default_factory=dict)
    # Owned cells that held a formula: their calc chain entries are stale.
    replaced_formulas: set[Coordinate] = field(default_factory=set)


_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\b[^>]*>(.*?)</(?:[\w.-]+:)?v>", re.S)
_TEXT = re.compile(rb"<(?:[\w.-]+:)?t\b[^>]*>(.*?)</(?:[\w.-]+:)?t>", re.S)
_STYLE = re.compile(rb"""(?:^|\s)s\s*=\s*["'](\d+)["']""")
_TYPE = re.compile(rb"""(?:^|\s)t\s*=\s*["']([^"']*)["']""")
_LEADING_LETTERS = re.compile(rb"([A-Za-z]{1,3})\d")
_LAST_REFERENCE = re.compile(rb"""[^>]*?\sr\s*=\s*["']([A-Za-z]{1,3})\d""")
_BATCH = 1 << 20  # bytes handed to the compressor at once
_CELLS_KEPT = 4096  # distinct new cells whose XML is remembered: a few hundred kB at most
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SPANS = re.compile(rb"""(\sspans\s*=\s*)(["'])([^"']*)\2""")
_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?")
_ILLEGAL_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LOOKS_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")  # Excel reads _x0041_ as "A"
# Sheet elements that come after legacyDrawing (ECMA-376 18.3.1.99), where its link goes.
_AFTER_LEGACY_DRAWING = frozenset(
    {
        b"legacyDrawingHF",
        b"drawingHF",
        b"picture",
        b"oleObjects",
        b"controls",
        b"webPublishItems",
        b"tableParts",
        b"extLst",
        b"AlternateContent",
    }
)
_LEGACY_DRAWING = frozenset({b"legacyDrawing"})
_LEGACY_DRAWING_LINK = re.compile(rb"<(?:[\w.-]+:)?legacyDrawing\b")
_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?([\w.-]+)[^>]*?(/?)>")


class SheetEditor:
    """Edits one worksheet part; iterate `edited(chunks)` for the new part's bytes."""

    def __init__(self, edit: SheetEdit, restyle: Callable[[int, CellKind], int]) -> None:
        self._edit = edit
        self._restyle = restyle
        self.outcome = SheetOutcome()
        self._rows = _columns_by_row(chain(edit.cells, edit.results, edit.watched))
        self._new_rows = sorted({row for row, _ in edit.cells})  # rows to insert if absent
        self._letters: dict[int, bytes] = {}
        self._restyled: dict[tuple[int, CellKind], int] = {}  # (style, kind) -> cell format
        # (column, format, kind, type, value) -> a new cell's XML around its row number
        self._made: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}
        self._next_new = 0
        self._column_styles: list[tuple[int, int, int]] = []  # (first, last, style)
        self._column_style: dict[int, int] = {}  # column -> its style, once looked up
        self._formula_ranges: list[tuple[str, tuple[int, int, int, int]]] = []
        self._last_row = 0
        self._plain_cells = False  # every cell of the rows at hand opens as <c r="...
        self._p = b""

    def edited(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The part's new bytes, in pieces of about a megabyte, from the old part's pieces."""
        pieces: list[bytes] = []
        size = 0
        for piece in self._edited(iter(chunks)):
            pieces.append(piece)
            size += len(piece)
            if size >= _BATCH:
                yield b"".join(pieces)
                pieces, size = [], 0
        yield b"".join(pieces)

    def _edited(self, stream: Iterator[bytes]) -> Iterator[bytes]:
        buffer = b""
        for chunk in stream:
            buffer += chunk
            start = re.search(rb"<(?:([\w.-]+):)?sheetData\b[^>]*>", buffer)
            if start is not None:
                break
        else:
            raise ValueError("the sheet has no sheet data")
        self._p = (start[1] + b":") if start[1] else b""
        self._cell_pattern = cell_pattern(self._p)
        self._row_extensions = b"<" + self._p + b"extLst"
        self._figure_end = b"</%sv></%sc>" % (self._p, self._p)
        yield self._head(buffer[: start.start()])
        if start[0].endswith(b"/>"):
            yield b"<" + self._p + b"sheetData>"
            yield from self._remaining_new_rows()
            yield b"</" + self._p + b"sheetData>"
            tail = buffer[start.end() :] + b"".join(stream)
        else:
            yield start[0]
            buffer = buffer[start.end() :]
            tail = yield from self._rows_until_end(buffer, stream)
        yield self._tail(tail)
        self._refuse_unsafe_writes()

    # The part before <sheetData>: dimension, column formats -----------------------------

    def _head(self, head: bytes) -> bytes:
        p = re.escape(self._p)
        for match in re.finditer(rb"<" + p + rb"col\b([^>]*)>", head):
            attributes = _attributes(match[1])
            style = int(attributes.get(b"style", b"0") or 0)
            if style:
                first = int(attributes.get(b"min", b"0") or 0)
                last = int(attributes.get(b"max", b"0") or 0)
                self._column_styles.append((first, last, style))
        dimension = re.search(rb"<" + p + rb"dimension\b([^>]*?)/?>", head)
        if dimension is None:
            return head
        ref = _attributes(dimension[1]).get(b"ref", b"").decode()
        grown = _grown_dimension(ref, self._edit.cells)
        if grown == ref:
            return head
        opening = re.sub(
            rb"""(\sref\s*=\s*)(["'])[^"']*\2""", rb'\g<1>"' + grown.encode() + b'"', dimension[0]
        )
        return head[: dimension.start()] + opening + head[dimension.end() :]

    # Rows --------------------------------------------------------------------------------

    def _rows_until_end(
        self, buffer: bytes, stream: Iterator[bytes]
    ) -> Generator[bytes, None, bytes]:
        """Every row up to </sheetData>, edited where needed; returns what follows it."""
        p = re.escape(self._p)
        tags = (b"<" + self._p + b"row", b"</" + self._p + b"row>")
        end_tag = b"</" + self._p + b"sheetData>"
        formula_pattern = re.compile(rb"<" + p + rb"f\b([^>]*\bref\s*=[^>]*)>")
        while True:
            end = buffer.find(end_tag)
            pieces: list[bytes] = []  # one yield per chunk: a yield per row costs more
            done = complete = 0  # bytes of the buffer passed on; bytes of whole rows in it
            rows = self._rows
            new_rows = self._new_rows
            limit = end if end != -1 else len(buffer)
            self._plain_cells = _plain_cells(buffer, limit, self._p)
            for start, attributes, body, finish in whole_rows(buffer, limit, *tags):
                number, stated = row_number(attributes, self._last_row)
                if number <= self._last_row:  # Excel calls such a sheet damaged too
                    raise ValueError(f"row {number} comes after row {self._last_row}")
                next_new = self._next_new
                if next_new < len(new_rows) and new_rows[next_new] < number:
                    pieces.append(buffer[done:start])
                    done = start
                    pieces += self._new_rows_before(number)
                self._last_row = number
                if next_new < len(new_rows) and new_rows[next_new] == number:
                    self._next_new = next_new + 1  # it exists: edited in place, not inserted
                if number in rows:
                    pieces.append(buffer[done:start])
                    pieces.append(self._row(attributes, body, number, not stated))
                    done = finish
                complete = finish
            if self._edit.cells:
                self._note_formula_ranges(formula_pattern, buffer, 0, complete)
            if end != -1:
                pieces.append(buffer[done:end])
                yield b"".join(pieces)
                yield from self._remaining_new_rows()
                return buffer[end:] + b"".join(stream)
            pieces.append(buffer[done:complete])
            yield b"".join(pieces)
            buffer = buffer[complete:]
            chunk = next(stream, None)
            if chunk is None:
                raise ValueError("the sheet data has no end")
            buffer += chunk

    def _inserts_before(self, number: int) -> bool:
        return self._next_new < len(self._new_rows) and self._new_rows[self._next_new] < number

    def _new_rows_before(self, number: int) -> Iterator[bytes]:
        """The new rows numbered below `number`. A row that leaves out its number (the one
        after the row before it) never has one go in before it, so it needs none either."""
        while self._inserts_before(number):
            new = self._new_rows[self._next_new]
            self._next_new += 1
            if new <= self._last_row:  # the row exists and was edited in place
                continue
            row = self._row(b' r="%d"' % new, None, new, False, new_row=True)
            if row:
                yield row

    def _remaining_new_rows(self) -> Iterator[bytes]:
        yield from self._new_rows_before(1 << 31)

    def _row(
        self,
        attributes: bytes,
        body: bytes | None,
        number: int,
        add_number: bool,
        new_row: bool = False,
    ) -> bytes:
        p = self._p
        cells = self._cells(body or b"", number, attributes)
        if add_number:
            attributes = b' r="%d"' % number + attributes
        if b"spans" in attributes:
            attributes = self._grown_spans(attributes, number)
        if not cells:
            return b"" if new_row else b"<%srow%s/>" % (p, attributes)
        return b"<%srow%s>%s</%srow>" % (p, attributes, cells, p)

    def _grown_spans(self, attributes: bytes, row: int) -> bytes:
        """The row's attributes with its spans hint covering the written cells."""
        written = self._edit_columns(row)
        return _grown_spans(attributes, written) if written else attributes

    def _edit_columns(self, row: int) -> list[int]:
        cells = self._edit.cells
        return [column for column in self._rows.get(row, ()) if (row, column) in cells]

    def _cells(self, body: bytes, row: int, row_attributes: bytes) -> bytes:
        """The row's cells with the owned ones written, results stored and guards noted."""
        found = self._cells_by_reference(body, row, row_attributes)
        return found if found is not None else self._cells_in_order(body, row, row_attributes)

    def _column_letters(self, column: int) -> bytes:
        """b"H": asked for every cell written, so each column's letters are remembered."""
        letters = self._letters.get(column)
        if letters is None:
            letters = self._letters[column] = column_letter(column).encode()
        return letters

    def _cells_by_reference(self, body: bytes, row: int, row_attributes: bytes) -> bytes | None:
        """The quick way: find each cell of interest by its reference; new cells go last.
        None when that is not enough (a cell of interest before the last one is not found
        so: it goes between cells, or leaves out its reference, or spells it otherwise)."""
        if self._plain_cells:
            last_column = _plain_last_column(body, self._p)
        else:
            last_column = _last_column(body, self._p)
        if last_column is None:
            return None  # cells placed by their order: walk through them
        cells = self._edit.cells
        replaced: list[tuple[int, int, bytes]] = []
        appended: list[int] = []
        number = b'%d"' % row
        for column in self._rows[row]:
            at = body.find(b'r="' + self._column_letters(column) + number)
            if at == -1:
                if column <= last_column:
                    return None  # walk through the cells
                if (row, column) in cells:
                    appended.append(column)
                continue
            match = self._cell_pattern.match(body, body.rfind(b"<" + self._p + b"c", 0, at))
            if match is None or not match.start(1) < at < match.end(1):
                return None
            if body[at - 1] not in b" \t\n\r":
                return None
            replacement = self._changed_cell(match, row, column)
            if replacement is not None:
                replaced.append((match.start(), match.end(), replacement))
        if not replaced:
            return self._with_new_cells(body, row, appended, row_attributes)
        pieces = []
        position = 0
        if len(replaced) > 1:
            replaced.sort()
        for start, end, replacement in replaced:
            pieces += [body[position:start], replacement]
            position = end
        pieces.append(self._with_new_cells(body[position:], row, appended, row_attributes))
        return b"".join(pieces)

    def _cells_in_order(self, body: bytes, row: int, row_attributes: bytes) -> bytes:
        """The sure way: walk the row's cells in order, placing new ones between them. A cell
        that leaves out its reference (the one after the cell before it) never has one go in
        before it, so it keeps its bytes."""
        wanted = self._edit_columns(row)
        pieces: list[bytes] = []
        position = next_write = 0
        for column, match in placed_cells(self._cell_pattern.finditer(body)):
            while next_write < len(wanted) and wanted[next_write] < column:
                pieces += [
                    body[position : match.start()],
                    self._with_new_cells(b"", row, [wanted[next_write]], row_attributes),
                ]
                position = match.start()
                next_write += 1
            if (row, column) in self._edit.cells:
                next_write += 1
            replacement = self._changed_cell(match, row, column)
            if replacement is not None:
                pieces += [body[position : match.start()], replacement]
                position = match.end()
        pieces.append(
            self._with_new_cells(body[position:], row, wanted[next_write:], row_attributes)
        )
        return b"".join(pieces)

    def _changed_cell(self, match: re.Match[bytes], row: int, column: int) -> bytes | None:
        """The cell's new element, or None to keep it; notes it when it is guarded."""
        coordinate = (row, column)
        if coordinate in self._edit.watched:
            self.outcome.watched[coordinate] = _watched(match[1], match[2])
        if coordinate in self._edit.cells:
            if b"<" + self._p + b"f" in (match[2] or b""):
                self.outcome.replaced_formulas.add(coordinate)
            return self._cell_xml(row, column, _style(match[1]), self._edit.cells[coordinate])
        if coordinate in self._edit.results:
            return self._with_result(match, self._edit.results[coordinate])
        return None

    def _with_new_cells(
        self, rest: bytes, row: int, columns: list[int], row_attributes: bytes
    ) -> bytes:
        """The end of a row with new cells added after its last one (before a row extLst)."""
        if not columns:
            return rest
        split = rest.find(self._row_extensions)
        split = split if split != -1 else len(rest)
        cells = self._edit.cells
        row_style = self._row_style(row_attributes) if b"customFormat" in row_attributes else None
        column_style = self._column_style
        added = [rest[:split]]
        for column in columns:
            style = row_style if row_style is not None else column_style.get(column)
            if style is None:
                style = self._default_style(column)
            added.append(self._cell_xml(row, column, style, cells[(row, column)]))
        added.append(rest[split:])
        return b"".join(added)

    def _row_style(self, row_attributes: bytes) -> int | None:
        """The format of a row formatted as a whole (customFormat): its new cells take it."""
        attributes = _attributes(row_attributes)
        if attributes.get(b"customFormat") in (b"1", b"true"):
            return int(attributes.get(b"s", b"0") or 0)
        return None

    def _default_style(self, column: int) -> int:
        """The format Excel gives a new cell in a row without its own: the column's."""
        style = self._column_style.get(column)
        if style is None:
            found = (s for first, last, s in self._column_styles if first <= column <= last)
            style = self._column_style[column] = next(found, 0)
        return style

    def _cell_xml(self, row: int, column: int, style: int, cell: OwnedCell) -> bytes:
        """The owned cell's new element (b"" when it is blank and has no format)."""
        value = cell.value
        if (type(value) is float or type(value) is int) and math.isfinite(value):  # not bool
            before, after = self._made_cell(column, style, cell.kind, _FIGURE)
            return b"%s%d%s%s%s" % (before, row, after, _number(value), self._figure_end)
        before, after = self._made_cell(column, style, cell.kind, value)
        return before + b"%d" % row + after if before else b""

    def _made_cell(
        self, column: int, style: int, kind: CellKind, value: NewValue | _Figure
    ) -> tuple[bytes, bytes]:
        """A new cell's XML before its row number (b"" for no element) and after it (up to
        the number, for a _FIGURE).

        A column's cells differ in little but their row (statuses, issue texts, figures in
        one format), so this is made once per column, format and value; once for every
        figure, as ROIs are rarely the same twice.
        """
        key = (column, style, kind, value.__class__, value)  # by type too: 1 == 1.0 == True
        made = self._made.get(key)
        if made is None:
            made = self._new_cell(column, style, kind, value)
            if len(self._made) < _CELLS_KEPT:
                self._made[key] = made
        return made

    def _new_cell(
        self, column: int, style: int, kind: CellKind, value: NewValue | _Figure
    ) -> tuple[bytes, bytes]:
        if value is not None:
            restyled = self._restyled.get((style, kind))
            if restyled is None:
                restyled = self._restyled[(style, kind)] = self._restyle(style, kind)
            style = restyled
        before = b'<%sc r="%s' % (self._p, self._column_letters(column))
        after = b'" s="%d"' % style if style else b'"'
        if isinstance(value, _Figure):
            return before, after + b"><%sv>" % self._p
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return (before, after + b"/>") if style else (b"", b"")
        return before, after + self._value_xml(value)

    def _value_xml(self, value: str | int | float | bool) -> bytes:
        """A new cell's XML after its reference and style: its type and value."""
        p = self._p
        if isinstance(value, bool):
            return b' t="b"><%sv>%d</%sv></%sc>' % (p, value, p, p)
        if isinstance(value, int | float):
            return b"><%sv>%s</%sv></%sc>" % (p, _number(value), p, p)
        text = _safe_text(value)
        space = b' xml:space="preserve"' if text != text.strip() or "\n" in text else b""
        return b' t="inlineStr"><%sis><%st%s>%s</%st></%sis></%sc>' % (
            p,
            p,
            space,
            escape(text).encode(),
            p,
            p,
            p,
        )

    def _with_result(self, match: re.Match[bytes], result: CellValue) -> bytes:
        """A formula cell with its stored result replaced (or removed when unknown)."""
        p = self._p
        attributes = re.sub(rb"""\s(?:t|cm|vm)\s*=\s*(["'])[^"']*\1""", b"", match[1])
        body = re.sub(
            rb"<" + re.escape(p) + rb"v\b[^>]*?(?:/>|>.*?</" + re.escape(p) + rb"v>)",
            b"",
            match[2] or b"",
            flags=re.S,
        )
        stored = _stored_result(result, self._edit.date1904)
        if stored is not None:
            kind, text = stored
            if kind:
                attributes += b' t="' + kind.encode() + b'"'
            value = b"<%sv>%s</%sv>" % (p, text.encode(), p)
            closing = re.search(
                rb"</" + re.escape(p) + rb"f>|<" + re.escape(p) + rb"f\b[^>]*/>", body
            )
            split = closing.end() if closing else 0
            body = body[:split] + value + body[split:]
        return b"<" + p + b"c" + attributes + b">" + body + b"</" + p + b"c>"

    # After </sheetData>: merged cells, the notes link ----------------------------------

    def _tail(self, tail: bytes) -> bytes:
        p = re.escape(self._p)
        for match in re.finditer(rb"<" + p + rb"mergeCell\b([^>]*?)/?>", tail):
            area = cell_area(_attributes(match[1]).get(b"ref", b"").decode())
            if area is not None:
                self._refuse_inside(area, "merged cells", "unmerge those cells", anchor_ok=True)
        if self._edit.legacy_drawing is None:
            return tail
        # The worksheet's own children follow </sheetData> (absent after <sheetData/>); a
        # sheet links one notes drawing at most, so one already linked stays the one.
        closing = b"</" + self._p + b"sheetData>"
        start = len(closing) if tail.startswith(closing) else 0
        linked = _first_top_level(tail, _LEGACY_DRAWING, start)
        if _LEGACY_DRAWING_LINK.match(tail, linked):
            return tail
        link = b'<%slegacyDrawing r:id="%s" xmlns:r="%s"/>' % (
            self._p,
            self._edit.legacy_drawing,
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        )
        at = _first_top_level(tail, _AFTER_LEGACY_DRAWING, start)
        return tail[:at] + link + tail[at:]

    def _note_formula_ranges(
        self, pattern: re.Pattern[bytes], buffer: bytes, start: int, end: int
    ) -> None:
        if buffer.find(b"<" + self._p + b"f", start, end) == -1:
            return  # no formula here: the pattern's pass over every tag is skipped
        for match in pattern.finditer(buffer, start, end):
            attributes = _attributes(match[1])
            kind = attributes.get(b"t", b"").decode()
            area = cell_area(attributes.get(b"ref", b"").decode())
            if kind in ("shared", "array", "dataTable") and area is not None:
                self._formula_ranges.append((kind, area))

    def _refuse_unsafe_writes(self) -> None:
        for kind, area in self._formula_ranges:
            what = {
                "shared": "a formula filled across several cells",
                "array": "an array formula",
                "dataTable": "a data table",
            }[kind]
            self._refuse_inside(area, what, "move that formula out of the column")

    def _refuse_inside(
        self, area: tuple[int, int, int, int], what: str, fix: str, anchor_ok: bool = False
    ) -> None:
        top, left, bottom, right = area
        for row, column in self._edit.cells:
            if top <= row <= bottom and left <= column <= right:
                if anchor_ok and (row, column) == (top, left):
                    continue
                raise UnsafeEdit(a1(row, column), what, fix)


def _columns_by_row(coordinates: Iterable[Coordinate]) -> dict[int, tuple[int, ...]]:
    """Row -> the columns of interest in it, in order. Most rows share one tuple, sorted
    once: sorting every (row, column) pair took a tenth of the edit."""
    found: dict[int, list[int]] = {}
    for row, column in coordinates:
        columns = found.get(row)
        if columns is None:
            found[row] = [column]
        else:
            columns.append(column)
    ordered: dict[tuple[int, ...], tuple[int, ...]] = {}
    rows = {}
    for row, columns in found.items():
        key = tuple(columns)
        order = ordered.get(key)
        if order is None:
            order = ordered[key] = tuple(sorted(set(columns)))
        rows[row] = order
    return rows


def _attributes(raw: bytes | None) -> dict[bytes, bytes]:
    return {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTRIBUTE.finditer(raw or b"")}


def _style(raw: bytes) -> int:
    found = _STYLE.search(raw)
    return int(found[1]) if found else 0


def _safe_text(value: str) -> str:
    """Text as XML may hold it, and as Excel will show it (not read as _x0041_ escapes)."""
    if _ILLEGAL_IN_XML.search(value):
        value = _ILLEGAL_IN_XML.sub("", value)
    if "_x" in value:
        value = _LOOKS_ESCAPED.sub(r"_x005F_\1", value)
    return value


def _watched(raw: bytes, body: bytes | None) -> WatchedCell:
    found = _TYPE.search(raw)
    kind = found[1].decode() if found else "n"
    body = body or b""
    if kind == "inlineStr":
        text = "".join(xml_text(t) for t in _TEXT.findall(body))
    else:
        value = _VALUE.search(body)
        text = xml_text(value[1]) if value else ""
    return WatchedCell(kind, text, _style(raw))


def xml_text(raw: bytes) -> str:
    """XML character data as text: UTF-8, with its entities (&amp;, &#10;) read."""
    text = raw.decode()
    return html.unescape(text) if "&" in text else text


def _last_column(body: bytes, prefix: bytes) -> int | None:
    """The column of the row's last cell (0 for a row without cells); None when it does not
    say where it is (or cannot be found quickly)."""
    opening = b"<" + prefix + b"c"
    start = body.rfind(opening + b" ")
    if start == -1:
        return 0 if opening not in body else None
    if body.find(opening, start + len(opening)) != -1:
        # A cell after it that opens otherwise (<c>, a tab before r=) is the last one (or
        # this is rich text's <color>): walk through the cells.
        return None
    reference = _LAST_REFERENCE.match(body, start + len(opening))
    return _column_number(reference[1]) if reference else None


def _plain_cells(buffer: bytes, end: int, prefix: bytes) -> bool:
    """Whether every cell before `end` opens as <c r="...: then each row's cells say where
    they are, and its last one is found without counting them (one pass over a megabyte of
    rows instead of two over every row)."""
    opening = b"<" + prefix + b"c"
    return buffer.count(opening, 0, end) == buffer.count(opening + b' r="', 0, end)


def _plain_last_column(body: bytes, prefix: bytes) -> int | None:
    """The column of the last cell of a row whose cells all open as <c r="..., 0 for none."""
    opening = b"<" + prefix + b'c r="'
    start = body.rfind(opening)
    if start == -1:
        return 0
    reference = _LEADING_LETTERS.match(body, start + len(opening))
    return _column_number(reference[1]) if reference else None


@functools.lru_cache(maxsize=1024)
def _column_number(letters: bytes) -> int:
    return column_index(letters.decode())


def _number(value: int | float) -> bytes:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)).encode()
    return repr(value).encode()


def _stored_result(value: CellValue, date1904: bool) -> tuple[str, str] | None:
    """The cell type and <v> text that store `value` as a formula's result."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, int | float):
        return ("", _number(value).decode()) if math.isfinite(value) else None
    if isinstance(value, CellError):
        return "e", escape(value.code)
    if isinstance(value, dt.date):
        return "", _number(serial_number(value, date1904)).decode()
    return "str", escape(_ILLEGAL_IN_XML.sub("", value))


def serial_number(value: dt.date, date1904: bool) -> float:
    """A date as the number a spreadsheet stores for it (days since its epoch)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    serial = (
        moment.replace(tzinfo=None) - (_EPOCH_1904 if date1904 else _EPOCH_1900)
    ).total_seconds()
    serial /= 86400
    # Excel counts a 29 February 1900 that never was (Lotus 1-2-3's error, kept).
    return serial - 1 if not date1904 and serial < 61 else serial


def cell_area(reference: str) -> tuple[int, int, int, int] | None:
    """ "B2:C9" -> (top, left, bottom, right); the first range of a list is enough here."""
    match = _RANGE.match(reference.split(" ")[0])
    if match is None:
        return None
    top, left = int(match[2]), column_index(match[1])
    if match[3] is None:
        return top, left, top, left
    return top, left, int(match[4]), column_index(match[3])


def _grown_dimension(reference: str, cells: dict[Coordinate, OwnedCell]) -> str:
    filled = [coordinate for coordinate, cell in cells.items() if cell.value is not None]
    area = cell_area(reference)
    if not filled or area is None:
        return reference
    top, left, bottom, right = area
    rows = [row for row, _ in filled]
    columns = [column for _, column in filled]
    grown = (min(top, *rows), min(left, *columns), max(bottom, *rows), max(right, *columns))
    if grown == area:
        return reference
    first = f"{column_letter(grown[1])}{grown[0]}"
    last = f"{column_letter(grown[3])}{grown[2]}"
    return first if first == last else f"{first}:{last}"


def _grown_spans(attributes: bytes, columns: list[int]) -> bytes:
    match = _SPANS.search(attributes)
    if match is None:
        return attributes
    bounds = [int(n) for n in re.findall(rb"\d+", match[3])]
    if not bounds:
        return attributes
    low, high = min(bounds + columns), max(bounds + columns)
    if (low, high) == (min(bounds), max(bounds)):
        return attributes
    return attributes[: match.start(3)] + b"%d:%d" % (low, high) + attributes[match.end(3) :]


def _first_top_level(xml: bytes, names: frozenset[bytes], start: int) -> int:
    """Where the first top-level element from `start` with one of these local names starts,
    else the position of the root's closing tag (_TAG finds no comment or <?...?>)."""
    depth = 0
    for match in _TAG.finditer(xml, start):
        closing, name, empty = match[1], match[2], match[3]
        if closing:
            depth -= 1
            if depth < 0:  # </worksheet>
                return match.start()
            continue
        if depth == 0 and name in names:
            return match.start()
        if not empty:
            depth += 1
    return len(xml)
