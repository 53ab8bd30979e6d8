"""The results sheetsync works out for your formulas, as a spreadsheet program shows them.

A sync writes a Status or an ROI; a Summary tab of yours counts the statuses or sums the
ROIs. The file must then hold each such formula's new result (what pandas, a preview, or
Excel before it recalculates shows), or none at all with Excel asked to work it out: never
the old figure. These tests write real .xlsx files as a spreadsheet program saves them
(XlsxWriter: every formula with its stored result), sync through the local backend, and
read the results back as stored (calamine) and as sheetsync reads them.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Mapping
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.cell import coordinate_to_tuple
from xlsxwriter.utility import xl_cell_to_rowcol

from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.workbook import CellError, CellWrite, WritePlan

# A cell's content: a value, or a formula ("=...") with the result the file stores.
Content = object | tuple[str, object]

PLAN: dict[str, Content] = {
    "A1": "Tactic ID", "B1": "Status", "C1": "ROI",
    "A2": "T1", "B2": "Done", "C2": 0.5,
    "A3": "T2", "B3": "At risk", "C3": 0.25,
    "A4": "T3", "B4": "Done", "C4": -0.1,
}  # fmt: skip


def workbook(
    path: Path,
    tabs: Mapping[str, Mapping[str, Content]],
    *,
    names: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    date1904: bool = False,
) -> Path:
    """An .xlsx as a spreadsheet program saves it: every formula with its stored result, and
    no request to recalculate when opened (XlsxWriter asks for one; Excel does not).

    `names`: defined names ("Summary!Rate" for one tab's own); `formats`: a number format
    for cells ("Plan!D2").
    """
    book = xlsxwriter.Workbook(path, {"date_1904": date1904})
    looks = {cell: book.add_format({"num_format": code}) for cell, code in (formats or {}).items()}
    for tab, cells in tabs.items():
        sheet = book.add_worksheet(tab)
        for cell, content in cells.items():
            look = looks.get(f"{tab}!{cell}")
            if isinstance(content, tuple):
                formula, result = content
                sheet.write_formula(cell, formula, look, result)
            elif isinstance(content, str):
                sheet.write_string(cell, content, look)
            elif content is None:
                sheet.write_blank(cell, None, look)
            else:
                sheet.write(cell, content, look)
    for name, target in (names or {}).items():
        book.define_name(name, target)
    book.close()
    patch(path, "xl/workbook.xml", b' fullCalcOnLoad="1"', b"")
    return path


def patch(path: Path, member: str, old: bytes, new: bytes) -> None:
    """Replace bytes inside one part of the package."""
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            if info.filename == member:
                assert old in data
                data = data.replace(old, new)
            archive.writestr(info, data)


def sync(path: Path, **cells: object) -> None:
    """Write cells named like Plan_B3="Done", as a sync writes its own cells."""
    writes = []
    for name, value in cells.items():
        tab, cell = name.rsplit("_", 1)
        writes.append(CellWrite(tab, *coordinate_to_tuple(cell), value))
    XlsxBackend(path).apply(WritePlan(writes=tuple(writes)))


def stored(path: Path, tab: str, *cells: str) -> list[object]:
    """The results the file stores, as pandas or a preview shows them (None for none)."""
    sheet = openpyxl.load_workbook(path, data_only=True)[tab]
    return [sheet[cell].value for cell in cells]


def read(path: Path, tab: str, *cells: str) -> list[object]:
    """The values sheetsync reads (None for a formula it leaves to the spreadsheet program)."""
    found = XlsxBackend(path).read().find_tab(tab)
    assert found is not None
    return [_at(found.rows, cell, None) for cell in cells]


def _at(rows: object, cell: str, blank: object) -> object:
    row, column = xl_cell_to_rowcol(cell)
    try:
        return rows[row][column]  # type: ignore[index]
    except IndexError:
        return blank


def asks_to_recalculate(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return b'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml")


# The references a formula can make ----------------------------------------------------------


@pytest.mark.parametrize(
    "formula",
    [
        'COUNTIF(Plan!B2:B4,"Done")',
        'COUNTIF(Plan!B4:B2,"Done")',  # typed bottom first: Excel reads B2:B4
        'COUNTIF(Plan!B3:A2,"Done")+COUNTIF(Plan!B4,"Done")',  # and right to left
        'COUNTIF(Plan!$B$2:$B$4,"Done")',
        'COUNTIF(Plan!B:B,"Done")',
        'COUNTIF(Plan!3:4,"Done")+1',
        "COUNTIF('Plan'!B2:B4,\"Done\")",
        'COUNTIF(plan!B2:B4,"Done")',
        'COUNTIF(Statuses,"Done")',
        'IF(Plan!B3="Done",1,0)+COUNTIF(Plan!B2:B2,"Done")+COUNTIF(Plan!B4,"Done")',
    ],
)
def test_a_count_of_done_tactics_follows_the_status_a_sync_writes(
    tmp_path: Path, formula: str
) -> None:
    path = workbook(
        tmp_path / "marketing.xlsx",
        {"Plan": PLAN, "Summary": {"A1": "Done", "B1": (f"={formula}", 2)}},
        names={"Statuses": "=Plan!$B$2:$B$4"},
    )
    assert read(path, "Summary", "B1") == [2]

    sync(path, Plan_B3="Done")

    assert stored(path, "Summary", "B1") == [3]
    assert read(path, "Summary", "B1") == [3]


@pytest.mark.parametrize("written", ["C2", "C3", "C4"])
@pytest.mark.parametrize(
    "formula", ["SUM(Plan!C2:C4)", "SUM(Plan!2:4)-SUM(Plan!A2:B4)", "SUM(Plan!C:C)"]
)
def test_a_total_follows_an_roi_written_in_any_row_it_sums(
    tmp_path: Path, formula: str, written: str
) -> None:
    path = workbook(
        tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": {"A1": (f"={formula}", 0.65)}}
    )
    sync(path, **{f"Plan_{written}": 1.5})

    rois = {"C2": 0.5, "C3": 0.25, "C4": -0.1} | {written: 1.5}
    assert stored(path, "Summary", "A1") == [pytest.approx(sum(rois.values()))]


def test_the_header_row_and_a_new_column_count_in_whole_column_and_row_references(
    tmp_path: Path,
) -> None:
    """The first sync adds a Status column at the right end: header and values."""
    plan = {cell: value for cell, value in PLAN.items() if not cell.startswith("B")}
    path = workbook(
        tmp_path / "marketing.xlsx",
        {
            "Plan": plan,
            "Summary": {
                "A1": ("=COUNTA(Plan!D:D)", 0),
                "B1": ("=COUNTA(Plan!1:1)", 2),
                "C1": ('=COUNTIF(Plan!D2:D9,"Done")', 0),
                "D1": ("=COUNTA(Notes!1:1)+COUNTA(Plan!D2)", 0),
            },
            "Notes": {},
        },
    )

    sync(path, Plan_D1="Status", Plan_D2="Done", Plan_D4="Done")

    assert stored(path, "Summary", "A1", "B1", "C1", "D1") == [3, 3, 2, 1]


def test_counts_of_blanks_to_the_sheets_edge_are_left_to_the_spreadsheet_program(
    tmp_path: Path,
) -> None:
    """Excel counts a whole column's blanks down to row 1,048,576; sheetsync's copy of the
    sheet stops at its last value, so it leaves such counts to Excel, and works out the rest."""
    summary = {
        "A1": ("=COUNTBLANK(Plan!B:B)", 1_048_572),
        "B1": ('=COUNTIF(Plan!B:B,"<>Done")', 1_048_574),
        "C1": ("=COUNTBLANK(Plan!3:3)", 16_381),
        "D1": ('=COUNTIF(Plan!B:B,"Done")', 2),
        "E1": ('=AVERAGEIF(Plan!B:B,"Done",Plan!C:C)', 0.2),
    }
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": summary})
    assert read(path, "Summary", *summary) == [1_048_572, 1_048_574, 16_381, 2, 0.2]

    sync(path, Plan_B3="Done")

    assert stored(path, "Summary", *summary) == [None, None, None, 3, pytest.approx(0.65 / 3)]
    assert asks_to_recalculate(path)


def test_functions_that_take_the_reference_itself_are_left_to_the_spreadsheet_program(
    tmp_path: Path,
) -> None:
    """ROWS(B2:B4) is 3 in Excel; given only the cells' values, the library says #VALUE!."""
    summary = {
        "A1": ('=ROWS(Plan!B2:B4)-COUNTIF(Plan!B2:B4,"Done")', 1),
        "B1": ("=COLUMNS(Plan!A2:C2)*Plan!C2", 1.5),
        "C1": ("=ISREF(Plan!C2)", True),
    }
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": summary})
    workbook_asking_to_recalculate(path)
    assert read(path, "Summary", *summary) == [1, 1.5, True]  # as the file stores them

    sync(path, Plan_B3="Done", Plan_C2=1)

    assert stored(path, "Summary", *summary) == [None, None, None]
    assert read(path, "Summary", *summary) == [None, None, None]


def test_formulas_the_library_works_out_wrong_are_left_to_the_spreadsheet_program(
    tmp_path: Path,
) -> None:
    """The library reads "--" as nothing (SUMPRODUCT(--(...)) is 0) and counts a criterion of
    "<>" without blanks; a criterion in a cell may be one. A plain criterion is worked out."""
    summary = {
        "A1": ('=SUMPRODUCT(--(Plan!B2:B4="Done"))', 2),
        "B1": ('=COUNTIF(Plan!A2:C4,"<>Done")', 7),
        "C1": ("=COUNTIF(Plan!B2:B4,Notes!A1)", 2),
        "D1": ('=COUNTIF(Plan!B2:B4,"Done")', 2),
    }
    path = workbook(
        tmp_path / "marketing.xlsx",
        {"Plan": PLAN, "Summary": summary, "Notes": {"A1": "Done"}},
    )
    assert read(path, "Summary", *summary) == [2, 7, 2, 2]

    sync(path, Plan_B3="Done")

    assert stored(path, "Summary", *summary) == [None, None, None, 3]
    assert asks_to_recalculate(path)


def test_a_tab_named_with_an_apostrophe_and_columns_past_z(tmp_path: Path) -> None:
    plan = {"A1": "Tactic ID", "AA1": "Spend", "AB1": "ROI", "A2": "T1", "AA2": 90, "AB2": 0.5}
    path = workbook(
        tmp_path / "marketing.xlsx",
        {"Bob's Plan": plan, "Summary": {"A1": ("='Bob''s Plan'!AB2*'Bob''s Plan'!AA2", 45)}},
    )
    assert read(path, "Summary", "A1") == [45]

    sync(path, **{"Bob's Plan_AB2": 2})

    assert stored(path, "Summary", "A1") == [180]


def test_a_name_defined_for_one_tab_wins_on_that_tab(tmp_path: Path) -> None:
    """Summary's own "Statuses" are the later tactics; every other tab's, the first two."""
    path = workbook(
        tmp_path / "marketing.xlsx",
        {
            "Plan": PLAN,
            "Summary": {"A1": ('=COUNTIF(Statuses,"Done")', 1)},
            "Report": {"A1": ('=COUNTIF(Statuses,"Done")', 1)},
        },
        names={"Statuses": "=Plan!$B$2:$B$3", "Summary!Statuses": "=Plan!$B$3:$B$4"},
    )

    sync(path, Plan_B4="At risk")

    assert stored(path, "Summary", "A1") + stored(path, "Report", "A1") == [0, 1]
    assert read(path, "Summary", "A1") + read(path, "Report", "A1") == [0, 1]


def test_a_name_and_a_cell_in_one_formula(tmp_path: Path) -> None:
    """The ROIs of every tactic but the last."""
    path = workbook(
        tmp_path / "marketing.xlsx",
        {"Plan": PLAN, "Summary": {"A1": ("=SUM(Rois)-Plan!C4", 0.75)}},
        names={"Rois": "=Plan!$C$2:$C$4"},
    )

    sync(path, Plan_C3=1.5)

    assert stored(path, "Summary", "A1") == [2]


def test_names_that_are_not_cells_leave_the_formula_to_the_spreadsheet_program(
    tmp_path: Path,
) -> None:
    """A constant, and a name without a tab: sheetsync does not guess which tab Excel means."""
    path = workbook(
        tmp_path / "marketing.xlsx",
        {
            "Plan": PLAN,
            "Summary": {"A1": ("=Plan!C2*Rate", 0.25), "B1": ("=Here*2+Plan!C2", 7), "C1": 3},
        },
        names={"Rate": "=0.5", "Here": "=$C$1"},
    )

    sync(path, Plan_C2=1)

    assert stored(path, "Summary", "A1", "B1") == [None, None]
    assert asks_to_recalculate(path)
    assert read(path, "Summary", "A1", "B1") == [None, None]


def test_a_reference_past_the_sheets_edge_is_left_to_the_spreadsheet_program(
    tmp_path: Path,
) -> None:
    """Column XFD and row 1,048,576 are the last; a script can write a formula past them."""
    book = openpyxl.Workbook()
    book.active.title = "Plan"
    book.active.append(["ROI", 0.5])
    book.create_sheet("Summary").append(["=SUM(Plan!XFE1:B1)", "=SUM(Plan!B1048577:B1)"])
    path = tmp_path / "marketing.xlsx"
    book.save(path)

    assert read(path, "Summary", "A1", "B1") == [None, None]


def test_a_3d_reference_and_a_link_to_another_workbook_are_left_to_the_spreadsheet_program(
    tmp_path: Path,
) -> None:
    """Either may read the written tab (a link may point to this very file)."""
    path = workbook(
        tmp_path / "marketing.xlsx",
        {
            "Plan": PLAN,
            "Report": {"C2": 1},
            "Summary": {"A1": ("=SUM(Plan:Report!C2)", 1.5), "B1": ("=[1]Plan!C2", 0.5)},
        },
    )

    sync(path, Plan_C2=2)

    assert stored(path, "Summary", "A1", "B1") == [None, None]
    assert asks_to_recalculate(path)


# Copies of a formula, and formulas that read formulas --------------------------------------


def test_copies_down_a_column_of_a_formula_that_reads_one_cell_twice_in_its_first_row(
    tmp_path: Path,
) -> None:
    """Each tactic's ROI as a multiple of the first's: in row 2 both references are C2."""
    summary = {f"B{row}": (f"=Plan!C{row}/Plan!$C$2", 0) for row in (2, 3, 4)}
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": summary})
    workbook_asking_to_recalculate(path)
    assert read(path, "Summary", "B2", "B3", "B4") == [1, 0.5, pytest.approx(-0.2)]

    sync(path, Plan_C3=0.75)

    assert stored(path, "Summary", "B3") == [1.5]


def workbook_asking_to_recalculate(path: Path) -> None:
    """As openpyxl or XlsxWriter leave it: stored results not to be trusted."""
    patch(path, "xl/workbook.xml", b"<calcPr ", b'<calcPr fullCalcOnLoad="1" ')


def test_formulas_left_to_excel_keep_their_result_when_a_sync_writes_nothing_they_read(
    tmp_path: Path,
) -> None:
    summary = {
        "A1": ("=ROWS(Plan!A2:A4)", 3),
        "B1": ("=ROWS(Plan!C2:C4)", 3),
        "C1": ("=ROWS(Report!2:3)", 2),
    }
    tabs = {"Plan": PLAN, "Report": {"A1": "Notes"}, "Summary": summary}
    path = workbook(tmp_path / "marketing.xlsx", tabs)

    sync(path, Plan_B3="Done")

    assert stored(path, "Summary", "A1", "B1", "C1") == [3, 3, 2]


def test_a_total_above_the_formulas_it_sums(tmp_path: Path) -> None:
    summary = {"B1": ("=SUM(B3:B5)", 0)} | {
        f"B{row}": (f"=Plan!C{row - 1}*100", 0) for row in (3, 4, 5)
    }
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": summary})
    workbook_asking_to_recalculate(path)
    assert read(path, "Summary", "B1") == [pytest.approx(65)]

    sync(path, Plan_C3=0.75)

    assert stored(path, "Summary", "B1", "B4") == [pytest.approx(115), 75]


def test_a_circle_fed_by_a_write_is_left_to_the_spreadsheet_program_and_the_rest_worked_out(
    tmp_path: Path,
) -> None:
    """A1 and B1 read each other (Excel works them out only with iteration switched on)."""
    summary = {
        "A1": ("=B1+C1", 100),
        "B1": ("=A1", 100),
        "C1": ("=D1*2", 100),
        "D1": ("=Plan!C2*100", 50),
    }
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": summary})

    sync(path, Plan_C2=0.75)

    assert stored(path, "Summary", "A1", "B1", "C1", "D1") == [None, None, 150, 75]
    assert asks_to_recalculate(path)


def test_formulas_sheetsync_cannot_work_out_lose_their_old_result_when_a_write_feeds_them(
    tmp_path: Path,
) -> None:
    """Their old figure would be wrong: the file keeps none, and Excel works them out on open."""
    plan = PLAN | {"D1": "ROI %", "D2": ('=INDIRECT("C"&ROW())*100', 50)}
    summary = {
        "A1": ("=ROW()*Plan!C2", 0.5),
        "B1": ('=WEBSERVICE("https://example.com/?roi="&Plan!C2)', "ok"),
        "C1": ('=INDIRECT("Plan!C2")*100', 50),
        "D1": ('=INDIRECT("C2")', 0),
        "E1": ("=Plan!C2*1e3", 500),  # as a script may write it; the library reads only 1E+3
    }
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": plan, "Summary": summary})

    sync(path, Plan_C2=0.75)

    assert (
        stored(path, "Plan", "D2") + stored(path, "Summary", "A1", "B1", "C1", "E1") == [None] * 5
    )
    assert stored(path, "Summary", "D1") == [0]  # Summary's own C2, which nothing wrote
    assert asks_to_recalculate(path)


# What a result is ---------------------------------------------------------------------------


def test_results_of_each_kind_as_excel_shows_them(tmp_path: Path) -> None:
    stale = "not worked out"  # what the file stores: a read that fails keeps it
    plan = PLAN | {"D1": "Leads", "D2": ("=1/0", stale), "D3": ("=NA()", stale)}
    summary = {
        "A1": ("=Plan!D2*2", stale),
        "B1": ('=IFERROR(Plan!D3,"none")', stale),
        "C1": ("=ISNA(Plan!D3)", stale),
        "E1": ("=Plan!E2", stale),  # an empty cell
        "F1": ("=Plan!C2>0.6", stale),
        "G1": ('=IF(Plan!C2>0.6,"","low")', stale),
        "H1": ("=Plan!A2:A4", stale),
    }
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": plan, "Summary": summary})
    workbook_asking_to_recalculate(path)
    cells = list(summary)
    assert read(path, "Summary", *cells) == [
        CellError("#DIV/0!"),
        "none",
        True,
        0,
        False,
        "low",
        "T1",
    ]

    sync(path, Plan_C2=0.75, Plan_A2="T9")

    assert stored(path, "Summary", "F1", "G1", "H1") == [True, None, "T9"]


def test_a_google_sheets_function_exported_to_xlsx(tmp_path: Path) -> None:
    """Google Sheets writes its own functions for Excel as a dummy that gives #NAME?, inside an
    IFERROR holding the last result; a bare one keeps the result Google stored."""
    summary = {
        "A1": ('=IFERROR(__xludf.DUMMYFUNCTION("GOOGLEFINANCE(""GOOG"")"),123.5)', 0),
        "B1": ('=__xludf.DUMMYFUNCTION("IMPORTRANGE(""key"",""A1"")")+Plan!C2', 7),
    }
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": summary})
    workbook_asking_to_recalculate(path)

    assert read(path, "Summary", "A1", "B1") == [123.5, 7]


def test_a_result_beyond_the_largest_number_is_a_num_error(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "marketing.xlsx",
        {"Plan": PLAN, "Summary": {"A1": ("=SUM(Plan!C2:C3)", 0.75)}},
    )

    sync(path, Plan_C2=1.7e308, Plan_C3=1.7e308)

    assert stored(path, "Summary", "A1") == ["#NUM!"]


def test_a_total_across_a_row_of_text_and_numbers(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "marketing.xlsx", {"Plan": PLAN, "Summary": {"A1": ("=SUM(Plan!A2:C2)", 0.5)}}
    )

    sync(path, Plan_C2=0.75)

    assert stored(path, "Summary", "A1") == [0.75]


def test_a_formula_reading_past_the_end_of_a_shorter_row(tmp_path: Path) -> None:
    """A section heading row ("Q2") holds one cell; the Status column runs past it."""
    plan = PLAN | {"A5": "Q2", "A6": "T4", "B6": "Done", "C6": 0.1}
    path = workbook(
        tmp_path / "marketing.xlsx",
        {"Plan": plan, "Summary": {"A1": ('=COUNTIF(Plan!D2:D6,"Late")', 0)}},
    )

    sync(path, Plan_D1="Note", Plan_D2="Late", Plan_D6="Late")

    assert stored(path, "Summary", "A1") == [2]


# Dates, times and durations ------------------------------------------------------------------

# A formula's result in a date, time or duration cell, times 2 before the sync and 1 after.
TIMES = {"A": 0.75, "B": 1, "C": 1.5, "D": 46082, "E": 46082.25, "F": 1.5, "G": 0.25, "H": -0.25}
DURATIONS = {"F", "G"}


@pytest.mark.parametrize("date1904", [False, True], ids=["1900 dates", "1904 dates (Mac)"])
def test_worked_out_dates_times_and_durations_read_as_the_same_numbers_stored(
    tmp_path: Path, date1904: bool
) -> None:
    """Row 1 works them out from Z1; rows 2 and 3 hold the same numbers typed in."""
    cells: dict[str, Content] = {"Z1": 2}
    for column, serial in TIMES.items():
        cells[f"{column}1"] = (f"=$Z$1*{serial}", 0)
        cells[f"{column}2"] = 2 * serial
        cells[f"{column}3"] = serial
    looks = {
        f"Plan!{column}{row}": "[h]:mm:ss" if column in DURATIONS else "yyyy-mm-dd hh:mm"
        for column in TIMES
        for row in (1, 2, 3)
    }
    path = workbook(tmp_path / "times.xlsx", {"Plan": cells}, formats=looks, date1904=date1904)
    workbook_asking_to_recalculate(path)
    row = [f"{column}{{}}" for column in TIMES]
    assert read(path, "Plan", *(c.format(1) for c in row)) == read(
        path, "Plan", *(c.format(2) for c in row)
    )

    sync(path, Plan_Z1=1)

    assert stored(path, "Plan", *(c.format(1) for c in row)) == stored(
        path, "Plan", *(c.format(3) for c in row)
    )
    assert read(path, "Plan", *(c.format(1) for c in row)) == read(
        path, "Plan", *(c.format(3) for c in row)
    )


def test_a_due_date_worked_out_in_a_1904_workbook(tmp_path: Path) -> None:
    """Excel for Mac's old files count days from 1904: the start, typed in, is day 44,620."""
    start = (dt.date(2026, 3, 1) - dt.date(1904, 1, 1)).days
    plan = {"A1": "Start", "B1": "Due", "A2": start, "B2": ("=A2+14", 0)}
    looks = {"Plan!A2": "yyyy-mm-dd", "Plan!B2": "yyyy-mm-dd"}
    path = workbook(tmp_path / "marketing.xlsx", {"Plan": plan}, formats=looks, date1904=True)
    workbook_asking_to_recalculate(path)

    assert read(path, "Plan", "A2", "B2") == [dt.date(2026, 3, 1), dt.date(2026, 3, 15)]
