"""Status and ROI (SPEC 4) as the user sees them in the report and in the sheet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from workbooks import TODAY, D, baseline

import sheetsync
from sheetsync.compute import exact_sum
from sheetsync.config import validate_settings


def tactic_statuses(edits=None, today=TODAY):
    report = sheetsync.check(baseline(edits), today=today)
    return {r.tactic.tactic_id: str(r.status) for r in report.tactics}


def goal(edits=None, goal_id="G1", today=TODAY):
    report = sheetsync.check(baseline(edits), today=today)
    return next(r for r in report.goals if r.goal.goal_id == goal_id)


def test_baseline_statuses():
    # T1 90 % done with 90 % of its time gone; T2 30 % done at 49 %; T3 done.
    assert tactic_statuses() == {"T1": "On track", "T2": "On track", "T3": "Done"}


@pytest.mark.parametrize(
    ("edits", "status"),
    [
        ({("Plan", "T2", "Activity"): None}, "Needs fix"),  # an error on the row wins
        ({("Plan", "T2", "Progress"): "100%"}, "Done"),
        ({("Plan", "T2", "Progress"): True}, "Done"),
        ({("Plan", "T2", "Due"): D(2026, 6, 14)}, "Overdue"),
        ({("Plan", "T2", "Start"): D(2026, 6, 16)}, "Not started"),
        # 45 of 91 days gone (49.5 %): 24 % done is 25.5 points behind, 25 % is 24.5.
        ({("Plan", "T2", "Progress"): 0.24}, "At risk"),
        ({("Plan", "T2", "Progress"): 0.25}, "On track"),
        ({("Plan", "T2", "Progress"): None}, "At risk"),  # blank counts as 0 %
        ({("Plan", "T2", "Spend"): 2001}, "At risk"),  # overspent
        ({("Plan", "T2", "Spend"): 2000}, "On track"),  # spend equal to budget is fine
        # No budget set: any spend is over it, a single dollar included.
        ({("Plan", "T2", "Budget"): None, ("Plan", "T2", "Spend"): 1}, "At risk"),
        ({("Plan", "T2", "Budget"): None, ("Plan", "T2", "Spend"): None}, "On track"),
    ],
)
def test_tactic_status_order(edits, status):
    assert tactic_statuses(edits)["T2"] == status


def test_tactic_due_today_is_not_overdue():
    assert (
        tactic_statuses({("Plan", "T2", "Due"): TODAY, ("Plan", "T2", "Progress"): 0.99})["T2"]
        == "On track"
    )


def tactic_results(edits=None):
    report = sheetsync.check(baseline(edits), today=TODAY)
    return {r.tactic.tactic_id: r for r in report.tactics}


def test_tactic_roi():
    rois = {tactic_id: r.roi for tactic_id, r in tactic_results().items()}
    assert rois["T1"] == pytest.approx((1500 - 400) / 400)
    assert rois["T2"] == pytest.approx(-1.0)  # Revenue 0: tracked, and nothing came back yet
    # T3 (a sign-up form) has a blank Revenue: revenue is not tracked, which is not -100 %.
    assert rois["T3"] is None
    assert tactic_results({("Plan", "T2", "Spend"): None})["T2"].roi is None
    assert tactic_results({("Plan", "T2", "Spend"): 0})["T2"].roi is None


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({}, 500 / 20),
        ({("Plan", "T2", "Result"): None}, None),
        ({("Plan", "T2", "Result"): 0}, None),
        ({("Plan", "T2", "Spend"): None}, None),
        ({("Plan", "T2", "Spend"): 0}, None),
        ({("Plan", "T2", "Result"): 3}, 500 / 3),
    ],
)
def test_tactic_cost_per_result(edits, expected):
    assert tactic_results(edits)["T2"].cost_per_result == pytest.approx(expected)


def test_goal_figures_and_progress():
    result = goal()
    assert result.figures.planned_budget == 3000
    assert result.figures.spend == 900
    assert result.figures.revenue == 1500
    assert result.figures.current == 50  # results of T1 and T2
    assert result.progress == pytest.approx(0.5)
    assert result.roi == pytest.approx((1500 - 900) / 900)
    assert result.cost_per_result == pytest.approx(900 / 50)


def test_goal_roi_counts_only_the_tactics_that_track_revenue():
    # T2 (an event for leads) leaves Revenue blank: G1's ROI is T1's alone, and its Revenue is
    # what T1 brought in; its Spend is still everything spent.
    result = goal({("Plan", "T2", "Revenue"): None})
    assert result.roi == pytest.approx((1500 - 400) / 400)
    assert (result.revenue, result.spend) == (1500, 900)


def test_goal_roi_and_revenue_are_blank_when_no_tactic_tracks_revenue():
    result = goal(goal_id="G2")  # its one tactic, T3, has a blank Revenue
    assert (result.roi, result.revenue) == (None, None)
    assert result.spend == 300


def test_goal_cost_per_result():
    assert (
        goal({("Plan", "T1", "Result"): None, ("Plan", "T2", "Result"): None}).cost_per_result
        is None
    )
    assert goal({("Strategy", "G1", "KPI"): "Revenue"}).cost_per_result is None
    assert goal(goal_id="G2").cost_per_result == pytest.approx(300 / 250)


def test_tiny_spend_gives_no_infinite_figures():
    # 1e-320 is a float too small to divide by: ROI and Progress would be inf, written as such
    # (and read back as nan) on every sync. A figure that cannot be computed is left blank.
    edits = {("Plan", "T1", "Spend"): 1e-320, ("Strategy", "G1", "Target"): 1e-320}
    results = tactic_results(edits)
    assert results["T1"].roi is None
    assert goal(edits).progress is None


def test_revenue_kpi_counts_revenue_where_result_is_blank():
    edits = {("Strategy", "G1", "KPI"): "revenue", ("Plan", "T1", "Result"): None}
    assert goal(edits).figures.current == 1500 + 20


def test_a_revenue_goals_tactic_with_neither_result_nor_revenue_adds_nothing():
    edits = {
        ("Strategy", "G1", "KPI"): "Revenue",
        ("Plan", "T1", "Result"): None,
        ("Plan", "T2", "Result"): None,
        ("Plan", "T2", "Revenue"): None,
    }
    assert goal(edits).figures.current == 1500


def test_a_blank_budget_adds_nothing_to_the_goals_planned_budget():
    assert goal({("Plan", "T2", "Budget"): None}).figures.planned_budget == 1000


def test_a_tactic_that_tracks_revenue_with_a_blank_spend_spent_nothing():
    # T1 brought 1,500 for no spend; T2 spent 500 for 0: G1's ROI is (1,500 - 500) / 500.
    assert goal({("Plan", "T1", "Spend"): None}).roi == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("edits", "today", "status"),
    [
        ({("Strategy", "G1", "Business Goal"): None}, TODAY, "Needs fix"),
        ({("Strategy", "G1", "Target"): 50}, TODAY, "Done"),
        ({("Plan", "T1", "Goal ID"): "G2", ("Plan", "T2", "Goal ID"): "G2"}, TODAY, "No plan"),
        ({}, D(2027, 1, 1), "Missed"),
        ({("Strategy", "G1", "Start"): D(2026, 7, 1)}, TODAY, "Not started"),
        # 45 % of the year gone, 50 % of the target reached: on track; 15 % reached: behind.
        ({}, TODAY, "On track"),
        ({("Plan", "T1", "Result"): 0, ("Plan", "T2", "Result"): 15}, TODAY, "Behind"),
    ],
)
def test_goal_status_order(edits, today, status):
    assert str(goal(edits, today=today).status) == status


def test_event_status():
    def status(date, goals="G1"):
        edits = {
            ("Calendar", "Office expo", "Date"): date,
            ("Calendar", "Office expo", "Goal IDs"): goals,
        }
        report = sheetsync.check(baseline(edits), today=TODAY)
        return str(report.events[0].status)

    assert status(D(2026, 6, 14)) == "Past"
    assert status(D(2026, 7, 10)) == "Prepared"  # T1 due 2026-06-30, inside 2026-06-10..07-10
    assert status(D(2026, 7, 10), goals="G2") == "Unprepared"
    assert status(D(2026, 5, 10), goals=None) == "Past"
    assert status(D(2026, 7, 30), goals=None) == "Prepared"  # no goals named: any tactic counts


# ---- boundaries hold exactly, for whatever a person types ------------------------------------
#
# The README's words are the oracle: "more than 25 points behind the time gone", "Due has
# passed", "Current has reached Target". Each property draws what a person types (a percentage
# as 57.3%, 57.3 or 0.573, as text or a number cell; dates as date cells or text) and computes the
# expected status from the typed decimals with fractions, so a float that lands a hair past a
# threshold shows up as a wrong status.


def typed_decimal(whole: st.SearchStrategy[int], places: int = 2) -> st.SearchStrategy[str]:
    """A decimal as a person types it: `57`, `57.3`, `57.35`."""
    return st.builds(
        lambda w, digits: f"{w}.{digits}" if digits else str(w),
        whole,
        st.text(alphabet="0123456789", max_size=places),
    )


def decimal_text(value: Decimal) -> str:
    """2.50 -> "2.5", 3.00 -> "3": the way a person types it."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def near(value: Fraction, low: Fraction, high: Fraction) -> st.SearchStrategy[Decimal]:
    """Two-place decimals at `value` and a hundredth either side: where a threshold bites."""
    centre = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))
    steps = (centre - Decimal("0.01"), centre, centre + Decimal("0.01"))
    inside = [step for step in steps if low <= step <= high]
    return st.sampled_from(inside or [Decimal(low.numerator) / low.denominator])


@st.composite
def typed_percentages(draw, boundary: Fraction) -> tuple[object, Fraction]:
    """(what is in the cell, the fraction of 100 % it means), often right at `boundary` points."""
    text = draw(
        st.one_of(
            typed_decimal(st.integers(0, 100)),
            near(boundary, Fraction(0), Fraction(100)).map(decimal_text),
        )
    )
    value = Fraction(text) / 100
    assume(value <= 1)
    fraction_text = str(Decimal(text).scaleb(-2))
    forms = [f"{text}%", f"{text} %", fraction_text, float(fraction_text)]
    if value * 100 > 1:  # a plain number above 1 means percent points (SPEC 2.5)
        forms += [text, float(text)]
    return draw(st.sampled_from(forms)), value


def elapsed(first: dt.date, last: dt.date, today: dt.date) -> Fraction:
    """The share of first..last gone by `today`, as the README defines it, in fractions."""
    if today <= first:
        return Fraction(0)
    if today >= last:
        return Fraction(1)
    return Fraction((today - first).days, (last - first).days)


def typed_date(day: dt.date) -> st.SearchStrategy[object]:
    return st.sampled_from(
        [day, day.isoformat(), day.strftime("%m/%d/%Y"), f"{day:%b} {day.day}, {day.year}"]
    )


def rule_settings(points):
    return validate_settings({"rules": {"at_risk_points": points}})


AT_RISK_POINTS = st.sampled_from([25, 0, 10, 12.5, 33.3, 50, 100])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 11, 1)),
    length=st.integers(0, 60),
    offset=st.integers(-3, 63),
    points=AT_RISK_POINTS,
    data=st.data(),
)
def test_tactic_status_is_exact_at_every_boundary(start, length, offset, points, data):
    due, today = start + dt.timedelta(days=length), start + dt.timedelta(days=offset)
    gone = elapsed(start, due, today)
    cell, done = data.draw(typed_percentages(gone * 100 - Fraction(str(points))))
    edits = {
        ("Plan", "T2", "Start"): data.draw(typed_date(start)),
        ("Plan", "T2", "Due"): data.draw(typed_date(due)),
        ("Plan", "T2", "Progress"): cell,
    }
    report = sheetsync.check(baseline(edits), today=today, settings=rule_settings(points))
    if done == 1:
        expected = "Done"
    elif today > due:
        expected = "Overdue"
    elif today < start:
        expected = "Not started"
    else:
        expected = "At risk" if (gone - done) * 100 > Fraction(str(points)) else "On track"
    assert tactic_status_in(report, "T2") == expected


def percent_forms(text: str) -> list[object]:
    """Every way to type `text` percent in a Progress cell."""
    fraction_text = str(Decimal(text).scaleb(-2))
    forms = [f"{text}%", f"{text} %", fraction_text, float(fraction_text)]
    if Decimal(text) > 1:  # a plain number above 1 means percent points (SPEC 2.5)
        forms += [text, float(text)]
    return forms


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    today=st.dates(min_value=D(2026, 3, 1), max_value=D(2026, 10, 1)),
    points=AT_RISK_POINTS,
    rotation=st.integers(0, 5),
)
def test_every_tactic_length_and_day_at_the_at_risk_line(today, points, rotation):
    """Tactics 1 to 40 days long, on every day of them, typed right at the at-risk line."""
    rows, expected = [], {}
    for length in range(1, 41):
        for gone in range(length + 1):
            line = Fraction(gone * 100, length) - Fraction(str(points))
            for step in (-1, 0, 1):
                percent = round(line, 2) + Fraction(step, 100)
                if not 0 <= percent < 100:
                    continue
                text = decimal_text(Decimal(percent.numerator) / percent.denominator)
                forms = percent_forms(text)
                tactic_id = f"T{len(rows) + 10}"
                start = today - dt.timedelta(days=gone)
                due = start + dt.timedelta(days=length)
                typed = forms[(len(rows) + rotation) % len(forms)]
                rows.append(
                    [tactic_id, "G1", "Flyers", "Email", "", start, due, 0, 0, None, 1, typed]
                )
                behind = Fraction(gone, length) * 100 - percent
                expected[tactic_id] = "At risk" if behind > Fraction(str(points)) else "On track"
    edits = {("Plan", "+", str(n)): row for n, row in enumerate(rows)}
    report = sheetsync.check(baseline(edits), today=today, settings=rule_settings(points))
    statuses = {r.tactic.tactic_id: str(r.status) for r in report.tactics}
    assert {t: statuses[t] for t in expected} == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 6, 1)),
    length=st.integers(0, 400),
    offset=st.integers(-3, 403),
    target=typed_decimal(st.integers(1, 10000)),
    revenue_kpi=st.booleans(),
    as_text=st.booleans(),
    points=AT_RISK_POINTS,
    data=st.data(),
)
def test_goal_status_is_exact_at_every_boundary(
    start, length, offset, target, revenue_kpi, as_text, points, data
):
    end, today = start + dt.timedelta(days=length), start + dt.timedelta(days=offset)
    gone = elapsed(start, end, today)
    wanted, limit = Fraction(target), Fraction(20000)
    behind_at = wanted * (gone - Fraction(str(points)) / 100)
    total = data.draw(
        st.one_of(
            st.decimals(0, 20000, places=2),
            near(wanted, Fraction(0), limit),  # Current = Target
            near(behind_at, Fraction(0), limit),  # exactly `points` behind
        )
    )
    first = data.draw(st.decimals(0, total, places=2))
    results = [decimal_text(first), decimal_text(total - first)]
    column = "Revenue" if revenue_kpi else "Result"
    edits = {
        ("Strategy", "G1", "Start"): start,
        ("Strategy", "G1", "End"): end,
        ("Strategy", "G1", "Target"): target if as_text else float(target),
        ("Strategy", "G1", "KPI"): "Revenue" if revenue_kpi else "Qualified leads",
        ("Plan", "T1", "Result"): None,
        ("Plan", "T2", "Result"): None,
    }
    for tactic, typed in zip(("T1", "T2"), results, strict=True):
        edits[("Plan", tactic, column)] = typed if as_text else float(typed)
    report = sheetsync.check(baseline(edits), today=today, settings=rule_settings(points))
    reached = sum(map(Fraction, results)) / wanted
    if reached >= 1:
        expected = "Done"
    elif today > end:
        expected = "Missed"
    elif today < start:
        expected = "Not started"
    else:
        expected = "Behind" if (gone - reached) * 100 > Fraction(str(points)) else "On track"
    assert goal_status_in(report, "G1") == expected
    missed = [f.cell for f in report.findings if f.code == "SS308" and f.row_id == "G1"]
    assert missed == (["I2"] if expected == "Missed" else [])


@settings(max_examples=200, deadline=None)
@given(
    spends=st.lists(typed_decimal(st.integers(0, 3000)), min_size=2, max_size=2),
    budget=typed_decimal(st.integers(0, 6000)),
)
def test_goal_overspend_is_exact(spends, budget):
    edits = {
        ("Strategy", "G1", "Budget"): float(budget),
        ("Plan", "T1", "Spend"): float(spends[0]),
        ("Plan", "T1", "Budget"): float(budget),
        ("Plan", "T2", "Spend"): float(spends[1]),
        ("Plan", "T2", "Budget"): 0,
    }
    report = sheetsync.check(baseline(edits), today=TODAY)
    goal_overspent = [f for f in report.findings if f.code == "SS306" and f.tab == "Strategy"]
    assert bool(goal_overspent) == (sum(map(Fraction, spends)) > Fraction(budget))


def tactic_status_in(report, tactic_id):
    return next(str(r.status) for r in report.tactics if r.tactic.tactic_id == tactic_id)


def goal_status_in(report, goal_id):
    return next(str(r.status) for r in report.goals if r.goal.goal_id == goal_id)


def test_exactly_25_points_behind_is_on_track():
    # 11 of 20 days gone (55 %) and 30 % done: 25 points behind, not more. In floats
    # 11/20 - 0.30 is 0.25000000000000006, which once made this tactic "At risk".
    edits = {
        ("Plan", "T2", "Start"): D(2026, 6, 4),
        ("Plan", "T2", "Due"): D(2026, 6, 24),
        ("Plan", "T2", "Progress"): "30%",
    }
    assert tactic_statuses(edits)["T2"] == "On track"
    edits[("Plan", "T2", "Progress")] = "29.9%"
    assert tactic_statuses(edits)["T2"] == "At risk"


def test_goal_exactly_25_points_behind_is_on_track():
    # 11 of 20 days gone (55 %) and 30 of 100 leads (30 %): 25 points behind, not more.
    edits = {
        ("Strategy", "G1", "Start"): D(2026, 6, 4),
        ("Strategy", "G1", "End"): D(2026, 6, 24),
        ("Plan", "T1", "Result"): 10,
        ("Plan", "T2", "Result"): 20,
    }
    assert str(goal(edits).status) == "On track"
    edits[("Strategy", "G1", "Target")] = 101
    assert str(goal(edits).status) == "Behind"


def test_goal_reaching_target_exactly_with_cents_is_done():
    # A Revenue goal of 3,000.30 reached by 1,000.10 + 2,000.20: in floats the sum is
    # 3000.2999999999997, which once left the goal "On track" instead of "Done".
    edits = {
        ("Strategy", "G1", "KPI"): "Revenue",
        ("Strategy", "G1", "Target"): "3,000.30",
        ("Plan", "T1", "Result"): None,
        ("Plan", "T2", "Result"): None,
        ("Plan", "T1", "Revenue"): "1,000.10",
        ("Plan", "T2", "Revenue"): "2,000.20",
    }
    result = goal(edits)
    assert str(result.status) == "Done"
    assert result.figures.current == 3000.3


def test_current_equal_to_target_after_end_is_done_not_missed():
    edits = {("Strategy", "G1", "Target"): 50}  # Current is 50 (T1 30 + T2 20)
    after_end = D(2027, 1, 15)
    assert str(goal(edits, today=after_end).status) == "Done"
    report = sheetsync.check(baseline(edits), today=after_end)
    assert [f.row_id for f in report.findings if f.code == "SS308"] == ["G2"]
    edits[("Strategy", "G1", "Target")] = 51
    assert str(goal(edits, today=after_end).status) == "Missed"


def test_an_error_on_a_done_row_makes_it_needs_fix():
    # T3 is done; a typo in its Spend is an error, and an error row is "Needs fix" first.
    assert tactic_statuses({("Plan", "T3", "Spend"): "about 300"})["T3"] == "Needs fix"


def test_an_error_on_a_goal_that_reached_its_target_makes_it_needs_fix():
    edits = {("Strategy", "G1", "Target"): 50, ("Strategy", "G1", "Budget"): "five grand"}
    assert str(goal(edits, today=D(2027, 1, 15)).status) == "Needs fix"


def test_progress_typed_as_points_with_a_decimal_is_exact():
    # 10.1 in Progress means 10.1 %: 0.101, not 0.10099999999999999.
    report = sheetsync.check(baseline({("Plan", "T2", "Progress"): 10.1}), today=TODAY)
    assert next(r.tactic.progress for r in report.tactics if r.tactic.tactic_id == "T2") == 0.101


# ---- event windows --------------------------------------------------------------------------


def event_outcome(date, due, lead_days=30, today=TODAY, default_lead_days=None):
    """The Office expo's Status and whether SS309 fires, with T1 (goal G1) due on `due`."""
    edits = {
        ("Calendar", "Office expo", "Date"): date,
        ("Calendar", "Office expo", "Lead Days"): lead_days,
        ("Plan", "T1", "Due"): due,
    }
    overrides = {"rules": {"lead_days": default_lead_days}} if default_lead_days else {}
    report = sheetsync.check(baseline(edits), today=today, settings=validate_settings(overrides))
    fired = any(f.code == "SS309" for f in report.findings)
    return str(report.events[0].status), fired


def test_a_tactic_due_on_the_event_day_prepares_it():
    assert event_outcome(D(2026, 7, 10), due=D(2026, 7, 10)) == ("Prepared", False)


def test_a_tactic_due_on_the_window_first_day_prepares_it():
    # 30 lead days before 2026-07-10 is 2026-06-10: inside; the day before is outside.
    assert event_outcome(D(2026, 7, 10), due=D(2026, 6, 10)) == ("Prepared", False)
    assert event_outcome(D(2026, 7, 10), due=D(2026, 6, 9)) == ("Unprepared", True)


def test_a_tactic_due_the_day_after_the_event_does_not_prepare_it():
    assert event_outcome(D(2026, 7, 10), due=D(2026, 7, 11)) == ("Unprepared", True)


def test_each_event_has_its_own_lead_days():
    # With 10 lead days the window is 2026-06-30..07-10: T1 due 06-25 is too early, and
    # today (06-15) is not yet inside the window, so SS309 is quiet.
    assert event_outcome(D(2026, 7, 10), due=D(2026, 6, 25), lead_days=10) == (
        "Unprepared",
        False,
    )
    assert event_outcome(D(2026, 7, 10), due=D(2026, 6, 30), lead_days=10) == ("Prepared", False)
    # Blank Lead Days takes [rules] lead_days.
    assert (
        event_outcome(D(2026, 7, 10), due=D(2026, 6, 25), lead_days=None, default_lead_days=10)[0]
        == "Unprepared"
    )
    assert event_outcome(D(2026, 7, 10), due=D(2026, 6, 25), lead_days=None)[0] == "Prepared"


def test_an_event_dated_today_is_not_past():
    assert event_outcome(TODAY, due=TODAY) == ("Prepared", False)
    assert event_outcome(TODAY, due=D(2026, 7, 1)) == ("Unprepared", True)
    assert event_outcome(D(2026, 6, 14), due=D(2026, 7, 1)) == ("Past", False)


def test_the_window_opens_on_its_first_day():
    # SS309 warns from the first day of the window: 2026-06-10 for the expo with 30 lead days.
    date = D(2026, 7, 10)
    assert event_outcome(date, due=D(2026, 8, 1), today=D(2026, 6, 10)) == ("Unprepared", True)
    assert event_outcome(date, due=D(2026, 8, 1), today=D(2026, 6, 9)) == ("Unprepared", False)


# ---- what the spreadsheet says about itself --------------------------------------------------


def test_dates_read_in_the_spreadsheets_own_locale():
    # 07/06/2026 is 6 July in en_US and 7 June in en_GB: as of 2026-06-15, T2 is due in three
    # weeks in one and overdue in the other.
    edits = {("Plan", "T2", "Due"): "07/06/2026", ("Plan", "T2", "Progress"): 0.6}
    american = sheetsync.check(baseline(edits, locale="en_US"), today=TODAY)
    british = sheetsync.check(baseline(edits, locale="en_GB"), today=TODAY)
    assert tactic_status_in(american, "T2") == "On track"
    assert tactic_status_in(british, "T2") == "Overdue"


def test_config_locale_wins_over_the_spreadsheets():
    edits = {("Plan", "T2", "Due"): "07/06/2026", ("Plan", "T2", "Progress"): 0.6}
    settings_gb = validate_settings({"rules": {"locale": "en_GB"}})
    report = sheetsync.check(baseline(edits, locale="en_US"), today=TODAY, settings=settings_gb)
    assert tactic_status_in(report, "T2") == "Overdue"


@pytest.mark.parametrize(
    ("tab", "row_id", "column", "cell"),
    [
        ("Plan", "T2", "Spend", "I3"),
        ("Plan", "T2", "Budget", "H3"),
        ("Plan", "T2", "Revenue", "J3"),
        ("Strategy", "G1", "Budget", "G2"),
    ],
)
def test_negative_money_is_refused(tab, row_id, column, cell):
    report = sheetsync.check(baseline({(tab, row_id, column): "-$50"}), today=TODAY)
    [finding] = [f for f in report.findings if f.code == "SS202"]
    assert (finding.tab, finding.cell) == (tab, cell)
    what = f"{'tactic' if tab == 'Plan' else 'goal'} {row_id}"
    assert finding.message == f"{column} of {what}: {column} cannot be negative."


@given(
    amounts=st.integers(0, 4).flatmap(
        lambda places: st.lists(st.decimals(-(10**9), 10**9, places=places), max_size=30)
    )
)
def test_goal_sums_are_the_sums_of_what_was_typed(amounts):
    typed_in = [float(amount) for amount in amounts]
    assert exact_sum(typed_in) == float(sum(map(Fraction, amounts), Fraction(0)))


def test_lead_days_are_whole_days():
    # 7.5 lead days was read as 7: the window's first day moved without a word.
    report = sheetsync.check(baseline({("Calendar", "Office expo", "Lead Days"): 7.5}), today=TODAY)
    [finding] = [f for f in report.findings if f.code == "SS202"]
    assert (finding.cell, finding.message) == (
        "D2",
        "Lead Days of event Office expo: Lead Days must be a whole number of days from 0 to 3650.",
    )
    assert event_outcome(D(2026, 7, 10), due=D(2026, 7, 2), lead_days=8.0) == ("Prepared", False)
