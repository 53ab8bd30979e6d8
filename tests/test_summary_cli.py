"""`sheetsync summary` as a user runs it: real subprocesses, a real .xlsx, a real state store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHEETSYNC, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def set_cell(path: Path, tab: str, row_id: str, header: str, value) -> None:
    """A person edits the sheet between syncs."""
    book = load_workbook(path)
    sheet = book[tab]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == row_id:
            row[headers.index(header)].value = value
    book.save(path)


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The example workbook synced on 30 September, 15 and 31 October, edited in between."""
    folder = tmp_path_factory.mktemp("summary")
    path = folder / "marketing.xlsx"
    env = {"SHEETSYNC_STATE_PATH": str(folder / "state.db")}
    assert run("init", "--path", str(path), "--example", "--today", "2026-09-20").returncode == 0
    for day, spend in (("2026-09-30", 1000), ("2026-10-15", 1300), ("2026-10-31", 1750)):
        set_cell(path, "Plan", "T1", "Spend", spend)
        result = run("sync", "--workbook", str(path), "--today", day, env=env)
        assert result.returncode == 0, result.stderr
    return path, env


def test_sync_records_each_run_and_its_snapshot(synced):
    path, env = synced
    with sqlite3.connect(env["SHEETSYNC_STATE_PATH"]) as db:
        runs = db.execute(
            "SELECT command, as_of, outcome, workbook, goals, tactics FROM runs"
        ).fetchall()
        days = [row[0] for row in db.execute("SELECT as_of FROM snapshots ORDER BY as_of")]
    assert [(r[0], r[1], r[2]) for r in runs] == [
        ("sync", "2026-09-30", "ok"),
        ("sync", "2026-10-15", "ok"),
        ("sync", "2026-10-31", "ok"),
    ]
    assert runs[0][3] == str(path.resolve()) and runs[0][4:] == (5, 25)
    assert days == ["2026-09-30", "2026-10-15", "2026-10-31"]


def test_summary_json_gives_the_months_figures(synced):
    path, env = synced
    result = run("summary", "-w", str(path), "--today", "2026-11-01", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["month"], document["from"], document["to"]) == (
        "2026-10",
        "2026-09-30",
        "2026-10-31",
    )
    assert {"workbook", "goals", "tactics_done", "overdue", "due_next_month", "events"} <= set(
        document
    )
    assert {"findings", "sent"} <= set(document) and document["sent"] is None
    g1 = document["goals"][0]
    assert g1["id"] == "G1" and g1["month"]["spend"] == 750.0  # T1: 1000 -> 1750
    assert set(g1) >= {"name", "status", "current", "target", "progress", "spend", "revenue"}
    assert set(g1["forecast"]) == {"at_end", "progress_at_end", "on_pace"}


def test_summary_text_is_what_the_email_says(synced):
    path, env = synced
    result = run("summary", "-w", str(path), "--today", "2026-11-01", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Marketing summary — October 2026 — marketing\n")
    assert "figures from September 30, 2026 to October 31, 2026" in out
    assert "This month: spent 750, revenue 0" in out
    assert 'Plan!B26  Tactic T25 serves goal "G6", which is not in the Strategy tab.' in out
    assert f"Open the workbook: {path.resolve()}" in out


def test_another_month_and_a_month_before_any_sync(synced):
    path, env = synced
    result = run("summary", "-w", str(path), "--month", "2026-08", "--today", "2026-11-01", env=env)
    assert result.returncode == 0
    assert "No sync ran in August 2026, so this shows totals to date" in result.stdout
    bad = run("summary", "-w", str(path), "--month", "Oct", env=env)
    assert bad.returncode == 2 and "'Oct' is not a month; write it as YYYY-MM" in bad.stderr


def test_a_state_store_from_a_newer_sheetsync_stops_sync_before_writing(tmp_path):
    path = tmp_path / "marketing.xlsx"
    state = tmp_path / "state.db"
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA user_version = 99")
    assert run("init", "--path", str(path), "--example").returncode == 0
    before = path.read_bytes()
    result = run("sync", "-w", str(path), env={"SHEETSYNC_STATE_PATH": str(state)})
    assert result.returncode == 3
    assert "was written by a newer sheetsync" in result.stderr and str(state) in result.stderr
    assert path.read_bytes() == before


def test_a_failed_sync_is_recorded_with_why(tmp_path):
    state = tmp_path / "state.db"
    missing = tmp_path / "nowhere.xlsx"
    result = run(
        "sync",
        "-w",
        str(missing),
        "--today",
        "2026-10-01",
        env={"SHEETSYNC_STATE_PATH": str(state)},
    )
    assert result.returncode == 3
    with sqlite3.connect(state) as db:
        outcome, detail = db.execute("SELECT outcome, detail FROM runs").fetchone()
    assert outcome == "failed" and str(missing) in detail


def test_readme_shows_what_summary_prints(tmp_path):
    """The README's summary example, replayed: the example workbook synced on 31 October and
    30 November, with three tactics brought up to date in between."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    shown = readme.split("\n$ sheetsync summary --workbook marketing.xlsx --today 2026-12-01\n")[1]
    shown = shown.split("\n```", 1)[0]
    path = tmp_path / "marketing.xlsx"
    env = {"SHEETSYNC_STATE_PATH": str(tmp_path / "state.db")}
    assert run("init", "--path", str(path), "--example", "--today", "2026-11-23").returncode == 0
    assert run("sync", "-w", str(path), "--today", "2026-10-31", env=env).returncode == 0
    for tactic, header, value in [
        ("T2", "Spend", 520),
        ("T2", "Result", 9),
        ("T9", "Spend", 950),
        ("T9", "Revenue", 5600),
        ("T10", "Spend", 260),
        ("T10", "Revenue", 1300),
    ]:
        set_cell(path, "Plan", tactic, header, value)
    assert run("sync", "-w", str(path), "--today", "2026-11-30", env=env).returncode == 0
    printed = run("summary", "-w", str(path), "--today", "2026-12-01", env=env).stdout
    lines = printed.replace(str(path.resolve()), "/home/me/marketing/marketing.xlsx").splitlines()
    for part in shown.split("\n...\n"):  # each shown stretch is printed as it is, in order
        expected = part.splitlines()
        start = lines.index(expected[0])
        assert lines[start : start + len(expected)] == expected
