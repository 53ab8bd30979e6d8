"""Several workbooks in one config: [[workbooks]], --workbook-name, per-workbook reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from workbooks import TODAY, baseline_grids, write_xlsx

from sheetsync.config import ConfigError, load_settings
from sheetsync.errors import UsageError
from sheetsync.workbooks import targets

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
CONSULTANT = """
[summary]
to = ["consultant@example.com"]

[schedule]
sync = "*/30 * * * *"

[[workbooks]]
name = "bakery"
path = "bakery.xlsx"
title = "Bean & Crumb"
summary = { to = ["owner@bakery.example"] }
schedule = { sync = "*/10 * * * *" }

[[workbooks]]
name = "gym"
path = "gym.xlsx"

[[workbooks]]
name = "florist"
path = "florist.xlsx"
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SHEETSYNC, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture
def consultant(tmp_path) -> Path:
    """A config of three clients: bakery with an unknown goal, gym clean, florist missing."""
    (tmp_path / "sheetsync.toml").write_text(CONSULTANT)
    write_xlsx(tmp_path / "bakery.xlsx", baseline_grids({("Plan", "T2", "Goal ID"): "G9"}))
    write_xlsx(tmp_path / "gym.xlsx", baseline_grids())
    return tmp_path


def test_each_workbook_gets_its_own_title_recipients_and_schedule(consultant):
    bakery, gym, florist = targets(load_settings(str(consultant / "sheetsync.toml")))
    assert [bakery.name, gym.name, florist.name] == ["bakery", "gym", "florist"]
    assert bakery.location == str(consultant / "bakery.xlsx")
    assert bakery.settings.workbook.title == "Bean & Crumb"
    assert bakery.settings.summary.to == ("owner@bakery.example",)
    assert bakery.settings.schedule.sync == "*/10 * * * *"
    assert gym.settings.summary.to == ("consultant@example.com",)
    assert gym.settings.schedule.sync == "*/30 * * * *"
    assert (gym.label, gym.settings.workbooks) == ("gym", ())


def test_workbook_name_picks_one_ignoring_case(consultant):
    settings = load_settings(str(consultant / "sheetsync.toml"))
    assert [target.name for target in targets(settings, name="GYM")] == ["gym"]
    with pytest.raises(ConfigError, match="No workbook is named 'shop'.*bakery, gym, florist"):
        targets(settings, name="shop")
    with pytest.raises(UsageError, match="either --workbook .* or --workbook-name"):
        targets(settings, workbook="other.xlsx", name="gym")


def test_workbook_option_keeps_the_configured_title(tmp_path):
    (tmp_path / "sheetsync.toml").write_text('[workbook]\npath = "a.xlsx"\ntitle = "Bean"\n')
    settings = load_settings(str(tmp_path / "sheetsync.toml"))
    (target,) = targets(settings, workbook="b.xlsx")
    assert (target.location, target.settings.workbook.title) == ("b.xlsx", "Bean")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[workbook]\npath = "a.xlsx"\n[[workbooks]]\nname = "b"\npath = "b.xlsx"\n',
            "`workbooks` in {config}: give either one [workbook] or several [[workbooks]]",
        ),
        ('[[workbooks]]\npath = "b.xlsx"\n', 'table 1 needs a `name`, e.g. name = "bakery"'),
        ('[[workbooks]]\nname = "b"\n', "'b' needs `path` (a local .xlsx) or `spreadsheet`"),
        (
            '[[workbooks]]\nname = "b"\npath = "b.xlsx"\n[[workbooks]]\nname = "B"\npath = "c"\n',
            "two tables are named 'B'",
        ),
        (
            '[[workbooks]]\nname = "b"\npath = "b.xlsx"\nschedule = { sync = "* * *" }\n',
            "`workbooks.b.schedule.sync` = '* * *' in {config}: has 3 fields; write five",
        ),
        (
            '[[workbooks]]\nname = "b"\npath = "b.xlsx"\nsummary = { bcc = [] }\n',
            "`workbooks.b.summary.bcc` in {config} is not a sheetsync setting",
        ),
        ('[schedule]\nsummary = "0 8 32 * *"\n', "`schedule.summary` = '0 8 32 * *'"),
        ("[schedule]\nstop_timeout = 0\n", "`schedule.stop_timeout` = 0"),
    ],
)
def test_bad_workbooks_name_the_key(tmp_path, text, expected):
    config = tmp_path / "sheetsync.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_settings(str(config))
    assert expected.format(config=config) in str(error.value)


def test_check_reports_every_workbook_and_exits_with_the_worst(consultant):
    result = run("check", "--today", TODAY.isoformat(), cwd=consultant)
    assert result.returncode == 3  # florist is missing: worse than bakery's finding
    out = result.stdout
    assert out.index("== bakery") < out.index("== gym") < out.index("== florist")
    bakery = out[out.index("== bakery") : out.index("== gym")]
    assert 'Tactic T2 serves goal "G9", which is not in the Strategy tab.' in bakery
    assert "Bean & Crumb" in bakery
    assert "All clear" in out[out.index("== gym") : out.index("== florist")]
    assert result.stderr.count("Error: ") == 1
    assert "florist.xlsx was not found" in result.stderr


def test_check_json_lists_every_workbook_with_its_exit_code(consultant):
    result = run("check", "--today", TODAY.isoformat(), "--format", "json", cwd=consultant)
    reports = json.loads(result.stdout)["workbooks"]
    assert result.returncode == 3
    assert [(r["name"], r["exit_code"]) for r in reports] == [
        ("bakery", 1),
        ("gym", 0),
        ("florist", 3),
    ]
    assert reports[0]["counts"] == {"error": 1, "warning": 0}
    assert reports[0]["findings"][0]["code"] == "SS301"
    assert "florist.xlsx was not found" in reports[2]["error"]


def test_one_named_workbook_reports_as_a_lone_workbook_does(consultant):
    result = run(
        "check", "-n", "bakery", "--today", TODAY.isoformat(), "--format", "json", cwd=consultant
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["workbook"] == "Bean & Crumb" and "workbooks" not in report
    assert run("check", "--workbook-name", "gym", cwd=consultant).returncode == 0


def test_sync_writes_every_reachable_workbook_and_names_the_broken_one(consultant):
    result = run("sync", "--today", TODAY.isoformat(), cwd=consultant)
    assert result.returncode == 3
    assert "== florist" in result.stdout
    assert "florist.xlsx was not found" in result.stderr
    for name in ("bakery", "gym"):
        checked = run(
            "check", "-n", name, "--today", TODAY.isoformat(), "--format", "json", cwd=consultant
        )
        statuses = [tactic["status"] for tactic in json.loads(checked.stdout)["tactics"]]
        plan = load_workbook(consultant / f"{name}.xlsx")["Plan"]
        column = [cell.value for cell in plan[1]].index("Status")
        assert [row[column].value for row in plan.iter_rows(min_row=2)] == statuses
    again = run("sync", "-n", "gym", "--today", TODAY.isoformat(), cwd=consultant)
    assert again.returncode == 0
    assert "Nothing to change" in again.stdout and "==" not in again.stdout
