"""The course as a Binder reader gets it, in a real client: a fresh virtual environment built from
`requirements.txt` + `postBuild` only (no dev tools, no torch), JupyterLab served from it on
127.0.0.1 (started through `start`, as repo2docker starts it), and Debian's Chromium driven by
Playwright. For every chapter in `_toc.yml`:

1. open it as Binder opens it (before anything runs): every stored explorer and player must be
   bound (its script ran, so `postBuild` trusted the notebook) and respond to the mouse;
2. Run All from the Run menu: no traceback, no error output;
3. move every live explorer's sliders **with the mouse** (keys in command mode would hit
   JupyterLab's shortcuts) and check that the picture's pixels change, and that it is shown at its
   natural size (never upscaled); click every player's Next and check that its frame changes;
4. throughout: no widget error box ("Click to show javascript error") and no console error.

The server is stopped by its PID at the end. One test (`test_keys_on_a_slider_stay_with_it`)
checks that arrow keys on a focused slider move the slider and leave the notebook alone. The
checkout and its environment (`reader_env`, in `tests/conftest.py`) also hold the strict site
build that `tests/test_site.py` checks and serves.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect
from site_helpers import ROOT

pytestmark = pytest.mark.slow

sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import toc_notebooks  # noqa: E402

CHAPTERS = [p.relative_to(ROOT).as_posix() for p in toc_notebooks()]
# seconds each chapter's test took in one run: the chapters are dealt into two groups of about
# equal length, which pytest-xdist (--dist loadgroup) runs in two processes, each with its own
# JupyterLab server on the shared reader environment
_SECONDS = {"book/lstm_gru.ipynb": 33, "book/conv.ipynb": 32, "book/capstone.ipynb": 26,
            "book/transformer.ipynb": 22, "book/pooling.ipynb": 19, "book/residual.ipynb": 19,
            "book/normalization.ipynb": 19, "book/activations.ipynb": 18, "book/attention.ipynb": 16,
            "book/dropout.ipynb": 15, "book/embedding.ipynb": 15, "book/rnn.ipynb": 14,
            "book/linear.ipynb": 12}


def _dealt(chapters: list[str]) -> list:
    load, params = [0.0, 0.0], []
    for chapter in sorted(chapters, key=lambda c: -_SECONDS.get(c, 10)):
        group = load.index(min(load))
        load[group] += _SECONDS.get(chapter, 10)
        params.append(pytest.param(chapter, marks=pytest.mark.xdist_group(f"live-{group}"), id=chapter))
    return sorted(params, key=lambda p: chapters.index(p.values[0]))
ERROR_TEXT = ("Click to show javascript error", "Error displaying widget", "Error rendering output",
              "Traceback (most recent call last)")
# what a reader's frames may take to arrive after a slider move (the bar is 1 s; this
# timeout only stops a broken widget from hanging the run, the measured times are printed)
FRAME_TIMEOUT_MS = 15_000
LATENCIES: list[float] = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stored_counts(notebook) -> dict[str, int]:
    """How many explorers and players the committed notebook stores (its HTML outputs)."""
    nb = json.loads((ROOT / notebook).read_text())
    html = [o["data"]["text/html"] for c in nb["cells"] if c["cell_type"] == "code"
            for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    text = ["".join(h) if isinstance(h, list) else h for h in html]
    counts = {kind: sum(t.count(f'<div class="ll-{kind}" ') for t in text) for kind in ("explorer", "player")}
    counts["still"] = sum(t.count('data-ll-still="true"') for t in text)  # viz.show: no sliders, never live
    return counts


@pytest.fixture(scope="module")
def binder(reader_env, tmp_path_factory):
    """A JupyterLab server of this process on the shared reader environment; yields (base_url, repo)."""
    base, repo, env = reader_env
    own = tmp_path_factory.mktemp("lab")  # kernels' connection files and workspaces: this server's own
    env = {**env, "JUPYTER_RUNTIME_DIR": str(own / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(own / "workspaces")}
    bin_dir = repo / ".venv" / "bin"
    port = _free_port()
    log = open(own / "jupyterlab.log", "w")
    server = subprocess.Popen(
        # through `start`, as repo2docker starts a Binder session's server (start execs it)
        [repo / "start", bin_dir / "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={base / 'lab'}",
         # this machine has no internet: JupyterLab must not try to reach PyPI or its news feed
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly", "--allow-root",
         "--ServerApp.disable_check_xsrf=True"],  # lets the test shut kernels down through the REST API
        cwd=base / "lab", env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (own / "jupyterlab.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.5)
        yield url, repo
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server and its kernels, by the server's PID
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log.close()
    if LATENCIES:
        median = sorted(LATENCIES)[len(LATENCIES) // 2]
        print(f"\nlive frames: {len(LATENCIES)} slider moves, median {median:.2f} s, "
              f"slowest {max(LATENCIES):.2f} s")


@pytest.fixture(scope="module")
def lab_browser(browser):
    """One browser context per process for all its chapters (a new page each): its HTTP cache
    keeps JupyterLab's scripts, so each chapter need not fetch and compile them again."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


class Lab:
    """One chapter open in JupyterLab, with every console error and page error recorded."""

    def __init__(self, lab_browser, url: str, notebook: str):
        self.url, self.path = url, notebook
        self.page = lab_browser.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        # a workspace of its own, reset: only this notebook is open
        workspace = re.sub(r"\W", "-", notebook)
        self.page.goto(f"{url}/lab/workspaces/{workspace}/tree/{notebook}?reset", wait_until="load")
        self.notebook = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        self.notebook.wait_for(timeout=60_000)
        # the kernel starts meanwhile: the stored explorers and players do not need it, and
        # run_all waits for it

    def wait_idle(self, timeout_s: float = 120) -> None:
        """Wait until the server reports this notebook's kernel started and idle."""
        deadline = time.monotonic() + timeout_s
        while True:
            sessions = json.load(urllib.request.urlopen(f"{self.url}/api/sessions", timeout=10))
            states = [s["kernel"]["execution_state"] for s in sessions if s["path"] == self.path]
            if states == ["idle"]:
                return
            assert time.monotonic() < deadline, f"kernel of {self.path} not idle: {states}"
            time.sleep(0.25)

    def roots(self, kind: str):
        return self.notebook.locator(f".ll-{kind}")

    def run_all(self, timeout_s: float) -> None:
        self.wait_idle()  # the kernel has started
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        deadline = time.monotonic() + timeout_s
        # every code cell has run when none shows [*] or [ ] and the kernel is idle
        script = """() => Array.from(document.querySelectorAll(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt'))
            .every(p => /\\[\\d+\\]/.test(p.textContent))"""
        while not self.page.evaluate(script):
            assert not self.problems(), f"Run All: {self.problems()}"  # an error stops Run All
            assert time.monotonic() < deadline, f"Run All did not finish in {timeout_s} s"
            self.page.wait_for_timeout(250)
        self.wait_idle()

    def problems(self) -> list[str]:
        text = self.notebook.inner_text()
        found = [t for t in ERROR_TEXT if t in text]
        stderr = self.notebook.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        found += [f"stderr output: {stderr.nth(i).text_content()[:500]}" for i in range(stderr.count())]
        return found + self.errors

    def close(self) -> None:
        """Close the page and shut down every kernel this chapter started."""
        self.page.close()
        sessions = json.load(urllib.request.urlopen(f"{self.url}/api/sessions", timeout=10))
        for session in sessions:
            request = urllib.request.Request(f"{self.url}/api/sessions/{session['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=30)


def frame(root) -> tuple[str | None, str | None]:
    """The frame index shown and the figure's drawn markup (SVG drawn from the frame's data)."""
    return root.get_attribute("data-frame"), root.locator(".ll-figure").inner_html()


def drag_to(page, slider, fraction: float) -> None:
    """Press the mouse on the slider's track at ``fraction`` of its width, and release."""
    # to the middle of the notebook: at an edge, the status bar or the toolbar would take the click.
    # Cells above may grow as they render (content-visibility), so scroll until it stays put.
    for _ in range(10):
        slider.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(150)
        box = slider.bounding_box()
        if 200 < box["y"] < page.viewport_size["height"] - 200:
            break
    else:
        raise AssertionError(f"could not scroll slider {slider.get_attribute('data-param')} into view: {box}")
    x = box["x"] + 4 + fraction * (box["width"] - 8)
    page.mouse.click(x, box["y"] + box["height"] / 2)


def wait_for_frame(page, root, before) -> None:
    """Wait until ``root`` shows a frame other than ``before`` (index and drawing)."""
    page.wait_for_function(
        "([r, f, s]) => r.getAttribute('data-frame') !== f && r.querySelector('.ll-figure').innerHTML !== s",
        arg=[root.element_handle(), before[0], before[1]], timeout=FRAME_TIMEOUT_MS)


def move_every_slider(page, root) -> None:
    """Move each slider of ``root`` with the mouse to its other end; the frame must change, and
    the pixels of the picture. (The picture after one move is the picture before the next.)"""
    sliders = root.locator(".ll-slider")
    pixels = None
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        if slider.get_attribute("max") == "0":
            continue
        before = frame(root)
        if pixels is None:
            root.locator(".ll-figure").scroll_into_view_if_needed()
            pixels = root.locator(".ll-figure").screenshot()
        at_start = int(slider.input_value()) < int(slider.get_attribute("max")) / 2
        started = time.monotonic()
        drag_to(page, slider, 1.0 if at_start else 0.0)
        try:
            wait_for_frame(page, root, before)
        except Exception as error:
            where = root.evaluate("r => r.querySelector('.ll-caption').textContent")
            raise AssertionError(f"{where}: slider {slider.get_attribute('data-param')} moved to "
                                 f"{slider.input_value()}, frame {before[0]} -> {frame(root)[0]}: "
                                 f"no new picture") from error
        LATENCIES.append(time.monotonic() - started)
        assert frame(root) != before
        after = root.locator(".ll-figure").screenshot()
        assert after != pixels, f"slider {slider.get_attribute('data-param')}: the picture did not change"
        pixels = after


def click_next(page, root) -> None:
    before = frame(root)
    pixels = root.locator(".ll-figure").screenshot()
    root.locator(".ll-next").scroll_into_view_if_needed()
    root.locator(".ll-next").click()
    wait_for_frame(page, root, before)
    assert root.locator(".ll-figure").screenshot() != pixels, "Next did not change the picture"


@pytest.mark.parametrize("notebook", _dealt(CHAPTERS))
def test_chapter_works_in_jupyterlab(binder, lab_browser, notebook):
    url, _ = binder
    expected = stored_counts(notebook)
    lab = Lab(lab_browser, url, notebook)
    try:
        page = lab.page
        # 1. Binder's first view: the stored explorers and players run (the notebook is trusted)
        for kind in ("explorer", "player"):
            roots = lab.roots(kind)
            expect(roots).to_have_count(expected[kind], timeout=30_000)  # outputs attach lazily
            for i in range(roots.count()):
                assert roots.nth(i).get_attribute("data-ll-bound") == "1", \
                    f"stored {kind} {i} is dead (untrusted notebook?)"
        for i in range(lab.roots("explorer").count()):
            move_every_slider(page, lab.roots("explorer").nth(i))
        for i in range(lab.roots("player").count()):
            click_next(page, lab.roots("player").nth(i))
        assert lab.problems() == []

        # 2. Run All: live explorers (anywidget), freshly made players
        lab.run_all(timeout_s=240)
        assert lab.problems() == []
        live = lab.notebook.locator(".jp-OutputArea-output .ll-explorer:not([data-ll-still])")
        expect(live).to_have_count(expected["explorer"] - expected["still"], timeout=30_000)
        for i in range(live.count()):
            root = live.nth(i)
            assert root.locator("script").count() == 0, "a stored explorer survived Run All"
            root.locator(".ll-figure").scroll_into_view_if_needed()
            page.wait_for_function("r => r.getAttribute('data-ll-bound') === '1' && "
                                   "r.querySelector('.ll-figure svg') !== null", arg=root.element_handle())
            raster = root.evaluate("r => r.querySelectorAll('.ll-figure img, .ll-figure image, "
                                   ".ll-figure canvas').length")
            overflow = root.evaluate("r => r.scrollWidth - r.clientWidth")
            assert raster == 0 and overflow <= 1, \
                f"live explorer: {raster} raster images, {overflow} px of horizontal overflow"
            move_every_slider(page, root)
        players = lab.roots("player")
        expect(players).to_have_count(expected["player"], timeout=30_000)
        for i in range(players.count()):
            click_next(page, players.nth(i))
        assert lab.problems() == []
    finally:
        lab.close()


@pytest.mark.xdist_group("live-1")
def test_keys_on_a_slider_stay_with_it(binder, lab_browser):
    """A focused slider takes the arrow keys; JupyterLab's command-mode shortcuts (ArrowLeft
    collapses the heading above, A/B insert cells, ArrowUp/Down select another cell) must not
    fire."""
    url, _ = binder
    notebook = "book/conv.ipynb"
    n_cells = len(json.loads((ROOT / notebook).read_text())["cells"])
    lab = Lab(lab_browser, url, notebook)
    try:
        page = lab.page
        cells = lab.notebook.locator(".jp-Cell")
        expect(cells).to_have_count(n_cells, timeout=30_000)
        root = lab.roots("explorer").first
        slider = root.locator(".ll-slider").first
        drag_to(page, slider, 0.0)  # the mouse selects this cell and focuses the slider
        active = page.evaluate("() => document.querySelector('.jp-Cell.jp-mod-active') ? "
                               "Array.from(document.querySelectorAll('.jp-Cell')).indexOf("
                               "document.querySelector('.jp-Cell.jp-mod-active')) : -1")
        dirty = page.locator(".jp-mod-dirty").count()  # JupyterLab may mark it on load (cell ids)
        values = []
        for key in ("ArrowRight", "ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "a", "b"):
            page.keyboard.press(key)
            values.append(slider.input_value())
        assert values[:3] == ["1", "2", "1"], f"the arrow keys did not move the slider: {values}"
        expect(cells).to_have_count(n_cells)  # "a" / "b" would have inserted cells
        hidden = page.evaluate("() => Array.from(document.querySelectorAll('.jp-Cell'))"
                               ".filter(c => c.offsetParent === null).length")
        assert hidden == 0, f"{hidden} cells hidden: an arrow key collapsed a heading"
        assert page.evaluate("() => Array.from(document.querySelectorAll('.jp-Cell')).indexOf("
                             "document.querySelector('.jp-Cell.jp-mod-active'))") == active, \
            "an arrow key moved the notebook's selection to another cell"
        assert page.locator(".jp-mod-dirty").count() == dirty, "a key press modified the notebook"
        assert lab.problems() == []
    finally:
        lab.close()


@pytest.mark.xdist_group("live-0")
def test_no_news_question_over_the_first_chapter(binder, lab_browser):
    """JupyterLab asks a new user whether to fetch Jupyter's news, in a toast over the notebook
    (shown a fraction of a second after the page); `postBuild` answers "no" in the environment's
    settings overrides, so a reader meets the chapter alone."""
    url, _ = binder
    api = f"{url}/lab/api/settings/@jupyterlab/apputils-extension:notification"
    schema = json.load(urllib.request.urlopen(api, timeout=10))["schema"]["properties"]
    assert schema["fetchNews"]["default"] == "false" and schema["checkForUpdates"]["default"] is False
    lab = Lab(lab_browser, url, "book/intro.ipynb")
    try:
        lab.page.wait_for_timeout(3000)
        toasts = lab.page.locator(".Toastify__toast").all_inner_texts()
        assert not [t for t in toasts if "news" in t.lower()], toasts
        assert lab.problems() == []
    finally:
        lab.close()
