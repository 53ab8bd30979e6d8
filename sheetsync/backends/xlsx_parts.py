"""Small text edits to a package's bookkeeping parts: relationships, content types, the
workbook part's sheet list and calculation settings, and docProps/app.xml's list of titles.

Each function takes a part's bytes and returns them with one thing added or changed; every
other byte stays as it was, so a reader comparing before and after sees only that change.
"""

from __future__ import annotations

import posixpath
import re
from xml.sax.saxutils import escape, quoteattr

RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_TYPE = f"{RELATIONSHIPS}/worksheet"
STYLES_TYPE = f"{RELATIONSHIPS}/styles"
COMMENTS_TYPE = f"{RELATIONSHIPS}/comments"
VML_TYPE = f"{RELATIONSHIPS}/vmlDrawing"
CALC_CHAIN_TYPE = f"{RELATIONSHIPS}/calcChain"
SHARED_STRINGS_TYPE = f"{RELATIONSHIPS}/sharedStrings"
TABLE_TYPE = f"{RELATIONSHIPS}/table"

WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STYLES_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
COMMENTS_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CONTENT = "application/vnd.openxmlformats-officedocument.vmlDrawing"

EMPTY_RELATIONSHIPS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b"</Relationships>"
)

_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Workbook children that follow calcPr (ECMA-376 18.2.27), where a new calcPr goes before.
_AFTER_CALC = (
    b"oleSize",
    b"customWorkbookViews",
    b"pivotCaches",
    b"smartTagPr",
    b"smartTagTypes",
    b"webPublishing",
    b"fileRecoveryPr",
    b"webPublishObjects",
    b"extLst",
)


def attributes(opening: bytes) -> dict[bytes, bytes]:
    return {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTRIBUTE.finditer(opening)}


def rels_name(part: str) -> str:
    """The relationships part of a part: xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def relationships(xml: bytes | None, part: str) -> list[tuple[str, str, str]]:
    """(Id, Type, zip member it points at) of each internal relationship of `part`."""
    found = []
    folder = posixpath.dirname(part)
    for match in re.finditer(rb"<(?:[\w.-]+:)?Relationship\b([^>]*)>", xml or b""):
        values = {k.decode(): v.decode() for k, v in attributes(match[1]).items()}
        if values.get("TargetMode") == "External":
            continue
        target = values.get("Target", "")
        member = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        found.append((values.get("Id", ""), values.get("Type", ""), member))
    return found


def with_relationship(xml: bytes | None, part: str, kind: str, member: str) -> tuple[bytes, str]:
    """The relationships part with one more relationship to `member`, and its new Id."""
    xml = xml or EMPTY_RELATIONSHIPS
    used = set(re.findall(rb"""\sId\s*=\s*["']([^"']*)["']""", xml))
    number = 1
    while b"rId%d" % number in used:
        number += 1
    identifier = f"rId{number}"
    target = posixpath.relpath(member, posixpath.dirname(part) or ".")
    prefix = _prefix(xml, b"Relationships")
    element = (
        f"<{prefix}Relationship Id={quoteattr(identifier)} Type={quoteattr(kind)} "
        f"Target={quoteattr(target)}/>"
    ).encode()
    return _before_closing(xml, prefix.encode() + b"Relationships", element), identifier


def without_relationship_to(xml: bytes, part: str, member: str) -> bytes:
    """The relationships part without those pointing at `member`."""
    kept = xml
    for match in re.finditer(rb"<(?:[\w.-]+:)?Relationship\b[^>]*?(?:/>|>.*?</[^>]*>)", xml, re.S):
        found = relationships(match[0], part)
        if found and found[0][2] == member:
            kept = kept.replace(match[0], b"", 1)
    return kept


def with_override(xml: bytes, member: str, content_type: str) -> bytes:
    """[Content_Types].xml saying what the new part `member` is."""
    prefix = _prefix(xml, b"Types")
    element = (
        f"<{prefix}Override PartName={quoteattr('/' + member)} "
        f"ContentType={quoteattr(content_type)}/>"
    ).encode()
    return _before_closing(xml, prefix.encode() + b"Types", element)


def with_default(xml: bytes, extension: str, content_type: str) -> bytes:
    """[Content_Types].xml with a default type for an extension, unless it has one."""
    pattern = rb"""<(?:[\w.-]+:)?Default\b[^>]*\sExtension\s*=\s*["']%s["']""" % re.escape(
        extension.encode()
    )
    if re.search(pattern, xml, re.I):
        return xml
    prefix = _prefix(xml, b"Types")
    element = (
        f"<{prefix}Default Extension={quoteattr(extension)} ContentType={quoteattr(content_type)}/>"
    ).encode()
    return _before_closing(xml, prefix.encode() + b"Types", element)


def without_override(xml: bytes, member: str) -> bytes:
    pattern = rb"""<(?:[\w.-]+:)?Override\b[^>]*\sPartName\s*=\s*["']/%s["'][^>]*>""" % re.escape(
        member.encode()
    )
    return re.sub(pattern, b"", xml, flags=re.I)


def with_sheet(xml: bytes, name: str, relationship: str) -> bytes:
    """The workbook part listing one more sheet, last, with the next free sheetId."""
    prefix = _prefix(xml, b"workbook")
    ids = [int(n) for n in re.findall(rb"""\ssheetId\s*=\s*["'](\d+)["']""", xml)]
    r_prefix = _namespace_prefix(xml, RELATIONSHIPS.encode())
    link = (
        f"{r_prefix}:id={quoteattr(relationship)}"
        if r_prefix
        else f'r:id={quoteattr(relationship)} xmlns:r="{RELATIONSHIPS}"'
    )
    element = (
        f'<{prefix}sheet name={quoteattr(name)} sheetId="{max(ids, default=0) + 1}" {link}/>'
    ).encode()
    return _before_closing(xml, prefix.encode() + b"sheets", element)


def with_full_calculation(xml: bytes) -> bytes:
    """The workbook part asking spreadsheet programs to recalculate every formula on open."""
    prefix = _prefix(xml, b"workbook").encode()
    calc = re.search(rb"<" + re.escape(prefix) + rb"calcPr\b([^>]*?)(/?)>", xml)
    if calc is not None:
        values = attributes(calc[1])
        if values.get(b"fullCalcOnLoad") in (b"1", b"true"):
            return xml
        if b"fullCalcOnLoad" in values:
            opening = re.sub(rb"""(\sfullCalcOnLoad\s*=\s*)(["'])[^"']*\2""", rb'\g<1>"1"', calc[0])
        else:
            opening = calc[0][: calc.start(2) - calc.start()] + b' fullCalcOnLoad="1"'
            opening += calc[0][calc.start(2) - calc.start() :]
        return xml[: calc.start()] + opening + xml[calc.end() :]
    element = b"<" + prefix + b'calcPr fullCalcOnLoad="1"/>'
    for name in _AFTER_CALC:
        later = re.search(rb"<" + re.escape(prefix) + name + rb"\b", xml)
        if later is not None:
            return xml[: later.start()] + element + xml[later.start() :]
    return _before_closing(xml, prefix + b"workbook", element)


def with_titles(app: bytes, names: list[str], worksheets_before: int) -> bytes | None:
    """docProps/app.xml listing new worksheet titles; None when its lists are not the usual.

    HeadingPairs counts the titles of each kind (worksheets first); TitlesOfParts lists them.
    """
    pairs = re.search(rb"<HeadingPairs>\s*<vt:vector\b[^>]*>(.*?)</vt:vector>", app, re.S)
    titles = re.search(rb"(<TitlesOfParts>\s*<vt:vector\b[^>]*>)(.*?)(</vt:vector>)", app, re.S)
    if pairs is None or titles is None:
        return None
    counts = list(re.finditer(rb"<vt:i4>(\d+)</vt:i4>", pairs[1]))
    if not counts or int(counts[0][1]) != worksheets_before:
        return None
    entries = list(re.finditer(rb"<vt:lpstr>.*?</vt:lpstr>", titles[2], re.S))
    if len(entries) < worksheets_before:
        return None
    at = titles.start(2) + (entries[worksheets_before - 1].end() if worksheets_before else 0)
    added = b"".join(b"<vt:lpstr>" + escape(n).encode() + b"</vt:lpstr>" for n in names)
    total = len(entries) + len(names)
    count = counts[0]
    count_at = pairs.start(1) + count.start(1), pairs.start(1) + count.end(1)
    edited = app[:at] + added + app[at:]
    edited = (
        edited[: count_at[0]] + str(worksheets_before + len(names)).encode() + edited[count_at[1] :]
    )
    return re.sub(
        rb"(<TitlesOfParts>\s*<vt:vector\b[^>]*?\ssize=)([\"'])\d+\2",
        rb'\g<1>"' + str(total).encode() + b'"',
        edited,
        count=1,
    )


def _before_closing(xml: bytes, tag: bytes, element: bytes) -> bytes:
    closing = xml.rfind(b"</" + tag + b">")
    if closing == -1:  # <Relationships/>: an empty list
        empty = re.search(rb"<" + re.escape(tag) + rb"\b([^>]*?)/>", xml)
        if empty is None:
            raise ValueError(f"no {tag.decode()} element")
        opening = b"<" + tag + empty[1] + b">"
        return xml[: empty.start()] + opening + element + b"</" + tag + b">" + xml[empty.end() :]
    return xml[:closing] + element + xml[closing:]


def _prefix(xml: bytes, root: bytes) -> str:
    match = re.search(rb"<(?:([\w.-]+):)?" + root + rb"\b", xml)
    return (match[1].decode() + ":") if match and match[1] else ""


def _namespace_prefix(xml: bytes, namespace: bytes) -> str | None:
    """The prefix the root element binds to `namespace` (one bound deeper is out of scope)."""
    root = re.search(rb"<(?:[\w.-]+:)?workbook\b[^>]*>", xml)
    pattern = rb"""xmlns:([\w.-]+)\s*=\s*["']""" + re.escape(namespace) + rb"""["']"""
    match = re.search(pattern, root[0]) if root else None
    return match[1].decode() if match else None
