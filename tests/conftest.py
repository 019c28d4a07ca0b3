from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import NamedTuple

import pytest
from run_notebooks import KERNEL_PINS  # scripts/ is on sys.path (the root conftest.py)
from site_helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, serve


@pytest.fixture(autouse=True)
def _seed_torch():
    """Seed torch's global generator before every test. It initialises the reference modules,
    whose weights the comparisons copy into layers_lib, so without this a test's numbers depend
    on which tests ran before it in the same process (with pytest-xdist, a different set every run)."""
    torch = sys.modules.get("torch")  # imported by the test modules that use it; others need not pay
    if torch is not None:
        torch.manual_seed(0)


def _run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="session")
def reader_env(tmp_path_factory):
    """The Binder-like checkout and environment, built once per test run: a copy of the repository
    (so the editable install and what JupyterLab saves stay outside the working tree), a venv at
    `repo/.venv` from `requirements.txt` + `postBuild` (which trusts the chapters), and the strict
    site build in that checkout, started in the background (``site_build`` waits for it).
    JupyterLab serves a copy of the chapters (`lab/book`) made before the build starts, so what
    the servers save never reaches the build, and the servers need not wait for it.

    With pytest-xdist the processes that need it (live course, site tests) share it: the first
    builds it while holding a lock, the others wait and reuse it. Returns (base, repo, env)."""
    own = tmp_path_factory.getbasetemp()
    root = own.parent if os.environ.get("PYTEST_XDIST_WORKER") else own  # shared by a run's workers
    base, repo = root / "reader-env", root / "reader-env" / "repo"
    env_dir = repo / ".venv"  # where a newcomer makes it (python -m venv .venv)
    bin_dir = env_dir / "bin"
    # PYTHONDONTWRITEBYTECODE too (set on these machines, not on Binder): with it, and the
    # --no-compile install below, every kernel and server would compile every module it imports
    # from source, every time (measured: a kernel's imports 2.3 s instead of 0.8 s)
    # KERNEL_PINS too: they pin the kernels for the stored outputs (scripts/run_notebooks.py);
    # a reader's NumPy picks its own
    hidden = ("LAYERS_LIB_STATIC", "PYTHONPATH", "MPLBACKEND", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE",
              *KERNEL_PINS)
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(env_dir),
               # the reader's own Jupyter folders, apart from this machine's (trust lives in the data dir)
               JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_DATA_DIR=str(base / "data"),
               IPYTHONDIR=str(base / "ipython"), JUPYTERLAB_SETTINGS_DIR=str(base / "lab-settings"))
    ready = base / "ready"
    with open(root / "reader-env.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
                "_build", "node_modules", ".git", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
                ".venv", "venv", ".ipynb_checkpoints"))
            venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
            # --no-compile: Python compiles what the server and kernels import when they first
            # import it, instead of pip compiling all of site-packages up front (37 -> 24 s)
            _run([bin_dir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
                  "--no-compile", "-r", "requirements.txt"], cwd=repo, env=env)
            _run(["bash", "postBuild"], cwd=repo, env=env)
            no_torch = "import importlib.util as u; print(u.find_spec('torch') is None)"
            assert _run([bin_dir / "python", "-c", no_torch], cwd=repo, env=env).stdout.strip() == "True", \
                "the reader's environment must not contain torch"
            shutil.copytree(repo / "book", base / "lab" / "book")  # what JupyterLab serves
            jupyter_book = shutil.which("jupyter-book", path=env["PATH"]) or "jupyter-book"
            log, code = base / "build.log", base / "build.returncode"
            subprocess.Popen(["bash", "-c", f'"{jupyter_book}" build . -W -n --keep-going > "{log}" 2>&1; '
                                            f'echo $? > "{code}.part" && mv "{code}.part" "{code}"'],
                             cwd=repo, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ready.touch()
    return base, repo, env


class SiteBuild(NamedTuple):
    returncode: int
    output: str  # what the build printed (stdout and stderr)
    html: Path  # the built site
    checkout: Path  # the checkout it was built in


@pytest.fixture(scope="session")
def site_build(reader_env):
    """The strict site build (any warning fails, -W; nitpicky, -n), made once per test run: the
    README's build command, run in the reader's checkout (:func:`reader_env`, which starts it in
    the background), so one build serves every site test and shows that a virtual environment
    inside the repository (thousands of Markdown files in site-packages) adds no warning. The
    page tests read and serve that checkout's ``_build/html``."""
    base, repo, _ = reader_env
    code, deadline = base / "build.returncode", time.monotonic() + 1800
    while not code.exists():
        assert time.monotonic() < deadline, "the strict build did not finish in 30 minutes"
        time.sleep(0.5)
    return SiteBuild(int(code.read_text()), (base / "build.log").read_text(), repo / "_build" / "html", repo)


@pytest.fixture(scope="session")
def site_url(site_build):
    assert site_build.returncode == 0, site_build.output[-8000:]
    server, url = serve(site_build.html)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
