"""The parsed records: field order, and rows that are not records."""

import pytest
from workbooks import TODAY, D, baseline

import sheetsync
from sheetsync.model import RECORD_TYPES
from sheetsync.schema import INPUT_TABS
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
