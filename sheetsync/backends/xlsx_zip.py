"""Writing a zip package member by member: untouched members copied as their stored bytes.

Python's zipfile can only write a member by compressing it again, which costs time and
changes the compressed bytes of parts sheetsync never touched. `copy_raw` copies a member's
local header, compressed data and data descriptor exactly as they are in the source file,
and registers it in the target's central directory, so an untouched part keeps its name,
bytes, timestamps and order. zipfile has no public call for this; the few attributes used
here (`fp`, `filelist`, `NameToInfo`, `start_dir`, `_didModify`) are those its own writers use
and have been stable since Python 3.6.
"""

from __future__ import annotations

import copy
import queue
import struct
import threading
import zipfile
from collections.abc import Iterable, Iterator

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_HAS_DESCRIPTOR = 0x08
_EXTRA_HEADER = struct.Struct("<HH")
_ZIP64_EXTRA = 1
_CHUNK = 1 << 20


def copy_raw(source: bytes, info: zipfile.ZipInfo, target: zipfile.ZipFile) -> None:
    """Copy one member of the zip file `source` into `target` without recompressing it."""
    record = _stored_record(source, info)
    copied = copy.copy(info)
    copied.header_offset = target.fp.tell()  # type: ignore[union-attr]
    target.fp.write(record)  # type: ignore[union-attr]
    target.filelist.append(copied)
    target.NameToInfo[copied.filename] = copied
    target.start_dir = target.fp.tell()  # type: ignore[attr-defined, union-attr]
    target._didModify = True  # type: ignore[attr-defined]


def write_streamed(target: zipfile.ZipFile, info: zipfile.ZipInfo, chunks: Iterable[bytes]) -> None:
    """Write a member whose content comes in pieces, compressed as the source member was.

    zlib lets go of Python's lock while it compresses, so a thread compresses each piece
    while the caller makes the next: on two cores the compression costs almost nothing.
    """
    pieces: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
    failed: list[BaseException] = []

    def compress() -> None:
        try:
            with target.open(rewritten_member(info), "w") as out:
                while (piece := pieces.get()) is not None:
                    out.write(piece)
        except BaseException as error:  # handed to the caller's thread below
            failed.append(error)
            while pieces.get() is not None:  # let the caller finish handing over
                pass

    worker = threading.Thread(target=compress, name="sheetsync-compress")
    worker.start()
    try:
        for chunk in chunks:
            pieces.put(chunk)
    finally:
        pieces.put(None)
        worker.join()
    if failed:
        raise failed[0]


def read_chunks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """A member's content in pieces of about a megabyte, never all of it at once."""
    with archive.open(name) as member:
        while chunk := member.read(_CHUNK):
            yield chunk


def new_member(name: str, like: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """The entry for a part sheetsync adds, dated and with the permissions of `like`."""
    info = zipfile.ZipInfo(name, like.date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = like.external_attr
    return info


def rewritten_member(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh entry with the member's name, date and attributes, for content written anew."""
    fresh = zipfile.ZipInfo(info.filename, info.date_time)
    fresh.compress_type = (
        info.compress_type if info.compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
    )
    fresh.external_attr = info.external_attr
    fresh.create_system = info.create_system
    fresh.comment = info.comment
    return fresh


def _stored_record(source: bytes, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes in the file: local header, data, and data descriptor if any.

    The package was read whole before it is written (xlsx_integrity: every entry's header
    and data, at most 2 GiB unpacked), so the record is where the directory says.
    """
    start = info.header_offset
    fields = _LOCAL_HEADER.unpack_from(source, start)
    name_length, extra_length = fields[9], fields[10]
    extra_start = start + _LOCAL_HEADER.size + name_length
    end = extra_start + extra_length + info.compress_size
    if info.flag_bits & _HAS_DESCRIPTOR:  # CRC and sizes, after an optional signature
        sizes = 16 if _has_zip64(source[extra_start : extra_start + extra_length]) else 8
        end += 4 + sizes + (4 if source.startswith(_DESCRIPTOR_SIGNATURE, end) else 0)
    return source[start:end]


def _has_zip64(extra: bytes) -> bool:
    """Whether a local header's extra field holds a Zip64 record (id 1): then its data
    descriptor gives each size in 8 bytes (as streaming writers do with `force_zip64`)."""
    at = 0
    while at + 4 <= len(extra):
        kind, size = _EXTRA_HEADER.unpack_from(extra, at)
        if kind == _ZIP64_EXTRA:
            return True
        at += 4 + size
    return False
