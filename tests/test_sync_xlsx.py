"""sync on real .xlsx files: user cells survive byte for byte, formulas keep reading right."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chartsheet import Chartsheet
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from package_parts import assert_untouched_parts_kept, patch_member
from workbooks import TODAY, D, baseline_grids, write_xlsx

import sheetsync
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.workbook import CellError

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))


def formula_workbook(path: Path) -> None:
    """A Plan whose Spend column is =SUM of a user's monthly columns."""
    grids = baseline_grids()
    plan = grids["Plan"]
    plan[0] += ["Jan", "Feb"]
    for number, row in enumerate(plan[1:], 2):
        spend = row[8]
        row += [spend / 2, spend / 2]
        row[8] = f"=SUM(M{number}:N{number})"
    write_xlsx(path, grids)


def test_formula_inputs_read_right_on_every_sync(tmp_path):
    path = tmp_path / "formulas.xlsx"
    formula_workbook(path)
    first = sheetsync.sync(str(path), today=TODAY)
    assert first.written
    assert {g.goal.goal_id: g.figures.spend for g in first.report.goals} == {"G1": 900, "G2": 300}
    second = sheetsync.sync(str(path), today=TODAY)
    assert not second.plan.writes
    assert {g.goal.goal_id: g.figures.spend for g in second.report.goals} == {"G1": 900, "G2": 300}
    assert load_workbook(path)["Plan"]["I2"].value == "=SUM(M2:N2)"
    # A user edits a month in Excel; the next sync sees the new sum.
    book = load_workbook(path)
    book["Plan"]["M3"] = 900  # T2: 900 + 250 = 1150
    book.save(path)
    third = sheetsync.sync(str(path), today=TODAY)
    assert next(t for t in third.report.tactics if t.tactic.tactic_id == "T2").tactic.spend == 1150


def test_a_totals_row_of_formulas_is_left_as_it_is(tmp_path):
    path = tmp_path / "totals.xlsx"
    write_xlsx(path, baseline_grids())
    sheetsync.sync(str(path), today=TODAY)
    book = load_workbook(path)
    strategy, plan = book["Strategy"], book["Plan"]
    spend = next(c.column_letter for c in strategy[1] if c.value == "Spend")  # owned
    strategy.append({1: "Total", 7: "=SUM(G2:G3)"})
    strategy[f"{spend}4"] = f"=SUM({spend}2:{spend}3)"  # the user's own formula, in our column
    plan.append({8: "=SUM(H2:H4)", 9: "=SUM(I2:I4)", 11: "=SUM(K2:K4)"})  # no label, no ID
    book.save(path)
    result = sheetsync.sync(str(path), today=TODAY)
    assert [f.code for f in result.report.findings] == []
    assert not result.plan.writes
    book = load_workbook(path)
    assert book["Strategy"][f"{spend}4"].value == f"=SUM({spend}2:{spend}3)"
    assert book["Plan"]["H5"].value == "=SUM(H2:H4)"


def snapshot(path: Path, owned_from: dict[str, int]) -> dict:
    """Every user cell's value, formula, number format, font, fill and comment."""
    book = load_workbook(path)
    cells = {}
    for sheet in book.worksheets:
        first_owned = owned_from.get(sheet.title, 10**6)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.column >= first_owned or sheet.title == "Checks":
                    continue
                cells[(sheet.title, cell.coordinate)] = (
                    cell.value,
                    cell.number_format,
                    cell.font.b,
                    cell.font.color and cell.font.color.rgb,
                    cell.fill.fgColor.rgb,
                    cell.comment.text if cell.comment else None,
                )
    return cells


cell_values = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10),
    st.sampled_from(
        [
            "G1",
            "G9",
            "done",
            "45%",
            "$1,200.50",
            "03/01/2026",
            "#N/A",
            "=1+1",
            "=SUM(H2:H3)",
            "TikTok",
            "-5",
            "",
        ]
    ),
    st.integers(-1000, 10**6),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 1, 1)),
)
edits = st.lists(
    st.tuples(
        st.sampled_from(["Strategy", "Plan", "Calendar"]),
        st.integers(2, 5),
        st.integers(1, 12),
        cell_values,
    ),
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(edits=edits)
def test_sync_never_changes_a_user_cell(tmp_path_factory, edits):
    path = tmp_path_factory.mktemp("prop") / "book.xlsx"
    write_xlsx(path, baseline_grids())
    book = load_workbook(path)
    for tab, row, column, value in edits:
        sheet = book[tab]
        if column > sheet.max_column:
            continue
        cell = sheet.cell(row, column, value)
        cell.font = Font(bold=True, color="FF0000FF")
        cell.fill = PatternFill("solid", fgColor="FFFFFF00")
        cell.comment = Comment("user note", "me")
    book.save(path)
    widths = {s.title: s.max_column + 1 for s in book.worksheets}
    before = snapshot(path, widths)
    unsynced = path.with_name("unsynced.xlsx")
    unsynced.write_bytes(path.read_bytes())
    sheetsync.sync(str(path), today=TODAY)
    assert snapshot(path, widths) == before
    assert_untouched_parts_kept(unsynced, path)
    assert not sheetsync.sync(str(path), today=TODAY).plan.writes


def encrypted_copy(path: Path) -> None:
    """A workbook with a password, encrypted the way Excel does it."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = path.with_name("plain.xlsx")
    write_xlsx(plain, baseline_grids())
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)


def run(*args):
    return subprocess.run([SHEETSYNC, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_text("Goal ID,Business Goal\nG1,Grow\n"), "not an Excel workbook"),
        (lambda p: encrypted_copy(p), "password-protected"),
        (lambda p: p.write_bytes(b"PK\x03\x04 broken"), "is damaged"),
    ],
    ids=["csv-renamed", "encrypted", "corrupt-zip"],
)
def test_unusable_file_exits_3_and_is_untouched(tmp_path, make, expected):
    path = tmp_path / "marketing.xlsx"
    make(path)
    before = path.read_bytes()
    result = run("sync", "--workbook", str(path), "--today", TODAY.isoformat())
    assert result.returncode == 3
    assert "marketing.xlsx" in result.stderr and expected in result.stderr.replace("\n", " ")
    assert path.read_bytes() == before


@pytest.mark.parametrize("lock", ["~$marketing.xlsx", ".~lock.marketing.xlsx#"])
def test_file_open_in_office_is_checked_but_not_synced(tmp_path, lock):
    path = tmp_path / "marketing.xlsx"
    write_xlsx(path, baseline_grids())
    (tmp_path / lock).write_text("")
    before = path.read_bytes()
    assert run("check", "--workbook", str(path), "--today", TODAY.isoformat()).returncode == 0
    result = run("sync", "--workbook", str(path), "--today", TODAY.isoformat())
    assert result.returncode == 3
    assert "Close it" in result.stderr and "nothing was written" in result.stderr
    assert path.read_bytes() == before


def test_a_chart_sheet_named_checks_is_left_alone_and_the_rest_is_synced(tmp_path):
    # A chart moved to a sheet of its own and called Checks: sheetsync's Checks tab beside it
    # would be a second sheet of that name, which Excel calls damage.
    path = tmp_path / "chart.xlsx"
    write_xlsx(path, baseline_grids())
    book = load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book["Strategy"], min_col=7, min_row=1, max_row=3))
    book.create_chartsheet("Checks", 1).add_chart(chart)
    book.save(path)

    result = sheetsync.sync(str(path), today=TODAY)

    assert [(f.code, f.tab) for f in result.report.findings] == [("SS105", "Checks")]
    book = load_workbook(path)
    assert book.sheetnames == ["Strategy", "Checks", "Plan", "Calendar"]
    assert isinstance(book["Checks"], Chartsheet)
    assert [c.value for c in book["Plan"][1]][-4:] == ["Status", "ROI", "Cost per Result", "Issues"]


@pytest.mark.parametrize("references", ["kept", "left out"])
def test_a_formula_in_an_owned_cell_is_named_in_the_dry_run(tmp_path, references):
    # A user typed their own ROI formula in T2's ROI cell: sync replaces it with sheetsync's
    # figure (the column is sheetsync's), and the dry run says so before anything is written,
    # also when the file leaves out the references of that cell and its row.
    grids = baseline_grids()
    plan = grids["Plan"]
    plan[0] += ["Status", "ROI"]
    for row in plan[1:]:
        row += ["On track", None]
    plan[2][-1] = "=J3-I3"  # their profit, where sheetsync keeps the ROI
    path = tmp_path / "own-formula.xlsx"
    write_xlsx(path, grids)
    if references == "left out":
        without_references(path, "Plan", rows=(3,), cells=("M3", "N3"))
    dry = subprocess.run(
        [SHEETSYNC, "sync", "--workbook", str(path), "--today", TODAY.isoformat(), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Plan!N3: =J3-I3 -> -1 (replaces the formula)" in dry.stdout.splitlines()
    assert "Plan!N2: " in dry.stdout and "Plan!N2: =" not in dry.stdout
    sheetsync.sync(str(path), today=TODAY)
    assert load_workbook(path)["Plan"]["N3"].value == -1


# Cells placed by their order --------------------------------------------------------------
# A sheet's XML may leave out a row's number (<row>: the row after the one before it) and a
# cell's reference (<c>: the cell after the one before it in its row). Excel reads such files
# and other writers save them; sheetsync must place those cells where Excel shows them.


def sheet_part(path: Path, tab: str) -> str:
    """The sheet XML of a tab, in a file openpyxl saved (it numbers the parts in tab order)."""
    return f"xl/worksheets/sheet{load_workbook(path).sheetnames.index(tab) + 1}.xml"


def without_references(path: Path, tab: str, rows: tuple[int, ...], cells: tuple[str, ...]):
    """Leave out the numbers of these rows and the references of these cells."""
    edits = [(f'<row r="{row}"', "<row") for row in rows]
    patch_member(path, sheet_part(path, tab), edits + [(f'<c r="{cell}"', "<c") for cell in cells])


def as_saved_by_excel(path: Path) -> None:
    """Formulas keep the results stored with them (openpyxl asks for a recalculation)."""
    patch_member(path, "xl/workbook.xml", [(' fullCalcOnLoad="1"', "")])


def shown(path: Path, tab: str) -> list[list[object]]:
    """What a program that shows stored results (Excel on open, pandas, calamine) shows."""
    return python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name(tab).to_python()


def test_formulas_without_references_show_new_results_after_a_sync(tmp_path):
    # The user's Dashboard counts the tactics done from sheetsync's Status column, in rows and
    # cells that leave out their references; marking T2 done must change what it shows.
    path = tmp_path / "dashboard.xlsx"
    grids = baseline_grids()
    grids["Dashboard"] = [["Tactics done", 0], [], ["Share done", 0], ["T2 is", 0]]
    write_xlsx(path, grids)
    sheetsync.sync(str(path), today=TODAY)
    book = load_workbook(path)
    status = next(c.column_letter for c in book["Plan"][1] if c.value == "Status")
    before = [book["Plan"][f"{status}{row}"].value for row in (2, 3, 4)]
    assert before[1] != "Done"
    book["Plan"]["L3"] = "done"  # T2's Progress, as the user types it
    dashboard = book["Dashboard"]
    dashboard["B1"] = f'=COUNTIF(Plan!{status}:{status},"Done")'
    dashboard["B3"] = "=B1/COUNTA(Plan!A2:A4)"
    dashboard["B4"] = f"=Plan!{status}3"
    book.save(path)
    done = before.count("Done")
    patch_member(
        path,
        sheet_part(path, "Dashboard"),
        [
            (
                f'<f>COUNTIF(Plan!{status}:{status},"Done")</f><v />',
                f'<f>COUNTIF(Plan!{status}:{status},"Done")</f><v>{done}</v>',
            ),
            ("<f>B1/COUNTA(Plan!A2:A4)</f><v />", f"<f>B1/COUNTA(Plan!A2:A4)</f><v>{done / 3}</v>"),
            (
                f'<c r="B4"><f>Plan!{status}3</f><v />',
                f'<c r="B4" t="str"><f>Plan!{status}3</f><v>{before[1]}</v>',
            ),
        ],
    )
    without_references(path, "Dashboard", rows=(1, 4), cells=("B1", "B3", "A4", "B4"))
    as_saved_by_excel(path)
    assert shown(path, "Dashboard")[0][1] == done  # as the file was left

    sheetsync.sync(str(path), today=TODAY)

    expected = [
        ["Tactics done", done + 1],
        ["", ""],
        ["Share done", (done + 1) / 3],
        ["T2 is", "Done"],
    ]
    assert shown(path, "Dashboard") == expected
    values = load_workbook(path, data_only=True)["Dashboard"]
    assert [[c.value for c in row] for row in values.iter_rows()] == [
        [None if v == "" else v for v in row] for row in expected
    ]


def test_formula_errors_in_cells_without_references_are_findings_on_those_cells(tmp_path):
    # T2's Budget and T3's Spend are formulas that fail, in cells (and T3's row) without a
    # reference: each is a finding on its own cell, not a blank read as 0.
    path = tmp_path / "errors.xlsx"
    write_xlsx(path, baseline_grids())
    plan = sheet_part(path, "Plan")
    patch_member(
        path,
        plan,
        [
            ('<c r="H3" t="n"><v>2000</v></c>', '<c r="H3" t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
            ('<c r="I4" t="n"><v>300</v></c>', '<c r="I4" t="e"><f>NA()</f><v>#N/A</v></c>'),
        ],
    )
    without_references(path, "Plan", rows=(4,), cells=("H3", "A4", "B4", "C4", "I4"))
    as_saved_by_excel(path)

    result = sheetsync.sync(str(path), today=TODAY)

    errors = {(f.code, f.tab, f.cell) for f in result.report.findings if f.severity == "error"}
    assert errors == {("SS202", "Plan", "H3"), ("SS202", "Plan", "I4")}
    book = load_workbook(path, data_only=True)
    status = next(c.column_letter for c in book["Plan"][1] if c.value == "Status")
    assert [book["Plan"][f"{status}{row}"].value for row in (2, 3, 4)][1:] == ["Needs fix"] * 2
    checks = [[c.value for c in row] for row in book["Checks"].iter_rows(values_only=False)]
    cells = {row[3] for row in checks[1:] if row[0] == "error"}
    assert cells == {"H3", "I4"}


@pytest.mark.parametrize("code", ["#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#BUSY!"])
def test_excel_365_errors_are_read_as_errors_not_as_a_damaged_file(tmp_path: Path, code: str):
    """calamine refuses the error codes newer than Excel 2010; such a file is healthy, and
    its other cells read as they read without the error."""
    path = tmp_path / "marketing.xlsx"
    write_xlsx(path, baseline_grids())
    before = XlsxBackend(path).read()
    patch_member(
        path,
        "xl/worksheets/sheet2.xml",
        [('<c r="I3" t="n"><v>500</v></c>', f'<c r="I3" t="e"><v>{code}</v></c>')],
    )

    after = XlsxBackend(path).read()
    report = sheetsync.check(str(path), today=TODAY)

    expected = [list(row) for row in before.tabs[1].rows]
    expected[2][8] = CellError(code)
    assert [list(row) for row in after.tabs[1].rows] == expected
    assert after.tabs[0] == before.tabs[0] and after.tabs[2] == before.tabs[2]
    assert [(f.code, f.cell, f.message) for f in report.findings if f.severity == "error"] == [
        ("SS202", "I3", f"Spend of tactic T2: the cell shows the formula error {code}.")
    ]

    sheetsync.sync(str(path), today=TODAY)

    synced = XlsxBackend(path).read().tabs[1]
    assert synced.rows[2][8] == CellError(code)  # the user's cell, as it was
    status = synced.rows[0].index("Status")
    assert [row[status] for row in synced.rows[1:]] == [t.status for t in report.tactics]
