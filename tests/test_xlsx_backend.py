"""The local .xlsx backend against real files written with openpyxl (and xlsxwriter)."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import zipfile
import zlib
from copy import copy
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from package_parts import patch_member

from sheetsync.backends import WorkbookChanged, WorkbookUnreachable, xlsx_edit
from sheetsync.backends import xlsx as xlsx_backend
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_zip import copy_raw
from sheetsync.workbook import CellError, CellWrite, Guard, WritePlan

PLAN_HEADER = ["Tactic ID", "Goal ID", "Activity", "Start", "Due", "Budget", "Spend", "Status"]
MONTHS = ["Jan", "Feb", "Mar", "Apr"]


def save(book: openpyxl.Workbook, path: Path) -> Path:
    book.save(path)
    return path


def plan_with_spend_formulas(path: Path) -> Path:
    """A Plan whose Spend (G) is =SUM of the month columns I:L, as openpyxl writes it."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(PLAN_HEADER + MONTHS)
    for row, months in enumerate([(100, 50, 25, 0), (10, 20, 30, 40.5), (0, 0, 0, 7)], start=2):
        sheet.append(
            [f"T{row - 1}", "G1", "Newsletter", dt.date(2026, 1, 5), dt.date(2026, 3, 1), 500]
            + [f"=SUM(I{row}:L{row})", None]
            + list(months)
        )
    summary = book.create_sheet("Summary")
    summary["A1"] = '=COUNTIF(Plan!H:H,"Done")'
    return save(book, path)


EXPECTED_SPEND = [175, 100.5, 7]


def as_if_saved_by_excel(path: Path) -> Path:
    """Give the formulas stored results and drop openpyxl's recalculate-on-open flag."""
    patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        [
            (f"<f>SUM(I{row}:L{row})</f><v />", f"<f>SUM(I{row}:L{row})</f><v>{spend}</v>")
            for row, spend in zip((2, 3, 4), EXPECTED_SPEND, strict=True)
        ],
    )
    patch_member(
        path,
        "xl/worksheets/sheet2.xml",
        [('<f>COUNTIF(Plan!H:H,"Done")</f><v />', '<f>COUNTIF(Plan!H:H,"Done")</f><v>0</v>')],
    )
    patch_member(path, "xl/workbook.xml", [(' fullCalcOnLoad="1"', "")])
    return path


def status_writes(*statuses: str) -> WritePlan:
    return WritePlan(
        writes=tuple(
            CellWrite("Plan", row, 8, status, old=None) for row, status in enumerate(statuses, 2)
        ),
        guards=(Guard("Plan", 1, 1, "Tactic ID"), Guard("Plan", 2, 1, "T1")),
    )


def column(path: Path, tab: str, index: int) -> list[object]:
    rows = XlsxBackend(path).read().find_tab(tab).rows  # type: ignore[union-attr]
    return [row[index - 1] if len(row) >= index else None for row in rows[1:]]


def calamine_values(path: Path, tab: str) -> list[list[object]]:
    """What any other reader of stored results (pandas, calamine) sees."""
    return python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name(tab).to_python()


# Reading ---------------------------------------------------------------------------------


def test_read_gives_typed_values_for_every_tab_in_order(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Strategy"
    sheet.append(["Goal ID", "Budget", "Start", "Reviewed at", "Active", "Note", "Broken"])
    sheet.append(["G1", 1200, dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 30), True])
    sheet.append(["Café ✓ 東京", 12.5, None, None, False, "  spaced  ", "#REF!"])
    sheet["G2"] = "#N/A"
    book.create_sheet("Plan")["B2"] = "only B2"
    path = save(book, tmp_path / "marketing.xlsx")

    workbook = XlsxBackend(path).read()

    assert workbook.title == "marketing"
    assert (workbook.locale, workbook.timezone) == (None, None)
    assert [tab.name for tab in workbook.tabs] == ["Strategy", "Plan"]
    strategy, plan = workbook.tabs
    assert strategy.rows[1] == (
        "G1",
        1200,
        dt.date(2026, 3, 1),
        dt.datetime(2026, 3, 1, 9, 30),
        True,
        None,
        CellError("#N/A"),
    )
    assert strategy.rows[2] == (
        "Café ✓ 東京",
        12.5,
        None,
        None,
        False,
        "  spaced  ",
        CellError("#REF!"),
    )
    assert type(strategy.rows[1][2]) is dt.date
    assert plan.rows == ((), (None, "only B2"))


def test_a_sheet_kept_outside_the_worksheets_folder_reads_the_same(tmp_path: Path) -> None:
    # Sheets under xl/worksheets/ are scanned (errors, formulas) as they are checked; one the
    # workbook part points at elsewhere is unpacked again for its scan, and reads the same.
    inside, outside = tmp_path / "inside.xlsx", tmp_path / "outside.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Plan"
    book.active.append(["Tactic ID", "Budget", "Spend"])
    book.active.append(["T1", 100, "=B2/2"])  # no stored result: worked out on read
    book.active.append(["T2", 100, "=1/0"])
    book.save(inside)
    moved = {"xl/worksheets/sheet1.xml": "xl/sheet1.xml"}
    with zipfile.ZipFile(inside) as source, zipfile.ZipFile(outside, "w") as target:
        for info in source.infolist():
            data = source.read(info).replace(b"worksheets/sheet1.xml", b"sheet1.xml")
            target.writestr(moved.get(info.filename, info.filename), data)
    read_inside, read_outside = XlsxBackend(inside).read(), XlsxBackend(outside).read()
    assert read_outside.tabs == read_inside.tabs
    assert (
        read_outside.formulas
        == read_inside.formulas
        == {
            ("Plan", 2, 3): "=B2/2",
            ("Plan", 3, 3): "=1/0",
        }
    )
    assert read_inside.tabs[0].rows[1:] == (("T1", 100, 50), ("T2", 100, CellError("#DIV/0!")))


def test_sheet_formatted_to_the_last_row_stops_at_the_last_value(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Tactic ID", "Status"])
    sheet.append(["T1", None])
    sheet["A1048576"].font = Font(bold=True)
    sheet["Z1"].fill = PatternFill("solid", fgColor="FFFF00")
    for row in range(3, 2000):
        sheet.cell(row=row, column=2).number_format = "0%"
    path = save(book, tmp_path / "formatted.xlsx")

    tab = XlsxBackend(path).read().tabs[0]

    assert tab.rows == (("Tactic ID", "Status"), ("T1",))


def test_duration_beyond_pythons_reach_does_not_stop_the_read(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Goal ID", "Lead time"])
    book.active.append(["G1", 1e10])
    book.active["B2"].number_format = "[h]:mm"
    path = save(book, tmp_path / "marketing.xlsx")

    assert XlsxBackend(path).read().tabs[0].rows == (("Goal ID", "Lead time"), ("G1", 1e10))
    guarded = Guard("Sheet", 2, 2, 1e10)  # and a guard on it holds
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Sheet", 2, 3, "x"),), guards=(guarded,)))
    assert XlsxBackend(path).read().tabs[0].rows[1] == ("G1", 1e10, "x")


def test_times_and_durations_read_as_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append([dt.time(9, 30), dt.timedelta(hours=30)])
    path = save(book, tmp_path / "times.xlsx")

    (row,) = XlsxBackend(path).read().tabs[0].rows

    assert all(isinstance(value, str) for value in row)
    assert row[0].startswith("09:30")


def test_file_saved_during_a_read_is_read_again_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "marketing.xlsx"
    old, new = openpyxl.Workbook(), openpyxl.Workbook()
    old.active.append(["old", "#REF!"])
    new.active.append(["new", None, "#N/A"])
    save(old, path)
    original_open = python_calamine.CalamineWorkbook.from_path
    saves = [new]

    def open_after_a_save(file: object) -> object:
        if saves:  # the user saves in Excel just as sheetsync starts reading
            save(saves.pop(), path)
        return original_open(file)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", open_after_a_save)

    assert XlsxBackend(path).read().tabs[0].rows == (("new", None, CellError("#N/A")),)


# Faults ----------------------------------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def unreachable_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each kind of file sheetsync cannot use, and a word its message must hold."""
    csv = tmp_path / "csv.xlsx"
    csv.write_text("Goal ID,Budget\nG1,100\n")
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(OLE2 + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1000))
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(OLE2 + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(1000))
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    other_zip = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    return {
        "csv": (csv, "not an Excel workbook"),
        "xls": (xls, "Excel 97-2003"),
        "encrypted": (encrypted, "password-protected"),
        "corrupt": (corrupt, "is damaged"),
        "other zip": (other_zip, "without the parts of an Excel workbook"),
        "empty": (empty, "not an Excel workbook"),
    }


@pytest.mark.parametrize("kind", ["csv", "xls", "encrypted", "corrupt", "other zip", "empty"])
def test_unusable_file_is_unreachable_named_and_untouched(tmp_path: Path, kind: str) -> None:
    path, words = unreachable_files(tmp_path)[kind]
    before = path.read_bytes()
    backend = XlsxBackend(path)

    with pytest.raises(WorkbookUnreachable) as read_error:
        backend.read()
    with pytest.raises(WorkbookUnreachable) as apply_error:
        backend.apply(status_writes("Done"))

    for error in (read_error, apply_error):
        message = str(error.value)
        assert str(path) in message and words in message
        assert message.count("\n") == 0
    assert path.read_bytes() == before


def test_encrypted_workbook_message_says_to_save_a_copy_without_password(tmp_path: Path) -> None:
    path, _ = unreachable_files(tmp_path)["encrypted"]
    with pytest.raises(WorkbookUnreachable, match="save a copy without the password"):
        XlsxBackend(path).read()


def test_workbook_encrypted_by_excel_is_password_protected(tmp_path: Path) -> None:
    import msoffcrypto.format.ooxml as ooxml

    plain = plan_with_spend_formulas(tmp_path / "plain.xlsx")
    path = tmp_path / "locked.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        ooxml.OOXMLFile(source).encrypt("secret", target)
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable, match="locked.xlsx is password-protected"):
        XlsxBackend(path).read()
    with pytest.raises(WorkbookUnreachable, match="password-protected"):
        XlsxBackend(path).apply(status_writes("Done"))
    assert path.read_bytes() == before


def test_missing_file_suggests_init(tmp_path: Path) -> None:
    path = tmp_path / "marketing.xlsx"
    with pytest.raises(WorkbookUnreachable) as error:
        XlsxBackend(path).read()
    assert f"`sheetsync init --path {path}`" in str(error.value)
    with pytest.raises(WorkbookUnreachable):
        XlsxBackend(path).apply(status_writes("Done"))
    assert not path.exists()


def test_folder_is_unreachable(tmp_path: Path) -> None:
    folder = tmp_path / "marketing.xlsx"
    folder.mkdir()
    with pytest.raises(WorkbookUnreachable, match="is a folder"):
        XlsxBackend(folder).read()


def test_file_without_read_permission_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    if os.geteuid() == 0:  # root reads anything: make the operating system's refusal happen
        original = Path.open

        def refuse(self: Path, *args: object, **kwargs: object) -> object:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refuse)
    else:
        path.chmod(0)
    with pytest.raises(WorkbookUnreachable) as error:
        XlsxBackend(path).read()
    assert "not allowed to read" in str(error.value) and str(path) in str(error.value)


# Writing: refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "lock_name", ["~$marketing.xlsx", "~$rketing.xlsx", ".~lock.marketing.xlsx#"]
)
def test_file_open_in_an_office_program_reads_but_is_not_written(
    tmp_path: Path, lock_name: str
) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    (tmp_path / lock_name).write_text("someone")
    before = path.read_bytes()
    backend = XlsxBackend(path)

    assert backend.read().find_tab("Plan") is not None
    with pytest.raises(WorkbookUnreachable) as error:
        backend.apply(status_writes("Done"))

    assert str(error.value) == (
        f"marketing.xlsx is open in Excel or LibreOffice (lock file {lock_name}). "
        "Close it there and run sync again; nothing was written."
    )
    assert path.read_bytes() == before


def test_changed_guard_stops_the_write(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    before = path.read_bytes()
    plan = WritePlan(
        writes=(CellWrite("Plan", 2, 8, "Done"),),
        guards=(Guard("Plan", 1, 1, "Tactic ID"), Guard("Plan", 3, 1, "T9")),
    )

    with pytest.raises(WorkbookChanged) as error:
        XlsxBackend(path).apply(plan)

    assert "A3" in str(error.value) and "Plan" in str(error.value)
    assert '"T9"' in str(error.value) and '"T2"' in str(error.value)
    assert path.read_bytes() == before


def test_changed_guard_in_a_workbook_with_shared_strings_stops_the_write(tmp_path: Path) -> None:
    # Excel, LibreOffice and XlsxWriter keep text in the shared strings part (openpyxl does not).
    path = tmp_path / "marketing.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Plan")
    for row, values in enumerate([["Tactic ID", "Status"], ["T1", "Idea"], ["T2", "Idea"]]):
        sheet.write_row(row, 0, values)
    book.close()
    with zipfile.ZipFile(path) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
    before = path.read_bytes()
    plan = WritePlan(
        writes=(CellWrite("Plan", 3, 2, "Done"),),
        guards=(Guard("Plan", 1, 1, "Tactic ID"), Guard("Plan", 3, 1, "T9")),
    )

    with pytest.raises(WorkbookChanged) as error:
        XlsxBackend(path).apply(plan)

    assert "Cell A3 on the Plan tab" in str(error.value)
    assert 'changed from "T9" to "T2"' in str(error.value)
    assert path.read_bytes() == before
    guarded = WritePlan(writes=plan.writes, guards=(Guard("Plan", 3, 1, "T2"),))
    XlsxBackend(path).apply(guarded)
    assert XlsxBackend(path).read().tabs[0].rows[2] == ("T2", "Done")


def test_guards_compare_as_trimmed_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append([" Tactic ID ", 1001, None, True])
    path = save(book, tmp_path / "marketing.xlsx")
    plan = WritePlan(
        writes=(CellWrite("Sheet", 2, 1, "x"),),
        guards=(
            Guard("Sheet", 1, 1, "Tactic ID"),
            Guard("Sheet", 1, 2, 1001.0),
            Guard("Sheet", 1, 3, ""),
            Guard("Sheet", 1, 4, True),
        ),
    )
    XlsxBackend(path).apply(plan)
    assert XlsxBackend(path).read().tabs[0].rows[1] == ("x",)

    case_changed = WritePlan(writes=plan.writes, guards=(Guard("Sheet", 1, 1, "tactic id"),))
    with pytest.raises(WorkbookChanged):
        XlsxBackend(path).apply(case_changed)


def every_kind_of_id(path: Path, date1904: bool) -> dict[str, str]:
    """A Plan whose IDs are every kind of cell Excel stores (as XlsxWriter saves them: text in
    the shared strings), and each ID as a person sees it."""
    book = xlsxwriter.Workbook(path, {"date_1904": date1904})
    sheet = book.add_worksheet("Plan")
    bold = book.add_format({"bold": True})
    day, moment = (
        book.add_format({"num_format": "yyyy-mm-dd"}),
        book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    )
    sheet.write_row(0, 0, ["Tactic ID", "Status"])
    sheet.write_rich_string("A2", "T", bold, "1", " & co")
    sheet.write_number("A3", 1001)
    sheet.write_boolean("A4", True)
    sheet.write_boolean("A5", False)
    sheet.write_formula("A6", "=1/0", None, "#DIV/0!")
    sheet.write_formula("A7", '="T"&"7"', None, "T7")
    sheet.write_datetime("A8", dt.datetime(2026, 3, 1), day)
    sheet.write_datetime("A9", dt.datetime(2026, 3, 1, 13, 30, 15), moment)
    sheet.write_blank("A10", None, bold)  # formatted, but blank
    sheet.write_number("A11", 2.5, day)  # a number in a date cell: a date and a half day
    sheet.write_number("A12", 9e15, day)  # past the last date a spreadsheet shows
    sheet.write_number("A13", 0.5625, book.add_format({"num_format": "h:mm"}))  # a time of day
    sheet.write_number("A14", 1.75, book.add_format({"num_format": "[h]:mm"}))  # a duration
    sheet.write_number("A15", 0.123456789, book.add_format({"num_format": "[mm]:ss.000"}))
    book.close()
    half = "1904-01-03T12:00:00" if date1904 else "1900-01-02T12:00:00"
    seen = ["T1 & co", "1001", "TRUE", "FALSE", "#DIV/0!", "T7", "2026-03-01"]
    seen += ["2026-03-01T13:30:15", "", half, "9000000000000000"]
    seen += ["13:30:00", "1 day, 18:00:00", "2:57:46.667000"]  # durations to the millisecond
    return {f"A{row}": text for row, text in enumerate(seen, 2)}


@pytest.mark.parametrize("date1904", [False, True], ids=["dates from 1900", "dates from 1904"])
def test_a_guard_holds_on_every_kind_of_cell_and_stops_the_write_when_it_changed(
    tmp_path: Path, date1904: bool
) -> None:
    path = tmp_path / "marketing.xlsx"
    seen = every_kind_of_id(path, date1904)
    read = XlsxBackend(path).read().find_tab("Plan")
    assert read is not None
    rows = range(1, len(seen) + 2)
    guards = tuple(Guard("Plan", row, 1, read.value(row, 1)) for row in rows)
    before = path.read_bytes()

    for cell, text in seen.items():
        row = int(cell[1:])
        changed = Guard("Plan", row, 1, "T99")
        plan = WritePlan(writes=(CellWrite("Plan", row, 2, "Done"),), guards=(changed,))
        with pytest.raises(WorkbookChanged) as error:
            XlsxBackend(path).apply(plan)
        assert f'Cell {cell} on the Plan tab of {path} changed from "T99" to "{text}"' in str(
            error.value
        )
        assert path.read_bytes() == before

    writes = tuple(CellWrite("Plan", row, 2, "Done") for row in rows[1:])
    XlsxBackend(path).apply(WritePlan(writes=writes, guards=guards))
    assert column(path, "Plan", 2) == ["Done"] * len(seen)


@pytest.mark.parametrize("made", ["cheque register", "chart sheet"])
def test_a_tab_named_like_a_new_one_of_ours_made_meanwhile_stops_the_write(
    tmp_path: Path, made: str
) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    backend = XlsxBackend(path)
    backend.read()
    # Someone saves the file with a tab called "checks" while sheetsync is about to add its own.
    book = openpyxl.load_workbook(path)
    if made == "chart sheet":
        chart = BarChart()
        chart.add_data(Reference(book["Plan"], min_col=6, min_row=1, max_row=4))
        book.create_chartsheet("checks").add_chart(chart)
    else:
        book.create_sheet("checks").append(["Cheque", "Amount"])
    book.save(path)
    before = path.read_bytes()
    writes = (CellWrite("Checks", 1, 1, "Severity", kind="header"), CellWrite("Checks", 2, 1, "x"))

    with pytest.raises(WorkbookChanged) as changed:
        backend.apply(WritePlan(writes, (), ("Checks",), {"Checks": 1}))

    assert str(changed.value) == (
        f"A tab named “checks” was added to {path} while sheetsync was working, so nothing was "
        "written; run sync again (a tab of yours by that name is left alone and named in the "
        "findings)."
    )
    assert path.read_bytes() == before


def test_missing_tab_stops_the_write(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    before = path.read_bytes()
    with pytest.raises(WorkbookChanged, match="Calendar tab is no longer in"):
        XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Calendar", 2, 3, "Past"),)))
    assert path.read_bytes() == before


def test_read_only_file_is_not_written(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(WorkbookUnreachable, match="read-only"):
        XlsxBackend(path).apply(status_writes("Done"))
    assert path.read_bytes() == before


def test_folder_that_refuses_new_files_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    before = path.read_bytes()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("sheetsync.backends.xlsx.new_file_beside", refuse)
    with pytest.raises(WorkbookUnreachable) as error:
        XlsxBackend(path).apply(status_writes("Done"))
    assert str(path) in str(error.value) and "Permission denied" in str(error.value)
    assert path.read_bytes() == before


def test_merged_owned_cell_is_refused_with_the_fix(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Tactic ID", "Status"])
    book.active.merge_cells("B2:B3")
    path = save(book, tmp_path / "marketing.xlsx")
    before = path.read_bytes()
    with pytest.raises(WorkbookUnreachable, match="B3 .* merged cells"):
        XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Sheet", 3, 2, "Done"),)))
    assert path.read_bytes() == before


# Writing: atomic save --------------------------------------------------------------------


def test_failed_save_leaves_the_original_whole_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    before = path.read_bytes()

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(WorkbookUnreachable) as failed:
        XlsxBackend(path).apply(status_writes("Done"))
    assert str(failed.value) == (
        f"sheetsync could not save {path} (No space left on device), so it was left as it was; "
        "fix that and run sync again."
    )

    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marketing.xlsx"]


def test_crash_while_writing_the_package_leaves_the_original_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    before = path.read_bytes()
    copied = []

    def crash_after_two_parts(*args: object) -> None:
        copied.append(args)
        if len(copied) > 2:
            raise RuntimeError("killed halfway")
        copy_raw(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(xlsx_edit, "copy_raw", crash_after_two_parts)
    with pytest.raises(RuntimeError):
        XlsxBackend(path).apply(status_writes("Done"))

    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marketing.xlsx"]


def test_memory_running_out_while_a_sheet_is_compressed_leaves_the_original_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Plan of about 7 MB: the sheet is handed to the compressing thread in 1 MB pieces,
    # more than it holds waiting, so a thread that stopped taking them would hang the sync.
    path = tmp_path / "marketing.xlsx"
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet("Plan")
    sheet.write_row(0, 0, PLAN_HEADER)
    for row in range(1, 60_000):
        sheet.write_row(row, 0, [f"T{row}", "G1", "Newsletter to the whole list", 45_000, 45_100])
    book.close()
    before = path.read_bytes()

    compressor = zlib.compressobj

    class OutOfMemory:
        def __init__(self, *args: int) -> None:
            self._compressor = compressor(*args)

        def compress(self, data: bytes) -> bytes:
            raise MemoryError

        def flush(self, *args: int) -> bytes:
            return self._compressor.flush(*args)

    monkeypatch.setattr(zlib, "compressobj", OutOfMemory)
    with pytest.raises(MemoryError):
        XlsxBackend(path).apply(status_writes("Done"))

    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marketing.xlsx"]


def test_file_saved_by_someone_else_during_the_write_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")

    def edit_and_be_overtaken(*args: object) -> object:
        edited = xlsx_edit.edit_package(*args)  # type: ignore[arg-type]
        path.write_bytes(path.read_bytes() + b"")  # the user saves in Excel meanwhile
        os.utime(path, ns=(0, 1))
        return edited

    monkeypatch.setattr(xlsx_backend, "edit_package", edit_and_be_overtaken)
    before = path.read_bytes()
    with pytest.raises(WorkbookChanged) as overtaken:
        XlsxBackend(path).apply(status_writes("Done"))
    assert str(overtaken.value) == (
        f"{path} was saved by someone else while sheetsync was writing, so nothing was "
        "written; run sync again."
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marketing.xlsx"]


def test_save_keeps_the_permission_bits(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    path.chmod(0o640)
    XlsxBackend(path).apply(status_writes("Done"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_empty_plan_leaves_the_file_alone(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    before = path.read_bytes()
    XlsxBackend(path).apply(WritePlan(guards=(Guard("Plan", 1, 1, "something else"),)))
    assert path.read_bytes() == before


# Writing: what lands in the cells --------------------------------------------------------


def test_new_tab_is_added_at_the_end_with_a_frozen_header(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    headers = ["Severity", "Rule", "Tab", "Cell"]
    plan = WritePlan(
        writes=tuple(CellWrite("Checks", 1, n, header) for n, header in enumerate(headers, 1))
        + (CellWrite("Checks", 2, 1, "error"), CellWrite("Checks", 2, 4, "G7")),
        new_tabs=("Checks",),
        frozen_rows={"Checks": 1},
    )

    XlsxBackend(path).apply(plan)

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Plan", "Summary", "Checks"]
    assert book["Checks"].freeze_panes == "A2"
    checks = XlsxBackend(path).read().find_tab("Checks")
    assert checks is not None
    assert checks.rows == (tuple(headers), ("error", None, None, "G7"))


def test_new_tabs_each_get_their_own_sheet_their_title_and_their_view(tmp_path: Path) -> None:
    # As Excel saves it (XlsxWriter): docProps/app.xml lists the tabs, then the named ranges.
    path = tmp_path / "marketing.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Plan").write("A1", "Tactic ID")
    book.add_worksheet("Strategy").write("A1", "Goal ID")
    book.define_name("Total", "=Plan!$A$1")
    book.close()
    new = {"Checks": "Severity", "History": "Month", "Archive": "Tactic ID"}
    plan = WritePlan(
        writes=tuple(CellWrite(tab, 1, 1, header, kind="header") for tab, header in new.items()),
        new_tabs=tuple(new),
        frozen_rows={"Checks": 2, "Archive": 1},
    )

    XlsxBackend(path).apply(plan)

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        app = archive.read("docProps/app.xml")
        # The new parts (sheets, their notes) dated and permitted like the workbook's others
        # (XlsxWriter's are all alike).
        assert len({(info.date_time, info.external_attr) for info in archive.infolist()}) == 1
    # Named as Excel names them, the first free sheet numbers, stored in the order they were
    # added (the same sync writes the same bytes).
    assert [name for name in names if name.startswith("xl/worksheets/sheet")] == [
        f"xl/worksheets/sheet{n}.xml" for n in range(1, 6)
    ]
    titles = re.findall(rb"<vt:lpstr>([^<]*)</vt:lpstr>", app.split(b"<TitlesOfParts>")[1])
    assert titles == [b"Plan", b"Strategy", b"Checks", b"History", b"Archive", b"Total"]
    assert b"<vt:i4>5</vt:i4>" in app and b'<vt:vector size="6"' in app
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Plan", "Strategy", *new]
    assert [book[tab]["A1"].value for tab in new] == list(new.values())
    checks, history = book["Checks"].sheet_view, book["History"].sheet_view
    # Checks: two header rows frozen, the cursor on the first row under them.
    assert (checks.pane.ySplit, checks.pane.topLeftCell, checks.pane.state) == (2, "A3", "frozen")
    assert [(s.activeCell, s.sqref) for s in checks.selection] == [("A3", "A3")]
    assert history.pane is None and book["History"].freeze_panes is None
    assert book["Archive"].freeze_panes == "A2"


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    text = '=IMPORTXML("https://example.com","//title")'
    XlsxBackend(path).apply(
        WritePlan(writes=(CellWrite("Plan", 2, 8, text), CellWrite("Plan", 3, 8, "#N/A")))
    )

    cell = openpyxl.load_workbook(path)["Plan"]["H2"]
    assert (cell.value, cell.data_type) == (text, "s")
    assert column(path, "Plan", 8)[:2] == [text, "#N/A"]


def test_values_get_the_format_of_their_kind(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(["ROI", "Spend", "Current", "Since", "Status", "Old"])
    sheet["C2"].number_format = "0.0"
    sheet["F2"] = "stale"
    sheet["F2"].number_format = "0.00%"
    path = save(book, tmp_path / "marketing.xlsx")
    writes = (
        CellWrite("Plan", 2, 1, 0.25, kind="percent"),
        CellWrite("Plan", 2, 2, 1234.5, kind="money"),
        CellWrite("Plan", 2, 3, 42, kind="number"),
        CellWrite("Plan", 2, 4, "2026-03-01", kind="date"),
        CellWrite("Plan", 2, 5, "On track", kind="text"),
        CellWrite("Plan", 2, 6, None, kind="percent"),
        CellWrite("Plan", 1, 7, "Issues", kind="header"),
    )

    XlsxBackend(path).apply(WritePlan(writes=writes))

    sheet = openpyxl.load_workbook(path)["Plan"]
    formats = [sheet.cell(row=2, column=n).number_format for n in range(1, 6)]
    assert formats == ["0%", "#,##0.00", "0.0", "yyyy-mm-dd", "General"]
    assert sheet["F2"].value is None
    header = sheet["G1"]
    assert header.value == "Issues" and header.font.bold
    assert header.fill.fill_type == "solid" and header.fill.fgColor.rgb.endswith("D9D9D9")
    assert header.comment.text == "Filled in by sheetsync — edits here are overwritten."
    assert not sheet["A1"].font.bold and sheet["A1"].comment is None
    assert XlsxBackend(path).read().tabs[0].rows[1] == (
        0.25,
        1234.5,
        42,
        dt.date(2026, 3, 1),
        "On track",
    )


def test_a_look_written_into_one_cell_leaves_the_cells_that_shared_it_alone(
    tmp_path: Path,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(["Tactic ID", "Since", "ROI", "Status"])
    sheet.append(["T1", "old", "stale", "Idea"])  # every cell in the default look
    sheet.append(["T2", 5, 0.5, "Idea"])
    path = save(book, tmp_path / "marketing.xlsx")
    written = {"B2", "C2", "D1"}
    writes = (
        CellWrite("Plan", 2, 2, "2026-03-01", kind="date"),
        CellWrite("Plan", 2, 3, 0.25, kind="percent"),
        CellWrite("Plan", 1, 4, "Status", kind="header"),
    )

    XlsxBackend(path).apply(WritePlan(writes=writes))

    sheet = openpyxl.load_workbook(path)["Plan"]
    assert [sheet["B2"].number_format, sheet["C2"].number_format] == ["yyyy-mm-dd", "0%"]
    assert sheet["D1"].font.bold and sheet["D1"].fill.fill_type == "solid"
    others = [cell for row in sheet.iter_rows() for cell in row if cell.coordinate not in written]
    assert len(others) == 9
    for cell in others:
        assert cell.number_format == "General", cell.coordinate
        assert not cell.font.bold and cell.fill.fill_type is None, cell.coordinate


# Writing: everything else survives -------------------------------------------------------


def rich_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    plan = book.active
    plan.title = "Plan"
    plan.append(["Tactic ID", "Budget", "Spend", "Due", "Channel", "Status", "ROI", "Notes"])
    for row in range(2, 7):
        plan.append(
            [f"T{row - 1}", 1000 * row, f"=B{row}/2", dt.date(2026, row, 1), "Email", None, None]
        )
    plan["B2"].number_format = "#,##0.00 €"
    plan["D2"].number_format = "dd/mm/yyyy"
    plan["A2"].font = Font(name="Georgia", size=14, italic=True, color="FF0000")
    plan["E3"].fill = PatternFill("solid", fgColor="FFFF00")
    plan["E4"].border = Border(left=Side(style="thick"), bottom=Side(style="dashed"))
    plan["A3"].comment = Comment("Ask Ann", "Bob")
    plan["F1"].comment = Comment("Our own note on the header", "Bob")
    plan["H2"] = "long note"
    plan.column_dimensions["C"].width = 31
    plan.column_dimensions["H"].hidden = True
    plan.freeze_panes = "B2"
    channels = DataValidation(type="list", formula1='"Email,Podcast,SEO"', allow_blank=True)
    plan.add_data_validation(channels)
    channels.add("E2:E100")
    plan.conditional_formatting.add(
        "B2:B100",
        CellIsRule(
            operator="greaterThan", formula=["4000"], fill=PatternFill("solid", fgColor="FFC7CE")
        ),
    )
    book.defined_names["TaxRate"] = DefinedName("TaxRate", attr_text="Notes!$B$1")
    notes = book.create_sheet("Notes")
    notes["A1"], notes["B1"] = "Tax", 0.2
    notes["A2"] = "=B1*100"
    notes["A3"] = "=TaxRate*10"
    notes.sheet_properties.tabColor = "00FF00"
    return save(book, path)


def cell_look(cell: openpyxl.cell.cell.Cell) -> tuple[object, ...]:
    return (
        cell.value,
        cell.data_type,
        cell.number_format,
        copy(cell.font),
        copy(cell.fill),
        copy(cell.border),
        cell.comment.text if cell.comment else None,
    )


def test_apply_keeps_everything_it_does_not_write(tmp_path: Path) -> None:
    path = rich_workbook(tmp_path / "marketing.xlsx")
    before = openpyxl.load_workbook(path)
    written = {("Plan", 2, 6), ("Plan", 3, 6), ("Plan", 2, 7), ("Plan", 1, 9)}
    plan = WritePlan(
        writes=(
            CellWrite("Plan", 2, 6, "Done"),
            CellWrite("Plan", 3, 6, "At risk"),
            CellWrite("Plan", 2, 7, 0.5, kind="percent"),
            CellWrite("Plan", 1, 9, "Issues", kind="header"),
        ),
        guards=(Guard("Plan", 1, 1, "Tactic ID"),),
    )

    XlsxBackend(path).apply(plan)

    after = openpyxl.load_workbook(path)
    assert after.sheetnames == before.sheetnames
    for name in before.sheetnames:
        old, new = before[name], after[name]
        for row in old.iter_rows(min_row=1, max_row=8, max_col=9):
            for cell in row:
                if (name, cell.row, cell.column) not in written:
                    assert cell_look(new[cell.coordinate]) == cell_look(cell), cell.coordinate
    old_plan, new_plan = before["Plan"], after["Plan"]
    assert new_plan.column_dimensions["C"].width == 31
    assert new_plan.column_dimensions["H"].hidden
    assert new_plan.freeze_panes == "B2"
    assert [(str(v.sqref), v.formula1) for v in new_plan.data_validations.dataValidation] == [
        ("E2:E100", '"Email,Podcast,SEO"')
    ]
    rules = [(str(r.sqref), [x.formula for x in r.rules]) for r in new_plan.conditional_formatting]
    assert rules == [("B2:B100", [["4000"]])]
    assert after.defined_names["TaxRate"].attr_text == "Notes!$B$1"
    assert after["Notes"].sheet_properties.tabColor.rgb.endswith("00FF00")
    assert old_plan["F2"].value is None and new_plan["F2"].value == "Done"


EXCEL_GOAL_DROPDOWN = (  # how Excel stores a list validation whose list is on another tab
    '<ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>Summary!$A$1:$A$9</xm:f>'
    "</x14:formula1><xm:sqref>B2:B1000</xm:sqref></x14:dataValidation></x14:dataValidations></ext>"
)


def test_dropdown_listing_another_tab_survives_a_sync(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        [("</worksheet>", f"<extLst>{EXCEL_GOAL_DROPDOWN}</extLst></worksheet>")],
    )

    XlsxBackend(path).apply(status_writes("Done"))

    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.endswith(f"<extLst>{EXCEL_GOAL_DROPDOWN}</extLst></worksheet>")
    assert column(path, "Plan", 8) == ["Done", None, None]
    with pytest.warns(UserWarning, match="Data Validation extension"):  # openpyxl sees it
        assert openpyxl.load_workbook(path)["Plan"]["H2"].value == "Done"


def test_chart_and_picture_survive_a_sync(tmp_path: Path) -> None:
    import PIL.Image as pil  # openpyxl keeps pictures only with Pillow, a dependency for that
    from openpyxl.chart import BarChart, Reference
    from openpyxl.drawing.image import Image

    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    book = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book["Plan"], min_col=9, min_row=1, max_row=4), titles_from_data=True)
    book["Summary"].add_chart(chart, "C3")
    pil.new("RGB", (4, 4), "red").save(tmp_path / "logo.png")
    book["Summary"].add_image(Image(tmp_path / "logo.png"), "A5")
    book.save(path)

    XlsxBackend(path).apply(status_writes("Done"))

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert any(name.startswith("xl/charts/chart") for name in names)
    assert any(name.startswith("xl/media/") for name in names)


# The formula trap ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin", ["openpyxl, no stored results", "saved by Excel, stored results"]
)
def test_formula_inputs_read_right_after_every_sync(tmp_path: Path, origin: str) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    if origin.startswith("saved by Excel"):
        as_if_saved_by_excel(path)
    backend = XlsxBackend(path)
    assert column(path, "Plan", 7) == EXPECTED_SPEND
    stored_spend = [row[6] for row in calamine_values(path, "Plan")[1:]]

    for statuses in [("Done", "At risk", "Done"), ("Done", "Done", "Overdue")]:
        backend.apply(status_writes(*statuses))

        assert column(path, "Plan", 7) == EXPECTED_SPEND
        assert column(path, "Plan", 8) == list(statuses)
        # The results the file stores (none, from openpyxl) are kept for every other reader.
        assert [row[6] for row in calamine_values(path, "Plan")[1:]] == stored_spend
        summary = XlsxBackend(path).read().find_tab("Summary")
        assert summary is not None and summary.rows == ((statuses.count("Done"),),)
    formula = openpyxl.load_workbook(path)["Plan"]["G2"].value
    assert formula == "=SUM(I2:L2)"


def test_formulas_without_results_are_worked_out_in_a_file_that_trusts_them(
    tmp_path: Path,
) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    patch_member(path, "xl/workbook.xml", [(' fullCalcOnLoad="1"', "")])
    patch_member(  # some writers leave the result out altogether
        path, "xl/worksheets/sheet1.xml", [("<f>SUM(I3:L3)</f><v />", "<f>SUM(I3:L3)</f>")]
    )

    assert column(path, "Plan", 7) == EXPECTED_SPEND


@pytest.mark.parametrize(
    ("settings", "asking"),
    [
        ('<calcPr calcId="191029"/>', '<calcPr calcId="191029" fullCalcOnLoad="1"/>'),  # Excel
        (
            "<calcPr fullCalcOnLoad='false' calcId=\"124519\"></calcPr>",
            '<calcPr fullCalcOnLoad="1" calcId="124519"></calcPr>',
        ),
        (
            '<calcPr calcId="124519" fullCalcOnLoad="0"/>',
            '<calcPr calcId="124519" fullCalcOnLoad="1"/>',
        ),
        ('<calcPr fullCalcOnLoad="true" />', '<calcPr fullCalcOnLoad="true" />'),  # asks already
        ("<calcPr fullCalcOnLoad='1'/>", "<calcPr fullCalcOnLoad='1'/>"),
    ],
)
def test_formula_results_a_sync_changes_are_worked_out_again(
    tmp_path: Path, settings: str, asking: str
) -> None:
    path = as_if_saved_by_excel(plan_with_spend_formulas(tmp_path / "marketing.xlsx"))
    patch_member(path, "xl/workbook.xml", [('<calcPr calcId="124519" />', settings)])
    with zipfile.ZipFile(path) as archive:
        before = archive.read("xl/workbook.xml").decode()
    assert calamine_values(path, "Summary") == [[0.0]]

    XlsxBackend(path).apply(status_writes("Done", "Done", "Overdue"))

    assert calamine_values(path, "Summary") == [[2.0]]  # stored, for every other reader
    with zipfile.ZipFile(path) as archive:  # and Excel is asked to work it out on open
        assert archive.read("xl/workbook.xml").decode() == before.replace(settings, asking)


def test_a_write_after_a_read_works_formulas_out_from_what_was_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync reads the file once: the formulas a write feeds start from the read's values."""
    path = as_if_saved_by_excel(plan_with_spend_formulas(tmp_path / "marketing.xlsx"))
    backend = XlsxBackend(path)
    backend.read()
    reads = []
    read_values = xlsx_backend._calamine_rows
    monkeypatch.setattr(
        xlsx_backend, "_calamine_rows", lambda path: reads.append(path) or read_values(path)
    )

    backend.apply(status_writes("Done", "Done", "Overdue"))

    assert reads == []
    assert calamine_values(path, "Summary") == [[2.0]]
    assert column(path, "Plan", 7) == EXPECTED_SPEND


def test_formula_overwritten_by_a_write_becomes_the_value(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 2, 7, 9),)))
    assert column(path, "Plan", 7) == [9, *EXPECTED_SPEND[1:]]
    assert openpyxl.load_workbook(path)["Plan"]["G2"].value == 9


def test_xlsxwriter_placeholder_results_are_worked_out(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "exported.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Plan")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Budget", "Spend", "Start", "Due", "Label", "Ratio"])
    sheet.write_row(1, 0, [100, 40])
    sheet.write_datetime(1, 2, dt.datetime(2026, 3, 1), dates)
    sheet.write_formula(1, 3, "=C2+14", dates)
    sheet.write_formula(1, 4, '=IF(B2>A2,"over","ok")')
    sheet.write_formula(1, 5, "=B2/(A2-100)")
    sheet.write_formula(2, 1, "=B2*2")
    sheet.write_formula(2, 2, '=IF(B3>100,"big","")')
    book.close()

    plan = XlsxBackend(path).read().tabs[0]

    assert plan.rows[1] == (
        100,
        40,
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 15),
        "ok",
        CellError("#DIV/0!"),
    )
    assert plan.rows[2] == (None, 80)


def test_formula_the_library_cannot_work_out_keeps_its_stored_result(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "=ROW()"
    sheet["B1"] = '=IMPORTXML("https://example.com","//title")'
    sheet["C1"] = "=A1+1"
    sheet["D1"] = "=D1+1"  # circular
    path = save(book, tmp_path / "marketing.xlsx")
    patch_member(path, "xl/worksheets/sheet1.xml", [("<f>ROW()</f><v />", "<f>ROW()</f><v>1</v>")])

    assert XlsxBackend(path).read().tabs[0].rows == ((1, None, 2),)

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Sheet", 2, 1, "x"),)))
    assert XlsxBackend(path).read().tabs[0].rows == ((1, None, 2), ("x",))
    with zipfile.ZipFile(path) as archive:  # Excel is asked to work out what sheetsync could not
        assert 'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml").decode()


def test_shared_and_cross_tab_formulas_are_worked_out(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    plan = book.active
    plan.title = "Plan"
    for row in range(1, 5):
        plan.append([row * 10, None, None])
    plan["B1"] = "=A1*TaxRate"
    plan["C1"] = "='My Rates'!$A$1+SUM(A1:A$4)"
    rates = book.create_sheet("My Rates")
    rates["A1"] = 0.5
    book.defined_names["TaxRate"] = DefinedName("TaxRate", attr_text="'My Rates'!$A$1")
    path = save(book, tmp_path / "marketing.xlsx")
    # Excel writes a column of copies as one shared formula: the text only in the first cell.
    patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        [
            ("<f>A1*TaxRate</f><v />", '<f t="shared" ref="B1:B4" si="0">A1*TaxRate</f>'),
            (
                '<c r="A2" t="n"><v>20</v></c>',
                '<c r="A2" t="n"><v>20</v></c><c r="B2"><f t="shared" si="0"/></c>',
            ),
            (
                '<c r="A4" t="n"><v>40</v></c>',
                '<c r="A4" t="n"><v>40</v></c><c r="B4"><f t="shared" si="0"/></c>',
            ),
        ],
    )

    rows = XlsxBackend(path).read().tabs[0].rows

    assert [row[1] if len(row) > 1 else None for row in rows] == [5, 10, None, 20]
    assert rows[0][2] == 100.5


def test_a_shared_formulas_copy_without_a_reference_follows_a_written_cell(
    tmp_path: Path,
) -> None:
    # Row 6 leaves out its number and its cells their references (each is the one after the
    # one before it); B6 is a copy of B5's shared formula, A5+A$1 moved down: A6+A$1.
    book = openpyxl.Workbook()
    book.active["A1"] = 1
    path = save(book, tmp_path / "marketing.xlsx")
    patch_member(path, "xl/workbook.xml", [(' fullCalcOnLoad="1"', "")])  # results kept
    patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        [
            (
                '<c r="A1" t="n"><v>1</v></c></row>',
                '<c r="A1" t="n"><v>1</v></c></row><row r="5"><c><v>3</v></c><c>'
                '<f t="shared" ref="B5:B6" si="0">A5+A$1</f><v>4</v></c></row><row><c><v>7</v>'
                '</c><c><f t="shared" si="0"/><v>8</v></c></row>',
            )
        ],
    )

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Sheet", 6, 1, 10),)))

    assert calamine_values(path, "Sheet")[4:] == [[3.0, 4.0], [10.0, 11.0]]
    shown = openpyxl.load_workbook(path, data_only=True).active
    assert [shown["B5"].value, shown["B6"].value] == [4, 11]


def test_formulas_are_worked_out_after_the_formulas_they_read(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["=B1+C1", "=2+3", "=B1*2", "=E1", "=D1"])  # D1 and E1 read each other
    sheet.append(["=A2+1"])  # reads itself
    path = save(book, tmp_path / "marketing.xlsx")

    assert XlsxBackend(path).read().tabs[0].rows == ((15, 5, 10),)


def test_formula_reading_a_written_cell_through_another_formula_is_worked_out(
    tmp_path: Path,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Status", "Done?", "Count"])
    sheet.append(["At risk", '=IF(A2="Done",1,0)', "=B2+B3"])
    sheet.append(["Done", '=IF(A3="Done",1,0)'])
    path = save(book, tmp_path / "marketing.xlsx")
    assert XlsxBackend(path).read().tabs[0].rows[1] == ("At risk", 0, 1)

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Sheet", 2, 1, "Done"),)))

    assert calamine_values(path, "Sheet")[1] == ["Done", 1.0, 2.0]


def test_running_total_down_a_long_column_follows_a_written_cell(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([1, "=A1"])
    for row in range(2, 1501):  # deeper than Python's recursion limit
        sheet.append([1, f"=B{row - 1}+A{row}"])
    path = save(book, tmp_path / "marketing.xlsx")
    assert XlsxBackend(path).read().tabs[0].rows[-1] == (1, 1500)

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Sheet", 1, 1, 5),)))

    assert calamine_values(path, "Sheet")[-1] == [1.0, 1504.0]


def test_worked_out_date_results_read_the_same_once_stored(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([dt.date(2026, 3, 1), "=A1+14", "=A1+0.5", "=0", "=-1", "=A1*1000", "=2.5"])
    for cell in sheet[1][1:6]:
        cell.number_format = "yyyy-mm-dd"
    sheet["G1"].number_format = "[h]:mm:ss"
    path = save(book, tmp_path / "marketing.xlsx")
    worked_out = XlsxBackend(path).read().tabs[0].rows

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Sheet", 2, 1, "x"),)))

    assert worked_out[0][:3] == (
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 15),
        dt.datetime(2026, 3, 1, 12),
    )
    assert XlsxBackend(path).read().tabs[0].rows == (*worked_out, ("x",))


def test_numbers_in_date_cells_are_saved_as_stored(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append([-5, 0.25, 46082.5, 1e-40])
    for cell in book.active[1]:
        cell.number_format = "yyyy-mm-dd"
    path = save(book, tmp_path / "marketing.xlsx")

    def stored() -> list[str]:
        with zipfile.ZipFile(path) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        return re.findall(r'<c r="[A-D]1"[^>]*><v>([^<]*)</v>', sheet)

    before = stored()
    assert before[:3] == ["-5", "0.25", "46082.5"]

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Sheet", 2, 1, "x"),)))

    assert stored() == before  # openpyxl alone would write 1e-40 back as 0


def test_stored_error_results_read_as_errors(tmp_path: Path) -> None:
    path = plan_with_spend_formulas(tmp_path / "marketing.xlsx")
    as_if_saved_by_excel(path)
    patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        [
            (
                '<c r="G3"><f>SUM(I3:L3)</f><v>100.5</v></c>',
                '<c r="G3" t="e"><f>SUM(I3:L3)</f><v>#REF!</v></c>',
            )
        ],
    )
    assert column(path, "Plan", 7) == [175, CellError("#REF!"), 7]
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 2, 14, "no formula reads"),)))
    assert column(path, "Plan", 7) == [175, CellError("#REF!"), 7]


def test_a_large_sheet_reads_every_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Plan")
    sheet.append(PLAN_HEADER)
    for row in range(2, 3002):
        sheet.append(
            [f"T{row}", "G1", "Ad", dt.date(2026, 1, 1), dt.date(2026, 2, 1), row, f"=F{row}*2"]
        )
    path = tmp_path / "big.xlsx"
    book.save(path)

    rows = XlsxBackend(path).read().tabs[0].rows

    assert len(rows) == 3001
    assert rows[-1][5:7] == (3001, 6002)
    assert all(re.fullmatch(r"T\d+", row[0]) for row in rows[1:])
