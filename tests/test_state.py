"""The state store: a real SQLite file, migrated forward, refused when newer, shared safely."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbooks import TODAY, baseline

import sheetsync
from sheetsync.config import validate_settings
from sheetsync.runs import workbook_key
from sheetsync.state import (
    MIGRATIONS,
    SCHEMA_VERSION,
    GoalSnapshot,
    RunCounts,
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


def test_a_sync_is_recorded_with_its_counts_and_the_days_snapshot_belongs_to_it(tmp_path):
    started = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
    counts = RunCounts(errors=1, warnings=2, goals=1, tactics=1, cells_written=7)
    with StateStore(tmp_path / "state.db") as store:
        first = store.record_sync("book", D(2026, 10, 1), started, counts, [goal("G1", 5.0)], [])
        # The same figures again (nothing changed): a run of its own, the snapshot kept.
        again = store.record_sync("book", D(2026, 10, 1), started, counts, [goal("G1", 5.0)], [])
        (latest, earlier) = store.runs("book")
        assert (earlier["id"], latest["id"]) == (first, again)
        assert latest["command"] == "sync" and latest["outcome"] == "ok" and latest["ended"]
        assert (latest["errors"], latest["warnings"], latest["cells_written"]) == (1, 2, 7)
        assert store.snapshot("book", D(2026, 10, 1)).goals["g1"].spend == 5.0
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("SELECT run_id FROM snapshots").fetchall() == [(again,)]


def test_a_syncs_snapshot_holds_every_tactics_figures_and_its_status_as_text(tmp_path):
    settings = validate_settings({"state": {"path": str(tmp_path / "state.db")}})
    backend = baseline({("Plan", "T2", "Channel"): "TikTok"})
    report = sheetsync.sync(backend, today=TODAY, settings=settings).report
    sheetsync.sync(backend, today=TODAY, settings=settings)  # nothing changed: the same kept
    with StateStore(tmp_path / "state.db") as store:
        tactics = store.snapshot(workbook_key(report.location), TODAY).tactics
    assert tactics == {
        r.tactic.tactic_id.casefold(): TacticSnapshot(
            r.tactic.tactic_id,
            r.tactic.goal_id,
            str(r.status),
            r.tactic.spend,
            r.tactic.revenue,
            r.tactic.result,
            r.tactic.progress,
            r.roi,
        )
        for r in report.tactics
    }
    assert {type(tactic.status) for tactic in tactics.values()} == {str}
    assert len(tactics) == 3 and tactics["t1"].roi is not None


# Figures as a snapshot may hold them: blanks, whole numbers as int or float, -0.0, NaN.
figures = st.one_of(
    st.none(), st.sampled_from([0, 1, 1.0, -0.0, 0.0, 2.5]), st.floats(allow_infinity=False)
)
goal_snapshots = st.builds(
    GoalSnapshot,
    st.sampled_from(["G1", "g1", "G2"]),
    st.sampled_from([None, "Leads"]),
    st.just("Leads"),
    st.sampled_from(["On track", "Done"]),
    figures,
    figures,
    figures,
    figures,
    figures,
    figures,
    figures,
)
tactic_snapshots = st.builds(
    TacticSnapshot,
    st.sampled_from(["T1", "t1", "T2"]),
    st.just("G1"),
    st.sampled_from(["On track", "Done"]),
    figures,
    figures,
    figures,
    figures,
    figures,
)
days_figures = st.tuples(
    st.lists(goal_snapshots, max_size=3), st.lists(tactic_snapshots, max_size=3)
)


@settings(max_examples=60, deadline=None)
@given(earlier=days_figures, later=days_figures, same=st.booleans())
def test_a_days_snapshot_reads_as_its_last_sync_wrote_it_alone(
    tmp_path_factory, earlier, later, same
):
    """Whether the day's earlier snapshot held the same figures (kept) or others (replaced)."""
    later = earlier if same else later
    folder = tmp_path_factory.mktemp("stores")
    with StateStore(folder / "twice.db") as twice, StateStore(folder / "once.db") as once:
        for figures_of_a_sync in (earlier, later):
            run = twice.start_run("book", "sync", D(2026, 10, 1))
            twice.record_snapshot("book", run, D(2026, 10, 1), *figures_of_a_sync)
        run = once.start_run("book", "sync", D(2026, 10, 1))
        once.record_snapshot("book", run, D(2026, 10, 1), *later)
        # repr: -0.0 and 0.0, or 1 and 1.0, are equal but not the same figure
        assert repr(twice.snapshot("book", D(2026, 10, 1))) == repr(
            once.snapshot("book", D(2026, 10, 1))
        )


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
