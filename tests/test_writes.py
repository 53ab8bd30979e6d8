"""The write planner: owned cells only, changed cells only, and the Checks tab."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import TODAY, D, baseline, baseline_grids

import sheetsync
from sheetsync import writes
from sheetsync.backends.memory import MemoryBackend
from sheetsync.compute import GoalStatus, TacticStatus
from sheetsync.config import validate_settings
from sheetsync.engine import EventResult, GoalResult, TacticResult
from sheetsync.model import is_sheetsyncs
from sheetsync.schema import CHECKS, CHECKS_HEADERS, INPUT_TABS, PLAN, STRATEGY
from sheetsync.workbook import CellError, Tab
from sheetsync.writes import describe, plan_writes, same_value, same_values, written_value


def header(backend, tab):
    return list(backend.workbook.find_tab(tab).header)


def row_of(backend, tab, row_id):
    found = backend.workbook.find_tab(tab)
    return dict(
        zip(found.header, next(r for r in found.rows if r and r[0] == row_id), strict=False)
    )


def test_owned_columns_are_created_at_the_right_end_and_filled():
    backend = baseline()
    result = sheetsync.sync(backend, today=TODAY)
    assert result.written
    assert header(backend, "Plan") == [c.header for c in PLAN.inputs] + [
        "Status",
        "ROI",
        "Cost per Result",
        "Issues",
    ]
    assert header(backend, "Strategy")[10:] == [c.header for c in STRATEGY.owned]
    t1 = row_of(backend, "Plan", "T1")
    assert (t1["Status"], t1["ROI"], t1["Cost per Result"], t1.get("Issues")) == (
        "On track",
        2.75,
        400 / 30,
        None,
    )
    # T3's Revenue is blank (a sign-up form): no ROI, rather than -100 %.
    t3 = row_of(backend, "Plan", "T3")
    assert (t3["ROI"], t3["Cost per Result"]) == (None, 1.2)
    g1 = row_of(backend, "Strategy", "G1")
    assert (g1["Planned Budget"], g1["Spend"], g1["Revenue"], g1["Current"]) == (
        3000,
        900,
        1500,
        50,
    )
    assert (g1["Progress"], g1["ROI"], g1["Cost per Result"], g1["Status"]) == (
        0.5,
        600 / 900,
        18,
        "On track",
    )
    g2 = row_of(backend, "Strategy", "G2")
    assert (g2["Spend"], g2["Revenue"], g2["ROI"]) == (300, None, None)
    assert row_of(backend, "Calendar", "Office expo")["Status"] == "Prepared"


def test_second_sync_writes_nothing():
    backend = baseline({("Plan", "T2", "Channel"): "TikTok"})
    sheetsync.sync(backend, today=TODAY)
    again = sheetsync.sync(backend, today=TODAY)
    assert again.plan.writes == () and not again.written


def test_only_changed_cells_are_written():
    backend = baseline()
    sheetsync.sync(backend, today=TODAY)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    grids["Plan"][2][3] = "TikTok"  # T2's channel: its Issues cell and the Checks tab change
    result = sheetsync.sync(MemoryBackend.from_grids(grids), today=TODAY, dry_run=True)
    assert [describe(w) for w in result.plan.writes if w.tab == "Plan"] == [
        'Plan!P3: "" -> "SS304 Tactic T2 uses channel \\"TikTok\\", which goal G1 did not choose '
        '(Email, Events)."'
    ]
    assert {w.tab for w in result.plan.writes} == {"Plan", "Checks"}


def test_checks_tab_lists_findings_and_keeps_since():
    backend = baseline({("Plan", "T2", "Channel"): "TikTok"})
    sheetsync.sync(backend, today=TODAY)
    checks = backend.workbook.find_tab("Checks")
    assert list(checks.header) == list(CHECKS_HEADERS)
    assert checks.rows[1][:5] == ("warning", "SS304", "Plan", "D3", "T2")
    assert checks.rows[1][7] == "2026-06-15"
    # A week later the same finding keeps its Since; a new one gets the new date.
    later = TODAY + dt.timedelta(days=7)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    grids["Plan"][2][6] = D(2026, 6, 20)  # T2 due 2026-06-20: overdue by then
    backend = MemoryBackend.from_grids(grids)
    sheetsync.sync(backend, today=later)
    rows = {r[1]: r for r in backend.workbook.find_tab("Checks").rows[1:]}
    assert rows["SS304"][7] == "2026-06-15"
    assert rows["SS307"][7] == "2026-06-22"


def test_fixed_findings_leave_the_checks_tab_and_issues_cells():
    backend = baseline({("Plan", "T2", "Channel"): "TikTok"})
    sheetsync.sync(backend, today=TODAY)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    grids["Plan"][2][3] = "Events"
    backend = MemoryBackend.from_grids(grids)
    sheetsync.sync(backend, today=TODAY)
    assert [r for r in backend.workbook.find_tab("Checks").rows if any(r)] == [CHECKS_HEADERS]
    assert row_of(backend, "Plan", "T2").get("Issues") is None


@pytest.mark.parametrize(
    ("tab", "column", "written"),
    [
        # Strategy's figures, statuses and Issues and the Calendar's statuses come from the Plan.
        ("Plan", 6, {"Checks"}),
        # A tactic's Status and Issues depend on its goal (SS301); its ROI does not.
        ("Strategy", 0, {"Plan ROI", "Plan Cost per Result", "Calendar Status", "Checks"}),
        (
            "Calendar",
            1,
            {f"Strategy {c.header}" for c in STRATEGY.owned}
            | {f"Plan {c.header}" for c in PLAN.owned}
            | {"Checks"},
        ),
    ],
)
def test_structural_error_stops_write_back_of_that_tab_and_what_is_derived_from_it(
    tab, column, written
):
    grids = baseline_grids()
    grids[tab][0][column] = "When"  # a required header gone: SS101
    backend = MemoryBackend.from_grids(grids)
    result = sheetsync.sync(backend, today=TODAY)
    columns = {
        "Checks" if w.tab == "Checks" else f"{w.tab} {header(backend, w.tab)[w.column - 1]}"
        for w in result.plan.writes
    }
    assert columns == written
    assert backend.workbook.find_tab("Checks").rows[1][1] == "SS101"


def test_figures_are_left_as_they_are_when_the_plan_cannot_be_read():
    backend = baseline()
    sheetsync.sync(backend, today=TODAY)
    before = {t.name: t.rows for t in backend.workbook.tabs if t.name != "Checks"}
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    grids["Plan"].insert(0, ["Marketing plan 2026"])  # a title row above the headers
    grids["Plan"][3][8] = 5000  # T2's spend: would change G1's Spend, were Plan read
    backend = MemoryBackend.from_grids(grids)
    result = sheetsync.sync(backend, today=TODAY)
    assert {w.tab for w in result.plan.writes} == {"Checks"}
    after = {t.name: t.rows for t in backend.workbook.tabs if t.name not in ("Checks", "Plan")}
    assert after == {name: rows for name, rows in before.items() if name != "Plan"}
    assert {f.code for f in result.report.findings if f.severity == "error"} == {"SS104"}


@pytest.mark.parametrize(
    ("rows", "ours"),
    [
        ([], True),
        ([[None, " "]], True),
        ([list(CHECKS_HEADERS)], True),
        ([[h.upper() for h in CHECKS_HEADERS] + ["My notes"], ["error", "SS101"]], True),
        ([list(CHECKS_HEADERS[:3])], True),  # an older, shorter header row of sheetsync's
        ([["Date", "Payee", "Amount"], [D(2026, 6, 1), "Rent", 900]], False),
        ([[None], ["a note of mine"]], False),
        ([["Rule", "Severity"]], False),
    ],
)
def test_a_tab_named_like_checks_is_sheetsyncs_only_when_empty_or_headed_by_it(rows, ours):
    tab = Tab("Checks", tuple(tuple(row) for row in rows))
    assert is_sheetsyncs(tab, CHECKS) is ours


def test_a_users_own_checks_tab_is_never_written_and_the_rest_is():
    register = [["Date", "Payee", "Amount"], [D(2026, 6, 1), "Rent", 900]]
    grids = baseline_grids({("Plan", "T2", "Channel"): "TikTok"})
    backend = MemoryBackend.from_grids({**grids, "checks": register})
    result = sheetsync.sync(backend, today=TODAY)
    assert backend.workbook.find_tab("checks").rows == tuple(tuple(row) for row in register)
    assert not result.plan.new_tabs
    assert {w.tab for w in result.plan.writes} == {"Strategy", "Plan", "Calendar"}
    (taken,) = [f for f in result.report.findings if f.code == "SS105"]
    # Nothing in the user's data is wrong: a warning (sync still exits 1, see test_cli).
    assert (taken.tab, taken.severity) == ("checks", "warning")
    assert result.report.layout_errors == (taken,)
    assert 'Rename your "checks" tab' in taken.hint
    assert '[tabs] checks = "sheetsync Checks"' in taken.hint
    # Renamed in the config, sheetsync's own Checks tab is made beside the register.
    renamed = validate_settings({"tabs": {"checks": "sheetsync Checks"}})
    again = sheetsync.sync(backend, today=TODAY, settings=renamed)
    assert again.plan.new_tabs == ("sheetsync Checks",)
    assert backend.workbook.find_tab("sheetsync Checks").rows[1][1] == "SS304"


@pytest.mark.parametrize("schema", INPUT_TABS, ids=lambda s: s.role)
def test_every_owned_column_is_filled_by_its_rows_result(schema):
    # The planner reads each owned column's value from the result attribute named by its key;
    # a column without one would fail here rather than be written blank.
    result_type = {"strategy": GoalResult, "plan": TacticResult, "calendar": EventResult}
    for column in schema.owned:
        assert hasattr(result_type[schema.role], column.key), column.header


def test_guards_cover_header_and_ids_of_written_rows():
    result = sheetsync.sync(baseline(), today=TODAY, dry_run=True)
    guarded = {(g.tab, g.cell, g.expected) for g in result.plan.guards}
    assert ("Plan", "A1", "Tactic ID") in guarded
    assert ("Plan", "A3", "T2") in guarded
    assert ("Strategy", "A2", "G1") in guarded


def test_dry_run_writes_nothing():
    backend = baseline()
    before = backend.workbook
    result = sheetsync.sync(backend, today=TODAY, dry_run=True)
    assert result.plan.writes and not result.written
    assert backend.workbook is before


def test_text_that_looks_like_a_formula_stays_text():
    backend = baseline({("Plan", "T2", "Channel"): '=IMPORTXML("x")'})
    sheetsync.sync(backend, today=TODAY)
    issues = row_of(backend, "Plan", "T2")["Issues"]
    assert issues.startswith("SS304") and '"=IMPORTXML("x")"' in issues


# ---- properties -----------------------------------------------------------------------

cell_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "G1",
            "G2",
            "done",
            "45%",
            "$1,200.50",
            "1 200,50 €",
            "1.2k",
            "03/01/2026",
            "2026-03-01",
            "#REF!",
            "TRUE",
            "-5",
            "150%",
            " ",
            "=SUM(A1)",
        ]
    ),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 1, 1)),
    st.builds(CellError, st.sampled_from(["#REF!", "#DIV/0!", "#N/A", "#VALUE!"])),
)


@st.composite
def edited_workbooks(draw):
    grids = baseline_grids()
    for _ in range(draw(st.integers(0, 12))):
        tab = draw(st.sampled_from(sorted(grids)))
        rows = grids[tab]
        row = draw(st.integers(1, len(rows)))  # never the header row: index 0
        column = draw(st.integers(0, len(rows[0]) - 1))
        if row == len(rows):
            rows.append([None] * len(rows[0]))
        rows[row][column] = draw(cell_values)
    return grids


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids=edited_workbooks(), today=st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 1, 1)))
def test_any_cell_content_checks_and_syncs_safely(grids, today):
    backend = MemoryBackend.from_grids(grids)
    before = {t.name: t.rows for t in backend.workbook.tabs}
    sheetsync.sync(backend, today=today)
    # Every cell outside the owned columns and tabs is as it was.
    for name, rows in before.items():
        after = backend.workbook.find_tab(name)
        for number, row in enumerate(rows):
            assert after.rows[number][: len(row)] == row
    assert not sheetsync.sync(backend, today=today).plan.writes


def synced_then(edits):
    """The baseline after a good sync, then `edits` {(tab, row ID, header): value}, synced."""
    backend = baseline()
    sheetsync.sync(backend, today=TODAY)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    for (tab, row_id, name), value in edits.items():
        rows = grids[tab]
        next(r for r in rows if r[0] == row_id)[rows[0].index(name)] = value
    edited = MemoryBackend.from_grids(grids)
    return sheetsync.sync(edited, today=TODAY), backend, edited


@pytest.mark.parametrize(
    ("edits", "left", "codes"),
    [
        # An unreadable Budget is not 0: no overspend, and G1's Planned Budget stays 3000.
        ({("Plan", "T2", "Budget"): "about 300"}, {("G1", "Planned Budget")}, ["SS202"]),
        (
            {("Plan", "T2", "Spend"): "-5"},
            {("G1", "Spend"), ("G1", "ROI"), ("T2", "ROI")},
            ["SS202"],
        ),
        # G1's Current is unknown: Current and Progress stay, its Status asks for the fix.
        ({("Plan", "T1", "Result"): "lots"}, {("G1", "Current"), ("G1", "Progress")}, ["SS202"]),
        # T3 is past its Due: with its Progress unknown it is not "overdue at 0 %".
        ({("Plan", "T3", "Progress"): "half way"}, set(), ["SS202"]),
        # A Reviewed date that did not read is not "never reviewed, so stale since Start".
        (
            {
                ("Strategy", "G1", "Reviewed"): "last spring",
                ("Strategy", "G1", "Start"): D(2025, 1, 1),
            },
            set(),
            ["SS201"],
        ),
        # Office expo is prepared by T1 alone: with T1's Due unknown, so is its Status.
        ({("Plan", "T1", "Due"): "end of June"}, {("Office expo", "Status")}, ["SS201"]),
    ],
)
def test_a_value_that_did_not_read_is_never_0_in_a_figure_or_a_rule(edits, left, codes):
    result, before, after = synced_then(edits)
    assert [f.code for f in result.report.findings] == codes
    for row_name, header in left:
        assert owned_value(after, row_name, header) == owned_value(before, row_name, header)
    goal = next(g for g in result.report.goals if g.goal.goal_id == "G1")
    if ("G1", "Current") in left:
        assert (goal.current, goal.progress, str(goal.status)) == (None, None, "Needs fix")


def test_a_revenue_that_did_not_read_holds_back_current_only_where_the_kpi_counts_it():
    # G1 counts Qualified leads: T2's Revenue "lots" leaves its Revenue and ROI as they were,
    # but its Current (30 + 40 leads), Progress and Status follow the Results.
    result, before, after = synced_then(
        {("Plan", "T2", "Revenue"): "lots", ("Plan", "T2", "Result"): 40}
    )
    assert [f.code for f in result.report.findings] == ["SS202"]
    g1 = row_of(after, "Strategy", "G1")
    assert (g1["Current"], g1["Progress"], g1["Status"]) == (70, 0.7, "On track")
    assert g1["Cost per Result"] == 900 / 70
    for held in ("Revenue", "ROI"):
        assert g1[held] == owned_value(before, "G1", held)


@pytest.mark.parametrize(
    ("t2_result", "current", "status"),
    [
        # A Revenue KPI counts T2's Revenue where its Result is blank: unknown, held back.
        (None, 1500, "Needs fix"),
        # T2's Result is filled in, so its Revenue is not counted: G1's Current is known.
        (200, 1700, "On track"),
    ],
)
def test_a_revenue_that_did_not_read_holds_back_a_revenue_kpi_it_counts(t2_result, current, status):
    edits = {
        ("Strategy", "G1", "KPI"): "Revenue",
        ("Strategy", "G1", "Target"): 3000,
        ("Plan", "T1", "Result"): None,
        ("Plan", "T2", "Result"): t2_result,
    }
    backend = baseline(edits)
    sheetsync.sync(backend, today=TODAY)
    assert row_of(backend, "Strategy", "G1")["Current"] == 1500 + (t2_result or 0)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    next(r for r in grids["Plan"] if r[0] == "T2")[grids["Plan"][0].index("Revenue")] = "lots"
    edited = MemoryBackend.from_grids(grids)
    sheetsync.sync(edited, today=TODAY)
    g1 = row_of(edited, "Strategy", "G1")
    assert (g1["Current"], g1["Status"]) == (current, status)


def owned_value(backend, row_id, header):
    for tab in backend.workbook.tabs:
        for row in tab.rows[1:]:
            if row and row[0] == row_id:
                return dict(zip(tab.header, row, strict=False)).get(header)
    raise AssertionError(row_id)


# ---- what fits in a cell ----------------------------------------------------------------------


def written_texts(plan):
    return [write.value for write in plan.writes if isinstance(write.value, str)]


def test_a_huge_typed_value_is_quoted_short_and_no_cell_overflows():
    # A channel of 42,000 characters and a tactic ID of 40,000: Excel keeps 32,767 characters
    # in a cell (Google 50,000), so text longer than that would be cut and rewritten every run.
    edits = {("Plan", "T2", "Channel"): "TikTok " * 6000, ("Plan", "T1", "Tactic ID"): "T" * 40000}
    backend = baseline(edits)
    first = sheetsync.sync(backend, today=TODAY)
    assert max(map(len, written_texts(first.plan))) <= 32767
    issues = row_of(backend, "Plan", "T2")["Issues"]
    assert issues.startswith('SS304 Tactic T2 uses channel "TikTok TikTok') and len(issues) < 500
    assert "…" in issues
    assert not sheetsync.sync(backend, today=TODAY).plan.writes


def test_a_row_with_many_findings_lists_the_first_and_counts_the_rest():
    edits = {
        ("Plan", "T2", column): "??? " * 40
        for column in ("Start", "Due", "Budget", "Spend", "Revenue", "Result", "Progress")
    }
    backend = baseline(edits)
    sheetsync.sync(backend, today=TODAY)
    issues = row_of(backend, "Plan", "T2")["Issues"]
    report = sheetsync.check(backend, today=TODAY)
    on_t2 = [f for f in report.findings if f.row_id == "T2"]
    assert len(on_t2) == 7
    shown = issues.split("; ")
    assert shown[0].startswith(f"{on_t2[0].code} {on_t2[0].message}")
    assert shown[-1] == f"and {len(on_t2) - len(shown) + 1} more (see the Checks tab)"
    assert len(issues) <= 1000


def test_an_absurd_amount_is_a_finding_and_no_figure_is_infinite():
    # 1.7e308 once summed to inf: "ROI nan%" and cells rewritten on every sync.
    backend = baseline({("Plan", "T2", "Spend"): 1.7e308, ("Plan", "T1", "Revenue"): "1e308"})
    result = sheetsync.sync(backend, today=TODAY)
    bad = [(f.code, f.cell) for f in result.report.findings if f.code == "SS202"]
    assert bad == [("SS202", "J2"), ("SS202", "I3")]
    numbers = [w.value for w in result.plan.writes if isinstance(w.value, float)]
    assert numbers and all(math.isfinite(number) for number in numbers)
    assert "Infinity" not in json.dumps(result.report.as_dict())
    assert not sheetsync.sync(backend, today=TODAY).plan.writes


def test_an_unknown_figure_is_null_wherever_it_is_shown():
    from sheetsync.present import check_text
    from sheetsync.runs import goal_snapshots

    report = sheetsync.check(baseline({("Plan", "T1", "Result"): "lots"}), today=TODAY)
    (g1, g2) = report.as_dict()["goals"]
    assert (g1["current"], g1["progress"], g1["status"]) == (None, None, "Needs fix")
    assert g2["current"] == 250  # G2's tactics all read
    snapshot = goal_snapshots(report)[0]
    assert (snapshot.goal_id, snapshot.current) == ("G1", None)  # no short sum kept for months
    assert "20 of 100" not in check_text(report)  # T2's 20 alone is not G1's Current


def test_a_cell_that_did_not_read_makes_its_row_need_a_fix_even_with_its_rule_ignored():
    quiet = validate_settings({"rules": {"ignore": ["SS201", "SS202"]}})
    backend = baseline(
        {("Plan", "T3", "Progress"): "half way", ("Strategy", "G2", "Target"): "lots"}
    )
    report = sheetsync.check(backend, today=TODAY, settings=quiet)
    assert report.findings == ()
    t3 = next(t for t in report.tactics if t.tactic.tactic_id == "T3")
    g2 = next(g for g in report.goals if g.goal.goal_id == "G2")
    assert (str(t3.status), str(g2.status)) == ("Needs fix", "Needs fix")  # not Overdue, Done


def test_dry_run_tells_each_change_as_the_cell_shows_it():
    backend = baseline()
    sheetsync.sync(backend, today=TODAY)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    t1, t2 = grids["Plan"][1], grids["Plan"][2]
    t1[12:16] = [
        True,
        2500000,
        0,
        False,
    ]  # T1's Status, ROI, Cost per Result and Issues, typed over
    t2[3] = "Café"  # a channel G1 did not choose, quoted as typed in T2's Issues
    typed_over = MemoryBackend.from_grids(grids).workbook
    # A formula a person typed in an owned cell is named: the sync replaces it with a number.
    formulas = {("Plan", 2, 15): "=I2/K2"}
    dry = MemoryBackend(dataclasses.replace(typed_over, formulas=formulas))
    result = sheetsync.sync(dry, today=TODAY, dry_run=True)
    assert [describe(w) for w in result.plan.writes if w.tab == "Plan"] == [
        'Plan!M2: TRUE -> "On track"',
        "Plan!N2: 2500000 -> 2.75",
        "Plan!O2: =I2/K2 -> 13.3333 (replaces the formula)",
        'Plan!P2: FALSE -> ""',
        'Plan!P3: "" -> "SS304 Tactic T2 uses channel \\"Café\\", which goal G1 did not choose '
        '(Email, Events)."',
    ]


def test_a_new_owned_column_gets_its_header_styled_as_one_in_a_blank_cell():
    result = sheetsync.sync(baseline(), today=TODAY, dry_run=True)
    headers = [(w.a1, w.value, w.old, w.kind) for w in result.plan.writes if w.tab == "Plan"]
    assert headers[:4] == [
        ("M1", "Status", None, "header"),
        ("N1", "ROI", None, "header"),
        ("O1", "Cost per Result", None, "header"),
        ("P1", "Issues", None, "header"),
    ]


def test_a_calendar_with_no_events_yet_gets_only_its_status_header():
    grids = baseline_grids()
    grids["Calendar"] = grids["Calendar"][:1]
    result = sheetsync.sync(MemoryBackend.from_grids(grids), today=TODAY, dry_run=True)
    assert [describe(w) for w in result.plan.writes if w.tab == "Calendar"] == [
        'Calendar!E1: "" -> "Status"'
    ]


def test_each_figure_is_written_in_its_columns_format_and_a_cleared_one_as_blank_text():
    backend = baseline()
    first = sheetsync.sync(backend, today=TODAY)
    g1 = {w.a1: (w.value, w.kind) for w in first.plan.writes if (w.tab, w.row) == ("Strategy", 2)}
    assert g1 == {
        "K2": (3000, "money"),  # Planned Budget
        "L2": (900, "money"),  # Spend
        "M2": (1500, "money"),  # Revenue
        "N2": (50, "number"),  # Current
        "O2": (0.5, "percent"),  # Progress
        "P2": (600 / 900, "percent"),  # ROI
        "Q2": (18, "money"),  # Cost per Result
        "R2": ("On track", "text"),  # Status
    }
    # T1 stops tracking revenue: its ROI of 275 % is cleared, and the dry run says so.
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    grids["Plan"][1][9] = None
    again = sheetsync.sync(MemoryBackend.from_grids(grids), today=TODAY, dry_run=True)
    (roi,) = [w for w in again.plan.writes if (w.tab, w.a1) == ("Plan", "N2")]
    assert (roi.old, roi.value, roi.kind, describe(roi)) == (
        2.75,
        None,
        "text",
        'Plan!N2: 2.75 -> ""',
    )


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        (None, "", True),  # a blank cell already shows no text
        ("", None, True),
        (0.1 + 0.2, 0.3, True),  # float noise is not a change of figure
        (900, 900.5, False),  # fifty cents more spend is
        (0.6666, 0.6667, False),  # and so is a hundredth of a percentage point
        (True, 1, False),  # TRUE typed in a figure's cell is replaced by the figure
        ("On track", "On track", True),
        ("On track", "At risk", False),
        ("1", 1, False),  # a number typed as text is replaced by the number
    ],
)
def test_a_cell_is_written_only_when_what_it_shows_changes(old, new, same):
    assert same_value(old, new) is same


LONG_TEXT = "x" * 32768  # one character more than a cell holds: written cut, so never the same


# Equal to "Good", but written as str() says, "Mood.GOOD": the StrEnum ruff suggests is not.
class Mood(str, enum.Enum):  # noqa: UP042
    GOOD = "Good"


@pytest.mark.parametrize(
    ("olds", "news", "told_whole"),
    [
        (["On track", "Done", None], [TacticStatus.ON_TRACK, TacticStatus.DONE, None], True),
        ([None, "SS304 Channel..."], ["", "SS304 Channel..."], True),  # no issues: a blank
        ([2.75, None, 0.0, 3], [2.75, None, 0, 3.0], True),
        ([], [], True),
        # Left to `same_value`, cell by cell:
        ([0.1 + 0.2], [0.3], False),  # float noise, not a change, but not equal as it is
        ([" "], [""], False),  # spaces show a blank too
        ([True], [1], False),  # TRUE typed in a figure's cell is replaced by the figure
        ([1], [True], False),
        (["1"], [1], False),
        ([math.inf], [math.inf], False),
        ([LONG_TEXT], [LONG_TEXT], False),
        (["On track", 2.5], [GoalStatus.ON_TRACK, 2.5], False),  # text and figures in one column
        ([D(2026, 1, 1)], [D(2026, 1, 1)], False),
        (["Good"], [Mood.GOOD], False),
    ],
)
def test_a_column_that_already_shows_its_values_is_told_whole(olds, news, told_whole):
    assert same_values(olds, news) is told_whole
    if told_whole:
        assert all(same_value(old, written_value(new)) for old, new in zip(olds, news, strict=True))


new_values = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=6),
    st.sampled_from([*TacticStatus, *GoalStatus, LONG_TEXT]),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=10**308, max_value=10**310),  # no float can hold these
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
)


@st.composite
def old_beside(draw, new):
    """What a cell may hold where `new` is to be written: often that very value, or one equal
    to it but of another kind (1 and TRUE, 1 and 1.0, a status and its text), or anything."""
    alike = [new]
    if isinstance(new, int) and not isinstance(new, bool) and abs(new) < 2**53:
        alike.append(float(new))
    if isinstance(new, float) and new.is_integer():
        alike.append(int(new))
    if isinstance(new, int | float) and new in (0, 1):
        alike.append(bool(new))
    if isinstance(new, str):
        alike += [str(new), f"{new} "]
    return draw(st.one_of(st.sampled_from(alike), new_values, cell_values))


@st.composite
def columns_to_write(draw):
    news = draw(st.lists(new_values, max_size=8))
    return [draw(old_beside(new)) for new in news], news


@settings(max_examples=400)
@given(columns_to_write())
def test_a_column_told_whole_is_one_where_no_cell_would_change(column):
    olds, news = column
    if same_values(olds, news):
        assert all(same_value(old, written_value(new)) for old, new in zip(olds, news, strict=True))


def _plan_as_shown(plan):
    """A plan in comparable form (repr: a NaN the user typed equals itself)."""
    writes_shown = [(w.tab, w.a1, repr(w.value), repr(w.old), w.kind) for w in plan.writes]
    return writes_shown, plan.guards, plan.new_tabs, plan.frozen_rows


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["Strategy", "Plan", "Calendar", "Checks"]),
            st.integers(0, 5),  # a header now and then; a row past the last one is added
            st.integers(0, 24),  # past a row's last cell too
            cell_values,
        ),
        max_size=8,
    )
)
def test_the_plan_is_the_same_as_comparing_every_cell_one_by_one(edits):
    """Owned cells, inputs and the Checks tab of a synced workbook edited: the plan names the
    same cells, in the same order, as one that compares every cell alone."""
    grids = synced_grids()
    for tab, row, column, value in edits:
        rows = grids[tab]
        if row >= len(rows):
            rows.append([])
        cells = rows[min(row, len(rows) - 1)]
        cells.extend([None] * (column + 1 - len(cells)))
        cells[column] = value
    report = sheetsync.check(MemoryBackend.from_grids(grids), today=TODAY)
    with patch.object(writes, "same_values", return_value=False):
        one_by_one = plan_writes(report, "Checks")
    assert _plan_as_shown(plan_writes(report, "Checks")) == _plan_as_shown(one_by_one)


def synced_grids():
    """The baseline after a sync, as grids to edit."""
    backend = baseline({("Plan", "T2", "Channel"): "TikTok"})
    sheetsync.sync(backend, today=TODAY)
    return {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}


def test_fifty_cents_more_spend_is_written_to_the_goal():
    backend = baseline()
    sheetsync.sync(backend, today=TODAY)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    grids["Plan"][1][8] = 400.5  # T1's Spend
    result = sheetsync.sync(MemoryBackend.from_grids(grids), today=TODAY, dry_run=True)
    assert "Strategy!L2: 900 -> 900.5" in [describe(w) for w in result.plan.writes]


def test_the_checks_tab_is_written_under_the_name_the_user_gave_it():
    grids = baseline_grids({("Plan", "T2", "Channel"): "TikTok"})
    backend = MemoryBackend.from_grids({**grids, "CHECKS": [list(CHECKS_HEADERS)]})
    result = sheetsync.sync(backend, today=TODAY)
    assert not result.plan.new_tabs
    assert {w.tab for w in result.plan.writes if w.row > 1 and w.column == 2} == {"CHECKS"}
    assert backend.workbook.find_tab("CHECKS").rows[1][1] == "SS304"


def test_the_checks_tab_gets_a_header_row_and_plain_text_findings_and_the_dry_run_tells_both():
    backend = baseline({("Plan", "T2", "Channel"): "TikTok"})
    first = sheetsync.sync(backend, today=TODAY)
    kinds = {(w.row, w.kind) for w in first.plan.writes if w.tab == "Checks"}
    assert kinds == {(1, "header"), (2, "text")}
    # Fixed: the finding's row is cleared, and the dry run shows what each cell held.
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    grids["Plan"][2][3] = "Events"
    fixed = sheetsync.sync(MemoryBackend.from_grids(grids), today=TODAY, dry_run=True)
    cleared = [describe(w) for w in fixed.plan.writes if w.tab == "Checks"]
    assert cleared[:3] == [
        'Checks!A2: "warning" -> ""',
        'Checks!B2: "SS304" -> ""',
        'Checks!C2: "Plan" -> ""',
    ]


def checks_after_a_week(edit_checks_row):
    """Since of the TikTok finding (first seen TODAY) a week later, after `edit_checks_row`
    changed its row of the Checks tab as a person (or Excel) might."""
    backend = baseline({("Plan", "T2", "Channel"): "TikTok"})
    sheetsync.sync(backend, today=TODAY)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    grids["Checks"][1] = edit_checks_row(grids["Checks"][1])
    later = MemoryBackend.from_grids(grids)
    sheetsync.sync(later, today=TODAY + dt.timedelta(days=7))
    return later.workbook.find_tab("Checks").rows[1][7]


@pytest.mark.parametrize(
    ("edit", "since"),
    [
        (lambda row: row, "2026-06-15"),
        # Excel turns a typed 2026-06-15 into a date, or a date and time: the day is kept.
        (lambda row: row[:7] + [D(2026, 6, 15)], "2026-06-15"),
        (lambda row: row[:7] + [dt.datetime(2026, 6, 15, 9, 30)], "2026-06-15"),
        # Its Hint and Since deleted (a shorter row): seen again today, not lost or "None".
        (lambda row: row[:6], "2026-06-22"),
        (lambda row: row[:7] + [None], "2026-06-22"),
    ],
)
def test_a_findings_since_survives_what_a_spreadsheet_does_to_the_checks_tab(edit, since):
    assert checks_after_a_week(edit) == since


def test_a_finding_on_a_row_with_a_huge_id_keeps_its_since_and_fits_its_cell():
    edits = {("Plan", "T2", "Channel"): "TikTok", ("Plan", "T2", "Tactic ID"): "T" * 40000}
    backend = baseline(edits)
    sheetsync.sync(backend, today=TODAY)
    (row_id,) = {
        row[4] for row in backend.workbook.find_tab("Checks").rows[1:] if row[1] == "SS304"
    }
    assert row_id.startswith("TTT") and len(row_id) <= 32767
    # A week later the finding, its ID cut the same way, is the same: the Checks tab is kept.
    later = sheetsync.sync(backend, today=TODAY + dt.timedelta(days=7))
    assert not [w for w in later.plan.writes if w.tab == "Checks"]


def test_rows_under_a_section_heading_still_get_their_status():
    grids = baseline_grids()
    # A heading between T1 and T2, with no ID: the user's row, never given a status.
    grids["Plan"].insert(2, [None, None, "Summer campaigns"])
    backend = MemoryBackend.from_grids(grids)
    sheetsync.sync(backend, today=TODAY)
    heading = backend.workbook.find_tab("Plan").rows[2]
    assert heading[2] == "Summer campaigns" and not any(heading[3:])
    assert [row_of(backend, "Plan", t)["Status"] for t in ("T1", "T2", "T3")] == [
        "On track",
        "On track",
        "Done",
    ]


def test_a_findings_since_is_kept_when_the_spreadsheet_reads_its_row_id_back_as_a_value():
    # Tactics numbered 1 and TRUE (a checkbox in the ID column): Google Sheets turns the
    # Checks tab's texts "1" and "TRUE" into a number and a boolean, which are one key to a
    # dict; each finding keeps the Since of its own row.
    edits = {
        ("Plan", "T1", "Channel"): "TikTok",
        ("Plan", "T2", "Channel"): "TikTok",
        ("Plan", "T1", "Tactic ID"): 1,
        ("Plan", "T2", "Tactic ID"): True,
    }
    backend = baseline(edits)
    sheetsync.sync(backend, today=TODAY)
    grids = {t.name: [list(r) for r in t.rows] for t in backend.workbook.tabs}
    rows = grids["Checks"][1:]
    assert [row[4] for row in rows] == ["1", "TRUE"]
    for row, value, since in zip(rows, [1, True], ["2026-06-01", "2026-06-02"], strict=True):
        row[4], row[7] = value, since
    later = MemoryBackend.from_grids(grids)
    sheetsync.sync(later, today=TODAY + dt.timedelta(days=7))
    kept = [row[7] for row in later.workbook.find_tab("Checks").rows[1:]]
    assert kept == ["2026-06-01", "2026-06-02"]
