"""The summary's HTML in a real browser engine: headless Chromium (Debian's package, installed
by `make test` when absent) driven by Playwright, at a laptop's mail column and a phone's width.

Screenshots are kept in tests/artefacts/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from workbooks import baseline

from sheetsync import api
from sheetsync.config import validate_settings
from sheetsync.mail import preview_html

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).parent / "artefacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
]
HOSTILE = {
    ("Strategy", "G1", "Marketing Goal"): "Win <b>office</b> catering clients & keep them",
    ("Strategy", "G2", "Marketing Goal"): "بناء النشرة الإخبارية 📬 " + "newsletter " * 40,
    ("Plan", "T1", "Activity"): "Office mailer\nwith a second line",
    ("Plan", "T2", "Activity"): "🎉" * 30 + "Averyveryverylongwordwithoutanyspaceatall" * 4,
}


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def preview(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("preview")
    # Its own state store: a module fixture runs before conftest's per-test one, and the
    # user's default store may belong to another sheetsync version.
    settings = validate_settings({"state": {"path": str(folder / "state.db")}})
    summary = api.summary(baseline(HOSTILE), today=dt.date(2026, 7, 1), settings=settings)
    path = folder / "summary.html"
    path.write_text(preview_html(summary), "utf-8")
    return path


@pytest.mark.parametrize("width", [600, 375])
def test_the_preview_fits_the_width_and_shows_the_chart(browser, preview, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(preview.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.clientWidth])"
    )
    assert len(images) == 1
    complete, natural_width, shown_width = images[0]
    assert complete and natural_width == 560 and 0 < shown_width <= width
    assert page.get_by_text("Marketing summary for").is_visible()
    assert page.get_by_text("Win <b>office</b> catering clients & keep them").is_visible()
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTEFACTS / f"summary-{width}px.png", full_page=True)
    page.close()


def test_dark_mode_turns_the_page_dark(browser, preview):
    page = browser.new_page(viewport={"width": 375, "height": 900}, color_scheme="dark")
    page.goto(preview.as_uri())
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    card = page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
    assert background == "rgb(17, 24, 39)" and card == "rgb(31, 41, 55)"
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTEFACTS / "summary-375px-dark.png", full_page=True)
    page.close()
