"""The summary's HTML, text and chart: what a reader sees, whatever the cells hold."""

from __future__ import annotations

import base64
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

from workbooks import baseline

from sheetsync import api
from sheetsync.chart import spend_revenue_chart
from sheetsync.mail import preview_html
from sheetsync.render import render_text

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
D = dt.date
HOSTILE = {
    ("Strategy", "G1", "Marketing Goal"): '<script>alert("x")</script> & <b>bold</b>',
    ("Strategy", "G2", "Marketing Goal"): "Line one\nBcc: victim@example.com\r\nline three",
    ("Plan", "T1", "Activity"): "حملة البريد الإلكتروني للمكاتب",  # right-to-left
    ("Plan", "T2", "Activity"): "🎉 Tasting event 🍰 " + "very long " * 80,
}


def hostile_summary():
    return api.summary(baseline(HOSTILE), today=D(2026, 7, 1))


def test_cell_text_is_never_markup_in_the_html():
    html = preview_html(hostile_summary())
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert '&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;' in html
    assert "Line one Bcc: victim@example.com line three" in html  # one line, no header
    assert "حملة البريد الإلكتروني للمكاتب" in html and "<bdi>" in html
    assert "very long very long" in html and "very long " * 20 not in html  # cut with "…"


def test_the_html_needs_nothing_from_the_network():
    html = preview_html(hostile_summary())
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in html and "@import" not in html
    assert 'style="' in html  # CSS inlined for the mail clients that drop <style>


def test_the_text_part_is_readable_with_hostile_cells():
    text = render_text(hostile_summary())
    assert '<script>alert("x")</script> & <b>bold</b>' in text  # text stays text
    assert "\nBcc:" not in text and "Line one Bcc: victim@example.com line three" in text
    assert "🎉 Tasting event 🍰" in text and max(len(line) for line in text.splitlines()) < 400


def test_the_chart_is_a_small_png_with_alt_text():
    summary = hostile_summary()
    chart = spend_revenue_chart(summary.goals)
    assert chart is not None and chart.png.startswith(b"\x89PNG") and len(chart.png) < 100_000
    assert chart.alt.startswith("Chart of spend and revenue to date per goal: G1 spent 900")
    html = preview_html(summary)
    embedded = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert embedded and base64.b64decode(embedded.group(1)) == chart.png
    assert f'alt="{chart.alt}"' in html


def test_no_chart_when_nothing_was_spent_or_earned():
    quiet = {("Plan", t, h): None for t in ("T1", "T2", "T3") for h in ("Spend", "Revenue")}
    assert spend_revenue_chart(api.summary(baseline(quiet), today=D(2026, 7, 1)).goals) is None


def test_preview_writes_one_html_file(tmp_path):
    from workbooks import baseline_grids, write_xlsx

    book = tmp_path / "marketing.xlsx"
    write_xlsx(book, baseline_grids())
    preview = tmp_path / "summary.html"
    result = subprocess.run(
        [SHEETSYNC, "summary", "-w", str(book), "--today", "2026-07-01", "--preview", str(preview)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Wrote {preview}: open it in a browser to see the e-mail.\n"
    html = preview.read_text("utf-8")
    assert "Marketing summary for <b" in html and "June 2026" in html


def test_own_templates_replace_the_built_in_ones_and_errors_name_file_and_line(tmp_path):
    from workbooks import baseline_grids, write_xlsx

    book = tmp_path / "marketing.xlsx"
    write_xlsx(book, baseline_grids())
    own = tmp_path / "mine"
    own.mkdir()
    (own / "summary.txt").write_text("Hello {{ s.title }}: {{ s.goals | length }} goals.\n")
    config = tmp_path / "sheetsync.toml"
    config.write_text('[summary]\ntemplates = "mine"\n')
    ok = subprocess.run(
        [SHEETSYNC, "summary", "-w", str(book), "-c", str(config), "--today", "2026-07-01"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and ok.stdout == "Hello marketing: 2 goals.\n"
    (own / "summary.txt").write_text("Line one\n{{ s.title }\n")
    broken = subprocess.run(
        [SHEETSYNC, "summary", "-w", str(book), "-c", str(config), "--today", "2026-07-01"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert broken.returncode == 2
    assert f"The summary template {own / 'summary.txt'}, line 2 cannot be used" in broken.stderr
    (own / "summary.txt").write_text("One\nTwo\n{{ s.no_such_thing }}\n")
    undefined = subprocess.run(
        [SHEETSYNC, "summary", "-w", str(book), "-c", str(config), "--today", "2026-07-01"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert undefined.returncode == 2
    assert f"{own / 'summary.txt'}, line 3 cannot be used" in undefined.stderr
    assert "no_such_thing" in undefined.stderr


def test_needs_you_names_what_a_person_must_act_on():
    behind = {("Plan", "T3", "Result"): 10, ("Plan", "T3", "Progress"): 0.1}
    late = api.summary(baseline(behind), today=D(2026, 8, 15))
    assert late.needs_you == ("G2 is behind.", "3 tactics are overdue.")
    assert "NEEDS YOU\n  - G2 is behind.\n  - 3 tactics are overdue.\n" in render_text(late)
    calm = api.summary(baseline({("Plan", "T1", "Progress"): "done"}), today=D(2026, 7, 1))
    assert calm.needs_you == ()
    assert "NEEDS YOU\n  Nothing: every goal is on track or done" in render_text(calm)


def test_a_goal_roi_says_which_spend_it_is_measured_against():
    # G1's tactics T1 (spent 400, revenue 1,500) and T2 (spent 500, revenue not tracked):
    # ROI 275 % is earned on T1's 400, not on all 900 spent.
    summary = api.summary(baseline({("Plan", "T2", "Revenue"): None}), today=D(2026, 7, 1))
    text = render_text(summary)
    assert "ROI 275% on the 400 spent by tactics that track revenue" in text
    assert "ROI 275% on the 400 spent by tactics that track revenue" in preview_html(summary)
    tracked = api.summary(baseline(), today=D(2026, 7, 1))  # both tactics track revenue
    assert "spent by tactics that track revenue" not in render_text(tracked)


def test_a_figure_just_short_of_its_target_or_over_its_budget_shows_by_how_much():
    # G2's 250 sign-ups against a target of 250.4 are not "250 of 250 (100%)", and G1's spend
    # of 900 against a budget of 899.999 is not "900 of 900".
    edits = {("Strategy", "G2", "Target"): 250.4, ("Strategy", "G1", "Budget"): 899.999}
    summary = api.summary(baseline(edits), today=D(2026, 7, 1))
    for shown in (render_text(summary), preview_html(summary)):
        assert "250 of 250.4 (99.8%)" in shown.replace("<b>", "").replace("</b>", "")
        assert "Spent 900 of 899.999" in shown
    plain = render_text(api.summary(baseline(), today=D(2026, 7, 1)))
    assert "250 of 500 (50%)" in plain and "Spent 900 of 5,000 budget" in plain


def test_a_goal_that_ended_just_short_is_not_told_it_reached_100_percent():
    # G2 ended with 250 sign-ups of a target of 250.4: 99.8 %, not "100% of target".
    summary = api.summary(baseline({("Strategy", "G2", "Target"): 250.4}), today=D(2026, 10, 5))
    for shown in (render_text(summary), preview_html(summary)):
        plain = shown.replace("<b>", "").replace("</b>", "")
        assert "Ended September 30, 2026 at 99.8% of target." in plain
