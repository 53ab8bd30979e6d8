"""The README's rule section is the catalog itself, so the two cannot drift apart."""

from pathlib import Path

from sheetsync.present import rules_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_rule_section_matches_the_catalog():
    text = README.read_text()
    section = text.split("<!-- RULES:BEGIN", 1)[1].split("\n", 1)[1].split("<!-- RULES:END -->")[0]
    assert section.strip() == rules_markdown().strip()
