"""The rule catalog (SPEC 3): one small function per code, documented like a linter's rules.

A rule function looks at the model and yields `Hit`s (where, and the facts for its
message); `run_checks` turns hits into `Finding`s carrying the rule's code, name,
severity and wording, which fills the message and hint when they are shown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import attrgetter
from typing import Any, NamedTuple

from sheetsync.amounts import apart, difference, points
from sheetsync.compute import GoalFigures, event_is_prepared, is_overspent, preparation_window
from sheetsync.findings import (
    SEVERITY_ORDER,
    FindingColumns,
    Findings,
    Hits,
    Severity,
    Template,
    Wording,
)
from sheetsync.lookalikes import lookalikes
from sheetsync.model import Event, Goal, Model, TabLayout, Tactic
from sheetsync.schema import CURRENT_SOURCES, INPUT_TABS, OWNED_TABS, REQUIRED_TABS
from sheetsync.workbook import a1, column_letter


class Hit(NamedTuple):
    """Where a rule fired, and the facts its message and hint are filled with (a named tuple,
    like Finding, because there is one per finding)."""

    tab: str
    cell: str | None
    row: int | None
    row_id: str | None
    facts: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CheckContext:
    model: Model
    today: dt.date
    at_risk_points: float
    stale_after_days: int
    lead_days: int
    figures: Mapping[str, GoalFigures]  # by goal ID, case-folded
    goals_by_id: Mapping[str, Goal]  # case-folded ID -> its first row
    tactics_by_goal: Mapping[str, list[Tactic]]  # case-folded goal ID -> its tactics
    # Case-folded goal ID -> the cells of its tactics that did not read ("plan.spend"), for the
    # goals with any: a sum over an unreadable Spend is unknown, not short of it.
    unread_by_goal: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def unread(self, role: str, row: int) -> frozenset[str]:
        """The cells of a row that did not read: no rule treats them as blank or 0."""
        return self.model.unread_cells(role, row)

    def rows_unread(self, *cells: str) -> frozenset[int]:
        """The rows of a tab where one of these cells ("plan.progress") did not read."""
        role = cells[0].partition(".")[0]
        return frozenset(
            row
            for (tab, row), unread in self.model.unread_by_row.items()
            if tab == role and not unread.isdisjoint(cells)
        )

    def goal_unread(self, goal: Goal) -> frozenset[str]:
        return self.unread_by_goal.get((goal.goal_id or "").casefold(), frozenset())

    def unread_due(self, event: Event) -> frozenset[str]:
        """{"plan.due"} when a tactic that could prepare the event has a Due that did not read."""
        if event.goal_ids:
            candidates = [
                t for g in event.goal_ids for t in self.tactics_by_goal.get(g.casefold(), ())
            ]
        else:
            candidates = list(self.model.tactics)
        due = "plan.due"
        return (
            frozenset((due,))
            if any(due in self.unread("plan", t.row) for t in candidates)
            else frozenset()
        )

    def layout(self, role: str) -> TabLayout | None:
        """The tab a rule may look at: none when it did not read, so no rule fires on guesses
        (a Plan that did not read is not "goal without tactics")."""
        return self.model.readable(role)


# A rule yields its hits one by one, or as columns where it fires on every row of a tab.
RuleCheck = Callable[[CheckContext], Iterator[Hit | Hits]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    message: str  # a template filled with the hit's facts
    hint: str  # the fix, a template too
    what: str
    why: str
    example: str
    check: RuleCheck
    wording: Wording  # message and hint, made ready to fill


CATALOG: dict[str, Rule] = {}

# Cells whose value, when it did not read, leaves a comparison unknown.
_MONEY_READ = frozenset({"plan.budget", "plan.spend"})
_CURRENT_READ = frozenset(CURRENT_SOURCES)


def rule(
    code: str,
    name: str,
    severity: Severity,
    *,
    message: str,
    hint: str,
    what: str,
    why: str,
    example: str,
    figures: tuple[str, ...] = (),
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule function in the catalog under its code. `figures` names the facts that
    are figures, shown side by side (amounts.apart) when a message is."""

    def register(check: RuleCheck) -> RuleCheck:
        wording = Wording(Template.parse(message, capitalized=True), Template.parse(hint), figures)
        CATALOG[code] = Rule(
            code, name, severity, message, hint, what, why, example, check, wording
        )
        return check

    return register


def at(layout: TabLayout, key: str, row: int, row_id: str | None, **facts: Any) -> Hit:
    """A hit on the cell of column `key` in `row`."""
    return Hit(layout.name, layout.cell(key, row), row, row_id, facts)


def run_checks(
    context: CheckContext,
    ignore: tuple[str, ...] = (),
    severity: Mapping[str, Severity] | None = None,
) -> Findings:
    """Every finding of every rule not ignored, errors first, then by tab, row and code."""
    regrade = severity or {}
    tab_order = {name.casefold(): index for index, name in enumerate(_tab_names(context.model))}
    parts: list[FindingColumns] = []
    places: list[int] = []
    for code in sorted(CATALOG):  # by code, so a sort by place keeps codes in order
        if code in ignore:
            continue
        entry = CATALOG[code]
        grade = regrade.get(code, entry.severity)
        for hits in _as_columns(entry.check(context)):
            parts.append(FindingColumns(code, entry.name, grade, entry.wording, hits))
            order = tab_order.get(hits.tab.casefold(), _OTHER_TAB)
            start = _place(SEVERITY_ORDER[grade], order)
            places += [start + (row or 0) for row in hits.rows]
    return Findings(parts, places)


def _as_columns(found: Iterable[Hit | Hits]) -> Iterator[Hits]:
    """A rule's hits as columns, in the order it made them: a run of single hits on one tab
    with the same facts becomes one `Hits`."""
    run: list[Hit] = []
    for item in found:
        if isinstance(item, Hit):
            if run and (item.tab != run[0].tab or item.facts.keys() != run[0].facts.keys()):
                yield _columns(run)
                run = []
            run.append(item)
        elif item.rows:
            if run:
                yield _columns(run)
                run = []
            yield item
    if run:
        yield _columns(run)


def _columns(run: list[Hit]) -> Hits:
    _, cells, rows, row_ids, facts = zip(*run, strict=True)
    columns = {name: [one[name] for one in facts] for name in run[0].facts}
    return Hits(run[0].tab, cells, rows, row_ids, columns)


_OTHER_TAB = 9  # a tab that is not an input tab (an owned tab's name taken) comes last
_ROWS = 1 << 32  # more rows than a sheet holds


def _place(rank: int, tab: int) -> int:
    """Where the findings of a severity on a tab are listed, as one number their rows are added
    to (errors first, then by tab, then by row): a neglected plan sorts tens of thousands, and
    numbers compare faster than tuples."""
    return (rank * (_OTHER_TAB + 1) + tab) * _ROWS


def _tab_names(model: Model) -> list[str]:
    names = []
    for schema in INPUT_TABS:
        layout = model.layout(schema.role)
        names.append(layout.name if layout else model.tab_names.get(schema.role, ""))
    return names


def _ids(goals: Mapping[str, Goal], limit: int = 6) -> str:
    names = [goal.goal_id or "" for goal in goals.values()]
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "") or "none yet"


# ---- SS1xx: the shape of the workbook ------------------------------------------------


@rule(
    "SS100",
    "missing-tab",
    "error",
    message="The workbook has no {tab} tab{seen}.",
    hint='Rename the tab that holds it{alike} to "{tab}", or set its name in the config: [tabs] '
    '{key} = "{name}". `sheetsync init` makes a workbook with every tab.',
    what="A required tab (Strategy or Plan) is absent.",
    why="Without the strategy there is nothing to align the plan with, and without the plan "
    "nothing carries the strategy out. Nothing that depends on the missing tab is written.",
    example='The workbook has tabs "Strategy" and "Marketing Plan" but no "Plan".',
)
def missing_tab(context: CheckContext) -> Iterator[Hit]:
    for schema in REQUIRED_TABS:
        if context.model.layout(schema.role) is None:
            name = context.model.tab_names.get(schema.role, schema.default_name)
            alike = context.model.look_alikes.get(schema.role)
            chart = context.model.charts_named_like.get(schema.role)
            seen = f' ("{alike}" looks like it)' if alike else ""
            if chart is not None:
                seen = f' ("{chart}" is a chart on a sheet of its own, with no cells; rename it)'
            facts = {
                "tab": name,
                "key": schema.role,
                "seen": seen,
                "alike": f' ("{alike}")' if alike else "",
                "name": alike or "the tab's name",
            }
            yield Hit(name, None, None, None, facts)


@rule(
    "SS101",
    "missing-column",
    "error",
    message='The {tab} tab has no "{column}" column.',
    hint='Type the header "{column}" in row 1 ({where}); sheetsync finds columns by their '
    "header, in any order.",
    what="A required column header is not in row 1 of its tab.",
    why="sheetsync finds every column by its header text; without it the values cannot be read, "
    "so nothing is written to this tab, or derived from it.",
    example='The Plan tab has "Tactic", "Goal ID", "What" ... but no "Due".',
)
def missing_column(context: CheckContext) -> Iterator[Hit]:
    for layout in context.model.layouts.values():
        if layout.headers_in_row:
            continue  # SS104 says where the headers went
        column_number = layout.first_empty_column
        lookalike_of = {found.column.key: found for found in lookalikes(layout)}
        for column in layout.missing:
            found = lookalike_of.get(column.key)
            if found is None:  # a place for the header: the next empty cell of row 1
                cell = a1(1, column_number)
                column_number += 1
                where = f"for example in {cell}"
            else:  # a header that is probably it, misspelt: point at it
                cell = a1(1, found.column_number)
                where = (
                    f'is "{found.header}" in {cell} it? rename it, or add it under [aliases]: '
                    f'"{column.header}" = ["{found.header}"]'
                )
            yield Hit(
                layout.name,
                cell,
                1,
                None,
                {"tab": layout.name, "column": column.header, "cell": cell, "where": where},
            )


@rule(
    "SS102",
    "duplicate-column",
    "error",
    message='The {tab} tab has two "{column}" columns; the second is {cell}.',
    hint="Rename or delete one of them, so each column appears once.",
    what="Two headers in row 1 mean the same column (the same name, or an alias of it).",
    why="sheetsync cannot tell which of the two holds the real values.",
    example='Plan has "Due" in F1 and "Due date" in M1.',
)
def duplicate_column(context: CheckContext) -> Iterator[Hit]:
    for layout in context.model.layouts.values():
        for column, number in layout.duplicates:
            cell = a1(1, number)
            yield Hit(
                layout.name,
                cell,
                1,
                None,
                {"tab": layout.name, "column": column.header, "cell": cell},
            )


@rule(
    "SS103",
    "unrecognised-column",
    "warning",
    message='The {tab} tab has no "{column}" column; is "{header}" ({cell}) it?',
    hint='Rename "{header}" to "{column}", or add it under [aliases] in sheetsync.toml: '
    '"{column}" = ["{header}"].',
    what="A header in row 1 is not one sheetsync knows, and it looks like an optional column "
    "sheetsync reads but did not find (a required one is SS101's).",
    why="sheetsync reads only the columns it recognises; under another name the values are "
    "ignored (no Spend means no ROI, no Progress makes finished tactics overdue).",
    example='The Plan tab has "Costs" where sheetsync looks for "Spend".',
)
def unrecognised_column(context: CheckContext) -> Iterator[Hit]:
    for layout in context.model.layouts.values():
        for lookalike in lookalikes(layout):
            if lookalike.column.required:
                continue  # SS101, an error, points at it: the tab cannot be read without it
            cell = a1(1, lookalike.column_number)
            yield Hit(
                layout.name,
                cell,
                1,
                None,
                {
                    "tab": layout.name,
                    "column": lookalike.column.header,
                    "header": lookalike.header,
                    "cell": cell,
                },
            )


@rule(
    "SS104",
    "headers-not-in-row-1",
    "error",
    message="The {tab} tab's headers seem to be in row {row}; sheetsync reads them from row 1.",
    hint="Delete the {rows} above the headers (a title can go in a cell to their right), so the "
    "headers are in row 1.",
    what="Row 1 of a tab lacks its required headers, and a row below holds them.",
    why="sheetsync finds columns by the header text in row 1 only; with a title row inserted "
    "above, no column is found, so nothing is written to this tab, or derived from it.",
    example='"Marketing plan 2026" typed in row 1 of Plan, pushing the headers to row 2.',
)
def headers_not_in_row_1(context: CheckContext) -> Iterator[Hit]:
    for layout in context.model.layouts.values():
        row = layout.headers_in_row
        if row:
            rows = "row" if row == 2 else f"{row - 1} rows"
            yield Hit(layout.name, "A1", 1, None, {"tab": layout.name, "row": row, "rows": rows})


@rule(
    "SS105",
    "tab-name-taken",
    # Nothing in the user's data is wrong, so `check` passes; sync still says its Checks tab was
    # not written, and exits 1 (Report.layout_errors).
    "warning",
    message='The "{tab}" tab is not one sheetsync made, so sheetsync leaves it alone and does not '
    "write {holds} there.",
    hint='Rename your "{tab}" tab, or give sheetsync\'s tab another name in the config: [tabs] '
    '{key} = "{suggestion}".',
    what="A tab of yours has the name of a tab sheetsync keeps (Checks or History), and its row 1 "
    "is not sheetsync's, or it is a chart on a sheet of its own.",
    why="sheetsync rewrites its own tabs; it never writes over a tab of yours, so its own is not "
    "kept until one of the two is renamed. Nothing in your data is wrong, so this is a warning; "
    "but while it is the Checks tab, sync says it did not write it and exits 1.",
    example='A cheque register called "checks" with Date, Payee and Amount in row 1.',
)
def tab_name_taken(context: CheckContext) -> Iterator[Hit]:
    for owned in OWNED_TABS:
        name = context.model.taken_tabs.get(owned.role)
        if name is not None:
            facts = {
                "tab": name,
                "holds": owned.holds,
                "key": owned.role,
                "suggestion": f"sheetsync {owned.default_name}",
            }
            yield Hit(name, None, None, None, facts)


# ---- SS2xx: the cells ---------------------------------------------------------------


def _cell_issues(context: CheckContext, kinds: tuple[str, ...]) -> Iterator[Hit]:
    for issue in context.model.cell_issues:
        if issue.kind in kinds:
            yield Hit(
                issue.tab,
                issue.cell,
                issue.row,
                issue.row_id,
                {
                    "column": issue.header,
                    "problem": issue.message,
                    "fix": issue.hint,
                    "what": _row_name(issue.role, issue.row_id),
                },
            )


_NOUNS = {"strategy": "goal", "plan": "tactic", "calendar": "event"}


def _row_name(role: str, row_id: str | None) -> str:
    noun = _NOUNS[role]
    return f"{noun} {row_id}" if row_id else f"this {noun}"


@rule(
    "SS200",
    "missing-value",
    "error",
    message="{column} is blank for {what}.",
    hint="Fill in {column}; every {column} cell of a used row must have a value.",
    what="A required cell is blank in a row that is in use.",
    why="Without it the row cannot be checked or given a status.",
    example="Tactic T7 has a Start date but no Due date.",
)
def missing_value(context: CheckContext) -> Iterator[Hit]:
    for hit in _cell_issues(context, ("missing",)):
        # A tactic with no Goal ID is SS300's, which says more.
        if not (hit.tab.casefold() == _plan_name(context) and hit.facts["column"] == "Goal ID"):
            yield hit


def _plan_name(context: CheckContext) -> str:
    layout = context.layout("plan")
    return layout.name.casefold() if layout else ""


@rule(
    "SS201",
    "bad-date",
    "error",
    message="{column} of {what}: {problem}.",
    hint="{fix}",
    what="A date cell holds something that is not a date.",
    why="Statuses, deadlines and windows all hang on dates.",
    example='Due of T4 reads "next Friday".',
)
def bad_date(context: CheckContext) -> Iterator[Hit]:
    yield from _cell_issues(context, ("date",))


@rule(
    "SS202",
    "bad-number",
    "error",
    message="{column} of {what}: {problem}.",
    hint="{fix}",
    what="A number, money or percent cell is unreadable, or out of its allowed range.",
    why="Budgets, spend and progress feed every sum, ROI and status.",
    example='Spend of T2 reads "about 300", or Progress reads 150%.',
)
def bad_number(context: CheckContext) -> Iterator[Hit]:
    yield from _cell_issues(context, ("number", "range"))


@rule(
    "SS203",
    "duplicate-id",
    "error",
    message="{id_name} {row_id} is used again (first in row {first_row}).",
    hint="Give this row its own {id_name}, e.g. {suggestion}.",
    what="A Goal ID or Tactic ID appears in more than one row (the later rows are flagged).",
    why="Tactics point at goals by ID and sheetsync matches rows by ID; a repeated ID is "
    "ambiguous.",
    example="Two rows of the Plan tab are both T5.",
)
def duplicate_id(context: CheckContext) -> Iterator[Hit]:
    model = context.model
    checked: tuple[tuple[str, tuple[Goal | Tactic, ...], str, str], ...] = (
        ("strategy", model.goals, "goal_id", "Goal ID"),
        ("plan", model.tactics, "tactic_id", "Tactic ID"),
    )
    for role, records, key, id_name in checked:
        layout = context.layout(role)
        if layout is None:
            continue
        folded = [row_id.casefold() if row_id else "" for row_id in map(attrgetter(key), records)]
        repeated = {row_id for row_id, count in Counter(folded).items() if count > 1 and row_id}
        firsts: dict[str, Goal | Tactic] = {}
        highest: dict[str, int] | None = None  # made on the first repeat: clean sheets skip it
        for record, folded_id in zip(records, folded, strict=True):
            if folded_id not in repeated:
                continue
            record_id = getattr(record, key)
            first = firsts.setdefault(folded_id, record)
            if first is not record:
                if highest is None:
                    highest = _highest_numbers(folded, {_id_prefix(r) for r in repeated})
                yield at(
                    layout,
                    key,
                    record.row,
                    record_id,
                    id_name=id_name,
                    first_row=first.row,
                    # Spelled like the first row's ID: t2 repeating T2 is told T8, not t8.
                    suggestion=_new_id(getattr(first, key), highest),
                )


_NUMBERED_ID = re.compile(r"(.*?)([0-9]+)")
_DIGITS = "0123456789"


def _id_prefix(row_id: str) -> str:
    """What comes before an ID's number (T of T12), or the whole ID when it has none."""
    match = _NUMBERED_ID.fullmatch(row_id)
    return match[1] if match else row_id


def _highest_numbers(folded_ids: list[str], prefixes: set[str]) -> dict[str, int]:
    """Of these case-folded prefixes, each with the highest number after it among the
    case-folded IDs (t3, t7 -> {"t": 7}). Every step is a builtin's loop or one comprehension:
    one repeated ID in a 10k plan has all 10,000 IDs read here."""
    stripped = list(map(str.rstrip, folded_ids, repeat(_DIGITS)))
    highest = {}
    for prefix in prefixes:
        if "\n" in prefix:
            continue  # _NUMBERED_ID reads no number in an ID with a line break
        numbers = [
            folded_id[len(prefix) :]
            for folded_id, bare in zip(folded_ids, stripped, strict=True)
            if bare == prefix and folded_id != bare
        ]
        if numbers:
            highest[prefix] = max(map(int, numbers))
    return highest


def _new_id(repeated_id: str, highest: dict[str, int]) -> str:
    """An ID after the highest in use with the same prefix (T3, T3 and T7 -> T8), counted as
    used so the next repeated row is told another one. Never a gap: a deleted tactic's ID would
    join its history."""
    prefix = _id_prefix(repeated_id)
    number = highest.get(prefix.casefold(), 0) + 1
    highest[prefix.casefold()] = number
    return f"{prefix}{number}"


@rule(
    "SS204",
    "date-order",
    "error",
    message="{what} ends on {end}, before it starts on {start}.",
    hint="Make {column} the same as or later than Start ({start}).",
    what="A goal's End, or a tactic's Due, is before its Start.",
    why="A period that ends before it starts cannot be tracked; one of the dates is a typo.",
    example="Goal G2 starts 2026-06-01 and ends 2026-03-31.",
)
def date_order(context: CheckContext) -> Iterator[Hit]:
    model = context.model
    checked: tuple[tuple[str, tuple[Goal | Tactic, ...], str, str, str], ...] = (
        ("strategy", model.goals, "goal_id", "end", "End"),
        ("plan", model.tactics, "tactic_id", "due", "Due"),
    )
    for role, records, id_key, key, column in checked:
        layout = context.layout(role)
        if layout is None:
            continue
        for record in records:
            start, end = record.start, getattr(record, key)
            if start and end and end < start:
                row_id = getattr(record, id_key)
                yield at(
                    layout,
                    key,
                    record.row,
                    row_id,
                    what=_row_name(role, row_id),
                    start=start,
                    end=end,
                    column=column,
                )


# ---- SS3xx: alignment of plan and strategy ----------------------------------------------


@rule(
    "SS300",
    "tactic-without-goal",
    "error",
    message="{what} serves no goal: its Goal ID is blank.",
    hint="Type the Goal ID this tactic serves ({goals}), or delete the tactic if it serves none.",
    what="A tactic in the Plan tab has a blank Goal ID.",
    why="A plan without a strategy is a road trip without a destination: every tactic should "
    "serve a goal.",
    example='Tactic T12 "Instagram giveaway" has no Goal ID.',
)
def tactic_without_goal(context: CheckContext) -> Iterator[Hit]:
    plan = context.layout("plan")
    if plan is None or "goal_id" not in plan.columns:
        return
    goals = _ids(context.goals_by_id)
    for tactic in context.model.tactics:
        if not tactic.goal_id:
            yield at(
                plan,
                "goal_id",
                tactic.row,
                tactic.tactic_id,
                what=_row_name("plan", tactic.tactic_id),
                goals=goals,
            )


@rule(
    "SS301",
    "unknown-goal",
    "error",
    message='{what} serves goal "{goal}", which is not in the Strategy tab.',
    hint="Use a Goal ID from the Strategy tab ({goals}), or add goal {goal} there.",
    what="A tactic's Goal ID names no goal of the Strategy tab.",
    why="The tactic's spend and results count toward no goal, and a typo hides it from its goal.",
    example='Tactic T9 serves "G9" but Strategy has only G1 to G5.',
)
def unknown_goal(context: CheckContext) -> Iterator[Hit]:
    plan = context.layout("plan")
    if plan is None or context.layout("strategy") is None:
        return
    goals = context.goals_by_id
    for tactic in context.model.tactics:
        if tactic.goal_id and tactic.goal_id.casefold() not in goals:
            yield at(
                plan,
                "goal_id",
                tactic.row,
                tactic.tactic_id,
                what=_row_name("plan", tactic.tactic_id),
                goal=tactic.goal_id,
                goals=_ids(goals),
            )


@rule(
    "SS302",
    "goal-without-tactics",
    "warning",
    message="Goal {row_id} has no tactic in the Plan tab.",
    hint="Add at least one tactic with Goal ID {row_id} to the Plan tab, or drop the goal.",
    what="A goal of the strategy has no tactic in the plan.",
    why="A strategy with no plan is a destination with no road: nothing will move its KPI.",
    example="Goal G4 (grow catering orders) has no Plan rows.",
)
def goal_without_tactics(context: CheckContext) -> Iterator[Hit]:
    strategy = context.layout("strategy")
    if strategy is None or context.layout("plan") is None:
        return
    for goal in context.model.goals:
        figures = context.figures.get((goal.goal_id or "").casefold())
        if goal.goal_id and figures is not None and figures.tactic_count == 0:
            yield at(strategy, "goal_id", goal.row, goal.goal_id)


@rule(
    "SS303",
    "tactic-outside-goal-window",
    "warning",
    message="{what} {edge} {date}, {relation} goal {goal}'s {goal_edge} ({goal_date}).",
    hint="Move the tactic's {column} inside its goal's period ({goal_start} to {goal_end}), "
    "or widen the goal's dates.",
    what="A tactic starts before its goal starts, or is due after its goal ends.",
    why="Work outside the goal's period does not count toward it, or the goal's dates are wrong.",
    example="Goal G1 runs 2026-01-01 to 2026-06-30; tactic T3 is due 2026-07-15.",
)
def tactic_outside_goal_window(context: CheckContext) -> Iterator[Hit | Hits]:
    plan = context.layout("plan")
    if plan is None or context.layout("strategy") is None:
        return
    goals = context.goals_by_id
    dated = [
        (tactic, goal, goal.start, goal.end)
        for tactic in context.model.tactics
        if (goal := goals.get((tactic.goal_id or "").casefold())) is not None
        and goal.start is not None
        and goal.end is not None
    ]
    early = [(t, g) for t, g, start, _ in dated if t.start and t.start < start]
    late = [(t, g) for t, g, _, end in dated if t.due and t.due > end]
    # A tactic that does both is told of its Start first: the two sort by row, then in this order.
    for key, pairs, edge, relation, goal_edge in (
        ("start", early, "starts", "before", "start"),
        ("due", late, "is due", "after", "end"),
    ):
        tactics = [tactic for tactic, _ in pairs]
        count = len(pairs)
        yield _tactic_hits(
            plan,
            key,
            tactics,
            edge=[edge] * count,
            date=[getattr(tactic, key) for tactic in tactics],
            relation=[relation] * count,
            goal_edge=[goal_edge] * count,
            goal_date=[getattr(goal, goal_edge) for _, goal in pairs],
            column=[key.capitalize()] * count,
            goal=[goal.goal_id for _, goal in pairs],
            goal_start=[goal.start for _, goal in pairs],
            goal_end=[goal.end for _, goal in pairs],
        )


def _tactic_hits(plan: TabLayout, key: str, tactics: list[Tactic], **facts: list[Any]) -> Hits:
    """Hits on column `key` of these tactics' rows, each named in its message ("tactic T5")."""
    column = plan.columns.get(key)
    rows = [tactic.row for tactic in tactics]
    row_ids = [tactic.tactic_id for tactic in tactics]
    letter = column_letter(column) if column else None
    cells = [f"{letter}{row}" for row in rows] if letter else [None] * len(rows)
    what = [_row_name("plan", row_id) for row_id in row_ids]
    return Hits(plan.name, cells, rows, row_ids, {"what": what, **facts})


@rule(
    "SS304",
    "channel-not-in-strategy",
    "warning",
    message='{what} uses channel "{channel}", which goal {goal} did not choose ({channels}).',
    hint="Add {channel} to goal {goal}'s Channels, or move the tactic to a goal that uses it.",
    what="A tactic uses a channel its goal did not choose.",
    why="The strategy picked the vehicles on purpose; spend elsewhere is off-plan.",
    example='Goal G1 lists "Email, Trade show"; tactic T3 is on "TikTok".',
)
def channel_not_in_strategy(context: CheckContext) -> Iterator[Hit | Hits]:
    plan = context.layout("plan")
    if plan is None or context.layout("strategy") is None:
        return
    goals = context.goals_by_id
    chosen = {key: {c.casefold() for c in goal.channels} for key, goal in goals.items()}
    listed = {key: ", ".join(goal.channels) for key, goal in goals.items()}
    off_plan = [
        (tactic, key)
        for tactic in context.model.tactics
        if tactic.channel
        and chosen.get(key := (tactic.goal_id or "").casefold())  # blank Channels: any channel
        and tactic.channel.casefold() not in chosen[key]
    ]
    yield _tactic_hits(
        plan,
        "channel",
        [tactic for tactic, _ in off_plan],
        channel=[tactic.channel for tactic, _ in off_plan],
        goal=[goals[key].goal_id for _, key in off_plan],
        channels=[listed[key] for _, key in off_plan],
    )


@rule(
    "SS305",
    "plan-over-budget",
    "warning",
    message="Goal {row_id}'s tactics are budgeted at {planned}, more than its budget of {budget}.",
    hint="Raise goal {row_id}'s Budget, or trim its tactics' budgets by {excess}.",
    what="The tactics of a goal are budgeted at more than the goal's budget.",
    why="The plan promises money the strategy did not allocate.",
    example="Goal G2 has a budget of 5,000; its tactics' budgets add up to 6,200.",
    figures=("planned", "budget", "excess"),
)
def plan_over_budget(context: CheckContext) -> Iterator[Hit]:
    yield from _over_goal_budget(
        context, lambda figures: figures.planned_budget, "planned", "plan.budget"
    )


def _over_goal_budget(
    context: CheckContext, amount: Callable[[GoalFigures], float], name: str, summed: str
) -> Iterator[Hit]:
    strategy = context.layout("strategy")
    if strategy is None or context.layout("plan") is None:
        return
    for goal in context.model.goals:
        figures = context.figures.get((goal.goal_id or "").casefold())
        if figures is None or goal.budget is None or summed in context.goal_unread(goal):
            continue
        total = amount(figures)
        if total > goal.budget:  # an exact sum (compute.exact_sum): equal is not over
            yield at(
                strategy,
                "budget",
                goal.row,
                goal.goal_id,
                budget=goal.budget,
                excess=difference(total, goal.budget),
                **{name: total},
            )


@rule(
    "SS306",
    "overspend",
    "warning",
    message="{what} has spent {spend}, more than its budget of {budget}.",
    hint="Raise the Budget to cover the spend, or check the Spend figure.",
    what="A tactic's Spend is more than its Budget, or a goal's tactics together spent more than "
    "the goal's Budget.",
    why="Money spent past the budget comes from somewhere else in the plan.",
    example="Tactic T6 has a budget of 400 and a spend of 520.",
    figures=("spend", "budget", "excess"),
)
def overspend(context: CheckContext) -> Iterator[Hit | Hits]:
    plan = context.layout("plan")
    if plan is not None:
        # A Budget that did not read is unknown, not 0: no overspend to tell of.
        unread = context.rows_unread(*_MONEY_READ)
        over = [t for t in context.model.tactics if is_overspent(t) and t.row not in unread]
        yield _tactic_hits(
            plan,
            "spend",
            over,
            spend=[tactic.spend or 0.0 for tactic in over],
            budget=[tactic.budget or 0.0 for tactic in over],
        )
    for hit in _over_goal_budget(context, lambda figures: figures.spend, "spend", "plan.spend"):
        yield Hit(
            hit.tab, hit.cell, hit.row, hit.row_id, {**hit.facts, "what": f"Goal {hit.row_id}"}
        )


@rule(
    "SS307",
    "overdue",
    "warning",
    message="{what} was due {due} and is {done} done.",
    hint="Update its Progress (type done when finished), or move Due to the new date.",
    what="A tactic's Due date has passed and its Progress is below 100 %.",
    why="Late work delays its goal, or the sheet no longer says what really happened.",
    example="Tactic T8 was due 2026-10-31 and is 40 % done.",
)
def overdue(context: CheckContext) -> Iterator[Hit | Hits]:
    plan = context.layout("plan")
    if plan is None:
        return
    unread = context.rows_unread("plan.progress")  # unknown, not 0 %
    today = context.today
    late = [
        tactic
        for tactic in context.model.tactics
        if tactic.due
        and today > tactic.due
        and (tactic.progress or 0.0) < 1.0  # blank is 0 %
        and tactic.row not in unread
    ]
    yield _tactic_hits(
        plan,
        "due",
        late,
        due=[tactic.due for tactic in late],
        done=[_percent_done(tactic.progress or 0.0) for tactic in late],
    )


@lru_cache(maxsize=1024)  # a neglected plan's progress repeats: blank, 25 %, 50 %...
def _percent_done(done: float) -> str:
    """99.6 % done is not "100% done" beside "was due"."""
    return apart(points(done), 100, places=0)[0] + "%"


@rule(
    "SS308",
    "goal-missed",
    "warning",
    message="Goal {row_id} ended {end} at {current} of its {target} {kpi} target.",
    hint="Record the goal's final results, or set a new End date and plan for the rest.",
    what="A goal's End date has passed and its KPI is below its Target.",
    why="A missed goal should be reviewed, not silently carried along.",
    example="Goal G3 ended 2026-09-30 with 80 of 120 qualified leads.",
    figures=("current", "target"),
)
def goal_missed(context: CheckContext) -> Iterator[Hit]:
    strategy = context.layout("strategy")
    if strategy is None or context.layout("plan") is None:
        return
    for goal in context.model.goals:
        figures = context.figures.get((goal.goal_id or "").casefold())
        if figures is None or goal.end is None or goal.target is None:
            continue
        if context.goal_unread(goal) & _CURRENT_READ:
            continue  # unknown while a Result it counts (or a Revenue KPI's Revenue) did not read
        if context.today > goal.end and figures.current < goal.target:
            yield at(
                strategy,
                "end",
                goal.row,
                goal.goal_id,
                end=goal.end,
                current=figures.current,  # 99.996 of 100 does not read "100 of 100"
                target=goal.target,
                kpi=goal.kpi or "KPI",
            )


@rule(
    "SS309",
    "event-unprepared",
    "warning",
    message='"{event}" is on {date} and no tactic of {goals} is due in its preparation window '
    "({first} to {date}).",
    hint="Plan a tactic due between {first} and {date} for it, or change Lead Days.",
    what="An industry event's preparation window has begun and no tactic of its goals is due in "
    "it.",
    why="Trade shows and seasons come whether or not the plan is ready for them.",
    example='"Food & Drink Expo" is on 2026-12-05 with 30 lead days; nothing is due from '
    "2026-11-05.",
)
def event_unprepared(context: CheckContext) -> Iterator[Hit]:
    calendar = context.layout("calendar")
    if calendar is None or context.layout("plan") is None:
        return
    for event in context.model.events:
        window = preparation_window(event, context.lead_days)
        if window is None or not window[0] <= context.today <= window[1]:
            continue
        if not event_is_prepared(
            event, context.tactics_by_goal, context.model.tactics, context.lead_days
        ) and not context.unread_due(event):
            goals = (
                ("goal " if len(event.goal_ids) == 1 else "goals ") + ", ".join(event.goal_ids)
                if event.goal_ids
                else "any goal"
            )
            yield at(
                calendar,
                "date",
                event.row,
                event.event,
                event=event.event,
                date=event.date,
                first=window[0],
                goals=goals,
            )


@rule(
    "SS310",
    "unknown-goal-in-calendar",
    "warning",
    message='"{event}" names goal "{goal}", which is not in the Strategy tab.',
    hint="Use Goal IDs from the Strategy tab ({goals}), separated by commas.",
    what="A calendar event's Goal IDs names a goal that does not exist.",
    why="The event's preparation cannot be checked against a goal that is not there.",
    example='"Wedding fair" names goals "G2, G7"; there is no G7.',
)
def unknown_goal_in_calendar(context: CheckContext) -> Iterator[Hit]:
    calendar = context.layout("calendar")
    if calendar is None or context.layout("strategy") is None:
        return
    goals = context.goals_by_id
    for event in context.model.events:
        for goal_id in event.goal_ids:
            if goal_id.casefold() not in goals:
                yield at(
                    calendar,
                    "goal_ids",
                    event.row,
                    event.event,
                    event=event.event,
                    goal=goal_id,
                    goals=_ids(goals),
                )


@rule(
    "SS311",
    "stale-strategy",
    "warning",
    message="Goal {row_id} was last reviewed {when}, more than {limit} days ago.",
    hint="Review the goal with the business (at least once a year) and type today's date in "
    "Reviewed.",
    what="A goal's Reviewed date (or its Start, when never reviewed) is more than a year old.",
    why="A strategy follows the market and the industry calendar; a year-old one has drifted.",
    example="Goal G1 was last reviewed 2025-06-01.",
)
def stale_strategy(context: CheckContext) -> Iterator[Hit]:
    strategy = context.layout("strategy")
    if strategy is None:
        return
    for goal in context.model.goals:
        if "strategy.reviewed" in context.unread("strategy", goal.row):
            continue  # not "never reviewed": its date did not read
        key, when = ("reviewed", goal.reviewed) if goal.reviewed else ("start", goal.start)
        if when is None:
            continue
        days = (context.today - when).days
        if days > context.stale_after_days:
            yield at(
                strategy, key, goal.row, goal.goal_id, when=when, limit=context.stale_after_days
            )
