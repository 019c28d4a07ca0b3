"""`start`, which Binder (repo2docker) runs before the reader's server: it sets the BLAS and
OpenMP thread counts to the pod's CPU limit (OpenBLAS reads only the node's core count), keeps a
reader's own choice, sets nothing without a limit, and then runs the command it was given."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from site_helpers import ROOT

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
SHOW = f"import json, os; print(json.dumps({{k: os.environ.get(k) for k in {VARIABLES!r}}}))"


def run_start(tmp_path, env: dict[str, str], files: dict[str, str] | None = None) -> dict:
    """The thread variables a command started through `start` sees, with the cgroup files
    ``files`` (paths under a fake cgroup root) and the extra environment ``env``."""
    for name, text in (files or {}).items():
        path = tmp_path / "cgroup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    base = {k: v for k, v in os.environ.items() if k not in (*VARIABLES, "CPU_LIMIT")}
    base["LL_CGROUP_ROOT"] = str(tmp_path / "cgroup")
    done = subprocess.run([ROOT / "start", sys.executable, "-c", SHOW],
                          env={**base, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def threads(n):
    return {k: None if n is None else str(n) for k in VARIABLES}


@pytest.mark.parametrize(("limit", "expected"), [("1", 1), ("2.5", 2), ("0.5", 1), ("16", 16)])
def test_jupyterhubs_cpu_limit_sets_the_thread_counts(tmp_path, limit, expected):
    assert run_start(tmp_path, {"CPU_LIMIT": limit}) == threads(expected)


@pytest.mark.parametrize(("files", "expected"), [
    ({"cpu.max": "150000 100000\n"}, 1),  # cgroup v2: 1.5 CPUs
    ({"cpu.max": "400000 100000\n"}, 4),
    ({"cpu.max": "max 100000\n"}, None),  # no limit
    ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2),  # cgroup v1
    ({"cpu,cpuacct/cpu.cfs_quota_us": "50000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, 1),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),  # v1, no limit
    ({}, None),  # no cgroup files at all
])
def test_the_containers_cgroup_quota_sets_the_thread_counts(tmp_path, files, expected):
    assert run_start(tmp_path, {}, files) == threads(expected)


def v1(quotas: dict[str, int]) -> dict[str, str]:
    """cgroup v1 files: each folder's quota (µs per 100 ms period; -1 for none)."""
    files = {}
    for folder, quota in quotas.items():
        files[f"cpu/{folder}/cpu.cfs_quota_us"] = f"{quota}\n"
        files[f"cpu/{folder}/cpu.cfs_period_us"] = "100000\n"
    return files


@pytest.mark.parametrize(("own", "files", "expected"), [
    # cgroup v1 without a cgroup namespace: this process sits in cpu:/pod/box, under the root;
    # the smaller quota counts, its own or its parent's
    ("1:cpu,cpuacct:/pod/box\n", v1({"pod": 200000, "pod/box": 100000}), 1),
    ("1:cpu,cpuacct:/pod/box\n", v1({"pod": 200000, "pod/box": -1}), 2),
    # cgroup v2: the parent limits, the process's own cgroup does not
    ("0::/pod/box\n", {"pod/cpu.max": "300000 100000\n", "pod/box/cpu.max": "max 100000\n"}, 3),
    # a path that does not exist under the root (a container's view): the root's own files
    ("0::/host/path\n", {"cpu.max": "100000 100000\n"}, 1),
])
def test_the_quota_of_the_process_cgroup_or_a_parent_counts(tmp_path, own, files, expected):
    (tmp_path / "proc-cgroup").write_text(own)
    assert run_start(tmp_path, {"LL_PROC_CGROUP": str(tmp_path / "proc-cgroup")}, files) == threads(expected)


def test_a_readers_own_thread_count_is_kept(tmp_path):
    seen = run_start(tmp_path, {"CPU_LIMIT": "1", "OPENBLAS_NUM_THREADS": "3"})
    assert seen == {"OPENBLAS_NUM_THREADS": "3", "OMP_NUM_THREADS": None}


def test_a_limit_that_is_not_a_number_changes_nothing(tmp_path):
    assert run_start(tmp_path, {"CPU_LIMIT": "two"}) == threads(None)


def test_start_runs_the_command_with_its_arguments_and_exit_status():
    """repo2docker executes `start` itself (its mode must say executable), with the server's command."""
    assert os.access(ROOT / "start", os.X_OK)
    done = subprocess.run([ROOT / "start", sys.executable, "-c",
                           "import sys; print(sys.argv[1:]); sys.exit(3)", "a b", "c"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and done.stdout.strip() == "['a b', 'c']"
