"""Project-wide pytest setup.

* Notebooks run by nbval get the environment ``scripts/run_notebooks.py`` used to produce the
  stored outputs (``LAYERS_LIB_STATIC=1``, one BLAS thread; the kernel inherits it), so explorers
  render as the same self-contained HTML and printed numbers reproduce.
* Each chapter has an execution-time budget set by its issue; the nbval run measures every
  notebook and fails the session if one is over budget or the whole run exceeds 5 minutes.
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

_notebook_seconds: dict[str, float] = defaultdict(float)

# book/src holds the chapters' jupytext sources: they run as notebooks (nbval), not as modules.
collect_ignore_glob = ["book/src/*"]


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened, so figures never pile up across tests."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb") and report.when == "call":
        _notebook_seconds[path] += report.duration


def _budget_report() -> tuple[list[str], bool]:
    lines, over = [], False
    for path, seconds in sorted(_notebook_seconds.items()):
        budget = NOTEBOOK_BUDGET.get(Path(path).stem, 45)
        ok = seconds <= budget
        over |= not ok
        lines.append(f"{path:<40} {seconds:6.1f} s  (budget {budget} s)  {'ok' if ok else 'OVER BUDGET'}")
    total = sum(_notebook_seconds.values())
    over |= total > NBVAL_TOTAL_BUDGET
    lines.append(f"{'all notebooks':<40} {total:6.1f} s  (budget {NBVAL_TOTAL_BUDGET} s)")
    return lines, over


def pytest_sessionfinish(session, exitstatus):
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
