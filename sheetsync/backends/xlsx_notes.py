"""The note sheetsync puts on the header of a column it owns, added to a sheet's comments.

A note (Excel's "comment") lives in two parts linked from the sheet: the comments part holds
its text and author, and a VML drawing holds the yellow box Excel shows. A sheet with notes
already gets sheetsync's appended to both; a sheet without gets a new pair. A header that
already has a note keeps it (it is the user's).

A sheet has at most one VML drawing for its cells (linked by `legacyDrawing`), which holds
its notes' boxes and its form controls (buttons, check boxes) alike, and may have another for
the pictures of its printed header and footer (`legacyDrawingHF`). So a sheet with form
controls but no notes gets a comments part and the note boxes go into the controls' drawing;
a header or footer drawing is left alone. A chart, shape or picture is in a DrawingML part
(`drawing`), which notes never touch. A sheet whose VML drawings sheetsync cannot tell apart
gets no note: a missing hint is better than a damaged drawing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from xml.sax.saxutils import escape

from sheetsync.backends.xlsx_package import Coordinate
from sheetsync.backends.xlsx_parts import (
    COMMENTS_CONTENT,
    COMMENTS_TYPE,
    VML_CONTENT,
    VML_TYPE,
    attributes,
    relationships,
    rels_name,
    with_default,
    with_override,
    with_relationship,
)
from sheetsync.workbook import a1

OWNED_HEADER_NOTE = "Filled in by sheetsync — edits here are overwritten."
NOTE_AUTHOR = "sheetsync"
_SHAPES_PER_BLOCK = 1024  # VML shape ids come in blocks of 1024 per drawing (o:idmap)
# Header and footer pictures: left, center, right of header or footer, per page kind.
_HEADER_FOOTER_SHAPE = re.compile(
    rb"""<(?:[\w.-]+:)?shape\b[^>]*\sid\s*=\s*["'][LCR][HF](?:FIRST|EVEN)?["']"""
)

# The blocks of shape ids a VML drawing takes: <o:idmap v:ext="edit" data="1,2"/>.
_SHAPE_ID_BLOCKS = re.compile(rb"""<(?:[\w.-]+:)?idmap\b[^>]*\sdata\s*=\s*["']([^"']*)""")
# The prefixes the note boxes below are written with, and what they stand for.
_NOTE_NAMESPACES = {
    b"v": b"urn:schemas-microsoft-com:vml",
    b"o": b"urn:schemas-microsoft-com:office:office",
    b"x": b"urn:schemas-microsoft-com:office:excel",
}
_NEW_COMMENTS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<authors></authors><commentList></commentList></comments>"
)
_NEW_VML = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
    "{shape_type}</xml>"
)
_NOTE_SHAPE_TYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
_NOTE_SHAPE = (
    '<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;'
    'margin-left:80pt;margin-top:2pt;width:200pt;height:45pt;z-index:{z};visibility:hidden" '
    'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
    '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
    "<x:Anchor>{left}, 15, {top}, 10, {right}, 15, {bottom}, 4</x:Anchor>"
    "<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{column}</x:Column>"
    "</x:ClientData></v:shape>"
)


@dataclass
class NotesEdit:
    """The parts to write so a sheet's owned headers carry sheetsync's note."""

    parts: dict[str, bytes] = field(default_factory=dict)  # zip member -> new content
    content_types: bytes | None = None
    legacy_drawing: bytes | None = None  # the notes drawing's relationship id, linked if not yet


def add_notes(
    read: Mapping[str, bytes],
    sheet_part: str,
    cells: list[Coordinate],
    content_types: bytes,
) -> NotesEdit:
    """Notes on `cells` of the sheet at `sheet_part`; `read` holds the package's parts."""
    rels_part = rels_name(sheet_part)
    links = relationships(read.get(rels_part), sheet_part)
    comments = [member for _, kind, member in links if kind == COMMENTS_TYPE]
    drawings = [(rid, member) for rid, kind, member in links if kind == VML_TYPE]
    if any(member not in read for member in comments + [m for _, m in drawings]):
        return NotesEdit()
    kinds = [_drawing_kind(read[member]) for _, member in drawings]
    for_cells = [drawing for drawing, kind in zip(drawings, kinds, strict=True) if kind == "cells"]
    if len(comments) > 1 or len(for_cells) > 1 or None in kinds or (comments and not for_cells):
        return NotesEdit()  # drawings sheetsync cannot tell apart
    if for_cells:
        comments_part = comments[0] if comments else None
        return _added_to_existing(
            read, sheet_part, comments_part, for_cells[0], cells, content_types
        )
    return _new_notes(read, sheet_part, rels_part, cells, content_types)


def _drawing_kind(vml: bytes) -> Literal["cells", "header-footer"] | None:
    """What a VML drawing holds: notes and form controls, each anchored to cells ("cells"),
    or header and footer pictures, named for their place (LH, CF...); None when it is
    neither or both (say one with no shape at all)."""
    anchored = b"ClientData" in vml
    printed = _HEADER_FOOTER_SHAPE.search(vml) is not None
    if anchored != printed:
        return "cells" if anchored else "header-footer"
    return None


def _added_to_existing(
    read: Mapping[str, bytes],
    sheet_part: str,
    comments_part: str | None,
    drawing: tuple[str, str],
    cells: list[Coordinate],
    content_types: bytes,
) -> NotesEdit:
    """Notes added to the sheet's drawing, and to its comments part (new if it has none)."""
    drawing_id, drawing_part = drawing
    comments = read[comments_part] if comments_part else _NEW_COMMENTS.encode()
    noted = {m.decode().upper() for m in re.findall(rb"""\sref\s*=\s*["']([^"']+)""", comments)}
    fresh = [cell for cell in cells if a1(*cell) not in noted]
    vml = _with_note_prefixes(read[drawing_part])
    if not fresh or vml is None:
        return NotesEdit()
    edit = NotesEdit(legacy_drawing=drawing_id.encode())
    if comments_part is None:
        comments_part = _free_name(read, "xl/comments{}.xml")
        rels_part = rels_name(sheet_part)
        edit.parts[rels_part], _ = with_relationship(
            read.get(rels_part), sheet_part, COMMENTS_TYPE, comments_part
        )
        edit.content_types = with_override(content_types, comments_part, COMMENTS_CONTENT)
    if _NOTE_SHAPE_TYPE[:28].encode() not in vml and b'id="_x0000_t202"' not in vml:
        vml = _before_end(vml, b"</xml>", _NOTE_SHAPE_TYPE.encode())
    first_id = max([int(n) for n in re.findall(rb"_x0000_s(\d+)", vml)] or [1024]) + 1
    edit.parts[comments_part] = _with_comments(comments, fresh)
    edit.parts[drawing_part] = _before_end(vml, b"</xml>", _shapes(fresh, first_id))
    return edit


def _with_note_prefixes(vml: bytes) -> bytes | None:
    """The drawing with the prefixes of the note boxes sheetsync adds (v, o, x) bound on its
    root, as Excel binds them (openpyxl's drawings name the same namespaces ns0, ns1, ns2);
    None when the root binds one of those prefixes to another namespace."""
    root = re.search(rb"<xml\b([^>]*)>", vml)
    if root is None:
        return None
    declared = attributes(root[1])
    if any(declared.get(b"xmlns:" + p, uri) != uri for p, uri in _NOTE_NAMESPACES.items()):
        return None
    missing = b"".join(
        b' xmlns:%s="%s"' % (p, uri)
        for p, uri in _NOTE_NAMESPACES.items()
        if b"xmlns:" + p not in declared
    )
    return vml[: root.end(1)] + missing + vml[root.end(1) :]


def _new_notes(
    read: Mapping[str, bytes],
    sheet_part: str,
    rels_part: str,
    cells: list[Coordinate],
    content_types: bytes,
) -> NotesEdit:
    comments_part = _free_name(read, "xl/comments{}.xml")
    drawing_part = _free_name(read, "xl/drawings/vmlDrawing{}.vml")
    # Every block a drawing takes ("1,2" for more than 1024 shapes), whatever its prefix
    # (openpyxl's drawings call it ns0): a new one takes the next.
    blocks = [
        int(n)
        for name in read
        if name.lower().endswith(".vml")
        for data in re.findall(_SHAPE_ID_BLOCKS, read[name])
        for n in re.findall(rb"\d+", data)
    ]
    block = max(blocks, default=0) + 1
    drawing = _NEW_VML.format(block=block, shape_type=_NOTE_SHAPE_TYPE).encode()
    rels, _ = with_relationship(read.get(rels_part), sheet_part, COMMENTS_TYPE, comments_part)
    rels, drawing_id = with_relationship(rels, sheet_part, VML_TYPE, drawing_part)
    types = with_override(content_types, comments_part, COMMENTS_CONTENT)
    types = with_default(types, "vml", VML_CONTENT)
    return NotesEdit(
        {
            comments_part: _with_comments(_NEW_COMMENTS.encode(), cells),
            drawing_part: _before_end(
                drawing, b"</xml>", _shapes(cells, block * _SHAPES_PER_BLOCK + 1)
            ),
            rels_part: rels,
        },
        types,
        drawing_id.encode(),
    )


def _with_comments(comments: bytes, cells: list[Coordinate]) -> bytes:
    root = re.search(rb"<(?:([\w.-]+):)?comments\b", comments)
    p = (root[1] + b":") if root and root[1] else b""
    # An author without a name is an empty element (<author />, as openpyxl writes it): it
    # counts, or sheetsync's notes would name the author after it.
    author_element = rb"<" + re.escape(p) + rb"author\b[^>]*?(?:/>|>(.*?)</)"
    authors = [m.decode() for m in re.findall(author_element, comments, re.S)]
    if NOTE_AUTHOR in authors:
        author = authors.index(NOTE_AUTHOR)
    else:
        author = len(authors)
        element = b"<%sauthor>%s</%sauthor>" % (p, NOTE_AUTHOR.encode(), p)
        comments = _before_end(comments, b"</" + p + b"authors>", element, empty=p + b"authors")
    text = escape(OWNED_HEADER_NOTE).encode()
    added = b"".join(
        b'<%scomment ref="%s" authorId="%d"><%stext><%st>%s</%st></%stext></%scomment>'
        % (p, a1(*cell).encode(), author, p, p, text, p, p, p)
        for cell in cells
    )
    return _before_end(comments, b"</" + p + b"commentList>", added, empty=p + b"commentList")


def _shapes(cells: list[Coordinate], first_id: int) -> bytes:
    return "".join(
        _NOTE_SHAPE.format(
            id=first_id + n,
            z=n + 1,
            left=column,
            right=column + 3,
            top=max(row - 2, 0),
            bottom=row + 2,
            row=row - 1,
            column=column - 1,
        )
        for n, (row, column) in enumerate(cells)
    ).encode()


def _before_end(xml: bytes, closing: bytes, element: bytes, empty: bytes | None = None) -> bytes:
    at = xml.rfind(closing)
    if at != -1:
        return xml[:at] + element + xml[at:]
    if empty is not None:  # <authors/>
        match = re.search(rb"<" + re.escape(empty) + rb"\b[^>]*/>", xml)
        if match is not None:
            return (
                xml[: match.start()] + b"<" + empty + b">" + element + closing + xml[match.end() :]
            )
    raise ValueError(f"no {closing.decode()} in the notes part")


def _free_name(read: Mapping[str, bytes], pattern: str) -> str:
    taken = {name.lower() for name in read}
    number = 1
    while pattern.format(number).lower() in taken:
        number += 1
    return posixpath.normpath(pattern.format(number))
