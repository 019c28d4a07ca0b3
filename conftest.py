"""Project-wide pytest setup.

* Notebooks run by nbval get the environment ``scripts/run_notebooks.py`` used to produce the
  stored outputs (``LAYERS_LIB_STATIC=1``, one BLAS thread, OpenBLAS's and NumPy's x86-64-v3
  kernels whatever the CPU; the kernel inherits it), so explorers render as the same
  self-contained HTML and printed numbers reproduce on every machine.
* Each chapter has an execution-time budget set by its issue; the nbval run measures every
  notebook and fails the session if one is over budget or the whole run exceeds 5 minutes.
  The budget judges the **CPU time of the notebook's kernel** (user + system, read from
  /proc for the kernel's PID around every cell), which a busy machine does not inflate; the
  wall-clock time is reported beside it. Where /proc is not available, wall time is judged.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "scripts"))
from run_notebooks import NOTEBOOK_ENV  # noqa: E402  (the same environment that made the outputs)

os.environ.update(NOTEBOOK_ENV)
os.environ.setdefault("MPLBACKEND", "Agg")

# seconds of cell execution per notebook (chapter issues set these); anything unlisted: 45 s
NOTEBOOK_BUDGET = {
    "intro": 30, "conv": 30, "pooling": 30,
    "linear": 45, "activations": 45, "normalization": 45, "dropout": 45,
    "rnn": 60, "lstm_gru": 60, "embedding": 60, "attention": 60,
    "capstone": 60,
}
NBVAL_TOTAL_BUDGET = 300

_notebook_seconds: dict[str, float] = defaultdict(float)  # wall clock, per notebook
_notebook_cpu: dict[str, float] = defaultdict(float)  # the kernel's CPU time, per notebook
_cpu_unavailable: set[str] = set()

# book/src holds the chapters' jupytext sources: they run as notebooks (nbval), not as modules.
collect_ignore_glob = ["book/src/*"]


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened, so figures never pile up across tests."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """A notebook's cells share one kernel and run in order: with pytest-xdist (--dist loadgroup)
    they must stay together in one process."""
    for item in items:
        path = item.nodeid.split("::")[0]
        if path.endswith(".ipynb"):
            item.add_marker(pytest.mark.xdist_group(path))


def _kernel_cpu_seconds(item) -> float | None:
    """User + system CPU seconds used so far by the kernel nbval runs ``item`` in (None if unknown)."""
    try:
        pid = item.parent.kernel.km.provisioner.process.pid
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # fields after the command name
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (AttributeError, OSError, ValueError, IndexError):
        return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Around each notebook cell: the kernel's CPU time it took, passed on with the test report (a
    user property), so that the budget is judged where the reports meet — also when pytest-xdist
    runs the notebooks in worker processes."""
    path = item.nodeid.split("::")[0]
    before = _kernel_cpu_seconds(item) if path.endswith(".ipynb") else None
    yield
    if path.endswith(".ipynb"):
        after = _kernel_cpu_seconds(item)
        cpu = None if before is None or after is None else after - before
        item.user_properties.append(("kernel_cpu_seconds", cpu))


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb") and report.when == "call":
        _notebook_seconds[path] += report.duration
        cpu = dict(report.user_properties).get("kernel_cpu_seconds")
        if cpu is None:
            _cpu_unavailable.add(path)
        else:
            _notebook_cpu[path] += cpu


def _budget_report() -> tuple[list[str], bool]:
    lines, over = [], False
    for path, wall in sorted(_notebook_seconds.items()):
        budget = NOTEBOOK_BUDGET.get(Path(path).stem, 45)
        judged = wall if path in _cpu_unavailable else _notebook_cpu[path]
        what = "wall" if path in _cpu_unavailable else "CPU"
        ok = judged <= budget
        over |= not ok
        lines.append(f"{path:<40} {judged:6.1f} s {what}  {wall:6.1f} s wall  (budget {budget} s)  "
                     f"{'ok' if ok else 'OVER BUDGET'}")
    total = sum(_notebook_seconds[p] if p in _cpu_unavailable else _notebook_cpu[p]
                for p in _notebook_seconds)
    over |= total > NBVAL_TOTAL_BUDGET
    lines.append(f"{'all notebooks':<40} {total:6.1f} s CPU  {sum(_notebook_seconds.values()):6.1f} s wall  "
                 f"(budget {NBVAL_TOTAL_BUDGET} s)")
    return lines, over


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker sees only its own notebooks: the controller judges the whole run
    if _notebook_seconds and _budget_report()[1] and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _notebook_seconds:
        return
    lines, over = _budget_report()
    terminalreporter.section("notebook execution time (nbval)")
    for line in lines:
        terminalreporter.write_line(line)
    if over:
        terminalreporter.write_line("FAILED: notebook execution over budget", red=True)
