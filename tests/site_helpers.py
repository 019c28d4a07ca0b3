"""Shared fixtures' machinery for the tests that build the site and open it in Chromium."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory: Path):
    """Serve ``directory`` on a free localhost port in a daemon thread; returns (server, base_url)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# what open_page's ``problems`` is for a page that loads cleanly
CLEAN = {"console": [], "pageerror": [], "external": [], "http": []}


def open_page(browser, url: str):
    """Open ``url`` in a new page, recording console errors, page errors, every request that
    leaves the local server and every response with an HTTP error status (a missing favicon
    included). Returns (page, problems) where problems is a dict of lists."""
    problems = {"console": [], "pageerror": [], "external": [], "http": []}
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems["pageerror"].append(str(e)))
    base = url.split("/", 3)[:3]
    local = "/".join(base)

    def on_request(request):
        if not (request.url.startswith(local) or request.url.startswith("data:")
                or request.url.startswith("blob:") or request.url.startswith("about:")):
            problems["external"].append(request.url)

    page.on("request", on_request)
    page.on("response", lambda r: problems["http"].append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # Block anything external so a page that tries to phone home fails fast instead of hanging.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(local)
               or route.request.url.startswith("data:") else route.abort())
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")  # the favicon is asked for after "load"
    page.wait_for_timeout(300)
    return page, problems


def toc_pages() -> list[str]:
    """Every page of the table of contents, as paths relative to the site root (``book/x.html``)."""
    text = (ROOT / "_toc.yml").read_text()
    return [f"{name}.html" for name in re.findall(r"(?:root|file):\s*(\S+)", text)]


def chapter_pages() -> list[str]:
    """Pages made from notebooks (they get launch and download buttons)."""
    return [p for p in toc_pages() if (ROOT / p.replace(".html", ".ipynb")).exists()]


@functools.cache
def stored_outputs(page: str) -> str:
    """Everything the notebook behind ``page`` stores as output (HTML and image metadata); read
    once per process (the site tests ask for each page several times while they are collected)."""
    notebook = json.loads((ROOT / page.replace(".html", ".ipynb")).read_text())
    return json.dumps([c.get("outputs", []) for c in notebook["cells"]])


def pages_with_figures() -> list[str]:
    """Chapter pages that hold an explorer or a player."""
    return [p for p in chapter_pages()
            if "ll-explorer" in stored_outputs(p) or "ll-player" in stored_outputs(p)]


def check_loaded_cleanly_alt_text_and_axe(page, problems: dict, path: str) -> None:
    """A page as loaded (1280 px wide, light): no console error, no page error, no request outside
    the site, every image in the content has meaningful alt text, and axe-core (from npm,
    installed by `npm ci`) finds no serious or critical violation."""
    assert AXE.exists(), "run `npm ci` first: axe-core is a test dependency from the npm registry"
    page.wait_for_timeout(500)
    assert problems == CLEAN, problems
    images = page.locator("main img")
    for i in range(images.count()):
        alt = (images.nth(i).get_attribute("alt") or "").strip()
        src = images.nth(i).get_attribute("src") or ""
        assert len(alt) >= 10 and not alt.endswith(".png"), f"{path}: image {i} ({src[:60]}) alt={alt!r}"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — e.g. {v['nodes'][0]['target']}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], "\n".join(serious)
    assert problems == CLEAN, problems
