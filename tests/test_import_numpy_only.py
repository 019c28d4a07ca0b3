"""``import layers_lib`` needs NumPy and nothing else: plotting (matplotlib, widgets) lives in
``layers_lib.viz``, which is imported separately. This test proves it in a virtual environment
holding only the NumPy version the course pins, with the checkout on ``PYTHONPATH``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import sys

    import numpy as np

    import layers_lib as ll
    import layers_lib.exercises
    from layers_lib.exercises import linear as ex

    rng = np.random.default_rng(0)
    layer = ll.Linear(4, 3, rng=rng)
    x = rng.normal(size=(5, 4))
    y = layer(x)
    dy = rng.normal(size=y.shape)
    dx = layer.backward(dy)
    assert y.shape == (5, 3) and dx.shape == (5, 4)
    assert np.allclose(y, x @ layer.weight.data.T + layer.bias.data)
    assert np.allclose(dx, dy @ layer.weight.data)
    assert np.allclose(layer.weight.grad, dy.T @ x) and np.allclose(layer.bias.grad, dy.sum(axis=0))
    errors = ll.check_gradients(layer, x)
    assert max(errors.values()) < 1e-7, errors
    assert ex.check_linear_forward(lambda x, w, b: x @ w.T + b)
    heavy = sorted(m for m in ("matplotlib", "ipywidgets", "anywidget", "tqdm", "IPython", "layers_lib.viz")
                   if m in sys.modules)
    assert not heavy, f"import layers_lib loaded {heavy}"
    print("numpy", np.__version__, "from", np.__file__)
    print("layers_lib from", ll.__file__)
""")


def _pinned_numpy() -> str:
    pins = re.findall(r"^numpy==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert len(pins) == 1, "requirements.txt must pin numpy exactly once"
    return pins[0]


@pytest.mark.slow
def test_layers_lib_imports_and_trains_with_numpy_alone(tmp_path):
    env_dir = tmp_path / "numpy-only"
    # no pip inside the venv (ensurepip takes seconds): this interpreter's pip installs into it
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    version = _pinned_numpy()
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--no-compile", f"numpy=={version}"], check=True, timeout=600)

    installed = subprocess.run([*pip, "list", "--format=freeze"], check=True,
                               capture_output=True, text=True).stdout.split()
    names = {line.split("==")[0].lower() for line in installed}
    assert f"numpy=={version}" in installed
    assert not names & {"matplotlib", "ipywidgets", "anywidget", "tqdm", "torch", "scikit-learn"}, installed

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([python, "-c", SCRIPT], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    # the import really came from the checkout and NumPy from the venv, not from this interpreter
    assert f"layers_lib from {ROOT / 'layers_lib' / '__init__.py'}" in result.stdout
    numpy_line = next(line for line in result.stdout.splitlines() if line.startswith("numpy "))
    assert numpy_line.startswith(f"numpy {version} from {env_dir}"), numpy_line
