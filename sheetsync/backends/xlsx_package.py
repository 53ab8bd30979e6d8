"""The parts of an .xlsx package that neither python-calamine nor openpyxl hands over.

python-calamine reads cell values fast, but shows a formula error as a blank and cannot
say which cells hold formulas; openpyxl saves formulas without their last results. So the
xlsx backend looks at the sheet XML itself. Byte searches find the few cells that matter
(errors, formulas) and small regular expressions read just those: milliseconds on a
10k-row sheet, where a full XML parse would take seconds.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal
from zipfile import ZipFile

from sheetsync.backends.xlsx_cell_order import cell_pattern, cells_in_order, stated_coordinate
from sheetsync.workbook import column_letter

Coordinate = tuple[int, int]  # 1-based (row, column)

_OFFICE_DOCUMENT = "/officeDocument"
_WORKSHEET = "/worksheet"
_CHARTSHEET = "/chartsheet"
_STYLES = "/styles"

# Built-in date formats whose text depends on the locale (East Asian calendars); the file
# does not spell them out.
_LOCAL_DATE_FORMATS = frozenset({*range(27, 37), *range(50, 59)})

TimeKind = Literal["date", "duration"]

_ROOT_TAG = re.compile(rb"""<(?:([\w.-]+):)?worksheet\b[^>]*?=\s*(["'])""")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True, slots=True)
class PackageInfo:
    """What the workbook part says about the sheets and how formulas are calculated."""

    sheet_parts: dict[str, str]  # tab name -> zip member of its sheet XML
    full_calc_on_load: bool  # the writer asks apps to recalculate: cached results are unreliable
    date1904: bool
    defined_names: dict[tuple[str, str | None], str]  # (NAME, tab or None) -> "Tab!$A$1"
    styles_part: str | None
    workbook_part: str = "xl/workbook.xml"
    sheet_ids: dict[str, int] = field(default_factory=dict)  # tab name -> its sheetId
    chart_sheets: tuple[str, ...] = ()  # sheets that show a chart and hold no cells


@dataclass(frozen=True, slots=True)
class FormulaCell:
    """A cell holding a formula, as found in the sheet XML."""

    text: str | None  # "=SUM(M2:P2)"; None for a data table, which cannot be re-evaluated
    has_value: bool  # the file stores the formula's last result
    style: int  # index into the styles' cell formats, to tell dates from numbers


@dataclass(frozen=True, slots=True)
class SheetCells:
    """The cells of one sheet that calamine cannot describe."""

    errors: dict[Coordinate, str]  # coordinate -> "#REF!"
    formulas: dict[Coordinate, FormulaCell]


def read_package_info(archive: ZipFile) -> PackageInfo:
    """Sheet parts, calculation settings and defined names from the workbook part."""
    workbook_part = _office_document(archive)
    root = ET.fromstring(archive.read(workbook_part))
    relationships = _relationships(archive, workbook_part)
    sheet_names: list[str] = []
    sheet_parts: dict[str, str] = {}
    chart_sheets: list[str] = []
    sheet_ids: dict[str, int] = {}
    defined_names: dict[tuple[str, str | None], str] = {}
    full_calc = date1904 = False
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "sheet":
            name = element.get("name", "")
            sheet_names.append(name)
            target = relationships.get(_relationship_id(element), ("", ""))
            if target[1].endswith(_WORKSHEET):
                sheet_parts[name] = target[0]
            elif target[1].endswith(_CHARTSHEET):
                chart_sheets.append(name)
            if element.get("sheetId", "").isdigit():
                sheet_ids[name] = int(element.get("sheetId", ""))
        elif tag == "calcPr":
            full_calc = _is_true(element.get("fullCalcOnLoad"))
        elif tag == "workbookPr":
            date1904 = _is_true(element.get("date1904"))
        elif tag == "definedName" and element.text:
            defined_names[_defined_name_key(element, sheet_names)] = element.text
    styles = [part for part, kind in relationships.values() if kind.endswith(_STYLES)]
    return PackageInfo(
        sheet_parts,
        full_calc,
        date1904,
        defined_names,
        styles[0] if styles else None,
        workbook_part,
        sheet_ids,
        tuple(chart_sheets),
    )


def time_styles(archive: ZipFile, styles_part: str | None) -> dict[int, TimeKind]:
    """The cell formats that show numbers as dates or times, or as durations ([h]:mm)."""
    if styles_part is None or styles_part not in archive.namelist():
        return {}
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    root = ET.fromstring(archive.read(styles_part))
    codes = dict(BUILTIN_FORMATS)
    for element in root.iter():
        if _local(element.tag) == "numFmt":
            codes[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
    cell_formats = next((e for e in root if _local(e.tag) == "cellXfs"), ())
    kinds: dict[int, TimeKind] = {}
    for index, xf in enumerate(cell_formats):
        format_id = int(xf.get("numFmtId", "0"))
        code = codes.get(format_id, "")
        if is_timedelta_format(code):
            kinds[index] = "duration"
        elif is_date_format(code) or format_id in _LOCAL_DATE_FORMATS:
            kinds[index] = "date"
    return kinds


def scan_sheet(xml: bytes) -> SheetCells:
    """The error cells and the formula cells of a sheet part."""
    prefix, quote = _dialect(xml)
    error_mark = b" t=" + quote + b"e" + quote
    formula_mark = b"<" + prefix + b"f"
    pattern = cell_pattern(prefix)
    errors = _marked_cells(xml, pattern, prefix, error_mark)
    formulas = _marked_cells(xml, pattern, prefix, formula_mark)
    if errors is None or formulas is None:
        errors, formulas = _marked_cells_in_order(xml, prefix, error_mark, formula_mark)
    return SheetCells(_error_codes(errors, prefix), _formula_cells(formulas, prefix))


def _dialect(xml: bytes) -> tuple[bytes, bytes]:
    """The element prefix (b"x:" for <x:c>, else b"") and the quote the writer uses."""
    match = _ROOT_TAG.search(xml, 0, 4096)
    if match is None:
        return b"", b'"'
    return (match[1] + b":" if match[1] else b""), match[2]


def _child_pattern(prefix: bytes, name: bytes) -> re.Pattern[bytes]:
    p = re.escape(prefix)
    return re.compile(rb"<" + p + name + rb"(\s[^>]*?)?(?:/>|>(.*?)</" + p + name + rb">)", re.S)


def _attributes(raw: bytes | None) -> dict[bytes, bytes]:
    return {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTRIBUTE.finditer(raw or b"")}


def _marked_cells(
    xml: bytes, pattern: re.Pattern[bytes], prefix: bytes, mark: bytes
) -> list[tuple[Coordinate, re.Match[bytes]]] | None:
    """The cells holding `mark`, found by a byte search (milliseconds on a 10k-row sheet), each
    with its coordinate; None when one of them leaves out its reference, so that only
    walking the sheet in order can say where it is."""
    opening = b"<" + prefix + b"c"
    cells = []
    position = xml.find(mark)
    while position != -1:
        cell = pattern.match(xml, xml.rfind(opening, 0, position))
        if cell is None or cell.end() <= position:
            position = xml.find(mark, position + 1)
            continue
        coordinate = stated_coordinate(cell[1])
        if coordinate is None:
            return None
        cells.append((coordinate, cell))
        position = xml.find(mark, cell.end())
    return cells


def _marked_cells_in_order(
    xml: bytes, prefix: bytes, error_mark: bytes, formula_mark: bytes
) -> tuple[list[tuple[Coordinate, re.Match[bytes]]], list[tuple[Coordinate, re.Match[bytes]]]]:
    """The error cells and the formula cells, placed by walking every row."""
    errors = []
    formulas = []
    for coordinate, cell in cells_in_order(xml, prefix):
        if error_mark in cell[1]:
            errors.append((coordinate, cell))
        if formula_mark in (cell[2] or b""):
            formulas.append((coordinate, cell))
    return errors, formulas


def _error_codes(
    cells: list[tuple[Coordinate, re.Match[bytes]]], prefix: bytes
) -> dict[Coordinate, str]:
    """Coordinate -> "#REF!" for the error cells that store their error."""
    value_pattern = _child_pattern(prefix, b"v")
    errors: dict[Coordinate, str] = {}
    for coordinate, cell in cells:
        value = value_pattern.search(cell[2] or b"")
        if value and value[2]:
            errors[coordinate] = html.unescape(value[2].decode()).strip()
    return errors


def _formula_cells(
    cells: list[tuple[Coordinate, re.Match[bytes]]], prefix: bytes
) -> dict[Coordinate, FormulaCell]:
    formula_pattern = _child_pattern(prefix, b"f")
    value_pattern = _child_pattern(prefix, b"v")
    formulas: dict[Coordinate, FormulaCell] = {}
    shared_masters: dict[bytes, tuple[str, Coordinate]] = {}
    shared_children: dict[Coordinate, bytes] = {}
    for coordinate, cell in cells:
        formula = formula_pattern.search(cell[2] or b"")
        if formula is None:  # <f...> was the start of another tag
            continue
        cell_attributes = _attributes(cell[1])
        formula_attributes = _attributes(formula[1])
        text = "=" + html.unescape(formula[2].decode()) if formula[2] else None
        kind = formula_attributes.get(b"t")
        if kind == b"shared":
            shared_id = formula_attributes.get(b"si", b"")
            if text:
                shared_masters[shared_id] = (text, coordinate)
            else:
                shared_children[coordinate] = shared_id
        if kind == b"dataTable":
            text = None
        value = value_pattern.search(cell[2] or b"")
        stored = value[2] if value else None  # None when absent or written <v/>
        # An empty <v></v> is a real result only for a formula that returned text.
        has_value = stored is not None and (stored != b"" or cell_attributes.get(b"t") == b"str")
        style = int(cell_attributes.get(b"s", b"0") or 0)
        formulas[coordinate] = FormulaCell(text, has_value, style)
    for coordinate, shared_id in shared_children.items():
        formulas[coordinate] = _shared_child(
            formulas[coordinate], shared_masters.get(shared_id), coordinate
        )
    return formulas


def _shared_child(
    cell: FormulaCell, master: tuple[str, Coordinate] | None, coordinate: Coordinate
) -> FormulaCell:
    """A shared formula's other cells store no text: it is the master's, moved along."""
    if master is None:
        return cell
    from openpyxl.formula.translate import Translator

    text, (row, column) = master
    origin = f"{column_letter(column)}{row}"
    moved = Translator(text, origin=origin).translate_formula(
        f"{column_letter(coordinate[1])}{coordinate[0]}"
    )
    return FormulaCell(moved, cell.has_value, cell.style)


def _office_document(archive: ZipFile) -> str:
    for target, kind in _relationships(archive, "").values():
        if kind.endswith(_OFFICE_DOCUMENT):
            return target
    return "xl/workbook.xml"


def _relationships(archive: ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (zip member it points at, relationship type) for a part."""
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_part not in archive.namelist():
        return {}
    relationships = {}
    for element in ET.fromstring(archive.read(rels_part)).iter():
        if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
            target = element.get("Target", "")
            member = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            relationships[element.get("Id", "")] = (member, element.get("Type", ""))
    return relationships


def _relationship_id(element: ET.Element) -> str:
    return next((value for key, value in element.attrib.items() if key.endswith("}id")), "")


def _defined_name_key(element: ET.Element, sheet_names: list[str]) -> tuple[str, str | None]:
    local_sheet = element.get("localSheetId")
    scope = None
    if local_sheet is not None and local_sheet.isdigit() and int(local_sheet) < len(sheet_names):
        scope = sheet_names[int(local_sheet)]
    return element.get("name", "").upper(), scope


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _is_true(value: str | None) -> bool:
    return value in ("1", "true")
