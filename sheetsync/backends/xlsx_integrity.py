"""Is this package a whole, honest workbook? One sentence naming the part when it is not.

A file can fail in many places: a damaged zip, a part whose compressed bytes are
overwritten, XML cut short, a "zip bomb" that unpacks to gigabytes, an "XML bomb" whose
entities expand to gigabytes, or another kind of document altogether. Each library that
reads the file (zipfile, zlib, expat, calamine, openpyxl) raises its own error from deep
inside; these checks run first, so the user reads what is wrong and what to do instead of a
traceback, and `check`, `sync --dry-run` and `sync` all agree on the same file.
"""

from __future__ import annotations

import io
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sheetsync.backends import WorkbookUnreachable

# The largest real workbooks sheetsync serves unpack to a few hundred MB (100k tactics are
# 62 MB of XML); a package declaring more is a zip bomb, or nothing sheetsync could hold.
MAX_UNPACKED_BYTES = 2 << 30
# Parts up to this size are parsed once to prove they are whole XML; the sheets and shared
# strings above it are parsed in full by calamine anyway, which says when they are not.
_PARSED_PART_BYTES = 4 << 20
_CHUNK = 1 << 20
_PROLOG_BYTES = 1 << 16  # a document type declaration comes before the first element
_XML_SUFFIXES = (".xml", ".rels")
# Everything zipfile and zlib raise on a damaged archive (a flipped byte in a header can
# claim a newer zip version, an unknown compression or encryption, or an impossible offset).
_ZIP_FAILURES = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
)
_OPEN_DOCUMENT = b"application/vnd.oasis.opendocument"
Scan = TypeVar("Scan")


def check_archive(path: Path, data: bytes) -> None:
    """The file is a zip archive, not an OpenDocument one, of a size sheetsync can unpack."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            is_open_document = archive.namelist()[:1] == ["mimetype"] and archive.read(
                "mimetype"
            ).startswith(_OPEN_DOCUMENT)
    except _ZIP_FAILURES:
        raise damaged(path, "its zip structure cannot be read") from None
    if is_open_document:
        raise WorkbookUnreachable(
            f"{path} is an OpenDocument spreadsheet (.ods, as LibreOffice saves by default), "
            "not an Excel workbook; open it in LibreOffice, choose File > Save As, pick "
            '"Excel 2007-365 (.xlsx)", and point sheetsync at the new file.'
        )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise WorkbookUnreachable(
            f"{path} says it unpacks to {unpacked / 2**30:,.0f} GB, far more than any "
            "workbook (a file built to exhaust memory, or badly damaged), so sheetsync does "
            f"not open it; if you trust it, {_repair(path)}."
        )


def check_parts(
    path: Path,
    archive: zipfile.ZipFile,
    scan: Callable[[bytes], Scan] | None = None,
    scanned: Callable[[str], bool] = lambda part: False,
) -> dict[str, Scan]:
    """Every part unpacks to the bytes its checksum promises, and small XML parts parse.

    The parts `scanned` names are read whole and handed to `scan` as they are checked, one at
    a time, and its results returned by part: a caller that reads sheets' XML does it here
    rather than unpack them a second time (17 ms of CPU for a 10k-tactic Plan). A folder
    entry is opened too: the writer copies it as it is stored, header and all.
    """
    results: dict[str, Scan] = {}
    for info in archive.infolist():
        if scan is None or not scanned(info.filename):
            with _named_when_damaged(path, info.filename):
                _check_part(path, archive, info)
            continue
        with _named_when_damaged(path, info.filename):
            data = _check_part(path, archive, info, keep=True)
        results[info.filename] = scan(data)  # the scan's own failures are not the file's
    return results


def damaged(path: Path, what: str) -> WorkbookUnreachable:
    """The sentence for a package sheetsync cannot read: what is wrong, and how to repair it."""
    return WorkbookUnreachable(f"{path} is damaged: {what}; {_repair(path)}.")


def _repair(path: Path) -> str:
    kind = (
        "Excel Macro-Enabled Workbook (.xlsm)"
        if path.suffix.lower() == ".xlsm"
        else "Excel Workbook (.xlsx)"
    )
    return (
        f"open it in Excel or LibreOffice, which can often repair it, save it as an {kind}, "
        "and run sheetsync again"
    )


@contextmanager
def _named_when_damaged(path: Path, part: str) -> Iterator[None]:
    try:
        yield
    except (*_ZIP_FAILURES, xml.parsers.expat.ExpatError):
        raise damaged(path, f"its part {part} cannot be read") from None


def _check_part(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, keep: bool = False
) -> bytes:
    """Read the part through, checked; its bytes when `keep`, else b"" (a part not kept is
    never held whole)."""
    is_xml = info.filename.lower().endswith(_XML_SUFFIXES)
    parser = _strict_parser() if is_xml and info.file_size <= _PARSED_PART_BYTES else None
    prolog = b""
    kept: list[bytes] = []
    # Read in chunks, in bounded memory (a part to keep in one: it is held whole anyway);
    # zipfile checks the part's checksum at its end.
    with archive.open(info) as part:
        while chunk := part.read(-1 if keep else _CHUNK):
            if keep:
                kept.append(chunk)
            if len(prolog) < _PROLOG_BYTES:
                prolog += chunk[:_PROLOG_BYTES]
                if is_xml and b"<!DOCTYPE" in prolog:
                    raise _xml_bomb(path, info.filename)
            if parser is not None:
                parser.Parse(chunk, False)
    if parser is not None:
        parser.Parse(b"", True)
    return b"".join(kept)


def _strict_parser() -> xml.parsers.expat.XMLParserType:
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")  # prefixes declared
    # External entities are never fetched: a part must not reach outside the file.
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _xml_bomb(path: Path, part: str) -> WorkbookUnreachable:
    return WorkbookUnreachable(
        f"{path} declares its own XML entities in {part}, which Excel never writes and which "
        'can make a program run out of memory (an "XML bomb"), so sheetsync does not open '
        f"it; if you trust the file, {_repair(path)}."
    )
