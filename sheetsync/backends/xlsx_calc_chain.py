"""The calculation chain (xl/calcChain.xml): the formula cells of every sheet, in the order
Excel last calculated them.

Excel calls a file damaged when its chain names a cell that holds no formula, so when a sync
types a value over a user's formula in an owned cell, that cell's entry goes. Every other
entry keeps its bytes and its place, except where the one removed carried something the
next entry relied on (ECMA-376 18.6.1, and Office's notes on it in MS-OE376):

- `i`, the sheet (its sheetId): an entry without one is on the sheet of the entry before
  it, so the next entry kept gets the `i` it relied on;
- `l`, "starts a new dependency level": the level now starts at the next entry kept, which
  then is no longer a child (`s`: Office requires `l` and `s` never together).

`s` (a child of the entry before), `t` (its own thread) and `a` (an array formula) describe
the entry itself and go with it. A chain left empty is removed, its relationship and
content type with it (the caller's part).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sheetsync.backends.xlsx_parts import attributes

_ROOT = re.compile(rb"<(?:([\w.-]+):)?calcChain\b")
_NAME = re.compile(rb"<[\w.:-]+")
_REFERENCE = re.compile(rb"""\sr\s*=\s*["'][^"']*["']""")
_LEVEL_OR_CHILD = re.compile(rb"""\s[ls]\s*=\s*["'][^"']*["']""")
_TRUE = (b"1", b"true")


def without_entries(chain: bytes, cells: Iterable[tuple[int, str]]) -> bytes | None:
    """The chain without the entries of `cells` ((sheetId, "B2")), the chain itself when
    none is in it; None when the part must go: no entry left, or a sheet id not a number."""
    dropped = {(sheet, reference.upper()) for sheet, reference in cells}
    root = _ROOT.search(chain)
    prefix = re.escape((root[1] + b":") if root and root[1] else b"")
    entry = re.compile(rb"<" + prefix + rb"c\b([^>]*?)(?:/>|>.*?</" + prefix + rb"c>)", re.S)
    pieces: list[bytes] = []
    position = 0
    sheet = written_sheet = 0  # the sheet of the entry read last, and as the kept ones say
    kept = False  # whether an entry stays
    starts_level = False  # a removed entry started a dependency level: the next kept does
    for match in entry.finditer(chain):
        values = attributes(match[1])
        if b"i" in values:
            if not values[b"i"].strip().isdigit():
                return None
            sheet = int(values[b"i"])
        reference = values.get(b"r", b"").replace(b"$", b"").decode().upper()
        if (sheet, reference) in dropped:
            pieces.append(chain[position : match.start()])
            position = match.end()
            starts_level |= values.get(b"l") in _TRUE
            continue
        kept = True
        new_sheet = b"i" not in values and sheet != written_sheet
        new_level = starts_level and values.get(b"l") not in _TRUE
        if new_sheet or new_level:
            pieces.append(chain[position : match.start()])
            pieces.append(_handed_over(match[0], sheet if new_sheet else None, new_level))
            position = match.end()
        written_sheet, starts_level = sheet, False
    if position == 0:
        return chain
    if not kept:
        return None
    return b"".join(pieces) + chain[position:]


def _handed_over(element: bytes, sheet: int | None, starts_level: bool) -> bytes:
    """A kept entry, given the sheet and the level start of the entries removed before it."""
    added = b""
    if sheet is not None:
        added += b' i="%d"' % sheet
    if starts_level:  # it starts the level and is no longer a child (l="0", s="1" go)
        element = _LEVEL_OR_CHILD.sub(b"", element)
        added += b' l="1"'
    after = _REFERENCE.search(element) or _NAME.match(element)  # as Excel writes: r, i, l
    at = after.end() if after else 0
    return element[:at] + added + element[at:]
