"""Month figures from the snapshots that syncs leave, and each goal's forecast.

Every figure here comes from real syncs (library calls on the memory backend) recorded in a
real state store, on the days given as `today`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from workbooks import STRATEGY, baseline

import sheetsync
from sheetsync import api
from sheetsync.months import Month, forecast, month_period

D = dt.date


def sync_on(day: dt.date, edits=None) -> None:
    sheetsync.sync(baseline(edits), today=day)


def summary_on(day: dt.date, edits=None) -> dict:
    return api.summary(baseline(edits), today=day).as_dict()


def goal(document: dict, goal_id: str) -> dict:
    return next(g for g in document["goals"] if g["id"] == goal_id)


def test_an_ordinary_month_is_the_last_snapshot_minus_the_one_before_it_began():
    sync_on(D(2026, 9, 30), {("Plan", "T1", "Spend"): 400, ("Plan", "T1", "Result"): 30})
    sync_on(D(2026, 10, 15), {("Plan", "T1", "Spend"): 650, ("Plan", "T1", "Result"): 34})
    sync_on(D(2026, 10, 31), {("Plan", "T1", "Spend"): 900, ("Plan", "T1", "Revenue"): 2100})
    document = summary_on(D(2026, 11, 1))
    assert (document["month"], document["from"], document["to"]) == (
        "2026-10",
        "2026-09-30",
        "2026-10-31",
    )
    g1 = goal(document, "G1")
    # T1 went 400 -> 900 spent, 1500 -> 2100 revenue, 30 -> 30 leads (its Result is 30 again)
    assert g1["month"] == {"spend": 500.0, "revenue": 600.0, "result": 0.0, "partial": False}
    # G2's one tactic leaves Revenue blank: revenue not tracked, not 0.
    assert goal(document, "G2")["month"] == {
        "spend": 0.0,
        "revenue": None,
        "result": 0.0,
        "partial": False,
    }
    assert document["totals"]["month_spend"] == 500.0


def test_the_first_month_counts_from_the_first_snapshot_and_says_partial():
    sync_on(D(2026, 10, 10), {("Plan", "T1", "Spend"): 400})
    sync_on(D(2026, 10, 31), {("Plan", "T1", "Spend"): 700})
    document = summary_on(D(2026, 11, 2))
    assert (document["from"], document["to"], document["partial"]) == (
        "2026-10-10",
        "2026-10-31",
        True,
    )
    assert goal(document, "G1")["month"]["spend"] == 300.0
    text = api_text(D(2026, 11, 2))
    assert "sheetsync first saw the sheet on October 10, 2026" in text


def test_a_month_with_no_runs_shows_totals_to_date_and_no_month_figures():
    sync_on(D(2026, 9, 30))
    sync_on(D(2026, 11, 5), {("Plan", "T1", "Spend"): 999})
    document = summary_on(D(2026, 11, 6), {("Plan", "T1", "Spend"): 999})
    assert document["month"] == "2026-10" and document["from"] is None and document["to"] is None
    assert all(g["month"] is None for g in document["goals"])
    assert document["totals"]["month_spend"] is None
    assert goal(document, "G1")["spend"] == 999 + 500  # the totals to date are still there
    assert "No sync ran in October 2026, so this shows totals to date" in api_text(D(2026, 11, 6))


def test_a_single_snapshot_in_the_first_month_measures_nothing():
    sync_on(D(2026, 10, 20))
    assert all(g["month"] is None for g in summary_on(D(2026, 11, 1))["goals"])
    assert "Only one sync ran in October 2026 (on October 20, 2026)" in api_text(D(2026, 11, 1))


def test_december_is_measured_across_the_year_boundary():
    sync_on(D(2026, 11, 30), {("Plan", "T2", "Spend"): 500})
    sync_on(D(2026, 12, 31), {("Plan", "T2", "Spend"): 1250, ("Plan", "T2", "Due"): D(2027, 1, 20)})
    document = summary_on(D(2027, 1, 1))
    assert (document["month"], document["from"], document["to"]) == (
        "2026-12",
        "2026-11-30",
        "2026-12-31",
    )
    assert goal(document, "G1")["month"]["spend"] == 750.0
    assert [t["id"] for t in document["due_next_month"]] == []  # baseline T2 is due in July
    assert "Due in January 2027" in api_text(D(2027, 1, 1))


def test_a_goal_added_during_the_month_is_counted_from_its_first_snapshot():
    new_goal = [
        "G3",
        "Sell cakes",
        "Cake orders",
        "",
        "Orders",
        50,
        1000,
        D(2026, 1, 1),
        D(2026, 12, 31),
        None,
    ]
    new_tactic = ["T9", "G3", "Cake stall", "", "", D(2026, 10, 1), D(2026, 12, 1), 500]
    sync_on(D(2026, 9, 30))
    sync_on(
        D(2026, 10, 12), {("Strategy", "+", ""): new_goal, ("Plan", "+", ""): new_tactic + [100]}
    )
    sync_on(
        D(2026, 10, 31), {("Strategy", "+", ""): new_goal, ("Plan", "+", ""): new_tactic + [350]}
    )
    document = api.summary(
        baseline({("Strategy", "+", ""): new_goal, ("Plan", "+", ""): new_tactic + [350]}),
        today=D(2026, 11, 1),
    ).as_dict()
    g3 = goal(document, "G3")
    # The cake stall has no Revenue column value: revenue not tracked, not 0.
    assert g3["month"] == {"spend": 250.0, "revenue": None, "result": 0.0, "partial": True}
    assert goal(document, "G1")["month"]["partial"] is False


def test_a_renamed_goal_id_is_a_new_goal_counted_from_when_it_appeared():
    renamed = {("Strategy", "G2", "Goal ID"): "NEWS", ("Plan", "T3", "Goal ID"): "NEWS"}
    sync_on(D(2026, 9, 30))
    sync_on(D(2026, 10, 20), renamed)
    sync_on(D(2026, 10, 31), {**renamed, ("Plan", "T3", "Spend"): 420})
    document = api.summary(
        baseline({**renamed, ("Plan", "T3", "Spend"): 420}), today=D(2026, 11, 1)
    )
    news = goal(document.as_dict(), "NEWS")
    assert news["month"]["spend"] == 120.0 and news["month"]["partial"] is True
    assert "G2" not in [g["id"] for g in document.as_dict()["goals"]]  # gone from the sheet


def test_a_goal_missing_from_the_last_snapshot_has_no_month_figures():
    sync_on(D(2026, 9, 30))
    sync_on(D(2026, 10, 31))
    extra = ["G7", "Later goal", "Later", "", "Leads", 5, 100, D(2026, 1, 1), D(2026, 12, 31), None]
    document = api.summary(baseline({("Strategy", "+", ""): extra}), today=D(2026, 11, 1))
    assert goal(document.as_dict(), "G7")["month"] is None


def test_tactics_done_in_the_month_are_those_done_at_its_end_and_not_at_its_start():
    sync_on(D(2026, 9, 30))  # T3 is done already; T1 is 90 %
    sync_on(D(2026, 10, 31), {("Plan", "T1", "Progress"): "done"})
    document = api.summary(baseline({("Plan", "T1", "Progress"): "done"}), today=D(2026, 11, 1))
    assert [t["id"] for t in document.as_dict()["tactics_done"]] == ["T1"]


def api_text(day: dt.date) -> str:
    from sheetsync.render import render_text

    return render_text(api.summary(baseline(), today=day))


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([D(2026, 9, 30), D(2026, 10, 31)], (D(2026, 9, 30), D(2026, 10, 31), False)),
        ([D(2026, 10, 1), D(2026, 10, 9)], (D(2026, 10, 1), D(2026, 10, 9), False)),
        ([D(2026, 8, 1), D(2026, 10, 3), D(2026, 10, 30)], (D(2026, 10, 3), D(2026, 10, 30), True)),
        ([D(2026, 9, 1), D(2026, 11, 1)], None),
        ([], None),
    ],
)
def test_which_snapshots_measure_october(days, expected):
    period = month_period(days, Month(2026, 10))
    assert (None if period is None else (period.start, period.end, period.partial)) == expected


def test_month_arithmetic():
    assert Month.before(D(2027, 1, 1)) == Month(2026, 12)
    assert Month(2026, 12).next == Month(2027, 1) and Month(2026, 12).last == D(2026, 12, 31)
    assert Month(2028, 2).last == D(2028, 2, 29)
    assert Month.parse("2026-10").label() == "October 2026"
    with pytest.raises(ValueError, match="write it as YYYY-MM"):
        Month.parse("October")


START, END = D(2026, 1, 1), D(2026, 12, 31)


def test_forecast_of_a_goal_on_pace():
    history = [(D(2026, 6, 1), 40.0), (D(2026, 7, 1), 50.0)]  # 10 a month
    result = forecast(50.0, 100.0, START, END, D(2026, 7, 1), history)
    assert result is not None and result.on_pace and not result.ended
    assert result.at_end == pytest.approx(50 + 10 / 30 * 183)


def test_forecast_of_a_goal_behind():
    history = [(D(2026, 6, 1), 40.0), (D(2026, 7, 1), 41.0)]
    result = forecast(41.0, 100.0, START, END, D(2026, 7, 1), history)
    assert result is not None and not result.on_pace
    assert result.progress_at_end == pytest.approx((41 + 183 / 30) / 100)


def test_forecast_without_two_snapshot_days_uses_the_pace_since_start():
    result = forecast(18.1, 100.0, START, END, D(2026, 7, 1), [(D(2026, 7, 1), 18.1)])
    assert result is not None and result.at_end == pytest.approx(18.1 + 18.1 / 181 * 183)


def test_forecast_of_a_finished_goal_is_where_it_ended():
    missed = forecast(70.0, 100.0, START, END, D(2027, 1, 15), [])
    reached = forecast(120.0, 100.0, START, END, D(2027, 1, 15), [])
    assert missed is not None and missed.ended and not missed.on_pace
    assert missed.progress_at_end == 0.7
    assert reached is not None and reached.on_pace and reached.at_end == 120.0
    assert forecast(0.0, 100.0, START, END, D(2025, 12, 1), []) is None  # not started
    assert forecast(5.0, None, START, END, D(2026, 7, 1), []) is None  # no target


def test_the_forecast_sentence_names_the_goal_the_share_and_the_day():
    sync_on(D(2026, 9, 30))
    sync_on(D(2026, 10, 31), {("Plan", "T1", "Result"): 60})
    text = render_text_for(baseline({("Plan", "T1", "Result"): 60}), D(2026, 11, 1))
    # G1: 50 -> 80 leads in 31 days; 60 days left to 31 Dec: 80 + 30/31*60 = 138 of 100
    assert "At this pace G1 reaches 138% of target by December 31, 2026." in text
    assert STRATEGY[1][0] == "G1"


def render_text_for(backend, day):
    from sheetsync.render import render_text

    return render_text(api.summary(backend, today=day))
