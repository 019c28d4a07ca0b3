#!/usr/bin/env python
"""Regenerate the committed outputs of the course notebooks.

Each notebook is executed top to bottom in a fresh kernel, headlessly, from its own folder, with
LAYERS_LIB_STATIC=1 (so interactive explorers are stored as self-contained HTML that works on the
website without a kernel), one BLAS thread and pinned BLAS and NumPy kernels (so floating-point
sums, and hence printed numbers, come out the same on every x86-64 machine: see NOTEBOOK_ENV).
Consecutive prints are joined into one output, widget state is stored, and volatile metadata
(timings, kernel versions) is stripped so that a re-run changes only what really changed. nbval
(strict) then checks that every stored text output reproduces: see the README.

Usage:
    python scripts/run_notebooks.py                 # every notebook listed in _toc.yml
    python scripts/run_notebooks.py book/conv.ipynb # just these
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent

# The environment every notebook runs in, here and under nbval (conftest.py imports this):
# static explorers, fixed hashing, and the same floating-point code on every x86-64 machine, so
# that the stored outputs reproduce exactly. Sums must be taken in the same order with the same
# instructions: one BLAS thread, OpenBLAS's Haswell (AVX2 + FMA) kernels rather than the ones it
# picks for the CPU at hand (on a Zen 5 it picks Haswell, on a Zen 4 or a Sapphire Rapids its
# AVX-512 SkylakeX kernels, whose float32 products differ in the last bits, enough to move a
# chaotic training run), and NumPy's AVX2 loops rather than its AVX-512 ones (the
# NPY_DISABLE_CPU_FEATURES names are NumPy 2.4's dispatch targets above x86-64-v3; a name the CPU
# lacks is ignored). Readers' kernels are not pinned: their last digits may differ.
KERNEL_PINS = ({"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
               if platform.machine().lower() in ("x86_64", "amd64") else {})
NOTEBOOK_ENV = {"LAYERS_LIB_STATIC": "1", "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **KERNEL_PINS}


def toc_notebooks() -> list[Path]:
    """Every ``.ipynb`` the table of contents names, in reading order."""
    text = (ROOT / "_toc.yml").read_text()
    names = re.findall(r"(?:root|file):\s*(\S+)", text)
    return [ROOT / f"{n}.ipynb" for n in names if (ROOT / f"{n}.ipynb").exists()]


def strip_volatile(nb: nbformat.NotebookNode) -> None:
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        **({"widgets": nb.metadata["widgets"]} if nb.metadata.get("widgets") else {}),
    })
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.metadata.pop("collapsed", None)


def merge_streams(nb: nbformat.NotebookNode) -> None:
    """Join each cell's consecutive prints into one output. The kernel sends stdout in pieces
    whenever a print comes a while after the last (a table whose rows are printed between training
    runs), and the website draws every piece as a box of its own; JupyterLab joins them, and nbval
    compares the joined text."""
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        merged = []
        for out in cell.outputs:
            last = merged[-1] if merged else None
            if (last is not None and out.output_type == last.output_type == "stream"
                    and out.name == last.name):
                last.text += out.text
            else:
                merged.append(out)
        cell.outputs = merged


def run(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    os.environ.update(NOTEBOOK_ENV)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False, store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    merge_streams(nb)
    strip_volatile(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    for path in paths:
        elapsed = run(path)
        size = path.stat().st_size / 1024
        print(f"{path.relative_to(ROOT)}: executed in {elapsed:.1f} s, {size:.0f} KB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
