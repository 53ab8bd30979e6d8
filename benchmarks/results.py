"""What a suite reports, and the Markdown table it ends up in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """A goal from the issue, and whether this run met it."""

    text: str  # e.g. "≥ 50,000 rows/s"
    met: bool


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    tactics: int
    case: str
    seconds: float | None = None
    rows_per_second: float | None = None
    peak_rss: int | None = None  # bytes
    compared: str = ""  # e.g. "2.10× calamine read"
    targets: tuple[Target, ...] = ()
    notes: str = ""
    requests: int | None = None  # HTTP requests, for remote backends


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    @property
    def missed(self) -> list[tuple[Row, Target]]:
        return [(row, target) for row in self.rows for target in row.targets if not target.met]


HEADERS = (
    "Tactics",
    "Case",
    "Time",
    "Tactic rows/s",
    "Peak RSS",
    "Requests",
    "vs floor",
    "Target",
    "Notes",
)


def markdown_table(rows: Iterable[Row]) -> str:
    rows = list(rows)
    show_requests = any(row.requests is not None for row in rows)
    headers = [h for h in HEADERS if show_requests or h != "Requests"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        cells = [
            f"{row.tactics:,}",
            row.case,
            _seconds(row.seconds),
            _rate(row.rows_per_second),
            _megabytes(row.peak_rss),
            "" if row.requests is None else str(row.requests),
            row.compared,
            _targets(row.targets),
            row.notes,
        ]
        if not show_requests:
            del cells[5]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _megabytes(value: int | None) -> str:
    return "" if value is None else f"{value / 2**20:,.0f} MiB"


def _targets(targets: tuple[Target, ...]) -> str:
    return "; ".join(f"{t.text}: {'met' if t.met else '**missed**'}" for t in targets)
