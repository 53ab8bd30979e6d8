"""The calc chain (xl/calcChain.xml) stays valid when a sync types a value over a formula:
only that cell's entry goes, every other entry keeps its bytes and its place, and Excel's
shorthand (an entry without `i` is on the sheet of the one before) still reads right."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from libreoffice import recalculated_sheets
from package_parts import assert_untouched_parts_kept, element_changes, parts
from test_xlsx_edit import write_grids
from workbooks import TODAY, baseline_grids
from xlsx_corpus import CORPUS

import sheetsync
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_calc_chain import without_entries
from sheetsync.workbook import CellWrite, WritePlan

CHAIN = "xl/calcChain.xml"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def chain(entries: str) -> bytes:
    return f"{_HEAD}{entries}</calcChain>".encode()


def test_an_entry_removed_hands_its_sheet_and_level_to_the_next_one() -> None:
    old = chain(
        '<c r="A1" i="4" l="1"/><c r="A2"/>'  # sheet 4
        '<c r="M2" i="2" l="1"/><c r="N2" s="1"/><c r="N3" s="1"/>'  # sheet 2: M2 goes
        '<c r="B5" i="1" a="1"/><c r="B6"/>'  # sheet 1: B5 goes, B6 relied on its i
        '<c r="C1" i="3"/><c r="C2" i="3" l="1"/>'  # sheet 3: C1 goes, C2 has its own i
    )

    new = without_entries(old, [(2, "M2"), (1, "B5"), (3, "C1")])

    assert new == chain(
        '<c r="A1" i="4" l="1"/><c r="A2"/>'
        '<c r="N2" i="2" l="1"/><c r="N3" s="1"/>'
        '<c r="B6" i="1"/>'
        '<c r="C2" i="3" l="1"/>'
    )


def test_an_entry_is_told_by_its_sheet_and_a_chain_left_empty_goes() -> None:
    old = chain('<c r="B2" i="1"/><c r="B3"/><c r="B2" i="2"/>')

    assert without_entries(old, [(3, "B2")]) == old  # no such entry: not a byte changes
    assert without_entries(old, [(2, "B2")]) == chain('<c r="B2" i="1"/><c r="B3"/>')
    assert without_entries(old, [(1, "B2"), (1, "B3"), (2, "B2")]) is None
    prefixed = re.sub(rb"<(/?)(c|calcChain)\b", rb"<\1x:\2", old).replace(b"xmlns=", b"xmlns:x=")
    assert without_entries(prefixed, [(1, "B2")]) == prefixed.replace(
        b'<x:c r="B2" i="1"/><x:c r="B3"/>', b'<x:c r="B3" i="1"/>'
    )


def test_an_entry_starting_its_own_level_keeps_its_bytes_after_one_removed() -> None:
    old = chain('<c r="K2" i="1" l="1"/><c r="K3" i="1" l="1"/><c r="K4" s="1"/>')

    assert without_entries(old, [(1, "K2")]) == chain('<c r="K3" i="1" l="1"/><c r="K4" s="1"/>')


def test_entries_written_other_ways_are_found_and_an_empty_chain_is_kept() -> None:
    # Absolute references and entries with an end tag, over lines, as other programs than
    # Excel may write them; a chain without entries names none of the cells.
    old = chain('<c r="$B$2" i="1"/>\n<c r="b3">\n</c>\n<c r="B4"></c>')

    assert without_entries(old, [(1, "B2"), (1, "B4")]) == chain('\n<c r="b3" i="1">\n</c>\n')
    assert without_entries(old, [(1, "B3")]) == chain('<c r="$B$2" i="1"/>\n\n<c r="B4"></c>')
    assert without_entries(chain(""), [(1, "B2")]) == chain("")
    # An entry without its cell (damaged: Excel rebuilds the chain) is kept, never a traceback.
    damaged = chain('<c r="B2" i="1"/><c/><c l="1"/>')
    assert without_entries(damaged, [(1, "B2")]) == chain('<c i="1"/><c l="1"/>')


def corpus_chains() -> dict[str, bytes]:
    """The calc chain of every corpus workbook that has one (and opens)."""
    chains = {}
    for path in sorted(CORPUS.glob("*.xls[xm]")):
        try:
            with zipfile.ZipFile(path) as package:
                chains[path.name] = package.read(CHAIN)
        except (zipfile.BadZipFile, KeyError, OSError):
            continue
    return chains


CORPUS_CHAINS = corpus_chains()


def read_chain(xml: bytes) -> list[tuple[int, str, int]]:
    """Each entry as Excel reads it: (sheet, cell, dependency level), the sheet inherited from
    the entry before when it names none."""
    entries = []
    sheet = level = 0
    for entry in ElementTree.fromstring(xml):
        if entry.tag.rpartition("}")[2] != "c":
            continue
        assert not (entry.get("l") == "1" and entry.get("s") == "1")  # Office: never both
        sheet = int(entry.get("i", sheet))
        level += entry.get("l") == "1"
        entries.append((sheet, entry.get("r", ""), level))
    return entries


@pytest.mark.parametrize("name", sorted(CORPUS_CHAINS))
@pytest.mark.parametrize("every", [2, 3, 7])
def test_every_real_chain_reads_the_same_with_entries_removed(name: str, every: int) -> None:
    old = CORPUS_CHAINS[name]
    entries = read_chain(old)
    dropped = {(sheet, cell) for n, (sheet, cell, _) in enumerate(entries) if n % every == 0}

    new = without_entries(old, dropped)

    kept = [entry for entry in entries if entry[:2] not in dropped]
    if not kept:
        assert new is None
        return
    assert new is not None
    read = read_chain(new)
    assert [entry[:2] for entry in read] == [entry[:2] for entry in kept]
    # Entries that shared a dependency level still do, and those that did not still do not.
    pairs = zip(kept, kept[1:], strict=False)
    read_pairs = zip(read, read[1:], strict=False)
    assert [a[2] == b[2] for a, b in pairs] == [a[2] == b[2] for a, b in read_pairs]


def with_calc_chain(path: Path, entries: str) -> None:
    """Add a calc chain as Excel writes it (XlsxWriter writes none): part, link, type; and
    no request to recalculate on open (XlsxWriter makes one, Excel does not)."""
    package = parts(path)
    package["xl/workbook.xml"] = package["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
    package[CHAIN] = chain(entries)
    package["xl/_rels/workbook.xml.rels"] = package["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rId99" Type="{RELATIONSHIPS}/calcChain" '
        'Target="calcChain.xml"/></Relationships>'.encode(),
    )
    package["[Content_Types].xml"] = package["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in package.items():
            archive.writestr(name, content)


def formulas_workbook(path: Path, status_formula: bool) -> Path:
    """The baseline plan with a user's formulas on three tabs, and, when `status_formula`,
    one typed in Plan's Status column (sheetsync's), all in a calc chain."""
    grids = baseline_grids()
    grids["Plan"][0].append("Status")
    book = xlsxwriter.Workbook(path)
    sheets = write_grids(book, grids)
    strategy, plan = sheets["Strategy"], sheets["Plan"]
    strategy.write("K1", "Budget x2")
    for row in (2, 3):
        strategy.write_formula(f"K{row}", f"=G{row}*2", None, grids["Strategy"][row - 1][6] * 2)
    plan.write("N1", "Days")
    for row in (2, 3, 4):
        plan.write_formula(f"N{row}", f"=G{row}-F{row}", None, 0)
    if status_formula:
        plan.write_formula("M2", '=IF(L2>=1,"Done","Started")', None, "Started")
    dashboard = book.add_worksheet("Dashboard")
    dashboard.write_formula("A1", "=SUM(Plan!H2:H4)", None, 3500)
    dashboard.write_formula("A2", "=A1*2", None, 7000)
    book.close()
    # Sheet ids: Strategy 1, Plan 2, Calendar 3, Dashboard 4. Entries without i are on the
    # sheet of the one before; M2 starts a dependency level, N2 is its child.
    plan_entries = (
        '<c r="M2" i="2" l="1"/><c r="N2" s="1"/>' if status_formula else '<c r="N2" i="2" l="1"/>'
    )
    with_calc_chain(
        path,
        '<c r="A1" i="4" l="1"/><c r="A2"/>'
        + plan_entries
        + '<c r="N3"/><c r="N4"/><c r="K2" i="1" l="1"/><c r="K3"/>',
    )
    return path


def test_a_formula_typed_in_a_status_cell_leaves_the_calc_chain_without_it(
    tmp_path: Path,
) -> None:
    original = formulas_workbook(tmp_path / "original.xlsx", status_formula=True)
    path = tmp_path / "marketing.xlsx"
    shutil.copy(original, path)

    assert sheetsync.sync(str(path), today=TODAY).written

    after = parts(path)
    # M2's entry is gone; N2 now opens Plan's entries and the dependency level M2 opened.
    assert after[CHAIN] == chain(
        '<c r="A1" i="4" l="1"/><c r="A2"/><c r="N2" i="2" l="1"/><c r="N3"/><c r="N4"/>'
        '<c r="K2" i="1" l="1"/><c r="K3"/>'
    )
    assert b"calcChain.xml" in after["xl/_rels/workbook.xml.rels"]
    assert b"/xl/calcChain.xml" in after["[Content_Types].xml"]
    assert b"fullCalcOnLoad" not in after["xl/workbook.xml"]  # the chain is valid: no need
    status = openpyxl.load_workbook(path)["Plan"]["M2"]
    assert (status.value, status.data_type) == ("On track", "s")
    sheets = recalculated_sheets([original, path], tmp_path / "libreoffice")
    before, synced = sheets[original], sheets[path]
    assert before is not None and synced is not None, "LibreOffice cannot open the workbook"
    assert synced["Dashboard"] == before["Dashboard"] == "3500\n7000\n"
    assert column(synced["Plan"], 13) == column(before["Plan"], 13)  # Days: G - F
    assert column(synced["Strategy"], 10) == column(before["Strategy"], 10)  # Budget x2
    assert column(synced["Plan"], 12)[1] == "On track"


def column(csv: str, index: int) -> list[str]:
    return [row.split(",")[index] if row.count(",") >= index else "" for row in csv.splitlines()]


def test_a_sync_writing_only_values_keeps_the_calc_chain_byte_for_byte(tmp_path: Path) -> None:
    original = formulas_workbook(tmp_path / "original.xlsx", status_formula=False)
    path = tmp_path / "marketing.xlsx"
    shutil.copy(original, path)

    assert sheetsync.sync(str(path), today=TODAY).written

    changed = assert_untouched_parts_kept(original, path)  # the chain's stored bytes too
    assert CHAIN not in changed and CHAIN in parts(path)
    assert b"fullCalcOnLoad" not in parts(path)["xl/workbook.xml"]


def test_values_typed_over_formulas_of_a_real_excel_chain_on_seven_sheets(
    tmp_path: Path,
) -> None:
    # An Excel file whose chain spans 7 sheets and names each sheet only at its first entry.
    original = tmp_path / "original.xlsx"
    original.write_bytes((CORPUS / "45540_classic_Footer.xlsx").read_bytes())  # not read-only
    path = tmp_path / "hires.xlsx"
    shutil.copy(original, path)
    # Each formula's own result typed over it: every figure stays, two formulas become values.
    writes = (
        CellWrite("Hires by Location", 44, 2, 0.001841620626151013, kind="number"),  # =C44/543
        CellWrite("Hires by Function", 22, 3, 55, kind="number"),  # =SUM(C23:C25)
    )

    XlsxBackend(path).apply(WritePlan(writes=writes))

    before, after = parts(original), parts(path)
    old, new = before[CHAIN], after[CHAIN]
    assert new == old.replace(b'<c r="B44" i="11"/><c r="B42"/>', b'<c r="B42" i="11"/>').replace(
        b'<c r="C22" i="7"/><c r="B22"/>', b'<c r="B22" i="7"/>'
    )
    assert len(re.findall(rb"<c ", new)) == len(re.findall(rb"<c ", old)) - 2
    assert list(after) == list(before)
    changed = {name for name, content in after.items() if before[name] != content}
    assert changed == {
        CHAIN,
        "xl/workbook.xml",  # fullCalcOnLoad: a written cell feeds another formula
        "xl/worksheets/sheet2.xml",  # Hires by Function
        "xl/worksheets/sheet6.xml",  # Hires by Location
    }
    owned = {"xl/worksheets/sheet2.xml": {"C22"}, "xl/worksheets/sheet6.xml": {"B44"}}
    assert element_changes(original, path, changed - {CHAIN}, owned) == []
    sheets = recalculated_sheets([original, path], tmp_path / "libreoffice")
    assert sheets[original] is not None and sheets[path] == sheets[original]
