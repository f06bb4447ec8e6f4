"""The post-mortem page as people see it: rendered in headless Chromium (Debian's `chromium`,
installed by `make test`), every section present and both charts drawn and on screen."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_postmortem import SECTIONS, write_run

from harness.report import HTML, rebuild

pytestmark = pytest.mark.slow  # a real browser process: not in `make test-fast`

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags the closed network here needs: no background connections that would be refused.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("HARNESS_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is missing: `make test` installs Debian's chromium package")
        pytest.skip("chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    write_run(tmp_path)
    rebuild(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((tmp_path / HTML).as_uri())
    yield page
    page.close()


def test_every_section_is_rendered(page: Any) -> None:
    headings = page.locator("h2").all_inner_texts()
    assert headings == SECTIONS
    assert page.locator("h1").inner_text().startswith("Incident:")
    assert page.locator("table").count() >= 3


@pytest.mark.parametrize("alt", ["orders over time", "failed orders"])
def test_both_charts_are_drawn_and_visible(page: Any, alt: str) -> None:
    chart = page.locator(f'img[alt="{alt}"]').first
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    drawn = chart.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert drawn[0] and drawn[1] >= 800 and drawn[2] >= 250  # a decoded PNG, not a broken icon
    box = chart.bounding_box()
    assert box is not None and box["width"] >= 400 and box["height"] >= 100
