"""What the tabs hold: each column's header, type, whether it is required, and who owns it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from babel.numbers import list_currencies

FieldType = Literal["text", "list", "number", "money", "percent", "date"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a tab, input or owned.

    An owned column is declared once, here, with what fills it: `key` names the attribute
    of the row's result (engine.GoalResult, TacticResult or EventResult) that holds the
    value to write, and `derived_from` names what that value is computed from: a tab
    ("plan") or a column of one ("plan.spend": the Spend of the goal's tactics, or of the
    tactic's own row). The write planner has no list of its own: adding an owned column is
    one line here (and the result's attribute, if it is new).
    """

    header: str  # the canonical header text, as `init` writes it
    key: str  # attribute name in the model (input) or in the row's result (owned)
    type: FieldType = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()  # built-in other names; config adds more
    # Owned only: when one of these did not read (a tab with an SS1xx error, a cell with an
    # SS201/SS202 one), the cell is left as it is rather than filled from nothing: a Plan that
    # did not read is not "no tactics", and a Budget of "about 300" is not 0.
    derived_from: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TabSchema:
    role: str  # "strategy", "plan", "calendar": the key in [tabs] config
    default_name: str
    inputs: tuple[Column, ...]
    owned: tuple[Column, ...]
    id_key: str | None  # the input column whose value names a row
    # Whether IDs are codes (T1, G-2, 2026-Q1-email) rather than names (an event's "Trade
    # show"): in a tab of codes, words alone in the ID column are a section heading.
    ids_are_codes: bool = False

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.inputs + self.owned


# A Revenue KPI counts a tactic's Revenue where its Result is blank (SPEC 4.2), so a goal's
# Current depends on its tactics' Revenue only then: the engine adds this source to what did not
# read for such a goal, never for one counting leads or sign-ups.
REVENUE_AS_RESULT = "plan.revenue_as_result"
CURRENT_SOURCES = ("plan.result", REVENUE_AS_RESULT)

STRATEGY = TabSchema(
    role="strategy",
    default_name="Strategy",
    id_key="goal_id",
    ids_are_codes=True,
    inputs=(
        Column("Goal ID", "goal_id", required=True, aliases=("Goal", "ID")),
        Column("Business Goal", "business_goal", required=True, aliases=("Business Objective",)),
        Column(
            "Marketing Goal",
            "marketing_goal",
            required=True,
            aliases=("Objective", "Marketing Objective"),
        ),
        Column("Offering", "offering", aliases=("Product", "Service", "Products", "Offer")),
        Column("Audience", "audience", aliases=("Target Audience", "Target Market")),
        Column("Channels", "channels", "list", aliases=("Vehicles", "Channel")),
        Column("Competitors", "competitors", aliases=("Competition",)),
        Column("Differentiator", "differentiator", aliases=("Differentiators", "USP")),
        Column("KPI", "kpi", required=True, aliases=("Measure", "Metric")),
        Column("Target", "target", "number", required=True, aliases=("KPI Target",)),
        # Not "Planned Budget": that is sheetsync's own column on this tab.
        Column("Budget", "budget", "money", required=True, aliases=("Total Budget",)),
        Column("Start", "start", "date", required=True, aliases=("Start Date",)),
        Column(
            "End",
            "end",
            "date",
            required=True,
            aliases=("End Date", "Deadline", "Due", "Due Date"),
        ),
        Column("Owner", "owner", aliases=("Responsible", "Who")),
        Column(
            "Reviewed", "reviewed", "date", aliases=("Last Reviewed", "Review Date", "Last Review")
        ),
    ),
    owned=(
        Column("Planned Budget", "planned_budget", "money", derived_from=("plan.budget",)),
        Column("Spend", "spend", "money", derived_from=("plan.spend",)),
        Column("Revenue", "revenue", "money", derived_from=("plan.revenue",)),
        Column("Current", "current", "number", derived_from=CURRENT_SOURCES),
        Column(
            "Progress", "progress", "percent", derived_from=(*CURRENT_SOURCES, "strategy.target")
        ),
        Column("ROI", "roi", "percent", derived_from=("plan.spend", "plan.revenue")),
        Column(
            "Cost per Result",
            "cost_per_result",
            "money",
            derived_from=("plan.spend", *CURRENT_SOURCES),
        ),
        Column("Status", "status", derived_from=("plan",)),
        # Goal findings such as SS302 and SS305 come from the Plan too.
        Column("Issues", "issues", derived_from=("plan",)),
    ),
)

PLAN = TabSchema(
    role="plan",
    default_name="Plan",
    id_key="tactic_id",
    ids_are_codes=True,
    inputs=(
        Column("Tactic ID", "tactic_id", required=True, aliases=("Tactic", "ID")),
        Column("Goal ID", "goal_id", required=True, aliases=("Goal",)),
        Column(
            "Activity",
            "activity",
            required=True,
            aliases=("Tactic Name", "What", "Description", "Task", "Action"),
        ),
        Column("Channel", "channel", aliases=("Vehicle", "Where", "Channels", "Medium")),
        Column("Owner", "owner", aliases=("Who", "Responsible", "Assigned To", "Assignee")),
        Column("Start", "start", "date", required=True, aliases=("Start Date",)),
        Column(
            "Due",
            "due",
            "date",
            required=True,
            aliases=("Due Date", "Deadline", "Due By", "End", "End Date"),
        ),
        Column("Budget", "budget", "money", aliases=("Planned", "Planned Budget", "Budgeted")),
        Column(
            "Spend",
            "spend",
            "money",
            aliases=(
                "Spent",
                "Actual Spend",
                "Cost",
                "Costs",
                "Actual",
                "Actual Cost",
                "Amount Spent",
                "Spend to Date",
                "Spent to Date",
            ),
        ),
        Column(
            "Revenue",
            "revenue",
            "money",
            aliases=("Sales", "Sales Revenue", "Income", "Revenue Generated"),
        ),
        Column("Result", "result", "number", aliases=("Results", "Leads", "Conversions")),
        Column(
            "Progress",
            "progress",
            "percent",
            aliases=(
                "% Done",
                "Done",
                "Done %",
                "% Complete",
                "Percent Complete",
                "Complete",
                "Completion",
                "% Completed",
            ),
        ),
    ),
    owned=(
        # A tactic whose goal is unknown (SS301) is "Needs fix": the Strategy decides that.
        Column("Status", "status", derived_from=("strategy",)),
        Column("ROI", "roi", "percent", derived_from=("plan.spend", "plan.revenue")),
        Column(
            "Cost per Result",
            "cost_per_result",
            "money",
            derived_from=("plan.spend", "plan.result"),
        ),
        Column("Issues", "issues", derived_from=("strategy",)),
    ),
)

CALENDAR = TabSchema(
    role="calendar",
    default_name="Calendar",
    id_key="event",
    inputs=(
        Column("Event", "event", required=True, aliases=("Event Name",)),
        Column("Date", "date", "date", required=True, aliases=("Event Date",)),
        Column("Goal IDs", "goal_ids", "list", aliases=("Goals", "Goal ID")),
        Column(
            "Lead Days",
            "lead_days",
            "number",
            aliases=("Lead Time", "Preparation Days", "Prep Days"),
        ),
    ),
    # Prepared or not turns on the Due dates of the event's goals' tactics.
    owned=(
        Column(
            "Status", "status", derived_from=("plan.due", "calendar.date", "calendar.lead_days")
        ),
    ),
)

INPUT_TABS = (STRATEGY, PLAN, CALENDAR)
REQUIRED_TABS = (STRATEGY, PLAN)

CHECKS_HEADERS = ("Severity", "Rule", "Tab", "Cell", "Row ID", "Message", "Hint", "Since")
HISTORY_HEADERS = ("Month", "Goal ID", "Spend", "Revenue", "Current", "Progress", "ROI", "Status")


@dataclass(frozen=True, slots=True)
class OwnedTab:
    """A tab sheetsync writes whole, found by name like the others (SPEC 2.4)."""

    role: str  # the key in [tabs] config
    default_name: str
    headers: tuple[str, ...]
    holds: str  # what sheetsync keeps there, for messages


CHECKS = OwnedTab("checks", "Checks", CHECKS_HEADERS, "the findings of each sync")
HISTORY = OwnedTab("history", "History", HISTORY_HEADERS, "the monthly figures of each goal")
OWNED_TABS = (CHECKS, HISTORY)

ALL_HEADERS = frozenset(
    column.header.casefold() for schema in INPUT_TABS for column in schema.columns
)


def derived_from_any(column: Column, unread: frozenset[str]) -> bool:
    """Whether an owned column's value comes from a tab or column in `unread` ("plan",
    "plan.spend"): a column of a tab that did not read did not read either."""
    return any(
        source in unread or source.partition(".")[0] in unread for source in column.derived_from
    )


def normalize_header(text: object) -> str:
    """How headers compare: case-insensitive, surrounding and repeated spaces ignored, and a
    unit in brackets at the end left out: `Spend ($)`, `Budget (EUR)`, `Progress (%)`."""
    if text is None:
        return ""
    words = " ".join(str(text).split()).casefold()
    unit = _UNIT.search(words)
    if unit and (unit[1] in _CURRENCY_CODES or not unit[1].isalpha()):
        return words[: unit.start()]
    return words


# A unit people put after a header: a currency sign, %, or an ISO currency code.
_UNIT = re.compile(r"\s*\(\s*([^\w\s]{1,3}|[a-z]{3})\s*\)$")
_CURRENCY_CODES = frozenset(code.casefold() for code in list_currencies())


def header_names(schema: TabSchema, extra_aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalized header text -> column key, for every accepted spelling of this tab's columns.

    The canonical header wins over an alias: "ID" is an alias of Goal ID in Strategy
    only while no other column claims it.
    """
    extra = {normalize_header(name): names for name, names in extra_aliases.items()}
    names: dict[str, str] = {}
    for column in schema.columns:
        for alias in column.aliases + tuple(extra.get(normalize_header(column.header), ())):
            names.setdefault(normalize_header(alias), column.key)
    for column in schema.columns:
        names[normalize_header(column.header)] = column.key
    return names
