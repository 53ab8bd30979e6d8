"""LibreOffice as a second, independent reader of the workbooks sheetsync writes.

Each workbook is opened headless, every formula recalculated (not the results the file
stores), and every sheet saved as CSV. One LibreOffice start converts a whole batch: a
start costs seconds, a small workbook a fraction of one. Pivot tables are read back
from its own OpenDocument save. LibreOffice is the Debian package
libreoffice-calc-nogui, installed on first use when absent (the suite runs as root).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

# Comma, double quote, UTF-8, from row 1, values as stored (not as shown), every sheet (-1).
_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
# Recalculate every formula of an .xlsx file on load ("never" is LibreOffice's default).
_RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
</oor:items>
"""
_CONVERTED = re.compile(r"^convert (.+?) using filter", re.M)
_SHEET = re.compile(r"^Writing sheet (.*) -> (.+)$")
# A pivot table in OpenDocument's content.xml: its name and the cells it fills.
_PIVOT_TABLE = re.compile(
    r'<table:data-pilot-table table:name="([^"]*)"[^>]*?'
    r'table:target-range-address="[^".]*\.\$?([A-Z]+\$?\d+):[^".]*\.\$?([A-Z]+\$?\d+)"'
)
Sheets = dict[str, str]  # sheet name -> its recalculated values as CSV text


def soffice() -> str:
    """LibreOffice's command, installed with apt-get when it is not there yet."""
    found = shutil.which("soffice")
    if found is None:
        for command in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", "libreoffice-calc-nogui"],
        ):
            subprocess.run(command, check=True, capture_output=True, timeout=1200)
        found = shutil.which("soffice")
    assert found, "LibreOffice (soffice) is missing and could not be installed"
    return found


def recalculated_sheets(files: list[Path], folder: Path) -> dict[Path, Sheets | None]:
    """Every file's sheets as LibreOffice recalculates them; None for a file it cannot open.

    LibreOffice stops a batch at a file that crashes it, so the batch goes on after it.
    """
    profile = folder / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALCULATE_ON_LOAD)
    found: dict[Path, Sheets | None] = {}
    pending = list(files)
    while pending:
        converted = _convert(pending, folder / "csv", profile)
        found.update(converted)
        unopened = [file for file in pending if file not in converted]
        if not unopened:
            break
        found[unopened[0]] = None  # the first file it did not convert is one it cannot open
        pending = [f for f in pending[pending.index(unopened[0]) + 1 :] if f not in converted]
    return found


def pivot_tables(files: list[Path], folder: Path) -> dict[Path, list[str]]:
    """The pivot tables LibreOffice finds in each file, as "name at A8:B11" (read back from
    its own OpenDocument save); [] for a file it cannot open."""
    profile = folder / "profile"
    run = subprocess.run(
        [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless"]
        + ["--convert-to", "ods", "--outdir", str(folder / "ods"), *map(str, files)],
        capture_output=True,
        timeout=1200,
    )
    found = {}
    for file in files:
        saved = folder / "ods" / f"{file.stem}.ods"
        content = ""
        if run.returncode == 0 and saved.exists():
            with zipfile.ZipFile(saved) as package:
                content = package.read("content.xml").decode()
        found[file] = [
            f"{name} at {first}:{last}" for name, first, last in _PIVOT_TABLE.findall(content)
        ]
    return found


def _convert(files: list[Path], out: Path, profile: Path) -> dict[Path, Sheets]:
    run = subprocess.run(
        [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless"]
        + ["--convert-to", _CSV, "--outdir", str(out), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    sheets: dict[Path, Sheets] = {}
    current: Sheets = {}
    for line in run.stdout.splitlines():
        if match := _CONVERTED.match(line):
            current = sheets.setdefault(Path(match[1]), {})
        elif match := _SHEET.match(line):
            current[match[1]] = Path(match[2]).read_text(encoding="utf-8")
    return sheets
