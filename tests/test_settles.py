"""A sync settles: whatever the cells hold, the sync after it writes nothing.

A value that does not survive the round trip through a backend (text the file format cuts,
an amount that becomes inf, a float written rounded) is rewritten on every run; these
properties throw what people can put in a cell at a workbook, on memory and on real .xlsx
files, and ask the second sync for an empty plan.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import TODAY, D, baseline_grids, write_xlsx

import sheetsync
from sheetsync.backends.memory import MemoryBackend
from sheetsync.workbook import CELL_TEXT_LIMIT

# Excel keeps up to 32,767 characters in a cell; the longest texts here go past it.
LONG_TEXT = st.builds(
    lambda piece, times: piece * times,
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=5),
    st.integers(5_000, 40_000),
)

CELL_VALUES = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
    LONG_TEXT,
    st.sampled_from(
        [
            "G1",
            "G9",
            "done",
            "45%",
            "$1,200.50",
            "1.2k",
            "1e308",
            "1.7976931348623157e308",
            "-5",
            "03/01/2026",
            "TikTok",
            "  ",
        ]
    ),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.7e308, -1.7e308, 1e-320, 5e-324, 1e15, 999_999_999_999_999.0]),
    st.integers(-(10**20), 10**20),
    st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 1, 1)),
)

# (tab, row, column, value): rows 2-5 hold the baseline's goals, tactics and event, and one
# row past them; columns cover every input column of each tab.
EDITS = st.lists(
    st.tuples(
        st.sampled_from(["Strategy", "Plan", "Calendar"]),
        st.integers(2, 5),
        st.integers(1, 12),
        CELL_VALUES,
    ),
    max_size=6,
)


def edited(edits) -> dict:
    grids = baseline_grids()
    for tab, row, column, value in edits:
        rows = grids[tab]
        width = len(rows[0])
        if column > width:
            continue
        while len(rows) < row:
            rows.append([None] * width)
        rows[row - 1][column - 1] = value
    return grids


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDITS)
def test_second_sync_writes_nothing_in_memory(edits):
    backend = MemoryBackend.from_grids(edited(edits))
    first = sheetsync.sync(backend, today=TODAY)
    texts = [write.value for write in first.plan.writes if isinstance(write.value, str)]
    assert all(len(text) <= CELL_TEXT_LIMIT for text in texts)
    again = sheetsync.sync(backend, today=TODAY)
    assert again.plan.writes == ()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(edits=EDITS)
def test_second_sync_writes_nothing_in_a_real_xlsx(tmp_path_factory, edits):
    path = tmp_path_factory.mktemp("settle") / "book.xlsx"
    write_xlsx(path, edited(edits))
    sheetsync.sync(str(path), today=TODAY)
    again = sheetsync.sync(str(path), today=TODAY)
    assert again.plan.writes == ()
