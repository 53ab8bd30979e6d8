"""The sheet part's streaming editor (backends/xlsx_sheet_edit.py), through a real write:
what Excel and other readers see in the sheet after a sync, cell by cell and in the XML
that says where the cells are (the used range, each row's span), and the sentences that
refuse a cell sheetsync must not write.

Workbooks are made by openpyxl and XlsxWriter, and by hand (test_xlsx_edit.hand_made) where
a feature needs XML no library writes."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from test_xlsx_edit import hand_made, sheet_xml

from sheetsync.backends import WorkbookChanged, WorkbookUnreachable
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_sheet_edit import NewCell, SheetEdit, SheetEditor
from sheetsync.workbook import CellWrite, Guard, WritePlan, column_letter

SHEET = "xl/worksheets/sheet1.xml"


def sheet_part(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(SHEET).decode()


def write(path: Path, *writes: CellWrite) -> None:
    XlsxBackend(path).apply(WritePlan(writes=writes))


def stored_values(path: Path, tab: str) -> list[list[object]]:
    """The cells' stored values as openpyxl gives them without working formulas out (as
    Excel shows them until it recalculates, and as pandas reads them)."""
    sheet = openpyxl.load_workbook(path, data_only=True)[tab]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def stray_text_in_rows(path: Path) -> list[str]:
    """Text the sheet part holds between its rows, or between the elements of its rows and
    cells, where the schema allows none (Excel calls such a file damaged); lenient readers
    skip it unseen."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    sheet_data = ElementTree.fromstring(sheet_part(path)).find(f"{main}sheetData")
    assert sheet_data is not None
    stray = []
    for holder in (sheet_data, *sheet_data, *(cell for row in sheet_data for cell in row)):
        texts = [holder.text, *(child.tail for child in holder)]
        stray += [text for text in texts if text and text.strip()]
    return stray


# Formula results ---------------------------------------------------------------------------


@pytest.mark.parametrize("epoch", ["1900", "1904"])
def test_formulas_reading_a_written_cell_store_results_of_their_type(
    tmp_path: Path, epoch: str
) -> None:
    # A status written feeds a yes/no, a text, an error or a number, and dates: each result
    # is stored as its kind (TRUE, text, #DIV/0!, a date in the workbook's own calendar), in
    # place of the one before, whatever kind that was.
    book = openpyxl.Workbook()
    if epoch == "1904":
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(["Status", "Done?", "Said", "Length", "Review", "Start", "Ready at", "Rang"])
    sheet.append(
        [
            "Idea",
            '=A2="Done"',
            '=A2&CHAR(10)&"so far"',
            '=IF(A2="Done",1/0,LEN(A2))',
            "=F2+LEN(A2)",
            dt.date(2026, 3, 1),
            "=F2+LEN(A2)/8",
            '=A2&CHAR(7)&"!"',  # a bell, which XML cannot hold: left out
        ]
    )
    for column, look in (("E", "yyyy-mm-dd"), ("F", "yyyy-mm-dd"), ("G", "yyyy-mm-dd hh:mm")):
        sheet[f"{column}2"].number_format = look
    path = tmp_path / "marketing.xlsx"
    book.save(path)

    write(path, CellWrite("Plan", 2, 1, "Done"))
    assert stored_values(path, "Plan")[1] == [
        "Done",
        True,
        "Done\nso far",
        "#DIV/0!",
        dt.datetime(2026, 3, 5),
        dt.datetime(2026, 3, 1),
        dt.datetime(2026, 3, 1, 12),
        "Done!",
    ]

    write(path, CellWrite("Plan", 2, 1, "Idea"))
    assert stored_values(path, "Plan")[1] == [
        "Idea",
        False,
        "Idea\nso far",
        4,
        dt.datetime(2026, 3, 5),
        dt.datetime(2026, 3, 1),
        dt.datetime(2026, 3, 1, 12),
        "Idea!",
    ]
    row = re.search(r'<row r="2".*?</row>', sheet_part(path), re.S)
    assert row is not None and row[0].count("<v>") == 7  # one result each, the old one gone
    assert stray_text_in_rows(path) == []


def test_a_formula_filled_down_keeps_its_formula_before_its_new_result(tmp_path: Path) -> None:
    # Excel stores a formula filled down a column once (B1) and, in the cells below, a
    # reference to it (<f t="shared" si="0"/>); the result goes after it, as Excel orders a
    # cell's parts (a result before the formula is damage to Excel).
    cells = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f>'
        "<v>2</v></c></row>"
        '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
        '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>6</v></c></row>'
    )
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(path, CellWrite("Plan", 2, 1, 5))

    assert [row[1] for row in stored_values(path, "Plan")] == [2, 10, 6]
    assert '<c r="B2"><f t="shared" si="0"/><v>10</v></c>' in sheet_part(path)


# Dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("epoch", "dates"),
    [
        ("1900", ["1900-01-01", "1900-02-28", "1900-03-01", "2026-03-01"]),
        ("1904", ["1904-01-02", "2026-03-01"]),
    ],
)
def test_dates_written_read_back_as_the_same_day(
    tmp_path: Path, epoch: str, dates: list[str]
) -> None:
    # Excel counts days from 1900 (and a 29 February 1900 that never was) or, in a workbook
    # from an old Mac, from 1904: a date is stored as the number that workbook reads back.
    book = openpyxl.Workbook()
    if epoch == "1904":
        book.epoch = CALENDAR_MAC_1904
    book.active.title = "Checks"
    book.active.append(["Since"] * len(dates))
    path = tmp_path / "marketing.xlsx"
    book.save(path)

    write(path, *(CellWrite("Checks", 2, n, day, kind="date") for n, day in enumerate(dates, 1)))

    read_back = [moment.date() for moment in stored_values(path, "Checks")[1]]
    assert read_back == [dt.date.fromisoformat(day) for day in dates]


# Where new cells go, and what they look like -------------------------------------------------


def formatted_plan(path: Path) -> Path:
    """A Plan whose Status and ROI columns (C:D) are yellow and whose row 3 is red, as
    XlsxWriter writes it (a <col style>, a row with customFormat, each row's spans)."""
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Plan")
    sheet.set_column("C:D", 12, book.add_format({"bg_color": "#FFFF00"}))
    sheet.set_row(2, None, book.add_format({"bg_color": "#FF0000"}))
    sheet.write_row(0, 0, ["Tactic ID", "Goal ID", "Status", "ROI"])
    sheet.write_row(1, 0, ["T1", "G1"])
    sheet.write_row(2, 0, ["T2", "G1"])
    book.close()
    return path


def test_new_cells_take_the_look_of_their_row_or_else_their_column(tmp_path: Path) -> None:
    path = formatted_plan(tmp_path / "marketing.xlsx")

    write(
        path,
        CellWrite("Plan", 2, 3, "On track"),
        CellWrite("Plan", 2, 4, 0.25, kind="percent"),
        CellWrite("Plan", 2, 5, "no look"),
        CellWrite("Plan", 3, 3, "At risk"),
        CellWrite("Plan", 3, 5, "row's look"),
        CellWrite("Plan", 4, 2, "before the yellow columns"),
        CellWrite("Plan", 4, 4, 0.5, kind="percent"),
    )

    plan = openpyxl.load_workbook(path)["Plan"]
    fills = {
        cell: plan[cell].fill.fgColor.rgb if plan[cell].fill.fill_type else None
        for cell in ("C2", "D2", "E2", "C3", "E3", "B4", "D4")
    }
    assert fills == {
        "C2": "FFFFFF00",
        "D2": "FFFFFF00",
        "E2": None,
        "C3": "FFFF0000",
        "E3": "FFFF0000",
        "B4": None,
        "D4": "FFFFFF00",
    }
    assert (plan["D2"].number_format, plan["D4"].number_format) == ("0%", "0%")
    assert (plan["D2"].value, plan["D4"].value, plan["E3"].value) == (0.25, 0.5, "row's look")
    assert stray_text_in_rows(path) == []


def test_a_figure_that_could_not_be_worked_out_is_written_blank_in_its_look(
    tmp_path: Path,
) -> None:
    # An infinite or undefined figure has no number Excel can hold: the cell is left blank
    # and keeps its column's look (C and D are yellow), and a cleared cell keeps it too.
    path = formatted_plan(tmp_path / "marketing.xlsx")
    write(path, CellWrite("Plan", 2, 3, "On track"))

    write(
        path,
        CellWrite("Plan", 2, 3, None),
        CellWrite("Plan", 2, 4, float("inf"), kind="percent"),
        CellWrite("Plan", 3, 5, float("nan"), kind="percent"),
    )

    assert "inf" not in sheet_part(path) and "nan" not in sheet_part(path)
    plan = openpyxl.load_workbook(path)["Plan"]
    assert [plan[cell].value for cell in ("C2", "D2", "E3")] == [None, None, None]
    assert [plan[cell].fill.fgColor.rgb for cell in ("C2", "D2")] == ["FFFFFF00", "FFFFFF00"]


@pytest.mark.parametrize(
    ("row_3", "look"),
    [
        # customFormat is an XML boolean: "true" as some programs write it, as well as "1".
        ('s="2" customFormat="true"', "FFFF0000"),
        # A row formatted as a whole without its s has the default look, over the column's.
        ('customFormat="1"', None),
    ],
)
def test_a_row_formatted_as_a_whole_gives_its_look_however_it_is_spelled(
    tmp_path: Path, row_3: str, look: str | None
) -> None:
    path = formatted_plan(tmp_path / "marketing.xlsx")
    with zipfile.ZipFile(path) as archive:
        package = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in package.items():
            if info.filename == SHEET:
                content = content.replace(b's="2" customFormat="1"', row_3.encode())
            archive.writestr(info, content)

    write(path, CellWrite("Plan", 3, 4, "ROI"), CellWrite("Plan", 3, 5, "row's look"))

    plan = openpyxl.load_workbook(path)["Plan"]
    for cell in ("D3", "E3"):
        assert (plan[cell].fill.fgColor.rgb if plan[cell].fill.fill_type else None) == look


def test_the_used_range_and_each_rows_span_cover_the_cells_written(tmp_path: Path) -> None:
    # Excel reads the sheet's <dimension> and each row's spans as where its cells are.
    path = formatted_plan(tmp_path / "marketing.xlsx")

    write(path, CellWrite("Plan", 2, 6, "x"), CellWrite("Plan", 3, 3, "y"))

    xml = sheet_part(path)
    assert '<dimension ref="A1:F3"/>' in xml
    assert '<row r="2" spans="1:6">' in xml
    assert '<row r="3" spans="1:4" s="2" customFormat="1">' in xml  # inside: as it was

    write(path, CellWrite("Plan", 7, 2, "z"), CellWrite("Plan", 8, 2, None))
    assert '<dimension ref="A1:F7"/>' in sheet_part(path)  # a cell cleared is not used


@pytest.mark.parametrize(
    ("dimension", "cell", "grown"),
    [
        ("<dimension ref='C3:D4'/>", (1, 1), '<dimension ref="A1:D4"/>'),
        ('<dimension ref="C3:D4"/>', (5, 2), '<dimension ref="B3:D5"/>'),
        ('<dimension ref="C3:D4"/>', (3, 4), '<dimension ref="C3:D4"/>'),
        ('<dimension ref="A1"/>', (1, 1), '<dimension ref="A1"/>'),
        ('<dimension ref="A1"/>', (2, 1), '<dimension ref="A1:A2"/>'),
        ('<dimension ref="D4"/>', (2, 2), '<dimension ref="B2:D4"/>'),
    ],
)
def test_the_used_range_grows_to_a_cell_written_outside_it(
    tmp_path: Path, dimension: str, cell: tuple[int, int], grown: str
) -> None:
    cells = '<row r="3"><c r="C3"><v>1</v></c></row><row r="4"><c r="D4"><v>2</v></c></row>'
    path = hand_made(
        tmp_path / "made.xlsx", sheet_xml(cells).replace("<sheetData>", dimension + "<sheetData>")
    )

    write(path, CellWrite("Plan", *cell, "x"))

    assert grown in sheet_part(path)


# Cells sheetsync must not write --------------------------------------------------------------


def merged_plan(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Plan"
    book.active.append(["Tactic ID", "Status", "Note"])
    book.active.append(["T1", "Idea"])
    book.active.merge_cells("B2:C3")
    book.save(path)
    return path


def test_the_first_cell_of_merged_cells_is_written(tmp_path: Path) -> None:
    path = merged_plan(tmp_path / "marketing.xlsx")

    write(path, CellWrite("Plan", 2, 2, "Done"))

    plan = openpyxl.load_workbook(path)["Plan"]
    assert plan["B2"].value == "Done"
    assert [str(area) for area in plan.merged_cells.ranges] == ["B2:C3"]


def test_cells_beside_merged_cells_are_written(tmp_path: Path) -> None:
    # B2:C3 is merged: the cells in its rows and columns but outside it are the user's to
    # have filled in, left, right, above and below.
    path = merged_plan(tmp_path / "marketing.xlsx")

    write(
        path,
        CellWrite("Plan", 1, 2, "Status"),
        CellWrite("Plan", 3, 1, "T2"),
        CellWrite("Plan", 2, 4, "right"),
        CellWrite("Plan", 4, 3, "below"),
    )

    plan = openpyxl.load_workbook(path)["Plan"]
    assert [plan[cell].value for cell in ("B1", "A3", "D2", "C4")] == [
        "Status",
        "T2",
        "right",
        "below",
    ]
    assert [str(area) for area in plan.merged_cells.ranges] == ["B2:C3"]


@pytest.mark.parametrize("cell", ["C2", "B3"])
def test_any_other_cell_of_merged_cells_is_refused_with_the_fix(tmp_path: Path, cell: str) -> None:
    path = merged_plan(tmp_path / "marketing.xlsx")
    before = path.read_bytes()
    row, column = openpyxl.utils.cell.coordinate_to_tuple(cell)

    with pytest.raises(WorkbookUnreachable) as error:
        # The first cell comes first in the plan: it is allowed, and the others still checked.
        write(path, CellWrite("Plan", 2, 2, "Done"), CellWrite("Plan", row, column, "x"))

    assert str(error.value) == (
        f"Cell {cell} on the Plan tab of {path} is part of merged cells, so sheetsync cannot "
        "fill it in; unmerge those cells and run sync again (nothing was written)."
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("formula", "what"),
    [
        ('<f t="shared" ref="B1:B3" si="0">A1*2</f>', "a formula filled across several cells"),
        ('<f t="array" ref="B1:B3">A1:A3*2</f>', "an array formula"),
        ('<f t="dataTable" ref="B1:B3" dt2D="0" dtr="0" r1="A1"/>', "a data table"),
    ],
)
@pytest.mark.parametrize("row", [1, 3])
def test_the_cells_of_a_formula_over_a_range_are_refused_from_its_first(
    tmp_path: Path, formula: str, what: str, row: int
) -> None:
    # B1 holds the formula that B1:B3 show: a value typed over B1 or B3 breaks it.
    cells = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in (2, 3))
    cells = f'<row r="1"><c r="A1"><v>1</v></c><c r="B1">{formula}<v>2</v></c></row>' + cells
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        write(path, CellWrite("Plan", row, 2, "Done"))

    assert str(error.value) == (
        f"Cell B{row} on the Plan tab of {path} is part of {what}, so sheetsync cannot fill it in; "
        "move that formula out of the column and run sync again (nothing was written)."
    )
    assert path.read_bytes() == before


def test_an_ordinary_formula_naming_its_own_range_is_no_reason_to_refuse(tmp_path: Path) -> None:
    # The format allows a range (ref) on any formula; without t="shared" or "array" it is an
    # ordinary formula in one cell, and the cells around it are written as usual.
    cells = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f ref="B1">A1*2</f><v>2</v></c></row>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(path, CellWrite("Plan", 1, 1, 5), CellWrite("Plan", 1, 3, "Done"))

    assert stored_values(path, "Plan") == [[5, 10, "Done"]]


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.mark.parametrize(
    ("sheet", "reason"),
    [
        (
            sheet_xml("".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in (1, 2, 2))),
            "row 2 comes after row 2",
        ),
        # Every sheet holds a <sheetData> (empty when it has no cells); without it, it is damaged.
        (f'<?xml version="1.0"?><worksheet xmlns="{_MAIN}"/>', "the sheet has no sheet data"),
    ],
    ids=["a-row-numbered-twice", "no-cells-element"],
)
def test_a_damaged_sheet_is_refused_untouched(tmp_path: Path, sheet: str, reason: str) -> None:
    path = hand_made(tmp_path / "made.xlsx", sheet)
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        write(path, CellWrite("Plan", 1, 2, "Done"))

    assert str(error.value) == (
        f"{path} is damaged: a part sheetsync writes is not as Excel writes it ({reason}); open "
        "it in Excel or LibreOffice, which can often repair it, save it as an Excel Workbook "
        "(.xlsx), and run sheetsync again."
    )
    assert path.read_bytes() == before


def cells_in_file_order(path: Path) -> list[list[str]]:
    """Each row's cell references as the sheet part lists them."""
    rows = re.findall(r"<row\b[^>]*?(?:/>|>(.*?)</row>)", sheet_part(path), re.S)
    return [re.findall(r"""<c\b[^>]*?\sr=["']([A-Z]+\d+)""", row) for row in rows]


RED = '<is><r><rPr><color rgb="FFFF0000"/></rPr><t>red</t></r></is>'
ROWS_SPELLED = {
    # As Excel, openpyxl and XlsxWriter write them: every cell opens as <c r="...
    "plain": (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>ID</t></is></c>'
        '<c r="C1"><v>3</v></c><c r="E1"><v>5</v></c></row>'
        '<row r="2"><c r="B2" t="inlineStr"><is><t>red</t></is></c><c r="D2"><v>4</v></c></row>'
        '<row r="3"><c r="A3"><v>1</v></c><c r="C3" t="inlineStr"><is><t>red</t></is></c></row>'
    ),
    # As other exporters may: the style before the reference, single quotes, red rich text
    # (a <color> that is no cell) beside them.
    "every": (
        '<row r="1"><c s="0" r="A1" t="inlineStr"><is><t>ID</t></is></c>'
        '<c s="0" r="C1"><v>3</v></c><c s="0" r="E1"><v>5</v></c></row>'
        f'<row r="2"><c r="B2" t="inlineStr">{RED}</c><c r=\'D2\'><v>4</v></c></row>'
        f'<row r="3"><c r="A3"><v>1</v></c><c r="C3" t="inlineStr">{RED}</c></row>'
    ),
}


@pytest.mark.parametrize("spelling", sorted(ROWS_SPELLED))
def test_cells_written_in_rows_of_every_spelling_go_in_column_order(
    tmp_path: Path, spelling: str
) -> None:
    # Excel calls a row whose cells are out of order damaged.
    cells = ROWS_SPELLED[spelling]
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(
        path,
        *(CellWrite("Plan", 1, column, f"{column}") for column in (2, 3, 4, 6)),
        *(CellWrite("Plan", 2, column, f"{column}") for column in (1, 3, 5)),
        *(CellWrite("Plan", 3, column, f"{column}") for column in (2, 4)),
    )

    assert cells_in_file_order(path) == [
        ["A1", "B1", "C1", "D1", "E1", "F1"],
        ["A2", "B2", "C2", "D2", "E2"],
        ["A3", "B3", "C3", "D3"],
    ]
    assert stray_text_in_rows(path) == []
    assert XlsxBackend(path).read().tabs[0].rows == (
        ("ID", "2", "3", "4", 5, "6"),
        ("1", "red", "3", 4, "5"),
        (1, "2", "red", "4"),
    )


def test_cells_placed_by_their_order_keep_their_column_beside_a_new_cell(tmp_path: Path) -> None:
    # A cell may leave out its reference: it is the one after the cell before it. D1 and the
    # red E1 follow C1 so; B1 goes in before C1, and D1 is written over.
    cells = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>3</v></c><c><v>4</v></c>'
        f'<c t="inlineStr">{RED}</c></row>'
    )
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(path, CellWrite("Plan", 1, 2, "B"), CellWrite("Plan", 1, 4, "D"))

    assert XlsxBackend(path).read().tabs[0].rows == ((1, "B", 3, "D", "red"),)
    assert stray_text_in_rows(path) == []
    assert openpyxl.load_workbook(path)["Plan"]["E1"].value == "red"


@pytest.mark.parametrize(
    ("cells", "written"),
    [
        # The last cell leaves out its reference: it is B1, and is written over in its place
        # (it was kept, and a second B1 added after it).
        (
            '<c r="A1"><v>1</v></c><c><v>2</v></c>',
            '<c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>B</t></is></c>',
        ),
        # The same with a look of its own.
        (
            '<c r="A1"><v>1</v></c><c s="0"><v>2</v></c>',
            '<c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>B</t></is></c>',
        ),
        # A tab before the last cell's reference (any white space may part attributes): B1
        # goes in before C1 (it went after it, out of order).
        (
            '<c r="A1"><v>1</v></c><c\tr="C1"><v>3</v></c>',
            '<c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>B</t></is></c>'
            '<c\tr="C1"><v>3</v></c>',
        ),
    ],
    ids=["last cell without reference", "the same with a look", "tab before reference"],
)
def test_a_cell_written_before_a_last_cell_spelled_otherwise_goes_in_its_place(
    tmp_path: Path, cells: str, written: str
) -> None:
    # Excel calls a row with a cell twice, or out of order, damaged; lenient readers hide it.
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(f'<row r="1">{cells}</row>'))

    write(path, CellWrite("Plan", 1, 2, "B"))

    row = re.search(r'<row r="1">(.*?)</row>', sheet_part(path), re.S)
    assert row is not None and row[1] == written


def test_new_cells_go_between_empty_cells_and_before_a_cell_on_its_own_line(
    tmp_path: Path,
) -> None:
    # Some exporters write a row's empty cells as <c r="A1"/>, and XML tools may put a line
    # break before a cell: a new cell still goes in column order.
    cells = '<row r="10"><c r="A10"/><c r="C10"/></row><row r="11">\n<c r="C11"><v>3</v></c></row>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(path, CellWrite("Plan", 10, 2, "B10"), CellWrite("Plan", 11, 2, "B11"))

    assert cells_in_file_order(path) == [["A10", "B10", "C10"], ["B11", "C11"]]
    assert XlsxBackend(path).read().tabs[0].rows[9:] == ((None, "B10"), (None, "B11", 3))


def tall_empty_rows(path: Path, program: str) -> Path:
    """A Plan whose rows 2 and 4 have a height of their own and no cells, as each program
    saves them: XlsxWriter (and Excel) as <row r="2" ... ht="30" customHeight="1"/>, openpyxl
    as <row r="2" ht="30" customHeight="1"></row>."""
    tactics = {3: "T2", 5: "T3"}
    if program == "xlsxwriter":
        book = xlsxwriter.Workbook(path)
        sheet = book.add_worksheet("Plan")
        sheet.write_row(0, 0, ["Tactic ID", "Status"])
        for row in (2, 4):
            sheet.set_row(row - 1, 30)
        for row, tactic in tactics.items():
            sheet.write(row - 1, 0, tactic)
        book.close()
        assert '<row r="2" spans="1:2" ht="30" customHeight="1"/>' in sheet_part(path)
    else:
        workbook = openpyxl.Workbook()
        plan = workbook.active
        plan.title = "Plan"
        plan.append(["Tactic ID", "Status"])
        for row in (2, 4):
            plan.row_dimensions[row].height = 30
        for row, tactic in tactics.items():
            plan[f"A{row}"] = tactic
        workbook.save(path)
        assert '<row r="2" ht="30" customHeight="1"></row>' in sheet_part(path)
    return path


@pytest.mark.parametrize("program", ["xlsxwriter", "openpyxl"])
def test_empty_rows_of_their_own_height_are_written_into_and_the_rows_after_them_kept(
    tmp_path: Path, program: str
) -> None:
    # The cells written go into an empty row, and the row after it stays its own, whether it
    # is written (row 5) or not (row 3).
    path = tall_empty_rows(tmp_path / "marketing.xlsx", program)

    write(path, CellWrite("Plan", 2, 2, "Idea"), CellWrite("Plan", 5, 2, "Done"))

    assert cells_in_file_order(path) == [["A1", "B1"], ["B2"], ["A3"], [], ["A5", "B5"]]
    assert stray_text_in_rows(path) == []
    plan = openpyxl.load_workbook(path)["Plan"]
    assert [plan[f"B{row}"].value for row in range(2, 6)] == ["Idea", None, None, "Done"]
    assert [plan.row_dimensions[row].height for row in (2, 4)] == [30, 30]


def test_a_new_cell_goes_before_the_extensions_that_end_a_row(tmp_path: Path) -> None:
    # A row may end with an <extLst> of a program's own data; cells come before it.
    extensions = '<extLst><ext uri="{00000000-0000-0000-0000-000000000001}"/></extLst>'
    cells = f'<row r="1"><c r="A1"><v>1</v></c>{extensions}</row>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(path, CellWrite("Plan", 1, 2, "B"))

    row = re.search(r'<row r="1">(.*?)</row>', sheet_part(path), re.S)
    assert row is not None and row[1] == (
        f'<c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>B</t></is></c>{extensions}'
    )


def test_a_formula_in_a_row_of_single_quoted_references_gets_its_new_result(
    tmp_path: Path,
) -> None:
    # Some exporters quote attributes with ' : B1 reads C1, which is written; its stored
    # result is the new one.
    cells = (
        "<row r='1'><c r='A1'><v>1</v></c><c r='B1' t='str'><f>C1&amp;\"!\"</f><v>!</v></c></row>"
    )
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(path, CellWrite("Plan", 1, 3, "Done"))

    assert stored_values(path, "Plan") == [[1, "Done!", "Done"]]


def test_a_cell_whose_reference_has_a_space_after_the_equals_sign_is_written_in_place(
    tmp_path: Path,
) -> None:
    # r= "D1" is the same attribute to XML: D1 is written over, not added a second time.
    cells = '<row r="1"><c r="A1"><v>1</v></c><c r= "D1"><v>4</v></c></row>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(path, CellWrite("Plan", 1, 4, "D"))

    row = re.search(r'<row r="1">(.*?)</row>', sheet_part(path), re.S)
    assert row is not None and row[1] == (
        '<c r="A1"><v>1</v></c><c r="D1" t="inlineStr"><is><t>D</t></is></c>'
    )


@pytest.mark.parametrize("rich", [False, True], ids=["plain text", "rich text"])
def test_a_text_that_spells_a_cells_reference_is_left_as_it_is(tmp_path: Path, rich: bool) -> None:
    # openpyxl keeps text in the row itself: A2's text holds r="B2", as B2 itself does (in
    # rich text, in a red run of its own).
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    note = 'Tracking code r="B2"'
    book = openpyxl.Workbook()
    book.active.title = "Plan"
    book.active.append(["Note", "Status"])
    if rich:
        red = TextBlock(InlineFont(color="FFFF0000"), 'r="B2"')
        book.active.append([CellRichText("Tracking code ", red), "Idea"])
    else:
        book.active.append([note, "Idea"])
    path = tmp_path / "marketing.xlsx"
    book.save(path)
    assert 'r="B2"' in sheet_part(path).partition('<c r="B2"')[0]

    write(path, CellWrite("Plan", 2, 2, "Done"))

    assert cells_in_file_order(path) == [["A1", "B1"], ["A2", "B2"]]
    assert stored_values(path, "Plan")[1] == [note, "Done"]


def test_text_with_characters_xml_cannot_hold_is_written_without_them(tmp_path: Path) -> None:
    # Pasted text can bring control characters (a vertical tab from Word, a NUL): a file
    # holding them is one Excel refuses to open.
    path = hand_made(tmp_path / "made.xlsx", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))

    write(path, CellWrite("Plan", 1, 2, "Launch\x0bwebinar\x00"))

    assert openpyxl.load_workbook(path)["Plan"]["B1"].value == "Launchwebinar"


def test_true_and_false_are_written_as_excels_yes_and_no(tmp_path: Path) -> None:
    path = hand_made(tmp_path / "made.xlsx", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))

    write(path, CellWrite("Plan", 1, 2, True), CellWrite("Plan", 1, 3, False))

    assert stored_values(path, "Plan") == [[1, True, False]]


# Guarded cells -------------------------------------------------------------------------------


def test_guarded_headers_are_read_as_typed_in_rich_text_dates_and_formatted_blanks(
    tmp_path: Path,
) -> None:
    # Row 1 as openpyxl saves it: "Spend & Budget" with a bold "& Budget" (inline rich text,
    # the ampersand escaped), a month typed as a date, a formatted empty cell.
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(
        [CellRichText("Spend ", TextBlock(InlineFont(b=True), "& Budget")), dt.date(2026, 3, 1)]
    )
    sheet["B1"].number_format = "mmm yyyy"
    sheet["C1"].font = Font(bold=True)
    path = tmp_path / "marketing.xlsx"
    book.save(path)
    header = XlsxBackend(path).read().tabs[0].rows[0]
    assert header == ("Spend & Budget", dt.date(2026, 3, 1))
    guards = (*(Guard("Plan", 1, n, value) for n, value in enumerate(header, 1)),)
    blank = Guard("Plan", 1, 3, None)

    write_and_guard = WritePlan(writes=(CellWrite("Plan", 2, 1, "Done"),), guards=(*guards, blank))
    XlsxBackend(path).apply(write_and_guard)
    assert XlsxBackend(path).read().tabs[0].rows[1] == ("Done",)

    moved = WritePlan(writes=write_and_guard.writes, guards=(Guard("Plan", 1, 3, "Spend"),))
    with pytest.raises(WorkbookChanged, match='Cell C1 .* changed from "Spend" to "" while'):
        XlsxBackend(path).apply(moved)


@pytest.mark.parametrize("b1", ["<c><v>2</v></c>", '<c s="0"><v>2</v></c>'])
def test_a_guarded_cell_placed_by_its_order_is_read_where_it_is(tmp_path: Path, b1: str) -> None:
    # B1 leaves out its reference (it is the one after A1). When the file changed during the
    # sync, the write checks it still holds 2: it does (it was read as blank, and the write
    # refused as "changed from 2").
    cells = f'<row r="1"><c r="A1"><v>1</v></c>{b1}<c r="C1"><v>3</v></c></row>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    XlsxBackend(path).apply(
        WritePlan(writes=(CellWrite("Plan", 1, 4, "D"),), guards=(Guard("Plan", 1, 2, 2),))
    )

    assert XlsxBackend(path).read().tabs[0].rows == ((1, 2, 3, "D"),)


def test_cells_without_any_attribute_are_written_over_where_they_are(tmp_path: Path) -> None:
    # <c><v>1</v></c>: A1, then B1. A1 is written over in its place, C1 goes after B1.
    path = hand_made(
        tmp_path / "made.xlsx", sheet_xml('<row r="1"><c><v>1</v></c><c><v>2</v></c></row>')
    )

    write(path, CellWrite("Plan", 1, 1, "first"), CellWrite("Plan", 1, 3, "third"))

    row = re.search(r'<row r="1">(.*?)</row>', sheet_part(path))
    assert row is not None and row[1] == (
        '<c r="A1" t="inlineStr"><is><t>first</t></is></c><c><v>2</v></c>'
        '<c r="C1" t="inlineStr"><is><t>third</t></is></c>'
    )


def test_rows_placed_by_their_order_keep_their_place_after_a_new_row(tmp_path: Path) -> None:
    # A row may leave out its number: it is the one after the row before it. Rows 4 and 5
    # follow row 3 so; a new row 2 goes in before row 3 (row 5 made the sync refuse the file
    # as damaged).
    cells = (
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>'
        '<row><c r="A4"><v>4</v></c></row><row><c r="A5"><v>5</v></c></row>'
    )
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(
        path,
        CellWrite("Plan", 2, 2, "new row"),
        CellWrite("Plan", 4, 2, "written"),
        CellWrite("Plan", 7, 1, "last row"),
    )

    assert XlsxBackend(path).read().tabs[0].rows == (
        (1,),
        (None, "new row"),
        (3,),
        (4, "written"),
        (5,),
        (),
        ("last row",),
    )
    assert cells_in_file_order(path) == [["A1"], ["B2"], ["A3"], ["A4", "B4"], ["A5"], ["A7"]]


ROW_2 = '<row r="2"><c r="A2"><v>2</v></c></row>'


@pytest.mark.parametrize(
    "cut",
    [
        ROW_2.index(" r="),  # after <row
        ROW_2.index("2"),  # inside the row's tag
        ROW_2.index("<v>") + 3,  # inside its cells
        ROW_2.index("</row>") + 4,  # inside </row>
        len(ROW_2),  # after it
    ],
    ids=["after <row", "in the tag", "in the cells", "in </row>", "after the row"],
)
def test_a_row_cut_between_two_pieces_the_editor_reads_is_written_once(
    tmp_path: Path, cut: int
) -> None:
    # The editor reads a sheet a megabyte (2**20 bytes) at a time: wherever a piece ends in a
    # row, the row is edited whole, once.
    def sheet(padding: int) -> str:
        long_text = f'<c r="A1" t="inlineStr"><is><t>{"n" * padding}</t></is></c>'
        cells = f'<row r="1">{long_text}</row>{ROW_2}<row r="3"><c r="A3"><v>3</v></c></row>'
        return sheet_xml(cells)

    row_2_at = sheet(0).encode().index(ROW_2.encode())
    xml = sheet(2**20 - row_2_at - cut)
    assert xml.encode().index(ROW_2.encode()) + cut == 2**20
    path = hand_made(tmp_path / "made.xlsx", xml)

    write(
        path,
        CellWrite("Plan", 2, 2, "B2"),
        CellWrite("Plan", 3, 2, "B3"),
        CellWrite("Plan", 4, 1, "A4"),
    )

    assert cells_in_file_order(path) == [["A1"], ["A2", "B2"], ["A3", "B3"], ["A4"]]
    assert stray_text_in_rows(path) == []
    assert XlsxBackend(path).read().tabs[0].rows[1:] == ((2, "B2"), (3, "B3"), ("A4",))


def test_a_new_row_goes_in_before_a_row_written_just_after_it(tmp_path: Path) -> None:
    # Row 2 is new, row 3 is there: row 2 goes in once before it, and row 3 is written in
    # place (not added a second time).
    cells = '<row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    write(path, CellWrite("Plan", 2, 2, "new"), CellWrite("Plan", 3, 2, "written"))

    assert cells_in_file_order(path) == [["A1"], ["B2"], ["A3", "B3"]]
    assert XlsxBackend(path).read().tabs[0].rows == ((1,), (None, "new"), (3, "written"))


def test_clearing_cells_that_are_not_there_leaves_the_sheet_as_it_was(tmp_path: Path) -> None:
    # A blank written where there is no cell (a row not there yet, a row without that cell)
    # adds no element, not even an empty row.
    cells = '<row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))
    before = sheet_part(path)

    write(
        path,
        CellWrite("Plan", 1, 2, None),
        CellWrite("Plan", 2, 2, None),
        CellWrite("Plan", 5, 1, None),
    )

    assert sheet_part(path) == before


def test_settings_before_the_cells_longer_than_a_piece_are_kept(tmp_path: Path) -> None:
    # Every one of the 16,384 columns with its own width and look, as Excel writes them, is
    # 1.2 MB before the first row: more than a piece the editor reads at once.
    columns = "".join(
        f'<col min="{n}" max="{n}" width="10.5703125" style="{n % 2}" bestFit="1" customWidth="1"/>'
        for n in range(1, 16385)
    )
    cells = '<row r="1"><c r="A1"><v>1</v></c></row>'
    xml = sheet_xml(cells).replace("<sheetData>", f"<cols>{columns}</cols><sheetData>")
    assert xml.index("<sheetData>") > 2**20
    path = hand_made(tmp_path / "made.xlsx", xml)

    write(path, CellWrite("Plan", 1, 2, "B"))

    assert sheet_part(path).partition("<sheetData>")[0] == xml.partition("<sheetData>")[0]
    assert XlsxBackend(path).read().tabs[0].rows == ((1, "B"),)


def test_the_editor_hands_the_sheet_on_as_it_reads_it(tmp_path: Path) -> None:
    # A Plan of 100k tactics is about 60 MB of XML: the editor passes the new part on a
    # piece at a time, having read only the pieces before it, never holding the whole part.
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 100_001))
    xml = sheet_xml(rows).encode()
    pieces = [xml[at : at + 2**20] for at in range(0, len(xml), 2**20)]
    read: list[bytes] = []

    def reading() -> Iterator[bytes]:
        for piece in pieces:
            read.append(piece)
            yield piece

    editor = SheetEditor(SheetEdit(cells={(2, 2): NewCell("x")}), lambda style, kind: style)
    written = editor.edited(reading())

    first = next(written)
    assert len(read) < len(pieces)
    row_2 = '<row r="2"><c r="A2"><v>2</v></c>'
    assert b"".join([first, *written]) == xml.replace(
        row_2.encode(), f'{row_2}<c r="B2" t="inlineStr"><is><t>x</t></is></c>'.encode()
    )


def test_an_empty_tab_keeps_a_long_tail_after_its_cells(tmp_path: Path) -> None:
    # An empty tab (<sheetData/>) followed by 2.5 MB of an add-in's data: the rows go in,
    # and what follows them is kept byte for byte over the pieces the editor reads.
    data = f'<x:data xmlns:x="urn:x">{"d" * 2_500_000}</x:data>'
    tail = f'<extLst><ext uri="{{0}}">{data}</ext></extLst>'
    xml = sheet_xml("", extra=tail).replace("<sheetData></sheetData>", "<sheetData/>")
    path = hand_made(tmp_path / "made.xlsx", xml)

    write(path, CellWrite("Plan", 1, 1, "Status"))

    assert sheet_part(path).partition("</sheetData>")[2] == tail + "</worksheet>"
    assert XlsxBackend(path).read().tabs[0].rows == (("Status",),)


def test_a_row_whose_only_cell_is_cleared_keeps_its_height(tmp_path: Path) -> None:
    # The Checks tab shrinks: a finding's row is cleared. The row keeps its height and look.
    path = tmp_path / "marketing.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Checks")
    sheet.write(0, 0, "Issue")
    sheet.set_row(1, 30)
    sheet.write(1, 0, "Budget is over")
    book.close()

    write(path, CellWrite("Checks", 2, 1, None))

    assert '<row r="2" spans="1:1" ht="30" customHeight="1"/>' in sheet_part(path)
    assert stray_text_in_rows(path) == []
    checks = openpyxl.load_workbook(path)["Checks"]
    assert (checks["A2"].value, checks.row_dimensions[2].height) == (None, 30)


def test_a_row_longer_than_a_piece_and_a_long_tail_are_written_once(tmp_path: Path) -> None:
    """The editor reads a sheet a megabyte at a time: rows of 1.2 MB (40 long notes) are
    edited whole, and what follows the cells (here 2.5 MB of an add-in's data) is kept."""

    def notes(row: int) -> str:
        text = "n" * 30_000
        return "".join(
            f'<c r="{column_letter(n)}{row}" t="inlineStr"><is><t>{text}</t></is></c>'
            for n in range(1, 41)
        )

    cells = (
        f'<row r="1">{notes(1)}</row><row r="2"><c r="A2"><v>2</v></c></row>'
        f'<row r="3">{notes(3)}</row>'
    )
    data = f'<x:data xmlns:x="urn:x">{"d" * 2_500_000}</x:data>'
    tail = f'<extLst><ext uri="{{0}}">{data}</ext></extLst>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells, extra=tail))
    before = sheet_part(path)

    write(
        path,
        CellWrite("Plan", 1, 50, "written"),
        CellWrite("Plan", 2, 2, "written"),
        CellWrite("Plan", 4, 1, "new row"),
    )

    after = sheet_part(path)
    assert after.partition("</sheetData>")[2] == before.partition("</sheetData>")[2]
    assert cells_in_file_order(path) == [
        [f"{column_letter(n)}1" for n in (*range(1, 41), 50)],
        ["A2", "B2"],
        [f"{column_letter(n)}3" for n in range(1, 41)],
        ["A4"],
    ]
    assert stray_text_in_rows(path) == []
    rows = XlsxBackend(path).read().tabs[0].rows
    assert (rows[0][-1], rows[1], rows[3]) == ("written", (2, "written"), ("new row",))


# The link to the notes' drawing -------------------------------------------------------------


RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def worksheet_children(path: Path) -> list[str]:
    return [child.tag.rpartition("}")[2] for child in ElementTree.fromstring(sheet_part(path))]


def test_a_header_note_on_an_empty_tab_is_linked_after_its_other_parts(tmp_path: Path) -> None:
    # An empty tab (<sheetData/>) with merged cells after it: the notes' drawing is linked
    # after them, as Excel orders a sheet's parts, by an id Excel finds in the sheet's links.
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData/>'
        '<mergeCells count="1"><mergeCell ref="D5:E6"/></mergeCells></worksheet>'
    )
    path = hand_made(tmp_path / "made.xlsx", sheet)

    write(path, CellWrite("Plan", 1, 1, "Status", kind="header"))

    assert worksheet_children(path) == ["sheetData", "mergeCells", "legacyDrawing"]
    link = ElementTree.fromstring(sheet_part(path)).find(f"{{{main}}}legacyDrawing")
    assert link is not None
    with zipfile.ZipFile(path) as archive:
        links = ElementTree.fromstring(archive.read("xl/worksheets/_rels/sheet1.xml.rels"))
        targets = {item.get("Id"): item.get("Target", "") for item in links}
        drawing = targets[link.get(f"{{{RELATIONSHIPS}}}id")]
        assert b'ObjectType="Note"' in archive.read("xl/" + drawing.removeprefix("../"))
    assert openpyxl.load_workbook(path)["Plan"]["A1"].comment is not None


def test_a_header_note_on_a_tab_with_notes_of_its_own_keeps_its_one_link(tmp_path: Path) -> None:
    # A sheet links one notes drawing at most (a second link is damage to Excel): the user's
    # note and sheetsync's share the one there.
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet["A1"] = "Tactic ID"
    sheet["A1"].comment = Comment("One row per tactic", "Dana")
    path = tmp_path / "marketing.xlsx"
    book.save(path)

    write(path, CellWrite("Plan", 1, 2, "Status", kind="header"))

    assert worksheet_children(path).count("legacyDrawing") == 1
    plan = openpyxl.load_workbook(path)["Plan"]
    assert plan["A1"].comment.text == "One row per tactic"
    assert plan["B1"].comment is not None
