"""How reports look in a terminal: to a person grouped by tab, errors first, with the fix; to
a script as JSON."""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterator
from operator import attrgetter
from typing import Any

import click
import orjson

from sheetsync.amounts import apart, points
from sheetsync.engine import Report, gc_paused
from sheetsync.findings import SEVERITY_ORDER, Finding, Findings
from sheetsync.rules import CATALOG

_COLOURS = {"error": "red", "warning": "yellow"}
_STATUS_COLOURS = {
    "Done": "green",
    "On track": "green",
    "Prepared": "green",
    "At risk": "yellow",
    "Behind": "yellow",
    "Unprepared": "yellow",
    "Overdue": "red",
    "Missed": "red",
    "Needs fix": "red",
}


FINDINGS_PER_RULE = 3  # per tab, in the text report unless --all
GOALS_SHOWN = 20  # in the text report unless --all


def check_text(report: Report, *, everything: bool = False) -> str:
    """The report of `sheetsync check` for people (click strips the colours off a non-TTY).

    A neglected plan has thousands of findings of a few kinds: unless `everything`, each
    tab shows the first few findings of each rule, says how many more there are, and a
    count per rule follows, like a linter's statistics.
    """
    limit = None if everything else FINDINGS_PER_RULE
    lines = [_title(report), ""]
    held_back = 0
    for tab, counts in _by_tab(report):
        lines.append(click.style(tab, bold=True))
        shown, more = _first_of_each_rule(report.found.on_tab(tab), counts, limit)
        for finding in shown:
            lines += _finding_lines(finding)
        for (code, name), count in more.items():
            lines.append(f"  … and {count:,} more {code} {name}")
        held_back += sum(more.values())
        lines.append("")
    if held_back:
        lines += _rule_counts(report.found) + [
            f"{held_back:,} findings are not listed above: `sheetsync check --all` lists every "
            "one, and `--format json` gives them all to a script.",
            "",
        ]
    if report.goals:
        lines += _goal_lines(report, None if everything else GOALS_SHOWN) + [""]
    lines.append(summary_line(report))
    return "\n".join(lines)


def layout_lines(report: Report) -> list[str]:
    """What sync left unwritten because of the workbook's layout (SS1xx), and the fix."""
    if not report.layout_errors:
        return []
    lines = [click.style("Not written until the layout is fixed:", bold=True)]
    for finding in report.layout_errors:
        lines += _finding_lines(finding)
    return lines


@gc_paused  # tens of thousands of small dicts, none freed until the document is written
def check_json(report: Report) -> bytes:
    """The JSON document of `sheetsync check --format json`, every finding in it: what
    `as_json(report.as_dict())` writes, with each finding's object made a rule's column at a
    time (a neglected plan has tens of thousands)."""
    found = report.found
    objects = [one for part in found.parts for one in part.finding_dicts()]
    return as_json(report.as_dict(findings=found.in_order(objects)))


def as_json(document: dict[str, Any]) -> bytes:
    """A document for scripts, indented for people who look at it too: UTF-8, as it goes to
    standard output (a neglected plan's is 10 MB; a decoded copy would hold it twice)."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)


def _first_of_each_rule(
    findings: Iterator[Finding], counts: Counter[str], limit: int | None
) -> tuple[list[Finding], dict[tuple[str, str], int]]:
    """The findings to list (of a tab's, with `counts` by rule), and how many of each rule are
    left out (in the order the first one left out comes)."""
    if limit is None:
        return list(findings), {}
    # The scan stops once every rule has its findings listed and its first one left out seen:
    # in a neglected plan that is a few dozen of thousands.
    awaited = sum(min(count, limit + 1) for count in counts.values())
    seen: Counter[str] = Counter()
    shown = []
    more: dict[tuple[str, str], int] = {}
    for finding in findings:
        if not awaited:
            break
        number = seen[finding.code] = seen[finding.code] + 1
        if number <= limit:
            shown.append(finding)
            awaited -= 1
        elif number == limit + 1:
            more[(finding.code, finding.name)] = counts[finding.code] - limit
            awaited -= 1
    return shown, more


def _rule_counts(found: Findings) -> list[str]:
    """One line per rule with its count, errors first, then the most frequent (and of two as
    frequent, the one listed first)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for part in found.parts_in_order:
        counts[(part.severity, part.code, part.name)] += len(part)
    ranked = sorted(counts.items(), key=lambda item: (SEVERITY_ORDER[item[0][0]], -item[1]))
    width = len(f"{max(counts.values()):,}")
    lines = [click.style("Findings by rule", bold=True)]
    for (severity, code, name), count in ranked:
        label = click.style(f"{severity:<7}", fg=_COLOURS[severity], bold=True)
        lines.append(f"  {count:>{width},}  {label}  {code} {name}")
    return lines


def summary_line(report: Report) -> str:
    errors, warnings = report.count("error"), report.count("warning")
    scope = (
        f"{_plural(len(report.goals), 'goal')}, {_plural(len(report.tactics), 'tactic')}"
        f" and {_plural(len(report.events), 'event')}"
    )
    if not errors and not warnings:
        return click.style(f"All clear: {scope} checked, nothing to fix.", fg="green")
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    return click.style(counts, fg="red" if errors else "yellow", bold=True) + f" in {scope}."


def _title(report: Report) -> str:
    where = f" ({report.location})" if report.location and report.location != report.title else ""
    return click.style(report.title, bold=True) + where + f", as of {report.today.isoformat()}"


def _by_tab(report: Report) -> list[tuple[str, Counter[str]]]:
    """The tabs with findings, in workbook order, each with its count of findings by rule."""
    groups: dict[str, Counter[str]] = {}
    for part in report.found.parts_in_order:
        groups.setdefault(part.hits.tab, Counter())[part.code] += len(part)
    # Workbook order; a missing tab (SS100) has no position and comes first.
    position = {tab.name: index for index, tab in enumerate(report.workbook.tabs)}
    return sorted(groups.items(), key=lambda group: position.get(group[0], -1))


def _finding_lines(finding: Finding) -> list[str]:
    severity = click.style(f"{finding.severity:<7}", fg=_COLOURS[finding.severity], bold=True)
    where = finding.cell or "-"
    label = click.style(f"{finding.code} {finding.name}", dim=True)
    return [
        f"  {severity}  {where:<5}  {finding.message}  {label}",
        f"  {'':7}  {'':5}  {click.style('Fix:', bold=True)} {finding.hint}",
    ]


def _goal_lines(report: Report, limit: int | None) -> list[str]:
    lines = [click.style("Goals", bold=True)]
    for result in report.goals[:limit]:
        goal = result.goal
        status = click.style(f"{result.status!s:<11}", fg=_STATUS_COLOURS.get(str(result.status)))
        shown = []  # joined by commas only between the parts that are there
        if result.current is not None and goal.target:
            # 89.96 of 90 is not "90 of 90 (100%)": shown with the decimals that tell them apart.
            current, target = apart(result.current, goal.target, places=1)
            reached = f"{current} of {target} {goal.kpi or ''}"
            if result.progress is not None:
                percent = apart(points(result.progress), 100, places=0)[0]
                reached = f"{reached.strip()} ({percent}%)"
            shown.append(reached.strip())
        if result.roi is not None:
            shown.append(f"ROI {result.roi:.0%}")
        lines.append(f"  {goal.goal_id or '?':<6} {status}  {', '.join(shown)}".rstrip())
    if limit is not None and len(report.goals) > limit:
        lines.append(f"  … and {len(report.goals) - limit:,} more goals")
    tactic_counts = Counter(map(attrgetter("status"), report.tactics))
    if tactic_counts:
        parts = ", ".join(
            f"{count:,} {str(status).lower()}" for status, count in tactic_counts.most_common()
        )
        lines.append(f"  Tactics: {parts}")
    return lines


def rules_text() -> str:
    """The rule catalog as `sheetsync rules` prints it."""
    blocks = []
    for rule in CATALOG.values():
        blocks.append(
            "\n".join(
                [
                    click.style(f"{rule.code} {rule.name}", bold=True) + f" ({rule.severity})",
                    f"  What: {rule.what}",
                    f"  Why: {rule.why}",
                    f"  Example: {rule.example}",
                    f"  Fix: {generic_hint(rule.hint)}",
                ]
            )
        )
    return "\n\n".join(blocks)


def rules_markdown() -> str:
    """The rule catalog as the README's section, one block per rule."""
    blocks = []
    for rule in CATALOG.values():
        blocks.append(
            "\n".join(
                [
                    f"#### {rule.code} {rule.name} ({rule.severity})",
                    "",
                    f"- **What:** {rule.what}",
                    f"- **Why:** {rule.why}",
                    f"- **Example:** {rule.example}",
                    f"- **Fix:** {generic_hint(rule.hint)}",
                ]
            )
        )
    return "\n\n".join(blocks) + "\n"


def generic_hint(template: str) -> str:
    """A hint template with its facts shown as <placeholders>, for the rule docs."""
    return "".join(
        text + (f"<{name.replace('_', ' ')}>" if name else "")
        for text, name, _, _ in string.Formatter().parse(template)
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
