"""The kernel-free explorer and player in a real browser (Chromium, through Playwright): sliders
and buttons swap frames and read-outs with no kernel, no network and no console error, both when
the HTML is part of the page (the website) and when a notebook front end inserts it later."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from site_helpers import CLEAN, open_page, serve

from layers_lib import viz

pytestmark = pytest.mark.slow


def draw(kernel_size, stride):
    fig, ax = plt.subplots(figsize=(2.4, 1.6))
    ax.imshow(np.eye(6)[::stride] * kernel_size, cmap="gray")
    ax.set_title(f"kernel {kernel_size}, stride {stride}")
    return fig


def readout(kernel_size, stride):
    return f"output: <b>{(7 - kernel_size) // stride + 1}</b> (k={kernel_size}, s={stride})"


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    explorer = viz.explore(draw, {"kernel_size": [1, 3, 5], "stride": [1, 2]}, readout=readout,
                           title="Output size", mode="static")
    second = viz.explore(draw, {"stride": [1, 2, 3], "kernel_size": [2, 4]}, title="Second explorer",
                         mode="static")
    player = viz.conv_animation(np.arange(16.0).reshape(4, 4) % 3, np.array([[1.0, -1.0], [0.0, 2.0]]),
                                padding=1, title="Player", interval_ms=150)
    # The third snippet is inserted after load the way JupyterLab renders HTML outputs: set
    # innerHTML (scripts do not run), then replace each <script> by a fresh copy (scripts run).
    late = viz.conv_animation(np.ones((3, 3)), np.ones((2, 2)), title="Inserted later")
    directory = tmp_path_factory.mktemp("viz_page")
    (directory / "index.html").write_text(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>viz</title>"
        "<link rel=\"icon\" href=\"data:,\"></head><body>\n"
        f"{explorer.html}\n{second.html}\n{player.html}\n"
        f"<template id=\"late\">{late.html}</template><div id=\"host\"></div>\n</body></html>\n",
        encoding="utf-8")
    server, url = serve(directory)
    yield f"{url}/index.html"
    server.shutdown()


@pytest.fixture
def page(browser, page_url):
    page, problems = open_page(browser, page_url)
    yield page
    page.close()
    assert problems == CLEAN


def frame_state(root):
    return (root.get_attribute("data-frame"), root.locator(".ll-frame").get_attribute("src"),
            root.locator(".ll-frame").get_attribute("alt"), root.locator(".ll-readout").inner_html())


def test_slider_swaps_frame_alt_and_readout(page):
    root = page.locator(".ll-explorer").first
    assert root.get_attribute("data-ll-bound") == "1"
    frame, src, alt, text = frame_state(root)
    assert frame == "0" and src.startswith("data:image/png;base64,")
    assert alt == "Output size: kernel_size = 1, stride = 1"
    assert text == "output: <b>7</b> (k=1, s=1)"

    slider = page.get_by_label("kernel_size").first  # the <label> names the slider
    slider.focus()
    page.keyboard.press("ArrowRight")  # kernel_size 1 -> 3: frame (1, 0) = 2
    frame2, src2, alt2, text2 = frame_state(root)
    assert frame2 == "2" and src2 != src and src2.startswith("data:image/png;base64,")
    assert alt2 == "Output size: kernel_size = 3, stride = 1"
    assert text2 == "output: <b>5</b> (k=3, s=1)"
    assert root.locator(".ll-value").first.inner_text() == "3"
    assert slider.get_attribute("aria-valuetext") == "3"

    stride = root.locator('.ll-slider[data-param="stride"]')
    stride.fill("1")  # sets the value and dispatches input: stride 2
    assert frame_state(root)[0] == "3"
    assert frame_state(root)[3] == "output: <b>3</b> (k=3, s=2)"

    page.keyboard.press("ArrowLeft")  # the stride slider has the focus now: back to stride 1
    assert frame_state(root)[0] == "2"
    assert frame_state(root)[3] == "output: <b>5</b> (k=3, s=1)"


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
    first_src = frame_state(player)[1]
    player.locator(".ll-next").click()
    assert frame_state(player)[0] == "1" and step.input_value() == "1"
    assert frame_state(player)[1] != first_src
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
