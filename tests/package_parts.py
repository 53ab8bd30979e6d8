"""Comparing two .xlsx packages: what a sync may change, and what it must not.

Part by part (assert_untouched_parts_kept): every member is still there, in order, and
those a sync need not change keep their bytes. Element by element, in the parts it changed
(element_changes): every element and attribute is still there and equal after
canonicalisation (C14N 2.0, so quoting, namespace prefixes and layout do not count), except
owned cells and what follows from them and from a new tab.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from difflib import SequenceMatcher
from pathlib import Path

# Parts a sync may change: the sheets it writes, and the bookkeeping for formats, notes and
# the new Checks tab. Everything else must keep its bytes.
MAY_CHANGE = re.compile(
    r"xl/worksheets/sheet\d+\.xml|xl/styles\.xml|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels"
    r"|\[Content_Types\]\.xml|docProps/app\.xml|xl/comments\d*\.xml|xl/comments/comment\d+\.xml"
    r"|xl/drawings/\w+\.vml|xl/worksheets/_rels/sheet\d+\.xml\.rels"
)


def patch_member(path: Path, member: str, edits: list[tuple[str, str]]) -> None:
    """Rewrite one part of the package with exact text replacements (each must apply)."""
    with zipfile.ZipFile(path) as source:
        parts = {info: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in parts.items():
            if info.filename == member:
                text = content.decode()
                for old, new in edits:
                    assert old in text, f"{old!r} not in {member}"
                    text = text.replace(old, new)
                content = text.encode()
            target.writestr(info, content)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def stored_records(path: Path) -> dict[str, bytes]:
    """Each member as stored in the file (local header, name, extra field, compressed data,
    data descriptor), read as a stream from the first byte, as Java's ZipInputStream (Apache
    POI's reader of a workbook sent as a stream) reads it: each record must follow the last
    and unpack to what the central directory promises, and the directory follow the last."""
    data = path.read_bytes()
    records = {}
    at = 0
    with zipfile.ZipFile(path) as archive:
        while data.startswith(b"PK\x03\x04", at):
            fields = struct.unpack("<4sHHHHHIIIHH", data[at : at + 30])
            flags, method, name_length, extra_length = fields[2], fields[3], *fields[9:]
            name = data[at + 30 : at + 30 + name_length].decode()
            extra = data[at + 30 + name_length : at + 30 + name_length + extra_length]
            start = at + 30 + name_length + extra_length
            info = archive.getinfo(name)
            if method == zipfile.ZIP_DEFLATED:  # its end is where the deflate stream ends
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                content = inflater.decompress(data[start:])
                end = len(data) - len(inflater.unused_data)
            else:
                content = data[start : start + info.compress_size]
                end = start + info.compress_size
            assert content == archive.read(name), f"{name} does not stream"
            if flags & 0x08:  # a data descriptor: signature (optional), CRC, the two sizes
                end += 4 if data.startswith(b"PK\x07\x08", end) else 0
                end += 4 + (16 if _zip64(extra) else 8)
            records[name] = data[at:end]
            at = end
        assert data.startswith(b"PK\x01\x02", at), f"no member or directory at byte {at}"
        assert sorted(records) == sorted(archive.namelist())  # in any order
    return records


def _zip64(extra: bytes) -> bool:
    """The extra field holds a Zip64 record (id 1): the descriptor's sizes take 8 bytes."""
    at = 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack("<HH", extra[at : at + 4])
        if kind == 1:
            return True
        at += 4 + size
    return False


def assert_untouched_parts_kept(before: Path, after: Path) -> set[str]:
    """Every member is still there, in order; those sync need not change are byte-identical
    (their stored records too, descriptor and all); `after` reads as a stream. Returns the
    names of the members that changed."""
    old, new = parts(before), parts(after)
    assert list(new)[: len(old)] == list(old)
    changed = {name for name in old if new[name] != old[name]}
    assert all(MAY_CHANGE.fullmatch(name) for name in changed), changed
    old_records, new_records = stored_records(before), stored_records(after)
    for name in set(old) - changed:
        assert new_records[name] == old_records[name], name
    return changed


def element_changes(
    before: Path, after: Path, changed: set[str], owned: dict[str, set[str]] | None = None
) -> list[str]:
    """In the changed parts, every change sync may not make, in words; [] when there is none.

    `owned` maps a sheet part to the cells written there ("P2"), which may change freely.
    """
    old, new = parts(before), parts(after)
    owned = owned or {}
    return [
        change
        for name in sorted(changed)
        for change in _part_changes(name, old[name], new[name], owned.get(name, set()))
    ]


# (element, attribute) pairs whose value follows from the cells written or the tabs added.
_FOLLOWING_ATTRIBUTES = {
    ("dimension", "ref"),  # the sheet's used range
    ("row", "spans"),  # the row's first and last column
    ("calcPr", "fullCalcOnLoad"),  # written cells feed formulas: recalculate on open
    ("vector", "size"),  # app.xml: the list of sheet names
}
# Elements whose text follows from the tabs added: app.xml's count of worksheets.
_FOLLOWING_TEXT = {"i4"}
# Elements sheetsync adds to parts it must change: a tab's entries, appended formats, the
# sheet names of app.xml, owned cells and the rows that hold them.
_ADDABLE = {
    "sheet",  # workbook.xml: the new tab
    "calcPr",
    "Relationship",  # rels: the new tab's part
    "Override",  # [Content_Types].xml: the new tab's part
    "Default",
    "xf",  # styles.xml: the percent, money, date and header formats
    "numFmt",
    "numFmts",
    "font",
    "fill",
    "border",
    "variant",  # app.xml: "Worksheets" and their count
    "lpstr",
    "i4",
    "legacyDrawing",  # header notes: the link, and the notes added to a sheet's own
    "author",
    "comment",
    "shape",
    "shapetype",
    # An empty <styleSheet/> (47889.xlsx) gets the lists a format needs, default first.
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
}
# Where those of them that have one place may be added: the notes link is the worksheet's own
# child, after its cells (in <sheetData> Excel calls the file damaged); a note goes in the
# comments part's lists, its box in the VML drawing.
_ADDED_ONLY_UNDER = {
    "legacyDrawing": "/worksheet",
    "author": "/comments/authors",
    "comment": "/comments/commentList",
    "shape": "/xml",
    "shapetype": "/xml",
}
_IDENTITY = ("r", "Id", "PartName", "Extension", "name", "sheetId")


def _addable(element: ET.Element, parent: str) -> bool:
    tag = _local(element.tag)
    return tag in _ADDABLE and _ADDED_ONLY_UNDER.get(tag, parent) == parent


def _part_changes(name: str, old: bytes, new: bytes, owned: set[str]) -> list[str]:
    try:
        old_root = _canonical(old)
    except (ET.ParseError, UnicodeDecodeError):
        return [f"{name} changed"]  # not XML (a picture, a macro project): any change counts
    try:
        new_root = _canonical(new)
    except (ET.ParseError, UnicodeDecodeError) as error:
        return [f"{name} is no longer well-formed XML ({error})"]
    changes = [f"{name}: {change}" for change in _element_changes(old_root, new_root, owned, "")]
    misplaced = set(out_of_schema_order(new_root)) - set(out_of_schema_order(old_root))
    return changes + [f"{name}: <{element}> is out of the schema's order" for element in misplaced]


# A worksheet's children in the order its schema requires (ECMA-376 CT_Worksheet, 18.3.1.99):
# Excel calls a sheet with them in another order damaged.
WORKSHEET_ORDER = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]


def out_of_schema_order(root: ET.Element) -> list[str]:
    """The worksheet's children that come after one they must precede ([] for other parts)."""
    if _local(root.tag) != "worksheet":
        return []
    places = [
        WORKSHEET_ORDER.index(_local(c.tag)) for c in root if _local(c.tag) in WORKSHEET_ORDER
    ]
    return [WORKSHEET_ORDER[p] for n, p in enumerate(places) if p < max(places[:n], default=-1)]


def _canonical(content: bytes) -> ET.Element:
    """The part's XML in canonical form (C14N 2.0): quoting, prefixes and layout ignored."""
    return ET.fromstring(ET.canonicalize(content.decode("utf-8-sig"), strip_text=True))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _element_changes(old: ET.Element, new: ET.Element, owned: set[str], path: str) -> list[str]:
    tag = _local(old.tag)
    here = f"{path}/{tag}" + (f"[{_identity(old)}]" if _identity(old) else "")
    changes = []
    for attribute in sorted(set(old.attrib) | set(new.attrib)):
        before, after = old.get(attribute), new.get(attribute)
        follows = (tag, _local(attribute)) in _FOLLOWING_ATTRIBUTES or (
            _local(attribute) == "count" and after is not None  # of a list sheetsync appends to
        )
        if before != after and not follows:
            changes.append(f"{here} @{_local(attribute)} {before!r} -> {after!r}")
    if (old.text or "") != (new.text or "") and tag not in _FOLLOWING_TEXT:
        changes.append(f"{here} text {old.text!r} -> {new.text!r}")
    changes += _children_changes(old, new, owned, here)
    return changes


def _children_changes(old: ET.Element, new: ET.Element, owned: set[str], here: str) -> list[str]:
    """Align the children as a diff does (difflib), then compare the pairs and judge the rest.

    A child with an identity (a cell's reference, a relationship's Id) aligns with its
    namesake; one without aligns with an equal one; a replaced run pairs up in order.
    """
    before = [child for child in old if not _is_owned(child, owned)]
    after = [child for child in new if not _is_owned(child, owned)]
    matcher = SequenceMatcher(None, [_key(c) for c in before], [_key(c) for c in after], False)
    changes = []
    for _, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        olds, news = before[old_start:old_end], after[new_start:new_end]
        for pair in zip(olds, news, strict=False):
            changes += _element_changes(*pair, owned, here)
        for removed in olds[len(news) :]:
            changes.append(f"{here}/{_local(removed.tag)}[{_identity(removed)}] was removed")
        for added in news[len(olds) :]:
            if not (_addable(added, here) or _owned_row(added, owned)):
                changes.append(f"{here}/{_local(added.tag)}[{_identity(added)}] was added")
    return changes


def _key(element: ET.Element) -> tuple[str, str | bytes]:
    identity = _identity(element)
    return (element.tag, identity) if identity else (element.tag, ET.tostring(element))


def _identity(element: ET.Element) -> str:
    return next((element.get(key, "") for key in _IDENTITY if element.get(key)), "")


def _is_owned(element: ET.Element, owned: set[str]) -> bool:
    return _local(element.tag) == "c" and element.get("r") in owned


def _owned_row(element: ET.Element, owned: set[str]) -> bool:
    """A row sheetsync added: every cell in it is an owned one."""
    cells = list(element)
    return _local(element.tag) == "row" and bool(cells) and all(_is_owned(c, owned) for c in cells)
