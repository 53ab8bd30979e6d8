"""The local .xlsx backend: python-calamine reads, openpyxl writes, one rename saves.

read() takes every value from python-calamine (ten times faster than openpyxl) and scans
the sheet XML beside it for what calamine cannot report: formula errors, and formulas
without a stored result (xlsx_package, xlsx_formulas).

apply() loads the whole file with openpyxl, which keeps what sheetsync does not own
(styles, comments, validation, conditional formats, widths, names, other tabs), writes
the plan's cells, puts every formula's result back (openpyxl would drop them: see
xlsx_formulas), and replaces the file with one rename, so a crash leaves the old file whole.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import tempfile
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import python_calamine

from sheetsync.backends import WorkbookChanged, WorkbookUnreachable
from sheetsync.backends.xlsx_formulas import Evaluator, Grid, Key, formulas_reading
from sheetsync.backends.xlsx_integrity import check_parts, damaged, opened_archive
from sheetsync.backends.xlsx_package import (
    FormulaCell,
    PackageInfo,
    SheetCells,
    add_extensions,
    dropped_extensions,
    read_package_info,
    scan_sheet,
    time_styles,
    write_cached_values,
)
from sheetsync.workbook import (
    CellError,
    CellValue,
    CellWrite,
    Guard,
    Tab,
    Workbook,
    WritePlan,
    a1,
    guard_text,
)

if TYPE_CHECKING:
    from openpyxl import Workbook as OpenpyxlWorkbook
    from openpyxl.cell.cell import Cell
    from openpyxl.styles.cell_style import StyleArray

_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and old .xls files
_ZIP_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_MACRO_SUFFIXES = (".xlsm", ".xltm")

_NUMBER_FORMATS = {"percent": "0%", "money": "#,##0.00", "date": "yyyy-mm-dd"}
_OWNED_HEADER_FILL = "D9D9D9"  # the grey `sheetsync init` gives owned headers
_OWNED_HEADER_NOTE = "Filled in by sheetsync — edits here are overwritten."
_NOTE_AUTHOR = "sheetsync"


class XlsxBackend:
    """A workbook in a local .xlsx (or .xlsm) file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def read(self) -> Workbook:
        """Every tab as typed values. Raises WorkbookUnreachable with the fix."""
        data, version = _file_bytes(self.path)
        snapshot = _read(self.path, data, all_formulas=False)
        if not _same_version(self.path, version):  # saved meanwhile: read the new one whole
            data, version = _file_bytes(self.path)
            snapshot = _read(self.path, data, all_formulas=False)
        return snapshot.workbook

    def apply(self, plan: WritePlan) -> None:
        """Write the plan's tabs and cells, all or nothing; see the Backend protocol."""
        if not plan:
            return
        target = Path(os.path.realpath(self.path))  # write through a symlink, keep the link
        _refuse_if_open_elsewhere(self.path, target)
        _refuse_if_read_only(self.path, target)
        data, before = _file_bytes(self.path)
        # The full read ends with _patches, so it is freed before openpyxl loads the whole file.
        patches = _patches(self.path, data, plan)
        saved = _written_by_openpyxl(self.path, data, target, plan, patches.results.uncertain)
        _replace(self.path, target, _patched(saved, patches), before)


# Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """One read of the file: its bytes, what it holds, and its formulas."""

    data: bytes
    workbook: Workbook
    grid: Grid  # every value, as rows that can grow
    package: PackageInfo
    formulas: dict[Key, FormulaCell]
    uncertain: frozenset[Key]  # formula cells whose value is neither stored nor worked out


def _file_bytes(path: Path) -> tuple[bytes, os.stat_result]:
    """The whole file, once, so every reader sees the same version, and that version's stat."""
    try:
        with path.open("rb") as file:
            version = os.fstat(file.fileno())
            data = file.read()
    except FileNotFoundError:
        raise WorkbookUnreachable(
            f"{path} was not found; check the path, or run "
            f"`sheetsync init --path {path}` to make a new workbook there."
        ) from None
    except IsADirectoryError:
        raise WorkbookUnreachable(
            f"{path} is a folder, not a workbook; give the path of the .xlsx file inside it."
        ) from None
    except PermissionError:
        raise WorkbookUnreachable(
            f"sheetsync is not allowed to read {path}; ask its owner for read access, "
            "or run sheetsync as a user who can read it."
        ) from None
    except OSError as error:
        raise WorkbookUnreachable(
            f"{path} could not be read ({error.strerror}); check the disk or share it is on "
            "and run sheetsync again."
        ) from None
    if data.startswith(_OLE2_SIGNATURE):
        raise WorkbookUnreachable(_ole2_problem(path, data))
    if not data.startswith(_ZIP_SIGNATURE):
        raise _not_a_workbook(path)
    opened_archive(path, data).close()  # before anything unpacks it: a bomb stops here
    return data, version


def _ole2_problem(path: Path, data: bytes) -> str:
    if _ENCRYPTED_STREAM in data:
        return (
            f"{path} is password-protected, so sheetsync cannot read it; save a copy without "
            "the password and point sheetsync at that copy."
        )
    return (
        f"{path} is an old Excel 97-2003 workbook (.xls); open it in Excel or LibreOffice "
        "and save it as an Excel Workbook (.xlsx)."
    )


def _not_a_workbook(path: Path) -> WorkbookUnreachable:
    return WorkbookUnreachable(
        f"{path} is not an Excel workbook (it may be a CSV or another file renamed "
        f"{path.suffix or '.xlsx'}); open it in Excel or LibreOffice and save it as an Excel "
        "Workbook (.xlsx)."
    )


def _read(path: Path, data: bytes, all_formulas: bool) -> _Snapshot:
    """Values by calamine from the file, errors and formulas from `data`, its bytes."""
    # python-calamine parses without the GIL, so the XML scan costs no time beside it.
    # It reads the file itself: fed from memory it would wait for the GIL on every read.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanning = pool.submit(_scan_package, path, data, all_formulas)
        try:
            rows = _calamine_rows(path)
        except python_calamine.CalamineError as error:
            scanning.result()  # a damaged part is named there; else calamine's own reason
            raise _unreadable(path, str(error)) from None
        package, cells = scanning.result()
    grid = Grid(rows)
    for tab, sheet in cells.items():
        if tab in rows:
            for (row, column), code in sheet.errors.items():
                grid.set(tab, row, column, CellError(code))
    formulas = {
        (tab, row, column): formula
        for tab, sheet in cells.items()
        if tab in rows
        for (row, column), formula in sheet.formulas.items()
    }
    trusted = not package.full_calc_on_load
    pending = {key for key, formula in formulas.items() if not (trusted and formula.has_value)}
    uncertain = _evaluate(data, grid, package, formulas, pending) if pending else frozenset()
    workbook = Workbook(
        title=path.stem,
        tabs=tuple(Tab(name, _trimmed(grid_rows)) for name, grid_rows in rows.items()),
    )
    return _Snapshot(data, workbook, grid, package, formulas, uncertain)


def _unreadable(path: Path, reason: str) -> WorkbookUnreachable:
    if "macrosheets" in reason:
        return WorkbookUnreachable(
            f"{path} holds an Excel 4.0 macro sheet, which sheetsync cannot read; keep the "
            "Strategy and Plan tabs in a workbook without it."
        )
    return damaged(path, f"a part of it cannot be read ({reason})")


def _scan_package(
    path: Path, data: bytes, all_formulas: bool
) -> tuple[PackageInfo, dict[str, SheetCells]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        check_parts(path, archive)
        try:
            package = read_package_info(archive)
        except KeyError:  # a zip file, but no workbook inside
            raise WorkbookUnreachable(
                f"{path} is a zip archive without the parts of an Excel workbook; if Excel or "
                "LibreOffice opens it, save it from there as an Excel Workbook (.xlsx) and run "
                "sheetsync again."
            ) from None
        members = set(archive.namelist())
        # Results stored by a writer that asks for recalculation are placeholders: read all.
        all_formulas = all_formulas or package.full_calc_on_load
        cells = {
            tab: scan_sheet(archive.read(part), all_formulas)
            for tab, part in package.sheet_parts.items()
            if part in members
        }
    return package, cells


def _calamine_rows(path: Path) -> dict[str, list[list[CellValue]]]:
    book = python_calamine.CalamineWorkbook.from_path(path)
    worksheets = [
        sheet.name
        for sheet in book.sheets_metadata
        if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]
    rows = {}
    for name in worksheets:
        try:
            values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except OverflowError:  # a duration of more than a billion days, beyond Python's
            values = _openpyxl_values(path, name)
        rows[name] = [_cells(row) for row in values]
    return rows


def _openpyxl_values(path: Path, tab: str) -> list[list[Any]]:
    """One sheet read by openpyxl, dates and durations as the numbers stored, "" for blanks."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        book._date_formats = book._timedelta_formats = set()  # read as stored, never overflow
        return [
            ["" if v is None else v for v in row] for row in book[tab].iter_rows(values_only=True)
        ]
    finally:
        book.close()


# No column type above the seam reads a time of day or a duration; they pass as text.
_TEXT_LIKE = frozenset({dt.time, dt.timedelta})


def _cells(row: list[Any]) -> list[CellValue]:
    """One calamine row as cell values ("" is empty), without trailing blanks."""
    # One inline expression per cell: this loop runs for every cell of every read.
    cells = [
        None if value == "" else value if value.__class__ not in _TEXT_LIKE else str(value)
        for value in row
    ]
    return _drop_trailing_blanks(cells)


def _drop_trailing_blanks(cells: list[CellValue]) -> list[CellValue]:
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def _trimmed(rows: list[list[CellValue]]) -> tuple[tuple[CellValue, ...], ...]:
    """The rows without trailing blanks, up to the last one holding a value."""
    for cells in rows:
        if cells and cells[-1] is None:  # only where a formula's result was blank
            _drop_trailing_blanks(cells)
    last = len(rows)
    while last and not rows[last - 1]:
        last -= 1
    return tuple(map(tuple, rows[:last]))


def _evaluate(
    data: bytes,
    grid: Grid,
    package: PackageInfo,
    formulas: dict[Key, FormulaCell],
    pending: set[Key],
) -> frozenset[Key]:
    """Work out the pending formulas into the grid; returns those that could not be."""
    texts = {key: formula.text for key, formula in formulas.items()}
    # A formula that fails keeps what the file stored (xlsxwriter's 0), known as unreliable.
    return frozenset(_evaluator(data, grid, package, formulas, texts).evaluate(pending))


def _evaluator(
    data: bytes,
    grid: Grid,
    package: PackageInfo,
    formulas: dict[Key, FormulaCell],
    texts: dict[Key, str | None],
) -> Evaluator:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        kinds = time_styles(archive, package.styles_part)
    return Evaluator(
        grid,
        texts,
        package.defined_names,
        lambda key: kinds.get(formulas[key].style),  # a number there reads as a date
        package.date1904,
    )


# Writing ---------------------------------------------------------------------------------


def _lock_files(path: Path) -> list[Path]:
    """The files Excel (~$name, or ~$ over the first two letters) and LibreOffice leave."""
    name = path.name
    names = [f"~${name}", f"~${name[2:]}", f".~lock.{name}#"]
    return [path.with_name(lock) for lock in names]


def _refuse_if_open_elsewhere(path: Path, target: Path) -> None:
    for lock in _lock_files(target):
        if lock.exists():
            raise WorkbookUnreachable(
                f"{path.name} is open in Excel or LibreOffice (lock file {lock.name}). "
                "Close it there and run sync again; nothing was written."
            )


def _refuse_if_read_only(path: Path, target: Path) -> None:
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return  # reading the file will say what is wrong with it
    # No write bit at all is a file someone marked read-only; respect it even as root.
    if not os.access(target, os.W_OK) or not mode & 0o222:
        raise WorkbookUnreachable(
            f"{path} is read-only; allow writing to it (clear Read-only in its properties, "
            f"or chmod u+w {path}) and run sync again; nothing was written."
        )


def _check_guards(path: Path, guards: tuple[Guard, ...], workbook: Workbook) -> None:
    for guard in guards:
        tab = _find_tab(workbook, guard.tab)
        if tab is None:
            raise WorkbookChanged(
                f"The {guard.tab} tab is no longer in {path}, so nothing was written; "
                "run sync again."
            )
        now = guard_text(tab.value(guard.row, guard.column))
        expected = guard_text(guard.expected)
        if now != expected:
            raise WorkbookChanged(
                f"Cell {a1(guard.row, guard.column)} on the {tab.name} tab of {path} changed "
                f'from "{expected}" to "{now}" while sheetsync was working, so nothing was '
                "written; run sync again."
            )


def _find_tab(workbook: Workbook, name: str) -> Tab | None:
    exact = [tab for tab in workbook.tabs if tab.name == name]
    return exact[0] if exact else workbook.find_tab(name)


@dataclass(frozen=True, slots=True)
class _Patches:
    """What openpyxl's output lacks: formula results, and validations it drops."""

    results: _FormulaResults
    extensions: dict[str, bytes]  # tab -> the extension elements to put back


def _patches(path: Path, data: bytes, plan: WritePlan) -> _Patches:
    """Check the guards on the file as it is now, and work out what openpyxl's output lacks."""
    snapshot = _read(path, data, all_formulas=True)
    _check_guards(path, plan.guards, snapshot.workbook)
    return _Patches(_formula_results(snapshot, plan), _dropped_extensions(snapshot))


def _written_by_openpyxl(
    path: Path, data: bytes, target: Path, plan: WritePlan, uncertain: frozenset[Key]
) -> bytes:
    """The file loaded by openpyxl, with the plan's tabs and cells written, as .xlsx bytes."""
    book = _load_for_writing(path, data, target)
    _share_formats(book)
    _create_tabs(book, plan)
    _write_cells(path, book, plan.writes)
    return _saved(book, recalculate=bool(uncertain))


def _load_for_writing(path: Path, data: bytes, target: Path) -> OpenpyxlWorkbook:
    from openpyxl.reader.excel import ExcelReader

    class NumbersAsStored(ExcelReader):  # type: ignore[misc]
        def read_worksheets(self) -> None:
            # openpyxl turns date-formatted numbers into datetimes and back on save, which
            # changes some (a negative "date" becomes 0); as numbers they stay as they are.
            self.wb._date_formats = set()
            self.wb._timedelta_formats = set()
            super().read_worksheets()

    reader = NumbersAsStored(
        io.BytesIO(data),
        keep_vba=target.suffix.lower() in _MACRO_SUFFIXES,
        keep_links=True,
        rich_text=True,
    )
    with warnings.catch_warnings():
        # openpyxl warns that it drops these; _patched puts them back. Other losses still warn.
        warnings.filterwarnings("ignore", "Data Validation extension", UserWarning)
        try:
            reader.read()
        except (ValueError, KeyError, TypeError, IndexError, OSError):
            # Parts calamine did not need, in a shape openpyxl's object model rejects.
            raise WorkbookUnreachable(
                f"sheetsync cannot rewrite {path}: a part of it is not as Excel writes it; "
                "open it in Excel or LibreOffice, save it again, and run sync again; "
                "nothing was written."
            ) from None
    return reader.wb


def _share_formats(book: OpenpyxlWorkbook) -> None:
    """One format array per distinct format, where openpyxl gives every cell it reads a copy.

    The copies are 30% of what openpyxl holds (140 MiB for 100k tactics); freed, they make
    room for the writes. openpyxl restyles a cell by changing its array in place, so
    _write_cells gives each cell it writes an array of its own first.
    """
    shared: dict[StyleArray | None, StyleArray | None] = {}
    for sheet in book.worksheets:
        for cell in sheet._cells.values():
            cell._style = shared.setdefault(cell._style, cell._style)


def _create_tabs(book: OpenpyxlWorkbook, plan: WritePlan) -> None:
    existing = {name.casefold() for name in book.sheetnames}
    for name in plan.new_tabs:
        if name.casefold() in existing:
            continue
        sheet = book.create_sheet(name)
        frozen = plan.frozen_rows.get(name, 0)
        if frozen:
            sheet.freeze_panes = a1(frozen + 1, 1)


def _write_cells(path: Path, book: OpenpyxlWorkbook, writes: tuple[CellWrite, ...]) -> None:
    from copy import copy

    from openpyxl.cell.cell import MergedCell

    sheets = {name.casefold(): book[name] for name in book.sheetnames}
    for write in writes:
        sheet = (
            book[write.tab] if write.tab in book.sheetnames else sheets.get(write.tab.casefold())
        )
        if sheet is None:
            raise WorkbookChanged(
                f"The {write.tab} tab is no longer in {path}, so nothing was written; "
                "run sync again."
            )
        cell = sheet.cell(row=write.row, column=write.column)
        if isinstance(cell, MergedCell):
            raise WorkbookUnreachable(
                f"Cell {write.a1} on the {sheet.title} tab of {path} is part of merged cells, "
                "so sheetsync cannot fill it in; unmerge those cells and run sync again."
            )
        cell._style = copy(cell._style)  # its own: _share_formats left it shared
        _set_value(cell, _stored_value(write))
        _set_look(cell, write)


def _stored_value(write: CellWrite) -> str | int | float | dt.date | None:
    """The value as the cell should hold it: a date kind written as ISO text is a real date."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = write.value
    if not isinstance(value, str):
        return value
    if write.kind == "date":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters would corrupt the file


def _set_value(cell: Cell, value: str | int | float | dt.date | None) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # "=IMPORTXML(...)" typed by a user stays text, never a formula


def _set_look(cell: Cell, write: CellWrite) -> None:
    from copy import copy

    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if write.kind in _NUMBER_FORMATS:
        cell.number_format = _NUMBER_FORMATS[write.kind]
    elif write.kind == "header":
        font = copy(cell.font)
        font.bold = True
        cell.font = font
        cell.fill = PatternFill(fill_type="solid", fgColor=_OWNED_HEADER_FILL)
        cell.comment = Comment(_OWNED_HEADER_NOTE, _NOTE_AUTHOR)


@dataclass(frozen=True, slots=True)
class _FormulaResults:
    values: dict[Key, CellValue]  # every formula cell left in the workbook -> its result
    uncertain: frozenset[Key]  # results neither stored nor worked out
    date1904: bool


def _formula_results(snapshot: _Snapshot, plan: WritePlan) -> _FormulaResults:
    """Every formula's result after the writes: read ones, and those of formulas reading them."""
    if not snapshot.formulas:
        return _FormulaResults({}, frozenset(), snapshot.package.date1904)

    grid = snapshot.grid
    written = set()
    for write in plan.writes:
        tab = _grid_tab(grid, write.tab)
        if tab is not None:  # a new tab: no formula reads it yet
            grid.set(tab, write.row, write.column, _stored_value(write))
            written.add((tab, write.row, write.column))
    texts = {key: formula.text for key, formula in snapshot.formulas.items() if key not in written}
    affected = (
        formulas_reading(texts, written, snapshot.package.defined_names, grid.tab_name)
        if written
        else set()
    )
    failed = set()
    if affected:
        evaluator = _evaluator(snapshot.data, grid, snapshot.package, snapshot.formulas, texts)
        failed = evaluator.evaluate(affected)
    values = {key: None if key in failed else grid.get(*key) for key in texts}
    uncertain = (snapshot.uncertain - written - affected) | failed
    return _FormulaResults(values, frozenset(uncertain), snapshot.package.date1904)


def _grid_tab(grid: Grid, tab: str) -> str | None:
    return tab if tab in grid.tabs else grid.tab_name(tab)


def _saved(book: OpenpyxlWorkbook, recalculate: bool) -> bytes:
    """The workbook as openpyxl writes it, set to recalculate on open if results are unknown."""
    from openpyxl.workbook.properties import CalcProperties

    if recalculate:
        # Results sheetsync could not work out: Excel and LibreOffice recalculate on open.
        book.calculation = book.calculation or CalcProperties()
        book.calculation.fullCalcOnLoad = True
    elif book.calculation is not None:
        book.calculation.fullCalcOnLoad = False  # every stored result is now a real one
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _dropped_extensions(snapshot: _Snapshot) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(snapshot.data)) as archive:
        found = {
            tab: dropped_extensions(archive.read(part))
            for tab, part in snapshot.package.sheet_parts.items()
        }
    return {tab: extensions for tab, extensions in found.items() if extensions}


def _patched(saved: bytes, patches: _Patches) -> bytes:
    """openpyxl's output with each sheet's formula results and extensions written in."""
    values: dict[str, dict[tuple[int, int], CellValue]] = {}
    for (tab, row, column), value in patches.results.values.items():
        if value is not None:
            values.setdefault(tab, {})[(row, column)] = value
    extensions = patches.extensions
    if not values and not extensions:
        return saved
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(saved)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        tabs = {part: tab for tab, part in read_package_info(source).sheet_parts.items()}
        for info in source.infolist():
            content = source.read(info)
            sheet_tab = tabs.get(info.filename)
            if sheet_tab in values:
                content = write_cached_values(content, values[sheet_tab], patches.results.date1904)
            if sheet_tab in extensions:
                content = add_extensions(content, extensions[sheet_tab])
            target.writestr(info, content)
    return output.getvalue()


def _replace(path: Path, target: Path, data: bytes, before: os.stat_result) -> None:
    """Write beside the file, flush to disk, and rename over it; on failure leave it whole."""
    try:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".sheetsync-tmp"
        )
    except OSError as error:
        raise WorkbookUnreachable(
            f"sheetsync cannot save {path}: its folder {target.parent} does not let it create "
            f"files ({error.strerror}); allow writing there and run sync again."
        ) from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, stat.S_IMODE(before.st_mode))
        _refuse_if_changed(path, target, before)
        os.replace(temporary, target)
    except OSError as error:
        raise WorkbookUnreachable(
            f"sheetsync could not save {path} ({error.strerror}), so it was left as it was; "
            "fix that and run sync again."
        ) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    _sync_folder(target.parent)


def _same_version(path: Path, version: os.stat_result) -> bool:
    now = os.stat(path)
    return (now.st_mtime_ns, now.st_size, now.st_ino) == (
        version.st_mtime_ns,
        version.st_size,
        version.st_ino,
    )


def _refuse_if_changed(path: Path, target: Path, before: os.stat_result) -> None:
    # The values were read from this version; another one must not be replaced unseen.
    if not _same_version(target, before):
        raise WorkbookChanged(
            f"{path} was saved by someone else while sheetsync was writing, so nothing was "
            "written; run sync again."
        )


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; some file systems cannot, and that is no failure."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
