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

import orjson

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
    # The same with named facts, "%(what)s was due %(due)s.", for the rare text whose long
    # facts are shortened one finding at a time.
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
        positional = "".join(
            literal.replace("%", "%%") + ("" if name is None else "%s")
            for literal, name, _, _ in parts
        )
        order = tuple(name for _, name, _, _ in parts if name is not None)
        own_length = sum(len(literal) for literal, _, _, _ in parts)
        fixed = None
        if not names:
            fixed = _with_capital(template.format()) if capitalized else template.format()
        uses_place = bool(names & _PLACE_FACTS)
        return cls(positional, order, printf, capitalized, own_length, uses_place, fixed)

    def fill_all(self, found: FindingColumns) -> list[str]:
        """This template filled with each of these findings' facts, a column at a time."""
        if self.fixed is not None:
            return [self.fixed] * len(found)
        hits = found.hits
        facts = hits.facts
        if found.wording.figures:
            facts = _figures_shown_columns(facts, found.wording.figures)
        if self.uses_place:
            texts = self._filled(_shown_columns(hits, facts))
        else:
            texts = self._filled(facts)
            own, printf = self.own_length, self.printf
            for index, text in enumerate(texts):
                # No fact is longer than all of them together: when they total _QUOTED_LENGTH
                # characters or fewer (most messages), none needed shortening.
                if len(text) - own > _QUOTED_LENGTH:
                    row_facts = {name: column[index] for name, column in facts.items()}
                    place = (hits.tab, hits.cells[index], hits.row_ids[index])
                    texts[index] = printf % _shown_facts(*place, row_facts)
        return list(map(_with_capital, texts)) if self.capitalized else texts

    def _filled(self, columns: Mapping[str, Sequence[Any]]) -> list[str]:
        positional = self.positional
        shown = [_dates_shown(columns[name]) for name in self.names]
        return [positional % values for values in zip(*shown, strict=True)]


def _dates_shown(values: Sequence[Any]) -> Sequence[Any]:
    """A column of dates as % shows them (2026-03-01), each date written once: a column repeats
    a few hundred dates, and writing one costs a microsecond (C's printf, in date.isoformat)."""
    if not values or type(values[0]) is not dt.date:
        return values
    written: dict[Any, str] = {}
    return [written[day] if day in written else written.setdefault(day, str(day)) for day in values]


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
        hits = self.hits
        return [
            Finding(self.code, self.name, self.severity, hits.tab, *values)
            for values in zip(
                hits.cells,
                hits.rows,
                hits.row_ids,
                self.wording.message.fill_all(self),
                self.wording.hint.fill_all(self),
                strict=True,
            )
        ]

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

    def json_objects(self) -> list[str]:
        """Each finding's `as_dict()` as orjson writes it indented two levels deep (as in the
        list under "findings"), made a column at a time for a JSON report's thousands: one
        template per rule and tab, with what all its findings share written in once."""
        hits, hint = self.hits, self.wording.hint
        slots: list[str] = []
        columns: list[Sequence[Any]] = []
        for key, values in (
            ("code", self.code),
            ("name", self.name),
            ("severity", self.severity),
            ("tab", hits.tab),
            ("cell", hits.cells),
            ("row", hits.rows),
            ("row_id", hits.row_ids),
            ("message", self.wording.message.fill_all(self)),
            ("hint", hint.fixed if hint.fixed is not None else hint.fill_all(self)),
        ):
            if isinstance(values, str):  # the same for every finding
                slot = orjson.dumps(values).decode().replace("%", "%%")
            elif None in values:
                slot = "%s"
                columns.append(_json_values(values))
            elif key == "row":
                slot = "%d"
                columns.append(values)
            else:
                slot = '"%s"'
                columns.append(_json_escaped(values))  # type: ignore[arg-type]  # no None
            slots.append(f'      "{key}": {slot}')
        template = "    {\n" + ",\n".join(slots) + "\n    }"
        return [template % values for values in zip(*columns, strict=True)]


def _json_escaped(texts: Sequence[str]) -> list[str]:
    """Each text as inside a JSON string's quotes, escaped by orjson in one call: in a list
    written without spaces, a quote, a comma and a quote only ever separate two texts."""
    return orjson.dumps(list(texts)).decode()[2:-2].split('","')


def _json_values(values: Sequence[str | int | None]) -> list[str]:
    """Each value as JSON: null, a number, or a quoted text."""
    texts = iter(_json_escaped([value for value in values if type(value) is str]))
    return [
        "null" if value is None else f'"{next(texts)}"' if type(value) is str else str(value)
        for value in values
    ]


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


_PLACE_FACTS = frozenset({"tab", "cell", "row_id"})


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


def _shown_facts(
    tab: str, cell: str | None, row_id: str | None, facts: Mapping[str, Any]
) -> dict[str, Any]:
    """Every fact of a finding as its message shows it: its place (tab, cell, row ID), then
    the rule's own `facts`, long text shortened."""
    shown = {"tab": tab, "cell": cell, "row_id": _quoted(row_id)}
    for name, value in facts.items():
        short = type(value) is not str or len(value) <= _QUOTED_LENGTH or name in _SENTENCE_FACTS
        shown[name] = value if short else _quoted(value)
    return shown


def _shown_columns(hits: Hits, facts: Mapping[str, Sequence[Any]]) -> dict[str, Sequence[Any]]:
    """`_shown_facts` for columns of facts."""
    shown: dict[str, Sequence[Any]] = {
        "tab": [hits.tab] * len(hits.rows),
        "cell": hits.cells,
        "row_id": [_quoted(row_id) for row_id in hits.row_ids],
    }
    for name, values in facts.items():
        shown[name] = (
            values
            if name in _SENTENCE_FACTS
            else [
                value if type(value) is not str or len(value) <= _QUOTED_LENGTH else _quoted(value)
                for value in values
            ]
        )
    return shown


def _quoted(text: str | None) -> str | None:
    if text is None or len(text) <= _QUOTED_LENGTH:
        return text
    return text[: _QUOTED_LENGTH - 1] + "…"
