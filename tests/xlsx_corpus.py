"""The real-world workbooks of ../shared/xlsx-corpus (Apache POI's test data), for tests.

The folder is read-only to tests: `copy` puts a file where a test may write it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def _corpus_folder() -> Path:
    """XLSX_CORPUS when set, else shared/xlsx-corpus in the nearest folder above that has one:
    beside the checkout, and beside mutmut's copy of it (mutants/, one folder deeper). Not a
    SHEETSYNC_ variable: sheetsync refuses the ones it does not know."""
    if os.environ.get("XLSX_CORPUS"):
        return Path(os.environ["XLSX_CORPUS"])
    above = Path(__file__).resolve().parents
    found = (folder / "shared" / "xlsx-corpus" for folder in above)
    return next(
        (folder for folder in found if folder.is_dir()), above[2] / "shared" / "xlsx-corpus"
    )


CORPUS = _corpus_folder()

# Files that are not workbooks sheetsync can read, and a word of the one sentence each gets.
REFUSED = {
    **{
        name: "is damaged"
        for name in [
            "60825.xlsx",  # a relationship to a part that is not there
            "sample-beta.xlsx",  # Excel 2007 beta's format
            "xlsx-corrupted.xlsx",
            "clusterfuzz-testcase-minimized-POIFuzzer-5040805309710336.xlsx",
            "clusterfuzz-testcase-minimized-POIXSSFFuzzer-4828727001088000.xlsx",
            "clusterfuzz-testcase-minimized-POIXSSFFuzzer-5185049589579776.xlsx",
            "clusterfuzz-testcase-minimized-POIXSSFFuzzer-5265527465181184.xlsx",
            "clusterfuzz-testcase-minimized-POIXSSFFuzzer-5937385319563264.xlsx",
            "clusterfuzz-testcase-minimized-POIXSSFFuzzer-6419366255919104.xlsx",
            "clusterfuzz-testcase-minimized-POIXSSFFuzzer-6448258963341312.xlsx",
            "clusterfuzz-testcase-minimized-XLSX2CSVFuzzer-5025401116950528.xlsx",
            "clusterfuzz-testcase-minimized-XLSX2CSVFuzzer-5636439151607808.xlsx",
            "clusterfuzz-testcase-minimized-XLSX2CSVFuzzer-6504225896792064.xlsx",
            "clusterfuzz-testcase-minimized-XLSX2CSVFuzzer-6594557414080512.xlsx",
            "crash-274d6342e4842d61be0fb48eaadad6208ae767ae.xlsx",
        ]
    },
    **{name: "XML bomb" for name in ["54764.xlsx", "poc-xmlbomb.xlsx", "poc-xmlbomb-empty.xlsx"]},
    **{
        name: "password-protected"
        for name in [
            "58616.xlsx",
            "protected_passtika.xlsx",
            "crash-9bf3cd4bd6f50a8a9339d363c2c7af14b536865c.xlsx",
        ]
    },
    "49609.xlsx": "without the parts of an Excel workbook",  # part names with backslashes
    **{name: "Excel 4.0 macro sheet" for name in ["64420.xlsm", "xlmmacro.xlsm"]},
}


def workbooks() -> list[Path]:
    """Every .xlsx and .xlsm file of the corpus, by name."""
    found = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm"))
    assert len(found) >= 250, f"the corpus at {CORPUS} is missing (set XLSX_CORPUS)"
    return found


def copy(name: str, folder: Path) -> Path:
    """A writable copy of a corpus file in `folder`."""
    target = folder / name
    shutil.copyfile(CORPUS / name, target)
    return target
