"""`sheetsync init`: the new workbook a user opens, checked cell by cell with openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync import api
from sheetsync import template as template_module
from sheetsync.backends.memory import MemoryBackend
from sheetsync.backends.xlsx_create import create_workbook
from sheetsync.errors import UsageError
from sheetsync.schema import CALENDAR, CHECKS_HEADERS, HISTORY_HEADERS, PLAN, STRATEGY
from sheetsync.template import TemplateError, load_template, templates_dir

TODAY = dt.date(2026, 3, 15)
OWNED_NOTE = "Filled in by sheetsync"
GREY = "FFD9D9D9"

EXPECTED_HEADERS = {
    "Strategy": [column.header for column in STRATEGY.columns],
    "Plan": [column.header for column in PLAN.columns],
    "Calendar": [column.header for column in CALENDAR.columns],
    "Checks": list(CHECKS_HEADERS),
    "History": list(HISTORY_HEADERS),
}
OWNED_HEADERS = {
    "Strategy": {column.header for column in STRATEGY.owned},
    "Plan": {column.header for column in PLAN.owned},
    "Calendar": {column.header for column in CALENDAR.owned},
    "Checks": set(CHECKS_HEADERS),
    "History": set(HISTORY_HEADERS),
}
STATUS_COLUMNS = {"Strategy": "W", "Plan": "M", "Calendar": "E", "History": "H"}


def make(tmp_path: Path, example: bool = False, today: dt.date = TODAY) -> openpyxl.Workbook:
    path = tmp_path / ("example.xlsx" if example else "blank.xlsx")
    create_workbook(path, load_template(example=example, today=today))
    return openpyxl.load_workbook(path)


def headers(sheet: Worksheet) -> list[object]:
    return [cell.value for cell in sheet[1]]


def column_of(sheet: Worksheet, header: str) -> str:
    return sheet.cell(row=1, column=headers(sheet).index(header) + 1).column_letter


def records(sheet: Worksheet) -> list[dict[str, object]]:
    names = headers(sheet)
    rows = sheet.iter_rows(min_row=2, values_only=True)
    return [dict(zip(names, row, strict=True)) for row in rows if any(v is not None for v in row)]


def covers(sqref: object, cell: str) -> bool:
    return cell in sqref  # type: ignore[operator]  # MultiCellRange supports `in`


def test_template_headers_agree_with_schema() -> None:
    template = load_template(example=False, today=TODAY)

    assert {tab.name: list(tab.headers) for tab in template.tabs} == EXPECTED_HEADERS
    for tab in template.tabs:
        owned = {column.header for column in tab.columns if column.owned}
        assert owned == OWNED_HEADERS[tab.name]


def edited_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    """Make load_template read a copy of the templates with one edit to workbook.toml."""
    for name in ("workbook.toml", "example.toml"):
        text = (templates_dir() / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setattr(template_module, "templates_dir", lambda: tmp_path)


def test_template_that_drifts_from_schema_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited_template(tmp_path, monkeypatch, 'header = "Due"', 'header = "Deadline"')

    with pytest.raises(TemplateError, match="schema.py says"):
        load_template(example=False, today=TODAY)


def test_template_with_a_validation_on_an_owned_column_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = 'validation = { kind = "list", values = ["Done"], message = "?" }'
    edited_template(tmp_path, monkeypatch, 'colors = "status"', f'colors = "status"\n{rule}')

    with pytest.raises(TemplateError, match="owned column 'Status' must not have a validation"):
        load_template(example=False, today=TODAY)


def test_new_workbook_has_every_tab_with_schema_headers_and_no_data(tmp_path: Path) -> None:
    book = make(tmp_path)

    assert book.sheetnames == ["Strategy", "Plan", "Calendar", "Checks", "History"]
    for name, expected in EXPECTED_HEADERS.items():
        assert headers(book[name]) == expected
        assert book[name].max_row == 1
        assert book[name].freeze_panes == "A2"


def test_every_header_has_a_help_note_and_owned_ones_are_grey_and_say_so(
    tmp_path: Path,
) -> None:
    book = make(tmp_path)

    for name, owned in OWNED_HEADERS.items():
        for cell in book[name][1]:
            assert cell.comment is not None and cell.comment.text.strip(), (name, cell.value)
            assert cell.font.bold
            if cell.value in owned:
                assert cell.fill.fgColor.rgb == GREY, (name, cell.value)
                assert cell.comment.text.startswith(OWNED_NOTE), (name, cell.value)
            else:
                assert cell.fill.fgColor.rgb != GREY, (name, cell.value)
                assert OWNED_NOTE not in cell.comment.text, (name, cell.value)
    assert "edits here are overwritten" in book["Plan"]["M1"].comment.text


def test_columns_have_widths_and_number_formats(tmp_path: Path) -> None:
    plan = make(tmp_path)["Plan"]

    formats = {
        header: plan.column_dimensions[column_of(plan, header)].number_format
        for header in ("Start", "Due", "Budget", "Spend", "Progress", "ROI", "Activity")
    }
    assert formats == {
        "Start": "yyyy-mm-dd",
        "Due": "yyyy-mm-dd",
        "Budget": "#,##0.00",
        "Spend": "#,##0.00",
        "Progress": "0%",
        "ROI": "0%",
        "Activity": "General",
    }
    assert plan.column_dimensions[column_of(plan, "Activity")].width == 40


def validation_at(sheet: Worksheet, header: str, row: int = 2) -> DataValidation:
    cell = f"{column_of(sheet, header)}{row}"
    [validation] = [v for v in sheet.data_validations.dataValidation if covers(v.sqref, cell)]
    return validation


def test_plan_goal_id_and_channel_dropdowns_and_progress_rule(
    tmp_path: Path,
) -> None:
    plan = make(tmp_path)["Plan"]

    goal = validation_at(plan, "Goal ID", row=5000)
    assert goal.type == "list"
    assert goal.formula1 == "'Strategy'!$A$2:$A$201"  # Strategy's Goal ID column, below the header
    channel = validation_at(plan, "Channel")
    assert channel.type == "list" and channel.formula1.startswith('"Email,')
    assert len(channel.formula1) <= 255  # Excel's limit for a typed-in list
    progress = validation_at(plan, "Progress")
    assert progress.type == "custom"
    assert 'LOWER(TRIM(L2))="done"' in progress.formula1
    assert "L2>=0" in progress.formula1 and "L2<=100" in progress.formula1


def test_validations_only_warn_and_never_touch_owned_columns(tmp_path: Path) -> None:
    book = make(tmp_path)

    for name, owned in OWNED_HEADERS.items():
        sheet = book[name]
        owned_cells = [f"{column_of(sheet, header)}2" for header in owned]
        for validation in sheet.data_validations.dataValidation:
            assert validation.errorStyle == "warning"
            assert validation.allow_blank
            assert not any(covers(validation.sqref, cell) for cell in owned_cells), name
    assert len(book["Plan"].data_validations.dataValidation) == 3


def test_status_columns_are_coloured_by_value(tmp_path: Path) -> None:
    book = make(tmp_path)

    for name, letter in STATUS_COLUMNS.items():
        sheet = book[name]
        colours = {
            rule.formula[0].strip('"'): rule.dxf.fill.fgColor.rgb
            for formatting in sheet.conditional_formatting
            if covers(formatting.sqref, f"{letter}2") and covers(formatting.sqref, f"{letter}900")
            for rule in formatting.rules
        }
        assert colours["Done"] == colours["On track"] == colours["Prepared"] == "FFC6EFCE"
        assert colours["At risk"] == colours["Behind"] == colours["Unprepared"] == "FFFFEB9C"
        assert colours["Overdue"] == colours["Missed"] == colours["Needs fix"] == "FFFFC7CE"
        assert colours["Not started"] == colours["No plan"] == colours["Past"] == "FFEDEDED"
    checks = book["Checks"]
    severities = {
        rule.formula[0].strip('"'): rule.dxf.fill.fgColor.rgb
        for formatting in checks.conditional_formatting
        for rule in formatting.rules
    }
    assert severities == {"error": "FFFFC7CE", "warning": "FFFFEB9C"}


def test_example_is_a_small_business_with_real_dates_around_today(tmp_path: Path) -> None:
    book = make(tmp_path, example=True)
    goals, tactics, events = (records(book[name]) for name in ("Strategy", "Plan", "Calendar"))

    assert len(goals) == 5
    assert 20 <= len(tactics) <= 30
    assert len(events) >= 3
    today = dt.datetime.combine(TODAY, dt.time())
    dues = [tactic["Due"] for tactic in tactics]
    assert all(isinstance(due, dt.datetime) for due in dues)
    assert min(dues) < today < max(dues)  # type: ignore[type-var]
    assert all(isinstance(event["Date"], dt.datetime) for event in events)
    assert all(isinstance(goal["Budget"], int | float) for goal in goals)
    plan = book["Plan"]
    assert plan["F2"].number_format == "yyyy-mm-dd" and plan["H2"].number_format == "#,##0.00"
    assert all(tactic[column] is None for tactic in tactics for column in ("Status", "ROI"))


def test_example_dates_move_with_today(tmp_path: Path) -> None:
    early = make(tmp_path / "early", example=True, today=TODAY)
    late = make(tmp_path / "late", example=True, today=TODAY + dt.timedelta(days=100))

    for name, column in (("Plan", "Start"), ("Plan", "Due"), ("Calendar", "Date")):
        for before, after in zip(records(early[name]), records(late[name]), strict=True):
            assert after[column] - before[column] == dt.timedelta(days=100)  # type: ignore[operator]


def test_example_plan_mixes_done_running_overdue_and_future_tactics(tmp_path: Path) -> None:
    tactics = records(make(tmp_path, example=True)["Plan"])
    today = dt.datetime.combine(TODAY, dt.time())

    def finished(tactic: dict[str, object]) -> bool:
        return tactic["Progress"] == 1 or tactic["Progress"] == "done"

    assert any(finished(tactic) for tactic in tactics)
    assert any(tactic["Start"] > today for tactic in tactics)  # type: ignore[operator]
    overdue = [t for t in tactics if t["Due"] < today and not finished(t)]  # type: ignore[operator]
    assert [tactic["Tactic ID"] for tactic in overdue] == ["T11"]


def test_example_goal_ids_exist_except_the_one_deliberate_unknown(tmp_path: Path) -> None:
    book = make(tmp_path, example=True)
    goal_ids = {goal["Goal ID"] for goal in records(book["Strategy"])}

    unknown = [t["Goal ID"] for t in records(book["Plan"]) if t["Goal ID"] not in goal_ids]
    assert unknown == ["G6"]
    served = {tactic["Goal ID"] for tactic in records(book["Plan"])}
    assert goal_ids - served == {"G5"}  # the deliberate goal without tactics


def check_as_json(book: openpyxl.Workbook, today: dt.date) -> dict[str, Any]:
    """The engine's report on the workbook's cells as openpyxl reads them back."""
    grids = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}
    return api.check(MemoryBackend.from_grids(grids), today=today).as_dict()


def test_blank_workbook_checks_clean(tmp_path: Path) -> None:
    report = check_as_json(make(tmp_path), TODAY)

    assert report["findings"] == []


@pytest.mark.parametrize("today", [TODAY, dt.date(2027, 12, 31)])
def test_example_shows_each_deliberate_finding_once(tmp_path: Path, today: dt.date) -> None:
    report = check_as_json(make(tmp_path, example=True, today=today), today)

    found = {(f["code"], f["severity"], f["row_id"]) for f in report["findings"]}
    assert found == {
        ("SS301", "error", "T25"),  # goal G6 does not exist
        ("SS302", "warning", "G5"),  # goal without tactics
        ("SS303", "warning", "T23"),  # due after its goal ends
        ("SS304", "warning", "T5"),  # Flyers is not one of G1's channels
        ("SS306", "warning", "T7"),  # overspent
        ("SS307", "warning", "T11"),  # overdue
        ("SS309", "warning", "Riverside Food Festival"),  # nothing due before it
        ("SS311", "warning", "G3"),  # strategy reviewed over a year ago
    }
    assert len(report["findings"]) == len(found)
    tactic_statuses = {tactic["status"] for tactic in report["tactics"]}
    assert tactic_statuses == {"Done", "On track", "At risk", "Overdue", "Not started", "Needs fix"}
    assert {goal["status"] for goal in report["goals"]} == {"On track", "Behind", "No plan"}


def test_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "marketing.xlsx"
    path.write_bytes(b"the user's own workbook")

    with pytest.raises(UsageError, match="already exists; choose another name or delete it"):
        create_workbook(path, load_template(example=True, today=TODAY))

    assert path.read_bytes() == b"the user's own workbook"
    assert sorted(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_creates_missing_folders_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "clients" / "bean-and-crumb.xlsx"

    create_workbook(path, load_template(example=False, today=TODAY))

    assert list(path.parent.iterdir()) == [path]
    assert openpyxl.load_workbook(path).sheetnames[0] == "Strategy"


def test_refuses_a_name_that_is_not_xlsx(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"must end in \.xlsx"):
        create_workbook(tmp_path / "marketing.csv", load_template(example=False, today=TODAY))
    assert list(tmp_path.iterdir()) == []
