from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys

import pytest
from site_helpers import CHROMIUM, CHROMIUM_ARGS, HTML, ROOT, serve


@pytest.fixture(autouse=True)
def _seed_torch():
    """Seed torch's global generator before every test. It initialises the reference modules,
    whose weights the comparisons copy into layers_lib, so without this a test's numbers depend
    on which tests ran before it in the same process (with pytest-xdist, a different set every run)."""
    torch = sys.modules.get("torch")  # imported by the test modules that use it; others need not pay
    if torch is not None:
        torch.manual_seed(0)


@pytest.fixture(scope="session")
def site_build(testrun_uid):
    """Build the site strictly once per test run: any warning fails (-W), nitpicky (-n).

    With pytest-xdist several processes may ask for it: the first builds while holding a lock,
    and records the result for this run (``testrun_uid`` is shared by all of a run's processes);
    the others wait for the lock and reuse that build instead of rewriting pages under a browser.
    """
    HTML.parent.mkdir(exist_ok=True)
    record = HTML.parent / "site_build_result.json"
    with open(HTML.parent / "site_build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists() and json.loads(record.read_text()).get("run") == testrun_uid:
            done = json.loads(record.read_text())
            return subprocess.CompletedProcess(done["args"], done["returncode"], done["stdout"],
                                               done["stderr"])
        result = subprocess.run(
            [shutil.which("jupyter-book") or "jupyter-book", "build", ".", "-W", "-n", "--keep-going"],
            cwd=ROOT, capture_output=True, text=True, timeout=1800,
        )
        record.write_text(json.dumps({"run": testrun_uid, "args": result.args,
                                      "returncode": result.returncode, "stdout": result.stdout,
                                      "stderr": result.stderr}))
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
