"""Status and ROI (SPEC 4) as the user sees them in the report and in the sheet."""

from __future__ import annotations

import pytest
from workbooks import TODAY, D, baseline

import sheetsync


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
    ],
)
def test_tactic_status_order(edits, status):
    assert tactic_statuses(edits)["T2"] == status


def test_tactic_due_today_is_not_overdue():
    assert (
        tactic_statuses({("Plan", "T2", "Due"): TODAY, ("Plan", "T2", "Progress"): 0.99})["T2"]
        == "On track"
    )


def test_tactic_roi():
    report = sheetsync.check(baseline(), today=TODAY)
    rois = {r.tactic.tactic_id: r.roi for r in report.tactics}
    assert rois["T1"] == pytest.approx((1500 - 400) / 400)
    assert rois["T2"] == pytest.approx(-1.0)
    assert rois["T3"] == pytest.approx(-1.0)  # blank revenue: nothing came back yet
    no_spend = sheetsync.check(baseline({("Plan", "T2", "Spend"): None}), today=TODAY)
    assert next(r.roi for r in no_spend.tactics if r.tactic.tactic_id == "T2") is None


def test_goal_figures_and_progress():
    result = goal()
    assert result.figures.planned_budget == 3000
    assert result.figures.spend == 900
    assert result.figures.revenue == 1500
    assert result.figures.current == 50  # results of T1 and T2
    assert result.progress == pytest.approx(0.5)
    assert result.roi == pytest.approx((1500 - 900) / 900)


def test_revenue_kpi_counts_revenue_where_result_is_blank():
    edits = {("Strategy", "G1", "KPI"): "revenue", ("Plan", "T1", "Result"): None}
    assert goal(edits).figures.current == 1500 + 20


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
