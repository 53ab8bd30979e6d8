"""sheetsync's note on each owned header it writes, as Excel, LibreOffice and openpyxl read it.

A note is a comment in the sheet's comments part and a box in its VML drawing. The tests write
headers into real workbooks (XlsxWriter's and openpyxl's, and some parts as other programs
write them) and read back what an office program reads: the comments, their authors and
cells, the boxes with their ids, cells and places, and every part a note did not need, byte
for byte.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from openpyxl.comments import Comment
from package_parts import assert_untouched_parts_kept, parts

from sheetsync.backends import WorkbookUnreachable
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.workbook import CellWrite, WritePlan

OWNED_NOTE = "Filled in by sheetsync — edits here are overwritten."
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
V = "{urn:schemas-microsoft-com:vml}"
O = "{urn:schemas-microsoft-com:office:office}"  # noqa: E741
X = "{urn:schemas-microsoft-com:office:excel}"
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
HEADER = ["Tactic ID", "Goal ID", "Activity", "Budget"]  # Status (E) and ROI (F) are written


def plan_workbook(path: Path, **features: object) -> Path:
    """A Plan tab made by XlsxWriter, with the features asked for: a user's `notes` ({cell:
    text}), a form control (`button`), a picture in the printed header (`logo`)."""
    book = xlsxwriter.Workbook(path)
    plan = book.add_worksheet("Plan")
    plan.write_row(0, 0, HEADER)
    plan.write_row(1, 0, ["T1", "G1", "Newsletter", 500])
    for cell, text in dict(features.get("notes", {})).items():  # type: ignore[call-overload]
        plan.write_comment(cell, text)
    if features.get("button"):
        plan.insert_button("R6", {"caption": "Refresh", "macro": "refresh"})
    if features.get("logo"):
        plan.set_header("&L&G", {"image_left": str(features["logo"])})
    book.close()
    return path


def write_headers(path: Path, cells: dict[str, str], tab: str = "Plan") -> None:
    """Write owned headers, as sync writes them ({"E1": "Status"}): each gets sheetsync's note."""
    writes = []
    for cell, value in cells.items():
        row, column = openpyxl.utils.cell.coordinate_to_tuple(cell)
        writes.append(CellWrite(tab, row, column, value, kind="header"))
    XlsxBackend(path).apply(WritePlan(writes=tuple(writes)))


def repacked(path: Path, changes: dict[str, bytes | None]) -> Path:
    """The package with parts replaced, added (at the end) or, for None, removed."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: (info, source.read(info)) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, (info, content) in members.items():
            if name not in changes:
                target.writestr(info, content)
            elif changes[name] is not None:
                target.writestr(info, changes[name])  # type: ignore[arg-type]
        for name in changes.keys() - members.keys():
            target.writestr(name, changes[name])  # type: ignore[arg-type]
    return path


def elements_only(parent: ElementTree.Element) -> ElementTree.Element:
    """`parent`, after checking that it holds elements and no text (Excel calls text between
    a list's entries, or a drawing's shapes, damage)."""
    texts = [parent.text] + [child.tail for child in parent]
    assert not "".join(text or "" for text in texts).strip(), ElementTree.tostring(parent)
    return parent


def notes(comments_part: bytes) -> list[tuple[str, str, str]]:
    """A comments part's notes as Excel lists them: (cell, author, text), in order."""
    root = elements_only(ElementTree.fromstring(comments_part))  # a prefix left unbound fails
    for element in root.iter():
        if element.tag in (f"{MAIN}authors", f"{MAIN}commentList", f"{MAIN}comment"):
            elements_only(element)
    authors = [(author.text or "").strip() for author in root.iter(f"{MAIN}author")]
    return [
        (
            comment.get("ref", ""),
            authors[int(comment.get("authorId", ""))],
            "".join(t.text or "" for t in comment.iter(f"{MAIN}t")),
        )
        for comment in root.iter(f"{MAIN}comment")
    ]


def boxes(vml: bytes) -> list[dict[str, str]]:
    """A VML drawing's shapes: id, z-index, kind (Note, Button) and, for a note, its cell
    (0-based row and column) and anchor, as Excel reads them."""
    found = []
    for shape in elements_only(ElementTree.fromstring(vml)).iter(f"{V}shape"):
        data = shape.find(f"{X}ClientData")
        box = {"id": shape.get("id", ""), "type": shape.get("type", "")}
        box["z"] = re.findall(r"z-index:(\d+)", shape.get("style", ""))[0]
        if data is not None:
            box["kind"] = data.get("ObjectType", "")
            for field in ("Row", "Column", "Anchor"):
                element = data.find(f"{X}{field}")
                if element is not None:
                    box[field.lower()] = element.text or ""
        found.append(box)
    return found


def idmap(vml: bytes) -> str:
    """The block of shape ids the drawing takes (o:idmap's data)."""
    element = ElementTree.fromstring(vml).find(f"{O}shapelayout/{O}idmap")
    assert element is not None
    return element.get("data", "")


def shape_types(vml: bytes) -> list[str]:
    return [shape.get("id", "") for shape in ElementTree.fromstring(vml).iter(f"{V}shapetype")]


def links(rels: bytes) -> dict[str, tuple[str, str]]:
    """A part's relationships: Id -> (kind, target)."""
    return {
        link.get("Id", ""): (link.get("Type", "").rpartition("/")[2], link.get("Target", ""))
        for link in ElementTree.fromstring(rels)
    }


def legacy_drawing(sheet: bytes) -> str | None:
    """The relationship id of the drawing Excel draws the sheet's notes from."""
    found = ElementTree.fromstring(sheet).findall(f"{MAIN}legacyDrawing")
    assert len(found) <= 1
    return found[0].get(RELATIONSHIP) if found else None


def overrides(content_types: bytes) -> dict[str, str]:
    root = ElementTree.fromstring(content_types)
    return {e.get("PartName", ""): e.get("ContentType", "") for e in root if e.get("PartName")}


def note_box(row: int, column: int) -> dict[str, str]:
    """The box of sheetsync's note on the 1-based (row, column): hidden until the pointer is
    on the cell, then shown right of it, three columns wide, from the sheet's top row."""
    return {
        "kind": "Note",
        "row": str(row - 1),
        "column": str(column - 1),
        "anchor": f"{column}, 15, {max(row - 2, 0)}, 10, {column + 3}, 15, {row + 2}, 4",
    }


def without_ids(found: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in box.items() if k not in ("id", "type", "z")} for box in found]


PLAN = "xl/worksheets/sheet1.xml"
PLAN_RELS = "xl/worksheets/_rels/sheet1.xml.rels"


def test_a_sheet_without_notes_gets_a_comments_part_and_a_drawing_linked_and_typed(
    tmp_path: Path,
) -> None:
    original = plan_workbook(tmp_path / "original.xlsx")
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status", "F1": "ROI"})

    changed = assert_untouched_parts_kept(original, path)
    after = parts(path)
    comments, drawing = "xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"
    assert set(after) - set(parts(original)) == {comments, drawing, PLAN_RELS}
    assert changed == {PLAN, "[Content_Types].xml", "xl/styles.xml"}
    assert notes(after[comments]) == [
        ("E1", "sheetsync", OWNED_NOTE),
        ("F1", "sheetsync", OWNED_NOTE),
    ]
    sheet_links = links(after[PLAN_RELS])
    assert sorted(sheet_links.values()) == [
        ("comments", "../comments1.xml"),
        ("vmlDrawing", "../drawings/vmlDrawing1.vml"),
    ]
    assert sheet_links[legacy_drawing(after[PLAN]) or ""] == (
        "vmlDrawing",
        "../drawings/vmlDrawing1.vml",
    )
    types = after["[Content_Types].xml"]
    assert overrides(types)["/xl/comments1.xml"] == COMMENTS_TYPE
    assert re.search(rb'<Default Extension="vml" ContentType="([^"]+)"/>', types)[1] == (  # type: ignore[index]
        VML_TYPE.encode()
    )
    vml = after[drawing]
    assert idmap(vml) == "1" and shape_types(vml) == ["_x0000_t202"]
    found = boxes(vml)
    assert [(box["id"], box["type"], box["z"]) for box in found] == [
        ("_x0000_s1025", "#_x0000_t202", "1"),
        ("_x0000_s1026", "#_x0000_t202", "2"),
    ]
    assert without_ids(found) == [note_box(1, 5), note_box(1, 6)]
    plan = openpyxl.load_workbook(path)["Plan"]
    assert [
        (plan[c].value, plan[c].comment.text, plan[c].comment.author) for c in ("E1", "F1")
    ] == [
        ("Status", OWNED_NOTE, "sheetsync"),
        ("ROI", OWNED_NOTE, "sheetsync"),
    ]
    assert plan["D1"].comment is None


def test_a_note_below_the_header_row_has_its_box_beside_its_cell(tmp_path: Path) -> None:
    path = plan_workbook(tmp_path / "marketing.xlsx")

    write_headers(path, {"E3": "Status", "B2": "Owner"})

    after = parts(path)
    assert [ref for ref, _, _ in notes(after["xl/comments1.xml"])] == ["B2", "E3"]  # in order
    assert without_ids(boxes(after["xl/drawings/vmlDrawing1.vml"])) == [
        note_box(2, 2),
        note_box(3, 5),
    ]


def test_a_new_drawing_takes_the_next_free_names_and_block_of_shape_ids(tmp_path: Path) -> None:
    # Another tab's notes hold comments1 and vmlDrawing1 (its shape ids in block 3), a
    # third drawing holds a picture of the printed header: the new parts take free names, and
    # a block of shape ids no drawing of the workbook takes (ids 4097 on, Excel's 1024 a block).
    logo = tmp_path / "logo.png"
    logo.write_bytes(_PNG)
    book = xlsxwriter.Workbook(tmp_path / "original.xlsx")
    strategy = book.add_worksheet("Strategy")
    strategy.write_comment("C2", "Ask Ana")
    strategy.set_header("&L&G", {"image_left": str(logo)})
    book.add_worksheet("Plan").write_row(0, 0, HEADER)
    book.close()
    original = tmp_path / "original.xlsx"
    before = parts(original)
    repacked(
        original,
        {
            "xl/drawings/vmlDrawing1.vml": before["xl/drawings/vmlDrawing1.vml"]
            .replace(b'data="1"', b'data="3"')
            .replace(b"_x0000_s1025", b"_x0000_s3073")
        },
    )
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status"})

    changed = assert_untouched_parts_kept(original, path)
    after = parts(path)
    added = set(after) - set(parts(original))
    assert added == {
        "xl/comments2.xml",
        "xl/drawings/vmlDrawing3.vml",
        "xl/worksheets/_rels/sheet2.xml.rels",
    }
    assert "xl/comments1.xml" not in changed and "xl/drawings/vmlDrawing1.vml" not in changed
    vml = after["xl/drawings/vmlDrawing3.vml"]
    assert idmap(vml) == "4"
    assert [box["id"] for box in boxes(vml)] == ["_x0000_s4097"]
    assert notes(after["xl/comments2.xml"]) == [("E1", "sheetsync", OWNED_NOTE)]
    assert overrides(after["[Content_Types].xml"])["/xl/comments2.xml"] == COMMENTS_TYPE
    assert after["[Content_Types].xml"].lower().count(b'extension="vml"') == 1
    book_read = openpyxl.load_workbook(path)
    assert book_read["Strategy"]["C2"].comment.text == "Ask Ana"
    assert book_read["Plan"]["E1"].comment.text == OWNED_NOTE


_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d7"
    "63f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def test_notes_join_the_form_controls_drawing_and_the_printed_header_keeps_its_own(
    tmp_path: Path,
) -> None:
    # A sheet has one drawing for its cells: the button's. The notes' boxes go after the
    # button in it, with their shape type and the next shape ids; the comments part is new.
    logo = tmp_path / "logo.png"
    logo.write_bytes(_PNG)
    original = plan_workbook(tmp_path / "original.xlsx", button=True, logo=logo)
    controls, printed = "xl/drawings/vmlDrawing1.vml", "xl/drawings/vmlDrawing2.vml"
    before = parts(original)
    assert b'ObjectType="Button"' in before[controls] and b'id="LH"' in before[printed]
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status", "F1": "ROI"})

    changed = assert_untouched_parts_kept(original, path)
    assert changed == {PLAN, PLAN_RELS, controls, "[Content_Types].xml", "xl/styles.xml"}
    after = parts(path)
    assert set(after) - set(before) == {"xl/comments1.xml"}
    assert notes(after["xl/comments1.xml"]) == [
        ("E1", "sheetsync", OWNED_NOTE),
        ("F1", "sheetsync", OWNED_NOTE),
    ]
    assert overrides(after["[Content_Types].xml"])["/xl/comments1.xml"] == COMMENTS_TYPE
    kept_links = links(before[PLAN_RELS])
    sheet_links = links(after[PLAN_RELS])
    assert {k: v for k, v in sheet_links.items() if k in kept_links} == kept_links
    assert [v for k, v in sheet_links.items() if k not in kept_links] == [
        ("comments", "../comments1.xml")
    ]
    # The sheet still draws its cells' shapes from the controls' drawing, and prints its logo.
    drawing_id = legacy_drawing(after[PLAN])
    assert drawing_id == legacy_drawing(before[PLAN])
    assert sheet_links[drawing_id or ""] == ("vmlDrawing", "../drawings/vmlDrawing1.vml")
    vml = after[controls]
    end = before[controls].rindex(b"</xml>")
    assert vml.startswith(before[controls][:end]) and vml.endswith(b"</xml>")
    assert shape_types(vml) == ["_x0000_t201", "_x0000_t202"]
    found = boxes(vml)
    assert [(box["id"], box["type"]) for box in found] == [
        ("_x0000_s1025", "#_x0000_t201"),
        ("_x0000_s1026", "#_x0000_t202"),
        ("_x0000_s1027", "#_x0000_t202"),
    ]
    assert without_ids(found)[1:] == [note_box(1, 5), note_box(1, 6)]
    plan = openpyxl.load_workbook(path)["Plan"]
    assert (plan["E1"].comment.text, plan["E1"].comment.author) == (OWNED_NOTE, "sheetsync")


def test_notes_join_the_users_own_and_a_header_with_the_users_note_keeps_it(
    tmp_path: Path,
) -> None:
    notes_of_user = {"E1": "Our own note on Status", "C2": "Ask Ana"}
    original = plan_workbook(tmp_path / "original.xlsx", notes=notes_of_user)
    comments, drawing = "xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"
    before = parts(original)
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status", "F1": "ROI"})

    changed = assert_untouched_parts_kept(original, path)
    assert changed == {PLAN, comments, drawing, "xl/styles.xml"}  # no new part, no new link
    after = parts(path)
    assert notes(after[comments]) == [
        ("E1", "", "Our own note on Status"),
        ("C2", "", "Ask Ana"),
        ("F1", "sheetsync", OWNED_NOTE),
    ]
    assert after[comments].startswith(before[comments][: before[comments].index(b"</authors>")])
    vml = after[drawing]
    assert vml.startswith(before[drawing][: before[drawing].rindex(b"</xml>")])
    assert shape_types(vml) == ["_x0000_t202"]  # the notes' shape type, there already
    found = boxes(vml)
    assert [box["id"] for box in found] == ["_x0000_s1025", "_x0000_s1026", "_x0000_s1027"]
    assert without_ids(found)[2:] == [note_box(1, 6)]
    assert legacy_drawing(after[PLAN]) == legacy_drawing(before[PLAN])

    write_headers(path, {"F1": "ROI", "G1": "Issues"})  # F1 has sheetsync's note already

    again = parts(path)
    assert notes(again[comments])[2:] == [
        ("F1", "sheetsync", OWNED_NOTE),
        ("G1", "sheetsync", OWNED_NOTE),
    ]
    assert again[comments].count(b"<author>sheetsync</author>") == 1
    assert [box["id"] for box in boxes(again[drawing])][3:] == ["_x0000_s1028"]
    plan = openpyxl.load_workbook(path)["Plan"]
    assert [plan[c].comment.text for c in ("C2", "E1", "F1", "G1")] == [
        "Ask Ana",
        "Our own note on Status",
        OWNED_NOTE,
        OWNED_NOTE,
    ]


def test_notes_in_a_workbook_saved_by_openpyxl_are_sheetsyncs_beside_a_note_without_author(
    tmp_path: Path,
) -> None:
    # openpyxl writes an author-less note's author as <author />, and binds the drawing's
    # namespaces as ns0, ns1, ns2.
    book = openpyxl.Workbook()
    plan = book.active
    plan.title = "Plan"
    plan.append(HEADER)
    plan["A2"].comment = Comment("Imported", "")
    plan["B2"].comment = Comment("Ask Ana", "Ana")
    original = tmp_path / "original.xlsx"
    book.save(original)
    comments, drawing = "xl/comments/comment1.xml", "xl/drawings/commentsDrawing1.vml"
    assert b"<author />" in parts(original)[comments] and b"ns0:" in parts(original)[drawing]
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status"})

    assert_untouched_parts_kept(original, path)
    after = parts(path)
    assert notes(after[comments]) == [
        ("A2", "", "Imported"),
        ("B2", "Ana", "Ask Ana"),
        ("E1", "sheetsync", OWNED_NOTE),
    ]
    assert [box.get("row") for box in boxes(after[drawing])] == ["1", "1", "0"]
    assert shape_types(after[drawing]) == ["_x0000_t202"]  # openpyxl's, used by every note
    read = openpyxl.load_workbook(path)["Plan"]
    assert (read["E1"].comment.text, read["E1"].comment.author) == (OWNED_NOTE, "sheetsync")
    assert (read["B2"].comment.text, read["B2"].comment.author) == ("Ask Ana", "Ana")


NOTE_PARTS = {
    "comments": "xl/comments1.xml",
    "drawing": "xl/drawings/vmlDrawing1.vml",
    "rels": PLAN_RELS,
}
LINK = (
    '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/{kind}" Target="../{target}"/></Relationships>'
)


def linked(rels: bytes, kind: str, target: str) -> bytes:
    return rels.replace(b"</Relationships>", LINK.format(kind=kind, target=target).encode())


def second_comments(before: dict[str, bytes]) -> dict[str, bytes | None]:
    rels = linked(before[PLAN_RELS], "comments", "comments2.xml")
    return {PLAN_RELS: rels, "xl/comments2.xml": before[NOTE_PARTS["comments"]]}


def second_drawing(before: dict[str, bytes]) -> dict[str, bytes | None]:
    rels = linked(before[PLAN_RELS], "vmlDrawing", "drawings/vmlDrawing9.vml")
    return {PLAN_RELS: rels, "xl/drawings/vmlDrawing9.vml": before[NOTE_PARTS["drawing"]]}


def missing_comments(before: dict[str, bytes]) -> dict[str, bytes | None]:
    return {NOTE_PARTS["comments"]: None}


def missing_drawing(before: dict[str, bytes]) -> dict[str, bytes | None]:
    return {NOTE_PARTS["drawing"]: None}


def drawing_without_shapes(before: dict[str, bytes]) -> dict[str, bytes | None]:
    vml = before[NOTE_PARTS["drawing"]]
    return {NOTE_PARTS["drawing"]: vml[: vml.index(b"<v:shapetype")] + b"</xml>"}


def drawing_with_v_bound_elsewhere(before: dict[str, bytes]) -> dict[str, bytes | None]:
    vml = before[NOTE_PARTS["drawing"]].replace(
        b'xmlns:v="urn:schemas-microsoft-com:vml"', b'xmlns:v="urn:example:vectors"'
    )
    return {NOTE_PARTS["drawing"]: vml}


def drawing_with_notes_and_printed_pictures(before: dict[str, bytes]) -> dict[str, bytes | None]:
    vml = before[NOTE_PARTS["drawing"]]
    picture = b'<v:shape id="LH" o:spid="_x0000_s2049" type="#_x0000_t75"/>'
    return {NOTE_PARTS["drawing"]: vml.replace(b"</xml>", picture + b"</xml>")}


def comments_beside_a_printed_header_only(before: dict[str, bytes]) -> dict[str, bytes | None]:
    # The sheet's cell drawing gone, its comments kept: only the logo's drawing is linked.
    rels = re.sub(rb'<Relationship [^>]*vmlDrawing1.vml"/>', b"", before[PLAN_RELS])
    sheet = re.sub(rb'<legacyDrawing r:id="rId\d+"/>', b"", before[PLAN])
    return {PLAN_RELS: rels, PLAN: sheet, NOTE_PARTS["drawing"]: None}


@pytest.mark.parametrize(
    "damage",
    [
        second_comments,
        second_drawing,
        missing_comments,
        missing_drawing,
        drawing_without_shapes,
        drawing_with_v_bound_elsewhere,
        drawing_with_notes_and_printed_pictures,
        comments_beside_a_printed_header_only,
    ],
)
def test_a_sheet_whose_notes_parts_sheetsync_cannot_tell_apart_gets_its_header_but_no_note(
    tmp_path: Path, damage: object
) -> None:
    # A missing hint is better than a damaged drawing: the header is written, the notes
    # parts keep their bytes, and nothing new is linked.
    logo = tmp_path / "logo.png"
    logo.write_bytes(_PNG)
    original = plan_workbook(tmp_path / "original.xlsx", notes={"C2": "Ask Ana"}, logo=logo)
    repacked(original, damage(parts(original)))  # type: ignore[operator]
    before = parts(original)
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status"})

    assert assert_untouched_parts_kept(original, path) == {PLAN, "xl/styles.xml"}
    assert set(parts(path)) == set(before)
    assert legacy_drawing(parts(path)[PLAN]) == legacy_drawing(before[PLAN])
    assert XlsxBackend(path).read().find_tab("Plan").value(1, 5) == "Status"  # type: ignore[union-attr]


COMMENTS_OPEN = '<?xml version="1.0"?><{p}comments xmlns{colon}{prefix}="{main}">'


def comments_part(body: str, prefix: str = "") -> bytes:
    p = prefix + ":" if prefix else ""
    main = MAIN.strip("{}")
    head = COMMENTS_OPEN.format(p=p, colon=":" if prefix else "", prefix=prefix, main=main)
    return (head + body.replace("<", "<" + p).replace("<" + p + "/", "</" + p)).encode() + (
        f"</{p}comments>".encode()
    )


@pytest.mark.parametrize(
    ("prefix", "body", "expected"),
    [
        (  # as some programs write it: a prefix, the reference quoted otherwise, in lower case
            "x",
            "<authors><author>Ana</author></authors><commentList><comment ref = 'e1' "
            'authorId="0"><text><t>Ours</t></text></comment></commentList>',
            [("e1", "Ana", "Ours"), ("F1", "sheetsync", OWNED_NOTE)],
        ),
        (  # the lists empty, as single tags
            "",
            "<authors/><commentList/>",
            [("E1", "sheetsync", OWNED_NOTE), ("F1", "sheetsync", OWNED_NOTE)],
        ),
        (
            "x",
            "<authors /><commentList />",
            [("E1", "sheetsync", OWNED_NOTE), ("F1", "sheetsync", OWNED_NOTE)],
        ),
        (  # laid out over lines, as some programs write it; an author without a name
            "",
            "<authors>\n  <author>\n    Ana\n  </author>\n  <author/>\n</authors>\n<commentList>\n"
            '  <comment ref="C2" authorId="0"><text><t>Ask Ana</t></text></comment>\n'
            "</commentList>\n",
            [
                ("C2", "Ana", "Ask Ana"),
                ("E1", "sheetsync", OWNED_NOTE),
                ("F1", "sheetsync", OWNED_NOTE),
            ],
        ),
        (  # a list of authors that sheetsync is in
            "",
            "<authors><author>Ana</author><author>sheetsync</author></authors><commentList>"
            '<comment ref="C2" authorId="0"><text><t>Ask Ana</t></text></comment></commentList>',
            [
                ("C2", "Ana", "Ask Ana"),
                ("E1", "sheetsync", OWNED_NOTE),
                ("F1", "sheetsync", OWNED_NOTE),
            ],
        ),
    ],
)
def test_notes_go_into_a_comments_part_written_otherwise_than_excel_writes_it(
    tmp_path: Path, prefix: str, body: str, expected: list[tuple[str, str, str]]
) -> None:
    original = plan_workbook(tmp_path / "original.xlsx", notes={"C2": "Ask Ana"})
    repacked(original, {"xl/comments1.xml": comments_part(body, prefix)})
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status", "F1": "ROI"})

    after = parts(path)["xl/comments1.xml"]
    assert notes(after) == expected
    assert not re.search(rb"<(?!/?x:|\?xml)", after) if prefix else b"<x:" not in after
    added = [ref for ref, author, _ in expected if author == "sheetsync"]
    drawn = boxes(parts(path)["xl/drawings/vmlDrawing1.vml"])[1:]  # after the box of C2
    assert [(box["row"], box["column"]) for box in drawn] == [
        ("0", str(openpyxl.utils.cell.column_index_from_string(ref[0]) - 1)) for ref in added
    ]


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ("<authors><author>Ana</author></authors>", "</commentList>"),
        ("<commentList/>", "</authors>"),
    ],
)
def test_a_comments_part_without_its_lists_is_refused_and_the_file_kept(
    tmp_path: Path, body: str, missing: str
) -> None:
    path = plan_workbook(tmp_path / "marketing.xlsx", notes={"C2": "Ask Ana"})
    repacked(path, {"xl/comments1.xml": comments_part(body)})
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        write_headers(path, {"E1": "Status"})

    assert str(error.value) == (
        f"{path} is damaged: a part sheetsync writes is not as Excel writes it (no {missing} "
        "in the notes part); open it in Excel or LibreOffice, which can often repair it, save "
        "it as an Excel Workbook (.xlsx), and run sheetsync again."
    )
    assert path.read_bytes() == before


def test_a_new_drawing_takes_a_block_of_shape_ids_after_openpyxls_and_a_two_block_drawing(
    tmp_path: Path,
) -> None:
    # openpyxl names the idmap's prefix ns0; a drawing of more than 1024 shapes takes "2,3".
    book = openpyxl.Workbook()
    book.active.title = "Strategy"
    book.active["C2"].comment = Comment("Ask Ana", "Ana")
    book.create_sheet("Calendar")["A2"].comment = Comment("Book the stand", "Ana")
    book.create_sheet("Plan").append(HEADER)
    original = tmp_path / "original.xlsx"
    book.save(original)
    big = "xl/drawings/commentsDrawing2.vml"
    assert b'<ns0:idmap ns1:ext="edit" data="1" />' in parts(original)[big]
    repacked(original, {big: parts(original)[big].replace(b'data="1"', b'data="2,3"')})
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status"})

    assert_untouched_parts_kept(original, path)
    vml = parts(path)["xl/drawings/vmlDrawing1.vml"]
    assert idmap(vml) == "4"
    assert [box["id"] for box in boxes(vml)] == ["_x0000_s4097"]
    assert openpyxl.load_workbook(path)["Plan"]["E1"].comment.text == OWNED_NOTE


def test_a_notes_drawing_linked_but_not_shown_is_shown_once_sheetsync_adds_a_note(
    tmp_path: Path,
) -> None:
    # Excel draws a sheet's notes from the drawing its <legacyDrawing> names; a sheet that
    # links its notes drawing without one (as Excel never writes it) gets it.
    original = plan_workbook(tmp_path / "original.xlsx", notes={"C2": "Ask Ana"})
    before = parts(original)
    drawing_id = legacy_drawing(before[PLAN])
    assert drawing_id is not None
    repacked(original, {PLAN: before[PLAN].replace(b'<legacyDrawing r:id="rId1"/>', b"")})
    assert legacy_drawing(parts(original)[PLAN]) is None
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    write_headers(path, {"E1": "Status"})

    after = parts(path)
    assert legacy_drawing(after[PLAN]) == drawing_id
    assert links(after[PLAN_RELS])[drawing_id] == ("vmlDrawing", "../drawings/vmlDrawing1.vml")
    assert [ref for ref, _, _ in notes(after["xl/comments1.xml"])] == ["C2", "E1"]
