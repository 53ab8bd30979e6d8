"""Generated workbooks: a believable marketing plan of any size, with a few deliberate findings.

One goal per 20 tactics, ten calendar events. Values are mixed the way people type them:
mostly date, money and percent cells, with some text such as "$1,200.50", "45%", "done" and
"2026-03-01". About one tactic in a hundred carries a deliberate mistake (unknown goal, blank
cell, bad date, repeated ID...), and a few are overdue, so `check` has findings to report and
`sync` has Issues and a Checks tab to write.

Files are cached under benchmarks/.data/ by size and GENERATOR_VERSION; bump the version
whenever the generated content changes, so stale files are not reused.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sheetsync.schema import PLAN

GENERATOR_VERSION = 1
TODAY = dt.date(2026, 6, 15)  # every run checks "as of" this date, so results are repeatable
TACTICS_PER_GOAL = 20
EVENTS = 10
DATA_DIR = Path(__file__).resolve().parent / ".data"

STRATEGY_HEADERS = (
    "Goal ID",
    "Business Goal",
    "Marketing Goal",
    "Offering",
    "Audience",
    "Channels",
    "Competitors",
    "Differentiator",
    "KPI",
    "Target",
    "Budget",
    "Start",
    "End",
    "Owner",
    "Reviewed",
)
# "Notes" is the user's own column: sync must leave it alone, and it makes the file realistic.
PLAN_HEADERS = tuple(column.header for column in PLAN.inputs) + ("Notes",)
CALENDAR_HEADERS = ("Event", "Date", "Goal IDs", "Lead Days")

CHANNELS = (
    "Email",
    "Instagram",
    "LinkedIn",
    "Google Ads",
    "Website",
    "Trade show",
    "In-store",
    "Local press",
    "Facebook",
    "Podcast",
)
OWNERS = ("Maya Okafor", "Sam Reyes", "Priya Shah", "Ben Alvarez", "Cleo Martin", "Ana Lima")
ACTIVITIES = (
    "Newsletter feature",
    "Paid search burst",
    "Trade show booth",
    "Customer case study",
    "Instagram giveaway",
    "Partner webinar",
    "Local radio spot",
    "Retargeting campaign",
    "Landing page refresh",
    "Referral offer",
    "Flyer drop",
    "Press release",
)
MONEY_FORMAT = '"$"#,##0.00'
PERCENT_FORMAT = "0%"
DATE_FORMAT = "yyyy-mm-dd"

# Deliberate mistakes, per 1,000 tactics: rule code -> how many.
MISTAKES_PER_1000 = {
    "SS300": 1,  # blank Goal ID
    "SS301": 2,  # Goal ID not in Strategy
    "SS200": 1,  # blank Activity
    "SS201": 1,  # a Due that is not a date
    "SS202": 1,  # a Budget that is not an amount
    "SS203": 1,  # a repeated Tactic ID
    "SS204": 1,  # Due before Start
    "SS304": 2,  # a channel the goal did not choose
    "SS306": 2,  # spend over budget
    "SS307": 8,  # overdue and not done
}


@dataclass
class Grids:
    """The three tabs as rows of Python values, header first."""

    strategy: list[list[Any]] = field(default_factory=list)
    plan: list[list[Any]] = field(default_factory=list)
    calendar: list[list[Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[list[Any]]]:
        return {"Strategy": self.strategy, "Plan": self.plan, "Calendar": self.calendar}


@dataclass(frozen=True)
class _Goal:
    goal_id: str
    start: dt.date
    end: dt.date
    channels: tuple[str, ...]
    kpi: str


def workbook_file(tactics: int, *, neglected: bool = False) -> Path:
    """Where the generated workbook of this size is cached."""
    kind = "-neglected" if neglected else ""
    return DATA_DIR / f"tactics-{tactics}{kind}-v{GENERATOR_VERSION}.xlsx"


def workbook_path(tactics: int, *, neglected: bool = False) -> Path:
    """The cached generated workbook of this size (neglected: see `neglect`), made on first use."""
    path = workbook_file(tactics, neglected=neglected)
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        grids = generate(tactics)
        write_xlsx(neglect(grids, tactics) if neglected else grids, path)
    return path


def generate(tactics: int) -> Grids:
    """A workbook of `tactics` tactic rows, the same every time for the same size."""
    rng = random.Random(tactics)
    goal_count = max(1, tactics // TACTICS_PER_GOAL)
    goals = [_make_goal(rng, number) for number in range(1, goal_count + 1)]
    mistakes = _mistake_rows(rng, tactics)
    grids = Grids(plan=[list(PLAN_HEADERS)], calendar=[list(CALENDAR_HEADERS)])
    budgets: dict[str, float] = {}
    results: dict[str, float] = {}
    for index in range(tactics):
        goal = goals[index // TACTICS_PER_GOAL % goal_count]
        row, budget, result = _tactic_row(rng, index + 1, goal, mistakes.get(index))
        grids.plan.append(row)
        budgets[goal.goal_id] = budgets.get(goal.goal_id, 0.0) + budget
        results[goal.goal_id] = results.get(goal.goal_id, 0.0) + result
    grids.strategy = [list(STRATEGY_HEADERS)]
    grids.strategy += [_goal_row(rng, goal, budgets, results) for goal in goals]
    # One goal nobody planned for (SS302), and one not reviewed for over a year (SS311).
    spare = _make_goal(rng, goal_count + 1)
    grids.strategy.append(_goal_row(rng, spare, {}, {}))
    grids.strategy[1][14] = TODAY - dt.timedelta(days=400)
    grids.calendar += list(_events(rng, goals))
    return grids


# How a plan nobody kept up looks, per tactic row: the chance of each kind of drift.
NEGLECT = {
    "progress never updated": 0.9,  # so every tactic whose Due passed is overdue (SS307)
    "channel changed on the fly": 0.75,  # SS304
    "spent past its budget": 0.4,  # SS306
    "moved past its goal's end": 0.15,  # SS303
    "left over from before its goal": 0.3,  # SS303, and overdue
}


def neglect(grids: Grids, tactics: int) -> Grids:
    """The same plan after months nobody kept it up: about two findings per tactic."""
    rng = random.Random(-tactics)
    column = {header: index for index, header in enumerate(PLAN_HEADERS)}
    rows = [grids.plan[0]]
    for original in grids.plan[1:]:
        row = list(original)
        if rng.random() < NEGLECT["progress never updated"]:
            row[column["Progress"]] = None
        if rng.random() < NEGLECT["channel changed on the fly"]:
            row[column["Channel"]] = rng.choice(("TikTok", "Billboard", "Radio"))
        budget = plain_value(row[column["Budget"]])
        if isinstance(budget, float) and rng.random() < NEGLECT["spent past its budget"]:
            row[column["Spend"]] = _Formatted(round(budget * 1.3, 2), MONEY_FORMAT)
        if rng.random() < NEGLECT["moved past its goal's end"]:
            row[column["Due"]] = TODAY + dt.timedelta(days=rng.randint(400, 500))
        elif rng.random() < NEGLECT["left over from before its goal"]:
            row[column["Start"]] = TODAY - dt.timedelta(days=rng.randint(400, 500))
            row[column["Due"]] = TODAY - dt.timedelta(days=rng.randint(300, 390))
        rows.append(row)
    return Grids(grids.strategy, rows, grids.calendar)


def _make_goal(rng: random.Random, number: int) -> _Goal:
    start = TODAY - dt.timedelta(days=rng.randint(120, 330))
    end = TODAY + dt.timedelta(days=rng.randint(120, 330))
    channels = tuple(rng.sample(CHANNELS, 4))
    kpi = "Revenue" if number % 5 == 0 else "Qualified leads"
    return _Goal(f"G{number}", start, end, channels, kpi)


def _goal_row(
    rng: random.Random, goal: _Goal, budgets: dict[str, float], results: dict[str, float]
) -> list[Any]:
    # Budget and target leave headroom, so a healthy goal raises no SS305 or SS308.
    budget = round(budgets.get(goal.goal_id, 5000.0) * 1.25, -2)
    target = max(100, round(results.get(goal.goal_id, 0.0) * 1.6, -1))
    channels = ", ".join(goal.channels) if rng.random() < 0.8 else "; ".join(goal.channels)
    reviewed = TODAY - dt.timedelta(days=rng.randint(10, 200))
    return [
        goal.goal_id,
        f"Grow segment {goal.goal_id[1:]} revenue 20%",
        f"Win {target:g} {goal.kpi.casefold()}",
        "Catering and online orders",
        "Office managers within 5 miles",
        channels,
        "Corner Deli Co.",
        "Baked on site from local flour",
        goal.kpi,
        target,
        _money(rng, budget),
        goal.start,
        goal.end,
        rng.choice(OWNERS),
        reviewed,
    ]


def _mistake_rows(rng: random.Random, tactics: int) -> dict[int, str]:
    """Row index -> the rule its deliberate mistake triggers; at least one of each."""
    mistakes: dict[int, str] = {}
    for code, per_1000 in MISTAKES_PER_1000.items():
        for _ in range(max(1, per_1000 * tactics // 1000)):
            mistakes[rng.randrange(1, tactics)] = code  # never row 0: SS203 repeats its neighbour
    return mistakes


def _tactic_row(
    rng: random.Random, number: int, goal: _Goal, mistake: str | None
) -> tuple[list[Any], float, float]:
    """One Plan row, its budget and what it counts toward its goal's KPI."""
    start = goal.start + dt.timedelta(days=rng.randint(0, (goal.end - goal.start).days - 100))
    due = start + dt.timedelta(days=rng.randint(14, 90))
    progress = _progress(rng, start, due)
    budget = float(rng.randrange(200, 5000, 50))
    spend = round(budget * progress * rng.uniform(0.6, 1.0), 2)
    revenue = round(spend * rng.uniform(0.5, 4.0), 2) if rng.random() < 0.7 else None
    result = round(40 * progress * rng.uniform(0.5, 1.5)) if goal.kpi != "Revenue" else None
    # What the row adds to its goal's Current: its Result, or its Revenue for a revenue KPI.
    counted = float(result if result is not None else revenue or 0.0)
    row: list[Any] = [
        f"T{number}",
        goal.goal_id,
        rng.choice(ACTIVITIES),
        rng.choice(goal.channels),
        rng.choice(OWNERS),
        _date(rng, start),
        _date(rng, due),
        _money(rng, budget),
        _money(rng, spend),
        _money(rng, revenue) if revenue is not None else None,
        result,
        _percent(rng, progress),
        "Check with the agency" if rng.random() < 0.3 else None,
    ]
    if mistake:
        _make_mistake(row, mistake, number)
    return row, budget, counted


def _progress(rng: random.Random, start: dt.date, due: dt.date) -> float:
    if due < TODAY:
        return 1.0
    if start > TODAY:
        return 0.0
    elapsed = (TODAY - start).days / (due - start).days
    return round(min(1.0, max(0.0, elapsed + rng.uniform(-0.05, 0.15))), 2)


def _make_mistake(row: list[Any], code: str, number: int) -> None:
    """Turn a healthy Plan row into one that triggers rule `code`."""
    if code == "SS300":
        row[1] = None
    elif code == "SS301":
        row[1] = "G0"
    elif code == "SS200":
        row[2] = None
    elif code == "SS201":
        row[6] = "next Tuesday"
    elif code == "SS202":
        row[7] = "about 300"
    elif code == "SS203":
        row[0] = f"T{number - 1}"
    elif code == "SS204":
        row[5], row[6] = TODAY + dt.timedelta(days=40), TODAY + dt.timedelta(days=10)
    elif code == "SS304":
        row[3] = "TikTok"
    elif code == "SS306":
        row[7], row[8] = 500.0, 820.0
    elif code == "SS307":
        row[5], row[6] = TODAY - dt.timedelta(days=60), TODAY - dt.timedelta(days=5)
        row[11] = 0.6


def _date(rng: random.Random, day: dt.date) -> Any:
    """Mostly a date cell; sometimes the text people paste."""
    draw = rng.random()
    if draw < 0.03:
        return day.isoformat()
    if draw < 0.04:
        return f"{day:%b} {day.day}, {day.year}"
    return day


def _money(rng: random.Random, amount: float) -> Any:
    if rng.random() < 0.05:
        return f"${amount:,.2f}"
    return _Formatted(amount, MONEY_FORMAT)


def _percent(rng: random.Random, fraction: float) -> Any:
    draw = rng.random()
    if fraction >= 1.0 and draw < 0.2:
        return "done"
    if draw < 0.05:
        return f"{fraction:.0%}"
    return _Formatted(fraction, PERCENT_FORMAT)


def _events(rng: random.Random, goals: list[_Goal]) -> Iterator[list[Any]]:
    """Ten events around today; the last names a goal that does not exist (SS310)."""
    for number in range(1, EVENTS + 1):
        day = TODAY + dt.timedelta(days=rng.randint(-90, 200))
        named = [goal.goal_id for goal in rng.sample(goals, min(2, len(goals)))]
        if number == EVENTS:
            named = ["G0"]
        yield [f"Industry event {number}", day, ", ".join(named), rng.choice((14, 30, 45))]


@dataclass(frozen=True)
class _Formatted:
    """A number and the format the cell shows it in (money, percent)."""

    value: float
    number_format: str


def plain_value(value: Any) -> Any:
    """The cell value without its format, as a reader would see it."""
    return value.value if isinstance(value, _Formatted) else value


def plain_grids(grids: Grids) -> dict[str, list[list[Any]]]:
    """The tabs as plain values, e.g. for a MemoryBackend."""
    return {
        name: [[plain_value(value) for value in row] for row in rows]
        for name, rows in grids.as_dict().items()
    }


def write_xlsx(grids: Grids, path: Path) -> None:
    """Save as a real .xlsx with date, money and percent formats; atomic, so a killed run
    leaves no half-written cache file."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streams rows: 100 k tactics fit in little memory
    for name, rows in grids.as_dict().items():
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
    partial = path.with_suffix(".partial")
    book.save(partial)
    os.replace(partial, path)


def _cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, _Formatted):
        cell = WriteOnlyCell(sheet, value=value.value)
        cell.number_format = value.number_format
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value
