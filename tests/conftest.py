from __future__ import annotations

import shutil
import subprocess

import pytest
from site_helpers import CHROMIUM, CHROMIUM_ARGS, HTML, ROOT, serve


@pytest.fixture(scope="session")
def site_build():
    """Build the site strictly once per session: any warning fails (-W), nitpicky (-n)."""
    result = subprocess.run(
        [shutil.which("jupyter-book") or "jupyter-book", "build", ".", "-W", "-n", "--keep-going"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    return result


@pytest.fixture(scope="session")
def site_url(site_build):
    assert site_build.returncode == 0, site_build.stdout[-4000:] + site_build.stderr[-4000:]
    server, url = serve(HTML)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
