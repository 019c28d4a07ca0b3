"""The kernel-free explorer and player in a real browser (Chromium, through Playwright): sliders
and buttons swap frames and read-outs with no kernel, no network and no console error, both when
the HTML is part of the page (the website) and when a notebook front end inserts it later."""

from __future__ import annotations

import re

import numpy as np
import pytest
from site_helpers import CLEAN, ROOT, open_page, serve

from layers_lib import viz

pytestmark = pytest.mark.slow

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "_build" / "screenshots"  # kept for looking at (git-ignored build folder)
SHOTS.mkdir(parents=True, exist_ok=True)


def draw(kernel_size, stride):
    out = (7 - kernel_size) // stride + 1
    return viz.frame(viz.grid(["c" * 7] * 7, title="input 7×7"),
                     viz.grid(["c" * out] * out, title=f"output {out}×{out}"),
                     title=f"kernel {kernel_size}, stride {stride}")


def readout(kernel_size, stride):
    return f"output: <b>{(7 - kernel_size) // stride + 1}</b> (k={kernel_size}, s={stride})"


def chart(a):
    c = viz.Chart(title="a line", xlabel="x", ylabel="y", ylim=(-3, 3))
    c.line(np.linspace(-1, 1, 50), a * np.linspace(-1, 1, 50), label=f"slope {a}")
    c.bars([0.5], [1], color=1, width=0.2, label="a bar")
    return c


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    explorer = viz.explore(draw, {"kernel_size": [1, 3, 5], "stride": [1, 2]}, readout=readout,
                           title="Output size", mode="static")
    second = viz.explore(draw, {"stride": [1, 2, 3], "kernel_size": [2, 4]}, title="Second explorer",
                         mode="static")
    player = viz.conv_animation(np.arange(16.0).reshape(4, 4) % 3, np.array([[1.0, -1.0], [0.0, 2.0]]),
                                padding=1, title="Player", interval_ms=150)
    geometry = viz.conv.geometry_explorer(h=7, w=7, title="Geometry")
    predicting = viz.pooling.pool_explorer(X_POOL, predict=True, title="Predict")
    channels = viz.multichannel_conv_animation(np.arange(48.0).reshape(3, 4, 4) % 5,
                                               np.ones((2, 3, 3, 3)), np.array([0.0, 1.0]))
    lines = viz.explore(chart, {"a": [-2, 1, 2]}, title="Chart", mode="static")
    # The late snippet is inserted after load the way JupyterLab renders HTML outputs: set
    # innerHTML (scripts do not run), then replace each <script> by a fresh copy (scripts run).
    late = viz.conv_animation(np.ones((3, 3)), np.ones((2, 2)), title="Inserted later")
    directory = tmp_path_factory.mktemp("viz_page")
    (directory / "index.html").write_text(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>viz</title>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<link rel=\"icon\" href=\"data:,\"><style>body{margin:0 auto;padding:0 16px;max-width:820px;"
        "font-family:sans-serif}html[data-theme=dark] body{background:#121212;color:#eee}</style></head>"
        "<body>\n"
        f"{explorer.html}\n{second.html}\n{player.html}\n{geometry.html}\n{predicting.html}\n"
        f"{channels.html}\n{lines.html}\n"
        f"<template id=\"late\">{late.html}</template><div id=\"host\"></div>\n</body></html>\n",
        encoding="utf-8")
    server, url = serve(directory)
    yield f"{url}/index.html"
    server.shutdown()


X_POOL = np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8], [9, 7, 9, 3, 2, 3], [8, 4, 6, 2, 6, 4],
                   [3, 3, 8, 3, 2, 7]], dtype=float)


@pytest.fixture
def page(browser, page_url):
    page, problems = open_page(browser, page_url)
    yield page
    page.close()
    assert problems == CLEAN


def frame_state(root):
    figure = root.locator(".ll-figure")
    return (root.get_attribute("data-frame"), figure.inner_html(), figure.get_attribute("aria-label"),
            root.locator(".ll-readout").inner_html())


def explorer(page, caption):
    return page.locator(".ll-explorer, .ll-player").filter(
        has=page.locator(".ll-caption", has_text=re.compile(f"^{re.escape(caption)}$")))


def test_slider_swaps_frame_alt_and_readout(page):
    root = page.locator(".ll-explorer").first
    assert root.get_attribute("data-ll-bound") == "1"
    frame, drawing, alt, text = frame_state(root)
    assert frame == "0" and drawing.count("<svg") == 2 and "output 7×7" in drawing
    assert alt == "Output size: kernel_size = 1, stride = 1"
    assert text == "output: <b>7</b> (k=1, s=1)"

    slider = page.get_by_label("kernel_size").first  # the <label> names the slider
    slider.focus()
    page.keyboard.press("ArrowRight")  # kernel_size 1 -> 3: frame (1, 0) = 2
    frame2, drawing2, alt2, text2 = frame_state(root)
    assert frame2 == "2" and drawing2 != drawing and "output 5×5" in drawing2
    assert alt2 == "Output size: kernel_size = 3, stride = 1"
    assert text2 == "output: <b>5</b> (k=3, s=1)"
    assert root.locator(".ll-value").first.inner_text() == "3"
    assert slider.get_attribute("aria-valuetext") == "3"
    # the drawing is the frame's data: 5×5 output cells, as text and rectangles, no image
    assert root.locator(".ll-panel").nth(1).locator("rect[data-role]").count() == 25
    assert root.locator("img, image, canvas").count() == 0

    stride = root.locator('.ll-slider[data-param="stride"]')
    stride.fill("1")  # sets the value and dispatches input: stride 2
    assert frame_state(root)[0] == "3"
    assert frame_state(root)[3] == "output: <b>3</b> (k=3, s=2)"

    page.keyboard.press("ArrowLeft")  # the stride slider has the focus now: back to stride 1
    assert frame_state(root)[0] == "2"
    assert frame_state(root)[3] == "output: <b>5</b> (k=3, s=1)"


def set_sliders(root, values: dict) -> None:
    for name, position in values.items():
        root.locator(f'.ll-slider[data-param="{name}"]').evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
            str(position))


def test_twenty_random_geometry_settings_draw_the_right_grids(page):
    import layers_lib as ll

    root = explorer(page, "Geometry")
    values = {"kernel_size": [1, 2, 3, 4, 5], "stride": [1, 2, 3, 4], "padding": [0, 1, 2, 3],
              "dilation": [1, 2, 3]}
    rng = np.random.default_rng(13)
    for _ in range(20):
        positions = {name: int(rng.integers(len(v))) for name, v in values.items()}
        k, s, p, d = (values[n][positions[n]] for n in values)
        set_sliders(root, positions)
        ho, wo = ll.conv2d_output_size(7, 7, k, s, p, d)
        panels = root.locator(".ll-panel")
        drawn = panels.nth(0).locator("rect[data-role]").evaluate_all(
            "rs => rs.map(r => r.dataset.role).join('')")
        n = 7 + 2 * p
        covered = set()  # padded rows (= columns) some tap of some window reads
        for start in range(0, n - d * (k - 1), s):
            covered |= {start + d * t for t in range(k)}
        ring = {(r, c) for r in range(n) for c in range(n) if min(r, c) < p or max(r, c) >= p + 7}
        expected = "".join("x" if covered and (r not in covered or c not in covered) else
                           "p" if (r, c) in ring else "c" for r in range(n) for c in range(n))
        assert drawn == expected, (k, s, p, d)
        if ho < 1:
            assert panels.nth(1).locator(".ll-msg").inner_text().startswith("No window fits"), (k, s, p, d)
            continue
        assert panels.nth(1).locator("rect[data-role]").count() == ho * wo, (k, s, p, d)
        assert panels.nth(1).locator(".ll-ptitle").inner_text() == f"output {ho}×{wo}"
        taps = panels.nth(0).locator("circle.ll-dota").count()
        assert taps == k * k, (k, s, p, d)
        assert f"output {ho}×{wo}" in root.locator(".ll-readout").inner_text()


def test_predict_then_check_without_a_kernel(page):
    root = explorer(page, "Predict")
    set_sliders(root, {"kernel_size": 2, "stride": 1, "padding": 1})  # kernel 3, stride 2, padding 1
    answer = root.locator(".ll-answer")
    assert "ll-hiding" in root.get_attribute("class")
    assert answer.evaluate("a => getComputedStyle(a.querySelector('svg')).visibility") == "hidden"
    assert root.locator(".ll-readout").evaluate("r => getComputedStyle(r).visibility") == "hidden"
    guess, verdict = root.locator(".ll-guess"), root.locator(".ll-verdict")
    guess.fill("2 x 2")
    guess.press("Enter")
    assert verdict.inner_text() == "Not quite: you said 2 x 2; it is 3×3."
    assert answer.evaluate("a => getComputedStyle(a.querySelector('svg')).visibility") == "visible"
    assert root.locator(".ll-readout").evaluate("r => getComputedStyle(r).visibility") == "visible"
    set_sliders(root, {"stride": 3})  # a new setting asks again
    assert "ll-hiding" in root.get_attribute("class") and verdict.inner_text() == ""
    guess.fill("(2, 2)")  # kernel 3, stride 4, padding 1 on 5×6: ⌊4/4⌋ + 1 = 2 and ⌊5/4⌋ + 1 = 2
    root.get_by_role("button", name="Check").click()
    assert verdict.inner_text() == "Right: 2×2."
    set_sliders(root, {"padding": 2})  # padding 2 > 3 // 2: PyTorch refuses
    root.get_by_role("button", name="Show answer").click()
    assert verdict.inner_text().startswith("The answer: no output")
    assert "raise an error" in root.locator(".ll-readout").inner_text()


def page_checks(page, width: int) -> dict:
    """Inside every explorer and player: raster images, the smallest text (CSS px, after any
    scaling of its SVG) and horizontal overflow."""
    return page.evaluate("""(width) => {
        const roots = [...document.querySelectorAll('.ll-explorer, .ll-player')];
        const raster = roots.map(r => r.querySelectorAll('img, image, canvas, picture').length)
                            .reduce((a, b) => a + b, 0);
        let smallest = [1e9, ''];
        for (const root of roots) {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const el = n.parentElement;
                if (!n.textContent.trim() || el.closest('script, style')) continue;
                const cs = getComputedStyle(el);
                if (cs.visibility === 'hidden' || cs.display === 'none') continue;
                let size = parseFloat(cs.fontSize);
                const svg = el.closest('svg');
                const drawn = svg && svg.width.baseVal.value;
                if (drawn) size *= svg.getBoundingClientRect().width / drawn;
                if (size < smallest[0]) smallest = [size, n.textContent.trim().slice(0, 40)];
            }
        }
        const overflow = roots.filter(r => r.scrollWidth > r.clientWidth + 1)
                              .map(r => r.querySelector('.ll-caption').textContent);
        return {raster, smallest, overflow, page: document.documentElement.scrollWidth - window.innerWidth};
    }""", width)


@pytest.mark.parametrize("width, minimum", [(390, 11), (1280, 12)])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_raster_readable_text_no_overflow_and_contrast(browser, page_url, width, minimum, theme):
    page, problems = open_page(browser, page_url)
    try:
        page.set_viewport_size({"width": width, "height": 1200})
        if theme == "dark":
            page.evaluate("document.documentElement.setAttribute('data-theme', 'dark')")
        page.wait_for_timeout(300)  # the renderer redraws for the new width
        for root in page.locator(".ll-player").all():
            root.locator(".ll-next").click()
        checks = page_checks(page, width)
        assert checks["raster"] == 0
        size, text = checks["smallest"]
        assert size >= minimum, f"text of {size:.1f} px: {text!r}"
        assert checks["overflow"] == [] and checks["page"] <= 0, checks
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run({include: [['.ll-explorer'], ['.ll-player']]}, "
                               "{runOnly: ['color-contrast'], resultTypes: ['violations']})")
        bad = [f"{n['target']}: {n['failureSummary']}" for v in result["violations"] for n in v["nodes"]]
        assert bad == [], "\n".join(bad[:10])
        page.screenshot(path=str(SHOTS / f"viz_{theme}_{width}.png"), full_page=True)
    finally:
        page.close()
    assert problems == CLEAN


def test_two_explorers_on_one_page_are_independent(page):
    first, second = page.locator(".ll-explorer").nth(0), page.locator(".ll-explorer").nth(1)
    before = frame_state(first)
    second.locator('.ll-slider[data-param="stride"]').fill("2")
    assert frame_state(second)[0] == "4"
    assert frame_state(second)[2] == "Second explorer: stride = 3, kernel_size = 2"
    assert frame_state(first) == before


def test_player_prev_next_and_play(page):
    player = page.locator(".ll-player").first
    step = player.locator(".ll-slider")
    assert frame_state(player)[0] == "0"
    first_drawing = frame_state(player)[1]
    player.locator(".ll-next").click()
    assert frame_state(player)[0] == "1" and step.input_value() == "1"
    assert frame_state(player)[1] != first_drawing
    assert player.locator(".ll-value").inner_text() == "2 of 25"
    assert frame_state(player)[3].startswith("<b>y[0, 1]</b> = ")
    player.locator(".ll-prev").click()
    player.locator(".ll-prev").click()  # wraps around to the last step
    assert frame_state(player)[0] == "24"
    player.locator(".ll-next").click()
    assert frame_state(player)[0] == "0"

    play = player.locator(".ll-play")
    play.click()
    assert play.get_attribute("aria-pressed") == "true"
    assert player.locator(".ll-readout").get_attribute("aria-live") == "off"  # no chatter while playing
    page.wait_for_function("Number(document.querySelector('.ll-player').getAttribute('data-frame')) >= 3",
                           timeout=5000)
    play.click()  # pause
    assert play.get_attribute("aria-pressed") == "false"
    paused = frame_state(player)[0]
    page.wait_for_timeout(500)
    assert frame_state(player)[0] == paused
    assert int(paused) >= 3
    assert player.locator(".ll-readout").get_attribute("aria-live") == "polite"


def test_html_inserted_later_by_a_notebook_front_end_binds(page):
    page.evaluate("""() => {
        const host = document.getElementById('host');
        host.innerHTML = document.getElementById('late').innerHTML;
        for (const old of host.querySelectorAll('script')) {
            const fresh = document.createElement('script');
            for (const a of old.attributes) fresh.setAttribute(a.name, a.value);
            fresh.textContent = old.textContent;
            old.replaceWith(fresh);
        }
    }""")
    late = page.locator("#host .ll-player")
    assert late.get_attribute("data-ll-bound") == "1"
    late.locator(".ll-next").click()
    assert frame_state(late)[0] == "1"
    assert re.match(r"<b>y\[0, 1\]</b> = ", frame_state(late)[3])
    # the players already on the page were not bound twice: one click still moves one step
    player = page.locator(".ll-player").first
    player.locator(".ll-next").click()
    assert frame_state(player)[0] == "1"
