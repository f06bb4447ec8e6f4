"""The post-mortem page as people see it: rendered in headless Chromium (Debian's `chromium`,
installed by `make test`) at 1280 and 700 px, for a passing seed-like incident and a throttle
incident: every section present, the verdict banner on screen, and in the time chart the chaos
and alert bands and the latency panel actually drawn (their colours found in the pixels shown)."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_postmortem import SECTIONS, write_run, write_throttle_run

from harness.report import HTML, rebuild
from harness.report.marks import CHAOS, FIRING, PENDING

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
LATENCY_LINE = "#1f5fa8"
RUNS: dict[str, Callable[[Path], Any]] = {"seed": write_run, "throttle": write_throttle_run}


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


def open_page(browser: Any, run_dir: Path, kind: str, width: int) -> Any:
    RUNS[kind](run_dir)
    rebuild(run_dir)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((run_dir / HTML).as_uri())
    return page


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    page = open_page(browser, tmp_path, "seed", 1280)
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


def colour_share(shot: bytes, colour: str, rows: slice) -> float:
    """The share of the screenshot's pixels in `rows` (fractions of its height) near `colour`."""
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(shot), format="png")[..., :3]
    height = pixels.shape[0]
    start = int((rows.start or 0) * height)
    stop = int((rows.stop or 1) * height)
    want = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    near = (abs(pixels[start:stop] - want) < 0.06).all(axis=-1)
    return float(near.mean())


@pytest.mark.parametrize("width", [1280, 700])
@pytest.mark.parametrize("kind", ["seed", "throttle"])
def test_banner_bands_and_latency_panel_are_on_screen(
    browser: Any, tmp_path: Path, kind: str, width: int
) -> None:
    page = open_page(browser, tmp_path, kind, width)
    try:
        banner = page.locator("#verdict")
        assert banner.is_visible() and banner.inner_text().startswith("This run PASSED")
        assert "alert firing" in banner.inner_text()
        top = banner.bounding_box()
        assert top is not None and top["y"] < 300  # above the fold, under the title
        chart = page.locator('img[alt="orders over time"]')
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box is not None and box["width"] >= min(width - 60, 900)  # fills the column
        shot = chart.screenshot()  # what is on screen, at the size shown
        for band in (CHAOS, PENDING, FIRING):  # the band lane is the chart's top part
            assert colour_share(shot, band, slice(0, 0.3)) > 0.002, band
        assert colour_share(shot, LATENCY_LINE, slice(0.65, 1)) > 0.0005  # p50/p95 lines
        if kind == "throttle":
            assert "8 orders were slow" in page.locator("body").inner_text()
    finally:
        page.close()
