"""Comparing two .xlsx packages part by part: what a sync may change, and what it must not."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

# Parts a sync may change: the sheets it writes, and the bookkeeping for formats, notes and
# the new Checks tab. Everything else must keep its bytes.
MAY_CHANGE = re.compile(
    r"xl/worksheets/sheet\d+\.xml|xl/styles\.xml|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels"
    r"|\[Content_Types\]\.xml|docProps/app\.xml|xl/comments\d*\.xml|xl/comments/comment\d+\.xml"
    r"|xl/drawings/\w+\.vml|xl/worksheets/_rels/sheet\d+\.xml\.rels"
)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def stored_records(path: Path) -> dict[str, bytes]:
    """Each member as stored in the file: local header, name, extra field, compressed data."""
    data = path.read_bytes()
    records = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            start = info.header_offset
            name_length, extra_length = struct.unpack("<HH", data[start + 26 : start + 30])
            end = start + 30 + name_length + extra_length + info.compress_size
            records[info.filename] = data[start:end]
    return records


def assert_untouched_parts_kept(before: Path, after: Path) -> set[str]:
    """Every member is still there, in order; those sync need not change are byte-identical
    (their compressed bytes too). Returns the names of the members that changed."""
    old, new = parts(before), parts(after)
    assert list(new)[: len(old)] == list(old)
    changed = {name for name in old if new[name] != old[name]}
    assert all(MAY_CHANGE.fullmatch(name) for name in changed), changed
    old_records, new_records = stored_records(before), stored_records(after)
    for name in set(old) - changed:
        assert new_records[name] == old_records[name], name
    return changed
