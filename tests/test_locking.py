"""One run per workbook at a time across processes: a second sync waits briefly, then skips."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from workbooks import TODAY, baseline_grids, write_xlsx

from sheetsync.config import load_settings
from sheetsync.locking import lock_path

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
# A separate process that takes the workbook's lock, says so, and holds it until stdin closes.
HOLDER = """
import sys
from sheetsync.config import load_settings
from sheetsync.locking import workbook_lock
with workbook_lock(sys.argv[2], load_settings(sys.argv[1])):
    print("holding", flush=True)
    sys.stdin.read()
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SHEETSYNC, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@contextmanager
def lock_held(config: Path, location: Path) -> Iterator[subprocess.Popen[str]]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(config), str(location)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    try:
        yield holder
    finally:
        if holder.poll() is None:
            holder.communicate("", timeout=30)


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "sheetsync.toml").write_text(
        '[[workbooks]]\nname = "bakery"\npath = "bakery.xlsx"\n'
        '[[workbooks]]\nname = "gym"\npath = "gym.xlsx"\n'
        '[state]\npath = "state/state.db"\n[schedule]\nlock_wait = 0.5\n'
    )
    write_xlsx(tmp_path / "bakery.xlsx", baseline_grids())
    write_xlsx(tmp_path / "gym.xlsx", baseline_grids())
    return tmp_path


def sync_runs(folder: Path) -> list[tuple[str, str]]:
    state = folder / "state" / "state.db"
    if not state.exists():
        return []
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT workbook, outcome FROM runs WHERE command = 'sync'").fetchall()
    return [(Path(workbook).name, outcome) for workbook, outcome in rows]


def test_a_sync_of_a_busy_workbook_skips_with_exit_code_4_and_writes_nothing(folder):
    bakery = folder / "bakery.xlsx"
    before = bakery.read_bytes()
    with lock_held(folder / "sheetsync.toml", bakery):
        result = run("sync", "-n", "bakery", "--today", TODAY.isoformat(), cwd=folder)
    assert result.returncode == 4
    assert result.stderr.startswith("Skipped bakery.xlsx: another sheetsync run")
    assert "Error" not in result.stderr and "after 0.5 s. Nothing was done" in result.stderr
    assert bakery.read_bytes() == before
    assert sync_runs(folder) == []
    after = run("sync", "-n", "bakery", "--today", TODAY.isoformat(), cwd=folder)
    assert after.returncode == 0, after.stderr
    assert bakery.read_bytes() != before
    assert sync_runs(folder) == [("bakery.xlsx", "ok")]


def test_only_the_busy_workbook_is_skipped(folder):
    with lock_held(folder / "sheetsync.toml", folder / "gym.xlsx"):
        result = run("sync", "--today", TODAY.isoformat(), cwd=folder)
    assert result.returncode == 4  # nothing worse happened
    assert "Skipped" in result.stderr and "gym.xlsx" in result.stderr
    assert sync_runs(folder) == [("bakery.xlsx", "ok")]


def test_check_reads_a_busy_workbook(folder):
    """check writes nothing, and a sync never leaves a half-written file, so it need not wait."""
    with lock_held(folder / "sheetsync.toml", folder / "bakery.xlsx"):
        result = run(
            "check", "-n", "bakery", "--today", TODAY.isoformat(), "--format", "json", cwd=folder
        )
    assert result.returncode == 0
    assert json.loads(result.stdout)["counts"] == {"error": 0, "warning": 0}


def test_a_killed_holder_lets_go_at_once(folder):
    with lock_held(folder / "sheetsync.toml", folder / "bakery.xlsx") as holder:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        result = run("sync", "-n", "bakery", "--today", TODAY.isoformat(), cwd=folder)
    assert result.returncode == 0, result.stderr


def test_one_lock_per_workbook_however_it_is_named(folder, monkeypatch):
    settings = load_settings(str(folder / "sheetsync.toml"))
    monkeypatch.chdir(folder)
    (folder / "link.xlsx").symlink_to(folder / "bakery.xlsx")
    bakery = lock_path(str(folder / "bakery.xlsx"), settings)
    assert lock_path("bakery.xlsx", settings) == bakery
    assert lock_path(str(folder / "link.xlsx"), settings) == bakery
    assert lock_path(str(folder / "gym.xlsx"), settings) != bakery
    (folder / "other").mkdir()
    assert lock_path(str(folder / "other" / "bakery.xlsx"), settings) != bakery
    assert bakery.parent == folder / "state" / "locks"
    assert bakery.name.startswith("bakery.xlsx-")
