"""Configuration: the example documents every key; every mistake names the key and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sheetsync.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


def test_example_config_loads():
    settings = load_settings(str(EXAMPLE))
    assert settings.workbook.path == str(ROOT / "marketing.xlsx")
    assert settings.rules.at_risk_points == 25


def test_example_documents_every_key():
    text = EXAMPLE.read_text()
    sections = {
        name: field
        for name, field in Settings.model_fields.items()
        if name not in ("source", "workbooks", "aliases")
    }
    for name, field in sections.items():
        assert f"[{name}]" in text, name
        body = text.split(f"[{name}]", 1)[1].split("\n[", 1)[0]
        for key in field.annotation.model_fields:
            assert re.search(rf"^#? ?{key} = ", body, re.M), f"[{name}] {key}"
    assert "[[workbooks]]" in text and "[aliases]" in text


def write(tmp_path, text):
    path = tmp_path / "sheetsync.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[rules]\nat_risk_point = 20\n", "`rules.at_risk_point`"),
        ('[rules]\nlocale = "klingon"\n', "is not a locale"),
        ('[rules]\ntimezone = "Mars/Olympus"\n', "is not a time zone"),
        ('[rules]\nignore = ["SS999"]\n', "'SS999' is not a rule code"),
        ('[rules]\nat_risk_points = "lots"\n', "`rules.at_risk_points` = 'lots'"),
        ('[google]\ncredentials = "none"\n', "works only with a test or private `endpoint`"),
        ('[workbook]\npath = "a.xlsx"\nspreadsheet = "abc"\n', "not both"),
        ('[aliases]\n"Deadline" = ["Due by"]\n', "'Deadline' is not a sheetsync column"),
        ('[summary]\ntransport = "pigeon"\n', "`summary.transport` = 'pigeon'"),
        ("[rules\nignore = []\n", "is not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, expected):
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, text))
    assert expected in str(error.value)
    assert "sheetsync.toml" in str(error.value)


def test_missing_config_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="does not exist.*config.example.toml"):
        load_settings(str(tmp_path / "nope.toml"))


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    settings = load_settings(
        write(tmp_path, '[workbook]\npath = "m.xlsx"\n[state]\npath = "s.db"\n')
    )
    assert settings.workbook.path == str(tmp_path / "m.xlsx")
    assert settings.state.path == str(tmp_path / "s.db")


def test_environment_names_the_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETSYNC_CONFIG", write(tmp_path, "[rules]\nlead_days = 10\n"))
    assert load_settings().rules.lead_days == 10


def test_environment_wins_over_the_file_and_flags_over_both(tmp_path, monkeypatch):
    path = write(tmp_path, '[rules]\nlead_days = 10\nlocale = "en_US"\n')
    monkeypatch.setenv("SHEETSYNC_RULES_LEAD_DAYS", "20")
    monkeypatch.setenv("SHEETSYNC_RULES_IGNORE", '["SS311"]')
    monkeypatch.setenv("SHEETSYNC_RULES_LOCALE", "fr_FR")  # bare text, not TOML
    settings = load_settings(path)
    assert (settings.rules.lead_days, settings.rules.ignore) == (20, ("SS311",))
    assert settings.rules.locale == "fr_FR"
    assert load_settings(path, {"rules.lead_days": 3}).rules.lead_days == 3


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("SHEETSYNC_RULES_AT_RISK_POINTS", "lots")
    with pytest.raises(ConfigError) as error:
        load_settings(None)
    assert str(error.value) == (
        "Environment variable SHEETSYNC_RULES_AT_RISK_POINTS = 'lots': must be a number, "
        "e.g. 25. See `rules.at_risk_points` in config.example.toml."
    )


def test_a_flag_replacing_a_bad_environment_value_wins(monkeypatch):
    monkeypatch.setenv("SHEETSYNC_RULES_LEAD_DAYS", "a month")
    assert load_settings(None, {"rules.lead_days": 3}).rules.lead_days == 3


def test_text_settings_from_the_environment_stay_text(monkeypatch):
    monkeypatch.setenv("SHEETSYNC_WORKBOOK_TITLE", "2026")  # TOML would read a number
    monkeypatch.setenv("SHEETSYNC_SUMMARY_TO", "maya@example.com, sam@example.com")
    settings = load_settings(None)
    assert settings.workbook.title == "2026"
    assert settings.summary.to == ("maya@example.com", "sam@example.com")


def test_flags_win_over_the_file(tmp_path):
    path = write(tmp_path, "[rules]\nlead_days = 10\n")
    assert load_settings(path, {"rules.lead_days": 3}).rules.lead_days == 3


def test_aliases_find_renamed_columns():
    from workbooks import TODAY, baseline_grids

    import sheetsync
    from sheetsync.backends.memory import MemoryBackend

    grids = baseline_grids()
    grids["Plan"][0][6] = "Finish by"
    settings = load_settings(None, {"aliases": {"Due": ["Finish by"]}})
    report = sheetsync.check(MemoryBackend.from_grids(grids), today=TODAY, settings=settings)
    assert report.findings == ()
