"""Shared fixtures' machinery for the tests that build the site and open it in Chromium."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
