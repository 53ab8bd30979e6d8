"""sheetsync's own memory: runs, the figures of every sync (snapshots), and the summaries sent.

One SQLite file (the standard library's sqlite3), in WAL mode so a `summary` can read while a
`sync` writes. The schema is versioned with `PRAGMA user_version` and moved forward by the
MIGRATIONS below, one step per version; a file written by a newer sheetsync is refused.

A snapshot's tactics are one row: their figures as one zlib-compressed JSON array (orjson).
The summary only ever reads a day's tactics whole, and 100,000 rows inserted one by one cost
a second a sync; one blob costs a few hundredths. A day's snapshot that already holds a sync's
figures is kept as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random

from sheetsync.config import Settings
from sheetsync.errors import StateError


def _tactics_as_one_row(db: sqlite3.Connection) -> None:
    """Schema 2: each snapshot's tactics move from a row each to one row (see the top).

    Written as schema 2 packs them, whatever later versions do: a later change of format
    is a step of its own.
    """
    db.execute(
        "CREATE TABLE tactic_figures ("
        "snapshot_id INTEGER PRIMARY KEY REFERENCES snapshots (id) ON DELETE CASCADE, "
        "figures BLOB NOT NULL)"
    )
    snapshots = [row[0] for row in db.execute("SELECT id FROM snapshots")]
    for snapshot_id in snapshots:
        rows = db.execute(
            "SELECT tactic_id, goal_id, status, spend, revenue, result, progress, roi "
            "FROM tactic_snapshots WHERE snapshot_id = ? ORDER BY rowid",
            (snapshot_id,),
        )
        figures = zlib.compress(orjson.dumps([tuple(row) for row in rows]), 1)
        db.execute("INSERT INTO tactic_figures VALUES (?, ?)", (snapshot_id, figures))
    db.execute("DROP TABLE tactic_snapshots")


# Each entry moves the schema from version i to i + 1: SQL statements, or a function for a step
# SQL cannot do alone. Never edit a shipped step: add one.
Migration = str | Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[Migration, ...] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        workbook TEXT NOT NULL,
        command TEXT NOT NULL,
        as_of TEXT NOT NULL,
        started TEXT NOT NULL,
        ended TEXT,
        outcome TEXT NOT NULL DEFAULT 'running',
        errors INTEGER,
        warnings INTEGER,
        goals INTEGER,
        tactics INTEGER,
        requests INTEGER,
        cells_written INTEGER,
        detail TEXT
    );
    CREATE INDEX runs_by_workbook ON runs (workbook, started);
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        workbook TEXT NOT NULL,
        as_of TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs (id),
        UNIQUE (workbook, as_of)
    );
    CREATE TABLE goal_snapshots (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        goal_key TEXT NOT NULL,
        goal_id TEXT NOT NULL,
        name TEXT,
        kpi TEXT,
        status TEXT,
        spend REAL,
        revenue REAL,
        current REAL,
        target REAL,
        progress REAL,
        roi REAL,
        budget REAL,
        PRIMARY KEY (snapshot_id, goal_key)
    );
    CREATE TABLE tactic_snapshots (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        tactic_key TEXT NOT NULL,
        tactic_id TEXT NOT NULL,
        goal_id TEXT,
        status TEXT,
        spend REAL,
        revenue REAL,
        result REAL,
        progress REAL,
        roi REAL,
        PRIMARY KEY (snapshot_id, tactic_key)
    );
    CREATE TABLE summaries (
        id INTEGER PRIMARY KEY,
        workbook TEXT NOT NULL,
        month TEXT NOT NULL,
        recipients TEXT NOT NULL,
        message_id TEXT NOT NULL,
        transport TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        outcome TEXT NOT NULL,
        detail TEXT,
        digest TEXT
    );
    CREATE INDEX summaries_by_month ON summaries (workbook, month, recipients);
    """,
    _tactics_as_one_row,
)
SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class GoalSnapshot:
    goal_id: str
    name: str | None
    kpi: str | None
    status: str | None
    spend: float | None
    revenue: float | None
    current: float | None
    target: float | None
    progress: float | None
    roi: float | None
    budget: float | None


class TacticSnapshot(NamedTuple):
    """A tuple, not a dataclass: a sync makes one per tactic, 100,000 at the largest.

    A sync hands the store plain tuples in this order (`TacticFigures`), made column by column.
    """

    tactic_id: str
    goal_id: str | None
    status: str | None
    spend: float | None
    revenue: float | None
    result: float | None
    progress: float | None
    roi: float | None


# A tactic's figures in TacticSnapshot's order; a TacticSnapshot is one too.
TacticFigures = tuple[
    str,
    str | None,
    str | None,
    float | None,
    float | None,
    float | None,
    float | None,
    float | None,
]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every goal's and tactic's figures as one day's last sync computed them."""

    as_of: dt.date
    goals: dict[str, GoalSnapshot]  # casefolded Goal ID -> figures
    tactics: dict[str, TacticSnapshot]  # casefolded Tactic ID -> figures


@dataclass(frozen=True, slots=True)
class RunCounts:
    """What a run counted, its fields in the order of the runs table's columns."""

    errors: int
    warnings: int
    goals: int
    tactics: int
    cells_written: int | None = None
    requests: int | None = None


@dataclass(frozen=True, slots=True)
class SendRecord:
    """One attempt to deliver a month's summary to one recipient list."""

    id: int
    month: str
    recipients: str
    message_id: str
    transport: str
    started: dt.datetime
    finished: dt.datetime | None
    outcome: str  # "sending" (intent recorded, outcome not yet), "sent" or "failed"
    detail: str | None
    digest: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": (self.finished or self.started).isoformat(timespec="seconds"),
            "to": self.addressed("to"),
            "cc": self.addressed("cc"),
            "message_id": self.message_id,
            "transport": self.transport,
            "outcome": self.outcome,
        }

    @property
    def people(self) -> str:
        """The recipient list as a person reads it: "owner@example.com, cc boss@example.com"."""
        return ", ".join(self.addressed("to") + [f"cc {a}" for a in self.addressed("cc")])

    def addressed(self, field: str) -> list[str]:
        """The addresses of one header ("to" or "cc") of the recipient list's key."""
        prefix = f"{field}:"
        return [p[len(prefix) :] for p in self.recipients.split(", ") if p.startswith(prefix)]


def default_state_path() -> Path:
    """The user data folder (platformdirs), used when `[state] path` is not set."""
    from platformdirs import user_data_path

    return user_data_path("sheetsync", appauthor=False) / "state.db"


def state_path(settings: Settings) -> Path:
    return Path(settings.state.path) if settings.state.path else default_state_path()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _use_write_ahead_log(db: sqlite3.Connection) -> None:
    """Readers and one writer at once (cron beside the worker). When processes open a new store
    at the same moment, SQLite can refuse the switch at once ("database is locked") without
    waiting as the busy timeout asks, so the switch is tried again for as long."""
    for attempt in Retrying(
        retry=retry_if_exception(_is_locked),
        stop=stop_after_delay(BUSY_TIMEOUT_SECONDS),
        wait=wait_random(0.01, 0.1),
        reraise=True,
    ):
        with attempt:
            db.execute("PRAGMA journal_mode = WAL")


def _is_locked(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


class StateStore:
    """The state store file, opened and migrated; one connection, used from one thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            _use_write_ahead_log(self._db)
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise StateError(
                f"The state store {path} cannot be used ({error}). Point [state] path at "
                "another file, or move this one away to start afresh."
            ) from None
        except OSError as error:
            raise StateError(
                f"The state store {path} cannot be created ({error.strerror}). Set [state] path "
                "to a file in a folder you can write to."
            ) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: the write lock is taken at once, so two processes never interleave."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"The state store {self.path} was written by a newer sheetsync (schema "
                    f"version {version}; this one knows up to {SCHEMA_VERSION}). Upgrade "
                    "sheetsync, or point [state] path at another file."
                )
            for step in range(version, SCHEMA_VERSION):
                _run_migration(db, MIGRATIONS[step])
            if version != SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # --- runs -----------------------------------------------------------------------------

    def start_run(
        self, workbook: str, command: str, as_of: dt.date, started: dt.datetime | None = None
    ) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (workbook, command, as_of, started) VALUES (?, ?, ?, ?)",
                (workbook, command, as_of.isoformat(), (started or now_utc()).isoformat()),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self, run_id: int, outcome: str, counts: RunCounts | None = None, detail: str = ""
    ) -> None:
        counts = counts or RunCounts(0, 0, 0, 0)
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET ended = ?, outcome = ?, errors = ?, warnings = ?, goals = ?, "
                "tactics = ?, cells_written = ?, requests = ?, detail = ? WHERE id = ?",
                (
                    now_utc().isoformat(),
                    outcome,
                    *astuple(counts),
                    detail or None,
                    run_id,
                ),
            )

    def first_run_started(self, workbook: str) -> dt.datetime | None:
        """When sheetsync first ran on the workbook (the worker's summary catch-up asks)."""
        row = self._db.execute(
            "SELECT MIN(started) FROM runs WHERE workbook = ?", (workbook,)
        ).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def runs(self, workbook: str, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT * FROM runs WHERE workbook = ? ORDER BY id DESC LIMIT ?", (workbook, limit)
        )
        return [dict(row) for row in rows]

    # --- snapshots ------------------------------------------------------------------------

    def record_snapshot(
        self,
        workbook: str,
        run_id: int,
        as_of: dt.date,
        goals: Sequence[GoalSnapshot],
        tactics: Sequence[TacticFigures],
    ) -> None:
        """Keep the day's figures; a later sync of the same day replaces them."""
        with self.transaction() as db:
            _keep_snapshot(db, workbook, run_id, as_of, goals, tactics)

    def record_sync(
        self,
        workbook: str,
        as_of: dt.date,
        started: dt.datetime,
        counts: RunCounts,
        goals: Sequence[GoalSnapshot],
        tactics: Sequence[TacticFigures],
    ) -> int:
        """A sync that ended well and the day's figures, in one transaction (one disk sync,
        and never a run left "running" by a snapshot that failed); returns the run's id."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (workbook, command, as_of, started, ended, outcome, errors, "
                "warnings, goals, tactics, cells_written, requests) "
                "VALUES (?, 'sync', ?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?)",
                (
                    workbook,
                    as_of.isoformat(),
                    started.isoformat(),
                    now_utc().isoformat(),
                    *astuple(counts),
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            _keep_snapshot(db, workbook, run_id, as_of, goals, tactics)
        return run_id

    def snapshot_days(self, workbook: str) -> list[dt.date]:
        """The days with a snapshot, oldest first."""
        rows = self._db.execute(
            "SELECT as_of FROM snapshots WHERE workbook = ? ORDER BY as_of", (workbook,)
        )
        return [dt.date.fromisoformat(row[0]) for row in rows]

    def snapshot(self, workbook: str, as_of: dt.date, with_tactics: bool = True) -> Snapshot:
        """The snapshot of one day (one of `snapshot_days`)."""
        found = self._db.execute(
            "SELECT id FROM snapshots WHERE workbook = ? AND as_of = ?",
            (workbook, as_of.isoformat()),
        ).fetchone()
        if found is None:
            return Snapshot(as_of, {}, {})
        goals = {
            row[0]: GoalSnapshot(*row[1:])
            for row in self._tuples("goal_snapshots", "goal_key", _GOAL_COLUMNS, found[0])
        }
        tactics = self._tactics(found[0]) if with_tactics else {}
        return Snapshot(as_of, goals, tactics)

    def _tactics(self, snapshot_id: int) -> dict[str, TacticSnapshot]:
        row = self._db.execute(
            "SELECT figures FROM tactic_figures WHERE snapshot_id = ?", (snapshot_id,)
        ).fetchone()
        return _unpacked(row[0]) if row else {}

    def _tuples(
        self, table: str, key: str, columns: tuple[str, ...], snapshot_id: int
    ) -> sqlite3.Cursor:
        """Plain tuples, key first: 10,000 tactic rows load in half the time of named rows."""
        cursor = self._db.cursor()
        cursor.row_factory = None
        return cursor.execute(
            f"SELECT {key}, {', '.join(columns)} FROM {table} WHERE snapshot_id = ?",
            (snapshot_id,),
        )

    def goal_history(self, workbook: str, until: dt.date) -> list[tuple[dt.date, str, float]]:
        """(day, casefolded Goal ID, Current) of every snapshot up to `until`, oldest first."""
        rows = self._db.execute(
            "SELECT s.as_of, g.goal_key, g.current FROM snapshots s "
            "JOIN goal_snapshots g ON g.snapshot_id = s.id "
            "WHERE s.workbook = ? AND s.as_of <= ? AND g.current IS NOT NULL ORDER BY s.as_of",
            (workbook, until.isoformat()),
        )
        return [(dt.date.fromisoformat(row[0]), row[1], float(row[2])) for row in rows]

    # --- summaries sent -------------------------------------------------------------------

    def sends(self, workbook: str, month: str, recipients: str) -> list[SendRecord]:
        """Every attempt for this month and recipient list, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM summaries WHERE workbook = ? AND month = ? AND recipients = ? "
            "ORDER BY id",
            (workbook, month, recipients),
        )
        return [_send_record(row) for row in rows]

    def last_sent(self, workbook: str, before_month: str) -> SendRecord | None:
        """The latest summary delivered for an earlier month (any recipients)."""
        row = self._db.execute(
            "SELECT * FROM summaries WHERE workbook = ? AND month < ? AND outcome = 'sent' "
            "ORDER BY month DESC, id DESC LIMIT 1",
            (workbook, before_month),
        ).fetchone()
        return _send_record(row) if row else None

    def record_intent(
        self,
        db: sqlite3.Connection,
        workbook: str,
        month: str,
        recipients: str,
        message_id: str,
        transport: str,
        digest: dict[str, Any],
    ) -> int:
        """Write down that a send is about to start (inside the caller's transaction)."""
        cursor = db.execute(
            "INSERT INTO summaries (workbook, month, recipients, message_id, transport, started, "
            "outcome, digest) VALUES (?, ?, ?, ?, ?, ?, 'sending', ?)",
            (
                workbook,
                month,
                recipients,
                message_id,
                transport,
                now_utc().isoformat(),
                json.dumps(digest, ensure_ascii=False),
            ),
        )
        return int(cursor.lastrowid or 0)

    def record_outcome(self, send_id: int, outcome: str, detail: str = "") -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE summaries SET outcome = ?, finished = ?, detail = ? WHERE id = ?",
                (outcome, now_utc().isoformat(), detail or None, send_id),
            )


_GOAL_COLUMNS = (
    "goal_id",
    "name",
    "kpi",
    "status",
    "spend",
    "revenue",
    "current",
    "target",
    "progress",
    "roi",
    "budget",
)


def _run_migration(db: sqlite3.Connection, step: Migration) -> None:
    if callable(step):
        step(db)
        return
    for statement in step.split(";"):
        if statement.strip():
            db.execute(statement)


def _keep_snapshot(
    db: sqlite3.Connection,
    workbook: str,
    run_id: int,
    as_of: dt.date,
    goals: Sequence[GoalSnapshot],
    tactics: Sequence[TacticFigures],
) -> None:
    """The day's figures, replacing that day's earlier snapshot (inside the caller's transaction).

    One snapshot a day, not one a sync: cron every 30 minutes over 10,000 tactics would
    otherwise add half a million rows a day, and month figures only need days. When the day's
    snapshot already holds these very figures (a sync that found nothing changed), only its run
    is updated: the figures are not compressed and written again.
    """
    day = as_of.isoformat()
    rows = _goal_rows(goals)
    figures = orjson.dumps(tactics, default=tuple)  # a TacticSnapshot is not a plain tuple
    found = db.execute(
        "SELECT id FROM snapshots WHERE workbook = ? AND as_of = ?", (workbook, day)
    ).fetchone()
    if found is not None and _holds(db, found[0], rows, figures):
        db.execute("UPDATE snapshots SET run_id = ? WHERE id = ?", (run_id, found[0]))
        return
    db.execute("DELETE FROM snapshots WHERE workbook = ? AND as_of = ?", (workbook, day))
    snapshot_id = db.execute(
        "INSERT INTO snapshots (workbook, as_of, run_id) VALUES (?, ?, ?)", (workbook, day, run_id)
    ).lastrowid
    db.executemany(
        f"INSERT INTO goal_snapshots VALUES (?, {', '.join('?' * 12)})",
        [(snapshot_id, *row) for row in rows],
    )
    # zlib level 1, the quickest: a third of the size (10,000 tactics: 593 kB -> 189 kB).
    db.execute("INSERT INTO tactic_figures VALUES (?, ?)", (snapshot_id, zlib.compress(figures, 1)))


def _goal_rows(goals: Sequence[GoalSnapshot]) -> list[tuple[Any, ...]]:
    """Each goal as its goal_snapshots row, key first; a repeated ID keeps its first row, as
    the engine does (SS203 flags the rest)."""
    rows: dict[str, tuple[Any, ...]] = {}
    for goal in goals:
        rows.setdefault(
            goal.goal_id.casefold(),
            (goal.goal_id.casefold(), goal.goal_id, goal.name, goal.kpi, goal.status)
            + (goal.spend, goal.revenue, goal.current, goal.target, goal.progress, goal.roi)
            + (goal.budget,),
        )
    return list(rows.values())


def _holds(
    db: sqlite3.Connection, snapshot_id: int, goal_rows: list[tuple[Any, ...]], figures: bytes
) -> bool:
    """Whether the snapshot holds these goal rows and these tactic figures (before compression).

    Equal rows store the same: a REAL column keeps a whole number as the float it equals.
    """
    cursor = db.cursor()
    cursor.row_factory = None  # plain tuples, to compare with the rows as they would be written
    stored = cursor.execute(
        f"SELECT goal_key, {', '.join(_GOAL_COLUMNS)} FROM goal_snapshots "
        "WHERE snapshot_id = ? ORDER BY rowid",
        (snapshot_id,),
    ).fetchall()
    if stored != goal_rows:
        return False
    blob = cursor.execute(
        "SELECT figures FROM tactic_figures WHERE snapshot_id = ?", (snapshot_id,)
    ).fetchone()
    return blob is not None and zlib.decompress(blob[0]) == figures


def _unpacked(blob: bytes) -> dict[str, TacticSnapshot]:
    """Casefolded Tactic ID -> figures; a repeated ID keeps its first row, as the engine does
    (SS203 flags the rest)."""
    tactics: dict[str, TacticSnapshot] = {}
    for row in orjson.loads(zlib.decompress(blob)):
        tactics.setdefault(row[0].casefold(), TacticSnapshot(*row))
    return tactics


def _send_record(row: sqlite3.Row) -> SendRecord:
    return SendRecord(
        id=row["id"],
        month=row["month"],
        recipients=row["recipients"],
        message_id=row["message_id"],
        transport=row["transport"],
        started=dt.datetime.fromisoformat(row["started"]),
        finished=dt.datetime.fromisoformat(row["finished"]) if row["finished"] else None,
        outcome=row["outcome"],
        detail=row["detail"],
        digest=json.loads(row["digest"]) if row["digest"] else None,
    )
