"""The looks a sync gives owned cells in a local workbook (percent, money, dates, bold grey
headers), found among the workbook's own cell formats or appended after them, so no cell of
the user's changes its look. Real files made by openpyxl, read back as Excel would show them."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.workbook import CellWrite, WritePlan


def plan_workbook(path: Path, fill: Callable[[Worksheet], None] | None = None) -> Path:
    """A Plan in the default look, with no number format of its own unless `fill` gives one."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(["Tactic ID", "Budget", "Due", "Since"])
    for n in range(1, 4):
        sheet.append([f"T{n}", 1000 * n, 46_022 + n])  # Due as bare serial numbers
    if fill is not None:
        fill(sheet)
    book.save(path)
    return path


def styles_part(path: Path) -> bytes:
    """The styles part, checked the way Excel reads it before it shows the file: well-formed,
    no stray text between entries, each list's count its number of entries, apply* flags
    booleans. Excel offers to repair a file that breaks one of these."""
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/styles.xml")
    for element in ElementTree.fromstring(xml).iter():
        assert not (element.text or "").strip() and not (element.tail or "").strip(), element
        if "count" in element.attrib:
            assert int(element.attrib["count"]) == len(element), element.tag
        for name, value in element.attrib.items():
            if name.startswith("apply"):
                assert value in ("0", "1", "true", "false"), (name, value)
    return xml


def with_part(path: Path, name: str, new: str | bytes) -> Path:
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in parts:
            archive.writestr(info, new if info.filename == name else content)
    return path


def with_styles_part(path: Path, styles: str) -> Path:
    return with_part(path, "xl/styles.xml", styles)


def since(row: int, day: str) -> WritePlan:
    return WritePlan(writes=(CellWrite("Plan", row, 4, day, kind="date"),))


def test_a_date_format_gets_the_first_number_left_to_a_workbooks_own_formats(
    tmp_path: Path,
) -> None:
    path = plan_workbook(tmp_path / "marketing.xlsx")
    XlsxBackend(path).apply(since(2, "2026-03-01"))
    # Numbers below 164 are Excel's built-in formats.
    assert re.findall(rb'numFmtId="(\d+)" formatCode="yyyy-mm-dd"', styles_part(path)) == [b"164"]
    cell = openpyxl.load_workbook(path)["Plan"]["D2"]
    assert (cell.value, cell.number_format) == (dt.datetime(2026, 3, 1), "yyyy-mm-dd")


def test_a_date_format_comes_after_the_users_own_formats_which_keep_their_look(
    tmp_path: Path,
) -> None:
    def own_formats(sheet):
        sheet["B2"].number_format = "#,##0.00 €"
        sheet["C2"].number_format = "dd/mm/yyyy"

    path = plan_workbook(tmp_path / "marketing.xlsx", own_formats)
    XlsxBackend(path).apply(since(2, "2026-03-01"))
    sheet = openpyxl.load_workbook(path)["Plan"]
    assert [sheet[c].number_format for c in ("B2", "C2", "D2")] == [
        "#,##0.00 €",
        "dd/mm/yyyy",
        "yyyy-mm-dd",
    ]
    assert b'numFmtId="166" formatCode="yyyy-mm-dd"' in styles_part(path)


def test_a_later_date_in_the_same_column_reuses_its_format(tmp_path: Path) -> None:
    path = plan_workbook(tmp_path / "marketing.xlsx")
    XlsxBackend(path).apply(since(2, "2026-03-01"))
    styles = styles_part(path)
    later = WritePlan(
        writes=(
            CellWrite("Plan", 2, 4, "2026-03-15", kind="date"),  # already shown as a date
            CellWrite("Plan", 3, 4, "2026-04-01", kind="date"),
        )
    )
    XlsxBackend(path).apply(later)
    assert styles_part(path) == styles  # no second copy of the format, no new cell format
    sheet = openpyxl.load_workbook(path)["Plan"]
    assert [sheet[c].number_format for c in ("D2", "D3")] == ["yyyy-mm-dd", "yyyy-mm-dd"]
    assert sheet["D3"].value == dt.datetime(2026, 4, 1)


def test_an_owned_header_in_the_users_own_font_keeps_it_and_turns_bold(tmp_path: Path) -> None:
    def georgia(sheet):
        sheet["D1"].font = Font(name="Georgia", size=14, italic=True, color="FF0000")

    path = plan_workbook(tmp_path / "marketing.xlsx", georgia)
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 4, "Since", kind="header"),)))
    header = openpyxl.load_workbook(path)["Plan"]["D1"]
    font = header.font
    assert (font.name, font.size, font.italic, font.bold) == ("Georgia", 14, True, True)
    assert font.color.rgb == "00FF0000"
    assert (header.fill.fill_type, header.fill.fgColor.rgb) == ("solid", "FFD9D9D9")


@pytest.mark.parametrize(
    ("lists", "written"),
    [
        ("", str),
        ('<fonts count="1"><font/></fonts>', str),
        ('<fonts count="0"/><fills></fills>', str),
        ("", lambda xml: prefixed(xml)),
    ],
    ids=["neither", "no-fills", "empty", "prefixed"],
)
def test_a_header_in_a_workbook_whose_styles_list_no_font_or_fill_turns_bold_grey_alone(
    tmp_path: Path, lists: str, written: Callable[[str], str]
) -> None:
    # Some programs list cell formats but no fonts or fills (nor number formats): every cell
    # then shows the default font, unfilled. The bold font and the grey fill must not become
    # that default.
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    formats = '<cellXfs count="1"><xf/></cellXfs>'  # every attribute left to its default
    styles = written(f'<styleSheet xmlns="{main}">{lists}{formats}</styleSheet>')
    path = with_styles_part(plan_workbook(tmp_path / "marketing.xlsx"), styles)
    writes = (
        CellWrite("Plan", 1, 5, "Issues", kind="header"),
        CellWrite("Plan", 2, 4, "2026-03-01", kind="date"),
    )
    XlsxBackend(path).apply(WritePlan(writes=writes))
    sheet = openpyxl.load_workbook(path)["Plan"]
    header = sheet["E1"]
    assert header.font.bold and header.fill.fgColor.rgb == "FFD9D9D9"
    assert sheet["D2"].number_format == "yyyy-mm-dd"
    for cell in ("A1", "D1", "A2", "B4"):
        assert not sheet[cell].font.bold and sheet[cell].fill.fill_type is None, cell
    styles_part(path)


def test_a_header_written_again_keeps_its_look_and_adds_nothing_to_the_styles(
    tmp_path: Path,
) -> None:
    path = plan_workbook(tmp_path / "marketing.xlsx")
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 5, "Issue", kind="header"),)))
    styles = styles_part(path)
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 5, "Issues", kind="header"),)))
    assert styles_part(path) == styles
    header = openpyxl.load_workbook(path)["Plan"]["E1"]
    assert (header.value, header.font.bold, header.fill.fgColor.rgb) == ("Issues", True, "FFD9D9D9")


def test_a_figure_written_into_a_cell_in_the_users_own_font_keeps_the_font(
    tmp_path: Path,
) -> None:
    def georgia(sheet):
        sheet["B2"].font = Font(name="Georgia", size=14)

    path = plan_workbook(tmp_path / "marketing.xlsx", georgia)
    writes = (
        CellWrite("Plan", 2, 2, 0.25, kind="percent"),
        CellWrite("Plan", 3, 2, 9, kind="money"),
    )
    XlsxBackend(path).apply(WritePlan(writes=writes))
    sheet = openpyxl.load_workbook(path)["Plan"]
    assert (sheet["B2"].font.name, sheet["B2"].font.size, sheet["B2"].number_format) == (
        "Georgia",
        14,
        "0%",
    )
    assert (sheet["B3"].font.name, sheet["B3"].number_format) == ("Calibri", "#,##0.00")
    styles_part(path)


def prefixed(xml: str) -> str:
    """The part as a program that names SpreadsheetML's namespace `x:` writes it."""
    xml = re.sub(r"<(/?)(\w+)", r"<\1x:\2", xml)
    return xml.replace(' xmlns="', ' xmlns:x="', 1)


def plainly(xml: str) -> str:
    """Lists without their (optional) count, so openpyxl's empty numFmts is a bare
    `<numFmts/>`, and attributes in single quotes."""
    xml = re.sub(r' count="\d+"', "", xml.split("?>", 1)[-1]).replace(" />", "/>")
    return re.sub(r'="([^"]*)"', r"='\1'", xml)


def pretty(xml: str) -> str:
    """Each entry on a line of its own, as LibreOffice writes the part."""
    return xml.replace("><", ">\n  <")


@pytest.mark.parametrize(
    "written", [prefixed, plainly, pretty], ids=["prefixed", "plain", "pretty"]
)
def test_styles_parts_written_by_other_programs_get_the_owned_looks(
    tmp_path: Path, written: Callable[[str], str]
) -> None:
    path = plan_workbook(tmp_path / "marketing.xlsx")
    path = with_styles_part(path, written(styles_part(path).decode()))
    writes = (
        CellWrite("Plan", 1, 5, "Issues", kind="header"),
        CellWrite("Plan", 2, 2, 0.25, kind="percent"),
        CellWrite("Plan", 2, 4, "2026-03-01", kind="date"),
    )
    XlsxBackend(path).apply(WritePlan(writes=writes))
    styles_part(path)
    sheet = openpyxl.load_workbook(path)["Plan"]
    assert [sheet[c].number_format for c in ("B2", "D2", "B3")] == ["0%", "yyyy-mm-dd", "General"]
    assert sheet["E1"].font.bold and sheet["E1"].fill.fgColor.rgb == "FFD9D9D9"
    assert not sheet["A1"].font.bold and sheet["A1"].fill.fill_type is None


def test_figures_and_headers_in_aligned_cells_keep_their_alignment(tmp_path: Path) -> None:
    def aligned(sheet):
        sheet["B2"].alignment = Alignment(horizontal="center")
        sheet["E1"].alignment = Alignment(wrap_text=True)

    path = plan_workbook(tmp_path / "marketing.xlsx", aligned)
    writes = (
        CellWrite("Plan", 1, 5, "Issues", kind="header"),
        CellWrite("Plan", 2, 2, 0.25, kind="percent"),
    )
    XlsxBackend(path).apply(WritePlan(writes=writes))
    sheet = openpyxl.load_workbook(path)["Plan"]
    assert (sheet["B2"].alignment.horizontal, sheet["B2"].number_format) == ("center", "0%")
    assert sheet["E1"].alignment.wrap_text and sheet["E1"].font.bold
    styles_part(path)


def test_a_header_in_a_workbook_with_a_colour_rule_gets_the_right_font_and_fill(
    tmp_path: Path,
) -> None:
    # A colour rule keeps its own font and fill in the styles part, after the cells' lists.
    def colour_rule(sheet):
        red = DifferentialStyle(font=Font(color="9C0006"), fill=PatternFill(bgColor="FFC7CE"))
        sheet.conditional_formatting.add("B2:B9", Rule(type="expression", dxf=red, formula=["1"]))

    path = plan_workbook(tmp_path / "marketing.xlsx", colour_rule)
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 5, "Issues", kind="header"),)))
    header = openpyxl.load_workbook(path)["Plan"]["E1"]
    assert header.font.bold and (header.font.color is None or header.font.color.rgb != "009C0006")
    assert (header.fill.fill_type, header.fill.fgColor.rgb) == ("solid", "FFD9D9D9")
    styles_part(path)


def test_a_figure_keeps_the_cell_style_its_cell_is_in(tmp_path: Path) -> None:
    def calculation(sheet):
        sheet["B2"].style = "Calculation"

    path = plan_workbook(tmp_path / "marketing.xlsx", calculation)
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 2, 2, 0.25, kind="percent"),)))
    cell = openpyxl.load_workbook(path)["Plan"]["B2"]
    assert (cell.style, cell.number_format) == ("Calculation", "0%")


def test_a_cell_whose_look_is_past_the_list_of_formats_gets_the_default_look_and_its_figure(
    tmp_path: Path,
) -> None:
    # Excel shows a cell whose style number is past the styles part's list in the default
    # look; the figure written there is shown as a percent on that look.
    path = plan_workbook(tmp_path / "marketing.xlsx")
    with zipfile.ZipFile(path) as archive:
        count = len(re.findall(rb"<xf\b", archive.read("xl/styles.xml").split(b"<cellXfs")[1]))
        sheet = archive.read("xl/worksheets/sheet1.xml")
    with_part(
        path, "xl/worksheets/sheet1.xml", sheet.replace(b'<c r="B2"', b'<c r="B2" s="%d"' % count)
    )
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 2, 2, 0.25, kind="percent"),)))
    cell = openpyxl.load_workbook(path)["Plan"]["B2"]
    assert (cell.value, cell.number_format, cell.font.name) == (0.25, "0%", "Calibri")
