"""Every real workbook of the corpus survives a sync: sheetsync writes only what it owns.

The corpus (../shared/xlsx-corpus, Apache POI's test data) holds charts, pivot tables,
tables, shapes, pictures, macros, XML maps, threaded comments, Strict Open XML and more.
None has a Strategy or Plan tab, so `sync` adds a Checks tab to each and must leave the
rest as it was: every part it did not need to change byte for byte, every element of the
parts it changed equal after canonicalisation (tests/package_parts.py), a second sync
changing nothing, and LibreOffice opening the result and recalculating every formula to
the values it gives the original. Files that are not workbooks are refused in one sentence
(tests/test_xlsx_damaged.py); the Strict Open XML ones here are refused by the writer.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from libreoffice import Sheets, recalculated_sheets
from package_parts import assert_untouched_parts_kept, element_changes
from xlsx_corpus import REFUSED, copy, workbooks

from sheetsync import api
from sheetsync.backends import WorkbookChanged, WorkbookUnreachable

TODAY = dt.date(2026, 11, 30)
# Workbooks sheetsync reads but will not write, and a word of the sentence that says why.
WRITE_REFUSED = {
    "SampleSS.strict.xlsx": "Strict Open XML",
    "SimpleStrict.xlsx": "Strict Open XML",
    "sample.strict.xlsx": "Strict Open XML",
}
NAMES = [path.name for path in workbooks() if path.name not in REFUSED]
# Known losses, each failing today; strict, so the test says so the day the writer is fixed.
KNOWN_LOSSES: dict[str, str] = {}


@dataclass
class Synced:
    """One corpus workbook, synced once and then again."""

    original: Path
    synced: Path  # after the first sync (and the second, which must change nothing)
    before: bytes
    after: bytes
    refusal: str | None  # the sentence of a refused first sync
    second: str  # what the second sync did: "nothing to write", "wrote", or its refusal
    after_second: bytes
    original_sheets: Sheets | None = None  # as LibreOffice recalculates them
    synced_sheets: Sheets | None = None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synced]:
    """Every corpus workbook synced twice, and both versions recalculated by LibreOffice.

    The syncs run in two processes, and LibreOffice reads the originals beside them: the
    whole costs about what the syncs alone would on one core.
    """
    folder = tmp_path_factory.mktemp("corpus")
    for kind in ("original", "synced"):
        (folder / kind).mkdir()
    originals = [copy(name, folder / "original") for name in NAMES]
    # Spawned, not forked: a fork would copy the locks LibreOffice's thread and calamine hold.
    processes = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    with (
        pytest.MonkeyPatch.context() as environment,
        ThreadPoolExecutor(max_workers=1) as thread,
        processes,
    ):
        # The state store of these syncs, set up before any test's own (conftest) is.
        environment.setenv("XDG_DATA_HOME", str(folder / "user-data"))
        reading = thread.submit(recalculated_sheets, originals, folder / "libreoffice-original")
        runs = dict(zip(NAMES, processes.map(_synced_twice, originals), strict=True))
        written = [name for name, run in runs.items() if run.refusal is None]
        synced = recalculated_sheets(
            [folder / "synced" / name for name in written], folder / "libreoffice-synced"
        )
        original_sheets = reading.result()
    for name in written:
        runs[name].original_sheets = original_sheets[folder / "original" / name]
        runs[name].synced_sheets = synced[folder / "synced" / name]
    return runs


def _synced_twice(original: Path) -> Synced:
    path = original.parent.parent / "synced" / original.name
    shutil.copyfile(original, path)
    before = path.read_bytes()
    first = _sync(path)
    after = path.read_bytes()
    if first != "wrote":
        return Synced(original, path, before, after, first, "", after)
    return Synced(original, path, before, after, None, _sync(path), path.read_bytes())


def _sync(path: Path) -> str:
    try:
        return "wrote" if api.sync(str(path), today=TODAY).written else "nothing to write"
    except (WorkbookUnreachable, WorkbookChanged) as error:
        return str(error)
    except Exception as error:  # a traceback: that file's tests fail, the others still run
        return f"crashed with {type(error).__name__}: {error}"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LOSSES[name]))
        if name in KNOWN_LOSSES
        else name
        for name in NAMES
    ],
)
def test_sync_changes_nothing_it_does_not_own(corpus: dict[str, Synced], name: str) -> None:
    run = corpus[name]
    if name in WRITE_REFUSED:
        assert run.refusal is not None and WRITE_REFUSED[name] in run.refusal
        assert "\n" not in run.refusal and run.after == run.before
        return
    assert run.refusal is None, run.refusal
    assert run.second == "nothing to write" and run.after_second == run.after
    changed = assert_untouched_parts_kept(run.original, run.synced)
    assert element_changes(run.original, run.synced, changed) == []


@pytest.mark.parametrize("name", [name for name in NAMES if name not in WRITE_REFUSED])
def test_libreoffice_recalculates_the_synced_workbook_as_the_original(
    corpus: dict[str, Synced], name: str
) -> None:
    run = corpus[name]
    assert run.refusal is None, run.refusal
    assert run.original_sheets is not None, "LibreOffice cannot open the original"
    assert run.synced_sheets is not None, "LibreOffice cannot open the synced workbook"
    kept = {sheet: run.synced_sheets.get(sheet) for sheet in run.original_sheets}
    assert kept == run.original_sheets
    assert "Checks" in run.synced_sheets
