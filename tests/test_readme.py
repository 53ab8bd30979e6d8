"""The README's rule section is the catalog itself, so the two cannot drift apart."""

from pathlib import Path

from sheetsync.present import rules_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_rule_section_matches_the_catalog():
    text = README.read_text()
    section = text.split("<!-- RULES:BEGIN", 1)[1].split("\n", 1)[1].split("<!-- RULES:END -->")[0]
    assert section.strip() == rules_markdown().strip()


def readme_block(command: str, occurrence: int = 1) -> str:
    """The output the README shows under its nth `$ <command>`, up to the next prompt or fence."""
    text = README.read_text().split(f"\n$ {command}\n")[occurrence]
    return text.split("\n```", 1)[0].split("\n$ ", 1)[0]


def test_readme_tour_shows_what_the_commands_print(tmp_path):
    import subprocess
    import sys

    sheetsync = str(Path(sys.executable).with_name("sheetsync"))

    def run(*args: str) -> str:
        done = subprocess.run(
            [sheetsync, *args, "--today", "2026-11-23"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout.rstrip("\n")

    assert run("init", "--path", "marketing.xlsx", "--example") == readme_block(
        "sheetsync init --path marketing.xlsx --example"
    )
    assert run("check", "--workbook", "marketing.xlsx") == readme_block(
        "sheetsync check --workbook marketing.xlsx"
    )
    dry_run = readme_block("sheetsync sync --workbook marketing.xlsx --dry-run").split("\n")
    printed = run("sync", "--workbook", "marketing.xlsx", "--dry-run").split("\n")
    assert printed[:8] + printed[-2:] == [line for line in dry_run if line != "..."]
    for occurrence in (1, 2):  # a sync that writes, then one with nothing to change
        assert run("sync", "--workbook", "marketing.xlsx") == readme_block(
            "sheetsync sync --workbook marketing.xlsx", occurrence
        )
