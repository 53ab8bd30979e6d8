"""A rule's templates as its findings fill them (every rule's own wording: test_rules.py)."""

from __future__ import annotations

import pytest

from sheetsync.findings import Finding, Template, Wording


def finding(message: str, hint: str, **facts: object) -> Finding:
    wording = Wording(Template.parse(message, capitalized=True), Template.parse(hint))
    return Finding("SS999", "example", "warning", "Plan", "L7", 7, "T6", facts, wording)


def test_a_template_keeps_its_own_percent_signs_and_braces_as_written():
    shown = finding(
        "{what} is 100% spent, {{as}} {done} says.",
        "Keep {what} under 100%.",
        what="tactic T6",
        done="40%",
    )
    assert shown.message == "Tactic T6 is 100% spent, {as} 40% says."
    assert shown.hint == "Keep tactic T6 under 100%."


@pytest.mark.parametrize("template", ["{what.upper}", "{what[0]}", "{0}", "{what:>9}", "{what!r}"])
def test_a_template_names_its_facts_and_shows_them_as_they_are(template):
    with pytest.raises(ValueError, match="facts are"):
        Template.parse(template)
