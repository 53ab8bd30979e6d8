"""The parsed records: field order, and rows that are not records."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbooks import TODAY, D, baseline, baseline_grids

import sheetsync
from sheetsync.backends.memory import MemoryBackend
from sheetsync.cells import READERS, CellProblem
from sheetsync.model import RECORD_TYPES
from sheetsync.schema import INPUT_TABS, PLAN
from sheetsync.workbook import CellError


@pytest.mark.parametrize("schema", INPUT_TABS, ids=lambda s: s.role)
def test_record_fields_follow_the_schema_order(schema):
    # model._read_records builds records positionally, in schema order.
    fields = list(RECORD_TYPES[schema.role]._fields)
    assert fields == ["row"] + [column.key for column in schema.inputs]


# A row appended to the baseline Plan (columns: Tactic ID, Goal ID, Activity, Channel, Owner,
# Start, Due, Budget, Spend, Revenue, Result, Progress), and whether it is a tactic.
PLAN_ROWS = [
    ([None, None, "Q1 campaigns"], False),  # a section heading
    ([None, None, None, "Spring push"], False),  # ... in any text column
    ([None, None, None, None, None, None, None, 3500, 1200], False),  # totals, no label
    (["Total", None, None, None, None, None, None, 3500, 1200, CellError("#REF!")], False),
    ([None, None, "Grand total", None, None, None, None, "$3,500.00"], False),
    (["Subtotal Q1"], False),
    (["T9"], True),  # a tactic just begun: an ID makes a record
    # Words alone in Tactic ID, the first column, are a heading: an ID is a code, one word.
    (["Q1 campaigns"], False),
    (["  Newsletter  and  social "], False),
    (["2026-Q1-email"], True),  # a code, however long
    (["Q1 campaigns", "G1"], True),  # words with a Goal ID: a tactic with an odd ID
    (["Q1 campaigns", None, None, None, None, None, None, 300], True),  # ... or with a Budget
    ([None, None, "Flyers", "Email"], True),  # two text cells: a tactic without an ID
    ([None, None, None, None, None, D(2026, 6, 1)], True),  # a date is not a heading
    ([None, None, None, None, None, "2026-06-01"], True),  # ... nor a date typed as text
    (["Total", None, None, None, None, D(2026, 6, 1)], True),  # "Total" with dates: a record
    ([None, None, "Summer sale", None, None, None, None, 300], True),  # text and a number
    ([None, "G1", None, None, None, None, None, 300], True),  # a Goal ID is not a total
]


@pytest.mark.parametrize(("row", "is_tactic"), PLAN_ROWS)
def test_headings_and_totals_rows_are_not_tactics(row, is_tactic):
    backend = baseline({("Plan", "+", ""): row})
    report = sheetsync.check(backend, today=TODAY)
    tactic_rows = [t.tactic.row for t in report.tactics]
    assert (5 in tactic_rows) is is_tactic
    assert bool([f for f in report.findings if f.row == 5]) is is_tactic


@pytest.mark.parametrize(
    ("tab", "row", "is_record"),
    [
        ("Strategy", ["Growth goals"], False),  # a heading in Goal ID, where IDs are codes
        ("Strategy", ["G3"], True),  # a goal just begun
        # Events are named, not coded: a lone name is an event whose Date is missing.
        ("Calendar", ["Food and Drink Expo"], True),
    ],
)
def test_words_in_the_id_column_are_a_heading_only_where_ids_are_codes(tab, row, is_record):
    report = sheetsync.check(baseline({(tab, "+", ""): row}), today=TODAY)
    records = {"Strategy": report.goals, "Calendar": report.events}[tab]
    appended = 4 if tab == "Strategy" else 3
    assert (appended in [record.row for record in records]) is is_record
    assert bool([f for f in report.findings if f.tab == tab and f.row == appended]) is is_record


# What people leave in a cell, with the edges of what reads as it is: typed numbers at and past
# the largest figure read, fractions at 0 and 1, and percent points.
ANY_CELL = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.text(alphabet="0123456789.,-$%k /", max_size=10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.45, 45.0, 1e15, -1e15, 999_999_999_999_999.9]),
    st.integers(min_value=-(10**16), max_value=10**16),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.builds(CellError, st.sampled_from(["#REF!", "#N/A"])),
)
# The ranges SPEC 2 sets: money is never negative, a percentage is from 0 % to 100 %.
IN_RANGE = {"money": lambda v: v >= 0, "percent": lambda v: 0 <= v <= 1}
# A blank, unreadable or out-of-range cell (a blank Goal ID is SS300's).
CELL_RULES = ("SS200", "SS201", "SS202", "SS300")


@settings(max_examples=300, deadline=None)
@given(column=st.sampled_from(PLAN.inputs), value=ANY_CELL)
def test_a_tactic_s_cell_reads_as_its_reader_reads_it_alone(column, value):
    # Plan is read a column at a time, with cells that already hold their type taken as they
    # are: every cell must still read exactly as cells.py reads it, or be told as it tells.
    report = sheetsync.check(baseline({("Plan", "T1", column.header): value}), today=TODAY)
    tactic = next(result.tactic for result in report.tactics if result.tactic.row == 2)
    cell = f"{'ABCDEFGHIJKL'[PLAN.inputs.index(column)]}2"
    told = [f.code for f in report.findings if f.cell == cell and f.code in CELL_RULES]
    blank = () if column.type == "list" else None
    try:
        expected = READERS[column.type](value, "en_US")
    except CellProblem:
        assert ("SS201" if column.type == "date" else "SS202") in told
        assert getattr(tactic, column.key) == blank
        return
    if expected in (None, ()) or not IN_RANGE.get(column.type, lambda v: True)(expected):
        assert bool(told) is (expected not in (None, ()) or column.required)
        assert getattr(tactic, column.key) == blank
    else:
        assert told == []
        assert getattr(tactic, column.key) == expected


def test_without_its_id_column_a_plan_s_headings_and_totals_are_still_not_tactics():
    grids = baseline_grids()
    for row in grids["Plan"]:
        del row[0]  # Tactic ID
    grids["Plan"] += [[None, "Q1 campaigns"], [None] * 6 + [3500, 1200]]
    report = sheetsync.check(MemoryBackend.from_grids(grids), today=TODAY)
    assert [result.tactic.row for result in report.tactics] == [2, 3, 4]
    assert [finding.code for finding in report.findings] == ["SS101"]
