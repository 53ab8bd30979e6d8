"""`sheetsync status`: the last run, the next runs and the last summary, per workbook."""

from __future__ import annotations

import datetime as dt

import pytest
from workbooks import TODAY, baseline_grids, write_xlsx

from sheetsync import api
from sheetsync.config import load_settings
from sheetsync.errors import WorkbookUnreachable
from sheetsync.status import status_text, statuses

# 23:50 in Berlin, the night the clocks go forward
NOW = dt.datetime(2026, 3, 28, 22, 50, tzinfo=dt.UTC)


def consultant(tmp_path):
    (tmp_path / "sheetsync.toml").write_text(
        '[[workbooks]]\nname = "bakery"\npath = "bakery.xlsx"\n'
        'summary = { to = ["owner@bakery.example"] }\n'
        '[[workbooks]]\nname = "florist"\npath = "florist.xlsx"\n'
        'schedule = { sync = "30 2 * * *" }\n'
        '[state]\npath = "state.db"\n'
        '[schedule]\nsync = "0 */12 * * *"\nsummary = "0 8 1 * *"\ntimezone = "Europe/Berlin"\n'
    )
    write_xlsx(tmp_path / "bakery.xlsx", baseline_grids({("Plan", "T2", "Goal ID"): "G9"}))
    return load_settings(str(tmp_path / "sheetsync.toml"))


def test_status_tells_the_last_run_and_the_next_ones(tmp_path):
    settings = consultant(tmp_path)
    bakery_settings = settings.model_copy(update={"workbook": settings.workbooks[0]})
    result = api.sync(today=TODAY, settings=bakery_settings)
    with pytest.raises(WorkbookUnreachable):  # and recorded as failed
        api.sync(str(tmp_path / "florist.xlsx"), today=TODAY, settings=settings)
    bakery, florist = statuses(settings, None, NOW)
    assert bakery.last_run is not None and bakery.last_run.outcome == "ok"
    assert bakery.last_run.cells_written == len(result.plan.writes)
    assert (bakery.last_run.errors, bakery.last_run.warnings) == (1, 0)
    assert [time.isoformat() for time in bakery.next_syncs] == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T12:00:00+02:00",
        "2026-03-30T00:00:00+02:00",
    ]
    assert bakery.next_summary is not None
    assert bakery.next_summary.isoformat() == "2026-04-01T08:00:00+02:00"
    assert bakery.last_summary is None
    assert florist.last_run is not None and florist.last_run.outcome == "failed"
    assert florist.last_good_sync is None and florist.next_summary is None
    # 02:30 does not exist on 29 March in Berlin: the run comes once, at 03:30.
    assert florist.next_syncs[0].astimezone(dt.UTC).isoformat() == "2026-03-29T01:30:00+00:00"
    text = status_text([bakery, florist])
    assert "bakery (" in text and "times in Europe/Berlin" in text
    assert "Next syncs:     2026-03-29 00:00, 2026-03-29 12:00, 2026-03-30 00:00" in text
    assert "Next summary:   2026-04-01 08:00" in text
    assert "Last summary:   none sent yet" in text
    assert "florist.xlsx was not found" in text and "Last good sync: never" in text
    assert "Next summary:   none (no recipients in [summary] to)" in text
