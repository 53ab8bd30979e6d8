"""Formula results an .xlsx file does not hold, worked out with the `formulas` library.

The trap: openpyxl saves formulas without their last results, and openpyxl, xlsxwriter and
pandas never store real ones (they ask Excel to recalculate on open). python-calamine reads
stored results only, so a Plan whose Spend is =SUM(M2:P2) would read blank after a sync.

Two remedies exist: carry the results known at read time into the saved file, or evaluate
formulas. Carrying alone is wrong for a formula that reads a cell sheetsync just wrote and
cannot help a file that never had results; evaluating everything is slow (about 1 ms to
compile one formula) and the library does not know every Excel function. So the backend
does both, each where it is sound:

- read: a stored result is trusted unless the workbook asks apps to recalculate on load
  (how openpyxl and xlsxwriter mark their placeholder results); any other formula is
  evaluated here.
- apply: every known result is written back into the saved file, after formulas that read
  a written cell (directly or through other formulas) are evaluated again.

Formulas that differ only in where they sit (=SUM(M2:P2), =SUM(M3:P3)...) share one
compiled function, so a 10k-row formula column costs one compile and 10k cheap calls. A
formula the library cannot evaluate keeps the result the file stored, if any.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sheetsync.workbook import CellError, CellValue

Key = tuple[str, int, int]  # (tab name, 1-based row, 1-based column)

MAX_ROW, MAX_COLUMN = 1_048_576, 16_384

# A formula compiled on its own knows neither where it sits nor cells named by text, and
# its functions get the values of the cells it names, not the references (ROWS(A2:A9) would
# be #VALUE!), so these are left to Excel; the second kind also hides which cells it reads.
_POSITIONAL_FUNCTIONS = frozenset(
    {"ROW", "COLUMN", "CELL", "INFO", "ROWS", "COLUMNS", "AREAS", "ISREF", "ISFORMULA"}
)
_DYNAMIC_REFERENCE_FUNCTIONS = frozenset({"INDIRECT", "OFFSET"})
# The library gets these wrong, so they are left to Excel: "--" (Excel's count of TRUEs,
# SUMPRODUCT(--(B2:B9="Done"))) it reads as nothing, summing no booleans; and a criterion of
# "<>" (not equal, or not blank) it counts without the blanks or the numbers. A criterion in a
# cell (COUNTIF(B:B,D1)) may hold "<>" too.
_CRITERIA_ARGUMENTS: dict[str, Callable[[int], bool]] = {  # which arguments are criteria
    "COUNTIF": (1).__eq__,
    "SUMIF": (1).__eq__,
    "AVERAGEIF": (1).__eq__,
    "COUNTIFS": lambda index: index % 2 == 1,
    **dict.fromkeys(
        ("SUMIFS", "AVERAGEIFS", "MAXIFS", "MINIFS"), lambda index: index > 0 and index % 2 == 0
    ),
}

_CELL = r"(\$?)([A-Za-z]{1,3})(\$?)(\d+)"
_CELLS = re.compile(rf"{_CELL}(?::{_CELL})?")
_COLUMNS = re.compile(r"(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3})")
_ROWS = re.compile(r"(\$?)(\d+):(\$?)(\d+)")
_NAME = re.compile(r"[A-Za-z_\\][\w.\\?]*")


class Unevaluable(Exception):
    """The formula uses something the `formulas` library cannot work out on its own."""


@dataclass(frozen=True, slots=True)
class Area:
    """A rectangle of cells a formula reads. A:A spans every row, 3:3 every column."""

    tab: str | None  # None: the formula's own tab
    top: int
    left: int
    bottom: int
    right: int
    anchored: tuple[bool, bool, bool, bool] = (False, False, False, False)  # $ on each bound

    def relative_to(self, row: int, column: int) -> tuple[Any, ...]:
        """The area as Excel's R1C1 notation sees it from a cell: relative bounds as offsets."""
        origins = (row, column, row, column)
        bounds = (self.top, self.left, self.bottom, self.right)
        return (self.tab.upper() if self.tab else None,) + tuple(
            ("$", bound) if anchored else bound - origin
            for bound, origin, anchored in zip(bounds, origins, self.anchored, strict=True)
        )

    def on(self, tab: str) -> Area:
        return Area(tab, self.top, self.left, self.bottom, self.right, self.anchored)


def parse_area(text: str) -> Area | None:
    """'Plan'!$M2:P2 -> Area; None for names, other workbooks and 3-D references."""
    tab: str | None
    tab, bang, reference = text.rpartition("!")
    if bang:
        if len(tab) >= 2 and tab[0] == tab[-1] == "'":
            tab = tab[1:-1].replace("''", "'")
        if not tab or "[" in tab or ":" in tab:
            return None
    else:
        tab = None
    if match := _CELLS.fullmatch(reference):
        a1, c1, a2, r1, a3, c2, a4, r2 = match.groups()
        if c2 is None:
            a3, c2, a4, r2 = a1, c1, a2, r1
        bounds = (int(r1), _column(c1), int(r2), _column(c2))
        return _area(tab, bounds, (bool(a2), bool(a1), bool(a4), bool(a3)))
    if match := _COLUMNS.fullmatch(reference):
        a1, c1, a2, c2 = match.groups()
        bounds = (1, _column(c1), MAX_ROW, _column(c2))
        return _area(tab, bounds, (True, bool(a1), True, bool(a2)))
    if match := _ROWS.fullmatch(reference):
        a1, r1, a2, r2 = match.groups()
        bounds = (int(r1), 1, int(r2), MAX_COLUMN)
        return _area(tab, bounds, (bool(a1), True, bool(a2), True))
    return None


def _area(
    tab: str | None, bounds: tuple[int, int, int, int], anchored: tuple[bool, bool, bool, bool]
) -> Area | None:
    top, left, bottom, right = bounds
    if min(top, bottom) < 1 or max(top, bottom) > MAX_ROW:
        return None
    if min(left, right) < 1 or max(left, right) > MAX_COLUMN:
        return None
    top_anchored, left_anchored, bottom_anchored, right_anchored = anchored
    if bottom < top:  # Excel accepts A5:A1 and means A1:A5
        top, bottom, top_anchored, bottom_anchored = bottom, top, bottom_anchored, top_anchored
    if right < left:
        left, right, left_anchored, right_anchored = right, left, right_anchored, left_anchored
    return Area(
        tab,
        top,
        left,
        bottom,
        right,
        (top_anchored, left_anchored, bottom_anchored, right_anchored),
    )


def _column(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index


Reference = Area | str  # an area, or a defined name in upper case


@dataclass(frozen=True, slots=True)
class ParsedFormula:
    """A formula's references, and its shape: what it shares with its copies down a column."""

    references: tuple[Reference, ...]
    relatives: tuple[Any, ...]  # each reference as seen from the formula's cell
    shape: tuple[Any, ...]
    positional: bool  # uses ROW(), ROWS()...: its result depends on where it sits or on references


def parse_formula(text: str, row: int, column: int) -> ParsedFormula:
    """Split a formula into references and shape; Unevaluable when its references are unknown."""
    from openpyxl.formula.tokenizer import Token, Tokenizer, TokenizerError

    try:
        tokens = Tokenizer(text).items
    except TokenizerError as error:
        raise Unevaluable(str(error)) from None
    references: list[Reference] = []
    relatives: list[Any] = []
    shape: list[Any] = []
    positional = False
    calls: list[list[Any]] = []  # each open function call: its name, which argument is read
    previous = None
    for token in tokens:
        if token.type == Token.OP_PRE and previous is not None and previous.type == Token.OP_PRE:
            raise Unevaluable("the library reads -- as nothing")
        previous = token
        if token.type == Token.SEP and token.subtype == Token.ARG and calls:
            calls[-1][1] += 1
        elif token.type == Token.FUNC and token.subtype == Token.CLOSE and calls:
            calls.pop()
        if token.type == Token.OPERAND and _unsure_criterion(token, calls):
            raise Unevaluable('the library counts a criterion of "<>" wrong')
        if token.type == Token.OPERAND and token.subtype == Token.RANGE:
            reference = _reference(token.value)
            relative = (
                reference.relative_to(row, column) if isinstance(reference, Area) else reference
            )
            references.append(reference)
            relatives.append(relative)
            shape.append(relative)
        else:
            if token.type == Token.FUNC and token.subtype == Token.OPEN:
                name = token.value[:-1].upper().removeprefix("_XLFN.")
                if name in _DYNAMIC_REFERENCE_FUNCTIONS:
                    raise Unevaluable(f"{name} reads cells named by text")
                positional = positional or name in _POSITIONAL_FUNCTIONS
                calls.append([name, 0])
            shape.append((token.type, token.value))
    return ParsedFormula(tuple(references), tuple(relatives), tuple(shape), positional)


def _unsure_criterion(operand: Any, calls: list[list[Any]]) -> bool:
    """Whether this operand is part of a criterion (in any of the calls open around it) that
    may be "<>": it starts so, or is read from a cell. `operand`: openpyxl's Token."""
    from openpyxl.formula.tokenizer import Token

    in_criterion = any(
        function in _CRITERIA_ARGUMENTS and _CRITERIA_ARGUMENTS[function](argument)
        for function, argument in calls
    )
    return in_criterion and (operand.subtype == Token.RANGE or operand.value.startswith('"<>'))


def _reference(text: str) -> Reference:
    if (area := parse_area(text)) is not None:
        return area
    if "[" in text or not _NAME.fullmatch(text):
        raise Unevaluable(f"{text} is a reference to another workbook or a table")
    return text.upper()


def resolve_name(
    name: str, tab: str, defined_names: dict[tuple[str, str | None], str]
) -> Area | None:
    """The cells a defined name stands for, as seen from `tab`; None for formulas and constants."""
    target = defined_names.get((name, tab), defined_names.get((name, None)))
    if target is None:
        return None
    area = parse_area(target.strip().removeprefix("="))
    return area if area is not None and area.tab is not None else None


class Grid:
    """Every tab's values as rows that can grow, found by tab name in any case."""

    def __init__(self, tabs: dict[str, list[list[CellValue]]]) -> None:
        self.tabs = tabs
        self._names = {name.upper(): name for name in tabs}

    def tab_name(self, name: str) -> str | None:
        return self._names.get(name.upper())

    def get(self, tab: str, row: int, column: int) -> CellValue:
        rows = self.tabs[tab]
        if row > len(rows) or column > len(rows[row - 1]):
            return None
        return rows[row - 1][column - 1]

    def set(self, tab: str, row: int, column: int, value: CellValue) -> None:
        rows = self.tabs[tab]
        while len(rows) < row:
            rows.append([])
        cells = rows[row - 1]
        if len(cells) < column:
            cells.extend([None] * (column - len(cells)))
        cells[column - 1] = value

    def block(self, tab: str, area: Area, margin: int) -> list[list[CellValue]]:
        """The values in `area`; bounds at the sheet's edge stop at the last data instead, or
        `margin` blank cells past it."""
        rows = self.tabs[tab]
        bottom = area.bottom
        if bottom == MAX_ROW:  # A:A, A2:A
            bottom = max(len(rows), area.top) + margin
        right = area.right
        if right == MAX_COLUMN:  # 3:3
            right = max(max(map(len, rows), default=0), area.left) + margin
        return [
            [self.get(tab, row, column) for column in range(area.left, right + 1)]
            for row in range(area.top, bottom + 1)
        ]


@dataclass(frozen=True, slots=True)
class _Compiled:
    function: Callable[..., Any]
    sources: tuple[int, ...]  # for each function input, the index of the reference it reads
    reusable: bool  # false when the library merged references that differ in a copy


@dataclass(frozen=True, slots=True)
class _Prepared:
    function: Callable[..., Any]
    areas: tuple[Area, ...]  # absolute, with the grid's tab names


class Evaluator:
    """Works out formula cells over a grid, writing each result into the grid."""

    def __init__(
        self,
        grid: Grid,
        formulas: dict[Key, str | None],
        defined_names: dict[tuple[str, str | None], str],
        time_kind: Callable[[Key], str | None],
        date1904: bool,
    ) -> None:
        self._grid = grid
        self._formulas = formulas
        self._defined_names = defined_names
        self._time_kind = time_kind
        self._date1904 = date1904
        self._compiled: dict[tuple[Any, ...], _Compiled | None] = {}
        self._blocks: dict[tuple[Area, int], Any] = {}
        self._pending: dict[str, dict[int, list[int]]] = {}
        self._done: dict[Key, bool] = {}
        self._numbers: dict[Key, float] = {}  # results in date cells, as the file stores them

    def evaluate(self, keys: Iterable[Key]) -> set[Key]:
        """Evaluate these formula cells into the grid; returns those that could not be."""
        targets = sorted(set(keys))
        for tab, row, column in targets:
            self._pending.setdefault(tab, {}).setdefault(column, []).append(row)
        with _quiet_library():
            for key in targets:
                self._evaluate_with_precedents(key)
        return {key for key in targets if not self._done[key]}

    def stored_result(self, key: Key) -> CellValue:
        """A worked-out result as the file stores it: in a date, time or duration cell, the
        number (the grid holds it as calamine reads it, a time as text)."""
        return self._numbers.get(key, self._grid.get(*key))

    def _evaluate_with_precedents(self, target: Key) -> None:
        # Depth first with an explicit stack: a running total down 10k rows would overflow
        # recursion. `path` holds the cells waiting for their precedents; a precedent on it
        # closes a circle, and every cell of a circle is left to Excel.
        stack, path, on_path = [target], list[Key](), dict[Key, int]()
        while stack:
            key = stack[-1]
            if key in self._done:
                stack.pop()
                continue
            prepared = self._prepare(key)
            waiting = [] if prepared is None else self._waiting_for(prepared)
            circle = min((on_path[p] for p in waiting if p in on_path), default=None)
            if prepared is None:
                self._done[key] = False
            elif circle is not None:
                for member in [*path[circle:], key]:
                    self._done[member] = False
                    on_path.pop(member, None)
                del path[circle:]
            elif waiting:
                on_path[key] = len(path)
                path.append(key)
                stack.extend(waiting)
                continue
            else:
                self._done[key] = self._compute(key, prepared)
                if on_path.pop(key, None) is not None:
                    path.pop()
            stack.pop()

    def _waiting_for(self, prepared: _Prepared) -> list[Key]:
        """Formula cells still to evaluate inside the areas this formula reads."""
        waiting: list[Key] = []
        for area in prepared.areas:
            tab = area.tab or ""
            for column, rows in self._pending.get(tab, {}).items():
                if area.left <= column <= area.right:
                    start = bisect.bisect_left(rows, area.top)
                    stop = bisect.bisect_right(rows, area.bottom)
                    waiting.extend(
                        key
                        for row in rows[start:stop]
                        if (key := (tab, row, column)) not in self._done
                    )
        return waiting

    def _prepare(self, key: Key) -> _Prepared | None:
        tab, row, column = key
        text = self._formulas.get(key)
        if text is None:
            return None
        try:
            parsed = parse_formula(text, row, column)
        except Unevaluable:
            return None
        if parsed.positional:
            return None
        if parsed.shape not in self._compiled:
            self._compiled[parsed.shape] = _compile(text, parsed)
        compiled = self._compiled[parsed.shape]
        if compiled is not None and not compiled.reusable:
            compiled = _compile(text, parsed)
        if compiled is None:
            return None
        areas = []
        for index in compiled.sources:
            area = self._absolute(parsed.references[index], tab)
            if area is None:
                return None
            areas.append(area)
        return _Prepared(compiled.function, tuple(areas))

    def _absolute(self, reference: Reference, tab: str) -> Area | None:
        area = (
            resolve_name(reference, tab, self._defined_names)
            if isinstance(reference, str)
            else reference
        )
        if area is None:
            return None
        grid_tab = self._grid.tab_name(area.tab) if area.tab else tab
        return None if grid_tab is None else area.on(grid_tab)

    def _compute(self, key: Key, prepared: _Prepared) -> bool:
        try:
            value = self._result(prepared)
            # Excel's whole column runs to row 1,048,576, the grid's stops at its last value:
            # a result one more blank row changes (COUNTBLANK(B:B), COUNTIF(B:B,"<>Done"))
            # counts blanks that only Excel can count.
            edge = any(
                area.bottom == MAX_ROW or area.right == MAX_COLUMN for area in prepared.areas
            )
            if edge and self._result(prepared, margin=1) != value:
                return False
        except Exception:  # the library raises many kinds for what it cannot do
            return False
        kind = self._time_kind(key)
        if kind is not None and isinstance(value, float):
            self._numbers[key] = value
            value = _as_calamine_reads(value, kind, self._date1904)
        self._grid.set(*key, value)
        return True

    def _result(self, prepared: _Prepared, margin: int = 0) -> CellValue:
        arguments = (self._argument(area, margin) for area in prepared.areas)
        return _from_library(prepared.function(*arguments))

    def _argument(self, area: Area, margin: int) -> Any:
        # Precedents are evaluated before an area is read, so its values are final here.
        if (area, margin) not in self._blocks:
            import numpy as np

            block = self._grid.block(area.tab or "", area, margin)
            self._blocks[area, margin] = np.array(
                [[_to_library(value, self._date1904) for value in row] for row in block],
                dtype=object,
            )
        return self._blocks[area, margin]


def _compile(text: str, parsed: ParsedFormula) -> _Compiled | None:
    """Compile a formula, and tie each of the library's inputs to one of its references."""
    import formulas

    try:
        function = formulas.Parser().ast(text)[1].compile()
    except Exception:  # parse and compile errors come as several exception types
        return None
    sources = []
    reusable = True
    for name in function.inputs:
        area = parse_area(name)
        matches = [
            index
            for index, reference in enumerate(parsed.references)
            if (reference == name.upper() if area is None else _same_place(reference, area))
        ]
        if not matches:
            return None
        # The library merges references to one cell; a copy elsewhere may need them apart.
        reusable = reusable and len({parsed.relatives[index] for index in matches}) == 1
        sources.append(matches[0])
    return _Compiled(function, tuple(sources), reusable)


def _same_place(reference: Reference, area: Area) -> bool:
    if not isinstance(reference, Area):
        return False
    same_tab = (reference.tab or "").upper() == (area.tab or "").upper()
    return same_tab and (reference.top, reference.left, reference.bottom, reference.right) == (
        area.top,
        area.left,
        area.bottom,
        area.right,
    )


def _to_library(value: CellValue, date1904: bool) -> Any:
    import schedula
    from formulas.tokens.operand import Error

    if value is None:
        return schedula.EMPTY
    if isinstance(value, CellError):
        return Error.errors.get(value.code, Error.errors["#VALUE!"])
    if isinstance(value, dt.date):
        return _serial_from_date(value, date1904)
    return value


def _from_library(result: Any) -> CellValue:
    """The library's answer as a cell value; raises Unevaluable for what Excel would differ on."""
    import numpy as np
    import schedula
    from formulas.tokens.operand import XlError

    while isinstance(result, np.ndarray):
        result = result.flat[0] if result.size else schedula.EMPTY
    if result is schedula.EMPTY:
        return 0  # Excel shows a reference to an empty cell as 0
    if isinstance(result, XlError):
        if str(result) == "#NAME?":  # a function the library lacks, most likely
            raise Unevaluable(str(result))
        return CellError(str(result))
    if isinstance(result, bool | np.bool_):
        return bool(result)
    if isinstance(result, int | float | np.number):
        number = float(result)  # as calamine reads stored numbers
        return number if math.isfinite(number) else CellError("#NUM!")
    if isinstance(result, str):
        return result or None  # an empty text result reads as a blank cell, as calamine has it
    raise Unevaluable(f"unexpected result {result!r}")


def _serial_from_date(value: dt.date, date1904: bool) -> float:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, to_excel

    return to_excel(value, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900)


_MILLISECONDS_A_DAY = 86_400_000


def _as_calamine_reads(serial: float, kind: str, date1904: bool) -> CellValue:
    """A number in a date or duration cell as calamine reads it once stored.

    The same value must read the same whether it was worked out or stored, or every sync
    would rewrite what it says about the cell.
    """
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    try:
        # calamine keeps times to the millisecond, and of a "date" below 1 only the time.
        if kind == "duration":
            return str(dt.timedelta(milliseconds=round(serial * _MILLISECONDS_A_DAY)))
        if serial < 1:
            since_midnight = dt.timedelta(milliseconds=round(serial % 1 * _MILLISECONDS_A_DAY))
            return str((dt.datetime.min + since_midnight).time())
        moment = from_excel(serial, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900)
    except (ValueError, OverflowError):  # beyond the calendar: calamine reads a number
        return serial
    return moment.date() if serial.is_integer() else moment


@contextmanager
def _quiet_library() -> Iterator[None]:
    """schedula logs every function the library lacks as an error; here that is expected."""
    logger = logging.getLogger("schedula")  # its modules' loggers inherit this level
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def formulas_reading(
    formulas: dict[Key, str | None],
    changed: set[Key],
    defined_names: dict[tuple[str, str | None], str],
    tab_names: Callable[[str], str | None],
) -> set[Key]:
    """The formula cells whose result may change when `changed` cells change, transitively.

    A formula that cannot be parsed is counted in when it sits on a changed tab or names
    one, since its references are unknown.
    """
    readers = _Readers()
    changed_tabs = {tab.upper() for tab, _, _ in changed}
    affected: set[Key] = set()
    for key, text in formulas.items():
        areas = _areas_read(key, text, defined_names, tab_names)
        if areas is None:
            if _mentions_tab(key, text, changed_tabs):
                affected.add(key)
        else:
            readers.add(key, areas)
    # Each changed cell once: a running total down 10k rows is one pass, not 10k.
    queue = [*changed, *affected]
    while queue:
        for reader in readers.of(queue.pop()):
            if reader not in affected and reader not in changed:
                affected.add(reader)
                queue.append(reader)
    return affected


class _Readers:
    """Which formulas read a cell: one-row areas cell by cell, taller areas by column."""

    def __init__(self) -> None:
        self._by_cell: dict[Key, list[Key]] = {}
        self._by_column: dict[tuple[str, int], list[tuple[int, int, Key]]] = {}
        self._by_row: list[tuple[Area, Key]] = []  # areas as wide as whole rows

    def add(self, formula: Key, areas: list[Area]) -> None:
        for area in areas:
            tab = area.tab or ""
            if area.right == MAX_COLUMN:
                self._by_row.append((area, formula))
            elif area.top == area.bottom:
                for column in range(area.left, area.right + 1):
                    self._by_cell.setdefault((tab, area.top, column), []).append(formula)
            else:
                for column in range(area.left, area.right + 1):
                    spans = self._by_column.setdefault((tab, column), [])
                    spans.append((area.top, area.bottom, formula))

    def of(self, cell: Key) -> list[Key]:
        tab, row, column = cell
        found = list(self._by_cell.get(cell, ()))
        found += [
            f for top, bottom, f in self._by_column.get((tab, column), ()) if top <= row <= bottom
        ]
        found += [
            f for area, f in self._by_row if area.tab == tab and area.top <= row <= area.bottom
        ]
        return found


def _areas_read(
    key: Key,
    text: str | None,
    defined_names: dict[tuple[str, str | None], str],
    tab_names: Callable[[str], str | None],
) -> list[Area] | None:
    """Absolute areas a formula reads, or None when they cannot be known."""
    if text is None:
        return None
    tab, row, column = key
    try:
        parsed = parse_formula(text, row, column)
    except Unevaluable:
        return None
    areas = []
    for reference in parsed.references:
        area = (
            resolve_name(reference, tab, defined_names) if isinstance(reference, str) else reference
        )
        if area is None:
            return None
        grid_tab = tab_names(area.tab) if area.tab else tab
        if grid_tab is not None:  # a tab that does not exist holds nothing sheetsync writes
            areas.append(area.on(grid_tab))
    return areas


def _mentions_tab(key: Key, text: str | None, changed_tabs: set[str]) -> bool:
    return key[0].upper() in changed_tabs or any(
        tab in (text or "").upper() for tab in changed_tabs
    )
