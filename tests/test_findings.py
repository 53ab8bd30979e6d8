"""A rule's templates as its findings fill them (every rule's own wording: test_rules.py)."""

from __future__ import annotations

import datetime as dt

import click
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from workbooks import TODAY, baseline_grids

from sheetsync import check
from sheetsync.backends.memory import MemoryBackend
from sheetsync.config import validate_settings
from sheetsync.findings import Finding, FindingColumns, Hits, Template, Wording
from sheetsync.present import as_json, check_json, check_text

D = dt.date


def finding(message: str, hint: str, **facts: object) -> Finding:
    wording = Wording(Template.parse(message, capitalized=True), Template.parse(hint))
    hits = Hits("Plan", ["L7"], [7], ["T6"], {name: [value] for name, value in facts.items()})
    return FindingColumns("SS999", "example", "warning", wording, hits).finding(0)


def test_a_template_keeps_its_own_percent_signs_and_braces_as_written():
    shown = finding(
        "{what} is 100% spent, {{as}} {done} says.",
        "Keep {what} under 100%.",
        what="tactic T6",
        done="40%",
    )
    assert shown.message == "Tactic T6 is 100% spent, {as} 40% says."
    assert shown.hint == "Keep tactic T6 under 100%."


def test_a_message_starts_with_a_capital_whether_a_fact_or_its_own_word_comes_first():
    fact_first = finding(
        "{what} was due {due}.", "Move {what}'s Due.", what="tactic T6", due=D(2026, 3, 1)
    )
    assert fact_first.message == "Tactic T6 was due 2026-03-01."
    assert fact_first.hint == "Move tactic T6's Due."  # the hint is not a sentence's start
    word_first = finding("the {what} is late.", "{what}", what="tactic T6")
    assert (word_first.message, word_first.hint) == ("The tactic T6 is late.", "tactic T6")


def worded(message: str, hint: str, tab: str = "Plan", **facts: list[object]) -> list[Finding]:
    """The findings of a rule with these templates whose hits have these facts, row by row."""
    wording = Wording(Template.parse(message, capitalized=True), Template.parse(hint))
    rows = list(range(7, 7 + len(next(iter(facts.values())))))
    hits = Hits(tab, [f"L{row}" for row in rows], rows, [f"T{row - 1}" for row in rows], facts)
    return FindingColumns("SS999", "example", "warning", wording, hits).findings()


def test_long_text_is_shortened_in_a_message_but_not_sheetsyncs_own_sentences_and_numbers():
    long = "x" * 100
    (shown,) = worded("{what}: {problem}.", "{fix}", what=[long], problem=[long], fix=[long])
    assert shown.message == f"X{'x' * 78}…: {long}."
    assert shown.hint == long
    column = worded("{what} in row {row}.", "-", what=["a" * 80, "b" * 81], row=[10**80, 7])
    assert [finding.message for finding in column] == [
        "A" + "a" * 79 + f" in row {10**80}.",
        "B" + "b" * 78 + "… in row 7.",
    ]


def test_a_message_names_the_findings_place_the_tab_whole_and_a_long_row_id_shortened():
    tab = "Marketing plan " * 6
    (shown,) = worded("{tab} {cell} {row_id}", "-", tab, row_id=["T" * 81])
    assert shown.message == f"{tab} L7 {'T' * 79}…"
    (placed,) = worded("{tab} {cell} {row_id}", "-", tab, other=[1])
    assert placed.message == f"{tab} L7 T6"


@pytest.mark.parametrize("template", ["{what.upper}", "{what[0]}", "{0}", "{what:>9}", "{what!r}"])
def test_a_template_names_its_facts_and_shows_them_as_they_are(template):
    with pytest.raises(ValueError, match="facts are"):
        Template.parse(template)


# A JSON report writes its findings a rule's column at a time (FindingColumns.json_objects,
# Template.fill_all); the report as a dict (each Finding worded alone) is what it must equal.


def _tactic(tactic_id, goal_id, channel, start, due, budget, spend, progress, activity="Mailer"):
    return [tactic_id, goal_id, activity, channel, start, due, budget, spend, progress]


def _workbook(texts: list[str], tab: str = "Plan") -> MemoryBackend:
    """Every columnar rule (SS303, SS304, SS306, SS307) fires on each text's tactic, whose ID,
    channel and activity it is; SS300, SS301 and SS203 fire on some."""
    strategy = [
        ["Goal ID", "Business Goal", "Marketing Goal", "Channels", "KPI", "Target", "Budget"]
        + ["Start", "End"],
        ["G1", "Grow", "Leads", "Email", "Leads", 10, 100, D(2026, 2, 1), D(2026, 5, 31)],
    ]
    plan = [["Tactic ID", "Goal ID", "Activity", "Channel", "Start", "Due", "Budget", "Spend"]]
    plan[0].append("Progress")
    for number, text in enumerate(texts, 1):
        start, due = D(2026, 1, 1), D(2026, 6, 1)  # before G1 starts, after it ends, overdue
        plan.append(_tactic(text, "G1", text, start, due, 100.5, 200.25 + number, 0.4, text))
        plan.append(_tactic(f"T{number}", text, "Email", start, due, None, None, None))
        plan.append(_tactic(text, "G1", "Email", D(2026, 3, 1), D(2026, 4, 1), 1, 0, 1))
    return MemoryBackend.from_grids(
        {"Strategy": strategy, tab: plan}, title=texts[0] if texts else ""
    )


_TRICKY = [
    'say "hi"',
    "back\\slash",
    "line\nbreak\ttab\x01",
    "naïve café ☕ 🚀",
    "100% sure, {braces}",
    "x" * 200,  # shortened in its message
    "",
    "=SUM(A1)",
    "\u2028\u2029",
]


@pytest.mark.parametrize("tab", ["Plan", 'Plan "2026" 50%'])
def test_the_json_report_is_the_report_as_a_dict_however_its_text_reads(tab):
    settings = validate_settings({"tabs": {"plan": tab}})
    report = check(_workbook(_TRICKY, tab), today=D(2026, 6, 15), settings=settings)
    assert {"SS203", "SS300", "SS301", "SS303", "SS304", "SS306", "SS307"} <= {
        finding.code for finding in report.findings
    }
    written = check_json(report)
    assert written == as_json(report.as_dict())
    assert len(orjson.loads(written)["findings"]) == len(report.findings)


@given(st.lists(st.text(max_size=120), min_size=1, max_size=4))
def test_any_typed_text_is_worded_the_same_one_by_one_and_by_columns(texts):
    report = check(_workbook(texts), today=D(2026, 6, 15))
    assert check_json(report) == as_json(report.as_dict())


def test_a_report_without_findings_writes_an_empty_list():
    clean = MemoryBackend.from_grids(baseline_grids(), title="Bean & Crumb")
    report = check(clean, today=TODAY)
    assert report.findings == ()
    assert b'\n  "findings": [],\n' in check_json(report)
    assert check_json(report) == as_json(report.as_dict())


def test_rules_found_as_often_are_counted_in_the_order_the_report_lists_them():
    # Four overdue tactics (SS307) come before four on a channel their goal did not choose
    # (SS304): the report lists SS307 first, so its count comes first too, whatever the codes.
    grids = baseline_grids()
    header, template = grids["Plan"][0], grids["Plan"][1]
    for number, (due, channel) in enumerate(
        [(D(2026, 5, 1), "Email")] * 4 + [(None, "TikTok")] * 4
    ):
        row = list(template)
        row[header.index("Tactic ID")] = f"T{100 + number}"
        row[header.index("Channel")] = channel
        row[header.index("Due")] = due or row[header.index("Due")]
        grids["Plan"].append(row)
    report = check(MemoryBackend.from_grids(grids, title="Bean & Crumb"), today=TODAY)

    text = click.unstyle(check_text(report))

    assert (
        "Findings by rule\n"
        "  4  warning  SS307 overdue\n"
        "  4  warning  SS304 channel-not-in-strategy\n"
    ) in text
