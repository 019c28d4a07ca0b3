"""The website's interactive figures in a real browser: every explorer responds to every slider,
every player steps, and in light and dark mode, at phone (390 px) and desktop (1280 px) width,
no explorer or player holds a raster image, has text under 11 / 12 px, overflows sideways or fails
axe's colour-contrast rule; static figures keep their size on a phone.

A file of its own so that pytest-xdist runs it beside the page tests of ``test_site.py`` (each
file builds the site once: a build takes seconds, the browser checks take minutes of waiting).
"""

from __future__ import annotations

import re

import pytest
from site_helpers import CLEAN, HTML, open_page
from test_site import AXE, _explorer_pages, chapter_pages, toc_pages

pytestmark = pytest.mark.slow


def test_every_explorer_responds_to_its_sliders(site_url, browser):
    """On every page, move every slider of every explorer: the frame and the read-out change."""
    pages = _explorer_pages()
    assert pages, "no page contains an explorer"
    moved = 0
    for path in pages:
        page, problems = open_page(browser, f"{site_url}/{path}")
        try:
            explorers = page.locator(".ll-explorer")
            assert explorers.count() >= 1
            for e in range(explorers.count()):
                explorer = explorers.nth(e)
                sliders = explorer.locator("input.ll-slider")
                for s in range(sliders.count()):
                    slider = sliders.nth(s)
                    before_src = explorer.locator(".ll-figure").inner_html()
                    before_text = explorer.locator(".ll-readout").text_content()
                    value, maximum = int(slider.input_value()), int(slider.get_attribute("max"))
                    new = value + 1 if value < maximum else value - 1
                    slider.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input', "
                                    "{bubbles: true})); }", str(new))
                    after_src = explorer.locator(".ll-figure").inner_html()
                    after_text = explorer.locator(".ll-readout").text_content()
                    where = f"{path}: explorer {e}, slider {slider.get_attribute('data-param')}"
                    assert after_src != before_src, f"{where}: the figure did not change"
                    assert after_text != before_text, f"{where}: the read-out did not change"
                    moved += 1
            assert problems == CLEAN, problems
        finally:
            page.close()
    assert moved >= len(pages)


@pytest.mark.parametrize("width, minimum", [(390, 11), (1280, 12)])
def test_explorers_and_players_are_vector_readable_and_fit(site_url, browser, width, minimum):
    """Every explorer and player of the site, in light and dark mode: no raster image (every figure
    is drawn from its data as SVG with real text), no text under 11 px on a phone (390 px wide) or
    12 px on a desktop, no horizontal overflow, and no colour-contrast violation (axe-core)."""
    from test_viz_browser import page_checks

    pages = [p for p in toc_pages() if (HTML / p).exists()
             and re.search(r"ll-(explorer|player)", (HTML / p).read_text(errors="ignore"))]
    assert pages
    for path in pages:
        page, problems = open_page(browser, f"{site_url}/{path}")
        try:
            page.set_viewport_size({"width": width, "height": 1200})
            for theme in ("light", "dark"):
                page.evaluate(f"document.documentElement.setAttribute('data-theme', '{theme}')")
                page.wait_for_timeout(250)
                checks = page_checks(page, width)
                size, text = checks["smallest"]
                where = f"{path} at {width} px, {theme}"
                assert checks["raster"] == 0, where
                assert page.locator(".ll-explorer .ll-vector, .ll-player .ll-vector").count() == 0, \
                    f"{where}: an explorer still draws a matplotlib figure"
                assert size >= minimum, f"{where}: text of {size:.1f} px: {text!r}"
                assert checks["overflow"] == [] and checks["page"] <= 0, f"{where}: {checks}"
                page.add_script_tag(path=str(AXE))
                result = page.evaluate("async () => await axe.run({include: [['.ll-explorer'], "
                                       "['.ll-player']]}, {runOnly: ['color-contrast'], "
                                       "resultTypes: ['violations']})")
                bad = [f"{n['target']}: {n['failureSummary']}"
                       for v in result["violations"] for n in v["nodes"]]
                assert bad == [], f"{where}:\n" + "\n".join(bad[:10])
            assert problems == CLEAN, problems
        finally:
            page.close()


def test_static_figures_keep_their_size_on_a_phone(site_url, browser):
    """At 390 px a static figure is not shrunk (its text, ≥ 10 pt at 80 dpi, stays ≥ 11 CSS px):
    it scrolls sideways inside its output, and the page itself does not get wider than the screen."""
    shrunk, checked = [], 0
    for path in chapter_pages():
        page, problems = open_page(browser, f"{site_url}/{path}")
        try:
            page.set_viewport_size({"width": 390, "height": 900})
            page.wait_for_timeout(200)
            sizes = page.evaluate("""() => [...document.querySelectorAll('div.cell_output img')]
                .map(i => [i.getBoundingClientRect().width,
                           Number(i.getAttribute('width')) || i.naturalWidth / 2])""")
            checked += len(sizes)
            shrunk += [f"{path}: figure {k} shown {w:.0f} px of {n:.0f}" for k, (w, n) in enumerate(sizes)
                       if w < n - 1]
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path}: the page is {overflow} px wider than a 390 px screen"
            assert problems == CLEAN, problems
        finally:
            page.close()
    assert checked > 20 and shrunk == [], "\n".join(shrunk[:10])


def test_every_player_steps_forward(site_url, browser):
    pages = [p for p in toc_pages()
             if (HTML / p).exists() and "ll-player" in (HTML / p).read_text(errors="ignore")]
    for path in pages:
        page, problems = open_page(browser, f"{site_url}/{path}")
        try:
            players = page.locator(".ll-player")
            for i in range(players.count()):
                player = players.nth(i)
                before = player.locator(".ll-figure").inner_html()
                player.locator(".ll-next").click()
                assert player.locator(".ll-figure").inner_html() != before, f"{path}: player {i}"
            assert problems["pageerror"] == [] and problems["console"] == []
        finally:
            page.close()


