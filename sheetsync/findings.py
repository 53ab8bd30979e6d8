"""A finding, and its message and hint, which are written only when it is shown.

A neglected plan has tens of thousands of findings and a text report shows a few of each
rule, so a finding keeps its rule's templates and the facts to fill them with, and fills
them when its message or hint is asked for (all of them for JSON and the Checks tab).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from sheetsync.amounts import apart

Severity = Literal["error", "warning"]
SEVERITY_ORDER = {"error": 0, "warning": 1}

# Facts that are already sentences of sheetsync's (a cell's problem and its fix, whose quotes
# cells.py shortened), not values from the sheet.
_SENTENCE_FACTS = frozenset({"problem", "fix"})
# A value quoted in a message is shortened past this many characters: a 40,000-character
# channel name helps nobody in a message, and would not fit in the Issues cell.
_QUOTED_LENGTH = 80


@dataclass(frozen=True, slots=True)
class Template:
    """A rule's message or hint, "{what} was due {due}.", filled with a finding's facts.

    Facts are text, dates and whole numbers, which are shown as str() shows them, except
    text of more than _QUOTED_LENGTH characters, which is shortened; and the rule's figures,
    which are shown side by side (amounts.apart) as the message is filled.
    """

    # The template in printf style, "%(what)s was due %(due)s.": % fills it from the facts
    # without parsing braces anew, a third quicker than str.format_map, and a JSON report or
    # a Checks tab fills every message and hint (41,000 on a neglected 10k plan).
    printf: str
    capitalized: bool  # a message starts with a capital, whatever fact comes first
    own_length: int  # of the template's own words, without its facts
    uses_place: bool  # names the finding's tab, cell or row ID
    fixed: str | None  # the text, when the template names no fact

    @classmethod
    def parse(cls, template: str, *, capitalized: bool = False) -> Template:
        parts = list(string.Formatter().parse(template))
        if any(spec or conversion for _, _, spec, conversion in parts):
            raise ValueError(f"{template!r}: facts are shown as they are, without {{:spec}}")
        names = {name for _, name, _, _ in parts if name is not None}
        if not all(name.isidentifier() for name in names):
            raise ValueError(f"{template!r}: facts are named, as in {{what}}")
        printf = "".join(
            literal.replace("%", "%%") + ("" if name is None else f"%({name})s")
            for literal, name, _, _ in parts
        )
        own_length = sum(len(literal) for literal, _, _, _ in parts)
        fixed = None
        if not names:
            fixed = _with_capital(template.format()) if capitalized else template.format()
        return cls(printf, capitalized, own_length, bool(names & _PLACE_FACTS), fixed)

    def fill(self, finding: Finding) -> str:
        if self.fixed is not None:
            return self.fixed
        facts = finding.facts
        if finding.wording.figures:
            facts = _figures_shown(facts, finding.wording.figures)
        if self.uses_place:
            text = self.printf % _shown_facts(finding, facts)
        else:
            text = self.printf % facts
            # No fact is longer than all of them together: when they total _QUOTED_LENGTH
            # characters or fewer (most messages), none needed shortening.
            if len(text) - self.own_length > _QUOTED_LENGTH:
                text = self.printf % _shown_facts(finding, facts)
        return _with_capital(text) if self.capitalized else text


def _with_capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class Wording(NamedTuple):
    """A rule's message and hint templates, and the facts they show as figures."""

    message: Template
    hint: Template
    # Facts that are figures (spend, budget...), shown side by side: 100.004 and 100 must not
    # both read 100. Worked out when a message is filled, as amounts.apart is not quick.
    figures: tuple[str, ...] = ()


class Finding(NamedTuple):
    """One rule firing on one place. A named tuple, not a dataclass: a neglected plan has tens
    of thousands, and a frozen dataclass takes three times as long to make."""

    code: str
    name: str
    severity: Severity
    tab: str
    cell: str | None
    row: int | None
    row_id: str | None
    facts: Mapping[str, Any]  # what the rule's message and hint are filled with
    wording: Wording

    @property
    def message(self) -> str:
        return self.wording.message.fill(self)

    @property
    def hint(self) -> str:
        return self.wording.hint.fill(self)

    def as_dict(self) -> dict[str, Any]:
        """SPEC 7's finding object."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "tab": self.tab,
            "cell": self.cell,
            "row": self.row,
            "row_id": self.row_id,
            "message": self.message,
            "hint": self.hint,
        }


_PLACE_FACTS = frozenset({"tab", "cell", "row_id"})


def _figures_shown(facts: Mapping[str, Any], figures: tuple[str, ...]) -> dict[str, Any]:
    """The facts with those of these figures that the finding has as text, side by side."""
    names = [name for name in figures if name in facts]
    return {**facts, **dict(zip(names, apart(*(facts[name] for name in names)), strict=True))}


def _shown_facts(finding: Finding, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Every fact of a finding as its message shows it: its place (tab, cell, row ID), then
    the rule's own `facts`, long text shortened."""
    shown = {"tab": finding.tab, "cell": finding.cell, "row_id": _quoted(finding.row_id)}
    for name, value in facts.items():
        short = type(value) is not str or len(value) <= _QUOTED_LENGTH or name in _SENTENCE_FACTS
        shown[name] = value if short else _quoted(value)
    return shown


def _quoted(text: str | None) -> str | None:
    if text is None or len(text) <= _QUOTED_LENGTH:
        return text
    return text[: _QUOTED_LENGTH - 1] + "…"
