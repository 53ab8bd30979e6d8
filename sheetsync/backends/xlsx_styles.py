"""The cell formats sheetsync gives owned cells, appended to a workbook's styles part.

A cell's look is an index into the styles part's list of cell formats (`xf`). To show an
owned cell as a percent, money, a date or an owned header, the writer needs a format that
is the cell's current one with that one thing changed. `Styles` finds it among the formats
the workbook has, or appends it (and the font, fill or number format it needs) at the end,
so no existing index moves and no other cell changes. The part is edited as text: every
byte outside the lists it appends to stays as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from sheetsync.workbook import CellKind

OWNED_HEADER_FILL = "FFD9D9D9"  # the grey `sheetsync init` gives owned headers

# Built-in number formats (ECMA-376 18.8.30) and the one custom code sheetsync adds.
_BUILT_IN_FORMATS = {"percent": 9, "money": 4}
_DATE_CODE = "yyyy-mm-dd"
_FIRST_CUSTOM_FORMAT = 164

_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ROOT = re.compile(rb"<(?:([\w.-]+):)?styleSheet\b[^>]*>")

# A workbook without a styles part gets the smallest one Excel accepts.
EMPTY_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    b"</cellStyleXfs>"
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    b"</cellXfs>"
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)


def styles_to_edit(xml: bytes | None) -> bytes | None:
    """The styles part to append to: the workbook's own; EMPTY_STYLES where it has none; an
    empty one (`<styleSheet/>`: every cell shows the default look, which EMPTY_STYLES's format
    0 is) filled with EMPTY_STYLES's lists. None for a part with content but no list of cell
    formats, or an empty one: the first format appended there would become every unstyled
    cell's look."""
    if xml is None:
        return EMPTY_STYLES
    root = _ROOT.search(xml)
    if root is None:
        return None
    prefix = (root[1] + b":") if root[1] else b""
    formats = _container(xml, prefix + b"cellXfs")
    if formats is not None:
        # An empty list is no list: every cell shows the default look, which no entry holds.
        return _with_default_lists(xml, prefix) if b"<" in xml[formats[0] : formats[1]] else None
    closing = re.match(rb"\s*</styleSheet>", xml[root.end() :])
    if prefix or not (root[0].endswith(b"/>") or closing):
        return None
    # The workbook's own root tag (its namespaces, xml:space), holding EMPTY_STYLES's lists.
    opening = root[0][:-2].rstrip() + b">" if root[0].endswith(b"/>") else root[0]
    lists = EMPTY_STYLES[EMPTY_STYLES.index(b"<fonts") : EMPTY_STYLES.rindex(b"</styleSheet>")]
    rest = root.end() + (closing.end() if closing else 0)
    return xml[: root.start()] + opening + lists + b"</styleSheet>" + xml[rest:]


# The lists an owned format appends to that a part may leave out, each with the lists that
# follow it in a styles part (ECMA-376 18.8.39).
_DEFAULT_LISTS = (
    (b"fonts", (b"fills", b"borders", b"cellStyleXfs", b"cellXfs")),
    (b"fills", (b"borders", b"cellStyleXfs", b"cellXfs")),
)


def _with_default_lists(xml: bytes, prefix: bytes) -> bytes:
    """The part with EMPTY_STYLES's font and fills lists where it has none or an empty one.
    Its cells then show the default font and no fill, which those lists' first entries are:
    without them, the bold font or grey fill of an owned header would be entry 0, which every
    other cell uses."""
    for name, following in _DEFAULT_LISTS:
        found = _container(xml, prefix + name)
        if found is not None and b"<" in xml[found[0] : found[1]]:
            continue
        default = re.search(rb"<" + name + rb"\b.*?</" + name + b">", EMPTY_STYLES)
        assert default is not None
        listed = re.sub(rb"<(/?)", rb"<\g<1>" + prefix, default[0])
        if found is not None:  # the empty list gives way to the default one
            opening, end = found[2]
            if not xml[opening:end].endswith(b"/>"):  # <fonts></fonts>: its closing tag too
                end = found[1] + len(b"</" + prefix + name + b">")
            xml = xml[:opening] + listed + xml[end:]
            continue
        places = [_container(xml, prefix + later) for later in following]
        at = min(place[2][0] for place in places if place is not None)  # cellXfs is there
        xml = xml[:at] + listed + xml[at:]
    return xml


@dataclass
class _List:
    """One list of the styles part (`cellXfs`, `fonts`...): its entries, and those added."""

    entries: list[bytes]
    added: list[bytes] = field(default_factory=list)
    index: dict[bytes, int] = field(default_factory=dict)  # canonical entry -> position

    def find_or_add(self, entry: bytes) -> int:
        if not self.index:
            self.index = {_canonical(e): n for n, e in reversed(list(enumerate(self.entries)))}
        key = _canonical(entry)
        if key not in self.index:
            self.index[key] = len(self.entries) + len(self.added)
            self.added.append(entry)
        return self.index[key]

    def get(self, position: int) -> bytes | None:
        everything = self.entries + self.added
        return everything[position] if 0 <= position < len(everything) else None


class Styles:
    """A workbook's styles part, and the cell formats appended to it for owned cells."""

    def __init__(self, xml: bytes) -> None:
        self._xml = xml
        root = _ROOT.search(xml)
        self._prefix = (root[1] + b":") if root and root[1] else b""
        self._lists = {
            name: _List(self._entries(name, child))
            for name, child in (
                (b"cellXfs", b"xf"),
                (b"fonts", b"font"),
                (b"fills", b"fill"),
                (b"numFmts", b"numFmt"),
            )
        }
        self._memo: dict[tuple[int, CellKind], int] = {}

    def styled(self, style: int, kind: CellKind) -> int:
        """The cell format that is `style` shown as `kind`, appended if the workbook lacks it."""
        if kind not in ("percent", "money", "date", "header"):
            return style
        if (style, kind) not in self._memo:
            self._memo[(style, kind)] = self._styled(style, kind)
        return self._memo[(style, kind)]

    def edited(self) -> bytes | None:
        """The styles part with the appended entries; None when nothing was appended."""
        if not any(part.added for part in self._lists.values()):
            return None
        xml = self._xml
        # numFmts comes first in the part: appending to it never moves the other lists.
        for name in (b"cellXfs", b"fills", b"fonts", b"numFmts"):
            xml = self._appended(xml, name, self._lists[name])
        return xml

    def _styled(self, style: int, kind: CellKind) -> int:
        formats = self._lists[b"cellXfs"]
        base = formats.get(style) or formats.get(0)  # a style past the list: the default look
        assert base is not None  # styles_to_edit gives a part with a cell format
        attributes = _attributes(base)
        if kind == "header":
            attributes[b"fontId"] = str(self._bold(int(attributes.get(b"fontId", b"0")))).encode()
            attributes[b"fillId"] = str(self._grey_fill()).encode()
            attributes[b"applyFont"] = attributes[b"applyFill"] = b"1"
        else:
            attributes[b"numFmtId"] = str(self._number_format(kind)).encode()
            attributes[b"applyNumberFormat"] = b"1"
        changed = _with_attributes(base, attributes)
        if _canonical(changed) == _canonical(base) and formats.get(style) is not None:
            return style
        return formats.find_or_add(changed)

    def _number_format(self, kind: CellKind) -> int:
        if kind in _BUILT_IN_FORMATS:
            return _BUILT_IN_FORMATS[kind]
        formats = self._lists[b"numFmts"]
        for entry in formats.entries + formats.added:
            attributes = _attributes(entry)
            if attributes.get(b"formatCode") == _DATE_CODE.encode():
                return int(attributes.get(b"numFmtId", b"0"))
        used = [int(_attributes(e).get(b"numFmtId", b"0")) for e in formats.entries]
        number = max([_FIRST_CUSTOM_FORMAT - 1, *used]) + 1
        formats.find_or_add(
            self._tag(b"numFmt", f'numFmtId="{number}" formatCode={quoteattr(_DATE_CODE)}'.encode())
        )
        return number

    def _bold(self, font_id: int) -> int:
        fonts = self._lists[b"fonts"]
        font = fonts.get(font_id) or fonts.get(0)
        assert font is not None  # styles_to_edit gives a part with a font
        bold = re.sub(rb"<" + re.escape(self._prefix) + rb"b\b[^>]*/>", b"", font)
        opening = re.match(rb"<[^>]*?(/?)>", bold)
        assert opening is not None  # every entry found starts with its tag
        tag = self._prefix + b"font"
        if opening[1]:  # <font/>
            bold = bold[: opening.start(1)] + b"><" + self._prefix + b"b/></" + tag + b">"
        else:
            bold = bold[: opening.end()] + b"<" + self._prefix + b"b/>" + bold[opening.end() :]
        return fonts.find_or_add(bold)

    def _grey_fill(self) -> int:
        p = self._prefix
        fill = (
            b'<%sfill><%spatternFill patternType="solid"><%sfgColor rgb="%s"/>'
            b'<%sbgColor indexed="64"/></%spatternFill></%sfill>'
        ) % (p, p, p, OWNED_HEADER_FILL.encode(), p, p, p)
        return self._lists[b"fills"].find_or_add(fill)

    def _tag(self, name: bytes, attributes: bytes) -> bytes:
        return b"<" + self._prefix + name + b" " + attributes + b"/>"

    def _entries(self, name: bytes, child: bytes) -> list[bytes]:
        found = _container(self._xml, self._prefix + name)
        if found is None:
            return []
        p = re.escape(self._prefix)
        entry = re.compile(rb"<" + p + child + rb"\b[^>]*?(?:/>|>.*?</" + p + child + rb">)", re.S)
        return [m[0] for m in entry.finditer(self._xml, found[0], found[1])]

    def _appended(self, xml: bytes, name: bytes, entries: _List) -> bytes:
        if not entries.added:
            return xml
        tag = self._prefix + name
        total = len(entries.entries) + len(entries.added)
        found = _container(xml, tag)
        if found is None:  # only numFmts may be missing: it opens the part
            root = _ROOT.search(xml)
            assert root is not None
            block = b'<%s count="%d">%s</%s>' % (tag, total, b"".join(entries.added), tag)
            return xml[: root.end()] + block + xml[root.end() :]
        start, end, opening = found
        new_opening = _set_count(xml[opening[0] : opening[1]], total)
        if new_opening.endswith(b"/>"):  # <cellXfs/>
            new_opening = new_opening[:-2].rstrip() + b">"
            return (
                xml[: opening[0]]
                + new_opening
                + b"".join(entries.added)
                + b"</"
                + tag
                + b">"
                + xml[opening[1] :]
            )
        return (
            xml[: opening[0]]
            + new_opening
            + xml[opening[1] : end]
            + b"".join(entries.added)
            + xml[end:]
        )


def _container(xml: bytes, tag: bytes) -> tuple[int, int, tuple[int, int]] | None:
    """Where a list's entries start and end, and its opening tag's span."""
    opening = re.search(rb"<" + re.escape(tag) + rb"\b[^>]*>", xml)
    if opening is None:
        return None
    if opening[0].endswith(b"/>"):
        return opening.end(), opening.end(), opening.span()
    closing = xml.find(b"</" + tag + b">", opening.end())
    if closing == -1:
        return None
    return opening.end(), closing, opening.span()


def _set_count(opening: bytes, count: int) -> bytes:
    value = str(count).encode()
    if re.search(rb"\scount\s*=", opening):
        return re.sub(rb"""(\scount\s*=\s*)(["'])[^"']*\2""", rb'\g<1>"' + value + b'"', opening)
    end = -2 if opening.endswith(b"/>") else -1
    return opening[:end] + b' count="' + value + b'"' + opening[end:]


def _attributes(entry: bytes) -> dict[bytes, bytes]:
    opening = entry[: entry.find(b">") + 1]
    return {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTRIBUTE.finditer(opening)}


def _with_attributes(entry: bytes, attributes: dict[bytes, bytes]) -> bytes:
    """The entry with its opening tag's attributes replaced, children kept."""
    end = entry.find(b">")
    self_closing = entry[end - 1 : end] == b"/"
    name = re.match(rb"<([\w:.-]+)", entry)
    assert name is not None
    text = b" ".join(k + b'="' + v.replace(b'"', b"&quot;") + b'"' for k, v in attributes.items())
    opening = b"<" + name[1] + (b" " + text if text else b"") + (b"/>" if self_closing else b">")
    return opening + entry[end + 1 :]


def _canonical(entry: bytes) -> bytes:
    """An entry with its attributes in one order and quoting, for finding an equal one."""
    end = entry.find(b">")
    name = re.match(rb"<([\w:.-]+)", entry)
    head = name[1] if name else b""
    attributes = sorted(_attributes(entry).items())
    body = (
        b"" if entry[end - 1 : end] == b"/" else entry[end + 1 :].removesuffix(b"</" + head + b">")
    )
    return head + b"|" + b"|".join(k + b"=" + v for k, v in attributes) + b"|" + body
