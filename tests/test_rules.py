"""Every rule: an edit of a clean workbook that triggers it, at the right cell, and a near miss."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from workbooks import TODAY, D, baseline, baseline_grids

import sheetsync
from sheetsync import rules
from sheetsync.backends.memory import MemoryBackend
from sheetsync.rules import CATALOG
from sheetsync.schema import CHECKS_HEADERS, INPUT_TABS, normalize_header

G1_ROW = [
    "G3",
    "Win weddings",
    "Wedding cakes",
    "Events",
    "Bookings",
    10,
    1000,
    D(2026, 1, 1),
    D(2026, 12, 31),
    None,
]


def flyers(tactic_id):
    """A Plan row for one more tactic, with the given ID."""
    return [tactic_id, "G1", "Flyers", "Email", "", D(2026, 6, 1), D(2026, 6, 30), 0, 0, 0, 0, 0.5]


def findings(backend, code=None):
    report = sheetsync.check(backend, today=TODAY)
    return [f for f in report.findings if code is None or f.code == code]


def test_baseline_is_clean():
    assert findings(baseline()) == []


def with_tabs(**changes):
    grids = baseline_grids()
    for name, rows in changes.items():
        if rows is None:
            del grids[name]
        else:
            grids[name] = rows
    return MemoryBackend.from_grids(grids)


def plan_with_header(old, new, extra_column=None):
    grids = baseline_grids()
    rows = grids["Plan"]
    if old:
        rows[0][rows[0].index(old)] = new
    if extra_column:
        for row in rows:
            row.append(extra_column if row is rows[0] else "x")
    return MemoryBackend.from_grids(grids)


# (code, triggering backend, tab, cell, near-miss backend)
CASES = [
    (
        "SS100",
        lambda: with_tabs(Plan=None),
        "Plan",
        None,
        lambda: with_tabs(Plan=None, **{" plan ": baseline_grids()["Plan"]}),
    ),
    (
        "SS101",
        lambda: plan_with_header("Due", "When it ends"),
        "Plan",
        "M1",
        lambda: plan_with_header("Due", " due DATE "),
    ),
    (
        "SS102",
        lambda: plan_with_header(None, None, "Due date"),
        "Plan",
        "M1",
        lambda: plan_with_header(None, None, "Notes"),
    ),
    (
        "SS103",
        lambda: plan_with_header("Spend", "Spnd"),
        "Plan",
        "I1",
        lambda: plan_with_header("Spend", "Cost"),
    ),
    (
        "SS104",
        lambda: with_tabs(Plan=[["Marketing plan 2026"], *baseline_grids()["Plan"]]),
        "Plan",
        "A1",
        # A row of the user's own headers in row 2 is not the tab's header row moved down.
        lambda: with_tabs(Plan=[*baseline_grids()["Plan"][:1], ["Notes", "Links"]]),
    ),
    (
        "SS105",
        lambda: with_tabs(checks=[["Date", "Payee", "Amount"], [D(2026, 6, 1), "Rent", 900]]),
        "checks",
        None,
        # An older Checks tab of sheetsync's own, before Since was added, is still sheetsync's.
        lambda: with_tabs(Checks=[list(CHECKS_HEADERS[:-1]), ["warning", "SS304"]]),
    ),
    (
        "SS200",
        lambda: baseline({("Plan", "T2", "Activity"): None}),
        "Plan",
        "C3",
        lambda: baseline({("Plan", "T2", "Owner"): None}),
    ),
    (
        "SS201",
        lambda: baseline({("Plan", "T2", "Due"): "next friday"}),
        "Plan",
        "G3",
        lambda: baseline({("Plan", "T2", "Due"): "2026-07-31"}),
    ),
    (
        "SS202",
        lambda: baseline({("Plan", "T2", "Spend"): "about 300"}),
        "Plan",
        "I3",
        lambda: baseline({("Plan", "T2", "Spend"): "$1,200.50"}),
    ),
    (
        "SS203",
        lambda: baseline({("Plan", "+", ""): flyers("T1")}),
        "Plan",
        "A5",
        lambda: baseline({("Plan", "+", ""): flyers("T4")}),
    ),
    (
        "SS204",
        lambda: baseline({("Plan", "T2", "Due"): D(2026, 4, 30)}),
        "Plan",
        "G3",
        lambda: baseline(
            {("Plan", "T2", "Due"): D(2026, 6, 20), ("Plan", "T2", "Start"): D(2026, 6, 20)}
        ),
    ),
    (
        "SS300",
        lambda: baseline({("Plan", "T2", "Goal ID"): " "}),
        "Plan",
        "B3",
        lambda: baseline({("Plan", "T2", "Goal ID"): "G1"}),
    ),
    (
        "SS301",
        lambda: baseline({("Plan", "T2", "Goal ID"): "G9"}),
        "Plan",
        "B3",
        lambda: baseline({("Plan", "T2", "Goal ID"): "g1"}),
    ),
    (
        "SS302",
        lambda: baseline({("Strategy", "+", ""): G1_ROW}),
        "Strategy",
        "A4",
        lambda: baseline({("Strategy", "+", ""): G1_ROW, ("Plan", "T2", "Goal ID"): "G3"}),
    ),
    (
        "SS303",
        lambda: baseline({("Plan", "T2", "Due"): D(2027, 1, 15)}),
        "Plan",
        "G3",
        lambda: baseline({("Plan", "T2", "Due"): D(2026, 12, 31)}),
    ),
    (
        "SS304",
        lambda: baseline({("Plan", "T2", "Channel"): "TikTok"}),
        "Plan",
        "D3",
        lambda: baseline({("Plan", "T2", "Channel"): " events"}),
    ),
    (
        "SS305",
        lambda: baseline({("Plan", "T2", "Budget"): 4500}),
        "Strategy",
        "G2",
        lambda: baseline({("Plan", "T2", "Budget"): 4000}),
    ),
    (
        "SS306",
        lambda: baseline({("Plan", "T2", "Spend"): 2100}),
        "Plan",
        "I3",
        lambda: baseline({("Plan", "T2", "Spend"): 2000}),
    ),
    (
        "SS307",
        lambda: baseline({("Plan", "T2", "Due"): D(2026, 6, 10)}),
        "Plan",
        "G3",
        lambda: baseline({("Plan", "T2", "Due"): TODAY}),
    ),
    (
        "SS308",
        lambda: baseline({("Strategy", "G2", "End"): D(2026, 6, 1)}),
        "Strategy",
        "I3",
        lambda: baseline({("Strategy", "G2", "End"): TODAY}),
    ),
    (
        "SS309",
        lambda: baseline({("Calendar", "Office expo", "Goal IDs"): "G2"}),
        "Calendar",
        "B2",
        lambda: baseline(
            {
                ("Calendar", "Office expo", "Goal IDs"): "G2",
                ("Calendar", "Office expo", "Date"): D(2026, 8, 1),
            }
        ),
    ),
    (
        "SS310",
        lambda: baseline({("Calendar", "Office expo", "Goal IDs"): "G1, G7"}),
        "Calendar",
        "C2",
        lambda: baseline({("Calendar", "Office expo", "Goal IDs"): "G1; g2"}),
    ),
    (
        "SS311",
        lambda: baseline({("Strategy", "G1", "Reviewed"): D(2025, 6, 14)}),
        "Strategy",
        "J2",
        lambda: baseline({("Strategy", "G1", "Reviewed"): D(2025, 6, 15)}),
    ),
]


def test_every_rule_has_a_case():
    assert sorted(code for code, *_ in CASES) == sorted(CATALOG)


@pytest.mark.parametrize(
    ("code", "trigger", "tab", "cell", "near_miss"), CASES, ids=[case[0] for case in CASES]
)
def test_rule_triggers_at_its_cell(code, trigger, tab, cell, near_miss):
    hits = findings(trigger(), code)
    assert [(f.tab, f.cell) for f in hits] == [(tab, cell)]
    finding = hits[0]
    assert finding.name == CATALOG[code].name
    assert finding.severity == CATALOG[code].severity
    assert finding.message and "{" not in finding.message
    assert finding.hint and "{" not in finding.hint


@pytest.mark.parametrize(
    ("code", "trigger", "tab", "cell", "near_miss"), CASES, ids=[case[0] for case in CASES]
)
def test_rule_near_miss_is_quiet(code, trigger, tab, cell, near_miss):
    assert findings(near_miss(), code) == []


def test_headers_pushed_down_are_reported_once_with_where_they_are():
    grids = baseline_grids()
    grids["Plan"][:0] = [["Marketing plan 2026"], []]
    (finding,) = findings(MemoryBackend.from_grids(grids))
    assert finding.message == (
        "The Plan tab's headers seem to be in row 3; sheetsync reads them from row 1."
    )
    assert finding.hint.startswith("Delete the 2 rows above the headers")


def test_a_renamed_tab_is_named_in_the_missing_tab_finding():
    grids = baseline_grids()
    grids["Marketing Plan"] = grids.pop("Plan")
    (finding,) = findings(MemoryBackend.from_grids(grids))
    assert finding.message == 'The workbook has no Plan tab ("Marketing Plan" looks like it).'
    assert finding.hint.startswith(
        'Rename the tab that holds it ("Marketing Plan") to "Plan", or set its name in the '
        'config: [tabs] plan = "Marketing Plan".'
    )


def test_blank_goal_id_is_reported_once_as_tactic_without_goal():
    codes = [f.code for f in findings(baseline({("Plan", "T2", "Goal ID"): None}))]
    assert codes == ["SS300"]


def test_goal_level_overspend_points_at_the_goal_budget():
    hits = findings(baseline({("Strategy", "G1", "Budget"): 800}), "SS306")
    assert [(f.tab, f.cell, f.row_id) for f in hits] == [("Strategy", "G2", "G1")]
    assert "900" in hits[0].message and "800" in hits[0].message


def test_messages_name_the_row_and_values():
    [finding] = findings(baseline({("Plan", "T2", "Channel"): "TikTok"}), "SS304")
    assert finding.row == 3 and finding.row_id == "T2"
    assert finding.message == (
        'Tactic T2 uses channel "TikTok", which goal G1 did not choose (Email, Events).'
    )
    assert (
        finding.hint
        == "Add TikTok to goal G1's Channels, or move the tactic to a goal that uses it."
    )


def test_formula_errors_are_findings_not_crashes():
    from sheetsync.workbook import CellError

    hits = findings(baseline({("Plan", "T2", "Spend"): CellError("#REF!")}), "SS202")
    assert [f.cell for f in hits] == ["I3"]
    assert "#REF!" in hits[0].message


def test_ignored_and_regraded_rules():
    settings = sheetsync.load_settings(
        None, {"rules.ignore": ["ss304"], "rules.severity": {"SS307": "error"}}
    )
    edits = {("Plan", "T2", "Channel"): "TikTok", ("Plan", "T2", "Due"): D(2026, 6, 10)}
    report = sheetsync.check(baseline(edits), today=TODAY, settings=settings)
    assert [(f.code, f.severity) for f in report.findings] == [("SS307", "error")]


def test_rows_with_only_a_user_note_are_not_tactics():
    grids = baseline_grids()
    for row in grids["Plan"]:
        row.append("Notes" if row is grids["Plan"][0] else None)
    grids["Plan"].append([None] * 12 + ["remember to call the printer"])
    report = sheetsync.check(MemoryBackend.from_grids(grids), today=TODAY)
    assert report.findings == ()
    assert [t.tactic.tactic_id for t in report.tactics] == ["T1", "T2", "T3"]


# ---- columns under the names people give them ---------------------------------------------


@pytest.mark.parametrize(
    ("tab", "column", "header"),
    [
        ("Plan", "Spend", "Cost"),
        ("Plan", "Spend", "Actual"),
        ("Plan", "Spend", "Amount spent"),
        ("Plan", "Spend", "Spend ($)"),
        ("Plan", "Progress", "% complete"),
        ("Plan", "Progress", "Completion"),
        ("Plan", "Progress", "Done %"),
        ("Plan", "Progress", "Progress (%)"),
        ("Plan", "Revenue", "Sales"),
        ("Plan", "Revenue", "Income"),
        ("Plan", "Due", "Due date"),
        ("Plan", "Due", "Deadline"),
        ("Plan", "Budget", "Budget (EUR)"),
        ("Plan", "Owner", "Assigned to"),
        ("Strategy", "End", "Deadline"),
        ("Strategy", "Budget", "Total budget"),
        ("Calendar", "Lead Days", "Prep days"),
    ],
)
def test_common_header_names_read_like_sheetsyncs_own(tab, column, header):
    grids = baseline_grids()
    grids[tab][0][grids[tab][0].index(column)] = header
    renamed = sheetsync.check(MemoryBackend.from_grids(grids), today=TODAY)
    plain = sheetsync.check(baseline(), today=TODAY)
    assert renamed.findings == ()
    assert [(str(t.status), t.roi) for t in renamed.tactics] == [
        (str(t.status), t.roi) for t in plain.tactics
    ]
    assert [g.figures for g in renamed.goals] == [g.figures for g in plain.goals]


def test_a_misspelt_column_is_pointed_at_with_the_fix():
    [finding] = findings(plan_with_header("Revenue", "Reveune"), "SS103")
    assert finding.severity == "warning"
    assert finding.message == 'The Plan tab has no "Revenue" column; is "Reveune" (J1) it?'
    assert finding.hint == (
        'Rename "Reveune" to "Revenue", or add it under [aliases] in sheetsync.toml: '
        '"Revenue" = ["Reveune"].'
    )


def test_the_suggested_alias_is_accepted_by_the_config():
    settings = sheetsync.load_settings(None, {"aliases": {"Revenue": ["Reveune"]}})
    report = sheetsync.check(plan_with_header("Revenue", "Reveune"), today=TODAY, settings=settings)
    assert report.findings == ()


@pytest.mark.parametrize("header", ["Total costs", "Spend to date (final)", "Spnd"])
def test_headers_that_look_like_a_missing_column_are_suggested(header):
    [finding] = findings(plan_with_header("Spend", header), "SS103")
    assert finding.message == f'The Plan tab has no "Spend" column; is "{header}" (I1) it?'


@pytest.mark.parametrize("header", ["Notes", "Region", "Budget (old)", "Cost centre", "Done by"])
def test_a_users_own_columns_are_not_taken_for_missing_ones(header):
    # Next to a complete Plan nothing is missing; and with Result missing, these are not it.
    assert findings(plan_with_header(None, None, header), "SS103") == []
    assert findings(plan_with_header("Result", header), "SS103") == []


@pytest.mark.parametrize("schema", INPUT_TABS, ids=lambda schema: schema.role)
def test_no_built_in_name_means_two_columns_on_one_tab(schema):
    # An alias must not take a header that is another column's on the same tab (Strategy's
    # "Planned Budget" is sheetsync's sum, not the goal's Budget).
    owners: dict[str, str] = {}
    for column in schema.columns:
        for name in (column.header, *column.aliases):
            key = normalize_header(name)
            assert owners.setdefault(key, column.key) == column.key, (name, owners[key])


def test_repeated_ids_are_each_told_a_different_new_id():
    grids = baseline_grids()
    grids["Plan"] += [flyers("T2"), flyers("t2"), flyers("T7")]
    hits = findings(MemoryBackend.from_grids(grids), "SS203")
    assert [(f.cell, f.hint) for f in hits] == [
        ("A5", "Give this row its own Tactic ID, e.g. T8."),
        ("A6", "Give this row its own Tactic ID, e.g. T9."),
    ]


def test_a_misspelt_required_column_is_one_error_at_the_misspelt_header():
    found = findings(plan_with_header("Due", "Due dat"))
    [finding] = [f for f in found if f.code in ("SS101", "SS103")]
    assert (finding.code, finding.cell) == ("SS101", "G1")
    assert finding.message == 'The Plan tab has no "Due" column.'
    assert finding.hint == (
        'Type the header "Due" in row 1 (is "Due dat" in G1 it? rename it, or add it under '
        '[aliases]: "Due" = ["Due dat"]); sheetsync finds columns by their header, in any order.'
    )


def test_a_finding_in_the_json_output_says_its_rule_place_and_fix():
    report = sheetsync.check(baseline({("Plan", "T2", "Channel"): "TikTok"}), today=TODAY)
    assert report.as_dict()["findings"] == [
        {
            "code": "SS304",
            "name": "channel-not-in-strategy",
            "severity": "warning",
            "tab": "Plan",
            "cell": "D3",
            "row": 3,
            "row_id": "T2",
            "message": 'Tactic T2 uses channel "TikTok", which goal G1 did not choose '
            "(Email, Events).",
            "hint": "Add TikTok to goal G1's Channels, or move the tactic to a goal that uses it.",
        }
    ]


@pytest.mark.parametrize(
    ("added", "suggested"),
    [
        (["T7", "T3", "T3"], ["T8", "T9"]),  # after the highest T, wherever it is
        (["W0", "W0"], ["W1"]),  # numbered from 0: the next is 1
        (["Launch", "Launch"], ["Launch1"]),  # no number yet: the first
    ],
)
def test_a_repeated_id_is_told_the_next_one_after_the_highest_in_use(added, suggested):
    grids = baseline_grids()
    grids["Plan"] += [flyers(tactic_id) for tactic_id in added]
    hints = [f.hint for f in findings(MemoryBackend.from_grids(grids), "SS203")]
    assert hints == [f"Give this row its own Tactic ID, e.g. {new}." for new in suggested]


@given(st.lists(st.text(alphabet="tT70 9\nßa-", max_size=6), max_size=40))
# An ID on two lines: the pattern reads no number in "a\nb7", so "a\nb" has no highest yet.
@example(["a\nb", "a\nb", "a\nb7"])
def test_the_highest_number_after_a_prefix_is_the_one_an_id_pattern_reads(ids):
    # The pattern SS203 reads an ID's number with: the digits at its end, after any prefix on
    # one line. Read once per ID here, the way the rule's quick scan must agree with.
    folded = [row_id.casefold() for row_id in ids]
    prefixes = {rules._id_prefix(row_id) for row_id in folded}
    expected: dict[str, int] = {}
    for row_id in folded:
        match = re.fullmatch(r"(.*?)([0-9]+)", row_id)
        if match and match[1] in prefixes:
            expected[match[1]] = max(expected.get(match[1], 0), int(match[2]))
    assert rules._highest_numbers(folded, prefixes) == expected


def test_a_blank_strategy_cell_is_reported_when_the_plan_cannot_be_read():
    grids = baseline_grids({("Strategy", "G1", "Business Goal"): None})
    grids["Plan"].insert(0, ["Marketing plan 2026"])  # a title row above the headers
    found = findings(MemoryBackend.from_grids(grids))
    assert [(f.code, f.tab, f.cell) for f in found if f.code == "SS200"] == [
        ("SS200", "Strategy", "B2")
    ]


@pytest.mark.parametrize(
    ("spend", "shown"),
    [
        (2000.5, "2,000.5"),
        (2100.25, "2,100.25"),
        (2100.254, "2,100.25"),
        # To the cent it would read "spent 2,000, more than its budget of 2,000".
        (2000.004, "2,000.004"),
        (2345.0, "2,345"),
    ],
)
def test_an_amount_in_a_message_is_shown_to_the_cent_with_thousands_grouped(spend, shown):
    (overspend,) = findings(baseline({("Plan", "T2", "Spend"): spend}), "SS306")
    assert overspend.message == f"Tactic T2 has spent {shown}, more than its budget of 2,000."


def test_a_row_without_an_id_is_called_this_tactic():
    grids = baseline_grids()
    grids["Plan"].append(flyers(None))
    [blank] = findings(MemoryBackend.from_grids(grids))
    assert (blank.code, blank.cell, blank.message) == (
        "SS200",
        "A5",
        "Tactic ID is blank for this tactic.",
    )


@pytest.mark.parametrize(
    ("edits", "today", "told", "not_told"),
    [
        # G1's budget of 500 is below its tactics' 3,000: over budget, until T2's Budget does
        # not read; then the sum is unknown and only the unreadable cell is reported.
        ({("Strategy", "G1", "Budget"): 500}, TODAY, "SS305", None),
        (
            {("Strategy", "G1", "Budget"): 500, ("Plan", "T2", "Budget"): "about 300"},
            TODAY,
            "SS202",
            "SS305",
        ),
        # After its End, G1 missed its target, unless a Result it counts did not read.
        ({}, D(2027, 1, 5), "SS308", None),
        ({("Plan", "T1", "Result"): "lots"}, D(2027, 1, 5), "SS202", "SS308"),
        # G1 counts leads, not revenue: a Revenue that did not read leaves its Current known.
        ({("Plan", "T1", "Revenue"): "lots"}, D(2027, 1, 5), "SS308", None),
    ],
)
def test_a_goal_is_not_judged_on_a_sum_with_a_cell_that_did_not_read(edits, today, told, not_told):
    report = sheetsync.check(baseline(edits), today=today)
    on_g1 = {f.code for f in report.findings if f.row_id in ("G1", "T1", "T2")}
    assert told in on_g1 and not_told not in on_g1


def test_a_long_channel_is_quoted_to_80_characters():
    channel = "Regional radio " * 10
    (finding,) = findings(baseline({("Plan", "T2", "Channel"): channel}), "SS304")
    assert f'channel "{channel[:79]}…", which' in finding.message


def test_an_unknown_goal_is_told_the_first_six_goal_ids():
    grids = baseline_grids({("Plan", "T1", "Goal ID"): "G99"})
    grids["Strategy"] += [[f"G{n}", *G1_ROW[1:]] for n in range(3, 10)]
    (unknown,) = findings(MemoryBackend.from_grids(grids), "SS301")
    assert unknown.hint == (
        "Use a Goal ID from the Strategy tab (G1, G2, G3, G4, G5, G6, ...), or add goal G99 there."
    )


def test_with_no_goals_yet_a_tactics_goal_is_told_there_are_none():
    grids = baseline_grids()
    grids["Strategy"] = grids["Strategy"][:1]
    hints = {f.row_id: f.hint for f in findings(MemoryBackend.from_grids(grids), "SS301")}
    assert hints["T1"] == "Use a Goal ID from the Strategy tab (none yet), or add goal G1 there."


def test_findings_list_errors_first_then_by_tab_then_by_row():
    edits = {
        ("Plan", "T1", "Spend"): 1001,
        ("Plan", "T3", "Channel"): "TikTok",
        ("Calendar", "Office expo", "Date"): "soon",
    }
    grids = baseline_grids(edits)
    grids["Strategy"].append(G1_ROW)  # G3 on row 4: no tactic serves it yet
    found = findings(MemoryBackend.from_grids(grids))
    assert [(f.severity, f.code, f.tab, f.cell) for f in found] == [
        ("error", "SS201", "Calendar", "B2"),
        ("warning", "SS302", "Strategy", "A4"),
        ("warning", "SS306", "Plan", "I2"),
        ("warning", "SS304", "Plan", "D4"),
    ]


def test_a_users_own_tab_comes_after_the_input_tabs_in_the_findings():
    grids = baseline_grids({("Plan", "T2", "Activity"): None})
    backend = MemoryBackend.from_grids({**grids, "checks": [["Date", "Payee"], [1, 2]]})
    found = sheetsync.sync(backend, today=TODAY).report.findings
    assert [(f.code, f.tab) for f in found] == [("SS200", "Plan"), ("SS105", "checks")]


def test_layout_errors_name_the_tab_and_the_cell():
    grids = baseline_grids()
    grids["Plan"][0].append("Spend")
    grids["Calendar"].insert(0, ["My events"])
    assert [f.message for f in findings(MemoryBackend.from_grids(grids))] == [
        'The Plan tab has two "Spend" columns; the second is M1.',
        "The Calendar tab's headers seem to be in row 2; sheetsync reads them from row 1.",
    ]


def test_tabs_named_with_a_stray_space_keep_their_order_in_the_findings():
    grids = baseline_grids({("Plan", "T1", "Channel"): "TikTok"})
    grids["Strategy"].append(G1_ROW)  # G3 on row 4: no tactic serves it yet
    spaced = {f"{name} ": rows for name, rows in grids.items()}
    found = findings(MemoryBackend.from_grids(spaced))
    assert [(f.code, f.tab, f.cell) for f in found] == [
        ("SS302", "Strategy ", "A4"),
        ("SS304", "Plan ", "D2"),
    ]


def test_six_goal_ids_are_all_told_with_nothing_left_out():
    grids = baseline_grids({("Plan", "T1", "Goal ID"): "G99"})
    grids["Strategy"] += [[f"G{n}", *G1_ROW[1:]] for n in range(3, 7)]
    (unknown,) = findings(MemoryBackend.from_grids(grids), "SS301")
    assert "(G1, G2, G3, G4, G5, G6)," in unknown.hint


def test_a_strategy_that_cannot_be_read_is_still_listed_first():
    grids = baseline_grids({("Plan", "T2", "Activity"): None})
    grids["Strategy"].insert(0, ["Goals 2026"])  # a title row above the headers
    found = findings(MemoryBackend.from_grids(grids))
    assert [(f.code, f.tab) for f in found] == [("SS104", "Strategy"), ("SS200", "Plan")]


def test_a_goal_over_budget_is_told_by_how_much_even_after_a_goal_with_no_budget():
    edits = {("Strategy", "G1", "Budget"): None, ("Strategy", "G2", "Budget"): 100}
    (over,) = findings(baseline(edits), "SS305")
    assert (over.row_id, over.message, over.hint) == (
        "G2",
        "Goal G2's tactics are budgeted at 500, more than its budget of 100.",
        "Raise goal G2's Budget, or trim its tactics' budgets by 400.",
    )


def test_a_missing_strategy_tab_is_still_listed_first():
    grids = baseline_grids({("Plan", "T2", "Activity"): None})
    del grids["Strategy"]
    found = findings(MemoryBackend.from_grids(grids))
    assert [(f.code, f.tab) for f in found] == [("SS100", "Strategy"), ("SS200", "Plan")]


def test_dates_and_advice_are_told_in_full():
    edits = {
        ("Plan", "T2", "Due"): D(2026, 4, 1),
        ("Plan", "T1", "Start"): "next Friday, once the printer is back from repair",
    }
    found = {f.code: f for f in findings(baseline(edits))}
    assert found["SS204"].message == "Tactic T2 ends on 2026-04-01, before it starts on 2026-05-01."
    assert found["SS201"].hint == (
        "Type a date such as 03/01/2026 (in en_US, 03/01/2026 is 1 March 2026), or pick one "
        "from the calendar."
    )


def test_two_blank_cells_on_one_row_are_each_told_left_to_right():
    edits = {("Plan", "T2", "Activity"): None, ("Plan", "T2", "Due"): None}
    assert [f.cell for f in findings(baseline(edits), "SS200")] == ["C3", "G3"]


@pytest.mark.parametrize(
    ("edits", "today", "code", "told"),
    [
        # Rounded to the cent, each would read as no difference at all ("spent 1,000, more
        # than its budget of 1,000"): the amounts are shown as typed where cents hide it.
        (
            {("Plan", "T1", "Spend"): 1000.004},
            TODAY,
            "SS306",
            "Tactic T1 has spent 1,000.004, more than its budget of 1,000.",
        ),
        (
            {("Strategy", "G1", "Budget"): 2999.996},
            TODAY,
            "SS305",
            "Goal G1's tactics are budgeted at 3,000, more than its budget of 2,999.996. "
            "Raise goal G1's Budget, or trim its tactics' budgets by 0.004.",
        ),
        (
            {("Strategy", "G1", "Budget"): 899.999},
            TODAY,
            "SS306",
            "Goal G1 has spent 900, more than its budget of 899.999.",
        ),
        (
            {("Plan", "T3", "Progress"): 0.996},
            TODAY,
            "SS307",
            "Tactic T3 was due 2026-04-30 and is 99.6% done.",
        ),
        (
            {("Strategy", "G2", "Target"): 250.004},
            D(2026, 10, 1),
            "SS308",
            "Goal G2 ended 2026-09-30 at 250 of its 250.004 Newsletter sign-ups target.",
        ),
        # Amounts that differ in cents keep the usual two decimals at most.
        (
            {("Plan", "T1", "Spend"): 1000.5},
            TODAY,
            "SS306",
            "Tactic T1 has spent 1,000.5, more than its budget of 1,000.",
        ),
    ],
)
def test_amounts_compared_in_a_message_never_read_the_same(edits, today, code, told):
    report = sheetsync.check(baseline(edits), today=today)
    said = [f"{f.message} {f.hint}" for f in report.findings if f.code == code]
    assert any(text.startswith(told) for text in said), said


def test_check_tells_a_goal_just_short_of_its_target_apart_from_done():
    from sheetsync.present import check_text

    edits = {("Plan", "T1", "Result"): 69.96, ("Strategy", "G1", "Target"): 90}
    text = check_text(sheetsync.check(baseline(edits), today=TODAY))
    assert "89.96 of 90 Qualified leads (99.96%)" in text  # not "90.0 of 90 ... (100%)"
    assert "250 of 500 Newsletter sign-ups (50%)" in text


def test_findings_of_different_rules_on_one_tab_are_listed_by_row():
    # SS300 sorts before SS301 by code; on later rows, its finding comes after.
    edits = {("Plan", "T1", "Goal ID"): "G9", ("Plan", "T3", "Goal ID"): None}
    errors = [f for f in findings(baseline(edits)) if f.severity == "error"]
    assert [(f.code, f.cell, f.row, f.row_id) for f in errors] == [
        ("SS301", "B2", 2, "T1"),
        ("SS300", "B4", 4, "T3"),
    ]


def test_a_users_own_tab_graded_an_error_comes_before_every_warning():
    settings = sheetsync.load_settings(None, {"rules.severity": {"SS105": "error"}})
    grids = baseline_grids()
    grids["Strategy"].append(G1_ROW)  # G3 on row 4: no tactic serves it yet
    grids["checks"] = [["Date", "Payee"], [D(2026, 6, 1), "Rent"]]
    report = sheetsync.check(MemoryBackend.from_grids(grids), today=TODAY, settings=settings)
    assert [(f.severity, f.code, f.tab, f.cell) for f in report.findings] == [
        ("error", "SS105", "checks", None),
        ("warning", "SS302", "Strategy", "A4"),
    ]


@pytest.mark.parametrize(
    ("edits", "code", "cell"),
    [
        # An unreadable Revenue leaves the row's Progress known: still overdue.
        ({("Plan", "T3", "Progress"): 0.5, ("Plan", "T3", "Revenue"): "lots"}, "SS307", "G4"),
        # An unreadable Progress leaves the row's Budget and Spend known: still overspent.
        ({("Plan", "T1", "Spend"): 1001, ("Plan", "T1", "Progress"): "most"}, "SS306", "I2"),
    ],
)
def test_a_cell_that_did_not_read_leaves_the_rest_of_its_row_judged(edits, code, cell):
    assert [f.cell for f in findings(baseline(edits), code)] == [cell]


def test_a_column_missing_from_two_tabs_is_told_on_each_tab():
    grids = baseline_grids()
    grids["Strategy"][0][grids["Strategy"][0].index("KPI")] = "Measure of it"
    grids["Plan"][0][grids["Plan"][0].index("Due")] = "When it ends"
    told = [(f.tab, f.cell, f.message) for f in findings(MemoryBackend.from_grids(grids), "SS101")]
    assert told == [
        ("Strategy", "E1", 'The Strategy tab has no "KPI" column.'),
        ("Plan", "M1", 'The Plan tab has no "Due" column.'),
    ]


def test_a_goal_without_an_id_is_not_judged_on_another_goals_figures():
    # mutmut's stand-in for a blank ID is "XXXX": a goal of that name must not lend its sums.
    edits = {("Strategy", "G1", "Budget"): 100, ("Strategy", "G1", "Goal ID"): "XXXX"}
    grids = baseline_grids(edits)
    grids["Plan"] = [[("XXXX" if cell == "G1" else cell) for cell in row] for row in grids["Plan"]]
    grids["Strategy"].append([None, *G1_ROW[1:]])  # a goal whose ID is still to be typed
    found = findings(MemoryBackend.from_grids(grids))
    over = [(f.code, f.cell) for f in found if f.tab == "Strategy"]
    assert ("SS305", "G2") in over and ("SS305", "G4") not in over
    assert ("SS306", "G4") not in over
