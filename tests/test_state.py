"""The state store: a real SQLite file, migrated forward, refused when newer, shared safely."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from sheetsync.state import (
    MIGRATIONS,
    SCHEMA_VERSION,
    GoalSnapshot,
    StateError,
    StateStore,
    TacticSnapshot,
)

D = dt.date
PROCESSES, ATTEMPTS = 6, 60  # the race showed in 4 of 80 attempts of 6 processes


def goal(goal_id: str, spend: float, current: float = 0.0) -> GoalSnapshot:
    return GoalSnapshot(
        goal_id, "name", "Leads", "On track", spend, 0.0, current, 10, 0.1, None, 100
    )


def tactic(tactic_id: str, status: str) -> TacticSnapshot:
    return TacticSnapshot(tactic_id, "G1", status, 1.0, None, None, 0.5, None)


def test_a_new_store_is_at_the_latest_schema_in_wal_mode(tmp_path):
    path = tmp_path / "deep" / "state.db"
    StateStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"runs", "snapshots", "goal_snapshots", "tactic_figures", "summaries"} <= tables


def test_a_store_from_an_older_version_is_moved_forward(tmp_path, monkeypatch):
    path = tmp_path / "state.db"
    sqlite3.connect(path).close()  # version 0: an empty file, as before the first migration
    extra = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"
    monkeypatch.setattr("sheetsync.state.MIGRATIONS", (*MIGRATIONS, extra))
    monkeypatch.setattr("sheetsync.state.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    StateStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        db.execute("INSERT INTO notes (text) VALUES ('migrated')")


def test_a_store_of_schema_1_keeps_its_tactic_figures(tmp_path):
    """Schema 1 kept a row per tactic; schema 2 one per snapshot. Nothing is lost on the way."""
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO runs (workbook, command, as_of, started) VALUES ('book', 'sync', "
            "'2026-10-01', '2026-10-01T08:00:00+00:00')"
        )
        for day in ("2026-10-01", "2026-10-02"):
            db.execute(
                "INSERT INTO snapshots (workbook, as_of, run_id) VALUES ('book', ?, 1)", (day,)
            )
        rows = [
            (1, "t1", "T1", "G1", "Done", 10.5, 200.0, 3.0, 1.0, 18.05),
            (1, "t2", "T2", None, "Overdue", None, None, None, None, None),
            (2, "t1", "T1", "G1", "On track", 12.0, None, 4.0, 0.5, None),
        ]
        db.executemany(f"INSERT INTO tactic_snapshots VALUES ({', '.join('?' * 10)})", rows)
    with StateStore(path) as store:
        first, second = (store.snapshot("book", day) for day in (D(2026, 10, 1), D(2026, 10, 2)))
    assert first.tactics == {
        "t1": TacticSnapshot("T1", "G1", "Done", 10.5, 200.0, 3.0, 1.0, 18.05),
        "t2": TacticSnapshot("T2", None, "Overdue", None, None, None, None, None),
    }
    assert second.tactics == {
        "t1": TacticSnapshot("T1", "G1", "On track", 12.0, None, 4.0, 0.5, None)
    }
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "tactic_snapshots" not in tables


def test_a_store_written_by_a_newer_sheetsync_is_refused_untouched(tmp_path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StateError) as refused:
        StateStore(path)
    message = str(refused.value)
    assert str(path) in message and "newer sheetsync" in message and "Upgrade sheetsync" in message
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5


def test_a_file_that_is_not_a_database_is_one_sentence(tmp_path):
    path = tmp_path / "state.db"
    path.write_text("these are my notes, not a database" * 100)
    with pytest.raises(StateError, match="cannot be used .*Point \\[state\\] path at another"):
        StateStore(path)


def test_a_later_sync_of_the_same_day_replaces_that_days_snapshot(tmp_path):
    with StateStore(tmp_path / "state.db") as store:
        for spend in (10.0, 20.0):
            run = store.start_run("book", "sync", D(2026, 10, 1))
            store.record_snapshot(
                "book", run, D(2026, 10, 1), [goal("G1", spend)], [tactic("T1", "Done")]
            )
        run = store.start_run("book", "sync", D(2026, 10, 2))
        store.record_snapshot("book", run, D(2026, 10, 2), [goal("G1", 30.0)], [])
        assert store.snapshot_days("book") == [D(2026, 10, 1), D(2026, 10, 2)]
        first = store.snapshot("book", D(2026, 10, 1))
        assert first.goals["g1"].spend == 20.0 and first.tactics["t1"].status == "Done"
        assert store.snapshot_days("another book") == []


def test_a_repeated_id_keeps_its_first_row(tmp_path):
    with StateStore(tmp_path / "state.db") as store:
        run = store.start_run("book", "sync", D(2026, 10, 1))
        goals = [goal("G1", 5.0), goal("g1", 99.0)]
        tactics = [tactic("T1", "Done"), tactic("t1", "Overdue")]
        store.record_snapshot("book", run, D(2026, 10, 1), goals, tactics)
        snapshot = store.snapshot("book", D(2026, 10, 1))
    assert snapshot.goals["g1"].spend == 5.0
    assert snapshot.tactics == {"t1": tactic("T1", "Done")}


def test_two_connections_write_without_losing_a_run(tmp_path):
    path = tmp_path / "state.db"
    with StateStore(path) as one, StateStore(path) as two:
        ids = [store.start_run("book", "sync", D(2026, 10, 1)) for store in (one, two, one)]
        assert len(set(ids)) == 3 and len(two.runs("book")) == 3


def _open_when_all_are_ready(path: str, ready) -> str:
    ready.wait()
    try:
        StateStore(Path(path)).close()
    except StateError as error:
        return str(error)
    return "opened"


def test_processes_opening_a_new_store_at_the_same_moment_all_open_it(tmp_path):
    # Cron's sync and the worker's summary starting together on a first run: SQLite refused
    # one of them ("database is locked") about one time in twenty, before waiting.
    with multiprocessing.Manager() as manager, multiprocessing.Pool(PROCESSES) as pool:
        for attempt in range(ATTEMPTS):
            path, ready = str(tmp_path / f"state-{attempt}.db"), manager.Barrier(PROCESSES)
            opened = pool.starmap(_open_when_all_are_ready, [(path, ready)] * PROCESSES)
            assert opened == ["opened"] * PROCESSES
