"""The lossless writer: a sync changes only what sheetsync owns, and every other part of the
package keeps its bytes. Workbooks are made by XlsxWriter (charts, sparklines, tables...)
and by hand where a feature needs XML no library writes."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from libreoffice import pivot_tables, recalculated_sheets
from openpyxl.comments import Comment
from openpyxl.utils.cell import coordinate_to_tuple
from package_parts import assert_untouched_parts_kept, element_changes, parts
from workbooks import TODAY, baseline_grids
from xlsx_corpus import CORPUS

import sheetsync
from sheetsync.backends import WorkbookChanged, WorkbookUnreachable
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.workbook import CellWrite, Guard, WritePlan


def outside_sheet_data(xml: bytes) -> bytes:
    """A sheet without its cells, its dimension and the notes link sheetsync adds."""
    xml = re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", b"", xml, flags=re.S)
    xml = re.sub(rb"<dimension [^>]*/>", b"", xml)
    return re.sub(rb'<legacyDrawing r:id="rId\d+" xmlns:r="[^"]*"/>', b"", xml)


def write_grids(book: xlsxwriter.Workbook, grids: dict[str, list[list[object]]]) -> dict:
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheets = {}
    for name, rows in grids.items():
        sheet = sheets[name] = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
                elif value is not None:
                    sheet.write(r, c, value)
    return sheets


def dashboard_workbook(path: Path, image: Path) -> None:
    """The baseline plan, with every feature a marketer's workbook may have around it."""
    book = xlsxwriter.Workbook(path)
    sheets = write_grids(book, baseline_grids())
    plan, strategy = sheets["Plan"], sheets["Strategy"]
    plan.write_comment("C2", "Ask Ana about the print run")
    plan.data_validation("D2:D50", {"validate": "list", "source": ["Email", "Events", "Social"]})
    plan.conditional_format(
        "H2:H50", {"type": "cell", "criteria": ">", "value": 1500, "format": book.add_format()}
    )
    plan.write_url("E5", "https://example.com/brief", string="Brief")
    plan.set_row(2, None, None, {"level": 1})  # T2's row grouped under T1
    plan.add_sparkline("N2", {"range": "Plan!H2:J2"})
    plan.set_landscape()
    plan.print_area("A1:L4")
    plan.hide_gridlines(0)  # and print them
    plan.repeat_rows(0)
    strategy.write("L1", "Owner note")
    dashboard = book.add_worksheet("Dashboard")
    dashboard.add_table(
        "A1:B4",
        {
            "columns": [{"header": "Goal"}, {"header": "Budget", "total_function": "sum"}],
            "data": [["G1", 5000], ["G2", 2000]],
            "total_row": True,
        },
    )
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "=Plan!$H$2:$H$4", "categories": "=Plan!$A$2:$A$4"})
    dashboard.insert_chart("D2", chart)
    dashboard.insert_textbox("D20", "Spend is on budget", {"width": 200, "height": 50})
    dashboard.insert_image("A10", str(image))
    dashboard.protect("secret")
    book.define_name("TotalBudget", "=Strategy!$G$2:$G$3")
    book.close()


@pytest.mark.filterwarnings("ignore:Sparkline Group:UserWarning")  # openpyxl, reading to check
def test_sync_keeps_charts_sparklines_tables_and_every_other_feature(tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "logo.png"
    Image.new("RGB", (8, 8), "red").save(image)
    original = tmp_path / "original.xlsx"
    dashboard_workbook(original, image)
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(original.read_bytes())

    result = sheetsync.sync(str(path), today=TODAY)

    assert result.written
    changed = assert_untouched_parts_kept(original, path)
    before, after = parts(original), parts(path)
    plan_part = "xl/worksheets/sheet2.xml"
    assert plan_part in changed
    owned = by_part(written_by_tab(result))
    assert element_changes(original, path, changed, owned) == []  # notes added to the user's
    for name in ("xl/worksheets/sheet1.xml", plan_part, "xl/worksheets/sheet4.xml"):
        assert outside_sheet_data(after[name]) == outside_sheet_data(before[name]), name
    assert any(name.startswith("xl/charts/chart") for name in after)
    assert any(name.startswith("xl/tables/table") for name in after)
    assert any(name.startswith("xl/media/image") for name in after)
    plan_xml = after[plan_part].decode()
    for feature in (
        "x14:sparklineGroup",
        "<dataValidations",
        "<conditionalFormatting",
        "<hyperlinks",
        "<printOptions",
        "<pageSetup",
        'outlineLevel="1"',
    ):
        assert feature in plan_xml, feature
    assert 'totalsRowCount="1"' in after["xl/tables/table1.xml"].decode()
    assert b"Spend is on budget" in after["xl/drawings/drawing1.xml"]
    assert b"<sheetProtection" in after["xl/worksheets/sheet4.xml"]
    assert b'name="TotalBudget"' in after["xl/workbook.xml"]
    assert b"_xlnm.Print_Area" in after["xl/workbook.xml"]
    titles = re.findall(rb"<vt:lpstr>([^<]*)</vt:lpstr>", after["docProps/app.xml"])
    assert titles[titles.index(b"Dashboard") + 1] == b"Checks"  # before the named ranges
    book = openpyxl.load_workbook(path)
    assert book["Plan"]["C2"].comment.text.startswith("Ask Ana")
    owned_note = "Filled in by sheetsync — edits here are overwritten."
    statuses = [row[12].value for row in book["Plan"].iter_rows(min_row=2, max_row=4)]
    assert statuses == ["On track", "On track", "Done"]
    header = book["Plan"]["M1"]
    assert (header.value, header.comment.text, header.font.bold) == ("Status", owned_note, True)
    assert book.sheetnames == ["Strategy", "Plan", "Calendar", "Dashboard", "Checks"]
    assert not sheetsync.sync(str(path), today=TODAY).plan.writes


def plain_workbook(path: Path) -> Path:
    book = xlsxwriter.Workbook(path)
    write_grids(book, baseline_grids())
    book.close()
    return path


APP = "docProps/app.xml"  # the file's properties: its tabs' names, by kind
OWNED_NOTE = "Filled in by sheetsync — edits here are overwritten."
PLAN_PART = "xl/worksheets/sheet2.xml"


def synced_copy(original: Path) -> tuple[Path, dict[str, set[str]]]:
    """A copy of `original` synced, and the cells sync wrote, by tab."""
    path = original.with_name("marketing.xlsx")
    path.write_bytes(original.read_bytes())
    result = sheetsync.sync(str(path), today=TODAY)
    assert result.written
    return path, written_by_tab(result)


def written_by_tab(result: sheetsync.SyncResult) -> dict[str, set[str]]:
    written: dict[str, set[str]] = {}
    for write in result.plan.writes:
        written.setdefault(write.tab, set()).add(write.a1)
    return written


def by_part(written: dict[str, set[str]], first: int = 1) -> dict[str, set[str]]:
    """The cells written on the plan's tabs by sheet part, the tabs' parts numbered in order
    from sheet`first`.xml (as XlsxWriter and openpyxl number them)."""
    tabs = ("Strategy", "Plan", "Calendar")
    return {
        f"xl/worksheets/sheet{n}.xml": written.get(tab, set()) for n, tab in enumerate(tabs, first)
    }


def worksheet_children(xml: bytes) -> list[str]:
    return [child.tag.rpartition("}")[2] for child in ElementTree.fromstring(xml)]


def test_a_header_note_goes_beside_a_chart_on_the_same_tab(tmp_path: Path) -> None:
    original = tmp_path / "original.xlsx"
    book = xlsxwriter.Workbook(original)
    plan = write_grids(book, baseline_grids())["Plan"]
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "=Plan!$H$2:$H$4", "categories": "=Plan!$A$2:$A$4"})
    plan.insert_chart("R6", chart)
    book.close()

    path, written = synced_copy(original)

    changed = assert_untouched_parts_kept(original, path)  # the chart's parts among the kept
    before, after = parts(original), parts(path)
    for name in ("xl/charts/chart1.xml", "xl/drawings/drawing1.xml"):
        assert after[name] == before[name], name
    assert element_changes(original, path, changed, by_part(written)) == []
    assert worksheet_children(after[PLAN_PART])[-2:] == ["drawing", "legacyDrawing"]
    links = after["xl/worksheets/_rels/sheet2.xml.rels"].decode()
    assert 'Target="../drawings/drawing1.xml"' in links and "/comments" in links
    assert openpyxl.load_workbook(path)["Plan"]["M1"].comment.text == OWNED_NOTE
    assert PLAN_PART in changed
    opened = recalculated_sheets([path], tmp_path / "libreoffice")[path]
    assert opened is not None and opened["Plan"].startswith("Tactic ID,")


def test_a_header_note_joins_the_form_controls_and_leaves_the_printed_header_alone(
    tmp_path: Path,
) -> None:
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (8, 8), "red").save(logo)
    original = tmp_path / "original.xlsx"
    book = xlsxwriter.Workbook(original)
    plan = write_grids(book, baseline_grids())["Plan"]
    plan.insert_button("R6", {"caption": "Refresh", "macro": "refresh"})
    plan.set_header("&L&G", {"image_left": str(logo)})  # a picture in the printed header
    book.close()
    before = parts(original)
    controls, printed = "xl/drawings/vmlDrawing1.vml", "xl/drawings/vmlDrawing2.vml"
    assert b'ObjectType="Button"' in before[controls] and b'id="LH"' in before[printed]

    path, written = synced_copy(original)

    changed = assert_untouched_parts_kept(original, path)
    after = parts(path)
    assert after[printed] == before[printed]
    # The button stays as it was; the note's box follows it in the same drawing.
    assert after[controls].startswith(before[controls][: before[controls].rindex(b"</xml>")])
    headers = [cell for cell in written["Plan"] if re.fullmatch("[A-Z]+1", cell)]
    assert after[controls].count(b'ObjectType="Note"') == len(headers) == 4
    assert element_changes(original, path, changed, by_part(written)) == []
    children = worksheet_children(after[PLAN_PART])
    assert children.count("legacyDrawing") == 1 and children[-2:] == [
        "legacyDrawing",
        "legacyDrawingHF",
    ]
    assert openpyxl.load_workbook(path)["Plan"]["M1"].comment.text == OWNED_NOTE
    opened = recalculated_sheets([path], tmp_path / "libreoffice")[path]
    assert opened is not None and opened["Plan"].startswith("Tactic ID,")


def test_a_pivot_table_its_cache_and_records_survive_a_sync(tmp_path: Path) -> None:
    # XlsxWriter cannot write a pivot table; openpyxl keeps one it reads. So: Excel's pivot
    # (corpus 54436.xlsx: PivotTable2 at A8:B11 of Sheet1, over A1:C6), plus the plan.
    original = tmp_path / "original.xlsx"
    original.write_bytes((CORPUS / "54436.xlsx").read_bytes())
    book = openpyxl.load_workbook(original)
    for name, rows in baseline_grids().items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(original)
    pivot = {
        "xl/pivotTables/pivotTable1.xml",
        "xl/pivotTables/_rels/pivotTable1.xml.rels",
        "xl/pivotCache/pivotCacheDefinition1.xml",
        "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels",
        "xl/pivotCache/pivotCacheRecords1.xml",
        "xl/worksheets/_rels/sheet1.xml.rels",  # Sheet1 -> its pivot table
    }
    before = parts(original)
    assert pivot <= set(before) and b"<pivotCache " in before["xl/workbook.xml"]

    path, written = synced_copy(original)

    changed = assert_untouched_parts_kept(original, path)
    assert not pivot & changed and "xl/worksheets/sheet1.xml" not in changed
    after = parts(path)
    owned = by_part(written, first=2)  # after Sheet1
    assert element_changes(original, path, changed, owned) == []  # the workbook's pivotCaches
    for part, element in (
        ("xl/workbook.xml", rb"<pivotCaches>.*?</pivotCaches>"),
        ("xl/_rels/workbook.xml.rels", rb"<Relationship [^>]*pivotCacheDefinition1[^>]*>"),
    ):
        kept = re.search(element, before[part])
        assert kept is not None and kept[0] in after[part], part
    statuses = [row[12].value for row in openpyxl.load_workbook(path)["Plan"].iter_rows(min_row=2)]
    assert statuses == ["On track", "On track", "Done"]
    assert pivot_tables([original, path], tmp_path / "libreoffice") == {
        original: ["PivotTable2 at A8:B11"],
        path: ["PivotTable2 at A8:B11"],
    }


def test_header_notes_are_linked_from_their_sheet_so_excel_shows_them(tmp_path: Path) -> None:
    # Excel draws a sheet's notes from the drawing its <legacyDrawing> names; without it
    # the notes are in the file but never shown.
    path, _ = synced_copy(plain_workbook(tmp_path / "original.xlsx"))

    after = parts(path)
    link = re.search(rb'<legacyDrawing r:id="(rId\d+)"', after[PLAN_PART])
    assert link is not None
    relationships = after["xl/worksheets/_rels/sheet2.xml.rels"].decode()
    drawing = re.search(
        rf'<Relationship Id="{link[1].decode()}" [^>]*Target="([^"]+)"', relationships
    )
    assert drawing is not None and drawing[1].endswith(".vml")
    assert b'ObjectType="Note"' in after["xl/" + drawing[1].removeprefix("../")]
    assert openpyxl.load_workbook(path)["Plan"]["M1"].comment.text == OWNED_NOTE


def test_a_sync_changing_one_cell_rewrites_one_sheet_part_only(tmp_path: Path) -> None:
    path = plain_workbook(tmp_path / "marketing.xlsx")
    sheetsync.sync(str(path), today=TODAY)
    synced = tmp_path / "synced.xlsx"
    synced.write_bytes(path.read_bytes())

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 3, 13, "At risk"),)))

    assert assert_untouched_parts_kept(synced, path) == {"xl/worksheets/sheet2.xml"}
    assert XlsxBackend(path).read().find_tab("Plan").value(3, 13) == "At risk"  # type: ignore[union-attr]


def test_macros_and_the_macro_content_type_survive(tmp_path: Path) -> None:
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(range(256)) * 8)
    original = tmp_path / "original.xlsm"
    book = xlsxwriter.Workbook(original)
    write_grids(book, baseline_grids())
    book.add_vba_project(str(vba))
    book.close()
    path = tmp_path / "marketing.xlsm"
    path.write_bytes(original.read_bytes())

    assert sheetsync.sync(str(path), today=TODAY).written

    assert_untouched_parts_kept(original, path)
    after = parts(path)
    assert after["xl/vbaProject.bin"] == vba.read_bytes()
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in after["[Content_Types].xml"]


def streamed(source: Path, target: Path, descriptor: str) -> Path:
    """`source` zipped again as a program writing to a stream does (a web app's download,
    Java's ZipOutputStream, Python's zipfile): each member's checksum and sizes follow its data
    in a data descriptor, with its optional signature or without; "zip64" puts a time stamp, a
    Unix owner and a Zip64 record in each header (in the order Info-ZIP's `zip -fz` writes
    them), then 8-byte sizes.
    """
    zip64 = descriptor == "zip64"
    out, directory = bytearray(), bytearray()
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        for info in infos:
            content = archive.read(info)
            packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            data = packer.compress(content) + packer.flush()
            name = info.filename.encode()
            extra = (
                struct.pack("<HHBI", 0x5455, 5, 1, 1_764_504_321)
                + struct.pack("<HHBBIBI", 0x7875, 11, 1, 4, 1000, 4, 1000)
                + struct.pack("<HHQQ", 1, 16, 0, 0)
                if zip64
                else b""
            )
            version, unknown = (45, 0xFFFFFFFF) if zip64 else (20, 0)
            dos_time = info.date_time[3] << 11 | info.date_time[4] << 5 | info.date_time[5] // 2
            dos_date = (info.date_time[0] - 1980) << 9 | info.date_time[1] << 5 | info.date_time[2]
            crc, offset = zlib.crc32(content), len(out)
            header = (b"PK\x03\x04", version, 0x08, 8, dos_time, dos_date)
            out += struct.pack("<4sHHHHHIIIHH", *header, 0, unknown, unknown, len(name), len(extra))
            out += name + extra + data + (b"" if descriptor == "unsigned" else b"PK\x07\x08")
            out += struct.pack("<IQQ" if zip64 else "<III", crc, len(data), len(content))
            directory += struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                version,
                *header[1:],
                crc,
                len(data),
                len(content),
                len(name),
                0,
                0,
                0,
                0,
                info.external_attr,
                offset,
            )
            directory += name
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(infos), len(infos), len(directory), len(out), 0
    )
    target.write_bytes(bytes(out + directory + end))
    return target


@pytest.mark.parametrize("descriptor", ["signed", "unsigned", "zip64"])
def test_a_workbook_zipped_as_a_stream_keeps_every_untouched_member_as_stored(
    tmp_path: Path, descriptor: str
) -> None:
    original = streamed(
        plain_workbook(tmp_path / "plain.xlsx"), tmp_path / "original.xlsx", descriptor
    )

    path, written = synced_copy(original)

    # Each member, its data descriptor included, where a reader that streams the file finds it.
    changed = assert_untouched_parts_kept(original, path)
    assert element_changes(original, path, changed, by_part(written)) == []
    assert openpyxl.load_workbook(path)["Plan"]["M1"].comment.text == OWNED_NOTE


def listing(path: Path) -> dict[str, tuple[object, ...]]:
    """What `zipinfo` shows of each entry: date, permissions, system, compression."""
    with zipfile.ZipFile(path) as archive:
        return {
            info.filename: (
                info.date_time,
                info.external_attr,
                info.create_system,
                info.compress_type,
            )
            for info in archive.infolist()
        }


def test_a_workbook_zipped_by_another_program_keeps_its_entries_dates_and_permissions(
    tmp_path: Path,
) -> None:
    # Zipped by Info-ZIP on Unix (corpus MalformedSSTCount.xlsx): folder entries, extra fields,
    # data descriptors, rw-r--r-- permissions, and parts dated apart from one another.
    original = tmp_path / "original.xlsx"
    original.write_bytes((CORPUS / "MalformedSSTCount.xlsx").read_bytes())
    original.chmod(0o644)

    path, _ = synced_copy(original)

    changed = assert_untouched_parts_kept(original, path)
    before, after = listing(original), listing(path)
    assert {"xl/workbook.xml", "[Content_Types].xml"} <= changed
    assert {name: after[name] for name in before} == before
    first = before["[Content_Types].xml"]
    added = {name: entry for name, entry in after.items() if name not in before}
    assert "xl/worksheets/sheet2.xml" in added  # the Checks tab, dated like the first entry
    assert set(added.values()) == {(*first[:3], zipfile.ZIP_DEFLATED)}


def test_a_workbook_packed_without_compression_keeps_its_parts_uncompressed(
    tmp_path: Path,
) -> None:
    plain = plain_workbook(tmp_path / "plain.xlsx")
    original = tmp_path / "original.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(original, "w") as stored:  # zip -0
        for info in source.infolist():
            content = source.read(info)
            info.compress_type = zipfile.ZIP_STORED
            stored.writestr(info, content)

    path, written = synced_copy(original)

    changed = assert_untouched_parts_kept(original, path)
    assert {"xl/workbook.xml", PLAN_PART} <= changed
    before, after = listing(original), listing(path)
    assert {name: after[name] for name in before} == before
    assert element_changes(original, path, changed, by_part(written)) == []


def without_titles_of_parts(app: bytes) -> bytes:
    return re.sub(rb"<TitlesOfParts>.*</TitlesOfParts>", b"", app)


@pytest.mark.parametrize(
    ("name", "edit", "expected"),
    [
        # Excel 2010: Sheet1 and "Sheet Number 2", on one line; the new tab is listed after them.
        (
            "SimpleNormal.xlsx",
            None,
            [
                (b"<vt:i4>2</vt:i4>", b"<vt:i4>3</vt:i4>"),
                (
                    b'<vt:vector size="2" baseType="lpstr">',
                    b'<vt:vector size="3" baseType="lpstr">',
                ),
                (
                    b"Sheet Number 2</vt:lpstr>",
                    b"Sheet Number 2</vt:lpstr><vt:lpstr>Checks</vt:lpstr>",
                ),
            ],
        ),
        # Excel 2007, an element a line.
        (
            "64508.xlsx",
            None,
            [
                (b"<vt:i4>1</vt:i4>", b"<vt:i4>2</vt:i4>"),
                (
                    b'<vt:vector size="1" baseType="lpstr">',
                    b'<vt:vector size="2" baseType="lpstr">',
                ),
                (b"sheet1</vt:lpstr>", b"sheet1</vt:lpstr><vt:lpstr>Checks</vt:lpstr>"),
            ],
        ),
        # Lists that do not match the workbook are left as they are: one worksheet of two...
        ("bug66675.xlsx", None, []),
        # ... or a count of worksheets with no list of their names, or a count the list
        # disagrees with.
        ("SimpleNormal.xlsx", without_titles_of_parts, []),
        ("SimpleNormal.xlsx", lambda app: app.replace(b"<vt:i4>2<", b"<vt:i4>1<"), []),
    ],
)
def test_a_new_tab_is_listed_in_the_files_properties_when_they_list_the_tabs(
    tmp_path: Path,
    name: str,
    edit: Callable[[bytes], bytes] | None,
    expected: list[tuple[bytes, bytes]],
) -> None:
    original = tmp_path / "original.xlsx"
    original.write_bytes((CORPUS / name).read_bytes())
    if edit is not None:
        with zipfile.ZipFile(original) as archive:
            members = [(info, archive.read(info)) for info in archive.infolist()]
        with zipfile.ZipFile(original, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, content in members:
                archive.writestr(info, edit(content) if info.filename == APP else content)
    before = parts(original)[APP]

    path, _ = synced_copy(original)

    assert "Checks" in openpyxl.load_workbook(path).sheetnames
    listed = before
    for old, new in expected:
        assert listed.count(old) == 1, old
        listed = listed.replace(old, new)
    assert parts(path)[APP] == listed


def test_two_tabs_added_at_once_are_listed_in_order_each_with_its_own_id(tmp_path: Path) -> None:
    path = plain_workbook(tmp_path / "marketing.xlsx")
    before = parts(path)[APP]
    plan = WritePlan(
        writes=(CellWrite("Checks", 1, 1, "Severity"), CellWrite("History", 1, 1, "Month")),
        new_tabs=("Checks", "History"),
    )

    XlsxBackend(path).apply(plan)

    workbook = parts(path)["xl/workbook.xml"].decode()
    assert re.findall(r'<sheet name="(\w+)" sheetId="(\d+)"', workbook) == [
        ("Strategy", "1"),
        ("Plan", "2"),
        ("Calendar", "3"),
        ("Checks", "4"),
        ("History", "5"),
    ]
    assert parts(path)[APP] == before.replace(b"<vt:i4>3</vt:i4>", b"<vt:i4>5</vt:i4>").replace(
        b'<vt:vector size="3" baseType="lpstr">', b'<vt:vector size="5" baseType="lpstr">'
    ).replace(
        b"Calendar</vt:lpstr>",
        b"Calendar</vt:lpstr><vt:lpstr>Checks</vt:lpstr><vt:lpstr>History</vt:lpstr>",
    )
    assert openpyxl.load_workbook(path).sheetnames == [
        "Strategy",
        "Plan",
        "Calendar",
        "Checks",
        "History",
    ]
    types = parts(path)["[Content_Types].xml"].decode()
    for number in (4, 5):
        assert (
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        ) in types


def test_a_header_note_in_a_package_with_an_empty_list_of_links_and_a_capital_vml_type(
    tmp_path: Path,
) -> None:
    # As some exporters write them: the Plan sheet's relationships an empty element, and the
    # VML drawings' content type under "VML" (extensions are compared without case).
    plain = plain_workbook(tmp_path / "plain.xlsx")
    original = tmp_path / "original.xlsx"
    rels = "xl/worksheets/_rels/sheet2.xml.rels"
    empty = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
    )
    vml = (
        b'<Default Extension="VML" '
        b'ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
    )
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(original, "w", zipfile.ZIP_DEFLATED) as made,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"<Default ", vml + b"<Default ", 1)
            made.writestr(info, content)
        made.writestr(rels, empty)

    path, written = synced_copy(original)

    changed = assert_untouched_parts_kept(original, path)
    assert element_changes(original, path, changed, by_part(written)) == []
    links = ElementTree.fromstring(parts(path)[rels])
    assert [link.get("Type", "").rpartition("/")[2] for link in links] == ["comments", "vmlDrawing"]
    assert parts(path)["[Content_Types].xml"].lower().count(b'extension="vml"') == 1
    assert openpyxl.load_workbook(path)["Plan"]["M1"].comment.text == OWNED_NOTE


def test_header_notes_join_the_users_notes_in_a_workbook_saved_by_openpyxl(tmp_path: Path) -> None:
    # openpyxl lists a sheet's links with the web link first, and the notes' parts by absolute
    # names (Target="/xl/comments/comment1.xml"): the notes are found all the same.
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in baseline_grids().items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book["Plan"]["C5"].hyperlink = "https://example.com/brief"
    book["Plan"]["C2"].comment = Comment("Ask Ana about the print run", "Ana")
    original = tmp_path / "original.xlsx"
    book.save(original)
    links = parts(original)["xl/worksheets/_rels/sheet2.xml.rels"]
    assert links.index(b'TargetMode="External"') < links.index(
        b'Target="/xl/comments/comment1.xml"'
    )

    path, written = synced_copy(original)

    changed = assert_untouched_parts_kept(original, path)
    assert element_changes(original, path, changed, by_part(written)) == []
    kinds = re.findall(rb'Type="[^"]*/(\w+)"', parts(path)["xl/worksheets/_rels/sheet2.xml.rels"])
    assert sorted(kinds) == [b"comments", b"hyperlink", b"vmlDrawing"]  # the user's, joined
    plan = openpyxl.load_workbook(path)["Plan"]
    assert plan["C2"].comment.text == "Ask Ana about the print run"
    assert plan["M1"].comment.text == OWNED_NOTE
    # Strategy, Calendar and the new Checks get notes parts of their own, typed for Excel.
    types = parts(path)["[Content_Types].xml"].decode()
    added = [name for name in parts(path) if re.fullmatch(r"xl/comments\d+\.xml", name)]
    assert len(added) == 3
    for name in added:
        assert (
            f'<Override PartName="/{name}" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.comments+xml"/>'
        ) in types


def test_a_sheets_links_part_without_its_list_is_refused_naming_what_is_missing(
    tmp_path: Path,
) -> None:
    path = plain_workbook(tmp_path / "marketing.xlsx")
    with zipfile.ZipFile(path, "a") as archive:  # XML, but not a list of relationships
        archive.writestr(
            "xl/worksheets/_rels/sheet2.xml.rels",
            '<?xml version="1.0"?><Relationship xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships" Id="rId1" Type="x" Target="x.xml"/>',
        )
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        sheetsync.sync(str(path), today=TODAY)

    assert str(error.value) == (
        f"{path} is damaged: a part sheetsync writes is not as Excel writes it (no "
        "Relationships element); open it in Excel or LibreOffice, which can often repair it, "
        "save it as an Excel Workbook (.xlsx), and run sheetsync again."
    )
    assert path.read_bytes() == before


def hand_made(path: Path, sheet: str, workbook_namespace: str = "") -> Path:
    """A minimal package around one sheet part's XML, as some exporters write it."""
    main = workbook_namespace or "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
            '<sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{relationships}/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def sheet_xml(cells: str, prefix: str = "", extra: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    namespace = f"xmlns{':' + prefix if prefix else ''}"
    return (
        f'<?xml version="1.0"?><{p}worksheet {namespace}="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><{p}sheetData>{cells}</{p}sheetData>{extra}</{p}worksheet>'
    )


def rows_of(path: Path) -> tuple[tuple[object, ...], ...]:
    return XlsxBackend(path).read().tabs[0].rows


@pytest.mark.parametrize("prefix", ["", "x"])
def test_cells_and_rows_are_inserted_in_order(tmp_path: Path, prefix: str) -> None:
    p = f"{prefix}:" if prefix else ""
    cells = (
        f'<{p}row r="1"><{p}c r="A1" t="inlineStr"><{p}is><{p}t>ID</{p}t></{p}is></{p}c>'
        f'<{p}c r="C1"><{p}v>3</{p}v></{p}c></{p}row>'
        f'<{p}row r="4"><{p}c r="B4"><{p}v>42</{p}v></{p}c></{p}row>'
    )
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells, prefix))
    writes = (
        CellWrite("Plan", 1, 2, "between"),
        CellWrite("Plan", 1, 4, "after"),
        CellWrite("Plan", 2, 1, "new row"),
        CellWrite("Plan", 4, 1, 0.5, kind="percent"),
        CellWrite("Plan", 6, 2, "last row"),
    )

    XlsxBackend(path).apply(WritePlan(writes=writes))

    assert rows_of(path) == (
        ("ID", "between", 3, "after"),
        ("new row",),
        (),
        (0.5, 42),
        (),
        (None, "last row"),
    )
    assert openpyxl.load_workbook(path)["Plan"]["A4"].number_format == "0%"


def test_rows_cut_between_the_pieces_the_editor_reads_are_each_written_once(
    tmp_path: Path,
) -> None:
    """The editor reads a sheet a megabyte at a time: a row cut between two pieces is edited
    whole and once, an empty row (<row/>) gets its cell, and the first piece, with rich text
    (where not every <c... tag is a cell) and cells that leave out their reference, is
    edited like the others."""
    text = "x" * 500
    red = '<r><rPr><color rgb="FFFF0000"/></rPr><t>red</t></r>'
    rows = []
    for row in range(1, 4001):
        if row % 7 == 0:
            rows.append(f'<row r="{row}"/>')
        elif row == 50:
            rows.append('<row r="50"><c t="inlineStr"><is><t>A50</t></is></c><c><v>7</v></c></row>')
        else:
            body = red if row in (1, 101) else f"<t>{text}{row}</t>"
            rows.append(f'<row r="{row}"><c r="A{row}" t="inlineStr"><is>{body}</is></c></row>')
    path = hand_made(tmp_path / "made.xlsx", sheet_xml("".join(rows)))
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size > 1 << 20
    writes = tuple(CellWrite("Plan", row, 2, f"S{row}") for row in range(1, 4001))

    XlsxBackend(path).apply(WritePlan(writes=writes))

    first = {50: "A50", 1: "red", 101: "red"}
    expected = [
        (None if row % 7 == 0 else first.get(row, f"{text}{row}"), f"S{row}")
        for row in range(1, 4001)
    ]
    assert list(rows_of(path)) == expected
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    row_50 = re.search(r'<row r="50">.*?</row>', sheet)
    assert row_50 is not None and row_50[0].count("<c") == 2  # B50 written over, not added


def test_cells_without_references_keep_their_place(tmp_path: Path) -> None:
    # Cells and rows may leave out r: each is then the one after the previous.
    cells = "<row><c><v>1</v></c><c><v>3</v></c></row><row><c><v>5</v></c></row>"
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))

    XlsxBackend(path).apply(
        WritePlan(writes=(CellWrite("Plan", 1, 1, "first"), CellWrite("Plan", 1, 4, "fourth")))
    )

    assert rows_of(path) == (("first", 3, None, "fourth"), (5,))


def with_shared_strings(path: Path, strings: str, prefix: str = "") -> None:
    """Give a hand-made package a shared strings part (its `<si>` entries), as Excel links it."""
    p = f"{prefix}:" if prefix else ""
    namespace = f"xmlns{':' + prefix if prefix else ''}"
    package = parts(path)
    package["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0"?><{p}sst {namespace}="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{strings}</{p}sst>'
    ).encode()
    package["xl/_rels/workbook.xml.rels"] = package["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    package["[Content_Types].xml"] = package["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in package.items():
            archive.writestr(name, content)


@pytest.mark.parametrize("prefix", ["", "x"])
def test_guarded_ids_in_shared_strings_read_as_a_person_sees_them(
    tmp_path: Path, prefix: str
) -> None:
    # Rich text (runs joined), a Japanese name with its reading (the phonetic run is not
    # shown; the part indented, as some exporters write it), an escaped ampersand, an empty
    # text, and, last in the part, a text on two lines (Alt+Enter in Excel).
    p = f"{prefix}:" if prefix else ""
    strings = [
        f"<{p}si><{p}t>Tactic ID</{p}t></{p}si>",
        f"<{p}si><{p}r><{p}t>T</{p}t></{p}r><{p}r><{p}rPr><{p}b/></{p}rPr>"
        f'<{p}t xml:space="preserve">1&amp;2</{p}t></{p}r></{p}si>',
        f'<{p}si><{p}t>東京</{p}t>\n  <{p}rPh sb="0" eb="2">\n    <{p}t>トウキョウ</{p}t>\n'
        f'  </{p}rPh><{p}phoneticPr fontId="1"/></{p}si>',
        f"<{p}si><{p}t/></{p}si>",
        f"<{p}si><{p}t>Spring\nlaunch</{p}t></{p}si>",
    ]
    cells = "".join(
        f'<{p}row r="{row}"><{p}c r="A{row}" t="s"><{p}v>{row - 1}</{p}v></{p}c></{p}row>'
        for row in range(1, 6)
    )
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells, prefix))
    with_shared_strings(path, "".join(strings), prefix)
    seen = {1: "Tactic ID", 2: "T1&2", 3: "東京", 4: "", 5: "Spring\nlaunch"}
    assert rows_of(path) == tuple((text,) if text else () for text in seen.values())
    before = path.read_bytes()

    for row, text in seen.items():
        plan = WritePlan(
            writes=(CellWrite("Plan", row, 2, "Done"),), guards=(Guard("Plan", row, 1, "T9"),)
        )
        with pytest.raises(
            WorkbookChanged, match=f'A{row} .* from "T9" to "{re.escape(text)}" while'
        ):
            XlsxBackend(path).apply(plan)
        assert path.read_bytes() == before

    guards = tuple(Guard("Plan", row, 1, text) for row, text in seen.items())
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 5, 2, "Done"),), guards=guards))
    assert rows_of(path)[4] == ("Spring\nlaunch", "Done")


def test_guarded_cells_as_other_programs_store_them_read_as_a_person_sees_them(
    tmp_path: Path,
) -> None:
    # ISO dates (t="d", as openpyxl's iso_dates and some exporters write them; a month in a
    # header row is a date), "true" for TRUE, inline text, a text cell left without its
    # value, text where a number or a date should be, and IDs that are text but look like
    # numbers.
    stored = {
        "A1": ('t="d"', "<v>2026-03-01T00:00:00</v>", "2026-03-01"),
        "B1": ('t="d"', "<v>2026-03-01T13:30:00</v>", "2026-03-01T13:30:00"),
        "C1": ('t="d"', "<v>2026-04-01</v>", "2026-04-01"),
        "D1": ('t="b"', "<v>true</v>", "TRUE"),
        "E1": ('t="inlineStr"', "<is><t>T5</t></is>", "T5"),
        "F1": ('t="s"', "", ""),
        "G1": ("", "<v>abc</v>", "abc"),
        "H1": ('t="d"', "<v>soon</v>", "soon"),
        "I1": ('t="inlineStr"', "<is><t>007</t></is>", "007"),  # text, though it looks a number
        "J1": ('t="str"', '<f>"00"&amp;"42"</f><v>0042</v>', "0042"),
    }
    cells = "".join(
        f'<c r="{cell}" {kind}>{value}</c>' for cell, (kind, value, _) in stored.items()
    )
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(f'<row r="1">{cells}</row>'))
    header = XlsxBackend(path).read().tabs[0].rows[0]
    before = path.read_bytes()

    for column, (cell, (_, _, text)) in enumerate(stored.items(), 1):
        plan = WritePlan(
            writes=(CellWrite("Plan", 2, 1, "Done"),), guards=(Guard("Plan", 1, column, "T9"),)
        )
        with pytest.raises(
            WorkbookChanged, match=f'{cell} .* from "T9" to "{re.escape(text)}" while'
        ):
            XlsxBackend(path).apply(plan)
        assert path.read_bytes() == before

    # As a sync guards them: with what its read gave.
    guards = tuple(Guard("Plan", 1, column, value) for column, value in enumerate(header, 1))
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 2, 1, "Done"),), guards=guards))
    assert rows_of(path)[1] == ("Done",)


def test_strict_open_xml_is_refused_untouched(tmp_path: Path) -> None:
    cells = '<row r="1"><c r="A1"><v>1</v></c></row>'
    strict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    path = hand_made(tmp_path / "strict.xlsx", sheet_xml(cells), workbook_namespace=strict)
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 2, "Done"),)))

    assert str(error.value) == (
        f"{path} is saved as Strict Open XML, which sheetsync cannot write without risking it; "
        "save it in Excel as an Excel Workbook (.xlsx) and run sync again (nothing was written)."
    )
    assert path.read_bytes() == before


CALC_CHAIN = "xl/calcChain.xml"


CHAIN_LINK = (
    b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/calcChain" Target="calcChain.xml"/>'
)


def with_a_calc_chain(path: Path, entries: str, link: bytes = CHAIN_LINK) -> list[str]:
    """Link a calc chain (its `<c>` entries) as Excel does (or by `link`): a part, a
    relationship and a content type. The chain goes second in the package, before the parts
    it names. Returns the package's members."""
    package = parts(path)
    package["xl/_rels/workbook.xml.rels"] = package["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", link + b"</Relationships>"
    )
    package["[Content_Types].xml"] = package["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    chain = (
        '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{entries}</calcChain>"
    )
    first, *others = package
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(first, package[first])
        archive.writestr(CALC_CHAIN, chain)
        for name in others:
            archive.writestr(name, package[name])
    return [first, CALC_CHAIN, *others]


TWO_FORMULAS = (
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c>'
    '<c r="C1"><f>A1*3</f><v>3</v></c></row>'
)


@pytest.mark.parametrize("sheet_id", ["1", None], ids=["sheetId", "no sheetId"])
def test_a_calc_chain_left_empty_or_unreadable_goes_and_the_workbook_asks_for_recalculation(
    tmp_path: Path, sheet_id: str | None
) -> None:
    # The chain's only formula becomes a value; or the tab has no sheetId, so its entries
    # cannot be told from another tab's.
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(TWO_FORMULAS))
    if sheet_id is None:
        package = parts(path)
        package["xl/workbook.xml"] = package["xl/workbook.xml"].replace(b' sheetId="1"', b"")
        with zipfile.ZipFile(path, "w") as archive:
            for name, content in package.items():
                archive.writestr(name, content)
    entries = '<c r="B1" i="1"/>' if sheet_id else '<c r="B1" i="1"/><c r="C1"/>'
    members = with_a_calc_chain(path, entries)

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 2, "typed over"),)))

    after = parts(path)
    assert list(after) == [name for name in members if name != CALC_CHAIN]
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in after["[Content_Types].xml"]
    assert b'fullCalcOnLoad="1"' in after["xl/workbook.xml"]
    assert rows_of(path) == ((1, "typed over", 3),)


EXTENSIONS = b'<extLst><ext uri="{7523E5D3-25F3-A5E0-1632-64F254C22452}"/></extLst>'


@pytest.mark.parametrize(
    ("link", "part_name", "workbook_end"),
    [
        # As Excel links it; by its absolute name (the Open XML SDK); in single quotes; its
        # content type naming it in capitals (part names are compared without case); and a
        # workbook with extensions, which the new calculation settings go before.
        (CHAIN_LINK, b"/xl/calcChain.xml", b""),
        (CHAIN_LINK.replace(b'"calcChain.xml"', b'"/xl/calcChain.xml"'), b"/xl/calcChain.xml", b""),
        (CHAIN_LINK.replace(b'"', b"'"), b"/xl/calcChain.xml", b""),
        (CHAIN_LINK, b"/XL/CALCCHAIN.XML", EXTENSIONS),
    ],
)
def test_a_calc_chain_that_goes_takes_exactly_its_link_and_content_type_along(
    tmp_path: Path, link: bytes, part_name: bytes, workbook_end: bytes
) -> None:
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(TWO_FORMULAS))
    package = parts(path)
    package["xl/workbook.xml"] = package["xl/workbook.xml"].replace(
        b"</workbook>", workbook_end + b"</workbook>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in package.items():
            archive.writestr(name, content)
    with_a_calc_chain(path, '<c r="B1" i="1"/>', link)
    types = parts(path)["[Content_Types].xml"].replace(b'"/xl/calcChain.xml"', b'"%s"' % part_name)
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, content in members:
            archive.writestr(info, types if info.filename == "[Content_Types].xml" else content)

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 2, "typed over"),)))

    after = parts(path)
    assert CALC_CHAIN not in after
    for part in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        assert after[part] == package[part], part
    calculation = b'<calcPr fullCalcOnLoad="1"/>'
    assert after["xl/workbook.xml"] == package["xl/workbook.xml"].replace(
        workbook_end + b"</workbook>", calculation + workbook_end + b"</workbook>"
    )


def test_a_value_typed_over_one_formula_of_a_calc_chain_takes_only_its_entry_out(
    tmp_path: Path,
) -> None:
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(TWO_FORMULAS))
    with_a_calc_chain(path, '<c r="B1" i="1"/><c r="C1"/>')
    before = parts(path)

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 2, "typed over"),)))

    after = parts(path)
    assert after[CALC_CHAIN] == before[CALC_CHAIN].replace(
        b'<c r="B1" i="1"/><c r="C1"/>', b'<c r="C1" i="1"/>'
    )
    # The chain still names every formula: no need to recalculate, the workbook part stays.
    unchanged = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")
    assert [after[name] for name in unchanged] == [before[name] for name in unchanged]
    assert rows_of(path) == ((1, "typed over", 3),)


def test_a_formula_typed_over_in_a_workbook_without_a_calc_chain_leaves_the_rest_alone(
    tmp_path: Path,
) -> None:
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(TWO_FORMULAS))
    before = parts(path)

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 2, "typed over"),)))

    after = parts(path)
    assert {name for name in after if after[name] != before[name]} == {"xl/worksheets/sheet1.xml"}
    assert rows_of(path) == ((1, "typed over", 3),)


def test_a_package_without_its_content_types_is_refused_naming_what_is_missing(
    tmp_path: Path,
) -> None:
    # Zipped again by a tool that drops [Content_Types].xml: readable, but a new tab needs
    # its content type, and Excel would call the file damaged anyway.
    path = hand_made(tmp_path / "made.xlsx", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))
    package = parts(path)
    del package["[Content_Types].xml"]
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in package.items():
            archive.writestr(name, content)
    before = path.read_bytes()
    plan = WritePlan(writes=(CellWrite("Checks", 1, 1, "Severity"),), new_tabs=("Checks",))

    with pytest.raises(WorkbookUnreachable) as error:
        XlsxBackend(path).apply(plan)

    assert str(error.value).startswith(
        f"{path} is damaged: a part sheetsync writes is not as Excel writes it "
        "('[Content_Types].xml'); open it in Excel or LibreOffice, which can often repair it"
    )
    assert path.read_bytes() == before


def test_text_is_stored_as_text_whatever_it_looks_like(tmp_path: Path) -> None:
    path = plain_workbook(tmp_path / "marketing.xlsx")
    texts = ['=IMPORTXML("https://x","//a")', "  spaced  ", "_x0041_ stays", "line\nbreak"]
    writes = tuple(CellWrite("Calendar", 2, 5 + n, text) for n, text in enumerate(texts))

    XlsxBackend(path).apply(WritePlan(writes=writes))

    calendar = XlsxBackend(path).read().find_tab("Calendar")
    assert calendar is not None and list(calendar.rows[1][4:]) == texts


def test_a_new_tab_in_a_package_written_with_namespace_prefixes(tmp_path: Path) -> None:
    # As some .NET and Python exporters write it: prefixed roots, r: declared on the sheet.
    cells = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c></row>'
    path = hand_made(tmp_path / "made.xlsx", sheet_xml(cells))
    package = parts(path)
    package["xl/workbook.xml"] = (
        b'<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheets><x:sheet name="Plan" sheetId="1" r:id="rId1" xmlns:r="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships"/></x:sheets></x:workbook>'
    )
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        package[name] = re.sub(
            rb"<(/?)(Relationships?|Types|Default|Override)\b", rb"<\1ns0:\2", package[name]
        ).replace(b"xmlns=", b"xmlns:ns0=")
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in package.items():
            archive.writestr(name, content)
    plan = WritePlan(
        writes=(
            CellWrite("Checks", 1, 1, "Severity", kind="header"),
            CellWrite("Plan", 1, 1, 5),  # B1 doubles it: recalculate on open
        ),
        new_tabs=("Checks",),
    )

    XlsxBackend(path).apply(plan)

    for name, content in parts(path).items():
        if name.endswith((".xml", ".rels", ".vml")):
            ElementTree.fromstring(content)  # every part is still well-formed
    assert [tab.name for tab in XlsxBackend(path).read().tabs] == ["Plan", "Checks"]
    assert openpyxl.load_workbook(path)["Checks"]["A1"].value == "Severity"
    workbook = parts(path)["xl/workbook.xml"]
    assert workbook.endswith(b'</x:sheets><x:calcPr fullCalcOnLoad="1"/></x:workbook>')


@pytest.mark.parametrize(("row", "column", "cell"), [(1, 12, "L1"), (5, 8, "H5")])
def test_owned_cell_in_a_tables_header_or_totals_row_is_refused(
    tmp_path: Path, row: int, column: int, cell: str
) -> None:
    # The Plan as an Excel table with a totals row: its names and totals are the table's.
    path = tmp_path / "marketing.xlsx"
    book = xlsxwriter.Workbook(path)
    sheets = write_grids(book, baseline_grids())
    plan = baseline_grids()["Plan"]
    columns = [{"header": str(header)} for header in plan[0]]
    columns[7]["total_function"] = "sum"
    options = {"columns": columns, "total_row": True}
    sheets["Plan"].add_table(0, 0, len(plan), len(columns) - 1, options)
    book.close()
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", row, column, "x"),)))

    assert f"{cell} on the Plan tab" in str(error.value) and "table Table1" in str(error.value)
    assert path.read_bytes() == before
    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 3, column, 7),)))  # inside: fine


def test_a_table_without_a_name_is_called_a_table_in_the_refusal(tmp_path: Path) -> None:
    # Excel names every table; a file written by hand or by another program may not.
    named = tmp_path / "named.xlsx"
    book = xlsxwriter.Workbook(named)
    sheets = write_grids(book, baseline_grids())
    plan = baseline_grids()["Plan"]
    sheets["Plan"].add_table(0, 0, len(plan) - 1, len(plan[0]) - 1, {"name": "Tactics"})
    book.close()
    path = tmp_path / "marketing.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts(named).items():
            if name.startswith("xl/tables/"):
                content = re.sub(rb' (?:displayName|name)="Tactics"', b"", content)
            archive.writestr(name, content)
    assert b"Tactics" not in parts(path)["xl/tables/table1.xml"]
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 1, 12, "x"),)))

    assert f"Cell L1 on the Plan tab of {path} is in the header or totals row of a table, so " in (
        str(error.value)
    )
    assert path.read_bytes() == before


def table_edge_refusal(cell: str, table: str, path: Path) -> str:
    return (
        f"Cell {cell} on the Plan tab of {path} is in the header or totals row of the table "
        f"{table}, so sheetsync cannot fill it in; type that cell yourself in Excel, or move the "
        "table, and run sync again (nothing was written)."
    )


def test_only_the_header_and_totals_rows_of_tables_anywhere_on_a_tab_are_refused(
    tmp_path: Path,
) -> None:
    # Three tables on a tab that also has a link and a note (their links come first):
    # Budgets at C3:F8 with a totals row, one without a header row, Owners without totals.
    path = tmp_path / "marketing.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Plan")
    sheet.write_url("A20", "https://example.com/brief")
    sheet.write_comment("A1", "Ask Ana")
    budgets = [{"header": name} for name in ("Goal", "Budget", "Spend", "Left")]
    sheet.add_table("C3:F8", {"name": "Budgets", "columns": budgets, "total_row": True})
    sheet.add_table("H3:I6", {"header_row": False})
    owners = [{"header": "Goal"}, {"header": "Owner"}]
    sheet.add_table("K3:L5", {"name": "Owners", "columns": owners})
    book.close()
    before = path.read_bytes()

    refused = [("C3", "Budgets"), ("F3", "Budgets"), ("C8", "Budgets"), ("F8", "Budgets")]
    for cell, table in [*refused, ("K3", "Owners"), ("L3", "Owners")]:
        row, column = coordinate_to_tuple(cell)
        with pytest.raises(WorkbookUnreachable) as error:
            XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", row, column, "x"),)))
        assert str(error.value) == table_edge_refusal(cell, table, path)
        assert path.read_bytes() == before

    beside = ["B3", "G3", "C2", "C4", "F7", "C9", "B8", "G8", "H3", "I6", "K4", "L5", "M3"]
    writes = []
    for n, cell in enumerate(beside):
        row, column = coordinate_to_tuple(cell)
        writes.append(CellWrite("Plan", row, column, f"owned {n}"))
    XlsxBackend(path).apply(WritePlan(writes=tuple(writes)))
    sheet = openpyxl.load_workbook(path)["Plan"]
    assert [sheet[cell].value for cell in beside] == [f"owned {n}" for n in range(len(beside))]


def test_a_table_is_named_as_formulas_name_it_and_a_broken_table_hides_no_other(
    tmp_path: Path,
) -> None:
    # Formulas name a table by its displayName (Budgets), which may differ from its internal
    # name; a table without one goes by its name. Ahead of them, links Excel would repair: to
    # a table part that is missing, to one with no table in it, to a table without a range.
    path = tmp_path / "marketing.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Plan")
    sheet.add_table("C3:F8", {"name": "Budgets"})
    sheet.add_table("K3:L5", {"name": "Owners"})
    book.close()
    package = parts(path)
    package["xl/tables/table1.xml"] = package["xl/tables/table1.xml"].replace(
        b'name="Budgets"', b'name="Table1"'
    )
    package["xl/tables/table2.xml"] = package["xl/tables/table2.xml"].replace(
        b' displayName="Owners"', b""
    )
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    package["xl/tables/empty.xml"] = b'<?xml version="1.0"?><queryTable xmlns="%s"/>' % main
    package["xl/tables/unplaced.xml"] = b'<table xmlns="%s" id="9" name="Broken"/>' % main
    rels = "xl/worksheets/_rels/sheet1.xml.rels"
    table = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
    broken = b"".join(
        b'<Relationship Id="rId9%d" Type="%s" Target="../tables/%s.xml"/>' % (n, table, name)
        for n, name in enumerate((b"missing", b"empty", b"unplaced"))
    )
    opening = re.search(rb"<Relationships [^>]*>", package[rels])
    assert opening is not None
    package[rels] = package[rels].replace(opening[0], opening[0] + broken)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in package.items():
            archive.writestr(name, content)
    before = path.read_bytes()

    for cell, name in [("D3", "Budgets"), ("L3", "Owners")]:
        row, column = coordinate_to_tuple(cell)
        with pytest.raises(WorkbookUnreachable) as error:
            XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", row, column, "x"),)))
        assert str(error.value) == table_edge_refusal(cell, name, path)
        assert path.read_bytes() == before

    XlsxBackend(path).apply(WritePlan(writes=(CellWrite("Plan", 2, 4, "owned"),)))
    assert rows_of(path)[1][3] == "owned"


@pytest.mark.parametrize("origin", ["hand-made, no styles", "XlsxWriter"])
def test_the_styles_part_a_new_format_goes_in_is_linked_once_and_every_part_stored_once(
    tmp_path: Path, origin: str
) -> None:
    # Excel calls a package damaged when a part is stored twice, when the workbook links two
    # styles parts, or when a part has no content type of its own.
    if origin == "XlsxWriter":
        path = plain_workbook(tmp_path / "marketing.xlsx")
    else:
        path = hand_made(
            tmp_path / "made.xlsx", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')
        )
    write = CellWrite("Plan", 2, 2, 0.25, kind="percent")

    XlsxBackend(path).apply(WritePlan(writes=(write,)))

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert len(names) == len(set(names)) and names.count("xl/styles.xml") == 1
    after = parts(path)
    links = re.findall(rb'Type="[^"]*/styles"', after["xl/_rels/workbook.xml.rels"])
    assert len(links) == 1
    content_types = after["[Content_Types].xml"].decode()
    styles_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
    assert content_types.count('PartName="/xl/styles.xml"') == 1
    assert f'PartName="/xl/styles.xml" ContentType="{styles_type}"' in content_types
    assert openpyxl.load_workbook(path)["Plan"]["B2"].number_format == "0%"


def test_a_styles_part_without_cell_formats_is_never_given_a_new_default_look() -> None:
    from sheetsync.backends.xlsx_styles import EMPTY_STYLES, styles_to_edit

    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    # Empty (corpus 47889.xlsx): every cell has the default look, which EMPTY_STYLES's
    # format 0 is, so the owned formats go after it and no user cell turns bold on grey.
    lists = EMPTY_STYLES[EMPTY_STYLES.index(b"<fonts") :]
    empty = f'<?xml version="1.0"?>\n<styleSheet {main} xml:space="preserve"/>'.encode()
    filled = f'<?xml version="1.0"?>\n<styleSheet {main} xml:space="preserve">'.encode() + lists
    assert styles_to_edit(empty) == filled
    assert styles_to_edit(f"<styleSheet {main}> </styleSheet>".encode()) == (
        f"<styleSheet {main}>".encode() + lists
    )
    assert styles_to_edit(None) == EMPTY_STYLES
    # Content but no list of cell formats: the first appended format would become format 0.
    assert styles_to_edit(f'<styleSheet {main}><dxfs count="0"/></styleSheet>'.encode()) is None
    assert styles_to_edit(f'<styleSheet {main}><cellXfs count="0"/></styleSheet>'.encode()) is None
    assert styles_to_edit(f"<styleSheet {main}><cellXfs> </cellXfs></styleSheet>".encode()) is None
    lists = '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
    with_formats = f'<styleSheet {main}>{lists}<cellXfs count="1"><xf/></cellXfs></styleSheet>'
    assert styles_to_edit(with_formats.encode()) == with_formats.encode()


def test_a_styles_part_with_content_but_no_cell_formats_is_refused_untouched(
    tmp_path: Path,
) -> None:
    path = plain_workbook(tmp_path / "marketing.xlsx")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in parts:
            if info.filename == "xl/styles.xml":
                content = f'<styleSheet xmlns="{main}"><dxfs count="0"/></styleSheet>'.encode()
            archive.writestr(info, content)
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        sheetsync.sync(str(path), today=TODAY)

    assert str(error.value) == (
        f"{path} has a styles part without a list of cell formats, so sheetsync cannot format "
        "its columns without changing the look of your cells; open the file in Excel or "
        "LibreOffice, save it, and run sync again (nothing was written)."
    )

    assert path.read_bytes() == before
