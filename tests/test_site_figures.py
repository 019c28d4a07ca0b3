"""The website's interactive figures in a real browser: every explorer responds to every slider,
every player steps, and in light and dark mode, at phone (390 px) and desktop (1280 px) width,
no explorer or player holds a raster image, has text under 11 / 12 px, overflows sideways or fails
axe's colour-contrast rule; static figures keep their size on a phone.

One test per page (pytest-xdist spreads them over its processes; the site is built once per run
and shared, see ``tests/conftest.py``), on one page load: loading a chapter costs seconds of the
browser's time, more than any check here. That load also gets the checks every page gets
(``check_loaded_cleanly_alt_text_and_axe``, the same as `test_site.py`'s page test). Which pages
hold explorers, players and figures is read from the committed notebooks, which the pages are
built from.
"""

from __future__ import annotations

import pytest
from site_helpers import (
    AXE,
    CLEAN,
    chapter_pages,
    check_loaded_cleanly_alt_text_and_axe,
    open_page,
    pages_with_figures,
    stored_outputs,
)
from test_viz_browser import page_checks

pytestmark = pytest.mark.slow

PAGES = chapter_pages()
WITH_EXPLORERS = [p for p in PAGES if 'class=\\"ll-explorer\\"' in stored_outputs(p)]
WITH_FIGURES = pages_with_figures()
WITH_PLAYERS = [p for p in PAGES if 'class=\\"ll-player\\"' in stored_outputs(p)]
WITH_IMAGES = [p for p in PAGES if "image/png" in stored_outputs(p)]


def test_the_pages_hold_what_the_tests_below_check():
    assert len(WITH_EXPLORERS) >= 10 and len(WITH_PLAYERS) >= 2 and len(WITH_IMAGES) >= 12


def _every_explorer_responds_to_its_sliders(page, path: str) -> None:
    """Move every slider of every explorer on the page: the figure and the read-out change."""
    explorers = page.locator(".ll-explorer:not([data-ll-still])")
    assert explorers.count() >= 1
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        sliders = explorer.locator("input.ll-slider")
        assert sliders.count() >= 1
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


def _every_player_steps_forward(page, path: str) -> None:
    players = page.locator(".ll-player")
    assert players.count() >= 1
    for i in range(players.count()):
        player = players.nth(i)
        before = player.locator(".ll-figure").inner_html()
        player.locator(".ll-next").click()
        assert player.locator(".ll-figure").inner_html() != before, f"{path}: player {i}"


def _static_figures_keep_their_size(page, path: str) -> None:
    """At 390 px a static figure is not shrunk (its text, ≥ 10 pt at 80 dpi, stays ≥ 11 CSS px):
    it scrolls sideways inside its output, and the page itself does not get wider than the screen."""
    sizes = page.evaluate("""() => [...document.querySelectorAll('div.cell_output img')]
        .map(i => [i.getBoundingClientRect().width,
                   Number(i.getAttribute('width')) || i.naturalWidth / 2])""")
    assert sizes, f"{path}: no figure"
    shrunk = [f"figure {k} shown {w:.0f} px of {n:.0f}" for k, (w, n) in enumerate(sizes) if w < n - 1]
    assert shrunk == [], f"{path}: " + "; ".join(shrunk)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path}: the page is {overflow} px wider than a 390 px screen"


def _readable_vector_figures_that_fit(page, path: str, width: int, minimum: int) -> None:
    """At ``width`` px, in light and dark mode: no raster image in any explorer or player (every
    figure is drawn from its data as SVG with real text), no text under ``minimum`` px, no
    horizontal overflow, and no colour-contrast violation (axe)."""
    page.set_viewport_size({"width": width, "height": 1200})
    assert page.locator(".ll-explorer, .ll-player").count() >= 1
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
        if (width, theme) == (1280, "light"):
            # check_loaded_cleanly_alt_text_and_axe ran all of axe (colour contrast included, a
            # "serious" violation there) on this page as loaded: 1280 px wide, light
            continue
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run({include: [['.ll-explorer'], "
                               "['.ll-player']]}, {runOnly: ['color-contrast'], "
                               "resultTypes: ['violations']})")
        bad = [f"{n['target']}: {n['failureSummary']}"
               for v in result["violations"] for n in v["nodes"]]
        assert bad == [], f"{where}:\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("path", WITH_FIGURES)
def test_explorers_and_players_are_vector_readable_and_fit(site_url, browser, path):
    """A page with explorers or players, loaded once (1280 px wide, light): first the checks of
    every page (clean load, alt text, all of axe); then every explorer and player at 1280 px (text
    >= 12 px) and at 390 px (text >= 11 px), in light and dark mode (see
    `_readable_vector_figures_that_fit`); at 390 px, no static figure is shrunk; back at 1280
    px, every slider of every explorer changes its figure and read-out, and every player's Next
    changes its frame (last: they change what the page shows)."""
    page, problems = open_page(browser, f"{site_url}/{path}")
    try:
        check_loaded_cleanly_alt_text_and_axe(page, problems, path)
        _readable_vector_figures_that_fit(page, path, 1280, 12)
        _readable_vector_figures_that_fit(page, path, 390, 11)
        if path in WITH_IMAGES:
            _static_figures_keep_their_size(page, path)
        page.set_viewport_size({"width": 1280, "height": 1200})
        page.evaluate("document.documentElement.setAttribute('data-theme', 'light')")
        if path in WITH_EXPLORERS:
            _every_explorer_responds_to_its_sliders(page, path)
        if path in WITH_PLAYERS:
            _every_player_steps_forward(page, path)
        assert problems == CLEAN, problems
    finally:
        page.close()


@pytest.mark.parametrize("path", [p for p in WITH_IMAGES if p not in WITH_FIGURES])
def test_static_figures_keep_their_size_on_a_phone(site_url, browser, path):
    """Pages with static figures but no explorer or player (the others are checked above)."""
    page, problems = open_page(browser, f"{site_url}/{path}")
    try:
        page.set_viewport_size({"width": 390, "height": 900})
        page.wait_for_timeout(200)
        _static_figures_keep_their_size(page, path)
        assert problems == CLEAN, problems
    finally:
        page.close()
