"""sync on real .xlsx files: user cells survive byte for byte, formulas keep reading right."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from package_parts import assert_untouched_parts_kept
from workbooks import TODAY, D, baseline_grids, write_xlsx

import sheetsync

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


def test_a_formula_in_an_owned_cell_is_named_in_the_dry_run(tmp_path):
    # A user typed their own ROI formula in T2's ROI cell: sync replaces it with sheetsync's
    # figure (the column is sheetsync's), and the dry run says so before anything is written.
    grids = baseline_grids()
    plan = grids["Plan"]
    plan[0] += ["Status", "ROI"]
    for row in plan[1:]:
        row += [None, None]
    plan[2][-1] = "=J3-I3"  # their profit, where sheetsync keeps the ROI
    path = tmp_path / "own-formula.xlsx"
    write_xlsx(path, grids)
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
