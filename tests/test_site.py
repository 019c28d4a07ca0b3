"""The course website: a strict build with zero warnings, and pages that work in a real browser.

One session-scoped build (``site_build`` in tests/conftest.py, made in the reader's checkout) is
shared by every test here. The browser is Debian's Chromium driven by Playwright; all requests
that leave the local server are recorded (and blocked), so "no request outside the site" is
checked, not assumed.
"""

from __future__ import annotations

import html
import re

import pytest
from site_helpers import (
    CLEAN,
    ROOT,
    chapter_pages,
    check_loaded_cleanly_alt_text_and_axe,
    open_page,
    pages_with_figures,
    toc_pages,
)

pytestmark = pytest.mark.slow

# owner/name of the repository the launch buttons must point at, read from _config.yml
REPO = re.search(r"url:\s*https://github\.com/(\S+?)/?\s*$", (ROOT / "_config.yml").read_text(),
                 re.MULTILINE).group(1)


def test_strict_build_has_no_warnings(site_build):
    """The README's build command, in a checkout that holds the reader's virtual environment in
    `.venv` (thousands of Markdown files in site-packages): no warning, and every page built."""
    assert (site_build.checkout / ".venv" / "lib").is_dir()
    output = site_build.output
    assert site_build.returncode == 0, output[-6000:]
    warnings = [line for line in output.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert warnings == [], "\n".join(warnings[:40])
    assert (site_build.html / "index.html").exists()
    for page in toc_pages():
        assert (site_build.html / page).exists(), page


def test_intro_page_content(site_url, browser):
    page, problems = open_page(browser, f"{site_url}/book/intro.html")
    try:
        assert problems == CLEAN
        assert page.locator("h1").first.inner_text().startswith("Layers, interactively")
        body = page.locator("main").inner_text()
        for phrase in ("input layer", "Hidden layers", "output layer", "(N, C, H, W)",
                       "batch first", "Binder", "Total parameters: 31,530"):
            assert phrase in body, phrase
        assert page.locator("div.cell_output").count() >= 4
        assert page.locator("mjx-container").count() > 0, "MathJax (served locally) did not render"
    finally:
        page.close()


def test_index_redirects_to_intro(site_url, browser):
    page, problems = open_page(browser, f"{site_url}/index.html")
    try:
        page.wait_for_url(re.compile(r".*/book/intro\.html"), timeout=5000)
        assert problems["pageerror"] == []
    finally:
        page.close()


WITH_FIGURES = pages_with_figures()  # test_site_figures.py loads and checks these


@pytest.mark.parametrize("path", [p for p in toc_pages() if p not in WITH_FIGURES])
def test_page_loads_cleanly_with_alt_text_and_passes_axe(site_url, browser, path):
    """Every page without explorers or players: no console error, no page error, no request outside
    the site, every image in the content has meaningful alt text, and axe-core finds no serious or
    critical violation (one page load for all of these). The pages with explorers or players get
    the same checks on the page load of `test_site_figures.py`, which then checks their figures."""
    page, problems = open_page(browser, f"{site_url}/{path}")
    try:
        check_loaded_cleanly_alt_text_and_axe(page, problems, path)
    finally:
        page.close()


def test_every_page_has_the_favicon(site_build):
    """Without an icon link, the browser asks for /favicon.ico and logs a 404 on every first
    load (open_page records HTTP errors, so the page tests would catch that too)."""
    assert (site_build.html / "_static" / "favicon.svg").exists()
    for path in toc_pages():
        text = (site_build.html / path).read_text()
        assert re.search(r'<link rel="icon" href="(\.\./)*_static/favicon\.svg"', text), path


@pytest.mark.parametrize("path", chapter_pages())
def test_launch_and_download_buttons(site_build, path):
    """The launch (Binder, Colab) and download links of every chapter, read from the built page
    (the theme writes them into the HTML; no script makes them)."""
    assert site_build.returncode == 0
    notebook = path.replace(".html", ".ipynb")
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', (site_build.html / path).read_text())]
    binder = [h for h in hrefs if h.startswith("https://mybinder.org/")]
    colab = [h for h in hrefs if h.startswith("https://colab.research.google.com/")]
    assert binder and all(f"gh/{REPO}/main" in h and notebook in h for h in binder), binder
    assert "urlpath=lab" in binder[0], "Binder should open JupyterLab"
    assert colab and all(f"github/{REPO}/blob/main/{notebook}" in h for h in colab), colab
    downloads = [h for h in hrefs if h.endswith(f"_sources/{notebook}")]
    assert downloads, "no download link for the notebook"


def test_search_finds_stride(site_url, browser):
    page, problems = open_page(browser, f"{site_url}/search.html?q=stride")
    try:
        page.wait_for_selector("#search-results li, ul.search li", timeout=10000)
        results = page.locator("#search-results li, ul.search li")
        assert results.count() >= 1
        assert problems["pageerror"] == [] and problems["external"] == []
    finally:
        page.close()


def test_no_stray_files_in_site(site_build):
    """The strict build lists only table-of-contents pages (only_build_toc_files)."""
    assert site_build.returncode == 0
    built = site_build.html
    html_pages = {p.relative_to(built).as_posix() for p in built.rglob("*.html")
                  if not p.relative_to(built).as_posix().startswith("_")}
    expected = set(toc_pages()) | {"index.html", "search.html", "genindex.html"}
    assert set(toc_pages()) <= html_pages <= expected, sorted(html_pages ^ expected)
