"""Damaged and hostile packages: one sentence, exit 3, the file untouched, never a traceback.

Real workbooks from the corpus are cut short, have bytes overwritten (at random, with fixed
seeds, and inside each part in turn), or are built to exhaust memory; check, dry-run and
sync must each answer with one sentence naming the file (and the part, where one is to
blame), and leave the file byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from xlsx_corpus import REFUSED, copy

from sheetsync import api
from sheetsync.backends import WorkbookChanged, WorkbookUnreachable

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
TODAY = dt.date(2026, 11, 30)
# Small, varied real workbooks: comments and macros, charts, a text box, tables, inline
# strings, Strict Open XML. Each costs a real sync when a mutation leaves it readable.
FUZZED = [
    "57181.xlsm",
    "123233_charts.xlsx",
    "WithTextBox.xlsx",
    "Tables.xlsx",
    "InlineString.xlsx",
    "sample.strict.xlsx",
]
MUTATIONS_PER_FILE = 30


def sync_outcome(path: Path) -> str | None:
    """None when sync wrote (or had nothing to write), else its one-sentence refusal."""
    try:
        api.sync(str(path), today=TODAY)
    except (WorkbookUnreachable, WorkbookChanged) as error:
        return str(error)
    return None


def assert_refused_untouched(path: Path, before: bytes, message: str | None) -> None:
    assert message is not None
    assert str(path) in message and "\n" not in message
    assert path.read_bytes() == before


def mutated(data: bytes, rng: random.Random) -> bytes:
    """The file cut short, or with a few bytes overwritten anywhere."""
    if rng.random() < 0.3:
        return data[: rng.randrange(len(data))]
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
    return bytes(damaged)


@pytest.mark.parametrize("name", FUZZED)
def test_cut_or_overwritten_workbooks_are_refused_in_one_sentence_untouched(
    tmp_path: Path, name: str
) -> None:
    original = copy(name, tmp_path).read_bytes()
    rng = random.Random(name)  # the same mutations on every run
    for number in range(MUTATIONS_PER_FILE):
        path = tmp_path / f"{number}-{name}"
        path.write_bytes(mutated(original, rng))
        assert_checked_and_synced_or_refused_untouched(path)


def assert_checked_and_synced_or_refused_untouched(path: Path) -> None:
    """A damaged file: check and sync both work, or both refuse in one sentence, untouched."""
    before = path.read_bytes()
    try:
        api.check(str(path), today=TODAY)
    except WorkbookUnreachable as error:
        # What check refuses, sync refuses with the same sentence, writing nothing.
        assert sync_outcome(path) == str(error)
        assert_refused_untouched(path, before, str(error))
        return
    message = sync_outcome(path)
    if message is not None:
        assert_refused_untouched(path, before, message)


def with_part(path: Path, member: str, edit: Callable[[bytes], bytes]) -> None:
    """Rewrite one part's XML, packed again with a right checksum (damage a zip cannot see)."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in parts:
            archive.writestr(info, edit(content) if info.filename == member else content)


def xml_mutated(content: bytes, rng: random.Random) -> bytes:
    """The XML cut short, or with a few markup characters put in at random."""
    if rng.random() < 0.3:
        return content[: rng.randrange(len(content))]
    damaged = bytearray(content)
    for _ in range(rng.randint(1, 4)):
        damaged[rng.randrange(len(damaged))] = rng.choice(b'<>"/=&;x0 ')
    return bytes(damaged)


@pytest.mark.parametrize(
    "name", ["SimpleWithComments.xlsx", "WithTextBox.xlsx", "InlineString.xlsx"]
)
def test_workbooks_with_broken_xml_are_refused_in_one_sentence_untouched(
    tmp_path: Path, name: str
) -> None:
    with zipfile.ZipFile(copy(name, tmp_path)) as archive:
        members = [info.filename for info in archive.infolist() if info.file_size]
    rng = random.Random(name)
    for number in range(MUTATIONS_PER_FILE // 2):
        path = copy(name, tmp_path)
        path = path.rename(path.with_name(f"{number}-{name}"))
        with_part(path, rng.choice(members), lambda content: xml_mutated(content, rng))
        assert_checked_and_synced_or_refused_untouched(path)


def test_xml_with_a_prefix_it_never_declares_is_damaged(tmp_path: Path) -> None:
    path = copy("SimpleNormal.xlsx", tmp_path)
    with_part(path, "xl/workbook.xml", lambda xml: xml.replace(b"<sheets>", b"<sheets><q:x/>"))
    with pytest.raises(WorkbookUnreachable, match="its part xl/workbook.xml cannot be read"):
        api.check(str(path), today=TODAY)


def test_an_xml_bomb_in_a_sheet_is_refused_though_sheets_are_read_once(tmp_path: Path) -> None:
    # A sheet's XML is unpacked once, checked and scanned in one go: the check still comes first.
    path = copy("SimpleNormal.xlsx", tmp_path)
    bomb = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    with_part(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"?>", b"?>" + bomb, 1))
    before = path.read_bytes()
    with pytest.raises(WorkbookUnreachable) as error:
        api.check(str(path), today=TODAY)
    assert "declares its own XML entities in xl/worksheets/sheet1.xml" in str(error.value)
    assert sync_outcome(path) == str(error.value)
    assert path.read_bytes() == before


def member_damaged(path: Path, member: str) -> None:
    """Overwrite 16 bytes in the middle of one part's compressed data, as a bad disk does."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 :][:4])
    start = info.header_offset + 30 + name_length + extra_length + info.compress_size // 2
    data[start : start + 16] = b"\x55" * 16
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("name", "member"),
    [
        ("57181.xlsm", "[Content_Types].xml"),
        ("57181.xlsm", "xl/workbook.xml"),
        ("57181.xlsm", "xl/styles.xml"),
        ("57181.xlsm", "xl/worksheets/sheet2.xml"),
        ("57181.xlsm", "xl/vbaProject.bin"),
        ("123233_charts.xlsx", "xl/sharedStrings.xml"),
        ("123233_charts.xlsx", "xl/charts/chart1.xml"),
        ("123233_charts.xlsx", "xl/drawings/drawing1.xml"),
        ("WithTextBox.xlsx", "docProps/app.xml"),
    ],
)
def test_a_damaged_part_is_named(tmp_path: Path, name: str, member: str) -> None:
    path = copy(name, tmp_path)
    member_damaged(path, member)
    before = path.read_bytes()
    with pytest.raises(WorkbookUnreachable) as error:
        api.check(str(path), today=TODAY)
    assert f"is damaged: its part {member} cannot be read" in str(error.value)
    assert sync_outcome(path) == str(error.value)
    assert path.read_bytes() == before


def test_a_damaged_folder_entry_is_named_by_check_and_sync_alike(tmp_path: Path) -> None:
    # Info-ZIP lists folders as entries of their own (xl/, docProps/...); sync copies them.
    path = copy("MalformedSSTCount.xlsx", tmp_path)
    with zipfile.ZipFile(path) as archive:
        header = archive.getinfo("xl/").header_offset
    data = bytearray(path.read_bytes())
    data[header : header + 4] = b"PK\x00\x00"  # its local header's signature overwritten
    path.write_bytes(bytes(data))
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        api.check(str(path), today=TODAY)
    assert "is damaged: its part xl/ cannot be read" in str(error.value)
    assert sync_outcome(path) == str(error.value)
    assert path.read_bytes() == before


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SHEETSYNC, *args], capture_output=True, text=True, timeout=120)


def test_damaged_comments_part_stops_check_dry_run_and_sync_in_one_sentence(
    tmp_path: Path,
) -> None:
    path = copy("57181.xlsm", tmp_path)
    member_damaged(path, "xl/comments2.xml")
    before = path.read_bytes()
    for command in (["check"], ["sync", "--dry-run"], ["sync"]):
        result = run(*command, "--workbook", str(path), "--today", TODAY.isoformat())
        assert result.returncode == 3, result.stderr
        assert result.stdout == ""
        assert result.stderr == (
            f"Error: {path} is damaged: its part xl/comments2.xml cannot be read; open it in "
            "Excel or LibreOffice, which can often repair it, save it as an Excel "
            "Macro-Enabled Workbook (.xlsm), and run sheetsync again.\n"
        )
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_corpus_files_that_are_not_workbooks_are_refused_untouched(
    tmp_path: Path, name: str
) -> None:
    path = copy(name, tmp_path)
    before = path.read_bytes()
    with pytest.raises(WorkbookUnreachable) as error:
        api.check(str(path), today=TODAY)
    assert REFUSED[name] in str(error.value)
    assert sync_outcome(path) == str(error.value)
    assert_refused_untouched(path, before, str(error.value))


def test_zip_bomb_is_refused_before_anything_unpacks_it(tmp_path: Path) -> None:
    path = copy("SimpleNormal.xlsx", tmp_path)
    data = bytearray(path.read_bytes())
    # The central directory's record of the sheet now says it unpacks to 3 GB.
    record = data.index(b"PK\x01\x02")
    while not data[record + 46 :].startswith(b"xl/worksheets/sheet1.xml"):
        record = data.index(b"PK\x01\x02", record + 4)
    data[record + 24 : record + 28] = struct.pack("<I", 3 << 30)
    path.write_bytes(bytes(data))

    with pytest.raises(WorkbookUnreachable) as error:
        api.check(str(path), today=TODAY)
    assert "says it unpacks to 3 GB, far more than any workbook" in str(error.value)
    assert sync_outcome(path) == str(error.value)


def test_opendocument_spreadsheet_is_named_with_how_to_save_it_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "marketing.xlsx"
    with zipfile.ZipFile(path, "w") as archive:  # as LibreOffice lays out an .ods file
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>", zipfile.ZIP_DEFLATED)
    with pytest.raises(WorkbookUnreachable) as error:
        api.check(str(path), today=TODAY)
    assert str(error.value) == (
        f"{path} is an OpenDocument spreadsheet (.ods, as LibreOffice saves by default), not "
        'an Excel workbook; open it in LibreOffice, choose File > Save As, pick "Excel '
        '2007-365 (.xlsx)", and point sheetsync at the new file.'
    )


def test_workbook_with_alternate_content_styles_is_synced(tmp_path: Path) -> None:
    path = copy("style-alternate-content.xlsx", tmp_path)
    result = run("sync", "--workbook", str(path), "--today", TODAY.isoformat())
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("Wrote "), result.stderr
