"""The summary's chart: spend against revenue per goal, a small PNG for the e-mail.

matplotlib with its Agg backend: no display, no GUI toolkit, the same picture on every
machine. The e-mail is read on a phone, so the chart shows the goals that spent or earned
most (CHART_GOALS of them) and says how many it left out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from sheetsync.celltext import oneline
from sheetsync.summary import GoalLine

CHART_GOALS = 12
WIDTH_INCHES, DPI = 5.6, 100  # 560 px: inside the e-mail's 600 px column
SPEND_COLOUR, REVENUE_COLOUR = "#c0504d", "#2e7d32"


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    alt: str  # what the picture says, for screen readers and mail clients that block images


def spend_revenue_chart(goals: Sequence[GoalLine]) -> Chart | None:
    """A horizontal bar pair per goal; None when no goal has spent or earned anything."""
    shown = sorted(
        (g for g in goals if (g.spend or 0) or (g.revenue or 0)),
        key=lambda g: (g.spend or 0) + (g.revenue or 0),
        reverse=True,
    )[:CHART_GOALS]
    if not shown:
        return None
    left_out = sum(1 for g in goals if (g.spend or 0) or (g.revenue or 0)) - len(shown)
    return Chart(_png(shown, left_out), _alt(shown, left_out))


def _png(goals: Sequence[GoalLine], left_out: int) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: never look for a display
    from matplotlib.figure import Figure

    labels = [oneline(g.goal_id, 12) for g in goals]
    spend = [g.spend or 0.0 for g in goals]
    revenue = [g.revenue or 0.0 for g in goals]
    figure = Figure(figsize=(WIDTH_INCHES, 0.9 + 0.42 * len(goals)), dpi=DPI)
    axes = figure.add_subplot()
    rows = range(len(goals))
    height = 0.38
    axes.barh([r - height / 2 for r in rows], spend, height, label="Spend", color=SPEND_COLOUR)
    axes.barh(
        [r + height / 2 for r in rows], revenue, height, label="Revenue", color=REVENUE_COLOUR
    )
    axes.set_yticks(list(rows), labels)
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter("{x:,.0f}")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="lower right", frameon=False, fontsize=9)
    title = "Spend and revenue to date per goal"
    if left_out:
        title += f" (top {len(goals)}; {left_out} more in the sheet)"
    axes.set_title(title, fontsize=10, loc="left")
    axes.tick_params(labelsize=9)
    # Fixed margins (labels are at most 12 characters): tight_layout would measure every text
    # first, a fifth of a second that the picture does not need.
    height = figure.get_figheight() * DPI
    longest = max(len(label) for label in labels)
    figure.subplots_adjust(
        left=min(0.06 + 0.0125 * longest, 0.25),
        right=0.97,
        top=1 - 34 / height,
        bottom=30 / height,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _alt(goals: Sequence[GoalLine], left_out: int) -> str:
    parts = [
        f"{oneline(g.goal_id, 20)} spent {g.spend or 0:,.0f} and earned {g.revenue or 0:,.0f}"
        for g in goals
    ]
    more = f"; {left_out} more goals are in the sheet" if left_out else ""
    return "Chart of spend and revenue to date per goal: " + "; ".join(parts) + more + "."
