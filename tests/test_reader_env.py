"""The reader's environment, built the way Binder builds it: a fresh virtual environment with
only `requirements.txt` and `postBuild` (no dev tools, no torch), which must execute every
notebook of the book without error — with live widgets, as on Binder (LAYERS_LIB_STATIC unset).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import venv

import pytest
from site_helpers import ROOT

pytestmark = pytest.mark.slow


def _run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_notebooks_run_in_a_binder_like_environment(tmp_path):
    env_dir = tmp_path / "reader-env"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / "bin"
    hidden = ("LAYERS_LIB_STATIC", "PYTHONPATH", "MPLBACKEND")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(env_dir)
    # A copy of the repository, so the editable install and the executed notebooks stay outside
    # the working tree.
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
        "_build", "node_modules", ".git", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    _run([bin_dir / "python", "-m", "pip", "install", "-q", "-r", "requirements.txt"], cwd=repo, env=env)
    _run(["bash", "postBuild"], cwd=repo, env=env)
    no_torch = "import importlib.util as u; print(u.find_spec('torch') is None)"
    probe = _run([bin_dir / "python", "-c", no_torch], cwd=repo, env=env)
    assert probe.stdout.strip() == "True", "the reader's environment must not contain torch"
    notebooks = sorted((repo / "book").rglob("*.ipynb"))
    notebooks = [n for n in notebooks if ".ipynb_checkpoints" not in n.parts]
    assert notebooks
    for nb in notebooks:
        # from the notebook's own folder, as a reader opens it; widgets are live (no STATIC flag)
        _run([bin_dir / "jupyter", "nbconvert", "--to", "notebook", "--execute", "--stdout",
              "--ExecutePreprocessor.timeout=600", nb.name], cwd=nb.parent, env=env)
