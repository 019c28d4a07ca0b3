"""The first code cell of every chapter makes the chapter run on Colab in one click: it installs
layers_lib when it is missing (from the repository and branch the launch buttons use) and turns
on Colab's widget manager; anywhere else it does nothing. Tested without the network: the cell
reads LAYERS_LIB_SOURCE, which points it at this checkout instead of GitHub."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv

import jupytext
import pytest
from site_helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import toc_notebooks  # noqa: E402

CONFIG = (ROOT / "_config.yml").read_text()
REPO_URL = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", CONFIG, re.MULTILINE).group(1)
BRANCH = re.search(r"^repository:(?:\n\s+.*)*?\n\s+branch:\s*(\S+)", CONFIG, re.MULTILINE).group(1)


def setup_cell(notebook):
    nb = jupytext.read(notebook)
    return next(c for c in nb.cells if c.cell_type == "code")


NOTEBOOKS = toc_notebooks()
CELL = setup_cell(NOTEBOOKS[0])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_every_chapter_starts_with_the_same_setup_cell(notebook):
    cell = setup_cell(notebook)
    assert cell.source == CELL.source
    assert "remove-cell" in cell.metadata.get("tags", []), "the website need not show the install cell"


def test_the_cell_installs_from_the_repository_and_branch_of_the_launch_buttons():
    assert REPO_URL.startswith("https://github.com/") and BRANCH
    # the package's core needs NumPy only: the figures' libraries come with the [viz] extra
    assert f'"layers_lib[viz] @ git+{REPO_URL.rstrip("/")}@{BRANCH}"' in CELL.source


def _python(env_dir, code, extra_env=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra_env or {})
    return subprocess.run([env_dir / "bin" / "python", "-c", code], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)


@pytest.mark.slow
def test_the_cell_installs_layers_lib_where_it_is_missing_and_enables_colab_widgets(tmp_path):
    """A fresh Python with nothing but pip (like a machine without layers_lib): run the cell, as
    Colab would, with a stand-in for ``google.colab``; then the chapter's imports and a live
    explorer must work from the dependencies the package itself declares."""
    env_dir = tmp_path / "colab"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    fake = tmp_path / "fake" / "google" / "colab"
    fake.mkdir(parents=True)
    (fake.parent / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "output.py").write_text("enabled = []\n"
                                    "def enable_custom_widget_manager():\n    enabled.append(True)\n")
    code = (f"import sys; sys.path.insert(0, {str(tmp_path / 'fake')!r}); import google.colab\n"
            + CELL.source
            + "\nimport layers_lib as ll\nfrom layers_lib import viz\nfrom google.colab import output"
              "\nassert output.enabled == [True], 'the widget manager was not enabled'"
              "\nimport matplotlib.pyplot as plt"
              "\nex = viz.explore(lambda a: viz.grid(['c' * a]), {'a': [1, 2]}, mode='live')"
              "\nprint(type(ex).__name__, ll.__file__)")
    # a copy of the checkout, as GitHub would serve it: pip builds in the source tree
    source = tmp_path / "checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "_build", "build", "node_modules", ".git", "*.egg-info", "__pycache__", ".*", "book", "tests"))
    # PIP_NO_COMPILE: pip does not compile site-packages to bytecode (the test's time, not the cell's)
    extra = {"LAYERS_LIB_SOURCE": f"{source}[viz]", "PIP_NO_COMPILE": "1"}
    result = _python(env_dir, code, extra, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    name, path = result.stdout.split()
    assert name == "LiveExplorer" and str(env_dir) in path, result.stdout


@pytest.mark.slow
def test_the_cell_does_nothing_where_layers_lib_is_installed(tmp_path):
    """Here layers_lib is installed: the cell must not call pip at all (a source that cannot be
    installed proves it) and must not touch Colab's widget manager outside Colab."""
    code = CELL.source + "\nprint('google.colab' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["LAYERS_LIB_SOURCE"] = str(tmp_path / "no-such-source")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "False"
