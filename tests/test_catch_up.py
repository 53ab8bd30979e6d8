"""The worker sends a monthly summary missed while it was down, once, when it starts.

Which months were missed is worked out from the summary schedule's own trigger and fixed
clocks; the sending itself is the summary's exactly-once send (tests/test_worker.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.config import load_settings
from sheetsync.runs import workbook_key
from sheetsync.state import StateStore, state_path
from sheetsync.workbooks import Target, targets
from sheetsync.worker import missed_summaries

UTC = dt.UTC


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.fixture
def consultant(tmp_path):
    """bakery, watched since 20 November; gym, never run; florist, with no recipients."""
    (tmp_path / "sheetsync.toml").write_text(
        '[summary]\nto = ["owner@example.com"]\n'
        '[[workbooks]]\nname = "bakery"\npath = "bakery.xlsx"\n'
        '[[workbooks]]\nname = "gym"\npath = "gym.xlsx"\n'
        '[[workbooks]]\nname = "florist"\npath = "florist.xlsx"\nsummary = { to = [] }\n'
        '[state]\npath = "state.db"\n'
        '[schedule]\nsummary = "0 8 1 * *"\ntimezone = "Europe/London"\n'
    )
    settings = load_settings(str(tmp_path / "sheetsync.toml"))
    chosen = targets(settings)
    with StateStore(state_path(settings)) as store:
        for target in (chosen[0], chosen[2]):
            key = workbook_key(target.location)
            store.start_run(key, "sync", dt.date(2026, 11, 20), at(2026, 11, 20, 10))
    return chosen


def missed(chosen, now: dt.datetime) -> list[tuple[str, str]]:
    return [(item.target.name, item.month.key) for item in missed_summaries(chosen, now)]


def test_down_across_the_first_of_the_month_sends_the_month_just_ended(consultant):
    assert missed(consultant, at(2026, 12, 1, 9)) == [("bakery", "2026-11")]
    assert missed(consultant, at(2026, 12, 20)) == [("bakery", "2026-11")]


def test_nothing_is_missed_before_the_summary_time(consultant):
    assert missed(consultant, at(2026, 11, 30, 12)) == []  # 1 Nov came before bakery was watched
    assert missed(consultant, at(2026, 12, 1, 7, 59)) == []


def test_the_summary_time_is_on_the_schedule_clock(consultant):
    settings = consultant[0].settings
    new_york = settings.model_copy(
        update={"schedule": settings.schedule.model_copy(update={"timezone": "America/New_York"})}
    )
    bakery = Target("bakery", new_york)
    assert missed([bakery], at(2026, 12, 1, 12, 59)) == []  # 07:59 in New York
    assert missed([bakery], at(2026, 12, 1, 13)) == [("bakery", "2026-11")]


def test_across_the_new_year(consultant):
    assert missed(consultant, at(2027, 1, 1, 8)) == [("bakery", "2026-12")]
