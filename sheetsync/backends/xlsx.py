"""The local .xlsx backend: python-calamine reads, the package is edited in place, one
rename saves.

read() takes every value from python-calamine (ten times faster than openpyxl) and scans
the sheet XML beside it for what calamine cannot report: formula errors, and formulas
without a stored result (xlsx_package, xlsx_formulas).

apply() checks the plan against the file as it is now and hands xlsx_edit the cells to
write: only those cells, and the formulas that read them (worked out again here, so every
reader sees their new results), change; every other part of the file stays byte for byte.
The new file replaces the old with one rename, so a crash leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_calamine

from sheetsync.backends import WorkbookChanged, WorkbookUnreachable
from sheetsync.backends.local_file import (
    account,
    keep_owner_and_mode,
    may_change_mode,
    new_file_beside,
    refuse_if_a_save_would_change_it,
)
from sheetsync.backends.xlsx_edit import NewTab, PackageEdit, edit_package
from sheetsync.backends.xlsx_formulas import Evaluator, Grid, Key, formulas_reading
from sheetsync.backends.xlsx_integrity import check_archive, check_parts, damaged
from sheetsync.backends.xlsx_package import (
    FormulaCell,
    PackageInfo,
    SheetCells,
    read_package_info,
    scan_sheet,
    time_styles,
)
from sheetsync.backends.xlsx_sheet_edit import NewCell, OwnedCell, SheetEdit, serial_number
from sheetsync.backends.xlsx_zip import read_chunks
from sheetsync.errors import tab_added_meanwhile
from sheetsync.workbook import (
    CellError,
    CellKey,
    CellValue,
    CellWrite,
    Guard,
    Tab,
    Workbook,
    WritePlan,
    a1,
    guard_text,
    matching_name,
)

_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and old .xls files
_ZIP_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


class XlsxBackend:
    """A workbook in a local .xlsx (or .xlsm) file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        # The last read's bytes and scan: a write finding the same bytes skips scanning them
        # again (at 100k tactics, inflating and searching 60 MB of sheet XML).
        self._scanned: _Scan | None = None
        self._read: Workbook | None = None  # the last read, whose formulas a dry run names

    def read(self) -> Workbook:
        """Every tab as typed values. Raises WorkbookUnreachable with the fix."""
        data, version = _file_bytes(self.path)
        # Every formula is looked for (one pass over each sheet's XML), so a dry run can say
        # when a write would replace a user's formula in an owned cell.
        snapshot = _read(self.path, data)
        if not _same_version(self.path, version):  # saved meanwhile: read the new one whole
            data, version = _file_bytes(self.path)
            snapshot = _read(self.path, data)
        self._scanned = snapshot.scan
        self._read = snapshot.workbook
        return snapshot.workbook

    def formulas(self, cells: Collection[CellKey]) -> dict[CellKey, str]:
        """From the last read, which looked for every formula (see the Backend protocol)."""
        return self._read.formulas_in(cells) if self._read is not None else {}

    def apply(self, plan: WritePlan) -> None:
        """Write the plan's tabs and cells, all or nothing; see the Backend protocol."""
        if not plan:
            return
        target = Path(os.path.realpath(self.path))  # write through a symlink, keep the link
        _refuse_if_open_elsewhere(self.path, target)
        _refuse_if_read_only(self.path, target)
        data, before = _file_bytes(self.path)
        scanned, self._scanned = self._scanned, None
        if scanned is not None and scanned.data == data:
            data = scanned.data  # one copy of the file in memory, not two
        else:
            scanned = None
        _replace(self.path, target, _edited(self.path, data, plan, scanned), before)


# Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scan:
    """What `_scan_package` found in these bytes."""

    data: bytes
    package: PackageInfo
    sheets: dict[str, SheetCells]
    # Every value as read, when the workbook has formulas: a write that feeds one works out
    # its new result from these instead of reading the file again.
    grid: Grid | None


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """One read of the file: its bytes, what it holds, and its formulas."""

    data: bytes
    workbook: Workbook
    grid: Grid  # every value, as rows that can grow
    package: PackageInfo
    formulas: dict[Key, FormulaCell]
    uncertain: frozenset[Key]  # formula cells whose value is neither stored nor worked out
    scan: _Scan


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
    check_archive(path, data)  # before anything unpacks it: a bomb stops here
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


def _read(path: Path, data: bytes) -> _Snapshot:
    """Values by calamine from the file, errors and formulas from `data`, its bytes."""
    # python-calamine parses without the GIL, so the XML scan costs no time beside it.
    # It reads the file itself: fed from memory it would wait for the GIL on every read.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanning = pool.submit(_scan_package, path, data)
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
        formulas={key: formula.text for key, formula in formulas.items() if formula.text},
        charts=package.chart_sheets,
    )
    scan = _Scan(data, package, cells, grid if formulas else None)
    return _Snapshot(data, workbook, grid, package, formulas, uncertain, scan)


def _unreadable(path: Path, reason: str) -> WorkbookUnreachable:
    if "macrosheets" in reason:
        return WorkbookUnreachable(
            f"{path} holds an Excel 4.0 macro sheet, which sheetsync cannot read; keep the "
            "Strategy and Plan tabs in a workbook without it."
        )
    return damaged(path, f"a part of it cannot be read ({reason})")


def _scan_package(
    path: Path, data: bytes, formulas_only: bool = False
) -> tuple[PackageInfo, dict[str, SheetCells]]:
    """What the package says, and each sheet's error and formula cells.

    `formulas_only` (for writing) skips the sheets without formulas unread: the scan would
    hold a whole sheet's XML, 60 MB for 100k tactics.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # The sheets are unpacked once, scanned as they are checked (a write scans only the
        # sheets with formulas, so it checks them as any part and reads those again).
        scan = None if formulas_only else scan_sheet
        scanned = check_parts(path, archive, scan, _is_a_sheet)
        try:
            package = read_package_info(archive)
        except KeyError:  # a zip file, but no workbook inside
            raise WorkbookUnreachable(
                f"{path} is a zip archive without the parts of an Excel workbook; if Excel or "
                "LibreOffice opens it, save it from there as an Excel Workbook (.xlsx) and run "
                "sheetsync again."
            ) from None
        members = set(archive.namelist())
        cells = {
            tab: scanned[part] if part in scanned else scan_sheet(archive.read(part))
            for tab, part in package.sheet_parts.items()
            if part in members and not (formulas_only and not _holds_formulas(archive, part))
        }
    return package, cells


def _is_a_sheet(part: str) -> bool:
    """Where Excel, LibreOffice, Google and openpyxl put a sheet's XML (a sheet elsewhere is
    unpacked again to be scanned, no more)."""
    return part.startswith("xl/worksheets/") and part.endswith(".xml")


_FORMULA_TAG = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")


def _holds_formulas(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether a sheet has a formula element, read in pieces (a tag may span two)."""
    tail = b""
    for chunk in read_chunks(archive, part):
        if _FORMULA_TAG.search(tail + chunk[:64]) or _FORMULA_TAG.search(chunk):
            return True
        tail = chunk[-64:]
    return False


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
            values = _openpyxl_values(path, name, times=False)
        except python_calamine.CalamineError as error:
            if "Unsupported cell error value" not in str(error):
                raise
            # Excel 365's newer errors (#SPILL!, #CALC!...), which calamine refuses; the
            # package scan gives every error cell its code.
            values = _openpyxl_values(path, name, times=True)
        rows[name] = [_cells(row) for row in values]
    return rows


def _openpyxl_values(path: Path, tab: str, times: bool) -> list[list[Any]]:
    """One sheet read by openpyxl as calamine reads it ("" for blanks, numbers as floats, a
    date without a time as a date); dates and durations as the numbers stored (never
    overflowing) unless `times`."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if not times:
            book._date_formats = book._timedelta_formats = set()
        return [list(map(_as_calamine_reads, row)) for row in book[tab].iter_rows(values_only=True)]
    finally:
        book.close()


def _as_calamine_reads(value: Any) -> Any:
    if value is None:
        return ""
    if type(value) is int:
        return float(value)
    if type(value) is dt.datetime and value.time() == dt.time():
        return value.date()
    return value


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
        info = os.stat(target)
    except OSError:
        return  # reading the file will say what is wrong with it
    # No write bit at all is a file someone marked read-only; respect it even as root.
    if os.access(target, os.W_OK) and info.st_mode & 0o222:
        return
    if may_change_mode(info):
        raise WorkbookUnreachable(
            f"{path} is read-only; allow writing to it (clear Read-only in its properties, "
            f"or chmod u+w {path}) and run sync again; nothing was written."
        )
    owner = account(info.st_uid)
    raise WorkbookUnreachable(
        f"{path} belongs to {owner}, who has not let {account(os.geteuid())} write to it; ask "
        f"{owner} for write access (or run sync as {owner}); nothing was written."
    )


def _edited(path: Path, data: bytes, plan: WritePlan, scanned: _Scan | None) -> bytes:
    """The file's bytes with the plan written, after checking its guards on those bytes.

    `scanned`: the scan of these very bytes by the read before, if there was one. Then every
    guarded cell holds what was read, as nothing changed since: the guards are not looked up
    (at 100k tactics, 100,000 row IDs found and parsed again).
    """
    if scanned is not None:
        package, cells = scanned.package, scanned.sheets
        guards: tuple[Guard, ...] = ()
    else:
        package, cells = _scan_package(path, data, formulas_only=True)
        guards = plan.guards
    tabs = _TabNames(package)
    change = PackageEdit(date1904=package.date1904)
    for name in plan.new_tabs:
        # A tab of that name saved meanwhile (a sheet, or a chart on its own) may be a user's.
        taken = tabs.find(name) or matching_name(package.chart_sheets, name)
        if taken is not None:
            raise tab_added_meanwhile(taken, str(path))
        change.new_tabs.append(NewTab(name, plan.frozen_rows.get(name, 0), SheetEdit()))
        tabs.add(name)
    edits: dict[str, SheetEdit] = {}  # as the plan names the tab -> its edit
    for write in plan.writes:
        edit = edits.get(write.tab)
        if edit is None:
            edit = edits[write.tab] = _sheet_edit(change, _existing_tab(path, tabs, write.tab))
        # The plan's own cell, unless its value is stored otherwise: 250k writes at 100k.
        cell: OwnedCell = write
        if write.kind == "date":
            stored = _stored_value(write, package.date1904)
            cell = write if stored is write.value else NewCell(stored, write.kind)
        edit.cells[(write.row, write.column)] = cell
        if write.kind == "header" and write.value is not None:
            change.notes.setdefault(tabs.find(write.tab) or write.tab, []).append(
                (write.row, write.column)
            )
    for guard in guards:
        tab = _existing_tab(path, tabs, guard.tab)
        _sheet_edit(change, tab).watched.add((guard.row, guard.column))
    formulas = {
        (tab, row, column): formula
        for tab, sheet in cells.items()
        for (row, column), formula in sheet.formulas.items()
    }
    grid = scanned.grid if scanned is not None else None
    results = _formula_results(path, data, package, formulas, plan, tabs, grid) if formulas else {}
    for (tab, row, column), value in results.items():
        _sheet_edit(change, tab).results[(row, column)] = value
    change.recalculate = bool(results)
    try:
        edited = edit_package(path, data, package, change)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise damaged(
            path, f"a part sheetsync writes is not as Excel writes it ({error})"
        ) from None
    _check_guards(path, guards, tabs, edited.watched)
    return edited.data


class _TabNames:
    """The workbook's worksheet names, found as the plan names them (case may differ)."""

    def __init__(self, package: PackageInfo) -> None:
        self._names = list(package.sheet_parts)

    def add(self, name: str) -> None:
        self._names.append(name)

    def find(self, name: str) -> str | None:
        return name if name in self._names else matching_name(self._names, name)


def _existing_tab(path: Path, tabs: _TabNames, name: str) -> str:
    found = tabs.find(name)
    if found is None:
        raise WorkbookChanged(
            f"The {name} tab is no longer in {path}, so nothing was written; run sync again."
        )
    return found


def _sheet_edit(change: PackageEdit, tab: str) -> SheetEdit:
    for new in change.new_tabs:
        if new.name == tab:
            return new.edit
    return change.sheets.setdefault(tab, SheetEdit(date1904=change.date1904))


def _check_guards(
    path: Path,
    guards: tuple[Guard, ...],
    tabs: _TabNames,
    found: dict[str, dict[tuple[int, int], CellValue]],
) -> None:
    for guard in guards:
        tab = _existing_tab(path, tabs, guard.tab)
        now = guard_text(found.get(tab, {}).get((guard.row, guard.column)))
        expected = guard_text(guard.expected)
        if now != expected:
            raise WorkbookChanged(
                f"Cell {a1(guard.row, guard.column)} on the {tab} tab of {path} changed "
                f'from "{expected}" to "{now}" while sheetsync was working, so nothing was '
                "written; run sync again."
            )


def _stored_value(write: CellWrite, date1904: bool) -> str | int | float | None:
    """The value as a date cell stores it: written as ISO text, it is the date's number."""
    value = write.value
    if isinstance(value, str):
        try:
            return serial_number(dt.date.fromisoformat(value), date1904)
        except ValueError:
            pass
    return value


def _formula_results(
    path: Path,
    data: bytes,
    package: PackageInfo,
    formulas: dict[Key, FormulaCell],
    plan: WritePlan,
    tabs: _TabNames,
    grid: Grid | None,
) -> dict[Key, CellValue]:
    """New results of the formulas that read a written cell (None where not worked out).

    Only those change: every other formula keeps the result the file stores. `grid`: the
    values the read before found in these bytes, if there was one; else, and only when there
    are such formulas, the whole workbook is read for them.
    """
    written = {(tabs.find(w.tab) or w.tab, w.row, w.column) for w in plan.writes}
    texts = {key: formula.text for key, formula in formulas.items() if key not in written}
    if not texts or not written:
        return {}
    names = {name.upper(): name for name in package.sheet_parts}
    affected = formulas_reading(
        texts, written, package.defined_names, lambda name: names.get(name.upper())
    )
    if not affected:
        return {}
    if grid is None:
        grid = _read(path, data).grid
    for write in plan.writes:
        tab = _grid_tab(grid, write.tab)
        if tab is not None:
            value = write.value
            if write.kind == "date" and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = dt.date.fromisoformat(value)  # type: ignore[assignment]
            grid.set(tab, write.row, write.column, value)
    evaluator = _evaluator(data, grid, package, formulas, texts)
    failed = evaluator.evaluate(affected)
    return {key: None if key in failed else evaluator.stored_result(key) for key in affected}


def _grid_tab(grid: Grid, tab: str) -> str | None:
    return tab if tab in grid.tabs else grid.tab_name(tab)


def _replace(path: Path, target: Path, data: bytes, before: os.stat_result) -> None:
    """Write beside the file, flush to disk, and rename over it; on failure leave it whole.

    The new file gets the old one's mode, owner and group (see local_file).
    """
    refuse_if_a_save_would_change_it(path, before)
    try:
        temporary = new_file_beside(target)
    except OSError as error:
        raise WorkbookUnreachable(
            f"sheetsync cannot save {path}: its folder {target.parent} does not let it create "
            f"files ({error.strerror}); allow writing there and run sync again."
        ) from None
    try:
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        keep_owner_and_mode(temporary, before)
        _refuse_if_changed(path, target, before)
        os.replace(temporary, target)
    except OSError as error:
        raise WorkbookUnreachable(
            f"sheetsync could not save {path} ({error.strerror}), so it was left as it was; "
            "fix that and run sync again."
        ) from None
    finally:
        if temporary.exists():
            temporary.unlink()
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
