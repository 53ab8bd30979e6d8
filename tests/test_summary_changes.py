"""What changed since the last summary sent: findings that appeared and were fixed, statuses
that moved. Real sends to an outbox, real state store."""

from __future__ import annotations

import datetime as dt

from workbooks import baseline

from sheetsync import api
from sheetsync.config import validate_settings
from sheetsync.render import render_text

D = dt.date


def settings(tmp_path):
    return validate_settings(
        {"summary": {"to": ["owner@example.com"], "outbox": str(tmp_path / "outbox")}}
    )


def test_the_first_summary_has_no_changes_and_the_next_one_lists_them(tmp_path):
    june = api.send_summary(baseline(), today=D(2026, 7, 1), settings=settings(tmp_path))
    assert june.summary.changes is None
    assert "WHAT CHANGED" not in render_text(june.summary)
    # July: T1 is now overspent (a new warning), T1's overdue warning is fixed (done), and
    # G2 ended below target (On track -> Missed).
    july_edits = {("Plan", "T1", "Spend"): 1200, ("Plan", "T1", "Progress"): "done"}
    july = api.summary(baseline(july_edits), today=D(2026, 10, 1), settings=settings(tmp_path))
    changes = july.as_dict()["changes"]
    assert changes["since"] == "2026-06"
    appeared = {(f["code"], f["cell"]) for f in changes["appeared"]}
    fixed = {(f["code"], f["cell"]) for f in changes["fixed"]}
    assert ("SS306", "I2") in appeared and ("SS307", "G2") in fixed
    assert {"id": "G2", "before": "On track", "now": "Missed"} in changes["statuses"]
    text = render_text(july)
    section = text.split("WHAT CHANGED SINCE THE JUNE 2026 SUMMARY\n", 1)[1].split("\n\n")[0]
    assert section.splitlines() == [
        "  G2 moved from On track to Missed.",
        "  New: Strategy!I3 Goal G2 ended 2026-09-30 at 250 of its 500 Newsletter sign-ups target.",
        "  New: Plan!I2 Tactic T1 has spent 1,200, more than its budget of 1,000.",
        "  New: Plan!G3 Tactic T2 was due 2026-07-31 and is 30% done.",
        "  Fixed: Tactic T1 was due 2026-06-30 and is 90% done.",
    ]
