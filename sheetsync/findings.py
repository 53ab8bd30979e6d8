"""Findings, kept as columns until one is asked for, and their messages and hints.

A neglected plan has tens of thousands of findings and a text report shows a few of each
rule. So a rule's findings on a tab are kept as columns (`FindingColumns`: the cells, rows,
row IDs and each fact, one value per finding); their messages and hints are filled a column
at a time, and a `Finding`, with its message and hint, is made only when one is asked for.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
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

    # The template with "%s" for each fact, "%s was due %s.", in the order of `names`: % fills
    # a column of findings' facts without parsing braces anew, a third quicker than
    # str.format_map, and a JSON report or a Checks tab fills every message and hint (41,000 on
    # a neglected 10k plan).
    positional: str
    names: tuple[str, ...]
    # A message starts with a capital: its own first word's is there when it is parsed, and a
    # fact that comes first is given one as it is filled in.
    capital_fact: bool
    fixed: str | None  # the text, when the template names no fact

    @classmethod
    def parse(cls, template: str, *, capitalized: bool = False) -> Template:
        parts = list(string.Formatter().parse(template))
        if any(spec or conversion for _, _, spec, conversion in parts):
            raise ValueError(f"{template!r}: facts are shown as they are, without {{:spec}}")
        names = tuple(name for _, name, _, _ in parts if name is not None)
        if not all(name.isidentifier() for name in names):
            raise ValueError(f"{template!r}: facts are named, as in {{what}}")
        if not names:
            fixed = template.format()
            return cls("", (), False, _with_capital(fixed) if capitalized else fixed)
        pieces = [(literal, name) for literal, name, _, _ in parts]
        if capitalized and pieces[0][0]:
            pieces[0] = (_with_capital(pieces[0][0]), pieces[0][1])
        positional = "".join(
            literal.replace("%", "%%") + ("" if name is None else "%s") for literal, name in pieces
        )
        return cls(positional, names, capitalized and not pieces[0][0], None)

    def fill_all(self, shown: Mapping[str, Sequence[str]], count: int) -> list[str]:
        """This template filled with each of `count` findings' facts, as `shown`."""
        if self.fixed is not None:
            return [self.fixed] * count
        positional = self.positional
        return [positional % values for values in zip(*self.columns(shown), strict=True)]

    def columns(self, shown: Mapping[str, Sequence[str]]) -> list[Sequence[str]]:
        """The columns of facts this template shows, in its order, as it shows them."""
        columns = [shown[name] for name in self.names]
        if self.capital_fact:
            columns[0] = list(map(_with_capital, columns[0]))
        return columns


def _texts_shown(values: Sequence[Any], kept_whole: bool) -> Sequence[str]:
    """A column of a fact's values as its messages show them: as str() shows each, each date
    written once (a column repeats a few hundred, and date.isoformat goes through C's printf,
    a microsecond each), text of more than _QUOTED_LENGTH characters shortened unless
    `kept_whole`."""
    if type(values[0]) is dt.date:
        written: dict[Any, str] = {}
        texts = [written[v] if v in written else written.setdefault(v, str(v)) for v in values]
    else:
        texts = [value if type(value) is str else str(value) for value in values]
    if kept_whole or max(map(len, texts)) <= _QUOTED_LENGTH:
        return texts
    return [
        _quoted(text) if type(value) is str else text
        for value, text in zip(values, texts, strict=True)
    ]


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
    message: str
    hint: str

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


class Hits(NamedTuple):
    """A rule's hits on one tab as columns, one value per hit in each: a neglected plan's
    tactic rules fire thousands of times, and a column is made in one comprehension."""

    tab: str
    cells: Sequence[str | None]
    rows: Sequence[int | None]
    row_ids: Sequence[str | None]
    facts: Mapping[str, Sequence[Any]]  # each fact's values, in the order of the hits


@dataclass(frozen=True, slots=True)
class FindingColumns:
    """One rule's findings on one tab, as columns; a `Finding` is made when one is asked for."""

    code: str
    name: str
    severity: Severity
    wording: Wording
    hits: Hits

    def __len__(self) -> int:
        return len(self.hits.rows)

    def findings(self) -> list[Finding]:
        """Each finding, its message and hint filled a column at a time."""
        common = (self.code, self.name, self.severity, self.hits.tab)
        return [Finding(*common, *values) for values in self._places_and_texts()]

    def finding_dicts(self) -> list[dict[str, Any]]:
        """Each finding's `Finding.as_dict()`, made a column at a time: a JSON report of a
        neglected plan has tens of thousands."""
        code, name, severity, tab = self.code, self.name, self.severity, self.hits.tab
        return [
            {
                "code": code,
                "name": name,
                "severity": severity,
                "tab": tab,
                "cell": cell,
                "row": row,
                "row_id": row_id,
                "message": message,
                "hint": hint,
            }
            for cell, row, row_id, message, hint in self._places_and_texts()
        ]

    def _places_and_texts(self) -> Iterator[tuple[Any, ...]]:
        """Each finding's cell, row, row ID, message and hint."""
        hits, shown = self.hits, self._facts_shown()
        return zip(
            hits.cells,
            hits.rows,
            hits.row_ids,
            self.wording.message.fill_all(shown, len(self)),
            self.wording.hint.fill_all(shown, len(self)),
            strict=True,
        )

    def finding(self, index: int) -> Finding:
        """One finding, its columns cut to its own values."""
        hits = self.hits
        one = Hits(
            hits.tab,
            hits.cells[index : index + 1],
            hits.rows[index : index + 1],
            hits.row_ids[index : index + 1],
            {name: values[index : index + 1] for name, values in hits.facts.items()},
        )
        return FindingColumns(self.code, self.name, self.severity, self.wording, one).findings()[0]

    def _facts_shown(self) -> dict[str, Sequence[str]]:
        """Each fact the message and hint name, as they show it: as text, long text shortened,
        figures side by side. Unless the rule names a fact so, tab, cell and row_id are the
        finding's place (its tab and cell whole: sheetsync's own, and short)."""
        hits, wording = self.hits, self.wording
        facts = hits.facts
        if wording.figures:
            facts = _figures_shown_columns(facts, wording.figures)
        sources = {
            "tab": ([hits.tab] * len(self), True),
            "cell": (hits.cells, True),
            "row_id": (hits.row_ids, False),
        }
        sources.update((name, (values, name in _SENTENCE_FACTS)) for name, values in facts.items())
        return {
            name: _texts_shown(*sources[name])
            for name in {*wording.message.names, *wording.hint.names}
        }


class Findings:
    """Every finding of a check, in report order: errors first, then by tab, row and code.

    Kept as each rule's columns; a text report makes the few it lists, and the rest are made
    only when all are asked for (sync's Checks tab and Issues cells).
    """

    def __init__(self, parts: Sequence[FindingColumns], places: Sequence[int]) -> None:
        """`places`: one sortable number per finding, part by part (see rules.run_checks)."""
        self.parts = tuple(parts)
        # A stable sort: findings in one place keep the order their rules made them in.
        self.order = sorted(range(len(places)), key=places.__getitem__)
        self._all: tuple[Finding, ...] | None = None
        self._by_row: dict[tuple[str, int], tuple[Finding, ...]] | None = None

    def __len__(self) -> int:
        return len(self.order)

    def all(self) -> tuple[Finding, ...]:
        if self._all is None:
            made = [finding for part in self.parts for finding in part.findings()]
            self._all = tuple(map(made.__getitem__, self.order))
        return self._all

    def in_order(self, values: Sequence[Any]) -> list[Any]:
        """Values given one per finding, part by part, in report order."""
        return list(map(values.__getitem__, self.order))

    def count(self, severity: str) -> int:
        return sum(len(part) for part in self.parts if part.severity == severity)

    @cached_property
    def parts_in_order(self) -> list[FindingColumns]:
        """The parts, by where the first of each one's findings is listed."""
        position = [0] * len(self.order)
        for place, number in enumerate(self.order):
            position[number] = place
        firsts, start = [], 0
        for part in self.parts:
            firsts.append(min(position[start : start + len(part)]))
            start += len(part)
        return [self.parts[index] for index in sorted(range(len(firsts)), key=firsts.__getitem__)]

    def on_tab(self, tab: str) -> Iterator[Finding]:
        """The findings on this tab, in report order, each made as it is reached."""
        owners = self._owners
        for number in self.order:
            part, index = owners[number]
            if part.hits.tab == tab:
                yield part.finding(index)

    @cached_property
    def _owners(self) -> list[tuple[FindingColumns, int]]:
        """Each finding's part and its index there, part by part."""
        return [(part, index) for part in self.parts for index in range(len(part))]

    def on_row(self, tab_key: str, row: int) -> tuple[Finding, ...]:
        """The findings on one row of a tab (its name case-folded), for its Issues cell."""
        if self._by_row is None:
            by_row: dict[tuple[str, int], list[Finding]] = {}
            for finding in self.all():
                if finding.row is not None and finding.row > 1:
                    key = (finding.tab.casefold(), finding.row)
                    by_row.setdefault(key, []).append(finding)
            self._by_row = {key: tuple(found) for key, found in by_row.items()}
        return self._by_row.get((tab_key, row), ())

    def rows_with_errors(self) -> set[tuple[str, int]]:
        """(tab case-folded, row) of each row with an error finding."""
        return {
            (part.hits.tab.casefold(), row)
            for part in self.parts
            if part.severity == "error"
            for row in part.hits.rows
            if row
        }


def _figures_shown_columns(
    facts: Mapping[str, Sequence[Any]], figures: tuple[str, ...]
) -> dict[str, Sequence[Any]]:
    """The facts, with each figure (spend, budget...) a finding has as text, side by side with
    the finding's other figures: 100.004 and 100 must not both read 100."""
    names = [name for name in figures if name in facts]
    if not names:
        return dict(facts)
    rows = zip(*[facts[name] for name in names], strict=True)
    shown = zip(*[apart(*values) for values in rows], strict=True)
    return {**facts, **dict(zip(names, shown, strict=True))}


def _quoted(text: str) -> str:
    if len(text) <= _QUOTED_LENGTH:
        return text
    return text[: _QUOTED_LENGTH - 1] + "…"
