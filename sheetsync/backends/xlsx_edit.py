"""The lossless .xlsx writer: the user's package with only what sheetsync owns changed.

openpyxl rebuilds a workbook from what it models, and drops the rest: charts, shapes, XML
maps, sparklines, slicers, ActiveX controls... This writer never rebuilds. Every zip member
it does not need to change is copied as the bytes it is, in its place. It changes:

- the sheet parts holding owned cells (streamed: see xlsx_sheet_edit);
- the sheet parts holding a formula whose stored result a write changes;
- the styles part, only when an owned cell needs a format the workbook lacks (xlsx_styles);
- a sheet's notes parts, when an owned header gets sheetsync's note (xlsx_notes);
- for a new tab: its sheet part, the workbook part's sheet list, the workbook's
  relationships, [Content_Types].xml and docProps/app.xml's titles (xlsx_parts);
- the workbook part's calcPr, when a write feeds a formula: spreadsheet programs then
  recalculate on open;
- the calc chain, when a formula cell becomes a value: that cell's entry goes
  (xlsx_calc_chain); a chain left empty goes too, and spreadsheet programs then recalculate.

A Strict Open XML workbook, or an owned cell inside merged cells or a formula covering
several cells, is refused in one sentence before anything is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sheetsync.backends import WorkbookUnreachable
from sheetsync.backends.xlsx_calc_chain import without_entries
from sheetsync.backends.xlsx_notes import add_notes
from sheetsync.backends.xlsx_package import Coordinate, PackageInfo, time_styles
from sheetsync.backends.xlsx_parts import (
    CALC_CHAIN_TYPE,
    SHARED_STRINGS_TYPE,
    STYLES_CONTENT,
    STYLES_TYPE,
    TABLE_TYPE,
    WORKSHEET_CONTENT,
    WORKSHEET_TYPE,
    attributes,
    relationships,
    rels_name,
    with_full_calculation,
    with_override,
    with_relationship,
    with_sheet,
    with_titles,
    without_override,
    without_relationship_to,
)
from sheetsync.backends.xlsx_sheet_edit import (
    SheetEdit,
    SheetEditor,
    UnsafeEdit,
    WatchedCell,
    cell_area,
    xml_text,
)
from sheetsync.backends.xlsx_styles import Styles, styles_to_edit
from sheetsync.backends.xlsx_zip import (
    copy_raw,
    new_member,
    read_chunks,
    rewritten_member,
    write_streamed,
)
from sheetsync.workbook import CellError, CellValue, a1

CONTENT_TYPES = "[Content_Types].xml"
APP_PROPERTIES = "docProps/app.xml"
_STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_NEW_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<dimension ref="A1"/>%s<sheetFormatPr defaultRowHeight="15"/><sheetData/>'
    b'<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
    b"</worksheet>"
)
_FROZEN_VIEW = (
    b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="%d" topLeftCell="A%d" '
    b'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A%d" '
    b'sqref="A%d"/></sheetView></sheetViews>'
)
_PLAIN_VIEW = b'<sheetViews><sheetView workbookViewId="0"/></sheetViews>'


@dataclass
class NewTab:
    """A tab sheetsync adds, and what goes in it."""

    name: str
    frozen_rows: int
    edit: SheetEdit


@dataclass
class PackageEdit:
    """Everything a write changes in the package."""

    sheets: dict[str, SheetEdit] = field(default_factory=dict)  # existing tab -> its edit
    new_tabs: list[NewTab] = field(default_factory=list)
    notes: dict[str, list[Coordinate]] = field(default_factory=dict)  # tab -> noted headers
    recalculate: bool = False  # a write feeds a formula: ask for recalculation on open
    date1904: bool = False  # the workbook counts dates from 1904


@dataclass(frozen=True, slots=True)
class EditedPackage:
    data: bytes
    watched: dict[str, dict[Coordinate, CellValue]]  # tab -> guarded cell -> what it holds


def edit_package(
    path: Path, data: bytes, package: PackageInfo, change: PackageEdit
) -> EditedPackage:
    """The package `data` with `change` made; raises WorkbookUnreachable when it must not be."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = _Parts(archive)
        workbook_part = package.workbook_part
        _refuse_strict(path, parts.get(workbook_part, b""))
        writer = _Writer(path, data, archive, parts, package, workbook_part)
        return writer.run(change)


class _Parts(Mapping[str, bytes]):
    """The package's parts, read when asked, with the ones this edit changes or adds."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._names = {info.filename for info in archive.infolist()}
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()

    def __getitem__(self, name: str) -> bytes:
        if name in self.changed:
            return self.changed[name]
        if name in self._names and name not in self.removed:
            return self._archive.read(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from (n for n in self._names if n not in self.removed and n not in self.changed)
        yield from self.changed

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return name in self.changed or (name in self._names and name not in self.removed)


class _Writer:
    def __init__(
        self,
        path: Path,
        data: bytes,
        archive: zipfile.ZipFile,
        parts: _Parts,
        package: PackageInfo,
        workbook_part: str,
    ) -> None:
        self._path = path
        self._data = data
        self._archive = archive
        self._parts = parts
        self._package = package
        self._workbook_part = workbook_part
        styles_xml = parts.get(package.styles_part) if package.styles_part else None
        usable = styles_to_edit(styles_xml)
        if usable is None:
            raise WorkbookUnreachable(
                f"{path} has a styles part without a list of cell formats, so sheetsync cannot "
                "format its columns without changing the look of your cells; open the file in "
                "Excel or LibreOffice, save it, and run sync again (nothing was written)."
            )
        self._styles = Styles(usable)
        # Sheet parts written into the scratch archive, in order: new tabs go in as added.
        self._sheets: list[str] = []
        self._tabs_added = 0
        self._outcomes: dict[str, dict[Coordinate, WatchedCell]] = {}

    def run(self, change: PackageEdit) -> EditedPackage:
        sheet_parts = dict(self._package.sheet_parts)
        for new_tab in change.new_tabs:
            sheet_parts[new_tab.name] = self._add_tab(new_tab)
        for tab, edit in change.sheets.items():
            self._refuse_table_edges(tab, sheet_parts[tab], edit)
        edits = {**change.sheets, **{new.name: new.edit for new in change.new_tabs}}
        for tab, cells in change.notes.items():
            if tab in edits:
                self._add_notes(sheet_parts[tab], cells, edits[tab])
        replaced: dict[str, set[Coordinate]] = {}  # tab -> owned cells that held a formula
        scratch = io.BytesIO()
        with zipfile.ZipFile(scratch, "w") as edited:
            for tab, edit in edits.items():
                replaced[tab] = self._edit_sheet(edited, tab, sheet_parts[tab], edit)
        chain_removed = self._edit_calc_chain(replaced)
        if change.recalculate or chain_removed:
            self._parts.changed[self._workbook_part] = with_full_calculation(
                self._parts[self._workbook_part]
            )
        self._save_styles()
        return EditedPackage(self._assemble(scratch.getvalue()), self._watched_values())

    # New tabs ------------------------------------------------------------------------

    def _add_tab(self, tab: NewTab) -> str:
        parts = self._parts
        number = 1
        taken = {name.lower() for name in parts}
        while f"xl/worksheets/sheet{number}.xml" in taken:
            number += 1
        member = f"xl/worksheets/sheet{number}.xml"
        frozen = tab.frozen_rows
        view = (
            _FROZEN_VIEW % (frozen, frozen + 1, frozen + 1, frozen + 1) if frozen else _PLAIN_VIEW
        )
        parts.changed[member] = _NEW_SHEET % view
        workbook_rels = rels_name(self._workbook_part)
        rels, identifier = with_relationship(
            parts.get(workbook_rels), self._workbook_part, WORKSHEET_TYPE, member
        )
        parts.changed[workbook_rels] = rels
        parts.changed[self._workbook_part] = with_sheet(
            parts[self._workbook_part], tab.name, identifier
        )
        parts.changed[CONTENT_TYPES] = with_override(
            parts[CONTENT_TYPES], member, WORKSHEET_CONTENT
        )
        worksheets = len(self._package.sheet_parts) + self._tabs_added
        self._tabs_added += 1
        if APP_PROPERTIES in parts:
            titles = with_titles(parts[APP_PROPERTIES], [tab.name], worksheets)
            if titles is not None:
                parts.changed[APP_PROPERTIES] = titles
        return member

    def _add_notes(self, sheet_part: str, cells: list[Coordinate], edit: SheetEdit) -> None:
        notes = add_notes(self._parts, sheet_part, sorted(cells), self._parts[CONTENT_TYPES])
        self._parts.changed.update(notes.parts)
        if notes.content_types is not None:
            self._parts.changed[CONTENT_TYPES] = notes.content_types
        edit.legacy_drawing = notes.legacy_drawing

    # Sheets --------------------------------------------------------------------------

    def _refuse_table_edges(self, tab: str, part: str, edit: SheetEdit) -> None:
        """A table's header row holds its column names, which its part repeats, and its
        totals row holds formulas: an owned cell there would break the table."""
        for _, kind, member in relationships(self._parts.get(rels_name(part)), part):
            if kind != TABLE_TYPE or member not in self._parts:
                continue
            table = re.search(rb"<(?:[\w.-]+:)?table\b([^>]*)>", self._parts[member])
            values = attributes(table[1]) if table else {}
            found = cell_area(values.get(b"ref", b"").decode())
            if found is None:
                continue
            top, left, bottom, right = found
            header_rows = int(values.get(b"headerRowCount", b"1") or 1)
            total_rows = int(values.get(b"totalsRowCount", b"0") or 0)
            edges = {*range(top, top + header_rows), *range(bottom - total_rows + 1, bottom + 1)}
            for row, column in edit.cells:
                if row in edges and left <= column <= right:
                    name = (values.get(b"displayName") or values.get(b"name") or b"").decode()
                    raise WorkbookUnreachable(
                        f"Cell {a1(row, column)} on the {tab} tab of {self._path} is in the "
                        f"header or totals row of {f'the table {name}' if name else 'a table'}, "
                        "so sheetsync cannot fill it "
                        "in; type that cell yourself in Excel, or move the table, and run sync "
                        "again (nothing was written)."
                    )

    def _edit_sheet(
        self, target: zipfile.ZipFile, tab: str, part: str, edit: SheetEdit
    ) -> set[Coordinate]:
        """Write the edited sheet into `target`; the owned cells that held a formula."""
        editor = SheetEditor(edit, self._styles.styled)
        if part in self._parts.changed:  # a new tab
            chunks: Iterator[bytes] = iter([self._parts.changed.pop(part)])
            info = new_member(part, self._archive.infolist()[0])
        else:
            chunks = read_chunks(self._archive, part)
            info = self._archive.getinfo(part)
        try:
            write_streamed(target, info, editor.edited(chunks))
        except UnsafeEdit as unsafe:
            cell, what, fix = unsafe.args
            raise WorkbookUnreachable(
                f"Cell {cell} on the {tab} tab of {self._path} is part of {what}, so sheetsync "
                f"cannot fill it in; {fix} and run sync again (nothing was written)."
            ) from None
        self._outcomes[tab] = editor.outcome.watched
        self._sheets.append(part)
        return editor.outcome.replaced_formulas

    # Workbook settings ---------------------------------------------------------------

    def _edit_calc_chain(self, replaced: dict[str, set[Coordinate]]) -> bool:
        """The calc chain without the cells whose formula became a value (Excel calls a
        chain naming a cell without a formula damage); whether the chain had to go."""
        if not any(replaced.values()):
            return False
        parts = self._parts
        workbook_rels = rels_name(self._workbook_part)
        links = relationships(parts.get(workbook_rels), self._workbook_part)
        chain = next((m for _, kind, m in links if kind == CALC_CHAIN_TYPE and m in parts), None)
        if chain is None:
            return False
        ids = self._package.sheet_ids
        edited = None  # a tab without a sheetId: its entries cannot be told, the chain goes
        if all(tab in ids for tab, found in replaced.items() if found):
            cells = [(ids[tab], a1(*cell)) for tab, found in replaced.items() for cell in found]
            edited = without_entries(parts[chain], cells)
        if edited is not None:
            if edited != parts[chain]:
                parts.changed[chain] = edited
            return False
        # Excel rebuilds the chain; the workbook is recalculated on open, so nothing is lost.
        parts.removed.add(chain)
        parts.changed[workbook_rels] = without_relationship_to(
            parts[workbook_rels], self._workbook_part, chain
        )
        parts.changed[CONTENT_TYPES] = without_override(parts[CONTENT_TYPES], chain)
        return True

    def _save_styles(self) -> None:
        styles = self._styles.edited()
        if styles is None:
            return
        part = self._package.styles_part
        if part is None:  # a workbook without formats: it gets a styles part
            part = "xl/styles.xml"
            workbook_rels = rels_name(self._workbook_part)
            rels, _ = with_relationship(
                self._parts.get(workbook_rels), self._workbook_part, STYLES_TYPE, part
            )
            self._parts.changed[workbook_rels] = rels
            self._parts.changed[CONTENT_TYPES] = with_override(
                self._parts[CONTENT_TYPES], part, STYLES_CONTENT
            )
        self._parts.changed[part] = styles

    # The new package -----------------------------------------------------------------

    def _assemble(self, scratch: bytes) -> bytes:
        output = io.BytesIO()
        changed = self._parts.changed
        with (
            zipfile.ZipFile(io.BytesIO(scratch)) as edited,
            zipfile.ZipFile(output, "w") as target,
        ):
            existing = set()
            for info in self._archive.infolist():
                name = info.filename
                existing.add(name)
                if name in self._parts.removed:
                    continue
                if name in self._sheets:
                    copy_raw(scratch, edited.getinfo(name), target)
                elif name in changed:
                    target.writestr(rewritten_member(info), changed[name])
                else:
                    copy_raw(self._data, info, target)
            like = self._archive.infolist()[0]
            for name, content in changed.items():
                if name not in existing:
                    target.writestr(new_member(name, like), content)
            for name in self._sheets:
                if name not in existing:
                    copy_raw(scratch, edited.getinfo(name), target)
        return output.getvalue()

    # What guarded cells hold ---------------------------------------------------------

    def _watched_values(self) -> dict[str, dict[Coordinate, CellValue]]:
        needed = {
            int(cell.text)
            for cells in self._outcomes.values()
            for cell in cells.values()
            if cell.type == "s" and cell.text.isdigit()
        }
        strings = self._shared_strings(needed) if needed else {}
        dated = any(
            cell.style and cell.type == "n"
            for cells in self._outcomes.values()
            for cell in cells.values()
        )
        kinds = time_styles(self._archive, self._package.styles_part) if dated else {}
        return {
            tab: {
                coordinate: _value(cell, strings, kinds, self._package.date1904)
                for coordinate, cell in cells.items()
            }
            for tab, cells in self._outcomes.items()
        }

    def _shared_strings(self, needed: set[int]) -> dict[int, str]:
        workbook_rels = rels_name(self._workbook_part)
        links = relationships(self._parts.get(workbook_rels), self._workbook_part)
        part = next((m for _, kind, m in links if kind == SHARED_STRINGS_TYPE), None)
        if part is None or part not in self._parts:
            return {}
        return shared_strings(self._parts[part], needed)


def shared_strings(xml: bytes, needed: set[int]) -> dict[int, str]:
    """The texts of the shared strings numbered `needed` (rich text joined, phonetics left out)."""
    root = re.search(rb"<(?:([\w.-]+):)?sst\b", xml)
    prefix = (root[1] + b":") if root and root[1] else b""
    p = re.escape(prefix)
    phonetic = re.compile(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>", re.S)
    text = re.compile(rb"<" + p + rb"t\b[^>]*?(?:/>|>(.*?)</" + p + rb"t>)", re.S)
    opening = b"<" + prefix + b"si"
    strings = {}
    position = xml.find(opening)
    index = 0
    last = max(needed)
    while position != -1 and index <= last:
        end = xml.find(opening, position + len(opening))
        if index in needed:
            body = xml[position : end if end != -1 else len(xml)]
            if b"<" + prefix + b"rPh" in body:
                body = phonetic.sub(b"", body)
            strings[index] = "".join(xml_text(t[1] or b"") for t in text.finditer(body))
        position = end
        index += 1
    return strings


def _value(
    cell: WatchedCell, strings: dict[int, str], kinds: Mapping[int, str], date1904: bool
) -> CellValue:
    """A stored cell as the reader sees it, for comparing with what was read."""
    if cell.type == "s":
        return strings.get(int(cell.text)) if cell.text.isdigit() else None
    if cell.type in ("inlineStr", "str"):
        return cell.text
    if cell.type == "d":  # an ISO 8601 date, as openpyxl's iso_dates and some exporters write
        return _iso_date(cell.text)
    if cell.type == "b":
        return cell.text.strip() in ("1", "true")
    if cell.type == "e":
        return CellError(cell.text)
    if not cell.text.strip():
        return None
    try:
        number = float(cell.text)
    except ValueError:
        return cell.text
    kind = kinds.get(cell.style)
    if kind == "date":
        return _date(number, date1904)
    if kind == "duration":
        return _duration(number)
    return number


def _date(serial: float, date1904: bool) -> CellValue:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    try:
        moment = from_excel(serial, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900)
    except (ValueError, OverflowError):
        return serial
    return _day_if_midnight(moment)


def _duration(days: float) -> CellValue:
    """A duration ([h]:mm) as the reader shows it: its text, to the millisecond, as calamine
    rounds it ("1 day, 18:00:00")."""
    try:
        return str(dt.timedelta(milliseconds=round(days * 86_400_000)))
    except OverflowError:  # beyond Python's reach: the reader gives the number stored
        return days


def _iso_date(text: str) -> CellValue:
    try:
        return _day_if_midnight(dt.datetime.fromisoformat(text.strip()))
    except ValueError:
        return text


def _day_if_midnight(moment: dt.date) -> dt.date:
    """A date-time at midnight is a day, as the reader gives it."""
    if isinstance(moment, dt.datetime) and moment.time() == dt.time():
        return moment.date()
    return moment


def _refuse_strict(path: Path, workbook: bytes) -> None:
    if _STRICT_NAMESPACE in workbook[:4096]:
        raise WorkbookUnreachable(
            f"{path} is saved as Strict Open XML, which sheetsync cannot write without "
            "risking it; save it in Excel as an Excel Workbook (.xlsx) and run sync again "
            "(nothing was written)."
        )
