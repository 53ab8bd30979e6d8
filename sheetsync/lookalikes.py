"""Which header a person typed for a column sheetsync did not find: `Spnd` for Spend.

A column under a name sheetsync does not know is silently the user's; when that column is
one sheetsync reads, its values are lost without a word (a Plan's "Costs" is no Spend, so ROI
disappears). This module pairs each input column missing from a tab with the unrecognised
header that most looks like it, so a finding can ask "is `Costs` it?".

Two resemblances count, both on header text with case, spaces and punctuation ignored:
- a typo or a plural: difflib's similarity ratio of at least 0.8 to one of the column's
  names ("Reveune", "Costs");
- the column's name among the header's words, with at most two words more ("Total Spend",
  "Due date (final)"), unless the name is a short everyday word ("What", "Who", "Done")
  that a column of the user's could hold for its own reasons.
difflib (standard library) is enough for header-length strings and keeps the pairing
explainable: the ratio is the share of matching characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from sheetsync.model import TabLayout
from sheetsync.schema import Column
from sheetsync.workbook import is_blank

_SIMILAR_ENOUGH = 0.8
_MORE_WORDS_ALLOWED = 2
_WORD = re.compile(r"[^\W_]+|%")
_EVERYDAY_WORDS = frozenset({"what", "who", "when", "where", "done", "goal", "goals", "id"})


@dataclass(frozen=True, slots=True)
class Lookalike:
    """A missing input column, and the unrecognised header that is probably it."""

    column: Column
    header: str  # the header as the sheet spells it
    column_number: int  # 1-based


def lookalikes(layout: TabLayout) -> list[Lookalike]:
    """Each missing input column of the tab paired with its most similar unknown header."""
    known = set(layout.columns.values()) | {number for _, number in layout.duplicates}
    unknown = {
        number: str(text).strip()
        for number, text in enumerate(layout.header, 1)
        if number not in known and not is_blank(text)
    }
    pairs: list[tuple[float, Column, int]] = []
    for column in layout.schema.inputs:
        if column.key in layout.columns:
            continue
        for number, text in unknown.items():
            score = resemblance(text, (column.header, *column.aliases))
            if score:
                pairs.append((score, column, number))
    # Best pairs first; a header and a column are each used once.
    found: list[Lookalike] = []
    used_columns: set[str] = set()
    used_headers: set[int] = set()
    for _, column, number in sorted(pairs, key=lambda pair: (-pair[0], pair[2])):
        if column.key not in used_columns and number not in used_headers:
            used_columns.add(column.key)
            used_headers.add(number)
            found.append(Lookalike(column, unknown[number], number))
    return sorted(found, key=lambda lookalike: lookalike.column_number)


def resemblance(header: str, names: tuple[str, ...]) -> float:
    """How much `header` looks like one of `names`: 0 for not at all, up to 1."""
    words = _words(header)
    best = 0.0
    for name in names:
        wanted = _words(name)
        if not wanted or not words:
            continue
        ratio = SequenceMatcher(None, " ".join(words), " ".join(wanted)).ratio()
        if ratio >= _SIMILAR_ENOUGH:
            best = max(best, ratio)
        elif (
            " ".join(wanted) not in _EVERYDAY_WORDS
            and _contains(words, wanted)
            and len(words) - len(wanted) <= _MORE_WORDS_ALLOWED
        ):
            best = max(best, len(wanted) / len(words) * _SIMILAR_ENOUGH)
    return best


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _contains(words: list[str], wanted: list[str]) -> bool:
    """Whether `wanted` appears in `words` as consecutive words."""
    size = len(wanted)
    return any(words[start : start + size] == wanted for start in range(len(words) - size + 1))
