"""The course website: a strict build with zero warnings, and pages that work in a real browser."""

from __future__ import annotations

import re

import pytest
from site_helpers import HTML, open_page

pytestmark = pytest.mark.slow


def test_strict_build_has_no_warnings(site_build):
    output = site_build.stdout + site_build.stderr
    assert site_build.returncode == 0, output[-6000:]
    warnings = [line for line in output.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert warnings == [], "\n".join(warnings)
    assert (HTML / "index.html").exists()


def test_intro_page_in_browser(site_url, browser):
    page, problems = open_page(browser, f"{site_url}/book/intro.html")
    try:
        assert problems == {"console": [], "pageerror": [], "external": []}
        assert page.locator("h1").first.inner_text().startswith("Layers, interactively")
        body = page.locator("main").inner_text()
        for phrase in ("input layer", "Hidden layers", "output layer", "(N, C, H, W)",
                       "batch first", "Binder", "Total parameters: 31,530"):
            assert phrase in body, phrase
        # the code cells were rendered with their stored outputs, and figures carry alt text
        assert page.locator("div.cell_output").count() >= 4
        images = page.locator("main img")
        assert images.count() >= 1
        for i in range(images.count()):
            alt = images.nth(i).get_attribute("alt") or ""
            assert len(alt) > 10, f"image {i} has no meaningful alt text: {alt!r}"
    finally:
        page.close()


def test_index_redirects_to_intro(site_url, browser):
    page, problems = open_page(browser, f"{site_url}/index.html")
    try:
        page.wait_for_url(re.compile(r".*/book/intro\.html"), timeout=5000)
        assert problems["pageerror"] == []
    finally:
        page.close()
