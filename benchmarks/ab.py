#!/usr/bin/env python
"""Time this checkout's layers_lib against the one of a git revision, on the workloads of
``bench.py``: does a change make a layer faster?

On a shared machine the time of one call moves by 2x between rounds (see RESULTS.md), far more
than most changes gain, so two separate runs of ``bench.py`` cannot tell a 5 % change from noise.
This script imports both versions into one process (the revision's package, extracted with
``git archive``, as ``layers_lib_<rev>``), builds each workload's layer in both from the same
seed, and times them in turn, with the pause of ``bench.py`` before each switch: ``--pairs``
pairs of (best of ``--inner`` calls), forward + backward, float32. It prints the median of the
paired ratios (this checkout / the revision: below 1 is faster) and their range.

Usage:
    python benchmarks/ab.py HEAD                   # uncommitted changes against the last commit
    python benchmarks/ab.py HEAD~1 --only lstm     # the last commit against its parent, one layer
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (its workloads and timing helpers)


def import_revision(rev: str, into: Path):
    """``layers_lib`` as it was at ``rev``, imported under another name. The core modules import
    each other relatively, so they bind to that copy (``viz`` is not needed here)."""
    data = subprocess.run(["git", "archive", rev, "layers_lib"], cwd=ROOT, capture_output=True,
                          check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    name = "layers_lib_" + re.sub(r"\W", "_", rev)
    spec = importlib.util.spec_from_file_location(name, into / "layers_lib" / "__init__.py",
                                                  submodule_search_locations=[str(into / "layers_lib")])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build(make_ll, lib):
    """A workload's layer built by ``lib`` (the workloads' lambdas read ``bench.ll``)."""
    saved, bench.ll = bench.ll, lib
    try:
        return make_ll(np.random.default_rng(0))
    finally:
        bench.ll = saved


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rev", help="the git revision to compare with (e.g. HEAD, HEAD~1, a commit)")
    parser.add_argument("--only", default="", help="workloads whose name contains this")
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--inner", type=int, default=5)
    parser.add_argument("--pause", type=float, default=0.05)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        old = import_revision(args.rev, Path(tmp))
        print(f"this checkout / {args.rev}: median of {args.pairs} paired ratios (below 1: faster)")
        rng = np.random.default_rng(0)
        for name, _, make_ll, _, shapes in bench.workloads():
            if args.only.lower() not in name.lower():
                continue
            new_m, old_m = build(make_ll, bench.ll), build(make_ll, old)
            xs = bench.inputs(name, shapes, rng)
            dy = rng.normal(size=bench._first(new_m(*xs)).shape).astype(np.float32)
            for m in (new_m, old_m):  # warm-up, and both give the same numbers
                bench.run_ll(m, xs, dy)
            a, b = bench._first(new_m(*xs)), bench._first(old_m(*xs))
            assert np.allclose(a, b, rtol=1e-4, atol=1e-5), f"{name}: the two versions disagree"
            ratios, t_new, t_old = [], [], []
            for _ in range(args.pairs):
                time.sleep(args.pause)
                t_new.append(bench.best_of(bench.run_ll, args.inner, new_m, xs, dy))
                time.sleep(args.pause)
                t_old.append(bench.best_of(bench.run_ll, args.inner, old_m, xs, dy))
                ratios.append(t_new[-1] / t_old[-1])
            print(f"{name:<40} {statistics.median(t_new) * 1e3:8.2f} ms against "
                  f"{statistics.median(t_old) * 1e3:8.2f} ms  ratio {statistics.median(ratios):.3f} "
                  f"({min(ratios):.3f}-{max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
