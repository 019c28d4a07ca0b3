"""The environment the stored notebook outputs are made and checked in pins the floating-point code.

OpenBLAS and NumPy pick their kernels for the CPU at hand: a Zen 5 gets OpenBLAS's Haswell
kernels, a Zen 4 or a Sapphire Rapids its AVX-512 ones, and the last bits of a float32 product
differ, enough to move a chaotic training run (the capstone's accuracy after one epoch, the
residual chapter's plain network with BatchNorm). ``NOTEBOOK_ENV`` pins both to the x86-64-v3
kernels every machine of this kind has; this test proves that a process started in it really
runs them, so that a NumPy or OpenBLAS release that renamed its switches fails here, by name,
rather than as a cell whose output differs on some machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from run_notebooks import KERNEL_PINS, NOTEBOOK_ENV  # noqa: E402

PROBE = """
import json
import numpy as np
from threadpoolctl import threadpool_info
from numpy._core._multiarray_umath import __cpu_features__
blas = [i for i in threadpool_info() if i["internal_api"] == "openblas"]
print(json.dumps({"blas": blas, "x86_v4": __cpu_features__.get("X86_V4")}))
"""


@pytest.mark.skipif(not KERNEL_PINS,
                    reason="the kernels are pinned on x86-64 only, where they differ between CPUs")
def test_notebook_env_runs_the_pinned_kernels():
    env = os.environ | NOTEBOOK_ENV
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         check=True)
    # neither switch complains about a name it does not know (OpenBLAS then picks other kernels,
    # NumPy ignores it): what runs is read back instead
    info = json.loads(out.stdout)
    assert [(b["architecture"], b["num_threads"]) for b in info["blas"]] == [("Haswell", 1)], info["blas"]
    assert info["x86_v4"] is False, "NumPy still dispatches to its AVX-512 (x86-64-v4) loops"
