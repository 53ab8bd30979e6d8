"""A workbook held in memory: the backend of unit and property tests, and of scripts."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sheetsync.backends import WorkbookChanged
from sheetsync.workbook import CellKey, CellValue, Tab, Workbook, WritePlan


class MemoryBackend:
    """Holds one Workbook value; apply() replaces it with the written one."""

    def __init__(self, workbook: Workbook, location: str = "memory") -> None:
        self.workbook = workbook
        self.location = location
        self.applied: list[WritePlan] = []

    @classmethod
    def from_grids(
        cls,
        tabs: Mapping[str, Sequence[Sequence[CellValue]]],
        title: str = "Workbook",
        locale: str | None = None,
        timezone: str | None = None,
    ) -> MemoryBackend:
        """A backend over plain lists of rows, header first."""
        grids = tuple(Tab(name, tuple(tuple(row) for row in rows)) for name, rows in tabs.items())
        return cls(Workbook(title, grids, locale, timezone))

    def read(self) -> Workbook:
        return self.workbook

    def formulas(self, cells: Collection[CellKey]) -> dict[CellKey, str]:
        return self.workbook.formulas_in(cells)

    def apply(self, plan: WritePlan) -> None:
        for guard in plan.guards:
            tab = self.workbook.find_tab(guard.tab)
            now = tab.value(guard.row, guard.column) if tab else None
            if not guard.holds(now):
                raise WorkbookChanged(
                    f"{guard.tab}!{guard.cell} changed while sheetsync was working, so nothing "
                    "was written; run sync again."
                )
        grids = {tab.name: [list(row) for row in tab.rows] for tab in self.workbook.tabs}
        for name in plan.new_tabs:
            grids.setdefault(name, [])
        for write in plan.writes:
            rows = grids[write.tab]
            while len(rows) < write.row:
                rows.append([])
            cells = rows[write.row - 1]
            while len(cells) < write.column:
                cells.append(None)
            cells[write.column - 1] = write.value
        tabs = tuple(Tab(name, tuple(tuple(row) for row in rows)) for name, rows in grids.items())
        self.workbook = Workbook(
            self.workbook.title, tabs, self.workbook.locale, self.workbook.timezone
        )
        self.applied.append(plan)
