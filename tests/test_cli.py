"""The `sheetsync` command as a user runs it: a real subprocess on real .xlsx files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from workbooks import TODAY, baseline_grids, write_xlsx

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
DEMO_TODAY = "2026-11-23"


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [SHEETSYNC, *args], capture_output=True, text=True, cwd=cwd, env=environment, timeout=120
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "marketing.xlsx"
    result = run("init", "--path", str(path), "--example", "--today", DEMO_TODAY)
    assert result.returncode == 0, result.stderr
    assert f"Created {path}" in result.stdout
    return path


@pytest.fixture
def clean(tmp_path) -> Path:
    path = tmp_path / "clean.xlsx"
    write_xlsx(path, baseline_grids())
    return path


def test_check_reports_findings_grouped_by_tab(demo):
    result = run("check", "--workbook", str(demo), "--today", DEMO_TODAY)
    assert result.returncode == 1  # the example has one error (SS301)
    out = result.stdout
    assert "\x1b[" not in out  # no colour when not on a terminal
    assert out.index("Strategy\n") < out.index("Plan\n") < out.index("Calendar\n")
    assert 'Tactic T25 serves goal "G6", which is not in the Strategy tab.' in out
    assert "Fix: Use a Goal ID from the Strategy tab" in out
    assert out.rstrip().endswith("1 error, 7 warnings in 5 goals, 25 tactics and 4 events.")


def test_check_json_for_scripts(demo):
    result = run("check", "--workbook", str(demo), "--today", DEMO_TODAY, "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["today"] == DEMO_TODAY and report["workbook"] == "marketing"
    assert report["counts"] == {"error": 1, "warning": 7}
    first = report["findings"][0]
    assert set(first) == {
        "code",
        "name",
        "severity",
        "tab",
        "cell",
        "row",
        "row_id",
        "message",
        "hint",
    }
    assert (first["code"], first["cell"], first["row"], first["row_id"]) == (
        "SS301",
        "B26",
        26,
        "T25",
    )
    goal = report["goals"][0]
    assert {"id", "status", "current", "progress", "roi", "spend", "revenue"} <= set(goal)
    assert len(report["tactics"]) == 25 and set(report["tactics"][0]) >= {"id", "status", "roi"}


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("error", 1), ("warning", 1)])
def test_fail_on(demo, fail_on, code):
    assert (
        run("check", "-w", str(demo), "--today", DEMO_TODAY, "--fail-on", fail_on).returncode
        == code
    )


def test_clean_workbook_exits_zero(clean):
    result = run("check", "--workbook", str(clean), "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stdout
    assert "All clear: 2 goals, 3 tactics and 1 event checked, nothing to fix." in result.stdout


def test_sync_dry_run_then_sync_then_nothing(clean):
    before = clean.read_bytes()
    dry = run("sync", "--workbook", str(clean), "--today", TODAY.isoformat(), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert 'Plan!M1: "" -> "Status"' in dry.stdout
    assert 'Plan!M4: "" -> "Done"' in dry.stdout
    assert "(new tab) Checks" in dry.stdout
    assert clean.read_bytes() == before
    first = run("sync", "--workbook", str(clean), "--today", TODAY.isoformat())
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Wrote ")
    second = run("sync", "--workbook", str(clean), "--today", TODAY.isoformat())
    assert second.stdout.startswith("Nothing to change in ")
    check = run("check", "--workbook", str(clean), "--today", TODAY.isoformat(), "--format", "json")
    assert json.loads(check.stdout)["counts"] == {"error": 0, "warning": 0}


def test_sync_with_a_title_row_above_the_plan_headers_leaves_the_figures_and_exits_1(clean):
    from openpyxl import load_workbook

    assert run("sync", "--workbook", str(clean), "--today", TODAY.isoformat()).returncode == 0
    book = load_workbook(clean)
    book["Plan"].insert_rows(1)
    book["Plan"]["A1"] = "Marketing plan 2026"
    book.save(clean)
    strategy = [[c.value for c in row] for row in load_workbook(clean)["Strategy"].iter_rows()]
    result = run("sync", "--workbook", str(clean), "--today", TODAY.isoformat())
    assert result.returncode == 1, result.stderr
    assert "Not written until the layout is fixed:" in result.stdout
    assert "The Plan tab's headers seem to be in row 2; sheetsync reads them from row 1." in (
        result.stdout
    )
    assert "Fix: Delete the row above the headers" in result.stdout
    after = [[c.value for c in row] for row in load_workbook(clean)["Strategy"].iter_rows()]
    assert after == strategy  # no "No plan", no zeros


def with_own_tab(path: Path, name: str) -> None:
    """The clean workbook plus a tab of the user's own named like one of sheetsync's."""
    register = [["Date", "Payee", "Amount"], ["2026-06-01", "Rent", 900]]
    write_xlsx(path, {**baseline_grids(), name: register})


@pytest.mark.parametrize("name", ["History", "checks"])
def test_a_users_own_tab_named_like_sheetsyncs_is_a_warning_to_check(tmp_path, name):
    path = tmp_path / "own-tab.xlsx"
    with_own_tab(path, name)
    result = run("check", "--workbook", str(path), "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stdout  # nothing in the user's data is wrong
    assert f'warning  -      The "{name}" tab is not one sheetsync made' in result.stdout
    assert f'Fix: Rename your "{name}" tab' in result.stdout
    assert "0 errors, 1 warning" in result.stdout


def test_sync_says_its_checks_tab_was_not_written_and_exits_1(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "own-tab.xlsx"
    with_own_tab(path, "Checks")
    result = run("sync", "--workbook", str(path), "--today", TODAY.isoformat())
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Wrote ")  # the rest is written
    assert lines[1] == "Not written until the layout is fixed:"
    assert 'The "Checks" tab is not one sheetsync made, so sheetsync leaves it alone' in lines[2]
    assert '[tabs] checks = "sheetsync Checks"' in lines[3]
    book = load_workbook(path)
    assert [[c.value for c in row] for row in book["Checks"].iter_rows()][0] == [
        "Date",
        "Payee",
        "Amount",
    ]
    assert book["Plan"]["M2"].value == "On track"
    # A History tab of the user's is not sync's to write: sync did all of its job.
    history = tmp_path / "own-history.xlsx"
    with_own_tab(history, "History")
    synced = run("sync", "--workbook", str(history), "--today", TODAY.isoformat())
    assert synced.returncode == 0, synced.stdout
    assert "Not written" not in synced.stdout and "0 errors, 1 warning" in synced.stdout


def test_missing_workbook_exits_3(tmp_path):
    result = run("check", "--workbook", str(tmp_path / "nope.xlsx"))
    assert result.returncode == 3
    assert "nope.xlsx" in result.stderr and "sheetsync init" in result.stderr


def test_no_workbook_at_all_exits_2(tmp_path):
    result = run("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "--workbook" in result.stderr


def test_bad_config_exits_2(tmp_path, clean):
    (tmp_path / "sheetsync.toml").write_text("[rules]\nlead_day = 3\n")
    result = run("check", "--workbook", str(clean), cwd=tmp_path)
    assert result.returncode == 2
    assert "`rules.lead_day`" in result.stderr


def test_bad_today_exits_2(clean):
    result = run("check", "--workbook", str(clean), "--today", "23/11/2026")
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr


def test_config_file_names_the_workbook(tmp_path, clean):
    (tmp_path / "sheetsync.toml").write_text(f'[workbook]\npath = "{clean.name}"\n')
    clean.rename(tmp_path / clean.name)
    result = run("check", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_init_refuses_to_overwrite(demo):
    result = run("init", "--path", str(demo))
    assert result.returncode == 2
    assert "already exists" in result.stderr


def test_rules_lists_the_catalog():
    result = run("rules")
    assert result.returncode == 0
    for code in ("SS100", "SS204", "SS304", "SS311"):
        assert code in result.stdout
    assert "SS304 channel-not-in-strategy (warning)" in result.stdout
    assert "Fix: Add <channel> to goal <goal>'s Channels" in result.stdout


def test_auth_login_without_client_file_says_where_to_get_one(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [SHEETSYNC, "auth", "login", "--client-secrets", str(tmp_path / "c.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Desktop-app OAuth client" in result.stderr and "c.json" in result.stderr


def test_auth_logout_when_signed_out(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [SHEETSYNC, "auth", "logout"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0
    assert "not signed in" in result.stdout


def test_init_where_a_file_stands_for_the_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    result = run("init", "--path", str(tmp_path / "notes.txt" / "marketing.xlsx"))
    assert result.returncode == 2
    assert "Cannot create" in result.stderr and "Choose a folder you can write to." in result.stderr
    assert "Errno" not in result.stderr


def test_sheet_changed_during_sync_exits_3_and_says_to_retry(monkeypatch):
    # A subprocess cannot be paused between read and write, so this runs the CLI in-process.
    from click.testing import CliRunner
    from test_backends import EditedBetweenReadAndWrite, memory_handle

    from sheetsync import api
    from sheetsync.cli import main

    handle = memory_handle(baseline_grids(), None)
    edited = EditedBetweenReadAndWrite(
        handle.open(), lambda: handle.rename_header("Plan", 3, "What we do")
    )
    monkeypatch.setattr(api, "open_backend", lambda location, settings: edited)
    result = CliRunner().invoke(main, ["sync", "--workbook", "x.xlsx", "--today", "2026-06-15"])
    assert result.exit_code == 3
    assert "Plan!C1" in result.output and "nothing was written; run sync again." in result.output
    assert result.output.lower().count("run sync again") == 1


def finding_codes(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {
        finding["code"]: finding["severity"] for finding in json.loads(result.stdout)["findings"]
    }


@pytest.mark.parametrize(
    ("variable", "value", "codes"),
    [
        ("SHEETSYNC_RULES_IGNORE", "SS311", {"SS311": None, "SS304": "warning"}),
        ("SHEETSYNC_RULES_IGNORE", "SS311, SS304", {"SS311": None, "SS304": None}),
        ("SHEETSYNC_RULES_IGNORE", '["SS304"]', {"SS311": "warning", "SS304": None}),
        ("SHEETSYNC_RULES_SEVERITY", '{"SS304": "error"}', {"SS304": "error"}),
        ("SHEETSYNC_RULES_SEVERITY", "SS304=error,SS311=error", {"SS311": "error"}),
    ],
)
def test_rule_settings_in_the_environment_as_people_write_them(demo, variable, value, codes):
    result = run(
        "check", "-w", str(demo), "--today", DEMO_TODAY, "--format", "json", env={variable: value}
    )
    assert result.returncode == 1, result.stderr
    found = finding_codes(result)
    for code, severity in codes.items():
        assert found.get(code) == severity, code


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SHEETSYNC_RULES_IGNORE", "SS311,SS999", "'SS999' is not a rule code"),
        ("SHEETSYNC_RULES_IGNORE", "[SS311", "is not a list; separate the items with commas"),
        ("SHEETSYNC_RULES_SEVERITY", "SS311:error", "is not a table; write pairs"),
        ("SHEETSYNC_RULES_SEVERITY", "SS311=fatal", "must be one of 'error' or 'warning'"),
        ("SHEETSYNC_RULES_LEAD_DAYS", "a month", "must be a whole number"),
    ],
)
def test_a_bad_environment_value_is_one_sentence_naming_the_variable(
    demo, variable, value, expected
):
    result = run("check", "-w", str(demo), env={variable: value})
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: Environment variable {variable} = {value!r}")
    assert expected in result.stderr
    assert "Input should" not in result.stderr and result.stderr.count("\n") == 1


def test_a_misspelled_variable_is_refused_with_the_likely_name(demo):
    result = run("check", "-w", str(demo), env={"SHEETSYNC_RULES_IGNOR": "SS311"})
    assert result.returncode == 2
    assert "SHEETSYNC_RULES_IGNOR is not a sheetsync setting" in result.stderr
    assert "did you mean SHEETSYNC_RULES_IGNORE?" in result.stderr


def test_no_color_is_honoured_on_a_terminal(demo):
    import pty

    def on_a_terminal(env: dict[str, str]) -> bytes:
        controller, terminal = pty.openpty()
        with subprocess.Popen(
            [SHEETSYNC, "check", "-w", str(demo), "--today", DEMO_TODAY],
            stdout=terminal,
            stderr=terminal,
            env={**os.environ, **env},
        ) as process:
            os.close(terminal)
            output = b""
            while chunk := _read_or_end(controller):
                output += chunk
            process.wait(timeout=120)
        os.close(controller)
        return output

    assert b"\x1b[" in on_a_terminal({})  # the same command does colour a terminal
    plain = on_a_terminal({"NO_COLOR": "1"})
    assert b"\x1b[" not in plain and b"SS301" in plain


def _read_or_end(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 65536)
    except OSError:  # the terminal is closed once the command has exited
        return b""


@pytest.mark.parametrize("extra", [["--title", "Q3 plan"], ["--share", "maya@example.com"]])
def test_init_refuses_google_options_with_a_path(tmp_path, extra):
    path = tmp_path / "marketing.xlsx"
    result = run("init", "--path", str(path), *extra)
    assert result.returncode == 2
    assert f"{extra[0]} is for a Google spreadsheet (--google)" in result.stderr
    assert not path.exists()


def test_an_empty_workbook_option_says_it_is_empty(tmp_path):
    result = run("check", "--workbook", "", cwd=tmp_path)
    assert result.returncode == 2
    assert "The workbook given is empty" in result.stderr
    assert "folder" not in result.stderr


@pytest.fixture
def neglected(tmp_path) -> Path:
    """The clean plan plus twelve tactics on a channel their goal did not choose (SS304)."""
    grids = baseline_grids()
    header, template = grids["Plan"][0], grids["Plan"][1]
    for number in range(100, 112):
        row = list(template)
        row[header.index("Tactic ID")] = f"T{number}"
        row[header.index("Channel")] = "TikTok"
        grids["Plan"].append(row)
    path = tmp_path / "neglected.xlsx"
    write_xlsx(path, grids)
    return path


def test_text_lists_a_few_findings_of_each_rule_and_counts_the_rest(neglected):
    result = run("check", "--workbook", str(neglected), "--today", TODAY.isoformat())
    listed = [line for line in result.stdout.splitlines() if "uses channel" in line]
    assert [line.split()[1] for line in listed] == ["D5", "D6", "D7"]  # the first three
    assert "  … and 9 more SS304 channel-not-in-strategy" in result.stdout
    assert "Findings by rule\n  12  warning  SS304 channel-not-in-strategy\n" in result.stdout
    assert "9 findings are not listed above: `sheetsync check --all` lists every one" in (
        result.stdout
    )


def test_all_lists_every_finding_and_json_always_has_them_all(neglected):
    everything = run("check", "--workbook", str(neglected), "--today", TODAY.isoformat(), "--all")
    assert everything.stdout.count("uses channel") == 12
    assert "more SS304" not in everything.stdout and "Findings by rule" not in everything.stdout
    as_json = run(
        "check", "--workbook", str(neglected), "--today", TODAY.isoformat(), "--format", "json"
    )
    assert list(finding_codes_all(as_json)).count("SS304") == 12


def finding_codes_all(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [finding["code"] for finding in json.loads(result.stdout)["findings"]]


def test_a_goal_without_a_target_shows_its_roi_without_a_stray_comma(tmp_path):
    grids = baseline_grids()
    grids["Strategy"][1][grids["Strategy"][0].index("Target")] = None  # G1: SS200, Needs fix
    path = tmp_path / "no-target.xlsx"
    write_xlsx(path, grids)
    result = run("check", "--workbook", str(path), "--today", TODAY.isoformat())
    g1 = next(line for line in result.stdout.splitlines() if line.startswith("  G1 "))
    assert g1.split() == ["G1", "Needs", "fix", "ROI", "67%"]


def test_the_command_starts_without_the_summary_libraries():
    # check and sync run from cron every few minutes, so every import is paid each time;
    # templates, mail and charts are loaded only by the commands that use them.
    code = (
        "import sys, sheetsync.cli; "
        "print(sorted({'jinja2', 'smtplib', 'matplotlib', 'css_inline'} & set(sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr
