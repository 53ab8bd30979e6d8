"""The read's own look at the package: what calamine does not say about a workbook.

Which cells hold formulas and errors, whether their stored results can be trusted, which cells
show dates, which names the formulas use: read from files written the ways other programs
write them (an `x:` prefix and single quotes, as .NET's Open XML SDK does; shared formulas and
data tables, as Excel does), as a user sees the values in the check.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from test_xlsx_edit import hand_made
from test_xlsx_formulas import PLAN, patch, read, stored, sync, workbook

from sheetsync.workbook import CellError


def sheet(cells: str, prefix: str = "", quote: str = '"') -> str:
    """A sheet part around these cells, its tags under `prefix`, attributes in `quote`."""
    p = f"{prefix}:" if prefix else ""
    namespace = f"xmlns{':' + prefix if prefix else ''}"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return (
        f"<?xml version={quote}1.0{quote}?><{p}worksheet {namespace}={quote}{main}{quote}>"
        f"<{p}sheetData>{cells}</{p}sheetData></{p}worksheet>"
    )


@pytest.mark.parametrize("prefix", ["", "x"])
@pytest.mark.parametrize("quote", ['"', "'"])
@pytest.mark.parametrize("with_references", [True, False], ids=["r=A1", "no references"])
def test_errors_and_formulas_read_in_every_dialect(
    tmp_path: Path, prefix: str, quote: str, with_references: bool
) -> None:
    """Cells may leave out their reference (the one after the one before): the same values."""
    p = f"{prefix}:" if prefix else ""

    def cell(reference: str, attributes: str, body: str) -> str:
        at = f" r={quote}{reference}{quote}" if with_references else ""
        return f"<{p}c{at}{attributes}>{body}</{p}c>"

    q = quote
    cells = (
        f"<{p}row r={q}1{q}>"
        + cell("A1", "", f"<{p}v>10</{p}v>")
        + cell("B1", "", f"<{p}f>A1*2</{p}f>")  # no stored result: worked out
        + cell("C1", f" t={q}e{q}", f"<{p}v>#REF!</{p}v>")
        + cell("D1", f" t={q}str{q}", f"<{p}f>A1&amp;{q}!{q}</{p}f><{p}v>10!</{p}v>")
        + cell("E1", "", f"<{p}f t={q}shared{q} ref={q}E1:E2{q} si={q}0{q}>A1*3</{p}f>")
        + f"</{p}row><{p}row r={q}2{q}>"
        + cell("A2", "", f"<{p}v>5</{p}v>")
        + "".join(cell(f"{column}2", "", "") for column in "BCD")
        + cell("E2", "", f"<{p}f t={q}shared{q} si={q}0{q}/>")
        + f"</{p}row>"
    )
    if quote == "'":
        cells = cells.replace("&amp;'!'", '&amp;"!"')
    path = hand_made(tmp_path / "made.xlsx", sheet(cells, prefix, quote))

    values = read(path, "Plan", "A1", "B1", "C1", "D1", "E1", "E2")
    assert values == [10, 20, CellError("#REF!"), "10!", 30, 15]


@pytest.mark.parametrize("quote", ['"', "'"])
def test_results_excel_stored_are_read_as_stored_where_the_library_would_differ(
    tmp_path: Path, quote: str
) -> None:
    """The library counts SUMPRODUCT(--(...)) as 0; Excel stored 2. A file that does not ask to
    be recalculated (no calculation settings at all here) is read as it stores its results,
    down a shared formula too (its text only in the first cell)."""
    q = quote
    done = "".join(
        f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>{status}</t></is></c>'
        + (
            f'<c r="B{row}"><f t={q}shared{q} ref={q}B1:B2{q} si={q}0{q}>'
            'SUMPRODUCT(--(A1:A3="Done"))</f><v>2</v></c>'
            if row == 1
            else f'<c r="B{row}"><f t={q}shared{q} si={q}0{q}/><v>2</v></c>'
            if row == 2
            else ""
        )
        + "</row>"
        for row, status in enumerate(["Done", "x", "Done", "Done"], start=1)
    )
    path = hand_made(tmp_path / "made.xlsx", sheet(done))

    assert read(path, "Plan", "B1", "B2") == [2, 2]


def test_stored_results_are_trusted_only_where_the_file_holds_one(tmp_path: Path) -> None:
    """`<v/>` and an empty `<v></v>` hold no result, unless the formula gave text."""
    cells = (
        '<row r="1"><c r="A1"><v>10</v></c>'
        '<c r="B1"><f>A1*2</f><v>20</v></c>'  # stored, trusted
        '<c r="C1"><f>A1*3</f><v/></c>'
        '<c r="D1"><f>A1*4</f><v></v></c>'
        '<c r="E1" t="str"><f>IF(A1&gt;5,"","small")</f><v></v></c>'  # stored: empty text
        '<c r="F1"><f>A1*5</f></c>'
        '<c r="G1"><f>IF(A1&gt;5,\nA1*6,\n0)</f></c></row>'  # typed over lines (Alt+Enter)
    )
    path = hand_made(tmp_path / "made.xlsx", sheet(cells))

    assert read(path, "Plan", "B1", "C1", "D1", "E1", "F1", "G1") == [20, 30, 40, None, 50, 60]


@pytest.mark.parametrize("asking", ["1", "true"])
def test_a_file_asking_to_recalculate_has_its_stored_results_worked_out_again(
    tmp_path: Path, asking: str
) -> None:
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": {"A1": ("=1+1", 7)}})
    patch(path, "xl/workbook.xml", b"<calcPr ", f'<calcPr fullCalcOnLoad="{asking}" '.encode())

    assert read(path, "Summary", "A1") == [2]


@pytest.mark.parametrize("flag", ["1", "true"])
def test_a_due_date_worked_out_in_a_workbook_marked_1904_either_way(
    tmp_path: Path, flag: str
) -> None:
    start = (dt.date(2026, 3, 1) - dt.date(1904, 1, 1)).days
    plan = {"A1": "Start", "B1": "Due", "A2": start, "B2": ("=A2+14", 0)}
    looks = {"Plan!A2": "yyyy-mm-dd", "Plan!B2": "yyyy-mm-dd"}
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": plan}, formats=looks, date1904=True)
    patch(path, "xl/workbook.xml", b'date1904="1"', f'date1904="{flag}"'.encode())
    patch(path, "xl/workbook.xml", b"<calcPr ", b'<calcPr fullCalcOnLoad="1" ')

    assert read(path, "Plan", "A2", "B2") == [dt.date(2026, 3, 1), dt.date(2026, 3, 15)]


def test_copies_of_a_shared_formula_down_a_date_column_read_as_dates(tmp_path: Path) -> None:
    """Excel writes a column of copies as one shared formula, the text in its first cell."""
    plan = {"A1": "Start", "B1": "Due"} | {f"A{row}": 46082 + row for row in (2, 3, 4)}
    plan |= {f"B{row}": (f"=A{row}+14", 0) for row in (2, 3, 4)}
    looks = {f"Plan!{column}{row}": "yyyy-mm-dd" for column in "AB" for row in (2, 3, 4)}
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": plan}, formats=looks)
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    style = xml.split(b'<c r="B2" s="')[1].split(b'"')[0]
    for row in (2, 3, 4):
        master = (
            b'<f t="shared" ref="B2:B4" si="0">A2+14</f>' if row == 2 else b'<f t="shared" si="0"/>'
        )
        patch(
            path,
            "xl/worksheets/sheet1.xml",
            b'<c r="B%d" s="%s"><f>A%d+14</f><v>0</v></c>' % (row, style, row),
            b'<c r="B%d" s="%s">%s</c>' % (row, style, master),
        )

    due = read(path, "Plan", "B2", "B3", "B4")

    assert due == [dt.date(2026, 3, 1) + dt.timedelta(days=row + 14) for row in (2, 3, 4)]


def test_a_what_if_data_table_keeps_its_stored_results(tmp_path: Path) -> None:
    """Excel works a data table out itself; the file stores no formula for it to read."""
    cells = (
        '<row r="1"><c r="A1"><v>0.5</v></c><c r="B1"><f>A1*100</f><v>50</v></c></row>'
        '<row r="2"><c r="A2"><v>0.75</v></c>'
        '<c r="B2"><f t="dataTable" ref="B2:B2" dt2D="0" dtr="0" r1="A1"/><v>75</v></c></row>'
    )
    path = hand_made(tmp_path / "made.xlsx", sheet(cells))
    assert read(path, "Plan", "B1", "B2") == [50, 75]

    sync(path, Plan_A1=0.25)

    assert stored(path, "Plan", "B1", "B2") == [25, None]  # left to Excel, not the old 75


def test_a_name_scoped_to_a_tab_that_is_gone_is_read_as_the_workbooks(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "marketing.xlsx",
        {"Plan": PLAN, "Summary": {"A1": ('=COUNTIF(Statuses,"Done")', 0)}},
        names={"Summary!Statuses": "=Plan!$B$2:$B$4"},
    )
    patch(path, "xl/workbook.xml", b'localSheetId="1"', b'localSheetId="2"')
    patch(path, "xl/workbook.xml", b"<calcPr ", b'<calcPr fullCalcOnLoad="1" ')

    assert read(path, "Summary", "A1") == [2]


def test_a_cell_format_without_a_number_format_is_general(tmp_path: Path) -> None:
    plan = {"A1": 46082, "B1": ("=A1+14", 0)}
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": plan}, formats={"Plan!B1": "yyyy-mm-dd"})
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml")
    general = styles[styles.index(b"<cellXfs") :].split(b"<xf ")[1].split(b"/>")[0]
    patch(
        path, "xl/styles.xml", b"<xf " + general, b"<xf " + general.replace(b'numFmtId="0" ', b"")
    )
    patch(path, "xl/workbook.xml", b"<calcPr ", b'<calcPr fullCalcOnLoad="1" ')

    assert read(path, "Plan", "A1", "B1") == [46082, dt.date(2026, 3, 15)]


def test_a_styles_part_without_cell_formats_reads(tmp_path: Path) -> None:
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": {"A1": ("=1+1", 0)}})
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml")
    formats = styles[styles.index(b"<cellXfs") : styles.index(b"</cellXfs>") + len(b"</cellXfs>")]
    patch(path, "xl/styles.xml", formats, b"")
    patch(path, "xl/workbook.xml", b"<calcPr ", b'<calcPr fullCalcOnLoad="1" ')

    assert read(path, "Summary", "A1") == [2]
